"""`worldjepa surprise`: does the world model flag physically impossible events?

Held-out episodes are replayed in the env with their recorded start, factors and actions,
once as recorded ("normal") and once per violation injected at the same block boundary
(``violations.VIOLATIONS``: teleport, colour change, physics change, all made by the env). The
surprise at frame b is the predictor's error ‖ẑ_b − z_b‖² / D, ẑ_b predicted from the frames
before b and the executed actions. An episode's score is its largest surprise over ``window``
boundaries from the event; the ROC AUC of violated against normal scores (paired, episodes
resampled for the interval) says how well surprise separates them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from worldjepa.config.fields import Validated, checkpoint_opt, device_opt, opt, path_opt, require
from worldjepa.errors import ConfigError, DatasetError

log = logging.getLogger(__name__)
CURVE_OFFSETS = range(-4, 7)  # frames around the event in the plotted curves


@dataclass
class SurpriseConfig(Validated):
    """The predictor's error at physically impossible events, against normal replays."""

    checkpoint: str = checkpoint_opt()
    data: str | None = path_opt(None, "dataset (null: the checkpoint's, its held-out episodes)")
    episodes: int = opt(50, "held-out episodes replayed (normal + one per violation)", ge=1)
    violations: list[str] = opt(["teleport", "color", "physics"], "every body jumps | colours -> OOD | physics -> OOD",
                                choices="worldjepa.probes.violations:VIOLATIONS")  # fmt: skip
    event: float = opt(0.5, "the event's block boundary, as a fraction of each episode", gt=0, lt=1)
    window: int = opt(3, "frames from the event whose largest surprise is the episode's score", ge=1)
    physics: dict[str, Any] = opt({}, "explicit values for the physics violation, e.g. {agent_mass: 3.0}")
    colors: dict[str, Any] = opt({}, "explicit values for the colour violation (default: OOD draws)")
    seed: int = opt(0, "seed of the violations", ge=0)
    device: str = device_opt()
    out: str | None = path_opt(None, "output folder (null: <run dir>/surprise)")

    def check(self) -> None:
        require(len(self.violations) > 0, "violations", "name at least one, e.g. violations=[teleport]")


def check_overrides(env, cfg: SurpriseConfig) -> None:
    """``physics=`` / ``colors=`` name factors of the right kind that can change mid-episode, with
    values they can take: checked before any replay."""
    from worldjepa.errors import EnvError

    rules = {
        "physics": lambda f: f.kind == "physical",
        "colors": lambda f: f.kind == "visual" and "color" in f.name,
    }
    for key, values in (("physics", cfg.physics), ("colors", cfg.colors)):
        fits = [f.name for f in env.FACTORS if rules[key](f) and f.name not in env.COMPILED_FACTORS]
        for name, value in values.items():
            if name not in fits:
                raise ConfigError(
                    f"{key}={{{name}: ...}}: not a factor it can change; {type(env).__name__} has: {', '.join(fits)}"
                )
            try:
                env.FACTORS[name].coerce(value)
            except (EnvError, TypeError, ValueError) as exc:
                raise ConfigError(f"{key}={{{name}: {value}}}: {exc}") from None


def replay(env, start_state, factors, actions: np.ndarray, fs: int, event_block: int, violation=None,
           rng=None, overrides=None) -> tuple[np.ndarray, str]:  # fmt: skip
    """Run ``actions`` (B*fs, A) from a recorded start; inject ``violation`` right after block
    ``event_block`` -> (frames at the B+1 block boundaries (B+1, H, W, 3) uint8, description)."""
    u = env.unwrapped
    obs, _ = env.reset(options=u.task_options(start_state, start_state, factors))
    frames, what = [obs["pixels"]], ""
    for k in range(len(actions)):
        obs, *_ = env.step(actions[k])
        if (k + 1) % fs == 0:
            if (k + 1) // fs == event_block:
                # Both branches re-render through intervene (after mj_forward), so the event frame
                # of a normal replay is rendered exactly like a violated one's.
                obs, what = violation(u, rng, overrides) if violation is not None else (u.intervene(), "")
            frames.append(obs["pixels"])
    return np.stack(frames), what


