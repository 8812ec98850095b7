"""Output locations: refuse an unwritable one with one line, before any work is done."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from worldjepa.errors import ConfigError


def writable_dir(path: str | os.PathLike, key: str = "out", shown: str | os.PathLike | None = None) -> Path:
    """Create ``path`` (and parents) if needed and check that files can be written in it.
    Remote (s3://...) locations are returned as they are: their credentials are checked on write.
    ``shown``: the path the user gave, named in the error (default ``path``)."""
    from worldjepa.datasets.storage import is_remote

    if is_remote(str(path)):
        return path  # type: ignore[return-value]
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".worldjepa-write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{key}={shown or path}: cannot write there ({exc.strerror or exc})") from None
    return p


def writable_parent(path: str | os.PathLike, key: str = "out") -> Path:
    """For an output *file* or a directory that must not exist yet: its parent must be writable."""
    from worldjepa.datasets.storage import is_remote

    if is_remote(str(path)):
        return path  # type: ignore[return-value]
    p = Path(path)
    writable_dir(p.parent, key, shown=path)
    return p
