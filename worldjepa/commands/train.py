"""`worldjepa train`: train a world model from a recorded dataset."""


def main(cfg) -> int:
    from worldjepa.training.trainer import train

    train(cfg)
    return 0
