"""`worldjepa eval`: plan with a checkpoint on held-out start/goal pairs."""


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.evaluation.evaluate import evaluate

    return evaluate(cfg)
