"""Mapping files (TOML): a user's word on tables and columns, over any guess.

::

    [[table]]
    sheet = "Risks"          # the sheet's name (a CSV file's name without suffix)
    header_row = 5           # 1-based, as the spreadsheet shows it
    kind = "risk"            # or kind_column = "Type"
    date_order = "dmy"       # or "mdy" for 12/31/2024
    [table.columns]
    "Risk ID" = "ref"
    "Comments" = "extra"     # keep under its header in extra

    [[table]]
    sheet = "Lookups"
    skip = true

``dry_run`` prints the mapping it used in this form, ready to edit.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

import attrs

from raidlog.errors import ImportRejected
from raidlog.migrate.vocab import FIELDS as HEADER_FIELDS

__all__ = ["FIELDS", "Mapping", "TableMapping", "load_mapping", "to_toml"]

KINDS = ("risk", "action", "issue", "decision", "assumption", "dependency")
#: What a column may be mapped to.
FIELDS = HEADER_FIELDS | {
    "extra",
    "type",
    "actionee",
    "assignee",
    "inherent_probability",
    "inherent_impact",
    "inherent_score",
    "residual_probability",
    "residual_impact",
    "residual_score",
    "target_probability",
    "target_impact",
    "target_score",
}


@attrs.frozen(kw_only=True)
class TableMapping:
    """What a mapping file says about one sheet's table."""

    sheet: str
    header_row: int | None = None
    kind: str | None = None
    kind_column: str | None = None
    date_order: str | None = None
    skip: bool = False
    columns: MappingABC[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Mapping:
    """A parsed mapping file."""

    tables: tuple[TableMapping, ...] = ()

    def for_sheet(self, name: str) -> TableMapping | None:
        """The entry for sheet ``name`` (case-insensitive), if any."""
        for table in self.tables:
            if table.sheet.casefold() == name.casefold():
                return table
        return None


def load_mapping(source: str | Path | MappingABC[str, Any]) -> Mapping:
    """Read a mapping from a TOML file path or an already parsed mapping."""
    where = str(source) if not isinstance(source, MappingABC) else "mapping"
    if isinstance(source, MappingABC):
        data: MappingABC[str, Any] = source
    else:
        try:
            data = tomllib.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ImportRejected(where, f"the mapping file cannot be read ({exc})") from None
    tables = []
    for index, entry in enumerate(data.get("table", [])):
        label = f"[[table]] number {index + 1}"
        if not isinstance(entry, MappingABC) or not isinstance(entry.get("sheet"), str):
            raise ImportRejected(where, f'{label} needs sheet = "name"')
        kind = entry.get("kind")
        if kind is not None and kind not in KINDS:
            raise ImportRejected(where, f"{label}: kind {kind!r} is not one of {', '.join(KINDS)}")
        order = entry.get("date_order")
        if order is not None and order not in ("dmy", "mdy"):
            raise ImportRejected(where, f'{label}: date_order must be "dmy" or "mdy"')
        row = entry.get("header_row")
        if row is not None and (not isinstance(row, int) or row < 1):
            raise ImportRejected(where, f"{label}: header_row must be a row number from 1")
        columns = dict(entry.get("columns", {}))
        for header, field in columns.items():
            if field not in FIELDS:
                raise ImportRejected(
                    where,
                    f"{label}: column {header!r} maps to {field!r}, which is not a field; "
                    'use "extra" to keep it as written',
                )
        tables.append(
            TableMapping(
                sheet=entry["sheet"],
                header_row=row,
                kind=kind,
                kind_column=entry.get("kind_column"),
                date_order=order,
                skip=bool(entry.get("skip", False)),
                columns=columns,
            )
        )
    return Mapping(tables=tuple(tables))


def _string(text: str) -> str:
    # A JSON string is a valid TOML basic string for everything a header holds.
    return json.dumps(text, ensure_ascii=False)


def to_toml(entries: list[dict[str, Any]]) -> str:
    """Mapping entries (as the importer found them) as an editable TOML mapping file."""
    lines = [
        "# raidlog import mapping: edit it and pass it back with --mapping FILE.",
        "# Fields: " + ", ".join(sorted(FIELDS)),
        "",
    ]
    for entry in entries:
        lines.append("[[table]]")
        lines.append(f"sheet = {_string(entry['sheet'])}")
        if entry.get("skip"):
            lines.append("skip = true")
            lines.append("")
            continue
        lines.append(f"header_row = {entry['header_row']}")
        if entry.get("kind_column"):
            lines.append(f"kind_column = {_string(entry['kind_column'])}")
        else:
            lines.append(f"kind = {_string(entry['kind'])}")
        if entry.get("date_order"):
            lines.append(f"date_order = {_string(entry['date_order'])}")
        lines.append("[table.columns]")
        for header, field in entry["columns"]:
            lines.append(f"{_string(header)} = {_string(field)}")
        lines.append("")
    return "\n".join(lines)
