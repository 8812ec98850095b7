"""How planning degrades factor group by factor group, for a default-factor and a randomized model.

    python benchmarks/generalization.py [--envs worldjepa/TwoRoom-v0 ...] [--episodes 300]
        [--steps 800] [--tasks 30] [--recipe episode+augment+idm] [--sweep-tasks 20] [--sweep-points 7] [--sweep-models ...]
        [--runs runs/generalization] [--docs docs/generalization]

Per env, two models on the same number of expert episodes, with the quickstart recipe:

- ``default``: trained on default factors (``collect factors=default``, the plain recipe);
- ``randomized``: trained on factors drawn from their train ranges (``collect factors=train``)
  with the lever ``--recipe`` of ``_cells.LEVERS`` (``episode+augment+idm``, i.e.
  ``recipes.RANDOMIZED``: whole-episode batches, the episode-centred SIGReg, colour augmentations
  drawn per episode and the inverse-dynamics term, what ``benchmarks/randomized_recipe.py``
  found pays).

Each is evaluated in distribution (its own factors), with each factor group (visual,
geometric, physical) moved to its OOD range, and with all groups OOD together, under both
protocols, ``--tasks`` tasks per cell, MPC beside random, no-op and the scripted expert:

- offset: ID on the model's own held-out episodes; a shift on a fresh dataset recorded with
  those factors (``collect factors=<split> seed=1``), so every goal is a real reachable frame;
- task: env-sampled starts, goals and factors (``eval protocol=task factors=<split>``).

Then the factor response curves of each model in ``--sweep-models`` (``worldjepa eval sweep=all``,
``--sweep-tasks`` tasks per point). Per env it writes ``<docs>/<env>.md`` (the table),
``<docs>/<env>.png`` (the bars) and ``<docs>/<env>-sweep-<model>.png``. Every cell is skipped
when its output exists (``_cells.py``), so the run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from _cells import LEVERS, RANDOMIZED_LEVER, TASK_SEED, dataset, env_dir, evaluated, rates, trained, worldjepa

ENVS = ("worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0", "worldjepa/PushT-v0", "worldjepa/Cube-v0")
SHIFTS = ("ID", "OOD visual", "OOD geometric", "OOD physical", "all OOD")
POLICIES = ("mpc", "random", "noop", "expert")
OFFSET_BUDGET = 50  # eval's default: goal +25 steps, twice the steps the recording took
# Env-sampled tasks (task protocol, sweeps) need more steps than the offset protocol's goals, 25
# recorded steps away, and a budget the scripted expert cannot finish in measures the budget,
# not the model. PushT and Cube put their goals anywhere on the table: the expert needs ~110
# steps (PushT: 17% of tasks within 100 steps, 63% within 200; Cube: 97% within 200; within 50,
# none). Reacher's weaker OOD actuators slow the arm: its expert reaches 40% of the OOD-physical
# tasks within 50 steps, 93% within 100.
TASK_BUDGET = {"worldjepa/PushT-v0": 200, "worldjepa/Cube-v0": 200, "worldjepa/Reacher-v0": 100}


def task_budget(env_id: str) -> tuple[list[str], str]:
    """The eval overrides of ``env_id``'s task-protocol budget, and the suffix of its cells'
    names (a cell of another budget is another cell) -> (overrides, suffix)."""
    budget = TASK_BUDGET.get(env_id, OFFSET_BUDGET)
    return ([], "") if budget == OFFSET_BUDGET else ([f"budget={budget}"], f"-b{budget}")


def split(base: str, shift: str) -> str:
    """The factor split of ``shift`` for a model trained on ``base`` (default | train)."""
    if shift == "ID":
        return base
    if shift == "all OOD":
        return "ood"
    return f"{base}+ood-{shift.split()[1]}"


def model_cells(args, env_id: str, model: str) -> dict:
    root = env_dir(args.runs, env_id)
    base, lever = ("default", "plain") if model == "default" else ("train", args.recipe)
    run = trained(root, dataset(root, env_id, base, args.episodes), lever, base, args.steps)
    common = [f"episodes={args.tasks}", f"policies=[{','.join(POLICIES)}]"]
    budget, suffix = task_budget(env_id)
    out = {"run": str(run), "cells": {}}
    for shift in SHIFTS:
        factors = split(base, shift)
        tag = factors.replace("+", "-")
        offset = ["protocol=offset"]
        if shift != "ID":  # a fresh dataset with the shifted factors, its own seeds
            offset.append(
                f"data={dataset(root, env_id, factors, args.tasks + 10, seed=1, name=f'eval-{tag}')}"
            )
        out["cells"][f"offset/{shift}"] = rates(evaluated(run, f"gen-offset-{tag}", [*common, *offset]))
        task = ["protocol=task", f"factors={factors}", f"seed={TASK_SEED}", *budget]
        out["cells"][f"task/{shift}"] = rates(evaluated(run, f"gen-task-{tag}{suffix}", [*common, *task]))
    if model in args.sweep_models:
        dest = run / "evals" / f"sweep{suffix}"
        if not (dest / "sweep.png").exists():
            worldjepa("eval", f"checkpoint={run}", f"out={dest}", "sweep=all", f"points={args.sweep_points}",
                      f"episodes={args.sweep_tasks}",
                      "policies=[mpc,random]", f"seed={TASK_SEED}", *budget)  # fmt: skip
        out["sweep"] = str(dest / "sweep.png")
    return out


def fmt(r: dict | None) -> str:
    if r is None:
        return "–"
    lo, hi = r["ci95"]
    return f"{100 * r['success']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def table(env_id: str, models: dict) -> str:
    lines = [f"| model | protocol | policy | {' | '.join(SHIFTS)} | OOD / ID (mpc) |",
             "|" + "---|" * (4 + len(SHIFTS))]  # fmt: skip
    for model, m in models.items():
        for protocol in ("offset", "task"):
            for policy in POLICIES:
                cells = [m["cells"].get(f"{protocol}/{s}", {}).get(policy) for s in SHIFTS]
                ratio = ""
                if policy == "mpc" and cells[0] and cells[0]["success"] > 0:
                    ratio = " / ".join(
                        f"{c['success'] / cells[0]['success']:.2f}" if c else "–" for c in cells[1:]
                    )
                name = f"**{model}**" if policy == "mpc" else ""
                lines.append(
                    f"| {name} | {protocol} | {policy} | "
                    + " | ".join(fmt(c) for c in cells)
                    + f" | {ratio} |"
                )
    return "\n".join(lines)


def plot(env_id: str, models: dict, path: Path) -> Path:
    """Two panels (offset, task): MPC success per shift, a bar per model with its CI95; the
    expert and random success of the same tasks as markers."""
    import numpy as np

    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.7), sharey=True)
    x = np.arange(len(SHIFTS))
    width = 0.8 / max(1, len(models))
    for ax, protocol in zip(axes, ("offset", "task"), strict=True):
        for k, (model, m) in enumerate(models.items()):
            got = [m["cells"].get(f"{protocol}/{s}") for s in SHIFTS]
            pos = x + (k - (len(models) - 1) / 2) * width
            mpc = np.array([100 * g["mpc"]["success"] if g else np.nan for g in got])
            lo = np.array([100 * g["mpc"]["ci95"][0] if g else np.nan for g in got])
            hi = np.array([100 * g["mpc"]["ci95"][1] if g else np.nan for g in got])
            err = np.clip([mpc - lo, hi - mpc], 0, None)  # Wilson bounds round a hair inside 0% / 100%
            ax.bar(pos, mpc, width, yerr=err, capsize=2, label=f"{model} model (MPC)")
            for policy, marker in (("expert", "^"), ("random", "x")):
                ax.scatter(pos, [100 * g[policy]["success"] if g else np.nan for g in got], marker=marker,
                           color="black", s=18, zorder=3, label=policy if k == 0 else None)  # fmt: skip
        ax.set_xticks(x, SHIFTS, fontsize=8)
        ax.set_title(f"{protocol} protocol", fontsize=9)
        ax.set_ylim(0, 105)
    axes[0].set_ylabel("success %")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(f"{env_id}: planning under factor shifts", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=list(ENVS))
    p.add_argument(
        "--models", nargs="+", default=["default", "randomized"], choices=["default", "randomized"]
    )
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--tasks", type=int, default=30)
    p.add_argument(
        "--recipe", default=RANDOMIZED_LEVER, choices=list(LEVERS), help="the randomized model's lever"
    )
    p.add_argument("--sweep-tasks", type=int, default=20)
    p.add_argument("--sweep-points", type=int, default=7, help="values per factor in each sweep")
    p.add_argument(
        "--sweep-models",
        nargs="*",
        default=["default", "randomized"],
        help="the models whose factor response curves are measured (none: no sweeps)",
    )
    p.add_argument("--runs", type=Path, default=Path("runs/generalization"))
    p.add_argument("--docs", type=Path, default=Path("docs/generalization"))
    args = p.parse_args()
    results_path = args.runs / "generalization.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    args.docs.mkdir(parents=True, exist_ok=True)
    for env_id in args.envs:
        env = results.setdefault(env_id, {})
        name = env_id.split("/")[-1].split("-")[0].lower()
        for model in args.models:
            env[model] = model_cells(args, env_id, model)
            results_path.write_text(json.dumps(results, indent=2))
            if "sweep" in env[model]:
                shutil.copy(env[model]["sweep"], args.docs / f"{name}-sweep-{model}.png")
        text = table(env_id, env)
        (args.docs / f"{name}.md").write_text(f"{env_id}, {args.episodes} episodes, {args.steps} steps, "
                                               f"{args.tasks} tasks per cell, task-protocol budget "
                                               f"{TASK_BUDGET.get(env_id, OFFSET_BUDGET)} steps, randomized recipe "
                                               f"`{args.recipe}`\n\n{text}\n")  # fmt: skip
        plot(env_id, env, args.docs / f"{name}.png")
        print(f"\n{env_id}\n{text}", flush=True)


if __name__ == "__main__":
    main()
