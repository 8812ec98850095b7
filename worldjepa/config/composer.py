"""Compose a command's config from its dataclass schema, its preset and Hydra overrides.

    cfg = compose("train", ["steps=500", "loss.sigreg_weight=0.03"])   # -> TrainConfig

Overrides are Hydra's (``key=value``, ``+key=value``, ``group=option``, sweeps ``a=1,2`` under
``-m``); shorthands are rewritten first: ``planner.name=mppi`` and ``eval.planner=mppi`` choose a
config-group option (as ``planner=mppi`` does), ``data=<path>`` sets ``data.path`` where a block
declares a ``__shorthand__`` field, ``from=`` follows a block's ``__aliases__``, a field a
block names in ``__expands__`` (``recipe=pldm``) adds its registry entry's overrides before the
command's own (so the command's own win), and mapping
fields take new keys (``policy_kwargs={noise:0.3}``, ``model.encoder_kwargs.channels=[8,16]``). Every failure is one ``ConfigError`` line that
names the key, the value given and what is valid.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Sequence
from typing import Any

from worldjepa.config.fields import describe_range, iter_fields, type_name
from worldjepa.config.schema import build, group_of, group_registry, resolve_path, stored
from worldjepa.errors import ConfigError

CONFIG_MODULE = "worldjepa.configs"
_OVERRIDE = re.compile(r"^(?P<prefix>[+~]*)(?P<key>[\w.\-/@]+)=(?P<value>.*)$", re.S)


def config_class(command: str) -> type:
    from worldjepa.commands import COMMANDS, resolve

    spec = COMMANDS.get(command)
    if spec is None or spec.config is None:
        raise ConfigError(f"'{command}' has no config")
    return resolve(spec.config)


def rewrite_overrides(cls: type, overrides: Sequence[str]) -> list[str]:
    """Apply the group and ``__shorthand__`` rewrites (see the module docstring)."""
    out = []
    for o in overrides:
        m = _OVERRIDE.match(o)
        if m is None or m["key"].startswith("hydra") or "@" in m["key"] or "/" in m["key"]:
            out.append(o)
            continue
        key, value = _alias(cls, m["key"]), m["value"]
        tp, _, group = resolve_path(cls, key)
        head, _, last = key.rpartition(".")
        if group is None and last == "name" and head:
            tp, _, group = resolve_path(cls, head)
            key = head if group is not None else key
        if group is not None:
            if value.startswith("["):
                raise ConfigError(f"{m['key']}={value}: choose one {group}, e.g. {m['key']}=cem")
            out.append(f"{group}={value}" if key == group else f"{group}@{key}={value}")
        elif m["prefix"] in ("", "+") and (_is_mapping(tp) or (tp is None and _inside_mapping(cls, key))):
            out.append(f"++{key}={value}")  # a free-form mapping field, or a key inside one (new or not)
        elif getattr(tp, "__shorthand__", None) and not m["prefix"]:
            out.append(f"{key}.{tp.__shorthand__}={value}")
        else:
            out.append(f"{m['prefix']}{key}={value}")
    return out


def expand(cls: type, overrides: Sequence[str], given: set[str] | None = None) -> list[str]:
    """Overrides of fields a config class names in ``__expands__`` ({field path relative to
    the class: "module:REGISTRY"}) -> that registry entry's overrides (relative to the same
    class), placed before every override given, followed by the given ones (the field itself
    included, so the config records it). ``train recipe=pldm`` and ``quickstart
    train.recipe=pldm`` (TrainConfig's ``recipe``), ``quickstart collect.env=<id>``
    (QuickstartConfig's ``collect.env``: the env's preset, which may name a recipe in turn).

    An entry's key that the command sets itself is left out, expansion included: a preset's
    recipe gives way to the user's whole, not key by key. A value its registry lacks adds
    nothing: the field's own check says what is valid."""
    if given is None:
        given = {m["key"] for o in overrides if (m := _OVERRIDE.match(o))}
    first = []
    for o in overrides:
        m = _OVERRIDE.match(o)
        if m is None or m["prefix"] or "," in m["value"]:
            continue
        found = _expander(cls, m["key"])
        if found is None:
            continue
        head, source = found
        module, attr = source.split(":")
        registry = getattr(importlib.import_module(module), attr)
        name = m["value"].strip("'\"")  # a resumed run writes its saved strings quoted
        if name in registry.names():
            entry = [
                f"{head}{k}={override_value(v)}"
                for k, v in registry.get(name).items()
                if f"{head}{k}" not in given
            ]
            first += expand(cls, entry, given)
    return [*first, *overrides]


def _expander(cls: type, key: str) -> tuple[str, str] | None:
    """-> (the declaring class's prefix, e.g. "train.", its registry path) for a dotted key, or
    None. The outermost class that declares the key wins."""
    parts = key.split(".")
    for i in range(len(parts)):
        head, rel = ".".join(parts[:i]), ".".join(parts[i:])
        try:
            tp = resolve_path(cls, head)[0] if head else cls
        except ConfigError:
            return None
        source = getattr(tp, "__expands__", {}).get(rel) if isinstance(tp, type) else None
        if source is not None:
            return (f"{head}." if head else ""), source
    return None


def override_value(v: Any) -> str:
    """A Python value as an override's value, as bare as Hydra reads it back: plain words and
    paths unquoted (``sigreg_episode``), lists bracketed, the rest as ``hydra_value`` writes it."""
    if isinstance(v, str) and re.fullmatch(r"[A-Za-z_][\w.\-/]*", v) and v not in ("null", "true", "false"):
        return v
    if isinstance(v, list | tuple):
        return "[" + ",".join(override_value(x) for x in v) + "]"
    return hydra_value(v)


def hydra_value(value) -> str:
    """A plain value written as a Hydra override value (strings quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _is_mapping(tp: Any) -> bool:
    import typing

    return tp is dict or typing.get_origin(tp) is dict


def _inside_mapping(cls: type, key: str) -> bool:
    """True when a prefix of ``key`` is a mapping-typed field (e.g. model.encoder_kwargs.x)."""
    parts = key.split(".")
    return any(_is_mapping(resolve_path(cls, ".".join(parts[:i]))[0]) for i in range(1, len(parts)))


def _alias(cls: type, key: str) -> str:
    """``from=x`` -> ``source=x`` where a block declares ``__aliases__`` (Python keywords)."""
    head, _, last = key.rpartition(".")
    tp = resolve_path(cls, head)[0] if head else cls
    aliases = getattr(tp, "__aliases__", {}) if isinstance(tp, type) else {}
    return (
        f"{head}.{aliases[last]}" if head and last in aliases else aliases.get(last, key) if not head else key
    )


def compose_node(command: str, overrides: Sequence[str] = (), *, hydra: bool = False):
    """-> the composed DictConfig (``hydra``: with its ``hydra`` node, for launchers)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    cls = config_class(command)
    stored(command, cls)
    overrides = rewrite_overrides(cls, expand(cls, check_syntax(overrides)))
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(CONFIG_MODULE, version_base=None):
            return hydra_compose(config_name=command, overrides=list(overrides), return_hydra_config=hydra)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(explain(cls, command, exc, overrides)) from None
    except ValueError as exc:  # Hydra's own checks of override values
        raise ConfigError(f"bad override: {_first_line(exc)}") from None
    finally:
        GlobalHydra.instance().clear()


def check_syntax(overrides: Sequence[str]) -> list[str]:
    """Each override must parse on its own: name the one that does not. A value that Hydra's
    grammar cannot read bare but reads quoted (a path like ``runs/sweep/seed=0``) is quoted.
    -> the overrides, so quoted."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    if isinstance(overrides, str):
        raise ConfigError(f"overrides must be a list of 'key=value' strings, got the string {overrides!r}")
    parser = OverridesParser.create()
    out = []
    for o in overrides:
        if o.startswith("~"):
            raise ConfigError(
                f"{o}: keys cannot be removed (each has a default); set it instead: {o[1:]}=<value>"
            )
        if o.startswith("=") or "=" not in o.lstrip("+"):
            raise ConfigError(f"cannot parse the override {o!r}: use key=value")
        try:
            parser.parse_overrides([o])
            out.append(o)
            continue
        except HydraException:
            pass
        m = _OVERRIDE.match(o)
        if m and m["value"] and m["value"][0] not in "'\"[{":
            quoted = f"{m['prefix']}{m['key']}='" + m["value"].replace("\\", "\\\\").replace("'", "\\'") + "'"
            try:
                parser.parse_overrides([quoted])
                out.append(quoted)
                continue
            except HydraException:
                pass
        raise ConfigError(
            f"cannot parse the override {o!r}: use key=value (lists: key=[a,b], mappings: key={{a:1}}, "
            "quote values with spaces or brackets)"
        ) from None
    return out


def compose(command: str, overrides: Sequence[str] = ()) -> Any:
    """The command's config dataclass, composed and validated."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    cls = config_class(command)
    node = compose_node(command, overrides)
    try:
        data = OmegaConf.to_container(node, resolve=True)
    except OmegaConfBaseException as exc:  # a bad ${interpolation}
        raise ConfigError(f"cannot resolve the {command} config: {_first_line(exc)}") from None
    return build(cls, data)


# ------------------------------------------------------------------------------------ errors
def explain(cls: type, command: str, exc: Exception, overrides: Sequence[str]) -> str:
    """One line for a Hydra/OmegaConf composition error, from the schema rather than its dump."""
    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    cause_text = str(cause) if cause is not None else ""
    full_key = _full_key(cause_text) or _full_key(text)
    ambiguous = re.search(r"Ambiguous value for argument '([^']+)'", text)
    if ambiguous:
        key = ambiguous.group(1).split("=", 1)[0]
        return f"{ambiguous.group(1)}: a comma list is a sweep; add -m to run every value (or quote one value: {key}='a,b')"
    missing = re.search(r"Could not find '([\w/]+)/([\w\-.]+)'", text)
    if missing:
        group, option = missing.groups()
        names = _group_names(group)
        return f"{group}={option}: unknown {group}; available: {', '.join(names)}"
    if (
        "Could not override" in text
        or "not in struct" in cause_text
        or re.search(r"Key '.*' not in", cause_text)
    ):
        key = re.search(r"Could not override '([^']+)'", text)
        key = key.group(1) if key else full_key or "?"
        return _unknown_key(cls, command, key, overrides)
    if full_key:
        value = _given(full_key, overrides)
        tp, f = _field_of(cls, full_key, overrides)
        if f is not None:
            rng = describe_range(f.metadata)
            return f"{full_key}={value}: expected {type_name(tp)}{' ' + rng if rng else ''}"
        return f"{full_key}={value}: {_first_line(cause or exc)}"
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _full_key(text: str) -> str | None:
    m = re.search(r"full_key: ([\w.\[\]]+)", text)
    return m.group(1) if m else None


def _given(key: str, overrides: Sequence[str]) -> str:
    for o in overrides:
        m = _OVERRIDE.match(o)
        if m and m["key"].split("@")[-1] == key:
            return m["value"]
    return "?"


def _group_names(group: str) -> list[str]:
    from hydra.core.config_store import ConfigStore

    return sorted(n.removesuffix(".yaml") for n in ConfigStore.instance().list(group))


def _chosen_option(cls: type, path: str, overrides: Sequence[str]) -> type | None:
    """The option class a group field at ``path`` will hold given ``overrides``."""
    from worldjepa.config.schema import default_of

    tp, f, group = resolve_path(cls, path)
    if group is None:
        return None
    name = default_of(f).name
    for o in overrides:
        m = _OVERRIDE.match(o)
        if m and m["key"] in (group if path == group else f"{group}@{path}",):
            name = m["value"]
    try:
        return group_registry(tp).get(name)
    except ValueError:
        return None


def _field_of(cls: type, key: str, overrides: Sequence[str]):
    """(annotation, field) of ``key``, looking inside the chosen option of a group."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        option = _chosen_option(cls, ".".join(parts[:i]), overrides)
        if option is not None:
            tp, f, _ = resolve_path(option, ".".join(parts[i:]))
            return tp, f
    tp, f, _ = resolve_path(cls, key)
    return tp, f


def _unknown_key(cls: type, command: str, key: str, overrides: Sequence[str]) -> str:
    head, _, last = key.rpartition(".")
    where_cls, where = cls, f"the {command} config"
    if head:
        option = _chosen_option(cls, head, overrides)
        tp, _, _ = resolve_path(cls, head)
        where_cls = option or (tp if isinstance(tp, type) else None)
        where = f"'{head}'" + (f" ({option.__name__})" if option else "")
    if where_cls is None or not hasattr(where_cls, "__dataclass_fields__"):
        top = key.split(".")[0]
        close = difflib.get_close_matches(top, [f.name for f, _ in iter_fields(cls)], n=1)
        hint = f"; did you mean '{close[0]}.{key.partition('.')[2]}'?" if close else ""
        return f"unknown key '{key}' in the {command} config{hint} (see: worldjepa {command} --help)"
    names = [f.name for f, _ in iter_fields(where_cls)]
    if not names:
        return f"unknown key '{key}': worldjepa {command} takes no keys"
    close = difflib.get_close_matches(last, names, n=1)
    hint = f"did you mean '{(head + '.') if head else ''}{close[0]}'? " if close else ""
    return f"unknown key '{key}' in {where}; {hint}valid keys: {', '.join(names)}"


def group_fields_of(cls: type) -> list[tuple[str, str, list[str]]]:
    """(path, group, option names) of every group field in ``cls``, for --help."""
    out = []

    def walk(tp: type, prefix: str) -> None:
        for f, ftp in iter_fields(tp):
            group = group_of(ftp)
            if group is not None:
                out.append((prefix + f.name, group, group_registry(ftp).names()))
            elif isinstance(ftp, type) and hasattr(ftp, "__dataclass_fields__"):
                walk(ftp, prefix + f.name + ".")

    walk(cls, "")
    return out
