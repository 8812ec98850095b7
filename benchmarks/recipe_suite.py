"""Recipes side by side: recipe x env on the same data with the same training budget.

    python benchmarks/recipe_suite.py [--envs worldjepa/PushT-v0 ...] [--recipes lewm pldm ema none lewm+k3]
        [--episodes 300] [--steps 800] [--tasks 50] [--amp none bf16] [--runs runs/recipes]
        [--tabulate-only]

Per env, one dataset of ``--episodes`` expert episodes (default factors). Per recipe, one
model trained ``--steps`` on it with the quickstart preset's learning rate and
``worldjepa train recipe=<name>`` (``<name>+k<k>`` adds ``loss.rollout_steps=k``). Per model:

- offset-protocol MPC success with CI95 on ``--tasks`` held-out episodes, once per planning
  precision in ``--amp`` (``none``: float32, ``bf16``: autocast), beside the random, no-op and
  scripted expert rows of the same tasks;
- the held-out linear-probe R² of the agent's and the object's positions (``worldjepa probe``);
- the held-out rollout error over the training window relative to the latent's variance
  (``val_rollout_rel`` of the last validation: comparable across latents of different scales);
- training minutes (wall clock of the ``worldjepa train`` commands; the machine is shared with
  nothing else while the suite runs).

Every cell (dataset, model, evaluation, probe) is skipped when complete and a killed training
resumes from its checkpoint, so an interrupted suite continues where it stopped. The table
and bar plot go to ``--docs`` (``docs/recipes/suite.{md,png}``); the numbers to
``<runs>/recipe_suite.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _cells import RECIPE, STEPS, dataset, env_dir, evaluated, rates, worldjepa

ENVS = ("worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0", "worldjepa/PushT-v0", "worldjepa/Cube-v0")
RECIPES = ("lewm", "pldm", "ema", "none")
POLICIES = ("mpc", "random", "noop", "expert")
BASELINES = ("random", "noop", "expert")
# The probed positions: the agent's (what the actions move) and the object's (what it pushes).
POSITIONS = {
    "worldjepa/TwoRoom-v0": {"agent": ("agent_x", "agent_y"), "object": ()},
    "worldjepa/Reacher-v0": {"agent": ("fingertip_x", "fingertip_y"), "object": ()},
    "worldjepa/PushT-v0": {"agent": ("pusher_x", "pusher_y"), "object": ("block_x", "block_y")},
    "worldjepa/Cube-v0": {"agent": ("hand_x", "hand_y", "hand_z"), "object": ("cube_x", "cube_y", "cube_z")},
}
AMP_NAMES = {"none": "float32", "bf16": "bf16"}


def variant_overrides(variant: str) -> list[str]:
    """``pldm`` -> [recipe=pldm]; ``lewm+k3`` -> [recipe=lewm, loss.rollout_steps=3]."""
    recipe, _, k = variant.partition("+k")
    return [f"recipe={recipe}", *([f"loss.rollout_steps={int(k)}"] if k else [])]


def run_name(variant: str, steps: int) -> str:
    return variant + ("" if steps == STEPS else f"-{steps}steps")


def run_dir(runs: Path, env_id: str, variant: str, steps: int) -> Path:
    return env_dir(runs, env_id) / run_name(variant, steps)


def trained(root: Path, data: Path, variant: str, steps: int) -> tuple[Path, float]:
    """-> (the run dir, its training minutes, summed over resumed segments)."""
    from worldjepa.run_dir import saved_steps

    run = root / run_name(variant, steps)
    clock = run / "train_minutes.json"
    minutes = json.loads(clock.read_text())["minutes"] if clock.exists() else 0.0
    saved = saved_steps(run) if run.exists() else []
    if steps not in saved:
        t0 = time.perf_counter()
        worldjepa("train", f"data.path={data}", f"out={run}", f"steps={steps}", *RECIPE, *variant_overrides(variant),
                  *(["--resume"] if saved else []))  # fmt: skip
        minutes += (time.perf_counter() - t0) / 60
        clock.write_text(json.dumps({"minutes": minutes}))
    return run, minutes


def probed(run: Path, env_id: str) -> dict:
    """-> {agent, object}: mean held-out linear-probe R² of those positions (None: none)."""
    dest = run / "probe-positions"
    if not (dest / "results.json").exists():
        worldjepa("probe", f"checkpoint={run}", "features=[model]", "probes=[linear]", "factor_kinds=[]",
                  f"out={dest}")  # fmt: skip
    r2 = {r["quantity"]: r["r2"] for r in json.loads((dest / "results.json").read_text())["results"]}
    return {part: (sum(r2[q] for q in names) / len(names) if names else None)
            for part, names in POSITIONS[env_id].items()}  # fmt: skip


def rollout_rel(run: Path) -> float | None:
    from worldjepa.training.logger import read_metrics

    col = read_metrics(run / "metrics.csv").get("val_rollout_rel", [])
    got = [v for v in col if v == v]
    return got[-1] if got else None


def model_cells(args, env_id: str, variant: str) -> dict:
    root = env_dir(args.runs, env_id)
    data = dataset(root, env_id, "default", args.episodes)
    run, minutes = trained(root, data, variant, args.steps)
    out = {"train_minutes": minutes, "rollout_rel": rollout_rel(run), "probe": probed(run, env_id), "mpc": {}}
    for amp in args.amp:
        policies = POLICIES if amp == args.amp[0] else ("mpc",)  # the baselines do not plan
        got = rates(evaluated(run, f"recipes-offset-{amp}-{args.tasks}",
                              ["protocol=offset", f"episodes={args.tasks}", f"policies=[{','.join(policies)}]",
                               f"amp={amp}"]))  # fmt: skip
        out["mpc"][amp] = got["mpc"]
        out.update({b: got[b] for b in BASELINES if b in got})
    return out


def pct(r: dict | None) -> str:
    if not r:
        return "–"
    lo, hi = r["ci95"]
    return f"{100 * r['success']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def num(v: float | None, fmt: str = "{:.2f}") -> str:
    return "–" if v is None else fmt.format(v)


def table(results: dict, amps: list[str]) -> str:
    heads = [f"MPC {AMP_NAMES[a]}" for a in amps]
    lines = [f"| env | recipe | {' | '.join(heads)} | probe R² agent | probe R² object | rollout err (rel) | train min |",
             "|" + "---|" * (6 + len(amps))]  # fmt: skip
    for env_id, env in results.items():
        for variant, m in env.items():
            lines.append(f"| {env_id.split('/')[-1]} | **{variant}** | "
                         + " | ".join(pct(m["mpc"].get(a)) for a in amps)
                         + f" | {num(m['probe']['agent'])} | {num(m['probe']['object'])} | {num(m['rollout_rel'], '{:.3f}')}"
                         f" | {m['train_minutes']:.1f} |")  # fmt: skip
        first = next(iter(env.values()), {})
        for b in BASELINES:
            if b in first:
                lines.append(f"| | {b} | {pct(first[b])} |" + " |" * (len(amps) + 3))
    return "\n".join(lines)


def plot(results: dict, amps: list[str], path: Path) -> Path:
    """One group per env, one bar per recipe (first precision in ``amps``) with its CI95; the
    expert's and random's success on the same tasks as horizontal ticks."""
    import numpy as np

    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()
    envs = list(results)
    found = list(dict.fromkeys(v for env in results.values() for v in env))
    variants = [v for v in RECIPES if v in found] + [v for v in found if v not in RECIPES]
    fig, ax = plt.subplots(figsize=(max(6, 1.9 * len(envs)), 3.6))
    width = 0.8 / max(1, len(variants))
    for k, variant in enumerate(variants):
        ms = [results[e].get(variant, {}).get("mpc", {}).get(amps[0]) for e in envs]
        x = np.arange(len(envs)) + (k - (len(variants) - 1) / 2) * width
        y = np.array([100 * m["success"] if m else np.nan for m in ms])
        err = np.array([[100 * (m["success"] - m["ci95"][0]), 100 * (m["ci95"][1] - m["success"])] if m else [0, 0]
                        for m in ms]).T  # fmt: skip
        ax.bar(x, y, width, yerr=err, capsize=2, label=variant)
    for i, e in enumerate(envs):
        first = next(iter(results[e].values()), {})
        for b, style in (("expert", "k-"), ("random", "k:")):
            if b in first:
                ax.plot([i - 0.45, i + 0.45], [100 * first[b]["success"]] * 2, style, lw=1,
                        label=b if i == 0 else None)  # fmt: skip
    ax.set_xticks(np.arange(len(envs)), [e.split("/")[-1] for e in envs])
    ax.set_ylabel("MPC success % (offset, CI95)")
    ax.set_ylim(0, 105)
    ax.legend(
        fontsize=7, ncol=len(variants) + 2, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1)
    )
    ax.set_title(f"recipes on the same data and budget ({AMP_NAMES[amps[0]]} planning)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=list(ENVS))
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), help="recipe names, each optionally +k<k>")
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--tasks", type=int, default=50)
    p.add_argument("--amp", nargs="+", default=["none", "bf16"], choices=list(AMP_NAMES))
    p.add_argument("--runs", type=Path, default=Path("runs/recipes"))
    p.add_argument("--docs", type=Path, default=Path("docs/recipes"))
    p.add_argument("--tabulate-only", action="store_true", help="only rewrite the table and plot")
    args = p.parse_args()
    results_path = args.runs / "recipe_suite.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for env_id, env in results.items():  # a cell whose run was deleted is to be run again, not reported
        for variant in [v for v in env if not run_dir(args.runs, env_id, v, args.steps).exists()]:
            del env[variant]
    args.runs.mkdir(parents=True, exist_ok=True)
    args.docs.mkdir(parents=True, exist_ok=True)
    if not args.tabulate_only:
        for env_id in args.envs:
            for variant in args.recipes:
                results.setdefault(env_id, {})[variant] = model_cells(args, env_id, variant)
                results_path.write_text(json.dumps(results, indent=2))
    text = table(results, args.amp)
    (args.docs / "suite.md").write_text(
        f"{args.episodes} expert episodes per env, {args.steps} training steps per recipe, offset protocol on "
        f"{args.tasks} held-out episodes\n\n{text}\n"
    )
    plot(results, args.amp, args.docs / "suite.png")
    print(text, flush=True)


if __name__ == "__main__":
    main()
