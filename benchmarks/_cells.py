"""Resumable cells shared by the factor benchmarks: a dataset, a trained model, an evaluation.

Each cell runs one ``worldjepa`` command and is skipped when its output is complete, so a
benchmark killed at any point continues where it stopped when it is run again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from worldjepa.training.recipes import RANDOMIZED, as_overrides

# Each lever: the `worldjepa train` overrides it adds to the quickstart recipe.
# The lever that is recipes.RANDOMIZED: what generalization.py trains its randomized model with.
RANDOMIZED_LEVER = "episode+augment+idm"

LEVERS: dict[str, list[str]] = {
    "plain": [],
    "idm": ["model.idm_hidden=256", "loss.idm_weight=1.0"],
    "episode": ["data.per_episode=4", "loss.regulariser=sigreg_episode"],
    "episode8": ["data.per_episode=8", "loss.regulariser=sigreg_episode"],
    "episode+idm": [
        "data.per_episode=4",
        "loss.regulariser=sigreg_episode",
        "model.idm_hidden=256",
        "loss.idm_weight=1.0",
    ],
    "augment": ["data.augment=[channel_shuffle,color_jitter]"],
    "episode+augment": [
        "data.per_episode=4",
        "loss.regulariser=sigreg_episode",
        "data.augment=[channel_shuffle,color_jitter]",
    ],
    RANDOMIZED_LEVER: as_overrides().split(),  # recipes.RANDOMIZED: the default for randomized data
    # RANDOMIZED with the scene rescaled too, for envs whose camera distance varies (Reacher, PushT)
    "episode+augment+zoom+idm": as_overrides(
        {**RANDOMIZED, "data.augment": [*RANDOMIZED["data.augment"], "zoom"]}
    ).split(),
}
STEPS = 800  # the quickstart preset's; a run of another length gets its own directory
RECIPE = ["optim.lr=0.002"]  # the quickstart preset's training (800 steps at twice the default lr)
TASK_SEED = 100_003  # task-protocol seeds far from the recorded episodes' seeds 0..N-1


def worldjepa(*argv: str) -> None:
    print("$ worldjepa", " ".join(argv), flush=True)
    subprocess.run([sys.executable, "-m", "worldjepa", *argv], check=True)


def env_dir(runs: Path, env_id: str) -> Path:
    return runs / env_id.split("/")[-1].lower()


def dataset(
    root: Path, env_id: str, factors: str, episodes: int, seed: int = 0, name: str | None = None
) -> Path:
    """``episodes`` expert episodes with ``factors`` -> the dataset path (``<root>/data-<factors>``)."""
    data = root / (name or f"data-{factors}")
    done = data.with_name(data.name + ".done")
    if not done.exists():  # append records only the seeds a killed collector had not committed
        worldjepa("collect", f"env={env_id}", f"episodes={episodes}", f"factors={factors}", f"seed={seed}",
                  "num_envs=2", f"out={data}", f"mode={'append' if data.exists() else 'create'}")  # fmt: skip
        done.touch()
    return data


def trained(root: Path, data: Path, lever: str, factors: str, steps: int) -> Path:
    """The quickstart recipe plus ``LEVERS[lever]`` trained ``steps`` on ``data`` -> the run dir."""
    from worldjepa.run_dir import saved_steps

    run = root / (f"{lever}-{factors}" + ("" if steps == STEPS else f"-{steps}steps"))
    saved = saved_steps(run) if run.exists() else []
    if steps not in saved:  # a killed training continues from its last checkpoint
        worldjepa("train", f"data.path={data}", f"out={run}", f"steps={steps}", *RECIPE, *LEVERS[lever],
                  *(["--resume"] if saved else []))  # fmt: skip
    return run


def evaluated(run: Path, name: str, argv: list[str]) -> dict:
    """``worldjepa eval`` of ``run`` into ``<run>/evals/<name>`` -> its results.json."""
    dest = run / "evals" / name
    if not (dest / "results.json").exists():
        worldjepa("eval", f"checkpoint={run}", f"out={dest}", *argv)
    return json.loads((dest / "results.json").read_text())


def rates(results: dict) -> dict:
    """results.json -> {policy: {success, ci95, n}}."""
    return {s["policy"]: {"success": s["success_rate"], "ci95": s["ci95"], "n": s["episodes"]}
            for s in results["summary"]}  # fmt: skip


def last_validation(run: Path) -> dict:
    """The held-out monitors of the run's last validation row."""
    from worldjepa.training.logger import read_metrics

    m = read_metrics(run / "metrics.csv")
    keys = ("val_probe_r2", "val_motion", "collapse", "val_pred_loss", "val_copy_loss")
    rows = [i for i, v in enumerate(m.get("val_pred_loss", [])) if v == v]
    return {k: m[k][rows[-1]] if k in m and rows else None for k in keys}
