"""Which lever keeps the agent in the latent when the factors vary across episodes?

    python benchmarks/randomized_recipe.py [--env worldjepa/TwoRoom-v0] [--levers plain idm ...]
        [--episodes 300] [--steps 800] [--tasks 30] [--runs runs/generalization]

One dataset of ``--episodes`` expert episodes with default factors and one with factors drawn
from their train ranges (``collect factors=train``), recorded once. Then, per lever (a row), a
model trained on each with the quickstart recipe plus the lever's overrides, and for each:

- the held-out monitors of its last validation (``val_probe_r2``, ``val_motion``, ``collapse``);
- offset-protocol success on its own held-out episodes (``--tasks`` tasks);
- task-protocol success with the factors in distribution (train ranges) and with each group
  (visual, geometric, physical) moved to its OOD range, ``--tasks`` tasks each.

Every cell (a dataset, a model, an evaluation) is skipped when its output exists, so an
interrupted run resumes where it stopped (``_cells.py``; the datasets and models are shared with
``generalization.py``). The table goes to ``<runs>/levers.md`` and stdout.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _cells import LEVERS, STEPS, TASK_SEED, dataset, env_dir, evaluated, last_validation, rates, trained

FACTORS = ("default", "train")
TASK_SPLITS = ("train", "train+ood-visual", "train+ood-geometric", "train+ood-physical")


def cell(args, factors: str, lever: str) -> dict:
    root = env_dir(args.runs, args.env)
    data = dataset(root, args.env, factors, args.episodes)
    run = trained(root, data, lever, factors, args.steps)
    out = {"monitor": last_validation(run)}
    evals = {"offset": ["protocol=offset"]}
    evals.update({f"task {s}": ["protocol=task", f"factors={s}", f"seed={TASK_SEED}"] for s in TASK_SPLITS})
    for name, argv in evals.items():
        res = evaluated(
            run, name.replace(" ", "_").replace("+", "-"), [f"episodes={args.tasks}", "policies=[mpc]", *argv]
        )
        out[name] = rates(res)["mpc"]
    return out


def table(results: dict) -> str:
    cols = ["offset", *(f"task {s}" for s in TASK_SPLITS)]
    head = "| lever | factors | probe R² | motion | collapse | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (5 + len(cols))]
    for key, r in results.items():
        lever, factors, *steps = key.split("/")
        lever = " ".join([lever, *steps])
        m = r["monitor"]

        def fmt(v, spec=".3f"):
            return "–" if v is None or v != v else format(v, spec)

        cells = [f"{100 * r[c]['success']:.0f}%" if c in r else "–" for c in cols]
        lines.append(f"| {lever} | {factors} | {fmt(m['val_probe_r2'])} | {fmt(m['val_motion'], '.4f')} | "
                     f"{fmt(m['collapse'], '.0f')} | " + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default="worldjepa/TwoRoom-v0")
    p.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    p.add_argument("--factors", nargs="+", default=list(FACTORS), choices=FACTORS)
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--tasks", type=int, default=30)
    p.add_argument("--runs", type=Path, default=Path("runs/generalization"))
    args = p.parse_args()
    results_path = args.runs / "levers.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for lever in args.levers:
        for factors in args.factors:
            key = f"{lever}/{factors}" + ("" if args.steps == STEPS else f"/{args.steps} steps")
            results[key] = cell(args, factors, lever)
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(results, indent=2))
    text = table(results)
    (args.runs / "levers.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
