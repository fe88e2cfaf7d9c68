"""A map bounded by count that forgets its least recently used entry first.

The in-memory caches and memories of a process (verified tokens, request budgets,
compressed files, items warned about, list pages) must not grow without bound, and the
entry worth dropping is the one least recently used. This is that map, written once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RecentlyUsed(OrderedDict[K, V]):
    """A map of at most :attr:`maximum` entries, least recently used first.

    Only :meth:`recall` and :meth:`put` count as a use. Reading with ``get``, ``[]`` or
    ``in``, and assigning to a key already there, leave its place alone: a site that
    peeks, or updates a value in place, does not keep the entry longer. An ``OrderedDict``
    underneath (its operations are C), subclassed rather than wrapped: it sits on the
    path of every authenticated request.
    """

    def __init__(self, maximum: int) -> None:
        super().__init__()
        #: Entries kept at most; :meth:`put` forgets the least recently used past it.
        self.maximum = maximum

    def recall(self, key: K) -> V | None:
        """The value of ``key``, now the most recently used; None if not here (so a map
        that holds None values is asked with ``in``)."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Set ``key`` to ``value`` as the most recently used, forgetting the least
        recently used entries past :attr:`maximum`."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.maximum:
            self.popitem(last=False)