def prediction_errors(model, z, blocks, num_hist: int):
    """z: (V, B+1, D) latents at block boundaries, blocks: (B, fs*A) raw executed actions ->
    (V, B) surprise: entry b-1 is ‖ẑ_b − z_b‖² / D, ẑ_b predicted from frames [b-num_hist, b)."""
    import torch

    V, T, _ = z.shape
    blocks = torch.tensor(
        np.asarray(blocks), dtype=torch.float32, device=z.device
    )  # a copy: may be read-only
    errors = []
    with torch.inference_mode():
        for b in range(1, T):
            lo = max(0, b - num_hist)
            ctx_actions = blocks[lo : b - 1][None].expand(V, -1, -1) if b - lo > 1 else None
            planned = blocks[b - 1][None, None, None].expand(V, 1, 1, -1)
            z_hat = model.rollout(z[:, lo:b], planned, ctx_actions)[:, 0, 0]  # (V, D)
            errors.append((z_hat - z[:, b]).pow(2).mean(-1))
    return torch.stack(errors, dim=1).float().cpu().numpy()


def run_surprise(cfg: SurpriseConfig) -> dict:
    """Replay, inject, score; print the AUC table; write results.json, table.md and curves.png."""
    import torch
    from einops import rearrange

    from worldjepa.checkpoint import load_checkpoint_and_data, trained_on
    from worldjepa.config import validate
    from worldjepa.config.fields import expect
    from worldjepa.devices import resolve_device
    from worldjepa.envs import make_env
    from worldjepa.evaluation.report import write_results
    from worldjepa.evaluation.stats import paired_auc_interval, roc_auc
    from worldjepa.paths import writable_dir
    from worldjepa.probes.violations import VIOLATIONS
    from worldjepa.progress import progress_bar
    from worldjepa.run_dir import run_of

    expect(cfg, SurpriseConfig, "surprise")
    validate(cfg)
    device = resolve_device(cfg.device)
    violations = {name: VIOLATIONS.get(name) for name in cfg.violations}
    overrides = {"physics": cfg.physics, "color": cfg.colors}
    ckpt_dir, model, pre, ds = load_checkpoint_and_data(cfg.checkpoint, cfg.data, device)
    out = writable_dir(cfg.out or run_of(ckpt_dir) / "surprise", "out")  # before any work
    fs, num_hist = pre["frameskip"], model.cfg.num_hist
    held_out = pre["val_episodes"] if trained_on(pre, cfg.data) else ds.episode_ids.tolist()
    by_id = {int(e["episode_idx"]): e for e in ds.episodes}
    min_blocks = num_hist + cfg.window + 2
    chosen = [ep for ep in held_out if by_id[int(ep)]["length"] // fs >= min_blocks][: cfg.episodes]
    if not chosen:
        raise DatasetError(
            f"no held-out episode has {min_blocks} blocks of {fs} steps; record longer episodes"
        )
    env = make_env(pre["env_id"], image_size=pre["image_size"][0])
    if not hasattr(env.unwrapped, "intervene"):
        env.close()
        raise ConfigError(
            f"{pre['env_id']} cannot change mid-episode (it has no intervene): surprise needs an env "
            "that can (e.g. a MujocoGoalEnv; see docs/env_contract.md)"
        )
    try:
        check_overrides(env.unwrapped, cfg)
    except ConfigError:
        env.close()
        raise
    names = ["normal", *violations]
    scores = {n: [] for n in names}
    curves = {n: {o: [] for o in CURVE_OFFSETS} for n in names}
    examples = {}
    try:
        for ep in progress_bar(chosen, desc="surprise", unit="episode"):
            rec = ds.read_episode(ep, columns=["state", "action"])
            blocks_n = len(rec["action"]) // fs
            event = min(max(num_hist, round(cfg.event * blocks_n)), blocks_n - cfg.window)
            actions = rec["action"][: blocks_n * fs]
            frames = []
            for name in names:
                rng = np.random.default_rng([cfg.seed, int(ep)])
                px, what = replay(env, rec["state"][0], by_id[int(ep)]["factors"], actions, fs, event,
                                  violations.get(name), rng, overrides.get(name))  # fmt: skip
                frames.append(px)
                if what and name not in examples:
                    examples[name] = what
            px = torch.as_tensor(np.stack(frames)).to(device)  # (V, B+1, H, W, 3)
            with torch.inference_mode():
                z = model.encode(rearrange(px, "v t h w c -> v t c h w"))
            err = prediction_errors(model, z, rearrange(actions, "(b f) a -> b (f a)", f=fs), num_hist)
            for v, name in enumerate(names):
                e = err[v]  # e[b-1]: surprise at frame b
                scores[name].append(float(e[event - 1 : event - 1 + cfg.window].max()))
                for o in CURVE_OFFSETS:
                    if 1 <= event + o <= blocks_n:
                        curves[name][o].append(float(e[event + o - 1]))
    finally:
        env.close()

    rows = []
    normal = np.asarray(scores["normal"])
    for name in violations:
        s = np.asarray(scores[name])
        lo, hi = paired_auc_interval(s, normal, seed=cfg.seed)
        rows.append({"violation": name, "auc": roc_auc(s, normal), "auc_ci95": [lo, hi],
                     "paired_win_rate": float((s > normal).mean()), "mean_score": float(s.mean()),
                     "normal_mean_score": float(normal.mean()), "episodes": len(s),
                     "example": examples.get(name, "")})  # fmt: skip
    title = (f"{pre['env_id']}: surprise (max predictor error over {cfg.window} frames from the event) on "
             f"{len(chosen)} held-out episodes, event at {cfg.event:.0%} of each episode")  # fmt: skip
    table = format_table(rows)
    print(f"{title}\n{table}")
    plot = plot_curves(curves, out / "curves.png", title, fs)
    payload = {"title": title, "table": table, "config": asdict(cfg), "checkpoint": str(ckpt_dir),
               "episodes": [int(e) for e in chosen], "results": rows, "scores": scores,
               "curves": {n: {str(o): v for o, v in c.items()} for n, c in curves.items()}, "plot": str(plot)}  # fmt: skip
    path = write_results(out, payload)
    (out / "table.md").write_text(f"{title}\n\n{table}\n")
    print(f"wrote {path}, {out / 'table.md'}, {plot}")
    return payload


def format_table(rows: list[dict]) -> str:
    lines = ["| violation | ROC AUC [95% CI] | violated > normal (paired) | mean surprise: violated / normal |",
             "|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lo, hi = r["auc_ci95"]
        lines.append(f"| {r['violation']} | {r['auc']:.3f} [{lo:.3f}, {hi:.3f}] | {100 * r['paired_win_rate']:.0f}% | "
                     f"{r['mean_score']:.4f} / {r['normal_mean_score']:.4f} |")  # fmt: skip
    return "\n".join(lines)


def plot_curves(curves: dict, path: Path, title: str, fs: int) -> Path:
    """One panel per violation: median surprise (and the 25-75% band) vs frames from the event,
    the normal replays of the same episodes beside it."""
    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()

    kinds = [n for n in curves if n != "normal"]
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.2 * len(kinds), 3.4), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], kinds, strict=True):
        for label, color in (("normal", "0.45"), (name, "C3")):
            pts = [(o, np.percentile(v, [25, 50, 75])) for o, v in curves[label].items() if v]
            xs = np.array([o for o, _ in pts])
            q = np.array([p for _, p in pts])
            ax.plot(xs, q[:, 1], "o-", color=color, label=label, ms=3)
            ax.fill_between(xs, q[:, 0], q[:, 2], color=color, alpha=0.2)
        ax.axvline(0, color="k", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel(f"frames from the event (x{fs} env steps)")
        ax.set_title(name)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("surprise ‖ẑ − z‖² / D")
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
