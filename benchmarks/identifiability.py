"""Identifiability: does a SIGReg-trained JEPA recover a Gaussian latent up to a linear map?

    python benchmarks/identifiability.py [--out runs/identifiability] [--episodes 300] [--steps 2500]
        [--sigreg 0.09 0] [--tabulate-only]

1. Records ``--episodes`` random-action episodes of worldjepa/GaussLatent-v0 (hidden s (4,)
   with linear-Gaussian dynamics, rendered through a fixed nonlinear blob map).
2. Trains the default world model (the quickstart recipe, frameskip 1: the world's own time
   step) once per SIGReg weight in ``--sigreg`` (0 = no SIGReg: prediction loss alone, which
   nothing stops from collapsing).
3. Probes each checkpoint's frozen latent z (and the encoder's features) for s with ridge
   regression, fit on training episodes, scored on held-out ones (``worldjepa probe``).

Prints and writes ``<out>/table.md`` and ``<out>/results.json``: held-out R² per latent
coordinate, mean and min, per SIGReg weight; the probe plots sit in ``<out>/<run>/probe/``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ENV_ID = "worldjepa/GaussLatent-v0"


def run_name(weight: float) -> str:
    return f"sigreg{weight:g}"


def collect(out: Path, episodes: int) -> Path:
    from worldjepa.cli import main as cli

    data = out / "data"
    if not (data / "episodes.lance").exists():
        assert (
            cli(
                [
                    "collect",
                    f"env={ENV_ID}",
                    f"episodes={episodes}",
                    "policy=random",
                    "num_envs=2",
                    f"out={data}",
                ]
            )
            == 0
        )
    return data


def train_and_probe(out: Path, data: Path, weight: float, steps: int) -> dict:
    from worldjepa.checkpoint import has_training_state
    from worldjepa.cli import main as cli
    from worldjepa.probes import ProbeConfig, run_probe

    run = out / run_name(weight)
    if not (run / "checkpoint" / "model.safetensors").exists() or _step(run) < steps:
        args = ["train", f"data.path={data}", f"out={run}", "data.frameskip=1", f"steps={steps}",
                f"loss.sigreg_weight={weight}"]  # fmt: skip
        resume = has_training_state(run / "checkpoint")
        assert cli([*args, *(["--resume"] if resume else [])]) == 0
    res = run_probe(ProbeConfig(checkpoint=str(run), features=["model", "encoder", "random", "pixels"],
                                probes=["linear"], stride=2, out=str(run / "probe")))  # fmt: skip
    return {"sigreg_weight": weight, "results": res["results"]}


def _step(run: Path) -> int:
    pre = run / "checkpoint" / "preprocess.json"
    return json.loads(pre.read_text()).get("step", 0) if pre.exists() else 0


def table(rows: list[dict]) -> str:
    lines = [
        "| training | features | R² per latent coordinate (held-out) | mean | min |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        label = "no SIGReg (λ=0)" if row["sigreg_weight"] == 0 else f"SIGReg λ={row['sigreg_weight']:g}"
        for feat in dict.fromkeys(r["features"] for r in row["results"]):
            r2 = [r["r2"] for r in row["results"] if r["features"] == feat]
            per = ", ".join(f"{v:.3f}" for v in r2)
            lines.append(f"| {label} | {feat} | {per} | {sum(r2) / len(r2):.3f} | {min(r2):.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/identifiability"))
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--sigreg", type=float, nargs="+", default=[0.09, 0.0])
    parser.add_argument("--tabulate-only", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.json"
    if args.tabulate_only:
        rows = json.loads(results.read_text())
    else:
        data = collect(args.out, args.episodes)
        rows = [train_and_probe(args.out, data, w, args.steps) for w in args.sigreg]
        results.write_text(json.dumps(rows, indent=1))
    md = table(rows)
    (args.out / "table.md").write_text(md + "\n")
    print("\n" + md)


if __name__ == "__main__":
    main()
