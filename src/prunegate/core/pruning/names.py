"""Name -> object tables for criteria, schedules, allocations and regularisers (not the model registry).

Configuration names a criterion or schedule by string; the table turns the name into the object and
fails loudly, listing the known names, instead of dispatching through an ``elif`` chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["NameTable"]

T = TypeVar("T")


class NameTable(Generic[T]):
    """Maps names to objects (classes or functions) registered with :meth:`register`.

    Args:
        kind: Singular noun used in error messages, e.g. ``"criterion"``.
        plural: Plural noun used in error messages, e.g. ``"criteria"``; defaults to ``kind + "s"``.
    """

    def __init__(self, kind: str, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering the decorated object under ``name``.

        Raises:
            ValueError: If ``name`` is already registered.
        """

        def decorator(entry: T) -> T:
            if name in self.entries:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self.entries[name] = entry
            return entry

        return decorator

    def get(self, name: str) -> T:
        """The object registered under ``name``.

        Raises:
            ValueError: If ``name`` is unknown; the message lists the known names.
        """
        if name not in self.entries:
            known = ", ".join(sorted(self.entries))
            raise ValueError(f"unknown {self.kind} '{name}'; known {self.plural}: {known}")
        return self.entries[name]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries
