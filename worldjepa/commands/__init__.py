"""The CLI's commands: each a module with ``main(cfg)`` and one config dataclass.

``COMMANDS`` is the one table the CLI, ``--help``, the config composer and the sweep launcher
read. Modules and config classes are named by strings and imported when used, so
``worldjepa --help`` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Command:
    module: str  # worldjepa.commands.<module>: main(cfg) -> an exit code, or the command's result
    help: str
    config: str  # "module:Class" of the command's config dataclass
    # Config keys that bare arguments set, in order (comma-separated); "key..." takes the rest
    # as a list: `worldjepa data merge a b out=ab` -> subcommand=merge paths=[a,b].
    positional: str | None = None


COMMANDS: dict[str, Command] = {
    "quickstart": Command("quickstart", "collect -> train -> eval on TwoRoom, sized for a CPU machine",
                          "worldjepa.commands.quickstart:QuickstartConfig"),
    "collect": Command("collect", "record expert/random rollouts of an env into a Lance dataset",
                       "worldjepa.collection:CollectConfig"),
    "train": Command("train", "train a JEPA world model (encoder + AdaLN predictor, SIGReg)",
                     "worldjepa.training.config:TrainConfig"),
    "eval": Command("eval", "plan with a checkpoint (MPC) on held-out start/goal pairs, beside baselines",
                    "worldjepa.evaluation.evaluate:EvalConfig"),
    "probe": Command("probe", "probe a checkpoint's latents for physical quantities (R² vs baselines)",
                     "worldjepa.probes.probe:ProbeConfig"),
    "surprise": Command("surprise", "predictor error at injected violations (teleport, colour, physics): ROC AUC",
                        "worldjepa.probes.surprise:SurpriseConfig"),
    "envs": Command("envs", "list the registered environments", "worldjepa.commands.envs:EnvsConfig"),
    "factors": Command("factors", "print an env's factors of variation", "worldjepa.commands.factors:FactorsConfig",
                       positional="env"),
    "gallery": Command("gallery", "render each env's scene under every factor at OOD (PNG strips)",
                       "worldjepa.commands.gallery:GalleryConfig"),
    "data": Command("data", "inspect | preview | merge | split | compact | import | export | convert datasets",
                    "worldjepa.commands.data:DataCommandConfig", positional="subcommand,paths..."),
}  # fmt: skip


def resolve(target: str) -> Any:
    """'package.module:Attr' -> the object."""
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)
