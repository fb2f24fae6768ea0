"""A transaction that stages writes over an in-memory state of the register.

Stores that hold the whole register in memory (the ``memory:`` backend, the Excel
workbook, a plugin's file) share this: the work function reads through the staged
writes, the version and duplicate checks happen here, and :meth:`StagingTransaction.applied`
gives the state after the writes, to keep or save, only when the work succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from raidlog.backends.base import Entity, Transaction
from raidlog.convert import entity_kind
from raidlog.errors import ConflictError, DuplicateRefError
from raidlog.model.events import ChainHead, Event
from raidlog.model.items import Item

__all__ = ["EntityKey", "StagingTransaction", "State"]

EntityKey = tuple[type[Entity], str]


@attrs.frozen
class State:
    """One consistent version of a register held in memory."""

    items: dict[str, Item] = attrs.field(factory=dict)
    events: list[Event] = attrs.field(factory=list)
    entities: dict[EntityKey, Entity] = attrs.field(factory=dict)
    counters: dict[str, int] = attrs.field(factory=dict)
    meta: dict[str, str] = attrs.field(factory=dict)


class StagingTransaction(Transaction):
    """Stages writes over ``state``; nothing in ``state`` changes."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.items: dict[str, Item] = {}
        self.events: list[Event] = []
        self.entities: dict[EntityKey, Entity] = {}
        self.counters: dict[str, int] = {}
        self.meta: dict[str, str] = {}

    def get(self, ref: str) -> Item | None:
        return self.items.get(ref) or self.state.items.get(ref)

    def head(self) -> ChainHead:
        events = self.events or self.state.events
        return ChainHead(events[-1].seq, events[-1].hash) if events else ChainHead()

    def allocate(self, prefix: str) -> int:
        number = self.counters.get(prefix, self.state.counters.get(prefix, 0)) + 1
        self.counters[prefix] = number
        return number

    def reserve(self, prefix: str, number: int) -> None:
        current = self.counters.get(prefix, self.state.counters.get(prefix, 0))
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
        return self.entities.get((entity, name)) or self.state.entities.get((entity, name))

    def put_entity(self, entity: Entity, expected_version: int) -> None:
        stored = self.get_entity(type(entity), entity.name)
        found = 0 if stored is None else stored.version
        if found != expected_version:
            raise ConflictError(
                f"{entity_kind(type(entity))}:{entity.name}", expected_version, None
            )
        self.entities[(type(entity), entity.name)] = entity

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def changed(self) -> bool:
        """Whether the work staged anything."""
        return bool(self.items or self.events or self.entities or self.counters or self.meta)

    def applied(self) -> State:
        """The state with the staged writes applied (a new object)."""
        state = self.state
        return State(
            {**state.items, **self.items},
            [*state.events, *self.events],
            {**state.entities, **self.entities},
            {**state.counters, **self.counters},
            {**state.meta, **self.meta},
        )
