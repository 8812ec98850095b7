"""Fixtures for tests/worldjepa: one tiny TwoRoom run, recorded and trained once per session."""

import json

import pytest
from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.run_dir import last_checkpoint


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """-> (root, data dir, run dir, preprocess.json after 10 steps, the train command): 8 episodes
    collected, trained 10 steps then resumed to 20. Tests that change the run work on a copy."""
    root = tmp_path_factory.mktemp("pipeline")
    data, out = root / "data", root / "run"
    assert main(["collect", "episodes=8", "image_size=32", f"out={data}", "commit_every=3"]) == 0
    train = [
        "train",
        f"data.path={data}",
        f"out={out}",
        "data.batch_size=8",
        "data.val_fraction=0.25",
        "log_every=5",
        "val_every=10",
        "ckpt_every=10",
        "loss.num_proj=64",
        *TINY_MODEL,
    ]
    assert main([*train, "steps=10"]) == 0
    first = json.loads((last_checkpoint(out) / "preprocess.json").read_text())
    assert main([*train, "steps=20", "--resume"]) == 0
    return root, data, out, first, train
