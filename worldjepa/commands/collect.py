"""`worldjepa collect`: record rollouts into a Lance dataset."""


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.collection import collect

    return collect(cfg)
