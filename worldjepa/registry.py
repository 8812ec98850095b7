"""A tiny name -> object registry, used instead of if-chains (planners, encoders, policies...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (usually classes or factories).

    >>> PLANNERS = Registry("planner")
    >>> @PLANNERS.register("cem")
    ... class CEM: ...
    >>> PLANNERS.get("cem") is CEM
    True
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        """The object registered as ``name``; a ConfigError (a ValueError) names the known ones."""
        try:
            return self._items[name]
        except KeyError:
            from worldjepa.errors import ConfigError

            raise ConfigError(
                f"unknown {self.kind} '{name}'; available: {', '.join(sorted(self._items))}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
