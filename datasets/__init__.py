"""Lance data layer for recorded rollouts: write episodes, read them back, batch training windows.

    from worldjepa.datasets import DatasetWriter, open_dataset, WindowDataset, make_loader

Names are resolved lazily so that ``import worldjepa.datasets`` imports neither torch nor lance.
"""

from __future__ import annotations

import importlib

# public name -> submodule that defines it
_EXPORTS = {
    "DatasetWriter": "writer",
    "RolloutDataset": "reader",
    "open_dataset": "reader",
    "WindowDataset": "windows",
    "make_loader": "windows",
    "infinite_batches": "windows",
    "split_episodes": "windows",
    "recompute_stats": "stats",
    "read_stats": "stats",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'worldjepa.datasets' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
