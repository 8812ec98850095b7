"""`worldjepa eval sweep=<factor> points=7`: which factor breaks the model, and how fast.

One factor is moved along a line from its default through its train range into its OOD range
(``reach`` = 1 ends at the OOD range's far corner; past 1 goes beyond it, up to the factor's
physical limits), the others held at the ``factors=`` split (default: their defaults). At each
point:

- every policy of ``policies=`` plans env-sampled tasks (the task protocol) with that value;
- the world model's held-out latent prediction error ‖ẑ_b − z_b‖² / D is measured on fresh
  episodes recorded there by the env's expert (random actions if it has none), beside the
  error of predicting "no change" (z_{b-1}), which says how much the latent moves at all.

Every finished point is kept in ``sweep.json``; a run with the same settings resumes from it.
``sweep.png`` has one panel per factor: success with its CI95 on the left axis, the prediction
error on the right, the train and OOD ranges shaded.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from worldjepa.errors import ConfigError

log = logging.getLogger(__name__)
GRID = 201  # s-resolution of the shaded train / OOD spans
SWEEP_FILE = "sweep.json"


def endpoint(factor) -> np.ndarray:
    """The OOD box's corner farthest from the default, per component -> (size,) float64."""
    d = np.atleast_1d(np.asarray(factor.default, np.float64))
    low, high = factor.bounds("ood")
    return np.where(np.abs(high - d) >= np.abs(low - d), high, low)


def along(factor, s: np.ndarray) -> np.ndarray:
    """Values at fractions ``s`` (n,) of the way from the default (0) to ``endpoint`` (1) -> (n, size)."""
    d = np.atleast_1d(np.asarray(factor.default, np.float64))
    return d + np.asarray(s, np.float64)[:, None] * (endpoint(factor) - d)


def max_reach(factor, reach: float, valid=None, grid: int = 100) -> tuple[float, str]:
    """How far, up to ``reach``, the sweep line stays a value the env can take -> (the farthest
    valid s, why it stops there or ""). ``valid(value)`` raises EnvError for a value the env
    cannot build (e.g. a door off the wall); the factor's limits are always checked. A grid
    finds the first bad point, bisection the edge before it."""
    from worldjepa.errors import EnvError

    def why(s: float) -> str:
        v = along(factor, np.array([s]))[0]
        value = tuple(float(x) for x in v) if factor.is_vector else float(v[0])
        try:
            factor.coerce(value)
            if valid is not None:
                valid(value)
        except EnvError as exc:
            return str(exc)
        return ""

    last = 0.0
    for s in np.linspace(0.0, reach, grid + 1)[1:]:
        reason = why(float(s))
        if reason:
            bad = float(s)
            for _ in range(30):
                mid = (last + bad) / 2
                last, bad = (last, mid) if why(mid) else (mid, bad)
            return last, reason
        last = float(s)
    return last, ""


def region(factor, value) -> str:
    """default | train | gap (between train and OOD) | ood | beyond (past the OOD range)."""
    v = np.atleast_1d(np.asarray(value, np.float64))
    if np.allclose(v, np.atleast_1d(np.asarray(factor.default, np.float64))):
        return "default"
    if factor.contains(value, "train"):
        return "train"
    if factor.contains(value, "ood"):
        return "ood"
    # Past the OOD box along the sweep line (farther from the default than its far corner) or short of it.
    d = np.atleast_1d(np.asarray(factor.default, np.float64))
    far = np.linalg.norm(endpoint(factor) - d)
    return "beyond" if np.linalg.norm(v - d) > far + 1e-12 else "gap"


def sweep_points(factor, points: int, reach: float) -> list[dict]:
    """``points`` evenly spaced values from the default to ``reach`` x the OOD far corner."""
    s = np.linspace(0.0, reach, points)
    values = along(factor, s)
    plain = (lambda v: tuple(float(x) for x in v)) if factor.is_vector else (lambda v: float(v[0]))
    return [{"s": float(si), "value": plain(v), "region": region(factor, plain(v))}
            for si, v in zip(s, values, strict=True)]  # fmt: skip


def check_sweep(name: str, space, reach: float, valid=None) -> list[tuple]:
    """``sweep=`` names a factor of the env (or ``all``) -> [(factor, its reach)]. A named factor
    asked past what the env can take is an error; ``all`` stops each factor where it must.
    ``valid(factor, value)`` is the env's own check (``max_reach``)."""
    if not len(space):
        raise ConfigError("sweep=: this env has no factors of variation to sweep")
    if name != "all" and name not in space.names:
        raise ConfigError(f"sweep={name}: not a factor of this env; available: all, {', '.join(space.names)}")
    chosen = list(space) if name == "all" else [space[name]]
    out, short = [], []
    for f in chosen:
        farthest, why = max_reach(f, reach, valid and (lambda v, f=f: valid(f, v)))
        if why and name != "all":
            raise ConfigError(
                f"sweep={f.name} reach={reach}: {why}; the farthest it can reach is {farthest:.3g}"
            )
        if why:
            short.append(f"{f.name} (to {farthest:.3g}: {why})")
        out.append((f, farthest if why else reach))
    if short:
        log.info("sweep=all reach=%s stops some factors early: %s", reach, "; ".join(short))
    return out


