"""`worldjepa surprise`: predictor error at injected violations (teleport, colour, physics)."""

from worldjepa.config import compose, to_dataclass
from worldjepa.probes.surprise import SurpriseConfig


def main(overrides: list[str]) -> int:
    from worldjepa.probes.surprise import run_surprise

    run_surprise(to_dataclass(SurpriseConfig, compose("surprise", overrides), "surprise config"))
    return 0
