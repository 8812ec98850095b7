"""Output locations: refuse an unwritable one with one line, before any work is done."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from worldjepa.errors import ConfigError


def _is_dataset(p: Path) -> bool:
    return (p / "steps.lance").is_dir() and (p / "episodes.lance").is_dir()


def _is_checkpoint(p: Path) -> bool:
    return (p / "model.safetensors").is_file() and (p / "preprocess.json").is_file()


def refuse_inside_data(path: Path, key: str, dataset_root_ok: bool = False) -> None:
    """Outputs never go inside a dataset or a checkpoint (a later write there would delete or
    corrupt them); ``dataset_root_ok``: ``path`` itself may be a dataset (collect's append)."""
    for parent in [path, *path.parents]:
        if _is_checkpoint(parent):
            raise ConfigError(f"{key}={path}: that is inside the checkpoint {parent}; write elsewhere")
        if _is_dataset(parent) and not (dataset_root_ok and parent == path):
            where = "is the dataset" if parent == path else "is inside the dataset"
            raise ConfigError(f"{key}={path}: that {where} {parent}; write elsewhere")


def writable_dir(
    path: str | os.PathLike,
    key: str = "out",
    shown: str | os.PathLike | None = None,
    dataset_root_ok: bool = False,
) -> Path:
    """Create ``path`` (and parents) if needed and check that files can be written in it, and
    that it is not inside a dataset or checkpoint. Remote (s3://...) locations are returned as
    they are: their credentials are checked on write. ``shown``: the path the user gave, named in
    the error (default ``path``)."""
    from worldjepa.datasets.storage import is_remote

    if is_remote(str(path)):
        return path  # type: ignore[return-value]
    p = Path(path)
    refuse_inside_data(Path(shown or path).absolute() if shown else p.absolute(), key, dataset_root_ok)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".worldjepa-write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{key}={shown or path}: cannot write there ({exc.strerror or exc})") from None
    return p


def writable_parent(path: str | os.PathLike, key: str = "out", dataset_root_ok: bool = False) -> Path:
    """For an output *file* or a directory that may not exist yet: its parent must be writable."""
    from worldjepa.datasets.storage import is_remote

    if is_remote(str(path)):
        return path  # type: ignore[return-value]
    p = Path(path)
    refuse_inside_data(p.absolute(), key, dataset_root_ok)
    writable_dir(p.parent, key, shown=path, dataset_root_ok=True)
    return p
