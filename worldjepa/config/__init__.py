"""Typed configs: one dataclass tree per command, registered with Hydra's ConfigStore.

- ``fields``: ``opt`` (a field with help and a valid range), ``validate``, ``Invalid``/``require``;
- ``schema``: dataclass trees <-> Hydra nodes, config groups (planner=...), ``build``;
- ``composer``: overrides -> a validated dataclass, one-line errors;
- ``helptext``: ``worldjepa <command> --help``.

Only ``fields`` is imported eagerly (it is what config dataclasses need); Hydra is imported
when a config is composed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.config.fields import Invalid, Validated, opt, require, validate
from worldjepa.lazy import lazy_exports

if TYPE_CHECKING:
    from worldjepa.config.composer import compose, compose_node, config_class  # noqa: F401
    from worldjepa.config.helptext import format_help  # noqa: F401
    from worldjepa.config.schema import build  # noqa: F401

_EXPORTS = {
    "compose": "composer",
    "compose_node": "composer",
    "config_class": "composer",
    "format_help": "helptext",
    "build": "schema",
}
__all__ = ["Invalid", "Validated", "opt", "require", "validate", *_EXPORTS]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
