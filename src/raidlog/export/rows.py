"""Items as flat rows: one column per field, the same columns for every export.

Lists (tags, objectives, escalated_to, options considered) are joined with ``"; "``;
links are ``relation:target`` joined the same way; custom fields become ``extra.NAME``
columns. :func:`parse_cell` reads such a cell back into the field's type, so an
export and re-import is exact up to these documented forms.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import chain
from operator import attrgetter
from typing import Any

import attrs

from raidlog.errors import ValidationError
from raidlog.model.items import Item, Link
from raidlog.model.values import Relation
from raidlog.register import Register

__all__ = [
    "LIST_SEPARATOR",
    "Cell",
    "Flattener",
    "columns_for",
    "flatten",
    "iter_rows",
    "join_list",
    "parse_cell",
    "select_items",
    "split_list",
]

#: How list fields are joined in a cell.
LIST_SEPARATOR = "; "

Cell = str | int | float | bool | date | datetime | None

# The shared core first, in the order people read it; kind-specific fields after.
_LEADING = ("ref", "kind", "title", "status", "rag", "priority", "owner", "body", "node", "due")


def select_items(
    register: Register,
    *,
    body: str | None = None,
    node: str | None = None,
    kind: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
) -> list[Item]:
    """The items an export covers: the register's filters (all must hold), ref order."""
    if body is None and node is None and not kind and not status:
        return list(register.items())
    return register.query(
        body=body, node=node, kind=kind or None, status=status or None, order_by="ref"
    )


def _field_names(cls: type[Item]) -> list[str]:
    return [f.name for f in attrs.fields(cls) if f.name not in ("extra", "rag_manual")]


def columns_for(items: Iterable[Item], kinds: Iterable[type[Item]] = ()) -> list[str]:
    """Every column needed for ``items`` (and the given kinds), in a stable order."""
    classes: dict[str, type[Item]] = {k.kind: k for k in kinds}
    batch = items if isinstance(items, Sequence) else list(items)
    for cls in {type(i) for i in batch}:
        classes.setdefault(cls.kind, cls)
    # One C-level pass over every item's extra keys, first-seen order kept.
    extras = dict.fromkeys(chain.from_iterable(i.extra for i in batch))
    names: dict[str, None] = dict.fromkeys(_LEADING)
    for cls in sorted(classes.values(), key=lambda c: c.kind):
        names.update(dict.fromkeys(_field_names(cls)))
    names["rag_manual"] = None
    return [*names, *(f"extra.{name}" for name in extras)]


def join_list(values: Sequence[Any]) -> str:
    """A list as one cell: ``"a; b"`` when that reads back exactly, else a JSON array
    (an element holding ``;``, starting with ``[``, or with spaces around it). Links are
    ``relation:target``."""
    if values and isinstance(values[0], Link):
        return LIST_SEPARATOR.join(f"{link.relation.value}:{link.target}" for link in values)
    texts = [str(v) for v in values]
    joined = LIST_SEPARATOR.join(texts)
    if (
        joined.count(";") == len(texts) - 1
        and not joined.startswith("[")
        and all(t and t == t.strip() for t in texts)
    ):
        return joined
    return json.dumps(texts, ensure_ascii=False)


def split_list(text: str) -> list[str]:
    """Read back a cell written by :func:`join_list` (or typed by a person as ``a; b``)."""
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
            return parsed
    return [part.strip() for part in text.split(";") if part.strip()]


def _cell(value: Any) -> Cell:
    if isinstance(value, tuple):
        return join_list(value) if value else None
    if isinstance(value, str) and type(value) is not str:
        return str(value)  # enums (Rag) as their plain value
    return typing.cast(Cell, value)


def flatten(item: Item, columns: Sequence[str]) -> list[Cell]:
    """The cells of ``item`` for ``columns`` (``None`` where the kind has no such field)."""
    row: list[Cell] = []
    for column in columns:
        if column.startswith("extra."):
            row.append(item.extra.get(column[6:]))
        else:
            row.append(_cell(getattr(item, column, None)))
    return row


class Flattener:
    """:func:`flatten` for many items, fast: per kind, one ``attrgetter`` fetches every
    column the kind has in a single call; only lists and enums need converting."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.extras = [(n, c[6:]) for n, c in enumerate(self.columns) if c.startswith("extra.")]
        self.plans: dict[type[Item], tuple[Any, list[int], list[Cell]]] = {}

    def _plan(self, cls: type[Item]) -> tuple[Any, list[int], list[Cell]]:
        names = {f.name for f in attrs.fields(cls)}
        positions = [n for n, c in enumerate(self.columns) if c in names]
        fields = [self.columns[n] for n in positions]
        # attrgetter of one name returns the value, of several a tuple: always ask two.
        getter = attrgetter(*fields, *fields[:1]) if len(fields) == 1 else attrgetter(*fields)
        template: list[Cell] = [cls.kind if c == "kind" else None for c in self.columns]
        plan = (getter, positions, template)
        self.plans[cls] = plan
        return plan

    def __call__(self, item: Item) -> list[Cell]:
        getter, positions, template = self.plans.get(type(item)) or self._plan(type(item))
        row = template[:]
        for n, value in zip(positions, getter(item), strict=False):
            if value is None:
                continue
            kind = type(value)
            if kind is tuple:
                row[n] = join_list(value) if value else None
            elif kind is str or kind is int or kind is float or kind is bool:
                row[n] = value
            else:
                row[n] = _cell(value)
        if self.extras and item.extra:
            extra = item.extra
            for n, key in self.extras:
                row[n] = extra.get(key)
        return row


def iter_rows(items: Iterable[Item], columns: Sequence[str]) -> Iterator[list[Cell]]:
    """:func:`flatten` over many items."""
    return map(Flattener(columns), items)


def parse_cell(cls: type[Item], column: str, value: Cell) -> Any:
    """Read one exported cell back into the type of field ``column`` of ``cls``.

    Raises :class:`~raidlog.errors.ValidationError` naming the column when the value
    cannot be read.
    """
    hints = typing.get_type_hints(cls)
    hint = hints[column]
    optional = type(None) in typing.get_args(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if optional and len(args) == 1 else hint
    origin = typing.get_origin(base)
    if value is None or value == "":
        if origin is tuple:
            return ()
        if optional:
            return None
        if base is str:
            return ""
        if base is bool:
            return False
        if base is int:
            return 0
        raise ValidationError(f"{column} must not be empty", field=column)
    try:
        if origin is tuple:
            parts = split_list(str(value))
            if column == "links":
                return tuple(
                    Link(relation=Relation(r), target=t)
                    for r, _, t in (p.partition(":") for p in parts)
                )
            return tuple(parts)
        if base is date:
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if base is datetime:
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if base is bool:
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("true", "yes", "1")
        if base is int:
            number = value if isinstance(value, int | float) else float(str(value))
            if isinstance(number, float) and not number.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(number)
        if base is float:
            if isinstance(value, date):
                raise ValueError("a date is not a number")
            return float(value) if isinstance(value, int | float) else float(str(value))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            f"column {column}: cannot read {value!r}: {exc}", field=column
        ) from None
    return value if isinstance(value, str) else str(value)
