"""Does an inverse-dynamics term make the latent keep the agent? LeWM recipe vs + IDM, per env.

    python benchmarks/inverse_dynamics.py [--runs runs/suite] [--envs worldjepa/Cube-v0 ...]
        [--idm-weight 0.1] [--idm-hidden 256] [--episodes 20] [--out runs/inverse_dynamics]

Per env, two checkpoints trained on the same data (the expert episodes that
benchmarks/env_planning.py recorded at ``<runs>/<env>/data``) with the same settings:

- ``<runs>/<env>/model``: the LeWM recipe (prediction MSE + 0.09 SIGReg), from env_planning.py;
- ``<runs>/<env>/model_idm``: the same plus ``idm_weight`` x an inverse-dynamics MSE (a head
  reads each action block back from the latents on either side of it), trained here when
  absent: ``worldjepa train data.path=<runs>/<env>/data out=<runs>/<env>/model_idm
  model.idm_hidden=256 loss.idm_weight=0.1``.

For both: ``worldjepa probe`` (linear and MLP probes; the latent z, the encoder's features, the
same two from a random init, 8x8 pixels; fit on training episodes, scored on held-out ones) and
the planner suite's default cell (offset protocol, CEM, ``--episodes`` held-out tasks, seed 0).
Prints and writes ``<out>/summary.md``: held-out R² of the position quantities per feature set,
and MPC success with its 95% interval.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from env_planning import run_dir  # noqa: E402
from planner_suite import cell_eval  # noqa: E402
from probe_suite import summary  # noqa: E402

RECIPES = {"LeWM (pred + 0.09 SIGReg)": "model", "+ inverse dynamics": "model_idm"}


def train_idm(run: Path, weight: float, hidden: int, steps: int = 2500) -> None:
    """Train ``run/model_idm`` on ``run/data`` as quickstart trains ``run/model``: skipped when
    its checkpoint is complete, resumed when it is partial."""
    from worldjepa.commands.quickstart import checkpoint_step

    out = run / "model_idm"
    done = checkpoint_step(out / "checkpoint")
    if done is not None:
        from worldjepa.checkpoint import read_checkpoint_files

        cfg, _ = read_checkpoint_files(out)
        had = (cfg["model"].get("idm_hidden"), cfg["loss"].get("idm_weight"))
        if had != (hidden, weight):
            raise SystemExit(f"{out} was trained with idm_hidden, idm_weight = {had}, not {(hidden, weight)}; "
                             "move it away or pass its settings")  # fmt: skip
        if done >= steps:
            return
    cmd = [sys.executable, "-m", "worldjepa.cli", "train", f"data.path={run / 'data'}", f"out={out}",
           f"steps={steps}", f"model.idm_hidden={hidden}", f"loss.idm_weight={weight}",
           *(["--resume"] if done is not None else [])]  # fmt: skip
    print("$ worldjepa", " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    from worldjepa.probes import ProbeConfig, run_probe

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/suite"))
    parser.add_argument("--envs", nargs="+", default=["worldjepa/Cube-v0", "worldjepa/PushT-v0"])
    parser.add_argument("--idm-weight", type=float, default=0.1)
    parser.add_argument("--idm-hidden", type=int, default=256)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("runs/inverse_dynamics"))
    args = parser.parse_args()
    report = []
    for env_id in args.envs:
        run, name = run_dir(args.runs, env_id), env_id.split("/")[-1]
        if not (run / "model" / "checkpoint").exists():
            print(f"[skip] {env_id}: no checkpoint at {run / 'model'} (run benchmarks/env_planning.py first)")
            continue
        train_idm(run, args.idm_weight, args.idm_hidden)
        plans = []
        for recipe, sub in RECIPES.items():
            res = run_probe(ProbeConfig(checkpoint=str(run / sub), out=str(args.out / name / sub / "probe")))
            report.append(f"### {env_id}, {recipe}\n\n{res['title']}\n\n{summary(res['results'])}\n")
            ev = cell_eval(run / sub, "offset", "none", "cem", args.episodes, 0, args.out / name / sub / "eval",
                           baselines=False)  # fmt: skip
            s = next(s for s in ev["summary"] if s["policy"] == "mpc")
            lo, hi = s["ci95"]
            plans.append(f"| {recipe} | {100 * s['success_rate']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}] |")
        report.append(f"### {env_id}: MPC success (offset protocol, CEM, {args.episodes} held-out tasks, seed 0)\n\n"
                      "| recipe | success [95% CI] |\n|---|---|\n" + "\n".join(plans) + "\n")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text("\n".join(report))
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    main()
