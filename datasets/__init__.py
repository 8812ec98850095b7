"""Lance data layer for recorded rollouts: write episodes, read them back, batch training windows.

    from worldjepa.datasets import DatasetWriter, open_dataset, WindowDataset, make_loader

Names are resolved lazily so that ``import worldjepa.datasets`` imports neither torch nor lance.
"""

from __future__ import annotations

from worldjepa.lazy import lazy_exports

# public name -> submodule that defines it
_EXPORTS = {
    "DatasetWriter": "writer",
    "RolloutDataset": "reader",
    "open_dataset": "reader",
    "WindowDataset": "windows",
    "make_loader": "loader",
    "ThreadLoader": "loader",
    "infinite_batches": "loader",
    "split_episodes": "windows",
    "recompute_stats": "stats",
    "read_stats": "stats",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
