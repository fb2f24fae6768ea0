"""cattrs converters at the edges: items, events and structure to JSON-ready dicts and back.

The model knows nothing of serialization; every medium (JSON files, SQL rows, the event
log) goes through one :class:`Codec`. A round trip is exact: ``codec.item_from_dict(
codec.item_to_dict(item)) == item``. Every serialized document carries
:data:`SCHEMA_VERSION` under the key ``"schema"`` so a later release can read it.

What a store wrote itself reads back through a trusted reader generated per class
(:meth:`Codec.row_reader`, :meth:`Codec.item_from_stored`): types and shapes checked,
the validators not run again (they ran when the item was written), nothing normalised.
"""

from __future__ import annotations

import json
import math
import operator
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeAlias, cast

import attrs
import cattrs
import orjson

from raidlog.bulk import generated, unshared
from raidlog.errors import ValidationError
from raidlog.model.events import Change, Event, changes_text, plain_value
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import BUILTIN_KINDS, Item, Link, writable_twin
from raidlog.model.profile import PROFILE_REF
from raidlog.model.values import ExtraValue, Rag, Relation, utc

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


def _dict_expressions(cls: type[Item]) -> list[tuple[str, str]]:
    """Each field of ``cls`` and the expression :meth:`Codec.item_to_dict` gives its
    value by, ``{v}`` standing for the field's value (names from :data:`_PLAN_NAMES`)."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, str]] = []
    for field in attrs.fields(cls):
        name = field.name
        hint = hints[name]
        args = set(typing.get_args(hint)) - {type(None)}
        if hint in (datetime, datetime | None):
            expression = "iso({v})"
        elif hint in (date, date | None):
            expression = "None if {v} is None else day({v})"
        elif hint in (Rag, Rag | None):
            expression = "None if {v} is None else {v}.value"
        elif hint == tuple[str, ...]:
            expression = "list({v})"
        elif hint == tuple[Link, ...]:
            expression = "links({v})"
        elif name == "extra":
            expression = "dict({v})"
        elif hint in (str, int, float, bool) or args <= {str, int, float, bool}:
            expression = "{v}"
        else:
            raise TypeError(f"no JSON plan for {cls.__name__}.{name}: {hint!r}")
        out.append((name, expression))
    return out


#: What the expressions of :func:`_dict_expressions` call.
_PLAN_NAMES: dict[str, Any] = {"iso": _iso, "day": _day, "links": _links}


def _plan(cls: type[Item]) -> Callable[[Any], JsonDict]:
    """``item_to_dict`` for one class: a function returning one dict display, written
    out field by field from the class's type hints (no loop, no getter calls)."""
    entries = [
        f"{name!r}: {expression.format(v=f'item.{name}')}"
        for name, expression in _dict_expressions(cls)
    ]
    entries.append(f"'kind': {cls.kind!r}")
    source = "def to_dict(item):\n    return {" + ", ".join(entries) + "}"
    # Code built from the class's own field names and hints.
    plan = generated(
        source, "to_dict", dict(_PLAN_NAMES), f"raidlog.convert to_dict {cls.__name__}"
    )
    return cast(Callable[[Any], JsonDict], plan)


#: What :meth:`Codec.add_plan` makes: ``add(item, values, ref, status, at, at_text,
#: actor)`` gives the stored new version and its add event's changes text.
AddPlan: TypeAlias = Callable[
    [Any, Mapping[str, Any], str, str, datetime, str, str], tuple[Any, str]
]
#: Dict values of these hints are always what orjson writes as the standard library
#: does, for the built-in kinds (their validators make text ``str``, whole numbers
#: ``int``, names a tuple of ``str``); an integer beyond 64 bits or a lone surrogate
#: makes orjson refuse the list, and ``changes_text`` then goes value by value.
_PLAIN_HINTS: tuple[Any, ...] = (
    str,
    str | None,
    int,
    int | None,
    bool,
    date | None,
    datetime | None,
    Rag | None,
    tuple[str, ...],
    tuple[Link, ...],
)


