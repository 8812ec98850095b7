"""Every planner, under both protocols and each factor-group shift, on every env's checkpoint.

    python benchmarks/planner_suite.py [--runs runs/suite] [--envs ...] [--planners cem icem mppi grad cem_grad]
        [--protocols offset task] [--shifts none ood-visual ood-geometric ood-physical]
        [--episodes 50] [--seeds 0 1 2] [--task-budget 50] [--expert] [--out runs/planner_suite]
        [--tabulate-only]

Checkpoints come from benchmarks/env_planning.py (``<runs>/<env>/model``). Each cell is one
``worldjepa eval`` (same tasks for every planner of a cell: the tasks depend only on the seed):

- ``offset``: held-out episodes, goal = the frame 25 steps later (factors as recorded);
- ``task``: env-sampled start and goal; ``none`` = the factors the data was recorded with
  (default), ``ood-<kind>`` = that factor group moved to its OOD range, the rest at default.

``--expert`` adds the env's scripted expert on the true state: the ceiling of each task set
(an env whose tasks need more steps than the budget shows it here). Every planner gets a
similar compute budget to the default CEM (64 samples x 6 iterations).
Writes ``<out>/results.json``, ``<out>/table.md`` and ``<out>/<env>.png`` (success per setting
and planner, with 95% intervals), and prints the table. Seeds give the spread across seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from env_planning import ENVS, run_dir  # noqa: E402

# every planner's own eval defaults (worldjepa.planners.config): each costs about the default CEM
PLANNERS = ("cem", "icem", "mppi", "grad", "cem_grad")
BASELINES = ("random", "noop")


def cell_eval(checkpoint: Path, protocol: str, shift: str, planner: str, episodes: int, seed: int, out: Path,
              baselines: bool, budget: int = 50) -> dict:  # fmt: skip
    """One ``worldjepa eval``; a cell whose results.json has the same config is read back instead
    (an interrupted suite resumes where it stopped)."""
    from dataclasses import asdict

    from worldjepa.evaluation.evaluate import EvalConfig, evaluate
    from worldjepa.planners.config import planner_config

    policies = ["expert"] if planner == "expert" else ["mpc", *BASELINES] if baselines else ["mpc"]
    cfg = EvalConfig(
        checkpoint=str(checkpoint), protocol=protocol, factors="default" if shift == "none" else shift,
        episodes=episodes, seed=seed, policies=policies, budget=budget,
        planner=planner_config("cem" if planner == "expert" else planner),
        out=str(out),
    )  # fmt: skip
    done = out / "results.json"
    if done.exists():
        prev = json.loads(done.read_text())
        if prev.get("config") == json.loads(json.dumps(asdict(cfg))):
            print(f"[done] {out}")
            return prev
    return evaluate(cfg)


def settings(protocols, shifts) -> list[tuple[str, str]]:
    """(protocol, shift) cells: shifts apply to the task protocol only (offset replays recorded factors)."""
    return [(p, s) for p in protocols for s in (shifts if p == "task" else ["none"])]


def run(args) -> list[dict]:
    rows = []
    for env_id in args.envs:
        ckpt = run_dir(args.runs, env_id) / "model"
        if not (ckpt / "checkpoint").exists():
            print(f"[skip] {env_id}: no checkpoint at {ckpt} (run benchmarks/env_planning.py first)")
            continue
        for protocol, shift in settings(args.protocols, args.shifts):
            for seed in args.seeds:
                budget = args.task_budget if protocol == "task" else 50
                for i, planner in enumerate([*args.planners, *(["expert"] if args.expert else [])]):
                    out = args.out / env_id.split("/")[-1] / f"{protocol}-{shift}" / f"seed{seed}" / planner
                    res = cell_eval(
                        ckpt,
                        protocol,
                        shift,
                        planner,
                        args.episodes,
                        seed,
                        out,
                        baselines=i == 0,
                        budget=budget,
                    )
                    for s in res["summary"]:
                        name = planner if s["policy"] in ("mpc", "expert") else s["policy"]
                        rows.append({"env": env_id, "protocol": protocol, "shift": shift, "seed": seed,
                                     "policy": name, **{k: s[k] for k in ("success_rate", "ci95", "episodes",
                                                                           "successes", "time_per_step_s")}})  # fmt: skip
    return rows


def ordered(rows: list[dict]) -> list[str]:
    """Policies present in ``rows``: planners first, baselines last."""
    present = {r["policy"] for r in rows}
    return [p for p in (*PLANNERS, *BASELINES, "expert") if p in present]


def table(rows: list[dict]) -> str:
    """Markdown: one row per env x protocol x shift, one column per policy: pooled success over
    seeds with its Wilson 95% interval (and the spread of per-seed rates when several)."""
    from worldjepa.evaluation.stats import wilson_interval

    policies = ordered(rows)
    lines = [
        "| env | protocol | factors | " + " | ".join(policies) + " |",
        "|---|---|---|" + "---|" * len(policies),
    ]
    for key in dict.fromkeys((r["env"], r["protocol"], r["shift"]) for r in rows):
        cells = []
        for p in policies:
            sel = [r for r in rows if (r["env"], r["protocol"], r["shift"]) == key and r["policy"] == p]
            if not sel:
                cells.append("-")
                continue
            k, n = sum(r["successes"] for r in sel), sum(r["episodes"] for r in sel)
            lo, hi = wilson_interval(k, n)
            spread = ""
            if len(sel) > 1:
                rates = [100 * r["success_rate"] for r in sel]
                spread = f" ±{(max(rates) - min(rates)) / 2:.0f}"
            cells.append(f"{100 * k / n:.0f}%{spread} [{100 * lo:.0f}, {100 * hi:.0f}]")
        lines.append(f"| {key[0].split('/')[-1]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from worldjepa.evaluation.stats import wilson_interval

    paths = []
    for env_id in dict.fromkeys(r["env"] for r in rows):
        sel = [r for r in rows if r["env"] == env_id]
        cells = list(dict.fromkeys(f"{r['protocol']}\n{r['shift']}" for r in sel))
        policies = ordered(sel)
        width = 0.8 / len(policies)
        fig, ax = plt.subplots(figsize=(1.6 * len(cells) + 2, 3.6))
        for j, p in enumerate(policies):
            rates, errs = [], [[], []]
            for c in cells:
                hit = [r for r in sel if r["policy"] == p and f"{r['protocol']}\n{r['shift']}" == c]
                k, n = sum(r["successes"] for r in hit), sum(r["episodes"] for r in hit)
                lo, hi = wilson_interval(k, n) if n else (0, 0)
                rate = k / n if n else 0
                rates.append(100 * rate)
                errs[0].append(100 * (rate - lo))
                errs[1].append(100 * (hi - rate))
            ax.bar(np.arange(len(cells)) + j * width, rates, width, yerr=errs, capsize=2, label=p)
        ax.set_xticks(np.arange(len(cells)) + 0.4 - width / 2, cells)
        ax.set_ylabel("success %")
        ax.set_ylim(0, 118)  # headroom for the legend
        ax.set_title(f"{env_id}: MPC success by planner (95% Wilson intervals)")
        ax.legend(ncol=len(policies), fontsize=7, loc="upper right")
        fig.tight_layout()
        path = out / f"{env_id.split('/')[-1]}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/suite"))
    parser.add_argument("--envs", nargs="+", default=ENVS)
    parser.add_argument("--planners", nargs="+", default=list(PLANNERS), choices=list(PLANNERS))
    parser.add_argument("--protocols", nargs="+", default=["offset", "task"], choices=["offset", "task"])
    parser.add_argument(
        "--shifts", nargs="+", default=["none", "ood-visual", "ood-geometric", "ood-physical"]
    )
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--task-budget", type=int, default=50, help="env steps per task-protocol episode")
    parser.add_argument("--expert", action="store_true",
                        help="add the env's scripted expert (true state: the task set's ceiling)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("runs/planner_suite"))
    parser.add_argument("--tabulate-only", action="store_true", help="re-tabulate <out>/results.json")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.json"
    rows = json.loads(results.read_text()) if args.tabulate_only else run(args)
    results.write_text(json.dumps(rows, indent=1))
    md = table(rows)
    (args.out / "table.md").write_text(md + "\n")
    print("\n" + md)
    for p in plot(rows, args.out):
        print(f"wrote {p}")


if __name__ == "__main__":
    main()
