"""`worldjepa surprise`: predictor error at injected violations (teleport, colour, physics)."""


def main(cfg) -> int:
    from worldjepa.probes.surprise import run_surprise

    run_surprise(cfg)
    return 0
