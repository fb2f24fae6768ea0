"""CSV export, safe to open in a spreadsheet program.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(some programs also TAB, CR, LF, or the full-width forms U+FF1D, U+FF0B, U+FF0D and
U+FF20 that East Asian locales accept), so text that starts with one of them, or with
whitespace and then one of them (a program that trims cells sees the trigger first), is
written with a leading ``'`` that makes it plain text. Every field is quoted and the file
is ``utf-8-sig`` so Excel detects the encoding. ``raw=True`` writes the values untouched
in plain UTF-8 for machines (never open that file in a spreadsheet program).
"""

from __future__ import annotations

import csv
import enum
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

from raidlog.export.rows import Cell, columns_for, join_list
from raidlog.files import replaced
from raidlog.model.items import Item

__all__ = ["FORMULA_TRIGGERS", "neutralise", "write_csv"]

#: First characters that make a spreadsheet treat a cell as a formula: the ASCII ones,
#: TAB, CR, LF, and the full-width forms (OWASP's CSV injection testing guide lists them).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TRIGGER_CLASS = "[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
# A trigger first, or after leading whitespace.
_STARTS_LIKE_FORMULA = re.compile(r"\s*" + _TRIGGER_CLASS)
_EXTRA = attrgetter("extra")
_TEXT_TYPES = frozenset({str, type(None)})
# Items converted a column at a time per chunk: small enough that a chunk's items stay
# in the CPU cache across its columns.
_CHUNK = 1_000
_AFTER_NUL = re.compile(r"\x00\s*" + _TRIGGER_CLASS)


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading ``'`` when it starts like a
    formula (a trigger first, or after leading whitespace)."""
    return "'" + text if _STARTS_LIKE_FORMULA.match(text) else text


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
    return join_list(values)


class _Columns:
    """Turns items into CSV rows fast, a column at a time: each column is fetched with
    one pass over a chunk of items and converted only where ``csv.writer`` would not
    write the same text by itself (it writes None as an empty field, ints, floats,
    dates and RAG values as their text): booleans, timestamps, lists, and text that
    needs the formula guard. Written out, the rows are exactly
    ``[_text(v, raw) for v in flatten(item, columns)]`` for every item."""

    def __init__(self, columns: Sequence[str], raw: bool) -> None:
        self.columns = list(columns)
        self.raw = raw
        self.types: dict[tuple[type[Item], str], Any] = {}
        self.hints: dict[type[Item], dict[str, Any]] = {}
        self.stamps: dict[date, str] = {}
        self.lists: dict[tuple[Any, ...], str] = {}

    def _type(self, classes: Iterable[type[Item]], name: str) -> Any:
        """The base type of field ``name`` (``None`` when the classes disagree)."""
        found: set[Any] = set()
        for cls in classes:
            key = (cls, name)
            if key not in self.types:
                hint = self._names(cls).get(name)
                args = [a for a in typing.get_args(hint) if a is not type(None)]
                base = args[0] if len(args) == 1 else hint
                self.types[key] = typing.get_origin(base) or base
            if self.types[key] is not None:
                found.add(self.types[key])
        return found.pop() if len(found) == 1 else None

    def _texts(self, values: list[Any]) -> list[Any]:
        """A column of text or None, formula-guarded unless raw. The usual column has
        nothing to guard: one C-level scan of the joined text finds that out. (NUL never
        occurs in item text: the model refuses control characters.)"""
        if self.raw:
            return values
        present = "\x00".join(filter(None, values))
        if not _STARTS_LIKE_FORMULA.match(present) and not _AFTER_NUL.search(present):
            return values
        guard = _STARTS_LIKE_FORMULA.match
        return [("'" + v if v and guard(v) else v) for v in values]

    def _names(self, cls: type[Item]) -> dict[str, Any]:
        if cls not in self.hints:
            self.hints[cls] = typing.get_type_hints(cls)
        return self.hints[cls]

    def _stamp(self, value: date) -> str:
        # Dates and timestamps repeat (bulk changes share theirs, many items share a
        # date), and formatting them is the dearest cell of a row: remember a few
        # thousand.
        text = self.stamps.get(value)
        if text is None:
            if len(self.stamps) > 4096:
                self.stamps.clear()
            text = self.stamps[value] = value.isoformat()
        return text

    def _column(self, name: str, chunk: Sequence[Item], classes: set[type[Item]]) -> list[Any]:
        raw = self.raw
        if name == "kind":
            return [i.kind for i in chunk]
        if name.startswith("extra."):
            extras = list(map(dict.get, map(_EXTRA, chunk), repeat(name[6:])))
            if set(map(type, extras)) <= _TEXT_TYPES:
                return self._texts(extras)
            return [_text(v, raw) for v in extras]
        having = {c for c in classes if name in self._names(c)}
        if not having:
            return [""] * len(chunk)  # no item of this chunk has the field
        values: list[Any]
        if having == classes:
            values = list(map(attrgetter(name), chunk))
        else:
            values = [getattr(i, name, None) for i in chunk]
        if values.count(None) == len(values):
            return [""] * len(values)  # common: a field nobody in this chunk filled in
        base = self._type(having, name)
        if base is str:
            return self._texts(values)
        if base is int or base is float or base is date:
            return values  # csv.writer writes None as "", numbers and dates as their text
        if isinstance(base, type) and issubclass(base, enum.StrEnum):
            return values  # str() of a StrEnum (RAG) is its value
        if base is datetime:
            stamps = self.stamps
            return [None if v is None else (stamps.get(v) or self._stamp(v)) for v in values]
        if base is bool:
            return [None if v is None else ("true" if v else "false") for v in values]
        if base is tuple:
            # Tag and objective lists repeat from item to item: join each list once.
            lists = self.lists
            if len(lists) > 4096:
                lists.clear()
            joined = [
                None if not v else (lists.get(v) or lists.setdefault(v, join_list(v)))
                for v in values
            ]
            return self._texts(joined)
        return [_text(_plain(v), raw) for v in values]

    def rows(self, chunk: Sequence[Item]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``chunk``, in its order."""
        classes = {type(i) for i in chunk}
        return zip(*(self._column(n, chunk, classes) for n in self.columns), strict=True)


def _plain(value: Any) -> Any:
    """Enums (RAG) as their plain text; tuples joined; everything else as it is."""
    if isinstance(value, tuple):
        return _join(value) if value else None
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


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
    maker = _Columns(header, raw)
    count = 0
    encoding = "utf-8" if raw else "utf-8-sig"
    with replaced(path) as temporary, open(temporary, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        step = _CHUNK
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            writer.writerows(maker.rows(chunk))
            count += len(chunk)
            if advance is not None:
                advance(len(chunk))
    return count
