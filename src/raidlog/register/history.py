"""A register's history as data: replaying events, the register as of a moment, and
copying the whole history into another store."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from raidlog import convert
from raidlog.backends.base import Entity
from raidlog.backends.memory import MemoryBackend
from raidlog.errors import BackendError, ValidationError
from raidlog.model.events import Event
from raidlog.model.governance import Structure
from raidlog.model.items import Item
from raidlog.model.profile import Profile

if TYPE_CHECKING:
    from raidlog.register.facade import Register

__all__ = ["as_of", "copy_to", "profile_payload", "replay"]

#: How many times :func:`copy_to` reads a source that keeps changing.
_SNAPSHOT_ATTEMPTS = 5


def replay(register: Register, events: Iterable[Event]) -> tuple[dict[str, Item], Structure]:
    """Rebuild items and structure from events alone (see :func:`raidlog.convert.replay`)."""
    items, records = convert.replay(events, register.codec)
    return items, Structure.of(register.codec.entity_from_dict(r) for r in records)


def as_of(register: Register, when: datetime) -> Register:
    """A read-only register as this one stood at ``when`` (rebuilt from the events)."""
    moment = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    kept = [e for e in register.backend.events() if e.at <= moment]
    items, structure = replay(register, kept)
    snapshot = MemoryBackend(f"{register.location}@{moment.isoformat()}", register.codec)
    snapshot.import_verbatim(list(items.values()), kept, structure.records())
    return type(register)(
        snapshot,
        actor=register.actor,
        profile=register.profile,
        codec=register.codec,
        plugin_manager=register.plugin_manager,
        clock=lambda: moment,
        read_only=True,
    )


def copy_to(register: Register, target: Register) -> None:
    """Copy every item, the structure, the full event history and the profile into
    ``target``, which must be empty, in one atomic write. ``target.verify()`` passes
    afterwards."""
    if target.backend.head().seq or next(iter(target.backend.items()), None) is not None:
        raise ValidationError(f"{target.location} is not empty; copy into a new register")
    items, events, entities = _snapshot(register)
    target.backend.import_verbatim(
        items, events, entities, meta={"profile": profile_payload(register.profile)}
    )
    # The target now holds this register's chain, profile events included.
    target.profile = register.profile
    target.profile_chain = attrs.evolve(register.profile_chain, copy_differs=False)


def _snapshot(register: Register) -> tuple[list[Item], list[Event], list[Entity]]:
    """Every item, event and structure record as of one moment.

    They are read one after the other; every write appends an event, so when the
    head of the log is the same before and after, no write came in between and the
    three agree. Otherwise they are read again, a few times at most."""
    for _ in range(_SNAPSHOT_ATTEMPTS):
        head = register.backend.head()
        items = list(register.backend.items())
        events = list(register.backend.events())
        entities = register.backend.entities()
        if register.backend.head() == head and (events[-1].seq if events else 0) == head.seq:
            return items, events, entities
    raise BackendError(
        f"{register.location} changed while it was read for the copy, {_SNAPSHOT_ATTEMPTS} "
        "times; nothing was written to the target: copy again when writes pause"
    )


def profile_payload(profile: Profile) -> str:
    """How a register stores its profile (the ``profile`` metadata value)."""
    return json.dumps(profile.source, sort_keys=True)
