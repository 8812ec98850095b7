"""`worldjepa probe`: linear / MLP probes of a checkpoint's latents for physical quantities."""


def main(cfg):
    """-> what the library function returns (the CLI exits 0; a sweep summarises it)."""
    from worldjepa.probes.probe import run_probe

    return run_probe(cfg)
