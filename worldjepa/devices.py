"""``device=`` for every command: ``auto`` picks cuda, else mps, else cpu; an unavailable device
is a one-line ConfigError that says what this torch build has."""

from __future__ import annotations

from worldjepa.errors import ConfigError


def resolve_device(name: str, key: str = "device"):
    """'auto' | 'cpu' | 'cuda' | 'cuda:N' | 'mps' -> torch.device, checked against this machine."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"{key}={name}: unknown device; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = (
                "a CPU-only build"
                if torch.version.cuda is None
                else f"CUDA {torch.version.cuda}, but no GPU is visible"
            )
            raise ConfigError(
                f"{key}={name}: this torch ({torch.__version__}) is {build}; use {key}=cpu or {key}=auto"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"{key}={name}: only {torch.cuda.device_count()} CUDA device(s) are visible")
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError(
                f"{key}={name}: MPS is not available on this machine; use {key}=cpu or {key}=auto"
            )
    elif device.type != "cpu":
        raise ConfigError(f"{key}={name}: unsupported device type; use auto, cpu, cuda, cuda:N or mps")
    return device
