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


def writable_dir(path: str | os.PathLike, key: str = "out", dataset_root_ok: bool = False) -> Path:
    """Check that ``path`` (a directory, existing or not) could be written, and that it is not
    inside a dataset or checkpoint, without creating anything: a refused command leaves no empty
    folder behind (the writers create their directories). Remote (s3://...) locations are
    returned as they are: their credentials are checked on write."""
    from worldjepa.datasets.storage import is_remote

    if is_remote(str(path)):
        return path  # type: ignore[return-value]
    p = Path(path)
    refuse_inside_data(p.absolute(), key, dataset_root_ok)
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".worldjepa-write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{key}={path}: cannot write there ({exc.strerror or exc})") from None
    return p


def writable_parent(path: str | os.PathLike, key: str = "out", dataset_root_ok: bool = False) -> Path:
    """For an output *file* or a dataset directory that may not exist yet."""
    return writable_dir(path, key, dataset_root_ok)
