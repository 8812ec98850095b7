"""Probes: what a world model's latents encode (physical quantities, surprise at violations)."""

from worldjepa.probes.fit import PROBES, scores
from worldjepa.probes.probe import ProbeConfig, run_probe

__all__ = ["PROBES", "ProbeConfig", "run_probe", "scores"]
