"""What makes an env plan (PushT, Cube, Reacher): one quickstart run per lever, each a cell.

    python benchmarks/env_levers.py [--envs worldjepa/PushT-v0 ...] [--levers base long ...]
        [--plans H12 terminal ...] [--runs runs/levers] [--tabulate-only]

Each lever is a set of ``worldjepa quickstart`` overrides (data, recipe, training length,
planner). ``base`` is the env's preset (``worldjepa.commands.env_presets``) alone; every other
lever is measured against quickstart's own defaults, so a key the env's preset sets and the
lever does not is pinned to its default (a lever means the same before and after a preset is
registered). Each runs into
``<runs>/<env>/<lever>``; quickstart resumes each stage, so a killed run
continues where it stopped, and a finished one is only read. The evaluation is quickstart's:
offset protocol, 50 held-out episodes, MPC beside random, no-op and the scripted expert. The
table (MPC success with CI95, the baselines, training minutes from the run's metrics) goes to
``<runs>/levers.md``.

Each lever's own tasks come from its own held-out episodes, so levers that record other data
are also planned on common tasks: one extra dataset per env (``<runs>/<env>/_common-tasks``, 80
episodes of the env's default expert at another seed, unseen by every lever), the same 50 tasks
for every model (columns ``common``).

Planner settings need no retraining: ``--plans H12 terminal ...`` plans each selected lever's
finished model once more on the common tasks per setting (MPC only, into
``<model>/eval-common@<plan>``), tabulated in ``<runs>/plans.md`` beside the default planner's row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ENVS = ("worldjepa/PushT-v0", "worldjepa/Cube-v0", "worldjepa/Reacher-v0")
POLICIES = "policies=[mpc,random,noop,expert]"  # eval's key; quickstart's is eval.policies
LEVERS: dict[str, list[str]] = {
    "base": [],  # quickstart's defaults (and the env's preset): 300 episodes, 800 steps, lewm
    "lewm": ["train.recipe=lewm"],  # the defaults without the env's preset recipe
    "ema": ["train.recipe=ema"],
    "long+ema": ["train.steps=4000", "train.recipe=ema"],
    "long+data+ema": ["collect.episodes=1000", "train.steps=4000", "train.recipe=ema"],
    "k3": ["train.recipe=lewm", "train.loss.rollout_steps=3"],
    "long": ["train.steps=4000", "train.recipe=lewm"],
    "long+data": ["collect.episodes=1000", "train.steps=4000", "train.recipe=lewm"],
    "long+data+k3": [
        "collect.episodes=1000",
        "train.steps=4000",
        "train.recipe=lewm",
        "train.loss.rollout_steps=3",
    ],
    "long+data+pldm": ["collect.episodes=1000", "train.steps=4000", "train.recipe=pldm"],
    # CEM's candidates push in ways an expert never does: noisier experts show more of them
    "long+data+noise": [
        "collect.episodes=1000",
        "collect.policy_kwargs={noise:0.5}",
        "train.steps=4000",
        "train.recipe=lewm",
    ],
    # the most data and training that fit the 60 training minutes on this machine
    "xlong+xdata": ["collect.episodes=3000", "train.steps=8000", "train.recipe=lewm"],
}

# Eval-only: the MPC settings (worldjepa.planners.config) a trained lever is planned with.
BIG_CEM = ["planner.num_samples=128", "planner.num_iters=10", "planner.num_elites=16"]
PLANS: dict[str, list[str]] = {
    "H5": ["horizon=5"],
    "H12": ["horizon=12"],
    "terminal": ["cost=terminal"],  # LeWM's: only the plan's last latent against the goal
    "cem128x10": BIG_CEM,
    "H12+cem128x10": ["horizon=12", *BIG_CEM],
    "icem": ["planner=icem"],
    "mppi": ["planner=mppi"],
}


def run_dir(runs: Path, env_id: str, lever: str) -> Path:
    return runs / env_id.split("/")[-1].lower() / lever


COMMON_EPISODES, COMMON_SEED = 80, 7


def worldjepa(*argv: str) -> None:
    print("$ worldjepa", " ".join(argv), flush=True)
    subprocess.run([sys.executable, "-m", "worldjepa", *argv], check=True)


def overrides(env_id: str, lever: str) -> list[str]:
    """The lever's overrides, plus quickstart's default for each key of the env's preset it leaves."""
    from functools import reduce

    from worldjepa.commands.env_presets import ENV_PRESETS
    from worldjepa.config.composer import compose, override_value

    given = LEVERS[lever]
    if lever == "base" or env_id not in ENV_PRESETS:
        return given
    defaults, named = compose("quickstart", []), {o.split("=", 1)[0] for o in given}
    pinned = [f"{key}={override_value(reduce(getattr, key.split('.'), defaults))}"
              for key in ENV_PRESETS.get(env_id) if key not in named]  # fmt: skip
    return [*given, *pinned]


