"""The ``memory:`` backend: a register that lives in this process only.

It is the reference the other backends are tested against, so it is deliberately
plain: dictionaries behind one lock, with a transaction that stages every write and
applies it only when the work function returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from raidlog.backends.base import Backend, Capabilities, Entity, Transaction
from raidlog.convert import Codec
from raidlog.errors import ConflictError, DuplicateRefError
from raidlog.hookspecs import hookimpl
from raidlog.model.events import ChainHead, Event
from raidlog.model.items import Item

__all__ = ["MemoryBackend"]

T = TypeVar("T")


class _MemoryTransaction(Transaction):
    def __init__(self, store: MemoryBackend) -> None:
        self.store = store
        self.items: dict[str, Item] = {}
        self.events: list[Event] = []
        self.entities: dict[tuple[type[Entity], str], Entity] = {}
        self.counters: dict[str, int] = {}
        self.meta: dict[str, str] = {}

    def get(self, ref: str) -> Item | None:
        return self.items.get(ref) or self.store._items.get(ref)

    def head(self) -> ChainHead:
        if self.events:
            return ChainHead(self.events[-1].seq, self.events[-1].hash)
        return self.store.head()

    def allocate(self, prefix: str) -> int:
        number = self.counters.get(prefix, self.store._counters.get(prefix, 0)) + 1
        self.counters[prefix] = number
        return number

    def reserve(self, prefix: str, number: int) -> None:
        current = self.counters.get(prefix, self.store._counters.get(prefix, 0))
        self.counters[prefix] = max(current, number)

    def put(self, writes: Sequence[tuple[Item, int]]) -> None:
        for item, expected in writes:
            assert item.ref is not None, "items are stored with their ref"
            stored = self.get(item.ref)
            if expected == 0 and stored is not None:
                raise DuplicateRefError(item.ref)
            if expected != 0 and (stored is None or stored.version != expected):
                raise ConflictError(item.ref, expected, stored)
            self.items[item.ref] = item

    def append(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def get_entity(self, entity: type[Entity], name: str) -> Entity | None:
        return self.entities.get((entity, name)) or self.store._entities.get((entity, name))

    def put_entity(self, entity: Entity, expected_version: int) -> None:
        stored = self.get_entity(type(entity), entity.name)
        found = 0 if stored is None else stored.version
        if found != expected_version:
            raise ConflictError(
                f"{type(entity).__name__.lower()}:{entity.name}", expected_version, None
            )
        self.entities[(type(entity), entity.name)] = entity

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def apply(self) -> None:
        self.store._items.update(self.items)
        self.store._events.extend(self.events)
        self.store._entities.update(self.entities)
        self.store._counters.update(self.counters)
        self.store._meta.update(self.meta)


class MemoryBackend(Backend):
    """A register held in memory; ``memory:`` opens a new, empty one each time."""

    name: ClassVar[str] = "memory"
    schemes: ClassVar[tuple[str, ...]] = ("memory",)
    capabilities: ClassVar[Capabilities] = Capabilities(persistent=False, concurrent_threads=True)

    def __init__(self, location: str, codec: Codec) -> None:
        super().__init__(location, codec)
        self._lock = threading.RLock()
        self._items: dict[str, Item] = {}
        self._events: list[Event] = []
        self._entities: dict[tuple[type[Entity], str], Entity] = {}
        self._counters: dict[str, int] = {}
        self._meta: dict[str, str] = {}

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> MemoryBackend:
        return cls(location, codec)

    def atomic(self, work: Callable[[Transaction], T]) -> T:
        with self._lock:
            txn = _MemoryTransaction(self)
            result = work(txn)
            txn.apply()
            return result

    def get(self, ref: str) -> Item | None:
        return self._items.get(ref)

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        wanted = None if kinds is None else set(kinds)
        with self._lock:
            snapshot = sorted(self._items.values(), key=lambda i: i.ref or "")
        return (i for i in snapshot if wanted is None or i.kind in wanted)

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        with self._lock:
            snapshot = list(self._events[after:])
        return (e for e in snapshot if ref is None or e.ref == ref)

    def entities(self) -> list[Entity]:
        with self._lock:
            return list(self._entities.values())

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def head(self) -> ChainHead:
        with self._lock:
            if not self._events:
                return ChainHead()
            return ChainHead(self._events[-1].seq, self._events[-1].hash)

    def close(self) -> None:
        """Nothing to release: the register goes when the last reference does."""


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The built-in ``memory:`` backend, registered like any plugin's."""
    return [MemoryBackend]
