"""Which lever keeps the agent in the latent when the factors vary across episodes?

    python benchmarks/randomized_recipe.py [--env worldjepa/TwoRoom-v0] [--levers plain idm ...]
        [--episodes 300] [--steps 800] [--tasks 30] [--runs runs/randomized] [--tabulate-only]

One dataset of ``--episodes`` expert episodes with default factors and one with factors drawn
from their train ranges (``collect factors=train``), recorded once. Then, per lever (a row), a
model trained on each with the quickstart recipe plus the lever's overrides, and for each:

- the held-out monitors of its last validation (``val_probe_r2``, ``val_motion``, ``collapse``);
- offset-protocol success on its own held-out episodes (``--tasks`` tasks);
- task-protocol success with the factors in distribution (train ranges) and with each group
  (visual, geometric, physical) moved to its OOD range, ``--tasks`` tasks each.

Every cell (a dataset, a model, an evaluation) is skipped when its output exists, so an
interrupted run resumes where it stopped. The table goes to ``<runs>/table.md`` and stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

# Each lever: the `worldjepa train` overrides it adds to the quickstart recipe.
LEVERS: dict[str, list[str]] = {
    "plain": [],
    "idm": ["model.idm_hidden=256", "loss.idm_weight=1.0"],
    "episode": ["data.per_episode=4", "loss.regulariser=sigreg_episode"],
}
FACTORS = ("default", "train")
TASK_SPLITS = ("train", "train+ood-visual", "train+ood-geometric", "train+ood-physical")
RECIPE = ["optim.lr=0.002"]


def worldjepa(*argv: str) -> None:
    cmd = [sys.executable, "-m", "worldjepa", *argv]
    print("$ worldjepa", " ".join(argv), flush=True)
    subprocess.run(cmd, check=True)


def success(results: Path) -> dict:
    summary = {s["policy"]: s for s in json.loads(results.read_text())["summary"]}
    s = summary["mpc"]
    return {"success": s["success_rate"], "ci95": s["ci95"], "n": s["episodes"]}


def last_validation(run: Path) -> dict:
    from worldjepa.training.logger import read_metrics

    m = read_metrics(run / "metrics.csv")
    keys = ("val_probe_r2", "val_motion", "collapse", "val_pred_loss", "val_copy_loss")
    rows = [i for i, v in enumerate(m.get("val_pred_loss", [])) if v == v]
    return {k: m[k][rows[-1]] if k in m and rows else None for k in keys}


def cell(args, factors: str, lever: str) -> dict:
    root = args.runs / args.env.split("/")[-1].lower()
    data = root / f"data-{factors}"
    done = data.with_name(data.name + ".done")
    if not done.exists():  # append records only the seeds a killed collector had not committed
        worldjepa("collect", f"env={args.env}", f"episodes={args.episodes}", f"factors={factors}",
                  "num_envs=2", f"out={data}", f"mode={'append' if data.exists() else 'create'}")  # fmt: skip
        done.touch()
    run = root / f"{lever}-{factors}"
    from worldjepa.run_dir import saved_steps

    saved = saved_steps(run) if run.exists() else []
    if args.steps not in saved:  # a killed training continues from its last checkpoint
        resume = ["--resume"] if saved else []
        worldjepa(
            "train",
            f"data.path={data}",
            f"out={run}",
            f"steps={args.steps}",
            *RECIPE,
            *LEVERS[lever],
            *resume,
        )
    out = {"monitor": last_validation(run)}
    evals = {"offset": ["protocol=offset"]}
    evals.update({f"task {s}": ["protocol=task", f"factors={s}"] for s in TASK_SPLITS})
    for name, argv in evals.items():
        dest = run / "evals" / name.replace(" ", "_").replace("+", "-")
        if not (dest / "results.json").exists():
            worldjepa(
                "eval", f"checkpoint={run}", f"out={dest}", f"episodes={args.tasks}", "policies=[mpc]", *argv
            )
        out[name] = success(dest / "results.json")
    return out


def table(results: dict) -> str:
    cols = ["offset", *(f"task {s}" for s in TASK_SPLITS)]
    head = "| lever | factors | probe R² | motion | collapse | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (5 + len(cols))]
    for key, r in results.items():
        lever, factors = key.split("/")
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
    p.add_argument("--runs", type=Path, default=Path("runs/randomized"))
    args = p.parse_args()
    results_path = args.runs / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for lever in args.levers:
        for factors in args.factors:
            results[f"{lever}/{factors}"] = cell(args, factors, lever)
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(results, indent=2))
    text = table(results)
    (args.runs / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
