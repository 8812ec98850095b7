"""Config fields that carry their own help and valid range, and the one validator that reads them.

    @dataclass
    class OptimConfig:
        lr: float = opt(1e-3, "peak learning rate (after warmup)", gt=0)

Every default is written once, in the dataclass; ``worldjepa <command> --help`` prints each key's
help and range from the same metadata, and ``validate`` enforces them whether the config came
from the CLI or was built in Python. Cross-field rules live in a ``check()`` method that raises
``Invalid(key, message)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import importlib
import math
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from worldjepa.errors import ConfigError

Choices = tuple[str, ...] | str | Callable[[], list[str]] | None


def opt(
    default: Any,
    help: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: Choices = None,
    pattern: tuple[str, str] | None = None,
) -> Any:
    """A dataclass field with a one-line ``help`` and an optional range or set of valid names.

    ``default`` may be a value, a mutable value (copied per instance) or a dataclass type (its
    instance is the default). ``choices`` is a tuple of names, a ``"module:ATTR"`` string naming a
    ``Registry`` (resolved only when validating, so no heavy module is imported to compose), or a
    callable returning the names. For list fields the choices apply to every element.
    ``pattern``: (regex the whole string must match, how to describe it)."""
    meta = {"help": help, "ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices, "pattern": pattern}
    if isinstance(default, type) and dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=default, metadata=meta)
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


DEVICE = (r"auto|cpu|mps|cuda(:\d+)?", "one of: auto, cpu, cuda, cuda:N, mps")
PATH = (r"\s*\S.*", "a non-empty path")


def path_opt(default: str | None, help: str) -> Any:
    """A field that names a file or directory: empty strings are refused (they mean the cwd)."""
    return opt(default, help, pattern=PATH)


def checkpoint_opt() -> Any:
    """The ``checkpoint`` field of every command that reads a trained model."""
    return path_opt(
        "runs/tworoom", "a run dir (its checkpoints/last) or one checkpoint, e.g. <run>/checkpoints/1000"
    )


def device_opt(default: str = "auto") -> Any:
    """The ``device`` field every command shares (its availability is checked when it is used)."""
    return opt(default, "torch device (auto: cuda if available, else mps, else cpu)", pattern=DEVICE)


class Invalid(Exception):
    """Raised by a config's ``check()``: ``key`` (relative to that config) and what is wrong."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise Invalid(key, message)


_DEFERRED = contextvars.ContextVar("worldjepa_deferred_validation", default=False)


@contextlib.contextmanager
def deferred_validation():
    """Build configs inside this block without validating them (their root validates the tree)."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


class Validated:
    """Mixin for a command's root config: validated as soon as it is built (from Python or the CLI)."""

    def __post_init__(self) -> None:
        if not _DEFERRED.get():
            validate(self)


def choice_names(choices: Choices) -> list[str] | None:
    if choices is None:
        return None
    if isinstance(choices, tuple):
        return list(choices)
    if isinstance(choices, str):
        module, attr = choices.split(":")
        registry = getattr(importlib.import_module(module), attr)
        return registry.names()
    return list(choices())


def describe_range(meta: dict[str, Any]) -> str:
    """'>= 1', 'in (0, 1]', 'one of: a, b', '' -- for help lines and error messages."""
    lo = (
        ("[", meta["ge"])
        if meta.get("ge") is not None
        else ("(", meta["gt"])
        if meta.get("gt") is not None
        else None
    )
    hi = (
        ("]", meta["le"])
        if meta.get("le") is not None
        else (")", meta["lt"])
        if meta.get("lt") is not None
        else None
    )
    if lo and hi:
        return f"in {lo[0]}{lo[1]:g}, {hi[1]:g}{hi[0]}"
    if lo:
        return f"{'>=' if lo[0] == '[' else '>'} {lo[1]:g}"
    if hi:
        return f"{'<=' if hi[0] == ']' else '<'} {hi[1]:g}"
    choices = meta.get("choices")
    if meta.get("pattern"):
        return meta["pattern"][1]
    if choices is None:
        return ""
    return "one of: " + ", ".join(choice_names(choices) or [])


def type_name(tp: Any) -> str:
    """A readable name of a field's annotation: int, float, str or None, list of str, ..."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(type_name(a) for a in inner) + (" or null" if len(inner) < len(args) else "")
    if origin in (list, tuple):
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict or tp is dict:
        return "mapping"
    if tp is Any:
        return "any"
    return getattr(tp, "__name__", str(tp))


def _type_ok(value: Any, tp: Any) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in args)
    if tp is type(None):
        return value is None
    if origin in (list, tuple):
        return isinstance(value, (list, tuple)) and all(_type_ok(v, args[0]) for v in value) if args else True
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def show(value: Any) -> str:
    """How a value is written on the command line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(show(v) for v in value) + "]"
    return str(value)


def _in_range(value: float, meta: dict[str, Any]) -> bool:
    return not (
        (meta.get("ge") is not None and value < meta["ge"])
        or (meta.get("gt") is not None and value <= meta["gt"])
        or (meta.get("le") is not None and value > meta["le"])
        or (meta.get("lt") is not None and value >= meta["lt"])
    )


def iter_fields(cls: type) -> Iterator[tuple[dataclasses.Field, Any]]:
    """(field, resolved annotation) of a dataclass type, in declaration order."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        yield f, hints[f.name]


def expect(cfg: Any, cls: type, command: str) -> None:
    """A library entry point got its own config dataclass (not a dict or another command's)."""
    if not isinstance(cfg, cls):
        raise ConfigError(
            f"{command} takes a {cls.__name__} (wj.{cls.__name__}(...) or wj.compose('{command}', [...])), "
            f"got {type(cfg).__name__}"
        )


def validate(cfg: Any, prefix: str = "") -> None:
    """Check every field of dataclass ``cfg`` (recursively) against its annotation and its
    ``opt`` range / choices, then its ``check()``; -> ConfigError naming the full key, the value
    given and what is valid."""
    for f, tp in iter_fields(type(cfg)):
        key, value = prefix + f.name, getattr(cfg, f.name)
        meta = f.metadata
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            validate(value, key + ".")
            continue
        if not _type_ok(value, tp):
            raise ConfigError(f"{key}={show(value)}: expected {type_name(tp)}")
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in items):
            raise ConfigError(f"{key}={show(value)}: must be a finite number ({meta.get('help', '')})")
        for v in items:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not _in_range(v, meta):
                raise ConfigError(
                    f"{key}={show(value)}: must be {describe_range(meta)} ({meta.get('help', '')})"
                )
        pattern = meta.get("pattern")
        if pattern and any(isinstance(v, str) and not re.fullmatch(pattern[0], v) for v in items):
            raise ConfigError(f"{key}={show(value)}: must be {pattern[1]} ({meta.get('help', '')})")
        names = choice_names(meta.get("choices")) if meta.get("choices") is not None else None
        if names is not None:
            bad = [v for v in items if v not in names]
            if bad and isinstance(value, (list, tuple)):
                raise ConfigError(f"{key}={show(value)}: {show(bad[0])!r} is not one of: {', '.join(names)}")
            if bad:
                raise ConfigError(f"{key}={show(value)}: must be one of: {', '.join(names)}")
    check = getattr(cfg, "check", None)
    if check is not None:
        try:
            check()
        except Invalid as exc:
            value = _lookup(cfg, exc.key)
            raise ConfigError(f"{prefix}{exc.key}={show(value)}: {exc.message}") from None


def _lookup(cfg: Any, key: str) -> Any:
    for part in key.split("."):
        cfg = getattr(cfg, part, None)
    return cfg