def latent_errors(model, pre: dict, env, factors: dict, episodes: int, seed: int, device) -> dict:
    """Mean held-out prediction and copy errors on ``episodes`` fresh episodes recorded with
    ``factors`` -> {"pred_error", "copy_error"} (each ‖·‖² / D over every block boundary)."""
    import torch
    from einops import rearrange

    from worldjepa.envs.policies import make_policy
    from worldjepa.errors import EnvError
    from worldjepa.probes.surprise import prediction_errors

    fs, num_hist = pre["frameskip"], model.cfg.num_hist
    try:
        from worldjepa.envs import expert_policy_name

        policy_name = expert_policy_name(env)
    except EnvError:
        policy_name = "random"
    pred, copy = [], []
    for i in range(episodes):
        obs, info = env.reset(seed=seed + i, options={"factors": factors})
        policy = make_policy(policy_name, env, seed=seed + 2**31 + i)
        policy.reset(obs, info)
        frames, actions = [obs["pixels"]], []
        while True:
            action = np.asarray(policy(obs, info), dtype=np.float32)
            obs, _, terminated, truncated, info = env.step(action)
            actions.append(action)
            if len(actions) % fs == 0:
                frames.append(obs["pixels"])
            if terminated or truncated:
                break
        blocks = len(frames) - 1
        if blocks < 2:
            continue
        px = torch.as_tensor(np.stack(frames)[None]).to(device)  # (1, B+1, H, W, 3)
        with torch.inference_mode():
            z = model.encode(rearrange(px, "v t h w c -> v t c h w"))  # (1, B+1, D)
        a = rearrange(np.stack(actions[: blocks * fs]), "(b f) a -> b (f a)", f=fs)
        pred.append(prediction_errors(model, z, a, num_hist)[0])
        copy.append((z[0, 1:] - z[0, :-1]).pow(2).mean(-1).float().cpu().numpy())
    if not pred:
        raise ConfigError("sweep: the recorded episodes are shorter than two blocks; nothing to predict")
    return {
        "pred_error": float(np.concatenate(pred).mean()),
        "copy_error": float(np.concatenate(copy).mean()),
    }


def _env_accepts(env, factor, value) -> None:
    """The env builds ``value`` with the other factors at their defaults (else EnvError)."""
    defaults = {f.name: f.default for f in env.FACTORS}
    check = getattr(env, "_validate_factors", None)
    if check is not None:
        check({**defaults, factor.name: value})


def _settings(cfg) -> dict:
    """What a finished point depends on: a stored point is reused only when these match."""
    skip = {"out", "video", "video_max", "device", "sweep", "points", "reach"}
    return {k: v for k, v in asdict(cfg).items() if k not in skip}


def _load(path: Path, settings: dict) -> dict:
    if not path.exists():
        return {}
    stored = json.loads(path.read_text())
    if stored.get("settings") != settings:
        log.warning("%s was made with other settings; starting the sweep afresh", path)
        return {}
    return stored.get("points", {})


