"""CSV export, safe to open in a spreadsheet program.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, TAB, CR or LF) as a formula, so text that starts with one of them is written
with a leading ``'`` that makes it plain text. Every field is quoted and the file is
``utf-8-sig`` so Excel detects the encoding. ``raw=True`` writes the values untouched
in plain UTF-8 for machines (never open that file in a spreadsheet program).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import attrs

from raidlog.export.rows import LIST_SEPARATOR, Cell, columns_for
from raidlog.model.items import Item, Link

__all__ = ["FORMULA_TRIGGERS", "neutralise", "write_csv"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading ``'`` when it starts like a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(value: Cell, raw: bool) -> str:
    """One cell as CSV text (the slow, general path; rows use :class:`_RowMaker`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        # Numbers are written by raidlog, not typed by a person: "-3" is a number, not a
        # formula, so it is not prefixed.
        return repr(value) if isinstance(value, float) else str(value)
    return value if raw else neutralise(value)


def _join(values: tuple[Any, ...]) -> str:
    if values and isinstance(values[0], Link):
        return LIST_SEPARATOR.join(f"{link.relation.value}:{link.target}" for link in values)
    return LIST_SEPARATOR.join(map(str, values))


_CONVERT: dict[type, Callable[[Any], str]] = {
    int: str,
    float: repr,
    bool: lambda v: "true" if v else "false",
    date: date.isoformat,
    datetime: datetime.isoformat,
    tuple: _join,
}


_Plan = tuple[Callable[[Item], tuple[Any, ...]], list[int], list[str]]


class _RowMaker:
    """Turns items into CSV rows fast: per kind, one ``attrgetter`` fetches every field
    the kind has in a single call, and columns the kind lacks stay empty. Gives exactly
    ``[_text(v, raw) for v in flatten(item, columns)]``."""

    def __init__(self, columns: Sequence[str], raw: bool) -> None:
        self.columns = list(columns)
        self.raw = raw
        self.extras = [(n, c[6:]) for n, c in enumerate(self.columns) if c.startswith("extra.")]
        self.kinds: dict[type[Item], _Plan] = {}
        self.stamps: dict[datetime, str] = {}

    def _plan(self, cls: type[Item]) -> _Plan:
        names = {f.name for f in attrs.fields(cls)}
        # ``kind`` is a class attribute, not a field: the same text on every row of a kind.
        template = [cls.kind if c == "kind" else "" for c in self.columns]
        positions = [
            n for n, c in enumerate(self.columns) if not c.startswith("extra.") and c in names
        ]
        fields = [self.columns[n] for n in positions]
        # attrgetter with two or more names returns a tuple; keep that shape for one.
        getter = attrgetter(*fields, *fields[:1]) if len(fields) == 1 else attrgetter(*fields)
        plan = (getter, positions, template)
        self.kinds[cls] = plan
        return plan

    def row(self, item: Item) -> list[str]:
        getter, positions, template = self.kinds.get(type(item)) or self._plan(type(item))
        out = template[:]
        raw = self.raw
        stamps = self.stamps
        for n, value in zip(positions, getter(item), strict=False):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if value and not raw and value[0] in _TRIGGER_SET:
                    value = "'" + value
                out[n] = value
            elif kind is tuple:
                if value:
                    text = _join(value)
                    out[n] = text if raw else neutralise(text)
            elif kind is datetime:
                # Bulk changes share their timestamps; formatting an aware datetime is
                # the dearest cell of a row, so remember the last few thousand.
                stamp = stamps.get(value)
                if stamp is None:
                    if len(stamps) > 4096:
                        stamps.clear()
                    stamp = stamps[value] = value.isoformat()
                out[n] = stamp
            elif kind in _CONVERT:
                out[n] = _CONVERT[kind](value)
            else:
                out[n] = _text(str(value) if isinstance(value, str) else value, raw)
        if self.extras and item.extra:
            for n, key in self.extras:
                out[n] = _text(item.extra.get(key), raw)
        return out


def write_csv(
    items: Iterable[Item],
    path: str | Path,
    *,
    raw: bool = False,
    columns: Sequence[str] | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write ``items`` to ``path`` as CSV (header row, one row per item); returns the
    number of rows. ``advance(n)`` is called as rows are written (for progress bars)."""
    batch = list(items)
    header = list(columns) if columns is not None else columns_for(batch)
    maker = _RowMaker(header, raw)
    count = 0
    with open(path, "w", newline="", encoding="utf-8" if raw else "utf-8-sig") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        step = 5_000
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            writer.writerows(map(maker.row, chunk))
            count += len(chunk)
            if advance is not None:
                advance(len(chunk))
    return count
