"""JSON and JSON Lines exports, with the full items, events and structure, and loading
such an export back into an empty register.

A complete export (no filter) rebuilds the same register: same items, same hash-chained
events, same structure and profile; ``verify()`` passes on the result. A filtered export
carries the selected items and only their events; it is for reading, and
:func:`load_json` refuses it because its chain has gaps.

JSON document::

    {"format": "raidlog-export", "schema": 1, "complete": true, "generated_at": ...,
     "source": "raid.db", "profile": {...}, "structure": [...], "items": [...],
     "events": [...]}

JSON Lines: the same header (without the lists) on the first line, then one record per
line with ``"type"`` set to ``entity``, ``item`` or ``event``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from raidlog.backends.memory import MemoryBackend
from raidlog.convert import SCHEMA_VERSION, Codec
from raidlog.errors import ValidationError
from raidlog.files import replaced
from raidlog.model.events import Event
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Item
from raidlog.model.profile import Profile
from raidlog.register import Register

__all__ = ["FORMAT", "JsonExport", "load_json", "read_json", "write_json", "write_jsonl"]

#: The ``format`` key of every raidlog JSON export.
FORMAT = "raidlog-export"

Progress = Callable[[int], None]


def _header(register: Register, complete: bool) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "schema": SCHEMA_VERSION,
        "complete": complete,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": register.location,
        "backend": register.backend.name,
        "profile": dict(register.profile.source),
    }


def _events_for(register: Register, items: Sequence[Item] | None) -> Iterator[Event]:
    if items is None:
        return register.events()
    refs = {i.ref for i in items}
    return (e for e in register.events() if e.ref in refs)


def write_json(
    register: Register,
    path: str | Path,
    *,
    items: Sequence[Item] | None = None,
    advance: Progress | None = None,
) -> int:
    """Write the register (or just ``items`` and their events) as one JSON document;
    returns the number of items written."""
    codec = register.codec
    chosen = list(register.items()) if items is None else list(items)
    doc = _header(register, items is None)
    doc["structure"] = [codec.entity_to_dict(e) for e in register.structure().records()]
    doc["items"] = [codec.item_to_dict(i) for i in chosen]
    if advance is not None:
        advance(len(chosen))
    doc["events"] = [codec.event_to_dict(e) for e in _events_for(register, items)]
    with replaced(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return len(chosen)


def write_jsonl(
    register: Register,
    path: str | Path,
    *,
    items: Sequence[Item] | None = None,
    advance: Progress | None = None,
) -> int:
    """Write the register (or just ``items`` and their events) as JSON Lines; returns
    the number of items written."""
    codec = register.codec
    chosen = register.items() if items is None else iter(items)
    count = 0

    def line(handle: IO[str], record: dict[str, Any]) -> None:
        handle.write(json.dumps(record, ensure_ascii=False))
        handle.write("\n")

    with replaced(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        line(handle, {"type": "header", **_header(register, items is None)})
        for entity in register.structure().records():
            line(handle, {"type": "entity", **codec.entity_to_dict(entity)})
        for item in chosen:
            line(handle, {"type": "item", **codec.item_to_dict(item)})
            count += 1
            if advance is not None and count % 1000 == 0:
                advance(1000)
        for event in _events_for(register, items):
            line(handle, {"type": "event", **codec.event_to_dict(event)})
    if advance is not None:
        advance(count % 1000)
    return count


class JsonExport:
    """A JSON or JSON Lines export read back: header, profile, structure, items, events."""

    def __init__(
        self,
        header: dict[str, Any],
        structure: list[Node | Body | Objective],
        items: list[Item],
        events: list[Event],
    ) -> None:
        self.header = header
        self.structure = structure
        self.items = items
        self.events = events

    @property
    def complete(self) -> bool:
        """Whether the export holds the whole register (not a filtered part)."""
        return bool(self.header.get("complete"))

    @property
    def profile(self) -> Profile:
        """The profile of the register the export came from."""
        return Profile.from_mapping(self.header["profile"])


def _check_header(header: Any, path: Path) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValidationError(f"{path} is not a raidlog JSON export (no format {FORMAT!r})")
    if header.get("schema") != SCHEMA_VERSION:
        raise ValidationError(
            f"{path} has schema {header.get('schema')!r}; this raidlog reads schema "
            f"{SCHEMA_VERSION}: upgrade raidlog to read it"
        )
    return header


def read_json(path: str | Path, codec: Codec | None = None) -> JsonExport:
    """Read a JSON or JSON Lines export (chosen by the ``.jsonl`` suffix).

    Raises :class:`~raidlog.errors.ValidationError` naming the file (and line) when it
    is not a raidlog export or a record cannot be read.
    """
    where = Path(path)
    conv = codec or Codec()
    structure: list[Node | Body | Objective] = []
    items: list[Item] = []
    events: list[Event] = []
    try:
        with open(where, encoding="utf-8") as handle:
            if where.suffix.lower() == ".jsonl":
                header: dict[str, Any] = {}
                for number, text in enumerate(handle, 1):
                    if not text.strip():
                        continue
                    record = json.loads(text)
                    kind = record.pop("type", None) if isinstance(record, dict) else None
                    try:
                        if number == 1:
                            header = _check_header(record, where)
                        elif kind == "entity":
                            structure.append(conv.entity_from_dict(record))
                        elif kind == "item":
                            items.append(conv.item_from_dict(record))
                        elif kind == "event":
                            events.append(conv.event_from_dict(record))
                        else:
                            raise ValidationError(f"unknown record type {kind!r}")
                    except ValidationError as exc:
                        raise ValidationError(f"{where}, line {number}: {exc}") from None
            else:
                doc = json.load(handle)
                header = _check_header(doc, where)
                try:
                    structure = [conv.entity_from_dict(e) for e in doc.get("structure", [])]
                    items = [conv.item_from_dict(i) for i in doc.get("items", [])]
                    events = [conv.event_from_dict(e) for e in doc.get("events", [])]
                except ValidationError as exc:
                    raise ValidationError(f"{where}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{where} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {where}: {exc.strerror or exc}") from None
    return JsonExport(header, structure, items, events)


def load_json(path: str | Path, register: Register) -> int:
    """Rebuild the register exported to ``path`` into ``register``, which must be empty:
    the same items, events (hash chain included), structure and profile. Returns the
    number of items loaded.

    Raises :class:`~raidlog.errors.ValidationError` for a filtered export, a file that
    is not a raidlog export, or a non-empty target.
    """
    export = read_json(path, register.codec)
    if not export.complete:
        raise ValidationError(
            f"{path} is a filtered export (part of a register); export the whole register "
            "to rebuild it"
        )
    staging = MemoryBackend(str(path), register.codec)
    staging.import_verbatim(export.items, export.events, export.structure)
    source = Register(
        staging,
        actor=register.actor,
        profile=export.profile,
        codec=register.codec,
        plugin_manager=register.plugin_manager,
    )
    source.copy_to(register)
    return len(export.items)
