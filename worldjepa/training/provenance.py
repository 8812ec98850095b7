"""Where a run came from: the code's git commit, the versions, the command and the scale it ran
at. Written to ``<out>/run.json`` and given to the experiment trackers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any


def git_commit(path: Path | None = None) -> dict[str, Any]:
    """-> {"commit": sha or None, "dirty": bool or None} of the checkout holding ``path``
    (worldjepa's own source by default; None when it is not a git checkout)."""
    where = str(path or Path(__file__).resolve().parent)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", where, *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def run_info(world_size: int, global_batch: int, start_step: int, run_id: str) -> dict[str, Any]:
    import torch

    from worldjepa import __version__

    return {
        "run_id": run_id,
        "git": git_commit(),
        "worldjepa": __version__,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "command": sys.argv,
        "world_size": world_size,
        "global_batch_size": global_batch,
        "start_step": start_step,
    }
