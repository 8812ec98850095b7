"""Dataclass trees <-> Hydra: structured-config nodes in the ConfigStore, and back to dataclasses.

A field typed with a *group base* (a class with ``__group__`` and ``__registry__``, e.g.
``PlannerConfig``) is a Hydra config group: each registered option (``cem``, ``mppi``, ...) is
stored as its own node, and ``planner=mppi`` swaps the whole block. The group's default option
is read from the dataclass's default value, so it is written once.
"""

from __future__ import annotations

import dataclasses
import importlib
from functools import cache
from importlib import resources
from typing import Any

from omegaconf import MISSING

from worldjepa.config.fields import deferred_validation, iter_fields
from worldjepa.errors import ConfigError

PRESETS = "presets"  # configs/presets/<command>.yaml: a command's preset values, merged last


def group_of(tp: Any) -> str | None:
    """The config-group name of a field annotation, or None for a plain field."""
    return getattr(tp, "__group__", None) if isinstance(tp, type) else None


def group_registry(tp: type):
    module, attr = tp.__registry__.split(":")
    return getattr(importlib.import_module(module), attr)


def default_of(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _node(cls: type, package: str = "") -> tuple[type, list]:
    """-> (a Hydra node dataclass for ``cls`` whose group fields are left for the defaults list,
    the defaults-list entries those groups need)."""
    fields, defaults = [], []
    for f, tp in iter_fields(cls):
        full = f"{package}.{f.name}" if package else f.name
        group = group_of(tp)
        if group is not None:
            defaults.append({group if full == group else f"{group}@{full}": default_of(f).name})
            fields.append((f.name, Any, dataclasses.field(default=MISSING)))
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
            sub, sub_defaults = _node(tp, full)
            defaults += sub_defaults
            fields.append((f.name, sub, dataclasses.field(default_factory=sub)))
    if not fields:
        return cls, defaults
    return dataclasses.make_dataclass(f"{cls.__name__}Node", fields, bases=(cls,)), defaults


def has_preset(command: str) -> bool:
    return resources.files("worldjepa.configs").joinpath(PRESETS, f"{command}.yaml").is_file()


def store(command: str, cls: type) -> None:
    """Register ``cls`` as the structured config ``command`` (plus its groups' options)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    node, defaults = _node(cls)
    for _, tp in _group_fields(cls):
        registry = group_registry(tp)
        for name in registry.names():
            cs.store(group=group_of(tp), name=name, node=registry.get(name))
    preset = [f"{PRESETS}/{command}@_global_"] if has_preset(command) else []
    top = dataclasses.make_dataclass(
        f"{cls.__name__}Schema",
        [("defaults", list, dataclasses.field(default_factory=lambda: ["_self_", *defaults, *preset]))],
        bases=(node,),
    )
    cs.store(name=command, node=top)


def _group_fields(cls: type):
    for f, tp in iter_fields(cls):
        if group_of(tp) is not None:
            yield f, tp
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
            yield from _group_fields(tp)


@cache
def stored(command: str, cls: type) -> bool:
    store(command, cls)
    return True


def build(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """A dataclass ``cls`` from a plain mapping (a composed config), group fields dispatched by
    their ``name``; unknown keys name the valid ones. Nested command configs (quickstart's
    stages) are validated once, from the root, so errors carry the full key."""
    fields = {f.name: tp for f, tp in iter_fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = prefix.rstrip(".") or "the config"
        raise ConfigError(f"unknown key '{prefix}{unknown[0]}' in {where}; valid keys: {', '.join(fields)}")
    kwargs = {}
    for key, value in data.items():
        tp = fields[key]
        if group_of(tp) is not None and isinstance(value, dict):
            option = group_registry(tp).get(value.get("name", default_of(_field(cls, key)).name))
            value = build(option, value, f"{prefix}{key}.")
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(value, dict):
            value = build(tp, value, f"{prefix}{key}.")
        kwargs[key] = value
    if prefix:
        with deferred_validation():
            return cls(**kwargs)
    return cls(**kwargs)


def _field(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def resolve_path(cls: type, path: str) -> tuple[Any, dataclasses.Field | None, str | None]:
    """Walk ``a.b.c`` through dataclass ``cls`` -> (annotation, field, group) of the last part;
    (None, None, None) when the path leaves the schema (unknown key, or inside a group option
    that is only known after composition)."""
    tp: Any = cls
    f = None
    for i, part in enumerate(path.split(".")):
        if not (isinstance(tp, type) and dataclasses.is_dataclass(tp)) or (i and group_of(tp) is not None):
            return None, None, None
        match = [(g, t) for g, t in iter_fields(tp) if g.name == part]
        if not match:
            return None, None, None
        f, tp = match[0]
    return tp, f, group_of(tp)
