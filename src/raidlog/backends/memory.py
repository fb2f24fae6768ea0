"""The ``memory:`` backend: a register that lives in this process only.

It is the reference the other backends are tested against, so it is deliberately
plain: one immutable state behind a lock, replaced by the staged writes of a
transaction only when the work function returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from raidlog.backends.base import Backend, Capabilities, Entity, Transaction
from raidlog.backends.staging import StagingTransaction, State
from raidlog.convert import Codec
from raidlog.hookspecs import hookimpl
from raidlog.model.events import ChainHead, Event
from raidlog.model.items import Item

__all__ = ["MemoryBackend"]

T = TypeVar("T")


class MemoryBackend(Backend):
    """A register held in memory; ``memory:`` opens a new, empty one each time."""

    name: ClassVar[str] = "memory"
    schemes: ClassVar[tuple[str, ...]] = ("memory",)
    capabilities: ClassVar[Capabilities] = Capabilities(persistent=False, concurrent_threads=True)

    def __init__(self, location: str, codec: Codec) -> None:
        super().__init__(location, codec)
        self._lock = threading.RLock()
        self._state = State()

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> MemoryBackend:
        return cls(location, codec)

    def atomic(self, work: Callable[[Transaction], T]) -> T:
        with self._lock:
            txn = StagingTransaction(self._state)
            result = work(txn)
            if txn.changed():
                self._state = txn.applied()
            return result

    def get(self, ref: str) -> Item | None:
        return self._state.items.get(ref)

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        wanted = None if kinds is None else set(kinds)
        with self._lock:
            snapshot = sorted(self._state.items.values(), key=lambda i: i.ref or "")
        return (i for i in snapshot if wanted is None or i.kind in wanted)

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        with self._lock:
            snapshot = list(self._state.events[after:])
        return (e for e in snapshot if ref is None or e.ref == ref)

    def entities(self) -> list[Entity]:
        with self._lock:
            return list(self._state.entities.values())

    def get_meta(self, key: str) -> str | None:
        return self._state.meta.get(key)

    def head(self) -> ChainHead:
        with self._lock:
            events = self._state.events
            return ChainHead(events[-1].seq, events[-1].hash) if events else ChainHead()

    def close(self) -> None:
        """Nothing to release: the register goes when the last reference does."""


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The built-in ``memory:`` backend, registered like any plugin's."""
    return [MemoryBackend]