def _add_plan(
    cls: type[Item],
    defaults: Sequence[tuple[str, Any]],
    derivable: frozenset[str],
    kept: dict[int, tuple[Item, JsonDict]],
) -> AddPlan:
    """A new item's stored version, its dict and its add event's changes in one pass
    over its fields, written out field by field for ``cls``.

    ``add(item, values, ref, status, at, at_text, actor)``: the stored version is
    ``item`` with ``values`` (register-derived fields, each one of ``derivable``) set,
    and ``ref``, ``status``, version 1, created and updated at ``at`` by ``actor``,
    as ``assign`` would make it (validators not run again; ``extra`` copied). Its dict
    is what :meth:`Codec.item_to_dict` gives for it (``at_text`` is ``at`` in ISO
    form), kept in ``kept`` for the store's conversion of it (:meth:`Codec.remember`):
    a copy of a dict of the defaults and of what the write shares (made once per time
    and actor), with each value set that is not its default. The changes are the title
    and each content field whose dict value is not its default (``defaults``, in dict
    order), as the canonical JSON text of their ``[field, None, new]`` lists
    (:func:`~raidlog.model.events.changes_text`: one orjson call, the standard
    library's bytes); an event made of them reads the lists back from the text. Free
    text (fields typed ``str``) goes into the lists as :func:`~raidlog.bulk.unshared`
    copies when it is not ASCII: orjson would otherwise attach its UTF-8 form to the
    caller's strings.
    """
    hints = typing.get_type_hints(cls)
    expressions = dict(_dict_expressions(cls))
    fields = [f.name for f in attrs.fields(cls)]
    metadata = {
        "ref": "ref",
        "status": "status",
        "version": "1",
        "created_at": "at",
        "created_by": "actor",
        "updated_at": "at",
        "updated_by": "actor",
    }
    unknown = set(derivable) - set(fields) - set(metadata)
    derivable = frozenset(derivable) - set(metadata) - unknown
    known = set(fields)
    if not {*metadata, "title"} <= known or {name for name, _ in defaults} - known:
        raise TypeError(f"{cls.__name__} has not the fields of an item")
    builtin = cls in BUILTIN_KINDS
    default_of = dict(defaults)
    namespace: dict[str, Any] = {
        **_PLAN_NAMES,
        "cls": cls,
        "new": object.__new__,
        "derivable": derivable,
        "kept": kept,
        "days": _DAYS,
        "text": changes_text,
        "simple": frozenset({str, int, bool, type(None)}),
        "is_plain": plain_value,
        "unshared": unshared,
    }
    shadow = writable_twin(cls)
    lines = [
        "        if values and not values.keys() <= derivable:",
        "            raise TypeError(f'not derived fields: {sorted(values.keys() - derivable)}')",
    ]
    for name in fields:
        if name in metadata:
            continue
        if name == "extra":
            value = "values['extra'] if 'extra' in values else dict(item.extra)"
        elif name in derivable:
            value = f"values[{name!r}] if {name!r} in values else item.{name}"
        else:
            value = f"item.{name}"
        lines.append(f"        v_{name} = {value}")
    if shadow is None:
        namespace["put"] = object.__setattr__
        lines.append("        stored = new(cls)")
    else:
        namespace["shadow"] = shadow
        lines.append("        stored = new(shadow)")
    for name in fields:
        local = metadata.get(name, f"v_{name}")
        if shadow is None:
            lines.append(f"        put(stored, {name!r}, {local})")
        else:
            lines.append(f"        stored.{name} = {local}")
    if shadow is not None:
        lines.append("        stored.__class__ = cls")
    # The dict: a copy of the base (defaults, and what the write shares), then each
    # value that may differ from it, as item_to_dict writes it.
    base_fields: list[tuple[str, str]] = []
    for name in fields:
        if name in ("created_at", "updated_at"):
            base_fields.append((name, "at_text"))
        elif name in ("version", "created_by", "updated_by"):
            base_fields.append((name, metadata[name]))
        elif name in default_of:
            base_fields.append((name, f"dflt[{name!r}]"))
        else:
            base_fields.append((name, "None"))
    namespace["dflt"] = default_of
    base = ", ".join(f"{name!r}: {value}" for name, value in base_fields)
    lines += [
        # One tuple read and replaced whole: threads writing at once each see a base
        # of their own time and actor.
        "        shared = base[0]",
        "        if shared[0] is not at_text or shared[1] is not actor:",
        f"            shared = base[0] = (at_text, actor, {{{base}, 'kind': {cls.kind!r}}})",
        "        data = shared[2].copy()",
        "        data['title'] = v_title",
        "        data['ref'] = ref",
    ]
    if "status" in default_of:
        lines.append("        data['status'] = status")
    # Each content field: its dict value set when it may differ from the base's, and
    # its change when it is not the default.

    def change(name: str, value: str) -> str:
        if hints.get(name) is str:
            value = f"({value} if {value}.isascii() else unshared({value}))"
        return f"[{name!r}, None, {value}]"

    def plain_check(name: str, value: str, indent: str) -> list[str]:
        if builtin and hints[name] in _PLAIN_HINTS:
            return []
        if builtin and hints[name] == float | None:  # a float: orjson writes others
            return [f"{indent}plain = False"]
        return [
            f"{indent}if plain and type({value}) not in simple and not is_plain({value}):",
            f"{indent}    plain = False",
        ]

    lines.append("        plain = True")
    lines += plain_check("title", "v_title", "        ")
    lines.append(f"        out = [{change('title', 'v_title')}]")
    for n, (name, default) in enumerate(defaults):
        namespace[f"d{n}"] = default
        expression = expressions[name]
        local = metadata.get(name, f"v_{name}")
        # What item_to_dict writes for the value (v is known not None where converted).
        if expression == "{v}":
            value, convert = local, None
        elif expression.startswith("None if {v} is None else "):
            inner = expression.removeprefix("None if {v} is None else ").format(v=local)
            if inner == f"day({local})":
                inner = f"days.get({local}) or day({local})"
            elif inner == f"{local}.value":
                inner = f"{local}._value_"  # a StrEnum member's own str, without the property
            value, convert = f"j_{name}", f"j_{name} = {inner}"
        else:
            value, convert = f"j_{name}", f"j_{name} = {expression.format(v=local)}"
        fresh = type(default) in (list, dict) or expression in ("list({v})", "dict({v})")
        if default is None:
            test = f"{local} is not None"
        elif (type(default) in (list, dict) or hints.get(name) is str) and not default:
            test = value if expression == "{v}" or fresh else local
        else:
            test = None
        if fresh or test is None:
            # Set whatever it holds: a fresh list or dict for every item (the base's
            # default is shared), or a value equal to the default yet maybe not it.
            if convert:
                lines.append(f"        {convert}")
            lines.append(f"        data[{name!r}] = {value}")
            if test is None or default:
                test = f"{value} is not d{n} and {value} != d{n}"
            lines.append(f"        if {test}:")
        else:
            lines.append(f"        if {test}:")
            if convert:
                lines.append(f"            {convert}")
            if name != "status":  # set with the metadata
                lines.append(f"            data[{name!r}] = {value}")
        lines.append(f"            out.append({change(name, value)})")
        lines += plain_check(name, value, "            ")
    lines.append("        kept[id(stored)] = (stored, data)")
    lines.append("        return stored, text(out, plain)")
    head = [
        f"def make({', '.join(namespace)}):",
        "    base = [(None, None, None)]",
        "    def add(item, values, ref, status, at, at_text, actor):",
    ]
    source = "\n".join([*head, *lines, "    return add"])
    # Code built from the class's own field names and hints.
    label = f"raidlog.convert add {cls.__name__}"
    make = generated(source, "make", {}, label)
    return cast(AddPlan, make(**namespace))


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


