"""kill -9 at a random step, then --resume: the run continues exactly as if never interrupted."""

import csv
import os
import random
import signal
import subprocess
import sys
import time

from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.run_dir import saved_steps

STEPS = 200


def read(run) -> list[dict]:
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def rows_logged(path) -> int:
    try:
        return max(0, len(path.read_text().splitlines()) - 1)
    except FileNotFoundError:
        return 0


def test_kill_9_at_a_random_step_then_resume_reproduces_the_uninterrupted_run(run, tmp_path):
    _, data, _, _, _ = run
    train = ["train", f"data.path={data}", "data.batch_size=8", f"steps={STEPS}", "log_every=1", "ckpt_every=7",
             "val_every=25", "keep_last=2", "loss.num_proj=64", "data.num_workers=2", "device=cpu", *TINY_MODEL]  # fmt: skip
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert main([*train, f"out={whole}"]) == 0

    target = random.Random().randint(15, 120)  # a different step each run; printed if it fails
    proc = subprocess.Popen([sys.executable, "-m", "worldjepa", *train, f"out={killed}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while rows_logged(killed / "metrics.csv") < target and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    logged = rows_logged(killed / "metrics.csv")
    assert logged < STEPS, f"the run finished before the kill (target {target})"
    ckpt = saved_steps(killed)[-1]

    assert main([*train, f"out={killed}", "--resume"]) == 0
    a, b = read(whole), read(killed)
    assert [r["step"] for r in b] == [str(s) for s in range(1, STEPS + 1)], (
        f"killed at {logged}, resumed at {ckpt}"
    )
    assert [r["loss"] for r in b] == [r["loss"] for r in a], f"killed at {logged}, resumed at {ckpt}"
    assert [r["val_pred_loss"] for r in b] == [r["val_pred_loss"] for r in a]
    assert saved_steps(killed) == saved_steps(whole) == [196, STEPS]  # keep_last=2
