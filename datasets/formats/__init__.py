"""Import and export rollouts in the formats people already have.

    from worldjepa.datasets.formats import convert
    convert("demos/", "data/demos", src_format="mp4")              # import
    convert("data/tworoom", "out.h5", dst_format="hdf5")            # export
    convert("swm_data/", "lerobot_out/", "swm-lance", "lerobot")    # any -> any

Each format is a module with ``detect(path)``, ``read(path, **options) -> EpisodeSource``,
``write(source, path, ...)`` and ``LOSSY`` (what ``lossy=True`` means for it, or None when
it is always lossless). Names are resolved lazily: importing this imports no format.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from worldjepa.errors import ConfigError, DatasetError

# format name -> module; detection tries them in this order
FORMATS = {
    "worldjepa": "native",
    "lerobot": "lerobot",
    "hdf5": "hdf5",
    "swm-lance": "swm_lance",
    "mp4": "mp4_folder",
}


def get_format(name: str):
    if name not in FORMATS:
        raise ConfigError(f"unknown dataset format {name!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


def _where(path, fmt: str):
    """A local Path, or (for the worldjepa format only) an s3:// location."""
    from worldjepa.datasets.storage import is_remote, location

    if is_remote(path) and fmt not in ("worldjepa", "auto"):
        raise DatasetError(f"{path}: only worldjepa datasets live on object storage; copy {fmt} data locally")
    return location(path)


def detect_format(path: str | Path) -> str:
    """The format of the data at ``path``, or a named error listing what was looked for."""
    from worldjepa.datasets.storage import is_remote

    path = _where(path, "auto")
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if is_remote(path):
        if get_format("worldjepa").detect(path):
            return "worldjepa"
        raise DatasetError(f"{path} is not a worldjepa dataset (no steps.lance + episodes.lance)")
    for name in FORMATS:
        if get_format(name).detect(path):
            return name
    raise DatasetError(
        f"cannot tell the format of {path}: it is none of a worldjepa dataset (steps.lance + episodes.lance), "
        "a LeRobot v3 dataset (meta/info.json), an HDF5 file (.h5), a stable-worldmodel Lance table (*.lance) "
        "or a folder of .mp4 files; pass from=<format>"
    )


def open_source(path: str | Path, fmt: str = "auto", **options):
    """The data at ``path`` as an ``EpisodeSource`` (see formats.common)."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    module = get_format(fmt)
    path = _where(path, fmt)
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    known = inspect.signature(module.read).parameters
    unknown = [k for k in options if k not in known]
    if unknown:
        raise ConfigError(
            f"format {fmt} takes no option(s) {unknown}; it takes {[k for k in known if k != 'path']}"
        )
    return module.read(path, **options)


def write_source(
    source, path: str | Path, fmt: str = "worldjepa", lossy: bool = False, progress: bool = True
) -> Path:
    """Write every episode of ``source`` to ``path`` in format ``fmt``; ``lossy`` only where the format has it."""
    module = get_format(fmt)
    if lossy and module.LOSSY is None:
        raise ConfigError(f"format {fmt} is always lossless; drop lossy=true")
    kwargs = {"lossy": lossy} if module.LOSSY is not None else {}
    return module.write(source, _where(path, fmt), progress=progress, **kwargs)


def convert(src, dst, src_format: str = "auto", dst_format: str = "worldjepa", lossy: bool = False,
            progress: bool = True, **read_options) -> Path:  # fmt: skip
    """Read ``src`` (any format) and write it to ``dst`` in ``dst_format``."""
    return write_source(open_source(src, src_format, **read_options), dst, dst_format, lossy, progress)
