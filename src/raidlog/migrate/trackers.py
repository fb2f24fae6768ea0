"""Tracker exports as importer profiles: Jira, Azure DevOps, ServiceNow, Smartsheet.

A tracker's CSV export has fixed column names, its own date format, people written as
``Name <email>``, lists in one cell or in repeated columns, and a type column that says
what each row is. Each tracker is described by a TOML file in ``data/trackers/``:

```toml
name = "jira"
label = "Jira CSV export"
[detect]
all = ["Issue key", "Summary", "Issue Type"]  # every one of these headers
[table]
kind_column = "Issue Type"                    # or kind_from = { column, prefixes }
date_order = "dmy"
[columns]                                     # header -> field, as in a mapping file
"Issue key" = "ref"
[kinds]                                       # type values -> kind
"Sub-task" = "action"
[values.Priority]                             # a column's values -> raidlog's words
"Highest" = "critical"
[people]
columns = ["Assignee"]                        # "Name <email>" -> Name (+ email in extra)
```

:func:`apply_profile` recognises a sheet by its header row, rewrites the cells the
profile says how to read (keeping what it replaced in extra columns), and returns the
mapping the importer applies, as if the user had passed it with ``--mapping``. The import
report names the profile used.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping as MappingABC
from functools import cache
from importlib import resources
from typing import Any

import attrs

from raidlog.migrate.mapping import FIELDS, KINDS, Mapping, TableMapping
from raidlog.migrate.report import ImportReport
from raidlog.migrate.sandbox import Book, Sheet
from raidlog.migrate.values import as_text, is_blank

__all__ = ["TrackerProfile", "apply_profile", "detect", "tracker_profiles"]

#: How many rows from the top a header row may be (exports put it first).
_HEADER_SEARCH = 5
_PERSON = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>@\s]+@[^<>\s]+)>\s*$")


@attrs.frozen(kw_only=True)
class TrackerProfile:
    """How one tracker's export reads (parsed from its TOML file)."""

    name: str
    label: str
    detect_all: tuple[str, ...]
    detect_any: tuple[str, ...] = ()
    kind_column: str | None = None
    kind_from_column: str | None = None
    kind_prefixes: MappingABC[str, str] = attrs.field(factory=dict)
    default_kind: str | None = None
    date_order: str | None = None
    columns: MappingABC[str, str] = attrs.field(factory=dict)
    kinds: MappingABC[str, str] = attrs.field(factory=dict)
    values: MappingABC[str, MappingABC[str, str]] = attrs.field(factory=dict)
    people: tuple[str, ...] = ()

    def matches(self, headers: set[str]) -> bool:
        """Whether a header row (case-folded, stripped) is this tracker's."""
        if not all(h.casefold() in headers for h in self.detect_all):
            return False
        return not self.detect_any or any(h.casefold() in headers for h in self.detect_any)


def _profile(name: str, data: MappingABC[str, Any]) -> TrackerProfile:
    detect = data.get("detect", {})
    table = data.get("table", {})
    kind_from = table.get("kind_from", {})
    columns = dict(data.get("columns", {}))
    for header, field in columns.items():
        if field not in FIELDS:
            raise ValueError(f"tracker profile {name}: column {header!r} maps to {field!r}")
    kinds = {str(k).casefold(): v for k, v in data.get("kinds", {}).items()}
    prefixes = dict(kind_from.get("prefixes", {}))
    for kind in (*kinds.values(), *prefixes.values(), table.get("default_kind", "risk")):
        if kind not in KINDS:
            raise ValueError(f"tracker profile {name}: {kind!r} is not a kind")
    return TrackerProfile(
        name=data.get("name", name),
        label=data["label"],
        detect_all=tuple(detect["all"]),
        detect_any=tuple(detect.get("any", ())),
        kind_column=table.get("kind_column"),
        kind_from_column=kind_from.get("column"),
        kind_prefixes=prefixes,
        default_kind=table.get("default_kind"),
        date_order=table.get("date_order"),
        columns=columns,
        kinds=kinds,
        values={
            header: {str(k).casefold(): str(v) for k, v in words.items()}
            for header, words in data.get("values", {}).items()
        },
        people=tuple(data.get("people", {}).get("columns", ())),
    )


@cache
def tracker_profiles() -> tuple[TrackerProfile, ...]:
    """The shipped tracker profiles, in the order they are tried."""
    folder = resources.files("raidlog.migrate").joinpath("data", "trackers")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text("utf-8"))
            found.append(_profile(entry.name.removesuffix(".toml"), data))
    return tuple(sorted(found, key=lambda p: -len(p.detect_all)))


def _header_row(sheet: Sheet) -> int | None:
    for index, row in enumerate(sheet.rows[:_HEADER_SEARCH]):
        if sum(1 for v in row if not is_blank(v)) >= 3:
            return index
    return None


