"""Training: config dataclasses, the loop, and checkpoint directories."""

from worldjepa.training.config import DataConfig, OptimConfig, TrainConfig

__all__ = ["DataConfig", "OptimConfig", "TrainConfig"]
