"""Fixtures for tests/datasets."""

import pytest
from datasets_synth import write_synthetic


@pytest.fixture
def toy_root(tmp_path):
    """A committed dataset of 4 episodes of lengths 12, 7, 20, 3 (written in two commits)."""
    root = tmp_path / "toy"
    write_synthetic(root, [12, 7, 20, 3], commit_every=2)
    return root
