"""`worldjepa probe`: how linearly (and non-linearly) a checkpoint's latents encode physics.

Frames of training episodes fit the probes; frames of held-out episodes score them. The same
probes read the baselines' features (a random encoder, raw downsampled pixels), so a score
means something only next to theirs.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from worldjepa.errors import ConfigError, DatasetError

log = logging.getLogger(__name__)


@dataclass
class ProbeConfig:
    checkpoint: str = "runs/tworoom"  # a run dir (holding checkpoint/) or a checkpoint dir
    data: str | None = None  # default: the checkpoint's dataset and its train/held-out episodes
    val_fraction: float = 0.2  # held-out episodes when ``data`` is another dataset
    features: list[str] = field(
        default_factory=lambda: ["model", "encoder", "random", "random_encoder", "pixels"]
    )
    probes: list[str] = field(default_factory=lambda: ["linear", "mlp"])
    factor_kinds: list[str] = field(default_factory=lambda: ["physical"])  # episode factors to probe too
    stride: int = 4  # every stride-th step of each episode
    frames: int = 1  # features of this many frames, concatenated (2+ makes velocities decodable)
    frame_gap: int = 5  # env steps between those frames
    max_episodes: int = 0  # per split; 0: all
    pixel_size: int = 8  # the pixels baseline: frames area-averaged to this size
    batch_size: int = 512  # frames per encoder call
    seed: int = 0
    device: str = "cpu"
    out: str | None = None  # default: <run dir>/probe


def _split(cfg: ProbeConfig, pre: dict, ds) -> tuple[list[int], list[int]]:
    if cfg.data is None:
        train, test = list(pre["train_episodes"]), list(pre["val_episodes"])
    else:
        ids = np.random.default_rng(cfg.seed).permutation(ds.episode_ids)
        k = max(1, int(round(cfg.val_fraction * len(ids))))
        train, test = sorted(ids[k:].tolist()), sorted(ids[:k].tolist())
    if not train or not test:
        raise DatasetError(
            "probing needs training and held-out episodes; pass data=<dataset> with val_fraction > 0"
        )
    if cfg.max_episodes:
        train, test = train[: cfg.max_episodes], test[: cfg.max_episodes]
    return train, test


def _rows(ds, episodes: list[int], stride: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    """-> rows (N,) of every stride-th step from step ``first`` of ``episodes``, and each row's
    episode id (N,)."""
    rows = [ds.episode_rows(ep)[first::stride] for ep in episodes]
    return np.concatenate(rows), np.concatenate(
        [np.full(len(r), ep) for r, ep in zip(rows, episodes, strict=True)]
    )


def extract(
    ds, rows: np.ndarray, fns: dict, batch_size: int, desc: str, frames: int = 1, gap: int = 1
) -> dict:
    """Features of ``rows`` -> {feature name: (N, frames * F) float32}: each row's own features
    followed by those of the rows ``gap``, 2*gap, ... steps earlier (same episode; the caller
    starts rows late enough). Each distinct frame is read and encoded once, in batches."""
    from worldjepa.progress import progress_bar

    offsets = [rows - j * gap for j in range(frames)]
    uniq = np.unique(np.concatenate(offsets))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in fns}
    for i in progress_bar(range(0, len(uniq), batch_size), desc=desc, unit="batch", leave=False):
        batch = ds.take_frames(uniq[i : i + batch_size])
        for name, fn in fns.items():
            parts[name].append(fn(batch))
    feats = {name: np.concatenate(p) for name, p in parts.items()}
    where = [np.searchsorted(uniq, o) for o in offsets]
    return {name: np.concatenate([f[w] for w in where], axis=1) for name, f in feats.items()}


def run_probe(cfg: ProbeConfig) -> dict:
    """Fit every probe on every feature set; print the R² table; write results.json, table.md
    and a predicted-vs-true plot per feature set and probe."""
    import torch

    from worldjepa.checkpoint import load_checkpoint_and_data
    from worldjepa.evaluation.report import write_results
    from worldjepa.probes.features import FEATURES
    from worldjepa.probes.fit import PROBES, scores, varies
    from worldjepa.probes.report import format_table, plot_predictions
    from worldjepa.probes.targets import probe_targets

    try:
        for name in cfg.features:
            FEATURES.get(name)
        for name in cfg.probes:
            PROBES.get(name)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    for key in ("stride", "frames", "frame_gap"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"{key} must be >= 1, got {getattr(cfg, key)}")
    ckpt_dir, model, pre, ds = load_checkpoint_and_data(cfg.checkpoint, cfg.data, cfg.device)
    train_eps, test_eps = _split(cfg, pre, ds)
    first = (cfg.frames - 1) * cfg.frame_gap  # the earliest step with all its earlier frames
    (tr_rows, tr_eps), (te_rows, te_eps) = (
        _rows(ds, eps, cfg.stride, first) for eps in (train_eps, test_eps)
    )
    if not len(tr_rows) or not len(te_rows):
        raise DatasetError(
            f"episodes are shorter than frames x frame_gap = {first + 1} steps; nothing to probe"
        )
    y_tr = probe_targets(ds, tr_rows, tr_eps, tuple(cfg.factor_kinds))
    y_te = probe_targets(ds, te_rows, te_eps, tuple(cfg.factor_kinds))
    varying = varies(y_tr.values) & varies(y_te.values)
    skipped = [n for n, v in zip(y_tr.names, varying, strict=True) if not v]
    y_tr, y_te = y_tr.select(varying), y_te.select(varying)
    if not y_tr.names:
        raise DatasetError(f"{ds.root}: no recorded quantity varies across its episodes; nothing to probe")

    torch.manual_seed(cfg.seed)
    fns = {name: FEATURES.get(name)(model, cfg.seed, cfg.device, cfg.pixel_size) for name in cfg.features}
    x_tr, x_te = (
        extract(ds, rows, fns, cfg.batch_size, f"features ({what} episodes)", cfg.frames, cfg.frame_gap)
        for rows, what in ((tr_rows, "train"), (te_rows, "held-out"))
    )
    results, predictions = [], {}
    for feat in cfg.features:
        for probe in cfg.probes:
            log.info("fitting %s probe on %s features %s", probe, feat, x_tr[feat].shape)
            pred = PROBES.get(probe)(x_tr[feat], y_tr.values, x_te[feat], groups=tr_eps, seed=cfg.seed)
            predictions[(feat, probe)] = pred
            s = scores(y_te.values, pred)
            for q, name in enumerate(y_tr.names):
                results.append({"features": feat, "probe": probe, "quantity": name, "kind": y_tr.kinds[q],
                                **{k: float(v[q]) for k, v in s.items()}})  # fmt: skip
    out = Path(cfg.out) if cfg.out else ckpt_dir.parent / "probe"
    table = format_table(results, y_tr.names, cfg.features, cfg.probes)
    frames = "" if cfg.frames == 1 else f" of {cfg.frames} frames {cfg.frame_gap} steps apart"
    title = (f"{pre['env_id']}: probes on frozen features{frames}, R² on {len(test_eps)} held-out episodes "
             f"({len(te_rows)} frames; fit on {len(train_eps)} episodes, {len(tr_rows)} frames)")  # fmt: skip
    print(f"{title}\n{table}")
    if skipped:
        print(f"not probed (constant in these episodes): {', '.join(skipped)}")
    plots = [
        str(plot_predictions(y_te.names, y_te.values, pred, out / f"{feat}-{probe}.png", f"{feat} features, {probe} probe"))
        for (feat, probe), pred in predictions.items()
    ]  # fmt: skip
    payload = {
        "title": title, "table": table, "config": asdict(cfg), "checkpoint": str(ckpt_dir), "dataset": str(ds.root),
        "train_episodes": train_eps, "test_episodes": test_eps, "skipped": skipped, "results": results, "plots": plots,
    }  # fmt: skip
    (out / "table.md").write_text(f"{title}\n\n{table}\n")
    path = write_results(out, payload)
    print(f"wrote {path}, {out / 'table.md'} and {len(plots)} plots")
    return payload
