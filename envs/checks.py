"""Argument checks every worldjepa env shares: named ``EnvError``s, never a numpy traceback.

Pure numpy: importing this module does not import MuJoCo.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from worldjepa.errors import EnvError


def as_vector(value: object, size: int, what: str, flatten: bool = False) -> np.ndarray:
    """value -> float64 (size,) (``flatten``: any shape holding ``size`` numbers), or an EnvError
    naming ``what``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and flatten:
        arr = arr.reshape(-1)
    if arr is None or arr.shape != (size,) or not np.all(np.isfinite(arr)):
        raise EnvError(f"{what} must be a finite array of shape ({size},), got {value!r}")
    return arr


def reset_options(options: object, known: tuple[str, ...]) -> dict:
    """``reset(options=...)`` -> a dict whose keys are all in ``known``, or a named EnvError."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise EnvError(
            f"reset options must be a dict with keys among {', '.join(known)} "
            f"(e.g. {{'factors': 'train'}}); got {type(options).__name__} {options!r}"
        )
    unknown = [k for k in options if k not in known]
    if unknown:
        raise EnvError(f"unknown reset option(s) {unknown}; available: {', '.join(known)}")
    return dict(options)
