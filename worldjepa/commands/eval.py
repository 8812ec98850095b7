"""`worldjepa eval`: plan with a checkpoint on held-out start/goal pairs."""

from worldjepa.config import compose, to_dataclass
from worldjepa.evaluation.evaluate import EvalConfig


def main(overrides: list[str]) -> int:
    from worldjepa.evaluation.evaluate import evaluate

    evaluate(to_dataclass(EvalConfig, compose("eval", overrides), "eval config"))
    return 0