# trusted reads of stored items ---------------------------------------------------------
# An item raidlog stored was validated when it was written, and verify() holds every
# stored item equal to what its history says. Reading it back needs no second run of the
# validators: a reader made once per class checks each value's type and shape (what the
# code using an item relies on: text is text, a date is a date, an enum is a member) and
# sets the fields as stored, normalising nothing, so a row edited outside raidlog either
# reads as exactly what it holds (and verify, which reads through the same reader, names
# the difference from its history) or fails as a ValidationError naming the field.

_NONE = type(None)
_TEXT = frozenset({str})
_SCALARS = frozenset({str, int, float, bool, _NONE})
_RAGS: dict[object, Rag | None] = {None: None, **{rag.value: rag for rag in Rag}}
# 0 and 1 as SQLite stores them; False and True (equal to them) as JSON documents do.
_BOOLS: dict[object, bool] = {0: False, 1: True}
# Texts read before and what they gave: the items of a register share a few thousand
# dates, times and name lists. Dates, times and tuples are immutable, so sharing them is
# safe. Each cache is emptied when it is full.
_READ_DAYS: dict[str, date] = {}
_READ_MOMENTS: dict[str, datetime] = {}
_READ_NAMES: dict[str, tuple[str, ...]] = {}
_READ_KEPT = 20_000


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _read_text(value: object, name: str) -> str:
    if type(value) is not str:
        raise ValidationError(f"{name} holds {_short(value)}, not text", field=name)
    return value


