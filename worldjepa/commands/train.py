"""`worldjepa train`: train a world model from a recorded dataset."""

from __future__ import annotations


def prepare(overrides: list[str]) -> list[str]:
    """``--resume`` continues the run in ``out``: its recipe and dataset come from its checkpoint,
    and the overrides given change only what they name (a recipe key that differs is refused)."""
    from worldjepa.checkpoint import has_training_state, read_checkpoint_files
    from worldjepa.config import compose
    from worldjepa.run_dir import last_checkpoint
    from worldjepa.training.resume import checkpoint_overrides

    if "resume=true" not in overrides:
        return overrides
    ckpt = last_checkpoint(compose("train", overrides).out)
    if ckpt is None or not has_training_state(ckpt):
        return overrides  # the trainer says there is nothing to resume
    saved, preprocess = read_checkpoint_files(ckpt)
    return [*checkpoint_overrides(saved, preprocess), *overrides]


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.training.trainer import train

    return train(cfg)