def _save(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    tmp.replace(path)


def run_sweep(cfg, model, pre: dict, device, out: Path, play) -> dict:
    """Every point of every swept factor -> the sweep.json payload (also written, point by point).
    ``play(factors) -> summaries`` runs ``cfg.policies`` on env-sampled tasks with ``factors`` fixed."""
    from worldjepa.envs import env_factor_space, make_env
    from worldjepa.progress import progress_bar

    space = env_factor_space(pre["env_id"])
    env = make_env(pre["env_id"], image_size=pre["image_size"][0], factor_split=cfg.factors)
    try:
        factors = check_sweep(cfg.sweep, space, cfg.reach, functools.partial(_env_accepts, env.unwrapped))
    except ConfigError:
        env.close()
        raise
    path = out / SWEEP_FILE
    settings = _settings(cfg)
    done = _load(path, settings)
    curves: dict[str, list[dict]] = {}
    jobs = [(f, p) for f, reach in factors for p in sweep_points(f, cfg.points, reach)]
    try:
        for f, point in progress_bar(jobs, desc="sweep", unit="point"):
            key = f"{f.name}={json.dumps(point['value'])}"  # by value: a denser sweep reuses the points it shares
            row = done.get(key)
            if row is None:
                override = {f.name: point["value"]}
                row = {**point, "kind": f.kind, "summary": play(override),
                       **latent_errors(model, pre, env, override, cfg.error_episodes, cfg.seed + 10_000, device)}  # fmt: skip
                done[key] = row
                _save(path, {"env_id": pre["env_id"], "settings": settings, "points": done})
                mpc = {s["policy"]: s for s in row["summary"]}.get("mpc")
                log.info("%s = %s (%s): %s, pred error %.4g", f.name, _fmt(point["value"]), point["region"],
                         f"mpc {100 * mpc['success_rate']:.0f}%" if mpc else "-", row["pred_error"])  # fmt: skip
            curves.setdefault(f.name, []).append(row)
    finally:
        env.close()
    table = format_table(curves)
    title = f"{pre['env_id']}: factor sweeps, {cfg.episodes} tasks per point, others at '{cfg.factors}'"
    print(f"{title}\n{table}")
    plot = plot_curves(curves, {f.name: f for f, _ in factors}, out / "sweep.png", title)
    payload = {"env_id": pre["env_id"], "settings": settings, "points": done, "curves": curves,
               "table": table, "plot": str(plot)}  # fmt: skip
    _save(path, payload)
    (out / "sweep.md").write_text(f"{title}\n\n{table}\n")
    log.info("wrote %s, %s", path, plot)
    return payload


def _fmt(value) -> str:
    return (
        "(" + ", ".join(f"{v:.3g}" for v in value) + ")"
        if isinstance(value, tuple | list)
        else f"{value:.3g}"
    )


def format_table(curves: dict[str, list[dict]]) -> str:
    policies = [s["policy"] for s in next(iter(curves.values()))[0]["summary"]]
    head = "| factor | value | region | " + " | ".join(policies) + " | pred error | copy error |"
    lines = [head, "|" + "---|" * (5 + len(policies))]
    for name, rows in curves.items():
        for r in rows:
            by = {s["policy"]: s for s in r["summary"]}
            cells = [f"{100 * by[p]['success_rate']:.0f}% [{100 * by[p]['ci95'][0]:.0f}, {100 * by[p]['ci95'][1]:.0f}]"
                     for p in policies]  # fmt: skip
            lines.append(f"| {name} | {_fmt(r['value'])} | {r['region']} | " + " | ".join(cells)
                         + f" | {r['pred_error']:.4g} | {r['copy_error']:.4g} |")  # fmt: skip
    return "\n".join(lines)


def _spans(factor, s_max: float, xs) -> dict[str, list[tuple[float, float]]]:
    """x-intervals of the sweep line inside the train and the OOD ranges (for shading)."""
    s = np.linspace(0.0, s_max, GRID)
    values = along(factor, s)
    x = np.interp(s, *xs)
    out = {}
    for split in ("train", "ood"):
        inside = np.array(
            [factor.contains(tuple(v) if factor.is_vector else float(v[0]), split) for v in values]
        )
        edges = np.flatnonzero(np.diff(np.r_[0, inside.astype(int), 0]))
        out[split] = [(x[a], x[b - 1]) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return out


def plot_curves(curves: dict[str, list[dict]], factors: dict, path: Path, title: str) -> Path:
    """One panel per factor: success (CI95 band) per policy, and the prediction error."""
    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()
    n = len(curves)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    errors = [p["pred_error"] for pts in curves.values() for p in pts if p["pred_error"] > 0]
    err_lo, err_hi = (min(errors), max(errors)) if errors else (1e-3, 1.0)
    for ax, (name, pts) in zip(axes.flat, curves.items(), strict=False):
        f = factors[name]
        s = np.array([p["s"] for p in pts])
        x = s if f.is_vector else np.array([p["value"] for p in pts])
        for split, colour in (("train", "tab:green"), ("ood", "tab:red")):
            for a, b in _spans(f, float(s.max()), (s, x))[split]:
                ax.axvspan(a, b, color=colour, alpha=0.12, lw=0, label=f"{split} range")
        for policy in [q["policy"] for q in pts[0]["summary"]]:
            rate = np.array([{q["policy"]: q for q in p["summary"]}[policy]["success_rate"] for p in pts])
            lo, hi = (
                np.array([{q["policy"]: q for q in p["summary"]}[policy]["ci95"][j] for p in pts])
                for j in (0, 1)
            )
            (line,) = ax.plot(x, 100 * rate, marker="o", ms=3, label=policy)
            ax.fill_between(x, 100 * lo, 100 * hi, color=line.get_color(), alpha=0.15, lw=0)
        ax.set_ylim(-2, 102)
        ax.set_title(f"{name} ({f.kind})", fontsize=9)
        ax.set_xlabel("fraction of the way to the OOD far corner" if f.is_vector else name, fontsize=8)
        ax.set_ylabel("success %", fontsize=8)
        twin = ax.twinx()
        twin.plot(x, [p["pred_error"] for p in pts], color="black", ls="--", lw=1, label="pred error")
        twin.set_yscale("log")  # one scale for every panel: which factor breaks the model, and by how much
        twin.set_ylim(err_lo / 1.5, err_hi * 1.5)
        twin.tick_params(labelsize=7)
        ax.tick_params(labelsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles += [plt.Line2D([], [], color="black", ls="--", lw=1)]
    labels += ["latent pred error (right, log)"]
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(
        unique.values(), unique.keys(), loc="lower center", ncol=len(unique), fontsize=8, frameon=False
    )
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return save_figure(fig, path)
