"""Factors of variation: named, typed knobs of an environment with train and OOD ranges.

A ``Factor`` is one knob (a colour, a door position, a mass). A ``FactorSpace`` is an env's
set of knobs; it samples them per split and resolves user overrides into a plain,
JSON-serialisable dict that the env applies at reset and records in ``info["factors"]``.

Pure numpy: importing this module does not import MuJoCo.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from worldjepa.errors import EnvError

FACTOR_KINDS = ("visual", "geometric", "physical")
SPLITS = ("default", "train", "ood")
# Factor-group shifts: "<base>+ood-<kind>" draws the factors of one kind from their OOD range
# and every other factor from <base> ("ood-<kind>" alone: the others at their defaults).
SHIFTS = tuple(f"ood-{kind}" for kind in FACTOR_KINDS)


def split_of(split: str, kind: str) -> str:
    """The plain split (default | train | ood) a factor of ``kind`` is drawn from under ``split``."""
    base, _, shift = split.rpartition("+") if "+" in split else ("", "", split)
    if shift in SHIFTS:
        base = base or "default"
        if base not in SPLITS:
            raise EnvError(f"unknown factor split '{split}': '{base}' is not one of {', '.join(SPLITS)}")
        return "ood" if shift == f"ood-{kind}" else base
    if base or split not in SPLITS:
        raise EnvError(
            f"unknown factor split '{split}'; available: {', '.join(SPLITS)}, or a group shift "
            f"[<split>+]{'|'.join(SHIFTS)} (e.g. train+ood-visual)"
        )
    return split


Value = float | tuple[float, ...]
Range = tuple[Value, Value]


def _as_array(value: Value) -> np.ndarray:
    return np.atleast_1d(np.asarray(value, dtype=np.float64))


def _plain(value: np.ndarray, vector: bool) -> Value:
    """Back to plain python floats so the result is JSON-serialisable and hashable."""
    return tuple(float(v) for v in value) if vector else float(value[0])


@dataclass(frozen=True)
class Factor:
    """One factor of variation.

    ``default`` is a float (scalar factor) or a tuple of floats (vector factor, e.g. rgb).
    ``train`` and ``ood`` are ``(low, high)`` boxes; ``low``/``high`` have the shape of
    ``default``. ``limits`` optionally bounds what an explicit override may ask for
    (e.g. a mass must stay positive), independently of the sampling ranges.
    """

    name: str
    kind: str
    default: Value
    train: Range
    ood: Range
    description: str = ""
    limits: Range | None = None

    def __post_init__(self) -> None:
        if self.kind not in FACTOR_KINDS:
            raise EnvError(f"factor '{self.name}': kind '{self.kind}' is not one of {FACTOR_KINDS}")
        n = self.size
        for label, rng in (("train", self.train), ("ood", self.ood), ("limits", self.limits)):
            if rng is None:
                continue
            low, high = (_as_array(v) for v in rng)
            if low.shape != (n,) or high.shape != (n,):
                raise EnvError(f"factor '{self.name}': {label} bounds must have length {n} like the default")
            if np.any(low > high):
                raise EnvError(f"factor '{self.name}': {label} range has low > high: {rng}")
        default = _as_array(self.default)
        if not self.contains(default, "train"):
            raise EnvError(
                f"factor '{self.name}': default {self.default} lies outside train range {self.train}"
            )
        # Vector ranges are boxes: two boxes are disjoint when they are separated along at
        # least one component, so an OOD colour may share e.g. its green range with train.
        (tl, th), (ol, oh) = (tuple(_as_array(v) for v in r) for r in (self.train, self.ood))
        if not np.any((oh < tl) | (ol > th)):
            raise EnvError(f"factor '{self.name}': train range {self.train} and ood range {self.ood} overlap")

    @property
    def size(self) -> int:
        """1 for scalar factors, the tuple length for vector factors."""
        return _as_array(self.default).shape[0]

    @property
    def is_vector(self) -> bool:
        return isinstance(self.default, tuple)

    def bounds(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(low, high), each float64 (size,), of the split's sampling range."""
        if split == "default":
            d = _as_array(self.default)
            return d, d
        return tuple(_as_array(v) for v in getattr(self, split))

    def contains(self, value: Value, split: str) -> bool:
        low, high = self.bounds(split)
        v = _as_array(value)
        return bool(np.all((v >= low - 1e-12) & (v <= high + 1e-12)))

    def sample(self, rng: np.random.Generator, split: str = "train") -> Value:
        """Uniform in the split's range (the default for split='default', which draws nothing)."""
        low, high = self.bounds(split)
        if split == "default":
            return _plain(low, self.is_vector)
        return _plain(rng.uniform(low, high), self.is_vector)

    def coerce(self, value: object) -> Value:
        """Validate an explicit override and return it as a plain float / tuple of floats."""
        if self.is_vector:
            ok = (
                isinstance(value, Sequence | np.ndarray)
                and not isinstance(value, str)
                and len(value) == self.size
            )
            ok = ok and all(isinstance(v, Real) and not isinstance(v, bool) for v in value)
            expected = f"a sequence of {self.size} floats"
        else:
            ok = isinstance(value, Real) and not isinstance(value, bool)
            expected = "a float"
        if not ok:
            raise EnvError(f"factor '{self.name}' expects {expected}, got {value!r}")
        arr = _as_array(value)
        if not np.all(np.isfinite(arr)):
            raise EnvError(f"factor '{self.name}' must be finite, got {value!r}")
        if self.limits is not None:
            low, high = (_as_array(v) for v in self.limits)
            if np.any(arr < low) or np.any(arr > high):
                raise EnvError(f"factor '{self.name}' = {value!r} is outside its valid limits {self.limits}")
        return _plain(arr, self.is_vector)


