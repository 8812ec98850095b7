"""The recipe for data whose factors vary across episodes, written once.

Measured on TwoRoom with randomized factors (``benchmarks/randomized_recipe.py``): the plain
recipe collapses onto what is constant within an episode; batches of whole episodes with the
episode-centred SIGReg keep the agent in the latent, colour augmentations drawn per episode
make planning indifferent to OOD colours and light, and the inverse-dynamics term lifts
in-distribution planning (offset 90% -> 100%). The collapse warning names these
overrides, and ``worldjepa quickstart collect.factors=train`` applies them.
"""

from __future__ import annotations

import dataclasses
import logging

log = logging.getLogger(__name__)

# dotted TrainConfig key -> value
RANDOMIZED: dict[str, object] = {
    "data.per_episode": 4,
    "loss.regulariser": "sigreg_episode",
    "data.augment": ["channel_shuffle", "color_jitter"],
    "model.idm_hidden": 256,
    "loss.idm_weight": 1.0,
}


def as_overrides(recipe: dict[str, object] = RANDOMIZED) -> str:
    """-> the recipe as CLI overrides, e.g. ``data.per_episode=4 loss.regulariser=sigreg_episode``."""
    fmt = {list: lambda v: "[" + ",".join(map(str, v)) + "]"}
    return " ".join(f"{k}={fmt.get(type(v), str)(v)}" for k, v in recipe.items())


def _default_of(cls, name: str):
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def apply_where_default(cfg, recipe: dict[str, object] = RANDOMIZED) -> dict[str, object]:
    """Set each recipe key of ``cfg`` (a TrainConfig) that still holds its dataclass default; a
    key the user set is left alone. -> {key: value} of the keys set."""
    applied = {}
    for key, value in recipe.items():
        *path, name = key.split(".")
        node = cfg
        for part in path:
            node = getattr(node, part)
        if getattr(node, name) == _default_of(type(node), name) and getattr(node, name) != value:
            setattr(node, name, value)
            applied[key] = value
    return applied
