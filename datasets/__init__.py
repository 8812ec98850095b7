"""Lance data layer for recorded rollouts: write episodes, read them back, batch training windows.

    from worldjepa.datasets import DatasetWriter, open_dataset, WindowDataset, make_loader

Names are resolved lazily so that ``import worldjepa.datasets`` imports neither torch nor lance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.lazy import lazy_exports

if TYPE_CHECKING:  # real imports for IDEs and type checkers; at run time names resolve lazily
    from worldjepa.datasets.loader import ThreadLoader, infinite_batches, make_loader  # noqa: F401
    from worldjepa.datasets.reader import RolloutDataset, open_dataset  # noqa: F401
    from worldjepa.datasets.stats import read_stats, recompute_stats  # noqa: F401
    from worldjepa.datasets.windows import WindowDataset, split_episodes  # noqa: F401
    from worldjepa.datasets.writer import DatasetWriter  # noqa: F401

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
