"""What the checkpoints' latents encode, and whether their predictors flag violations.

    python benchmarks/probe_suite.py CHECKPOINT [CHECKPOINT ...] [--surprise CHECKPOINT ...]
        [--episodes 50] [--probes linear mlp] [--features model ...] [--out runs/probe_suite]

For every CHECKPOINT: ``worldjepa probe`` (linear and MLP probes on the latent z, the encoder's
features, both from a randomly initialised model, and 8x8 pixels; fit on training episodes,
scored on held-out ones). For every ``--surprise`` checkpoint: ``worldjepa surprise`` on
``--episodes`` held-out episodes (teleport, colour change, physics change at mid-episode).
Writes ``<out>/probe-<env>.md``, ``<out>/surprise-<env>.md`` (+ the JSON and plots beside them)
and prints a summary: the held-out R² of the position quantities per feature set, and the
surprise ROC AUCs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

POSITION_SUFFIXES = ("_x", "_y")  # agent / object / hand / cube positions


def summary(results: list[dict]) -> str:
    """Linear-probe R² of every position quantity, one column per feature set."""
    feats = list(dict.fromkeys(r["features"] for r in results))
    pos = [q for q in dict.fromkeys(r["quantity"] for r in results) if q.endswith(POSITION_SUFFIXES)]
    r2 = {(r["features"], r["quantity"]): r["r2"] for r in results if r["probe"] == "linear"}
    lines = ["| quantity | " + " | ".join(feats) + " |", "|---|" + "---|" * len(feats)]
    lines += [f"| {q} | " + " | ".join(f"{r2[(f, q)]:.3f}" for f in feats) + " |" for q in pos]
    return "\n".join(lines)


def main() -> None:
    from worldjepa.probes import ProbeConfig, run_probe
    from worldjepa.probes.surprise import SurpriseConfig, run_surprise

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="*", default=[])
    parser.add_argument("--surprise", nargs="*", default=[])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--probes", nargs="+", default=None, help="probe kinds (default: ProbeConfig's)")
    parser.add_argument("--features", nargs="+", default=None, help="feature sets (default: ProbeConfig's)")
    parser.add_argument("--out", type=Path, default=Path("runs/probe_suite"))
    args = parser.parse_args()
    report = []
    for ckpt in args.checkpoints:
        tag = "-".join(Path(ckpt).resolve().parts[-2:])  # e.g. pusht-model
        chosen = {k: v for k, v in (("probes", args.probes), ("features", args.features)) if v}
        res = run_probe(ProbeConfig(checkpoint=ckpt, out=str(args.out / f"probe-{tag}"), **chosen))
        report.append(
            f"### {res['title']}\n\nlinear probes, position quantities:\n\n{summary(res['results'])}\n"
        )
    for ckpt in args.surprise:
        tag = "-".join(Path(ckpt).resolve().parts[-2:])  # e.g. pusht-model
        res = run_surprise(
            SurpriseConfig(checkpoint=ckpt, episodes=args.episodes, out=str(args.out / f"surprise-{tag}"))
        )
        report.append(f"### {res['title']}\n\n{res['table']}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text("\n".join(report))
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    main()