def _read_optional_text(value: object, name: str) -> str | None:
    return None if value is None else _read_text(value, name)


def _read_whole(value: object, name: str) -> int:
    if type(value) is not int:
        raise ValidationError(f"{name} holds {_short(value)}, not a whole number", field=name)
    return value


def _read_optional_whole(value: object, name: str) -> int | None:
    return None if value is None else _read_whole(value, name)


def _read_bool(value: object, name: str) -> bool:
    try:
        return _BOOLS[value]
    except (KeyError, TypeError):
        raise ValidationError(f"{name} holds {_short(value)}, not 0 or 1", field=name) from None


def _read_number(value: object, name: str) -> float | None:
    if value is None:
        return None
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is int and abs(value) < 2**1000:
        return float(value)
    raise ValidationError(f"{name} holds {_short(value)}, not a finite number", field=name)


def _read_day(value: object, name: str) -> date | None:
    if value is None:
        return None
    if type(value) is not str:
        raise ValidationError(f"{name} holds {_short(value)}, not an ISO date", field=name)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{name} holds {_short(value)}, not an ISO date", field=name
        ) from None
    if len(_READ_DAYS) >= _READ_KEPT:
        _READ_DAYS.clear()
    _READ_DAYS[value] = day
    return day


def _read_moment(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise ValidationError(f"{name} holds {_short(value)}, not an ISO date-time", field=name)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{name} holds {_short(value)}, not an ISO date-time", field=name
        ) from None
    if moment.tzinfo is not UTC:
        moment = cast(datetime, utc(moment))  # as the model keeps every time: in UTC
    if len(_READ_MOMENTS) >= _READ_KEPT:
        _READ_MOMENTS.clear()
    _READ_MOMENTS[value] = moment
    return moment


def _read_rag(value: object, name: str) -> Rag | None:
    try:
        return _RAGS[value]
    except (KeyError, TypeError):
        raise ValidationError(
            f"{name} holds {_short(value)}, not red, amber or green", field=name
        ) from None


def _decoded(value: object, name: str, encoded: bool, loads: Callable[[Any], Any]) -> Any:
    if not encoded:
        return value
    if type(value) is not str:
        raise ValidationError(f"{name} holds {_short(value)}, not JSON text", field=name)
    try:
        return loads(value)
    except ValueError:
        raise ValidationError(f"{name} holds {_short(value)}, not JSON", field=name) from None


def _read_names(value: object, name: str, encoded: bool = False) -> tuple[str, ...]:
    found = _decoded(value, name, encoded, orjson.loads)  # a list of text: orjson is exact
    if type(found) is not list or not _TEXT.issuperset(map(type, found)):
        raise ValidationError(f"{name} holds {_short(value)}, not a list of text", field=name)
    names = tuple(found)
    if encoded:
        if len(_READ_NAMES) >= _READ_KEPT:
            _READ_NAMES.clear()
        _READ_NAMES[cast(str, value)] = names
    return names


