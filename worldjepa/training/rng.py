"""Every random generator a training run draws from, captured and restored as plain data (a
``worldjepa.serialization`` tree: tensors, arrays, ints), so a resumed run draws what the
uninterrupted one would have."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def capture(generators: dict[str, torch.Generator]) -> dict[str, Any]:
    """-> the states of python's, numpy's and torch's global generators (CPU, and CUDA when
    initialised) and of each named ``generators`` entry."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "generators": {name: g.get_state() for name, g in generators.items()},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore(state: dict[str, Any], generators: dict[str, torch.Generator]) -> None:
    """Undo ``capture``: put every generator back where it was."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(tuple(state["numpy"]))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    for name, g in generators.items():
        if name in state["generators"]:
            g.set_state(state["generators"][name].cpu())
