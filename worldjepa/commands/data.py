"""`worldjepa data <subcommand> <path ...> [key=value ...]`: look into, reshape and convert datasets.

inspect <path>                  episodes, steps, columns, factors, size on disk
preview <path>                  an mp4/gif grid of sampled episodes
merge   <a> <b> ... out=<dst>   episodes of several datasets -> one new dataset
split   <path> out=<dir>        by episode -> <dir>/train and <dir>/val
compact <path>                  one fragment per table: faster random reads
import  <src> <dst>             mp4 folder | hdf5 | lerobot | swm-lance -> worldjepa
export  <src> <dst> to=<fmt>    worldjepa -> another format
convert <src> <dst> to=<fmt>    any format -> any format
"""

from __future__ import annotations

from pathlib import Path


def _one_path(cfg, sub: str) -> str:
    if len(cfg.paths) != 1:
        from worldjepa.errors import ConfigError

        raise ConfigError(
            f"worldjepa data {sub} takes one dataset path; got {len(cfg.paths)}: {list(cfg.paths)}"
        )
    return cfg.paths[0]


def _two_paths(cfg, sub: str) -> tuple[str, str]:
    if len(cfg.paths) != 2:
        from worldjepa.errors import ConfigError

        raise ConfigError(
            f"worldjepa data {sub} takes <src> <dst>; got {len(cfg.paths)} path(s): {list(cfg.paths)}"
        )
    return cfg.paths[0], cfg.paths[1]


def _inspect(cfg) -> None:
    import json

    from worldjepa.datasets import open_dataset
    from worldjepa.datasets.inspect import format_summary, summarise

    summary = summarise(open_dataset(_one_path(cfg, "inspect")))
    print(json.dumps(summary, indent=2) if cfg.json else format_summary(summary))


def _preview(cfg) -> None:
    from worldjepa.datasets import open_dataset
    from worldjepa.datasets.preview import preview

    ds = open_dataset(_one_path(cfg, "preview"))
    out = Path(cfg.out) if cfg.out else ds.root.parent / f"{ds.root.name}_preview.mp4"
    print(preview(ds, out, episodes=cfg.episodes, seed=cfg.seed, fps=cfg.fps, scale=cfg.scale))


def _merge(cfg) -> None:
    from worldjepa.datasets.ops import merge
    from worldjepa.errors import ConfigError

    if not cfg.out:
        raise ConfigError("worldjepa data merge needs out=<new dataset path>")
    _done(merge(cfg.paths, cfg.out))


def _split(cfg) -> None:
    from worldjepa.datasets.ops import split
    from worldjepa.errors import ConfigError

    path = _one_path(cfg, "split")
    if not cfg.out:
        raise ConfigError("worldjepa data split needs out=<folder for train/ and val/>")
    for p in split(path, cfg.out, val_fraction=cfg.val_fraction, seed=cfg.seed):
        _done(p)


def _compact(cfg) -> None:
    from worldjepa.datasets.ops import compact

    _done(compact(_one_path(cfg, "compact")))


def _convert_with(src_fmt: str | None, dst_fmt: str | None, sub: str):
    def run(cfg) -> None:
        from worldjepa.datasets.formats import convert

        src, dst = _two_paths(cfg, sub)
        given = (("camera", cfg.camera), ("fps", cfg.fps), ("env", cfg.get("env")))
        options = {k: v for k, v in given if v is not None}
        out = convert(src, dst, src_format=src_fmt or cfg["from"], dst_format=dst_fmt or cfg.to,
                      lossy=cfg.lossy, **options)  # fmt: skip
        _done(out)

    return run


def _done(path) -> None:
    print(f"wrote {path}")


SUBCOMMANDS = {
    "inspect": _inspect,
    "preview": _preview,
    "merge": _merge,
    "split": _split,
    "compact": _compact,
    "import": _convert_with(None, "worldjepa", "import"),
    "export": _convert_with("worldjepa", None, "export"),
    "convert": _convert_with(None, None, "convert"),
}


def main(overrides: list[str]) -> int:
    from worldjepa.config import compose
    from worldjepa.errors import ConfigError

    if not overrides or overrides[0] not in SUBCOMMANDS:
        got = overrides[0] if overrides else "nothing"
        raise ConfigError(f"worldjepa data needs a subcommand ({', '.join(SUBCOMMANDS)}), got {got}")
    sub, rest = overrides[0], overrides[1:]
    # Bare arguments are paths: `worldjepa data merge runs/a runs/b out=runs/ab`.
    paths = [a for a in rest if "=" not in a]
    cfg = compose("data", [a for a in rest if "=" in a] + [f"paths=[{','.join(repr(p) for p in paths)}]"])
    if not cfg.paths:
        raise ConfigError(f"worldjepa data {sub} needs a dataset path: worldjepa data {sub} <path>")
    SUBCOMMANDS[sub](cfg)
    return 0