def _read_links(value: object, name: str, encoded: bool = False) -> tuple[Link, ...]:
    found = _decoded(value, name, encoded, orjson.loads)
    if type(found) is not list:
        raise ValidationError(f"{name} holds {_short(value)}, not a list of links", field=name)
    links = []
    for entry in found:
        if type(entry) is not dict or entry.keys() != {"relation", "target"}:
            raise ValidationError(
                f"{name} holds {_short(entry)}, not a link (relation and target)", field=name
            )
        links.append(Link(relation=entry["relation"], target=entry["target"]))
    return tuple(links)


def _read_extra(value: object, name: str, encoded: bool = False) -> dict[str, ExtraValue]:
    # The standard library's parser: orjson reads integers beyond 64 bits as floats.
    found = _decoded(value, name, encoded, json.loads)
    if type(found) is not dict:
        raise ValidationError(f"{name} holds {_short(value)}, not a JSON object", field=name)
    for key, entry in found.items():
        kind = type(entry)
        if (
            type(key) is not str
            or kind not in _SCALARS
            or (kind is float and not math.isfinite(entry))
        ):
            raise ValidationError(
                f"{name}[{key!r}] holds {_short(entry)}: extra keeps text, finite numbers, "
                "booleans and empty values only",
                field=name,
            )
    return cast(dict[str, ExtraValue], found)


#: How each field type is read: its checker (the reference, also used to say what is
#: wrong), and the expression the generated reader inlines for it (``{v}`` names the
#: stored value); ``None`` for the plain types, checked all at once.
_FIELD_READS: dict[str, tuple[Callable[..., Any], str | None]] = {
    "text": (_read_text, None),
    "optional text": (_read_optional_text, None),
    "whole": (_read_whole, None),
    "optional whole": (_read_optional_whole, None),
    "bool": (_read_bool, "bools[{v}]"),
    "number": (_read_number, "None if {v} is None else number({v}, {name!r})"),
    "date": (_read_day, "None if {v} is None else (days.get({v}) or day({v}, {name!r}))"),
    "moment": (
        _read_moment,
        "None if {v} is None else (moments.get({v}) or moment({v}, {name!r}))",
    ),
    "rag": (_read_rag, "rags[{v}]"),
    "names": (_read_names, "names({v}, {name!r})"),
    "links": (_read_links, "links({v}, {name!r})"),
    "extra": (_read_extra, "extra({v}, {name!r})"),
}
#: The same for values stored as JSON text (SQLite's columns of lists and objects).
_ENCODED_READS: dict[str, str] = {
    "names": "() if {v} == '[]' else (tuples.get({v}) or names({v}, {name!r}, True))",
    "links": "() if {v} == '[]' else links({v}, {name!r}, True)",
    "extra": "{{}} if {v} == '{{}}' else extra({v}, {name!r}, True)",
}
_PLAIN_CHECKS = {
    "text": "type({v}) is str",
    "optional text": "({v} is None or type({v}) is str)",
    "whole": "type({v}) is int",
    "optional whole": "({v} is None or type({v}) is int)",
}


def _field_read(name: str, hint: Any) -> str:
    """Which of :data:`_FIELD_READS` reads a field of type ``hint``."""
    if name == "extra":
        return "extra"
    table: dict[Any, str] = {
        str: "text",
        str | None: "optional text",
        int: "whole",
        int | None: "optional whole",
        bool: "bool",
        float | None: "number",
        date | None: "date",
        datetime | None: "moment",
        Rag | None: "rag",
        tuple[str, ...]: "names",
        tuple[Link, ...]: "links",
    }
    try:
        return table[hint]
    except (KeyError, TypeError):
        raise TypeError(f"no trusted read for a field {name}: {hint!r}") from None


