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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from worldjepa.config.fields import Validated, opt, path_opt

FORMATS = ("auto", "worldjepa", "mp4", "hdf5", "lerobot", "swm-lance")


@dataclass
class DataCommandConfig(Validated):
    """`worldjepa data <subcommand> <path ...> [key=value]`."""

    __aliases__: ClassVar[dict[str, str]] = {"from": "source"}  # `from=` is a Python keyword

    subcommand: str = opt("inspect", "what to do (given bare, first)", choices=lambda: list(SUBCOMMANDS))
    paths: list[str] = opt([], "dataset paths (given bare after the subcommand)")
    json: bool = opt(False, "inspect: print the summary as JSON")
    out: str | None = path_opt(
        None, "preview: .mp4/.gif (default <path>_preview.mp4) | merge: new dataset | split: folder"
    )
    episodes: int = opt(9, "preview: episodes in the grid, drawn at random with seed", ge=1)
    seed: int = opt(0, "preview / split: seed", ge=0)
    fps: float | None = opt(
        None, "preview: default the dataset's | import: frame rate when the source lacks one", gt=0
    )
    scale: int = opt(2, "preview: pixel upscaling", ge=1, le=16)
    val_fraction: float = opt(
        0.2, "split: share of episodes in val/ (the same rule as training's split)", gt=0, lt=1
    )
    source: str = opt("auto", "import/convert (from=): the source format, auto: detect", choices=FORMATS)
    to: str = opt("worldjepa", "export/convert: the destination format", choices=FORMATS[1:])
    lossy: bool = opt(False, "export: mp4/lerobot H.264 yuv420p, swm-lance JPEG q95 (default: lossless)")
    camera: str | None = opt(None, "import lerobot: which camera feature (default: the first)")
    env: str | None = opt(
        None, "import/convert: the env the data was recorded in (its env_id), so it can be evaluated"
    )


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

    ds = open_dataset(_one_path(cfg, "inspect"))
    ds.verify()  # a deleted or truncated fragment is reported, not summarised as if whole
    summary = summarise(ds)
    print(json.dumps(summary, indent=2) if cfg.json else format_summary(summary))


def _preview(cfg) -> None:
    from worldjepa.datasets import open_dataset
    from worldjepa.datasets.preview import preview
    from worldjepa.errors import ConfigError
    from worldjepa.video import VIDEO_SUFFIXES

    if cfg.out and Path(cfg.out).suffix not in VIDEO_SUFFIXES:
        raise ConfigError(f"out={cfg.out}: a preview is a video; name it .mp4 or .gif")
    ds = open_dataset(_one_path(cfg, "preview"))
    out = Path(cfg.out) if cfg.out else ds.root.parent / f"{ds.root.name}_preview.mp4"
    print(preview(ds, out, episodes=cfg.episodes, seed=cfg.seed, fps=cfg.fps, scale=cfg.scale))


def _merge(cfg) -> None:
    from worldjepa.datasets.ops import merge
    from worldjepa.errors import ConfigError
    from worldjepa.paths import writable_parent

    if not cfg.out:
        raise ConfigError("worldjepa data merge needs out=<new dataset path>")
    if len({os.path.abspath(p) for p in cfg.paths}) < len(cfg.paths):
        raise ConfigError(f"worldjepa data merge names a dataset twice: {' '.join(cfg.paths)}")
    writable_parent(cfg.out, "out")
    _done(merge(cfg.paths, cfg.out))


def _split(cfg) -> None:
    from worldjepa.datasets.ops import split
    from worldjepa.errors import ConfigError

    path = _one_path(cfg, "split")
    if not cfg.out:
        raise ConfigError("worldjepa data split needs out=<folder for train/ and val/>")
    from worldjepa.paths import writable_dir

    writable_dir(cfg.out, "out")
    for p in split(path, cfg.out, val_fraction=cfg.val_fraction, seed=cfg.seed):
        _done(p)


def _compact(cfg) -> None:
    from worldjepa.datasets.ops import compact

    _done(compact(_one_path(cfg, "compact")))


def _convert_with(src_fmt: str | None, dst_fmt: str | None, sub: str):
    def run(cfg) -> None:
        from worldjepa.datasets.formats import convert
        from worldjepa.paths import writable_parent

        src, dst = _two_paths(cfg, sub)
        given = (("camera", cfg.camera), ("fps", cfg.fps), ("env", cfg.env))
        options = {k: v for k, v in given if v is not None}
        writable_parent(dst, "destination")
        out = convert(src, dst, src_format=src_fmt or cfg.source, dst_format=dst_fmt or cfg.to,
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


def main(cfg: DataCommandConfig) -> int:
    from worldjepa.errors import ConfigError

    if not cfg.paths:
        raise ConfigError(
            f"worldjepa data {cfg.subcommand} needs a dataset path: worldjepa data {cfg.subcommand} <path>"
        )
    SUBCOMMANDS[cfg.subcommand](cfg)
    return 0