def run(runs: Path, env_id: str, lever: str) -> None:
    """The lever's quickstart (its own tasks), then its model planned on the env's common tasks."""
    out = run_dir(runs, env_id, lever)
    if not (out / "model" / "eval" / "results.json").exists():
        worldjepa(
            "quickstart",
            f"out_dir={out}",
            f"collect.env={env_id}",
            f"eval.{POLICIES}",
            *overrides(env_id, lever),
        )
    common = out.parent / "_common-tasks"
    if not (common / "stats.json").exists():  # written once the dataset is complete
        worldjepa("collect", f"env={env_id}", f"episodes={COMMON_EPISODES}", f"seed={COMMON_SEED}",
                  f"out={common}", "num_envs=2", "mode=overwrite")  # fmt: skip
    if not (out / "model" / "eval-common" / "results.json").exists():
        worldjepa(
            "eval",
            f"checkpoint={out / 'model'}",
            f"data={common}",
            POLICIES,
            f"out={out / 'model' / 'eval-common'}",
        )


def plan(runs: Path, env_id: str, lever: str, name: str) -> None:
    """The lever's finished model planned once more on the common tasks, with plan ``name``."""
    out = run_dir(runs, env_id, lever)
    dest = out / "model" / f"eval-common@{name}"
    if not (out / "model" / "eval" / "results.json").exists() or (dest / "results.json").exists():
        return
    common = out.parent / "_common-tasks"
    worldjepa("eval", f"checkpoint={out / 'model'}", f"data={common}", "policies=[mpc]", f"out={dest}",
              *PLANS[name])  # fmt: skip


def write_plans_table(runs: Path) -> None:
    """Every planned setting so far, beside its model's default planner, into ``<runs>/plans.md``."""
    lines = [
        "| env | lever | plan | overrides | common: mpc | plan s/step |",
        "|---|---|---|---|---|---|",
    ]
    for env_dir in sorted(p for p in runs.iterdir() if p.is_dir()):
        for lever in LEVERS:
            model = env_dir / lever / "model"
            if not any(model.glob("eval-common@*")):
                continue
            for name, given in {"default": [], **PLANS}.items():
                found = read_summary(model / ("eval-common" if name == "default" else f"eval-common@{name}")
                                     / "results.json")  # fmt: skip
                if not found or "mpc" not in found:
                    continue
                mpc = found["mpc"]
                per_step = mpc.get("time_per_step_s")
                lines.append(f"| {env_dir.name} | {lever} | **{name}** | `{' '.join(given) or '(quickstart)'}` | "
                             f"{pct(mpc)} | {'–' if per_step is None else f'{per_step:.2f}'} |")  # fmt: skip
    (runs / "plans.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)


def train_minutes(out: Path) -> float | None:
    """Training time from the run's log: the steps over the logged steps/s (validation excluded)."""
    from worldjepa.training.logger import read_metrics

    m = read_metrics(out / "model" / "metrics.csv")
    steps, rate = m.get("step", []), m.get("steps_per_s", [])
    pairs = [(s, r) for s, r in zip(steps, rate, strict=False) if r == r and r > 0]
    if not pairs:
        return None
    seconds, prev = 0.0, 0.0
    for s, r in pairs:
        seconds, prev = seconds + (s - prev) / r, s
    return seconds / 60


def read_summary(path: Path) -> dict[str, dict] | None:
    """An eval's results.json -> {policy: its summary}, or None before it is written."""
    if not path.exists():
        return None
    return {s["policy"]: s for s in json.loads(path.read_text())["summary"]}


def pct(s: dict) -> str:
    lo, hi = s["ci95"]
    return f"{100 * s['success_rate']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=list(ENVS))
    p.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    p.add_argument("--runs", type=Path, default=Path("runs/levers"))
    p.add_argument(
        "--plans",
        nargs="*",
        default=[],
        choices=list(PLANS),
        help="planner settings to plan each lever's finished model with (no retraining)",
    )
    p.add_argument("--tabulate-only", action="store_true")
    args = p.parse_args()
    lines = [
        "| env | lever | overrides | mpc | random | noop | expert | common: mpc | common: random | train min |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for env_id in args.envs:
        for lever in args.levers:
            if not args.tabulate_only:
                run(args.runs, env_id, lever)
            write_table(args.runs, lines)
            for name in args.plans:
                if not args.tabulate_only:
                    plan(args.runs, env_id, lever, name)
                write_plans_table(args.runs)


def write_table(runs: Path, header: list[str]) -> None:
    """Every lever cell finished so far, of every env, into ``<runs>/levers.md``."""
    runs.mkdir(parents=True, exist_ok=True)
    lines = list(header)
    for env_dir in sorted(p for p in runs.iterdir() if p.is_dir()):
        for lever, overrides in LEVERS.items():
            out = env_dir / lever
            own, common = (
                read_summary(out / "model" / name / "results.json") for name in ("eval", "eval-common")
            )
            if own is None:
                continue
            minutes = train_minutes(out)
            cells = " | ".join(pct(own[k]) if k in own else "–" for k in ("mpc", "random", "noop", "expert"))
            cells += " | " + " | ".join(
                pct(common[k]) if common and k in common else "–" for k in ("mpc", "random")
            )
            lines.append(f"| {env_dir.name} | **{lever}** | `{' '.join(overrides) or '(the preset)'}` | {cells} | "
                         f"{'–' if minutes is None else f'{minutes:.1f}'} |")  # fmt: skip
    (runs / "levers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
