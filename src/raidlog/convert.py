"""cattrs converters at the edges: items, events and structure to JSON-ready dicts and back.

The model knows nothing of serialization; every medium (JSON files, SQL rows, the event
log) goes through one :class:`Codec`. A round trip is exact: ``codec.item_from_dict(
codec.item_to_dict(item)) == item``. Every serialized document carries
:data:`SCHEMA_VERSION` under the key ``"schema"`` so a later release can read it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeAlias, cast

import attrs
import cattrs

from raidlog.bulk import generated
from raidlog.errors import ValidationError
from raidlog.model.events import Change, Event
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import BUILTIN_KINDS, Item, Link
from raidlog.model.profile import PROFILE_REF
from raidlog.model.values import ExtraValue, Rag, Relation

__all__ = [
    "ENTITY_CLASSES",
    "METADATA_FIELDS",
    "SCHEMA_VERSION",
    "Codec",
    "JsonDict",
    "entity_kind",
    "make_converter",
    "replay",
]

#: Version of the serialized form of items and events.
SCHEMA_VERSION = 1

JsonDict: TypeAlias = dict[str, Any]

#: Fields the register maintains itself; they are not "content" and produce no Change.
METADATA_FIELDS = frozenset(
    {"ref", "version", "created_at", "created_by", "updated_at", "updated_by"}
)


def make_converter() -> cattrs.Converter:
    """A converter that turns model objects into JSON-ready values and back."""
    conv = cattrs.Converter(detailed_validation=False)
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: _parse_datetime(v))
    conv.register_unstructure_hook(date, lambda v: v.isoformat())
    conv.register_structure_hook(date, lambda v, _: _parse_date(v))
    conv.register_unstructure_hook(Rag, lambda v: v.value)
    conv.register_unstructure_hook(Relation, lambda v: v.value)
    # Values that are already JSON (extra, change old/new) pass through untouched.
    passthrough = {dict[str, ExtraValue], ExtraValue}
    conv.register_structure_hook_func(lambda t: t in passthrough, lambda v, _: v)
    conv.register_structure_hook_func(
        lambda t: str(t) == "JsonValue" or t == "JsonValue", lambda v, _: v
    )
    return conv


def _iso(value: datetime | None) -> str | None:
    global _LAST_ISO  # a one-entry cache, replaced as a whole
    if value is None:
        return None
    last = _LAST_ISO
    if value is last[0]:
        return last[1]
    text = value.isoformat()
    _LAST_ISO = (value, text)
    return text


# The last time converted and its text: the items of one write share their created_at
# and updated_at objects (a tuple, read and replaced in one step).
_LAST_ISO: tuple[object, str] = (None, "")


def _day(value: date | None) -> str | None:
    if value is None:
        return None
    if type(value) is not date:
        return value.isoformat()
    text = _DAYS.get(value)
    if text is None:
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()
        text = _DAYS[value] = value.isoformat()
    return text


# Dates and their text: the items of a register share a few thousand dates at most.
# Only plain dates are kept (equal datetimes in other zones have other texts).
_DAYS: dict[date, str] = {}
_DAYS_KEPT = 20_000


def _links(value: tuple[Link, ...]) -> list[dict[str, str]]:
    return [{"relation": link.relation.value, "target": link.target} for link in value]


def _plan(cls: type[Item]) -> Callable[[Any], JsonDict]:
    """``item_to_dict`` for one class: a function returning one dict display, written
    out field by field from the class's type hints (no loop, no getter calls)."""
    hints = typing.get_type_hints(cls)
    entries: list[str] = []
    for field in attrs.fields(cls):
        name = field.name
        hint = hints[name]
        args = set(typing.get_args(hint)) - {type(None)}
        value = f"item.{name}"
        if hint in (datetime, datetime | None):
            expression = f"iso({value})"
        elif hint in (date, date | None):
            expression = f"day({value})"
        elif hint in (Rag, Rag | None):
            expression = f"None if {value} is None else {value}.value"
        elif hint == tuple[str, ...]:
            expression = f"list({value})"
        elif hint == tuple[Link, ...]:
            expression = f"links({value})"
        elif name == "extra":
            expression = f"dict({value})"
        elif hint in (str, int, float, bool) or args <= {str, int, float, bool}:
            expression = value
        else:
            raise TypeError(f"no JSON plan for {cls.__name__}.{name}: {hint!r}")
        entries.append(f"{name!r}: {expression}")
    entries.append(f"'kind': {cls.kind!r}")
    source = "def to_dict(item):\n    return {" + ", ".join(entries) + "}"
    namespace: dict[str, Any] = {"iso": _iso, "day": _day, "links": _links}
    # Code built from the class's own field names and hints.
    plan = generated(source, "to_dict", namespace, f"raidlog.convert to_dict {cls.__name__}")
    return cast(Callable[[Any], JsonDict], plan)


