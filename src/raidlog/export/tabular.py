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
from datetime import date
from pathlib import Path

from raidlog.export.rows import Cell, columns_for, flatten
from raidlog.model.items import Item

__all__ = ["FORMULA_TRIGGERS", "neutralise", "write_csv"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading ``'`` when it starts like a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(value: Cell, raw: bool) -> str:
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
    count = 0
    with open(path, "w", newline="", encoding="utf-8" if raw else "utf-8-sig") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for item in batch:
            writer.writerow([_text(v, raw) for v in flatten(item, header)])
            count += 1
            if advance is not None and count % 1000 == 0:
                advance(1000)
    if advance is not None:
        advance(count % 1000)
    return count
