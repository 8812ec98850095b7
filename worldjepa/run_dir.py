"""A training run's directory, and which checkpoint a path names.

    <out>/checkpoints/<step>/     one complete planning checkpoint per saved step
    <out>/checkpoints/last        -> <step>: the newest complete one (a relative symlink)
    <out>/metrics.csv             one row per logged step (cut back to the checkpoint on resume)
    <out>/config.yaml, run.json   the resolved config; git commit, world size, global batch
    <out>/training_curves.png

``checkpoint=<out>`` means ``<out>/checkpoints/last``; ``checkpoint=<out>/checkpoints/1000``
picks a step. Runs from before the history layout keep one ``<out>/checkpoint/``: they load as
they are, and ``--resume`` continues them into ``checkpoints/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHECKPOINTS, LAST, LEGACY = "checkpoints", "last", "checkpoint"
COMPLETE = "model.safetensors"  # step dirs are renamed into place whole: one with weights is complete


def checkpoints_dir(out: str | Path) -> Path:
    return Path(out) / CHECKPOINTS


def step_dir(out: str | Path, step: int) -> Path:
    return checkpoints_dir(out) / str(int(step))


def saved_steps(out: str | Path) -> list[int]:
    """The steps with a complete checkpoint under ``<out>/checkpoints``, ascending."""
    root = checkpoints_dir(out)
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir()
                  if p.name.isdigit() and not p.is_symlink() and (p / COMPLETE).exists())  # fmt: skip


def last_checkpoint(out: str | Path) -> Path | None:
    """``<out>/checkpoints/last`` (or, if the pointer is missing or broken, the newest complete
    step), else a legacy ``<out>/checkpoint``, else None."""
    last = checkpoints_dir(out) / LAST
    if (last / COMPLETE).exists():
        return last.resolve()  # the step itself: what a record of "which checkpoint" should name
    steps = saved_steps(out)
    if steps:
        return step_dir(out, steps[-1])
    legacy = Path(out) / LEGACY
    return legacy if (legacy / "model.safetensors").exists() else None


def point_last(out: str | Path, step: int) -> None:
    """Make ``checkpoints/last`` point at ``step`` atomically (a crash keeps the older pointer)."""
    root = checkpoints_dir(out)
    tmp = root / f".{LAST}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(str(int(step)), tmp)
    last = root / LAST
    if last.is_dir() and not last.is_symlink():  # a copy that followed the link (shutil.copytree)
        shutil.rmtree(last)
    os.replace(tmp, last)


def prune(out: str | Path, keep_last: int) -> list[int]:
    """Delete all but the newest ``keep_last`` step checkpoints (0: keep all); -> deleted steps.
    The one ``last`` points at is always kept."""
    steps = saved_steps(out)
    if keep_last <= 0 or len(steps) <= keep_last:
        return []
    last = checkpoints_dir(out) / LAST
    pinned = os.readlink(last) if last.is_symlink() else None
    gone = [s for s in steps[:-keep_last] if str(s) != pinned]
    for s in gone:
        shutil.rmtree(step_dir(out, s), ignore_errors=True)
    return gone


def resolve(path: str | Path) -> Path:
    """A run dir, its ``checkpoints/`` dir, or one checkpoint dir -> the checkpoint dir it names
    (``path`` itself when it names none of these, for the caller's error to describe)."""
    path = Path(path)
    if (path / "model.safetensors").exists():
        return path
    if path.name == CHECKPOINTS:
        found = last_checkpoint(path.parent)
        return found if found is not None else path
    found = last_checkpoint(path)
    return found if found is not None else path


def run_of(checkpoint: str | Path) -> Path:
    """The run dir a checkpoint dir belongs to (where eval, probe and surprise write by default)."""
    checkpoint = Path(checkpoint)
    up = checkpoint.parent
    return up.parent if up.name == CHECKPOINTS else up
