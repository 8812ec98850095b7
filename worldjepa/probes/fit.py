"""Probes (frozen features -> quantities) and their scores.

``PROBES`` maps a name to ``fit(x_train (N, F), y_train (N, Q), x_test (M, F), groups (N,), seed)
-> y_test_hat (M, Q)``. Features and targets are standardised on the training rows, so one
regularisation grid suits every quantity and unit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from worldjepa.registry import Registry

ProbeFit = Callable[..., np.ndarray]
PROBES: Registry[ProbeFit] = Registry("probe")
RIDGE_ALPHAS = np.logspace(-6, 4, 21)  # ridge strengths, relative to the number of rows


def varies(v: np.ndarray) -> np.ndarray:
    """v: (N, Q) -> (Q,) bool: the column takes more than one value. Relative to its magnitude,
    because float32 noise around a constant (a fixed height read back from the simulator)
    has a tiny but non-zero spread that would make R² meaningless."""
    v = v.astype(np.float64)
    return v.std(0) > 1e-6 * (1 + np.abs(v).mean(0))


def _standardise(train: np.ndarray, *others: np.ndarray):
    mean, std = train.mean(0), train.std(0)
    std = np.where(std > 1e-8, std, 1.0)  # constant columns stay constant (0) instead of nan
    return mean, std, [(a - mean) / std for a in (train, *others)]


@PROBES.register("linear")
def fit_linear(x_train, y_train, x_test, groups=None, seed: int = 0) -> np.ndarray:
    """Ridge regression with an intercept; the strength per quantity is the one with the least
    leave-one-out error (closed form from one SVD of the training features)."""
    _, _, (xs, xt) = _standardise(x_train.astype(np.float64), x_test.astype(np.float64))
    y_mean, y_std, (ys,) = _standardise(y_train.astype(np.float64))
    u, s, vt = np.linalg.svd(xs, full_matrices=False)  # xs: (N, F) = u diag(s) vt
    uty = u.T @ ys  # (r, Q)
    n = len(xs)
    best_err = np.full(ys.shape[1], np.inf)
    best_w = np.zeros((xs.shape[1], ys.shape[1]))
    for alpha in RIDGE_ALPHAS * n:
        shrink = s**2 / (s**2 + alpha)  # (r,)
        fitted = u @ (shrink[:, None] * uty)  # (N, Q)
        leverage = (u**2) @ shrink  # (N,) hat-matrix diagonal
        loo = ((ys - fitted) / (1 - leverage)[:, None]) ** 2  # leave-one-out residuals
        err = loo.mean(0)
        better = err < best_err
        if better.any():
            w = vt.T @ ((s / (s**2 + alpha))[:, None] * uty)  # (F, Q)
            best_w[:, better], best_err[better] = w[:, better], err[better]
    return (xt @ best_w * y_std + y_mean).astype(np.float32)


@PROBES.register("mlp")
def fit_mlp(
    x_train, y_train, x_test, groups=None, seed: int = 0, hidden: int = 256, max_epochs: int = 200,
    patience: int = 10, batch_size: int = 256, lr: float = 1e-3,
) -> np.ndarray:  # fmt: skip
    """Two hidden layers (GELU), Adam; stops when the error on held-out training groups (10% of
    the training episodes, so consecutive frames do not leak) stops improving."""
    import torch

    _, _, (xs, xt) = _standardise(x_train.astype(np.float32), x_test.astype(np.float32))
    y_mean, y_std, (ys,) = _standardise(y_train.astype(np.float32))
    rng = np.random.default_rng(seed)
    groups = np.arange(len(xs)) if groups is None else np.asarray(groups)
    uniq = rng.permutation(np.unique(groups))
    stop_groups = uniq[: max(1, len(uniq) // 10)] if len(uniq) > 1 else uniq[:0]
    is_stop = np.isin(groups, stop_groups)
    x_fit, y_fit = torch.as_tensor(xs[~is_stop]), torch.as_tensor(ys[~is_stop])
    x_stop, y_stop = torch.as_tensor(xs[is_stop]), torch.as_tensor(ys[is_stop])
    torch_gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(
            torch.nn.Linear(xs.shape[1], hidden), torch.nn.GELU(),
            torch.nn.Linear(hidden, hidden), torch.nn.GELU(),
            torch.nn.Linear(hidden, ys.shape[1]),
        )  # fmt: skip
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    best, best_state, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        net.train()
        for idx in torch.randperm(len(x_fit), generator=torch_gen).split(batch_size):
            loss = (net(x_fit[idx]) - y_fit[idx]).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if not len(x_stop):
            continue
        net.eval()
        with torch.no_grad():
            err = (net(x_stop) - y_stop).pow(2).mean().item()
        if err < best - 1e-5:
            best, waited = err, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        pred = net(torch.as_tensor(xt)).numpy()
    return (pred * y_std + y_mean).astype(np.float32)


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """y_true, y_pred: (M, Q) -> {"r2", "pearson", "mse"}: each (Q,). R² is against predicting
    the test mean (1: perfect, 0: no better than a constant, < 0: worse)."""
    y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
    res = ((y_true - y_pred) ** 2).sum(0)
    tot = ((y_true - y_true.mean(0)) ** 2).sum(0)
    dt, dp = y_true - y_true.mean(0), y_pred - y_pred.mean(0)
    denom = np.sqrt((dt**2).sum(0) * (dp**2).sum(0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(tot > 0, 1 - res / tot, np.nan)
        pearson = np.where(denom > 0, (dt * dp).sum(0) / denom, np.nan)
    return {"r2": r2, "pearson": pearson, "mse": res / len(y_true)}