def detect(headers: list[str]) -> TrackerProfile | None:
    """The tracker whose export has this header row, if any."""
    folded = {h.strip().casefold() for h in headers if h}
    return next((p for p in tracker_profiles() if p.matches(folded)), None)


def apply_profile(book: Book, report: ImportReport) -> Mapping | None:
    """Recognise tracker exports among ``book``'s sheets; prepare their cells and return
    the mapping that imports them (``None`` when no sheet is a tracker export). Each
    sheet recognised gets a note in ``report`` naming the profile and why."""
    tables: list[TableMapping] = []
    for sheet in book.sheets:
        at = _header_row(sheet)
        if at is None:
            continue
        headers = [as_text(v).strip() for v in sheet.rows[at]]
        profile = detect(headers)
        if profile is None:
            continue
        added = _prepare(sheet, at, headers, profile)
        columns = {
            h: f
            for h, f in profile.columns.items()
            if h.casefold() in {x.casefold() for x in headers}
        }
        columns.update(dict.fromkeys(added, "extra"))
        kind_column = profile.kind_column
        if profile.kind_from_column is not None and _KIND_HEADER in headers:
            kind_column = _KIND_HEADER
            columns[_KIND_HEADER] = "kind"
        tables.append(
            TableMapping(
                sheet=sheet.name,
                header_row=at + 1,
                kind=None if kind_column else profile.default_kind,
                kind_column=kind_column,
                date_order=profile.date_order,
                columns=columns,
            )
        )
        report.notes.append(
            f"sheet {sheet.name!r}: profile {profile.name} ({profile.label}), recognised by "
            f"its columns {', '.join(repr(h) for h in profile.detect_all)}; no mapping file needed"
        )
    return Mapping(tables=tuple(tables)) if tables else None


#: The column added for trackers whose kind is in a number's prefix (ServiceNow).
_KIND_HEADER = "Kind (from the number)"


def _prepare(sheet: Sheet, at: int, headers: list[str], profile: TrackerProfile) -> list[str]:
    """Rewrite the cells ``profile`` reads its own way; returns the headers it added."""
    position = {h.casefold(): i for i, h in enumerate(headers)}
    rows = sheet.rows
    added: list[str] = []

    def add_column(header: str, values: dict[int, str]) -> None:
        if not values:
            return
        width = len(headers)
        headers.append(header)
        added.append(header)
        for r in range(at, len(rows)):
            row = rows[r]
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            row.append(header if r == at else values.get(r, ""))

    for header in profile.people:
        index = position.get(header.casefold())
        if index is None:
            continue
        emails: dict[int, str] = {}
        for r in range(at + 1, len(rows)):
            if index < len(rows[r]):
                name, email = _people(as_text(rows[r][index]))
                if email:
                    rows[r][index] = name
                    emails[r] = email
        add_column(f"{headers[index]} (email)", emails)
    for header, words in profile.values.items():
        index = position.get(header.casefold())
        if index is None:
            continue
        for r in range(at + 1, len(rows)):
            if index < len(rows[r]):
                word = words.get(as_text(rows[r][index]).strip().casefold())
                if word is not None:
                    rows[r][index] = word
    if profile.kind_column is not None:
        index = position.get(profile.kind_column.casefold())
        if index is not None:
            originals: dict[int, str] = {}
            for r in range(at + 1, len(rows)):
                if index < len(rows[r]):
                    text = as_text(rows[r][index]).strip()
                    kind = profile.kinds.get(text.casefold())
                    if kind is not None and kind != text.casefold():
                        rows[r][index] = kind
                        originals[r] = text
            add_column(f"{headers[index]} (as exported)", originals)
    if profile.kind_from_column is not None:
        index = position.get(profile.kind_from_column.casefold())
        if index is not None:
            kinds: dict[int, str] = {}
            for r in range(at + 1, len(rows)):
                number = as_text(rows[r][index]).strip().upper() if index < len(rows[r]) else ""
                prefix = re.match(r"^[A-Z_]+", number)
                kind = profile.kind_prefixes.get(prefix.group()) if prefix else None
                kinds[r] = kind or profile.default_kind or "risk"
            add_column(_KIND_HEADER, kinds)
            added.remove(_KIND_HEADER)  # this one is the kind column, not extra
    return added


def _people(text: str) -> tuple[str, str]:
    """``"Ana Lee <ana@example.com>"`` -> ``("Ana Lee", "ana@example.com")``; several
    people separated by ``;`` keep every name and every address; other text is kept."""
    parts = [p for p in text.split(";") if p.strip()]
    names: list[str] = []
    emails: list[str] = []
    for part in parts:
        match = _PERSON.match(part)
        if match is None:
            return text, ""
        emails.append(match.group("email"))
        names.append(match.group("name") or match.group("email"))
    return "; ".join(names), "; ".join(emails)
