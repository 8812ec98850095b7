"""Held-out monitoring while training, and the collapse check built on it.

``validate`` scores a fixed set of held-out windows: prediction MSE beside the "predict no
change" floor, RankMe, the latent's motion (how much of its variance moves from one frame to
the next) and a linear probe of the recorded states. ``CollapseCheck`` turns those into a
warning when the latent has stopped tracking what the actions move.

Why motion: a JEPA trained on scenes whose nuisances (colours, light, layout) vary across
episodes can satisfy SIGReg with what is constant *within* an episode and predict it trivially,
dropping the agent, the only thing that moves. Its loss then looks excellent. What gives it away
is that consecutive latents are nearly equal relative to the latent's spread across episodes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Collapse thresholds. benchmarks/randomized_recipe.py (TwoRoom, 300 episodes) measures a working
# model moving ~20-40% of its latent variance per frame and probing the states at R² ~0.49, and
# the randomized-factor collapse moving 0.02% at R² 0.000; tests/worldjepa/test_collapse_monitor.py
# holds both sides at CI scale.
MOTION_FLOOR = 0.01
PROBE_R2_FLOOR = 0.05
# A young encoder legitimately moves little (a random CNN barely sees a small agent), so the
# check only judges from this fraction of the run on.
JUDGE_FROM = 0.25


def fixed_val_batches(val_ds, batch_size: int, num_batches: int) -> list:
    """A fixed, evenly spread set of held-out windows so val curves are comparable across steps."""
    import numpy as np

    n = min(len(val_ds), num_batches * batch_size)
    idx = np.linspace(0, len(val_ds) - 1, n).round().astype(int).tolist()
    return [val_ds.__getitems__(idx[i : i + batch_size]) for i in range(0, n, batch_size)]


def validate(model, val_batches: list, device) -> dict[str, float]:
    """Held-out metrics of ``model`` on ``val_batches`` (windows: pixels (B, T, 3, H, W), action
    (B, T, fs*A), optionally state (B, T, Q)):

    - ``val_pred_loss``: prediction MSE; ``val_copy_loss``: the same for z_{t+1} = z_t, a floor
      a useful, action-aware predictor must beat;
    - ``val_rank``: RankMe of the held-out latents;
    - ``val_motion``: E|z_{t+1} - z_t|² / (2 tr Cov z), the share of the latent's variance that
      changes between frames (~1 for unrelated frames, ~0 when the latent ignores motion);
    - ``val_rollout_loss``: ``rollout_error`` over the window (T - 1 steps from its first frame);
      ``val_rollout_rel`` is the same over the latent's per-dimension variance, which compares
      recipes whose latents have different scales (a latent that shrinks predicts "well");
    - ``val_probe_r2``: ``probe_monitor`` on the states, when the windows carry them.
    """
    import torch

    from worldjepa.losses.objectives import rollout_error
    from worldjepa.metrics import effective_rank

    model.eval()
    pred, copy, roll, zs, states, episodes = 0.0, 0.0, 0.0, [], [], []
    with torch.inference_mode():
        for batch in val_batches:
            batch = batch.to(device)
            z = model.encode(batch["pixels"])
            z_hat = model.predict(z[:, :-1], batch["action"][:, :-1])
            pred += torch.mean((z_hat - z[:, 1:]) ** 2).item()
            roll += rollout_error(model, z, batch["action"], context=1).mean().item()
            copy += torch.mean((z[:, :-1] - z[:, 1:]) ** 2).item()
            zs.append(z[:, 0].float().cpu())  # one frame per window: windows overlap
            if "state" in batch.keys():
                states.append(batch["state"][:, 0].cpu())
                episodes.append(batch["episode_idx"].cpu())
    n = len(val_batches)
    z = torch.cat(zs)
    spread = z.var(0).mean().item()  # per-dimension variance across held-out frames
    out = {"val_pred_loss": pred / n, "val_copy_loss": copy / n, "val_rank": effective_rank(z),
           "val_motion": copy / n / (2 * spread) if spread > 0 else 0.0, "val_rollout_loss": roll / n,
           "val_rollout_rel": roll / n / spread if spread > 0 else float("nan")}  # fmt: skip
    if states:
        out["val_probe_r2"] = probe_monitor(z.numpy(), torch.cat(states).numpy(), torch.cat(episodes).numpy())
    return out


def probe_monitor(z, state, episode) -> float:
    """z: (N, D), state: (N, Q), episode: (N,) -> mean held-out R² (each clipped at 0) of a ridge
    probe fit on half of the episodes and scored on the other half: a cheap sign that the
    latents encode the world (it stays near 0 when the encoder collapses or learns nothing)."""
    import numpy as np

    from worldjepa.probes.fit import fit_linear, scores, varies

    fit = np.isin(episode, np.unique(episode)[::2])  # every other held-out episode
    if fit.all() or not fit.any():
        return float("nan")
    keep = varies(state[fit]) & varies(state[~fit])
    if not keep.any():
        return float("nan")
    r2 = scores(state[~fit][:, keep], fit_linear(z[fit], state[fit][:, keep], z[~fit]))["r2"]
    return float(np.clip(r2, 0, 1).mean())


def collapse_reasons(row: dict[str, float]) -> list[str]:
    """The signs of a latent that stopped tracking what moves, in a validation ``row``: empty
    unless every sign the row measured fires.

    Both must agree where both are measured, because either alone misfires. A healthy latent can
    move little per frame where little moves per frame: PushT's default-factor model moves 0.85%
    of its spread (the T block sits still between pushes) and still probes its states at R² 0.21.
    And a young latent can move well before it is linearly readable. Every collapse measured
    (benchmarks/randomized_recipe.py) has both: motion <= 0.03% and R² 0.000."""
    motion, r2 = row.get("val_motion"), row.get("val_probe_r2")
    signs = []
    if motion is not None:
        signs.append((motion < MOTION_FLOOR,
                      f"consecutive latents differ by {motion:.2%} of their spread (floor {MOTION_FLOOR:.0%})"))  # fmt: skip
    if r2 is not None and r2 == r2:  # r2 == r2: not NaN (no states in the windows)
        signs.append(
            (r2 < PROBE_R2_FLOOR, f"a linear probe reads the states at R² {r2:.3f} (floor {PROBE_R2_FLOOR})")
        )
    return [text for _, text in signs] if signs and all(fired for fired, _ in signs) else []


@dataclass
class CollapseCheck:
    """Judges each validation row from ``JUDGE_FROM`` of ``steps`` on: adds ``collapse`` (1.0 or
    0.0) to the row, and warns in the log when it first sees a collapse (and again if a run that
    had recovered collapses anew)."""

    steps: int
    warned: bool = field(default=False, init=False)

    def __call__(self, step: int, row: dict[str, float]) -> None:
        from worldjepa.training.recipes import as_overrides

        if step < JUDGE_FROM * self.steps:
            return
        reasons = collapse_reasons(row)
        row["collapse"] = float(bool(reasons))
        if reasons and not self.warned:
            log.warning(
                "step %d: the latent has stopped tracking what the actions move (%s). It encodes what "
                "is constant within an episode; planning will fail. With factors that vary across "
                "episodes, train with recipe=randomized (%s)",
                step, "; ".join(reasons), as_overrides(),
            )  # fmt: skip
        self.warned = bool(reasons)
