"""`worldjepa surprise`: predictor error at injected violations (teleport, colour, physics)."""


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.probes.surprise import run_surprise

    return run_surprise(cfg)
