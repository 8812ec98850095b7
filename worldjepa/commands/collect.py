"""`worldjepa collect`: record rollouts into a Lance dataset."""


def main(cfg) -> int:
    from worldjepa.collect import collect

    collect(cfg)
    return 0
