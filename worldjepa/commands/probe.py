"""`worldjepa probe`: linear / MLP probes of a checkpoint's latents for physical quantities."""


def main(cfg) -> int:
    from worldjepa.probes.probe import run_probe

    run_probe(cfg)
    return 0
