"""Compose the packaged Hydra configs (``worldjepa.configs``) and turn them into dataclasses.

Hydra only composes YAML here; the library takes plain dataclasses (STYLE.md habit 4), so
``to_dataclass`` is the single bridge between the two, and it rejects unknown keys by name.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from worldjepa.errors import ConfigError

T = TypeVar("T")
CONFIG_MODULE = "worldjepa.configs"


def compose(name: str, overrides: Sequence[str] = ()):
    """Compose ``configs/<name>.yaml`` with Hydra overrides -> DictConfig.

    Hydra's own errors (unknown key, bad syntax, unknown group option) become ConfigError so
    that the CLI can print one line instead of a traceback.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(CONFIG_MODULE, version_base=None):
            return hydra_compose(config_name=name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(
            f"bad config for '{name}': {first}\n"
            f"  overrides given: {' '.join(overrides) or '(none)'}\n"
            f"  see the keys with: worldjepa {name} --cfg"
        ) from None


def to_container(cfg) -> dict[str, Any]:
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    return dict(cfg)


def to_dataclass(cls: type[T], data: Any, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, recursing into dataclass-typed fields.

    Unknown keys raise ConfigError listing the valid ones, so a typo never passes silently.
    """
    data = to_container(data) if not isinstance(data, dict) else data
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(repr(k) for k in unknown)} in {where or cls.__name__}; "
            f"valid keys: {', '.join(fields)}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        sub = hints.get(key)
        if dataclasses.is_dataclass(sub) and isinstance(value, dict):
            value = to_dataclass(sub, value, where=f"{where or cls.__name__}.{key}")
        kwargs[key] = value
    return cls(**kwargs)