def _reader(
    cls: type[Item], keys: Mapping[str, int | str], *, encoded: bool
) -> Callable[[Any], Item]:
    """A function from a stored record to an item of ``cls``: ``record[keys[name]]``
    holds each field as :meth:`Codec.item_to_dict` gives it (lists and objects as JSON
    text when ``encoded``; a boolean may be 0 or 1). Types and shapes are checked, the
    item's validators are not run, and nothing is normalised. A value of the wrong type
    or shape raises ``ValidationError`` naming the field.

    Raises ``TypeError`` for a class it cannot read this way (not slotted, or a field
    of a type it does not know): such classes are read through the converter."""
    hints = typing.get_type_hints(cls)
    reads: list[tuple[str, str]] = []
    plain: dict[str, list[str]] = {group: [] for group in _PLAIN_CHECKS}
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "cls": cls,
        "bools": _BOOLS,
        "rags": _RAGS,
        "days": _READ_DAYS,
        "moments": _READ_MOMENTS,
        "tuples": _READ_NAMES,
        "number": _read_number,
        "day": _read_day,
        "moment": _read_moment,
        "names": _read_names,
        "links": _read_links,
        "extra": _read_extra,
        "type": type,
        "str": str,
        "int": int,
    }
    shadow = writable_twin(cls)
    if shadow is not None:
        namespace["shadow"] = shadow
    fields = attrs.fields(cls)
    body: list[str] = []
    for field in fields:
        name = field.name
        slot: Any = getattr(cls, name, None)
        if type(slot).__name__ != "member_descriptor":
            raise TypeError(f"{cls.__name__} is not slotted: no trusted read for it")
        read = _field_read(name, hints[name])
        reads.append((name, read))
        template = _ENCODED_READS.get(read) if encoded else None
        template = template or _FIELD_READS[read][1]
        if template is None:
            plain[read].append(f"v_{name}")
            expression = f"v_{name}"
        else:
            expression = template.format(v=f"v_{name}", name=name)
        if shadow is None:
            namespace[f"set_{name}"] = slot.__set__
            body.append(f"        set_{name}(item, {expression})")
        else:
            body.append(f"        item.{name} = {expression}")
    # Every stored value into a local at once: by unpacking a row whose fields are its
    # last columns in field order, else through an itemgetter (a dict's keys).
    order = [keys[f.name] for f in fields]
    targets = ", ".join(f"v_{f.name}" for f in fields)
    first = order[0]
    if isinstance(first, int) and order == list(range(first, first + len(order))):
        unpack = f"        {'_, ' * first}{targets}, = record"
    else:
        namespace["pick"] = operator.itemgetter(*order)
        unpack = (
            f"        {targets}, = pick(record)"
            if len(order) > 1
            else (f"        {targets} = record[{order[0]!r}]")
        )
    # The plain fields' types, one test each (faster than any loop over them); which
    # one is wrong is worked out only when one is.
    checks = [
        _PLAIN_CHECKS[group].format(v=local) for group, names in plain.items() for local in names
    ]
    namespace["wrong"] = lambda record, exc: _what_is_wrong(cls, keys, reads, encoded, record, exc)
    # What the reader uses comes in as closure cells (as fast to load as locals; a
    # global or keyword default is a dict look-up).
    lines = [f"def make({', '.join(namespace)}):", "    def read(record):", "        try:"]
    lines.append("    " + unpack)
    if checks:
        lines += [
            f"            if not ({' and '.join(checks)}):",
            "                raise TypeError",
        ]
    lines += [
        "            item = new(cls)" if shadow is None else "            item = new(shadow)",
        *("    " + line for line in body),
        *([] if shadow is None else ["            item.__class__ = cls"]),
        "        except (ValueError, TypeError, KeyError, IndexError) as exc:",
        "            raise wrong(record, exc) from exc",
        "        return item",
        "    return read",
    ]
    source = "\n".join(lines)
    # Code built from the class's own field names and hints.
    label = f"raidlog.convert read {cls.__name__}{' (encoded)' if encoded else ''}"
    make = generated(source, "make", {}, label)
    return cast(Callable[[Any], Item], make(**namespace))


def _what_is_wrong(
    cls: type[Item],
    keys: Mapping[str, int | str],
    reads: Sequence[tuple[str, str]],
    encoded: bool,
    record: Any,
    exc: Exception,
) -> ValidationError:
    """The error a reader raises: the first field whose stored value is wrong."""
    for name, read in reads:
        try:
            value = record[keys[name]]
        except (KeyError, IndexError):
            return ValidationError(f"a stored {cls.kind} has no {name}", field=name)
        check = _FIELD_READS[read][0]
        try:
            if read in _ENCODED_READS:
                check(value, name, encoded)
            else:
                check(value, name)
        except ValidationError as error:
            return error
    return ValidationError(f"a stored {cls.kind} cannot be read: {exc}")


