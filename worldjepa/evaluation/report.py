"""Summaries, the printed table and results.json."""

from __future__ import annotations

import json
from pathlib import Path

from worldjepa.evaluation.stats import wilson_interval


def summarise(name: str, results, act_time: float, budget: int) -> dict:
    n = len(results)
    k = sum(r.success for r in results)
    lo, hi = wilson_interval(k, n)
    steps = [r.steps_to_success for r in results if r.success]
    return {
        "policy": name,
        "episodes": n,
        "successes": k,
        "success_rate": k / n if n else 0.0,
        "ci95": [lo, hi],
        "mean_steps_to_success": sum(steps) / len(steps) if steps else None,
        "time_per_step_s": act_time / budget if budget else 0.0,
    }


def format_table(summaries: list[dict], title: str) -> str:
    header = (
        f"{'policy':<8} {'success':>8} {'95% CI':>15} {'n':>4} {'steps to success':>17} {'time/step':>10}"
    )
    lines = [title, header, "-" * len(header)]
    for s in summaries:
        lo, hi = s["ci95"]
        steps = f"{s['mean_steps_to_success']:.1f}" if s["mean_steps_to_success"] is not None else "-"
        lines.append(
            f"{s['policy']:<8} {100 * s['success_rate']:>7.1f}% {f'[{100 * lo:.1f}, {100 * hi:.1f}]':>15} "
            f"{s['episodes']:>4} {steps:>17} {1000 * s['time_per_step_s']:>8.1f}ms"
        )
    return "\n".join(lines)


def write_results(out: Path, payload: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    tmp.replace(path)
    return path