class FactorSpace:
    """An ordered collection of factors, addressed by name."""

    def __init__(self, factors: Sequence[Factor]):
        self._factors = {f.name: f for f in factors}
        if len(self._factors) != len(factors):
            raise EnvError(f"duplicate factor names in {[f.name for f in factors]}")

    @property
    def names(self) -> list[str]:
        return list(self._factors)

    def __getitem__(self, name: str) -> Factor:
        try:
            return self._factors[name]
        except KeyError:
            raise EnvError(f"unknown factor '{name}'; available: {', '.join(self.names)}") from None

    def __iter__(self) -> Iterator[Factor]:
        return iter(self._factors.values())

    def __len__(self) -> int:
        return len(self._factors)

    def sample(self, rng: np.random.Generator, split: str = "train") -> dict[str, Value]:
        """All factors drawn uniformly from the split's ranges ('default' draws nothing); a
        group shift (``split_of``) draws one kind from OOD and the rest from its base split."""
        return {f.name: f.sample(rng, split_of(split, f.kind)) for f in self}

    def resolve(
        self,
        overrides: Mapping[str, object] | str | None,
        rng: np.random.Generator,
        split: str = "default",
    ) -> dict[str, Value]:
        """Realised factors: the split's values with ``overrides`` applied on top.

        ``overrides`` is a {name: value} dict, a split name (sample everything from it),
        or None. All factors are drawn before overriding, so the random stream, and thus
        the other factors, do not depend on which names were overridden.
        """
        if isinstance(overrides, str):
            split, overrides = overrides, None
        elif overrides is not None and not isinstance(overrides, Mapping):
            raise EnvError(
                f"factors must be a {{name: value}} dict, a split name ({', '.join(SPLITS)}, ...) or None; "
                f"got {type(overrides).__name__} {overrides!r} (factors: {', '.join(self.names) or 'none'})"
            )
        values = self.sample(rng, split)
        for name, value in (overrides or {}).items():
            values[name] = self[name].coerce(value)
        return values

    def describe(self) -> list[dict[str, object]]:
        """One row per factor for a CLI table: name, kind, default, train, ood, description."""
        return [
            {
                "name": f.name,
                "kind": f.kind,
                "default": f.default,
                "train": f.train,
                "ood": f.ood,
                "description": f.description,
            }
            for f in self
        ]

    def __repr__(self) -> str:
        return f"FactorSpace({', '.join(self.names)})"
