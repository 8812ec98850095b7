"""Named recipes (``worldjepa train recipe=<name>``), each a set of TrainConfig overrides that
the composer writes before the command's own (so a key the user sets wins):

    lewm        LeWorldModel: prediction + SIGReg, end to end (the defaults)
    pldm        PLDM: VCReg (variance, temporal variance, covariance, at stable-worldmodel's
                PLDM weights) + temporal smoothness 0.2 + our inverse-dynamics head (1.0;
                stable-worldmodel's PLDM config leaves it off)
    ema         an EMA target encoder under stop-gradient (BYOL / I-JEPA), no regulariser
    none        no anti-collapse term: the control whose latent collapses
    randomized  ``RANDOMIZED`` below, for data whose factors vary across episodes

A TrainConfig built in Python with ``recipe=<name>`` gets the recipe where its keys still hold
their defaults (``ensure_applied``, called by ``train``), unless the recipe's first key was set.

``RANDOMIZED``, measured on TwoRoom with randomized factors (``benchmarks/randomized_recipe.py``):
the plain recipe collapses onto what is constant within an episode; batches of whole episodes
with the episode-centred SIGReg keep the agent in the latent, colour augmentations drawn per
episode make planning indifferent to OOD colours and light, and the inverse-dynamics term
lifts in-distribution planning (offset 90% -> 100%). The collapse warning names it, and
``worldjepa quickstart collect.factors=train`` applies it.
"""

from __future__ import annotations

import dataclasses
import logging

from worldjepa.registry import Registry

log = logging.getLogger(__name__)

# dotted TrainConfig key -> value
RANDOMIZED: dict[str, object] = {
    "data.per_episode": 4,
    "loss.regulariser": "sigreg_episode",
    "data.augment": ["channel_shuffle", "color_jitter"],
    "model.idm_hidden": 256,
    "loss.idm_weight": 1.0,
}

RECIPES: Registry[dict[str, object]] = Registry("recipe")
RECIPES.register("lewm")({})
RECIPES.register("pldm")({"loss.regulariser": "vcreg", "loss.smooth_weight": 0.2,
                          "model.idm_hidden": 256, "loss.idm_weight": 1.0})  # fmt: skip
RECIPES.register("ema")({"loss.regulariser": "ema"})
RECIPES.register("none")({"loss.regulariser": "none"})
RECIPES.register("randomized")(RANDOMIZED)


def ensure_applied(cfg) -> dict[str, object]:
    """A TrainConfig whose ``recipe`` was never expanded (built in Python, not composed): its
    recipe's keys that hold their defaults are set, when the recipe's first key still holds its
    default too (otherwise the recipe was applied, or deliberately overridden). -> the keys set."""
    entry = RECIPES.get(cfg.recipe)
    if not entry:
        return {}
    if not _at_default(cfg, next(iter(entry))):
        return {}
    applied = apply_where_default(cfg, entry)
    if applied:
        log.info("recipe=%s: training with %s", cfg.recipe, as_overrides(applied))
    return applied


def as_overrides(recipe: dict[str, object] = RANDOMIZED) -> str:
    """-> the recipe as CLI overrides, e.g. ``data.per_episode=4 loss.regulariser=sigreg_episode``."""
    from worldjepa.config.composer import override_value

    return " ".join(f"{k}={override_value(v)}" for k, v in recipe.items())


def _default_of(cls, name: str):
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _field(cfg, key: str):
    """A dotted key of ``cfg`` -> (the dataclass holding it, its field name)."""
    *path, name = key.split(".")
    node = cfg
    for part in path:
        node = getattr(node, part)
    return node, name


def _at_default(cfg, key: str) -> bool:
    node, name = _field(cfg, key)
    return getattr(node, name) == _default_of(type(node), name)


def apply_where_default(cfg, recipe: dict[str, object] = RANDOMIZED) -> dict[str, object]:
    """Set each recipe key of ``cfg`` (a TrainConfig) that still holds its dataclass default; a
    key the user set is left alone. -> {key: value} of the keys set."""
    applied = {}
    for key, value in recipe.items():
        node, name = _field(cfg, key)
        if _at_default(cfg, key) and getattr(node, name) != value:
            setattr(node, name, value)
            applied[key] = value
    return applied
