"""What a dataset holds, in one screen: episodes, steps, columns, factors, size on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from worldjepa.datasets.storage import is_remote


def _disk_bytes(path) -> int:
    if is_remote(path):
        return path.size_bytes() if path.is_dir() else 0
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _factor_summary(episodes: list[dict]) -> dict[str, str]:
    """factor name -> 'constant v' or 'min .. max' (per component for vectors) over episodes."""
    names = sorted({k for e in episodes for k in e["factors"]})
    out = {}
    for name in names:
        values = np.array(
            [np.atleast_1d(e["factors"][name]) for e in episodes if name in e["factors"]], float
        )
        lo, hi = values.min(0), values.max(0)
        fmt = lambda v: ", ".join(f"{x:.3g}" for x in v)  # noqa: E731
        out[name] = f"constant {fmt(lo)}" if np.allclose(lo, hi) else f"{fmt(lo)} .. {fmt(hi)}"
    return out


def summarise(ds) -> dict:
    """A RolloutDataset -> a JSON-able summary (what ``worldjepa data inspect`` prints)."""
    episodes = ds.episodes
    lengths = ds.episode_lengths
    stats = ds.stats
    return {
        "path": str(ds.root),
        "env_id": ds.meta.get("env_id"),
        "image_size": list(ds.image_size),
        "fps": ds.meta.get("fps"),
        "action_dim": ds.action_dim,
        "action_bounds": [ds.meta.get("action_low"), ds.meta.get("action_high")],
        "episodes": ds.num_episodes,
        "steps": ds.num_steps,
        "length": {"min": int(lengths.min()), "mean": float(lengths.mean()), "max": int(lengths.max())},
        "success_rate": float(np.mean([bool(e["success"]) for e in episodes])),
        "columns": {f.name: str(f.type) for f in ds.steps.schema},
        "factors": _factor_summary(episodes),
        "action_mean": stats.get("action", {}).get("mean"),
        "action_std": stats.get("action", {}).get("std"),
        "disk_bytes": {p.name: _disk_bytes(p) for p in sorted(ds.root.iterdir(), key=lambda p: p.name)},
    }


def format_summary(s: dict) -> str:
    """The summary as aligned text."""
    mib = lambda b: f"{b / 2**20:.1f} MiB"  # noqa: E731
    length = s["length"]
    width = max(len(n) for n in [*s["columns"], *s["factors"]]) + 1
    lines = [
        f"{s['path']}",
        f"  env          {s['env_id']}  ({s['image_size'][0]}x{s['image_size'][1]} px, {s['fps']:g} fps)",
        f"  episodes     {s['episodes']:,}  steps {s['steps']:,}  "
        f"(length {length['min']} / {length['mean']:.1f} / {length['max']} min / mean / max)",
        f"  success      {100 * s['success_rate']:.1f}% of episodes reach their goal",
        f"  actions      dim {s['action_dim']}, bounds {s['action_bounds'][0]} .. {s['action_bounds'][1]}",
        "  columns",
        *(f"    {name:<{width}} {kind}" for name, kind in s["columns"].items()),
    ]
    if s["factors"]:
        lines.append("  factors (over episodes)")
        lines += [f"    {name:<{width}} {summary}" for name, summary in s["factors"].items()]
    total = sum(s["disk_bytes"].values())
    lines.append(
        f"  on disk      {mib(total)} ("
        + ", ".join(f"{k} {mib(v)}" for k, v in s["disk_bytes"].items())
        + ")"
    )
    return "\n".join(lines)
