"""`worldjepa <command> --help`: every key of the command's config with its default, range and
one-line description, read from the dataclass tree (so help can never drift from the defaults)."""

from __future__ import annotations

import dataclasses
from typing import Any

from worldjepa.config.fields import describe_range, iter_fields, show, type_name
from worldjepa.config.schema import default_of, group_of, group_registry


def help_rows(cls: type, prefix: str = "", instance: Any = None) -> list[tuple[str, str, str]]:
    """-> (key, default, description) for every leaf of ``cls`` (group fields: the default
    option's keys, after a row that lists the options)."""
    rows = []
    aliases = {v: k for k, v in getattr(cls, "__aliases__", {}).items()}  # source -> from
    for f, tp in iter_fields(cls):
        key = prefix + aliases.get(f.name, f.name)
        default = getattr(instance, f.name) if instance is not None else default_of(f)
        group = group_of(tp)
        if group is not None:
            names = group_registry(tp).names()
            rows.append(
                (f"{key}=<option>", default.name, f"{f.metadata.get('help', group)}: {' | '.join(names)}")
            )
            rows += help_rows(type(default), key + ".", default)
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
            rows += help_rows(tp, key + ".", default)
        else:
            meta = f.metadata
            rng = describe_range(meta)
            text = meta.get("help", "")
            extra = ", ".join(x for x in (type_name(tp), rng) if x)
            rows.append((key, show(default), f"{text} [{extra}]" if text else f"[{extra}]"))
    return rows


def format_help(command: str, description: str, cls: type, positional: str | None = None,
                sweeps: bool = True, current: Any = None) -> str:  # fmt: skip
    """``current``: a composed config whose values (and group choices) the help shows."""
    rows = help_rows(cls, instance=current)
    bare = (
        " ".join(f"<{k.rstrip('.')}{'...' if k.endswith('...') else ''}>" for k in positional.split(","))
        if positional
        else ""
    )
    w_key = min(max((len(r[0]) for r in rows), default=0), 34)
    w_val = min(max((len(r[1]) for r in rows), default=0), 16)
    lines = [
        f"worldjepa {command}: {description}",
        "",
        f"usage: worldjepa {command} {bare + ' ' if bare else ''}[key=value ...] [--cfg]{' [-m key=a,b ...]' if sweeps else ''}",
        "",
        "keys (default or the value given, then what it does [type, valid values]):"
        if rows
        else "it takes no keys.",
    ]
    for key, default, text in rows:
        lines.append(f"  {key:<{w_key}}  {default:<{w_val}}  {text}")
    lines += ["", "`--cfg` prints the composed config."]
    if sweeps:
        lines += [
            "`-m` runs every combination of comma-separated values, one output directory per job;",
            "add hydra/launcher=submitit_slurm to send them to SLURM (pip install 'worldjepa[slurm]').",
        ]
    return "\n".join(lines)
