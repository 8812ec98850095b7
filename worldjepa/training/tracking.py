"""Experiment trackers beside metrics.csv (which is always written): ``logger=csv|tensorboard|wandb``.

- ``tensorboard``: event files in ``<out>/tensorboard`` through ``torch.utils.tensorboard``
  (``pip install 'worldjepa[tensorboard]'``); ``tensorboard --logdir <out>``.
- ``wandb``: an offline run in ``<out>/wandb`` (``pip install 'worldjepa[wandb]'``); nothing is
  sent anywhere, ``wandb sync <out>/wandb/offline-run-*`` uploads it later if you want.

Each gets the resolved config and the run's provenance (git commit, world size, global batch)
when it starts, and every metrics row after that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worldjepa.errors import ConfigError
from worldjepa.registry import Registry

TRACKERS: Registry[type] = Registry("logger")


def _require(module: str, extra: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"logger={extra} needs the {extra} package: pip install 'worldjepa[{extra}]' (or use logger=csv)"
        ) from None


def _numbers(row: dict) -> dict[str, float]:
    return {k: float(v) for k, v in row.items() if k != "step" and isinstance(v, (int, float))}


@TRACKERS.register("csv")
class CsvOnly:
    """metrics.csv alone (the logger always writes it)."""

    def __init__(self, out: Path, config: dict[str, Any], run: dict[str, Any]):
        pass

    def log(self, row: dict) -> None:
        pass

    def close(self) -> None:
        pass


@TRACKERS.register("tensorboard")
class TensorBoard:
    def __init__(self, out: Path, config: dict[str, Any], run: dict[str, Any]):
        _require("tensorboard", "tensorboard")
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(Path(out) / "tensorboard"), purge_step=run.get("start_step"))
        text = "```\n" + json.dumps({"run": run, "config": config}, indent=2, default=str) + "\n```"
        self.writer.add_text("config", text, global_step=run.get("start_step") or 0)

    def log(self, row: dict) -> None:
        for key, value in _numbers(row).items():
            self.writer.add_scalar(key, value, global_step=int(row["step"]))
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


@TRACKERS.register("wandb")
class Wandb:
    def __init__(self, out: Path, config: dict[str, Any], run: dict[str, Any]):
        wandb = _require("wandb", "wandb")
        self.run = wandb.init(
            mode="offline",  # never the network: `wandb sync` later, if wanted
            dir=str(Path(out)),
            project="worldjepa",
            name=Path(out).resolve().name,
            config={**config, "run": run},
            resume="allow" if run.get("start_step") else None,
            id=run.get("run_id"),
            settings=wandb.Settings(silent=True, console="off"),
        )

    def log(self, row: dict) -> None:
        self.run.log(_numbers(row), step=int(row["step"]))

    def close(self) -> None:
        self.run.finish()


def start_tracker(name: str, out: Path, config: dict[str, Any], run: dict[str, Any]):
    """The tracker ``logger=name`` asks for, started on the run in ``out``."""
    return TRACKERS.get(name)(Path(out), config, run)
