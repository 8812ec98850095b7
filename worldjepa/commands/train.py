"""`worldjepa train`: train a world model from a recorded dataset."""

from worldjepa.config import compose, to_dataclass
from worldjepa.training import TrainConfig


def main(overrides: list[str]) -> int:
    from worldjepa.training.trainer import train

    train(to_dataclass(TrainConfig, compose("train", overrides), "train config"))
    return 0
