"""``manifest.json``: the sha256 and size of every file of a checkpoint directory.

Written last when a checkpoint is saved, checked before its files are read: a flipped bit or a
hand edit in ``model.safetensors`` (which safetensors itself would still parse) stops with the
file's name instead of planning with corrupt weights. A directory without a manifest (written
before it existed) is not checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from worldjepa.errors import CheckpointError

MANIFEST = "manifest.json"
FORMAT = "worldjepa-manifest-v1"
_CHUNK = 1 << 20


def file_digest(file: Path) -> str:
    """-> the sha256 of ``file``'s bytes, hex."""
    h = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(directory: str | Path) -> Path:
    """Record every file of ``directory`` (but the manifest itself) in ``<directory>/manifest.json``."""
    directory = Path(directory)
    files = {
        f.name: {"sha256": file_digest(f), "size": f.stat().st_size}
        for f in sorted(directory.iterdir())
        if f.is_file() and f.name != MANIFEST
    }
    out = directory / MANIFEST
    out.write_text(json.dumps({"format": FORMAT, "files": files}, indent=2))
    return out


def read_manifest(directory: str | Path) -> dict[str, dict] | None:
    """-> {file name: {"sha256", "size"}}, or None when ``directory`` has no manifest."""
    file = Path(directory) / MANIFEST
    if not file.is_file():
        return None
    try:
        doc = json.loads(file.read_text())
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise CheckpointError(f"{file} is not valid JSON ({exc}); the checkpoint is corrupt") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CheckpointError(f"{file} has format {found!r}, expected {FORMAT!r}")
    files = doc.get("files")
    ok = isinstance(files, dict) and all(
        isinstance(e, dict) and isinstance(e.get("sha256"), str) and isinstance(e.get("size"), int)
        for e in files.values()
    )
    if not ok:
        raise CheckpointError(f"{file} is malformed: 'files' must map names to {{sha256, size}}")
    return files


def verify_files(directory: str | Path, names: Iterable[str]) -> None:
    """Check ``names`` in ``directory`` against its manifest (no manifest: nothing to check).
    A file the manifest does not list, or whose size or sha256 differs, raises CheckpointError."""
    directory = Path(directory)
    files = read_manifest(directory)
    if files is None:
        return
    for name in names:
        file = directory / name
        entry = files.get(name)
        if entry is None:
            raise CheckpointError(
                f"{file} is not listed in {MANIFEST}; it was added after the checkpoint was saved"
            )
        if not file.is_file():
            raise CheckpointError(f"{file} is missing, but {MANIFEST} lists it; the checkpoint is incomplete")
        if file.stat().st_size != entry["size"] or file_digest(file) != entry["sha256"]:
            raise CheckpointError(
                f"{file} does not match its checksum in {MANIFEST}: the file is corrupt or was "
                f"modified (if you edited it on purpose, delete {MANIFEST} to skip the check)"
            )
