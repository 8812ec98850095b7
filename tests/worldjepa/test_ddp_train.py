"""torchrun DDP: 2 gloo ranks at batch B/2 train the same model as 1 process at batch B."""

import csv
import os
import subprocess
import sys

import pytest
from safetensors.torch import load_file
from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.run_dir import last_checkpoint

# BatchNorm in the encoder too (the default is GroupNorm): both kinds must see the global batch.
COMMON = ["steps=20", "log_every=1", "val_every=0", "amp=none", "loss.num_proj=64", "device=cpu",
          *TINY_MODEL, "+model.encoder_kwargs.norm=batch"]  # fmt: skip
# Biases that feed straight into the projector's BatchNorm get zero gradient (the norm removes
# any shift), so Adam moves them by float noise that differs with the reduction order, and the
# norm's running mean follows them; they do not change what the model computes in training.
SHIFT_ONLY = {"encoder.head.bias", "projector.0.bias", "projector.1.running_mean"}


def losses(run) -> list[float]:
    with open(run / "metrics.csv", newline="") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def test_two_gloo_ranks_at_half_batch_match_one_process(run, tmp_path):
    _, data, _, _, _ = run
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", f"data.path={data}", f"out={one}", "data.batch_size=8", *COMMON]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run([*torchrun, "-m", "worldjepa", "train", f"data.path={data}", f"out={two}",
                           "data.batch_size=4", *COMMON], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "global batch 8 (2 ranks x 4)" in done.stderr  # rank 0 speaks for the run...
    assert done.stderr.count("trained 20 steps") == 1  # ...and alone

    a, b = losses(one), losses(two)
    assert len(a) == len(b) == 20
    assert a == pytest.approx(b, rel=1e-4)
    assert len(set(a)) > 15  # it trained: the curve moves

    wa = load_file(last_checkpoint(one) / "model.safetensors")
    wb = load_file(last_checkpoint(two) / "model.safetensors")
    assert wa.keys() == wb.keys()
    for key in sorted(wa.keys() - SHIFT_ONLY):
        assert (wa[key].float() - wb[key].float()).abs().max() < 1e-4, key
    # one run dir, written by rank 0 alone: one checkpoint per save, one metrics file
    assert sorted(p.name for p in (two / "checkpoints").iterdir()) == ["20", "last"]
    assert "global_batch_size: 8" in (last_checkpoint(two) / "config.yaml").read_text()
