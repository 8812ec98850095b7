"""`worldjepa eval`: plan with a checkpoint on held-out start/goal pairs."""


def main(cfg) -> int:
    from worldjepa.evaluation.evaluate import evaluate

    evaluate(cfg)
    return 0