class Codec:
    """Converts the items of a register (any registered kind), events and structure."""

    def __init__(self, kinds: Iterable[type[Item]] = BUILTIN_KINDS) -> None:
        self.kinds: dict[str, type[Item]] = {k.kind: k for k in kinds}
        self.converter = make_converter()
        self._plans: dict[type[Item], Callable[[Any], JsonDict]] = {}
        # Dicts made by a bulk write, kept for the backend's one conversion of each new
        # version (see remember): id -> (item, dict); the item held keeps its id unique.
        self._kept: dict[int, tuple[Item, JsonDict]] = {}
        self._adds: dict[tuple[type[Item], str, frozenset[str]], AddPlan] = {}
        # Trusted readers of stored documents, with the size of a document they read.
        self._stored: dict[type[Item], tuple[Callable[[Any], Item], int]] = {}

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

    def add_plan(
        self, cls: type[Item], defaults: Sequence[tuple[str, Any]], derivable: frozenset[str]
    ) -> AddPlan:
        """A new ``cls`` item's stored version, dict and add event changes in one pass
        (see ``_add_plan``): the dict is kept as :meth:`remember` keeps one. Made once per
        class, ``defaults`` (the content fields but the title, with their defaults, in
        dict order) and ``derivable`` (the fields the register may derive)."""
        key = (cls, repr(defaults), derivable)
        plan = self._adds.get(key)
        if plan is None:
            plan = self._adds[key] = _add_plan(cls, defaults, derivable, self._kept)
        return plan

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

    def row_reader(
        self, kind: str, columns: Sequence[str], *, start: int = 0, encoded: bool = True
    ) -> Callable[[Sequence[Any]], Item]:
        """A trusted reader of the rows a store writes for ``kind``: ``row[start + n]``
        holds the field ``columns[n]`` as :meth:`item_to_dict` gives it, lists and objects
        as JSON text when ``encoded``, booleans as 0 or 1 or as booleans.

        For rows raidlog wrote itself (it validated each item then): the reader checks
        every value's type and shape and builds the item as stored, without running the
        item's validators again, some forty times faster than :meth:`item_from_dict`. A
        value of the wrong type or shape raises ``ValidationError`` naming the field.
        Raises ``TypeError`` when the kind's class cannot be read this way (a plugin's
        class that is not slotted, or has a field of a type the reader does not know)
        and ``ValueError`` when ``columns`` are not the kind's fields."""
        cls = self.kind_class(kind)
        fields = [f.name for f in attrs.fields(cls)]
        if sorted(columns) != sorted(fields):
            raise ValueError(f"columns {list(columns)} are not the fields of a {kind}")
        keys = {name: start + n for n, name in enumerate(columns)}
        return _reader(cls, keys, encoded=encoded)

    def item_from_stored(self, data: Mapping[str, Any]) -> Item:
        """:meth:`item_from_dict` for a dict of :meth:`item_to_dict` that raidlog stored
        itself (a document column): types and shapes checked, validators not run, as
        :meth:`row_reader` does. A dict that does not hold exactly the kind's fields, or a
        kind without a trusted reader, goes through :meth:`item_from_dict`."""
        if not isinstance(data, Mapping):
            raise ValidationError(f"a stored item is a JSON object, not {_short(data)}")
        kind = data.get("kind")
        cls = self.kinds.get(kind) if isinstance(kind, str) else None
        if cls is None:
            return self.item_from_dict(data)
        found = self._stored.get(cls)
        if found is None:
            names = {f.name: f.name for f in attrs.fields(cls)}
            try:
                found = _reader(cls, names, encoded=False), len(names) + 1
            except TypeError:
                found = self.item_from_dict, -1
            self._stored[cls] = found
        reader, size = found
        if len(data) != size:  # "kind" and every field, nothing else
            return self.item_from_dict(data)
        return reader(data)

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
