"""``train nproc=N``: the same training on N local processes, through torchrun.

    worldjepa train nproc=2 ...   ==   torchrun --standalone --nproc_per_node=2 -m worldjepa train ...

For several machines, run torchrun yourself on each (``--nnodes``, ``--node_rank``,
``--rdzv_endpoint``); see the README.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
from pathlib import Path

from worldjepa.errors import TrainingError
from worldjepa.training.config import TrainConfig

log = logging.getLogger(__name__)


def torchrun_command(cfg: TrainConfig) -> list[str]:
    """The torchrun command line that trains ``cfg`` on ``cfg.nproc`` local ranks."""
    from worldjepa.training.resume import as_overrides

    overrides = as_overrides(dataclasses.asdict(cfg))
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={cfg.nproc}",
            "-m", "worldjepa", "train", *overrides]  # fmt: skip


def launch(cfg: TrainConfig) -> Path:
    """Run ``cfg`` under torchrun and wait; -> the run's last checkpoint dir."""
    from worldjepa.run_dir import last_checkpoint

    log.info("launching %d ranks: torchrun --standalone --nproc_per_node=%d -m worldjepa train ...",
             cfg.nproc, cfg.nproc)  # fmt: skip
    done = subprocess.run(torchrun_command(cfg))
    if done.returncode != 0:
        raise TrainingError(
            f"torchrun's {cfg.nproc} ranks exited with {done.returncode}; their output is above"
        )
    last = last_checkpoint(cfg.out)
    if last is None:
        raise TrainingError(f"torchrun's ranks finished but {cfg.out} holds no checkpoint")
    return last
