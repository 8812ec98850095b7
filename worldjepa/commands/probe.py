"""`worldjepa probe`: linear / MLP probes of a checkpoint's latents for physical quantities."""

from worldjepa.config import compose, to_dataclass
from worldjepa.probes.probe import ProbeConfig


def main(overrides: list[str]) -> int:
    from worldjepa.probes.probe import run_probe

    run_probe(to_dataclass(ProbeConfig, compose("probe", overrides), "probe config"))
    return 0
