"""`worldjepa collect`: record rollouts into a Lance dataset."""

from worldjepa.collect import CollectConfig, collect
from worldjepa.config import compose, to_dataclass


def main(overrides: list[str]) -> int:
    collect(to_dataclass(CollectConfig, compose("collect", overrides), "collect config"))
    return 0