def _parse_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO date-time, got {value!r}")
    return datetime.fromisoformat(value)


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO date, got {value!r}")
    return date.fromisoformat(value)


class Codec:
    """Converts the items of a register (any registered kind), events and structure."""

    def __init__(self, kinds: Iterable[type[Item]] = BUILTIN_KINDS) -> None:
        self.kinds: dict[str, type[Item]] = {k.kind: k for k in kinds}
        self.converter = make_converter()
        self._plans: dict[type[Item], Callable[[Any], JsonDict]] = {}
        # Dicts made by a bulk write, kept for the backend's one conversion of each new
        # version (see remember): id -> (item, dict); the item held keeps its id unique.
        self._kept: dict[int, tuple[Item, JsonDict]] = {}

    def kind_class(self, kind: str) -> type[Item]:
        """The class of ``kind``; raises ``ValidationError`` for an unknown kind."""
        try:
            return self.kinds[kind]
        except KeyError:
            known = ", ".join(sorted(self.kinds))
            raise ValidationError(f"unknown kind {kind!r}; known kinds: {known}") from None

    # items ---------------------------------------------------------------------------
    def item_to_dict(self, item: Item) -> JsonDict:
        """Every field of ``item`` as JSON-ready values, plus ``kind``.

        Equal to what the cattrs converter gives (a property test holds them equal), by
        a plan made once per class: this runs for every item of every bulk write. A
        dict kept by :meth:`remember` for this very object is returned (once) instead.
        """
        if self._kept:
            kept = self._kept.pop(id(item), None)
            if kept is not None and kept[0] is item:
                return kept[1]
        plan = self._plans.get(type(item))
        if plan is None:
            plan = self._plans[type(item)] = _plan(type(item))
        return plan(item)

    def remember(self, item: Item, data: JsonDict) -> None:
        """Keep ``data``, just made by :meth:`item_to_dict` from ``item`` and not to be
        changed, for the next ``item_to_dict(item)``: the register converts each new
        version it stages, and the backend storing it need not convert it again."""
        self._kept[id(item)] = (item, data)

    def forget(self) -> None:
        """Drop every kept dict (the register calls this once a write has stored them)."""
        self._kept.clear()

    def item_to_dict_slow(self, item: Item) -> JsonDict:
        """:meth:`item_to_dict` through the general cattrs converter (the reference)."""
        data = cast(JsonDict, self.converter.unstructure(item))
        data["kind"] = item.kind
        return data

    def item_from_dict(self, data: Mapping[str, Any]) -> Item:
        """Rebuild an item from :meth:`item_to_dict` output (extra keys are an error)."""
        values = dict(data)
        values.pop("schema", None)
        cls = self.kind_class(str(values.pop("kind", "")))
        known = {f.name for f in attrs.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValidationError(f"unknown fields for a {cls.kind}: {', '.join(sorted(unknown))}")
        try:
            return self.converter.structure(values, cls)
        except (cattrs.BaseValidationError, TypeError, KeyError) as exc:
            raise ValidationError(f"cannot read a {cls.kind} from {values!r}: {exc}") from exc

    def content(self, item: Item) -> JsonDict:
        """The fields an event records changes of: everything but register metadata."""
        data = self.item_to_dict(item)
        for name in METADATA_FIELDS:
            data.pop(name, None)
        del data["kind"]
        return data

    def document(self, item: Item) -> JsonDict:
        """A self-describing JSON document of ``item`` (with ``schema``)."""
        return {"schema": SCHEMA_VERSION, **self.item_to_dict(item)}

    # events --------------------------------------------------------------------------
    def event_to_dict(self, event: Event) -> JsonDict:
        """An event as JSON-ready values."""
        data = cast(JsonDict, self.converter.unstructure(event))
        data["changes"] = [[c.field, c.old, c.new] for c in event.changes]
        return data

    def event_from_dict(self, data: Mapping[str, Any]) -> Event:
        """Rebuild an event from :meth:`event_to_dict` output."""
        values = dict(data)
        values.pop("schema", None)
        changes = tuple(
            Change(field=str(f), old=old, new=new) for f, old, new in values.pop("changes", [])
        )
        try:
            event = self.converter.structure(values, Event)
        except (cattrs.BaseValidationError, TypeError, KeyError) as exc:
            raise ValidationError(f"cannot read an event from {values!r}: {exc}") from exc
        return attrs.evolve(event, changes=changes)

    # structure -----------------------------------------------------------------------
    def entity_to_dict(self, entity: Node | Body | Objective) -> JsonDict:
        """A node, body or objective as JSON-ready values, with ``entity`` naming which."""
        data = cast(JsonDict, self.converter.unstructure(entity))
        data["entity"] = entity_kind(type(entity))
        return data

    def entity_from_dict(self, data: Mapping[str, Any]) -> Node | Body | Objective:
        """Rebuild a node, body or objective from :meth:`entity_to_dict` output."""
        values = dict(data)
        kind = values.pop("entity")
        try:
            cls = ENTITY_CLASSES[kind]
        except KeyError:
            raise ValidationError(f"unknown structure record {kind!r}") from None
        return self.converter.structure(values, cls)


#: Structure records by the name events and stores use for them.
ENTITY_CLASSES: dict[str, type[Node] | type[Body] | type[Objective]] = {
    "node": Node,
    "body": Body,
    "objective": Objective,
}


def entity_kind(cls: type[Node] | type[Body] | type[Objective]) -> str:
    """``node``, ``body`` or ``objective``: the name stores and events use for ``cls``."""
    return {Node: "node", Body: "body", Objective: "objective"}[cls]


def replay(
    events: Iterable[Event], codec: Codec, *, skip_unknown_kinds: bool = False
) -> tuple[dict[str, Item], list[JsonDict]]:
    """Items and governance records as the event log says they are: each event's changes
    applied in order, register metadata taken from the first and last event of each ref.

    The one replay rule of raidlog: ``Register.verify``, ``Register.as_of`` and stores
    that detect edits made behind their back all use it. With ``skip_unknown_kinds``,
    events of kinds no installed plugin provides are left out instead of failing.
    """
    states: dict[str, JsonDict] = {}
    first: dict[str, Event] = {}
    last: dict[str, Event] = {}
    entities: dict[str, JsonDict] = {}
    for event in events:
        if event.kind == PROFILE_REF:
            continue  # the register's rules, not an item or a governance record
        if event.kind in ENTITY_CLASSES:
            state = entities.setdefault(event.ref, {"entity": event.kind})
            state.update({c.field: c.new for c in event.changes})
            state["version"] = event.version
            continue
        if skip_unknown_kinds and event.kind not in codec.kinds:
            continue
        if event.action == "add":
            states[event.ref] = {"kind": event.kind}
            first[event.ref] = event
        states.setdefault(event.ref, {"kind": event.kind}).update(
            {c.field: c.new for c in event.changes}
        )
        last[event.ref] = event
    items: dict[str, Item] = {}
    for ref, state in states.items():
        made, now = first.get(ref, last[ref]), last[ref]
        state.update(
            ref=ref,
            version=now.version,
            created_at=made.at.isoformat(),
            created_by=made.actor,
            updated_at=now.at.isoformat(),
            updated_by=now.actor,
        )
        items[ref] = codec.item_from_dict(state)
    return items, list(entities.values())
