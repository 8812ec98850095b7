"""Training: config dataclasses, the loop, and checkpoint directories."""

from worldjepa.training.config import DataConfig, LossWeights, OptimConfig, TrainConfig

__all__ = ["DataConfig", "LossWeights", "OptimConfig", "TrainConfig"]
