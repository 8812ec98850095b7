"""`worldjepa train`: train a world model from a recorded dataset."""


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.training.trainer import train

    return train(cfg)
