"""``import_file``: a spreadsheet into a register, all or nothing, losing nothing.

The pipeline: pre-flight (bytes only), parsing in a sandboxed child, finding tables and
mapping columns, reading values against the register's profile, then ONE atomic
``upsert_many`` that adds new items and updates those an earlier import of the same
register created (matched by source ref, else by sheet and row).
"""

from __future__ import annotations

import gc
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from raidlog.errors import ImmutableItemError, ImportRejected, RaidLogError, ValidationError
from raidlog.migrate.headers import KIND_WORDS, attribute, kind_of_word, normalise
from raidlog.migrate.mapping import Mapping, load_mapping, to_toml
from raidlog.migrate.preflight import Limits, preflight
from raidlog.migrate.report import ColumnReport, ImportReport, RowNote, TableReport
from raidlog.migrate.sandbox import parse
from raidlog.migrate.tables import (
    TITLE_KEYS,
    Table,
    column_letter,
    decide_kind,
    find_kind_column,
    find_tables,
    looks_like_register,
    row_problem,
)
from raidlog.migrate.values import (
    NULL_WORDS,
    DateReader,
    LevelReader,
    as_text,
    clean_text,
    extra_value,
    is_blank,
    read_progress,
    read_rag,
    read_status,
    read_vocabulary,
)
from raidlog.model.items import Item, Link
from raidlog.model.values import DESCRIPTION_MAX, TITLE_MAX, ExtraValue, Relation
from raidlog.plugins import kind_classes
from raidlog.register import Register

__all__ = ["SOURCE_REF", "SOURCE_ROW", "Progress", "import_file"]

#: ``extra`` keys that tie an item to the row it came from (what a re-import matches on).
SOURCE_REF = "source_ref"
SOURCE_ROW = "source_row"

Progress = Callable[[str, int, int], None]

_DATE_KEYS = (
    "raised_on",
    "due",
    "next_review",
    "closed_on",
    "decided_on",
    "validated_on",
    "completed_on",
)
_LEVEL_KEYS = tuple(
    p + k for p in ("inherent_", "", "residual_", "target_") for k in ("probability", "impact")
)
_SCORE_KEYS = tuple(p + "score" for p in ("inherent_", "", "residual_", "target_"))
_LONG_TEXT = (
    "description",
    "cause",
    "event",
    "effect",
    "response",
    "resolution",
    "decision",
    "rationale",
    "validation",
)
_SHORT_TEXT = (
    "owner",
    "raised_by",
    "actionee",
    "assignee",
    "decided_by",
    "counterparty",
    "category",
    "proximity",
    "severity",
)


def _fill_merged_down(table: Table) -> int:
    """Give each item under a cell merged down over several items ("Technical" over
    three risks) the merged value; returns how many cells were filled.

    A row takes the value only when it names an item of its own (an id or a title in
    another column): one item written over several rows, its id and title merged down
    the rows beside its second and third mitigation lines, stays one item. Merges in
    the header are left alone."""
    rows = table.sheet.rows
    naming = [c.index for c in table.columns if c.choices and c.choices[0][0] in ("ref", "title")]
    filled = 0
    for r0, c0, r1, _ in table.sheet.merged:
        if r1 <= r0 or not table.data_start <= r0 < table.data_end:
            continue
        if not table.first_col <= c0 <= table.last_col or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if is_blank(value):
            continue
        for r in range(r0 + 1, min(r1 + 1, table.data_end)):
            row = rows[r]
            if not any(c != c0 and c < len(row) and not is_blank(row[c]) for c in naming):
                continue
            if len(row) <= c0:
                row.extend([""] * (c0 + 1 - len(row)))
            if is_blank(row[c0]):
                row[c0] = value
                filled += 1
    return filled


#: The suffix a repeated header gets ("Labels (2)").
_REPEAT = re.compile(r" \(\d+\)$")
#: Fields naming a person, and what people write there when nobody is named yet.
_PEOPLE = frozenset({"owner", "raised_by", "actionee", "assignee", "decided_by"})
_NOBODY = re.compile(
    r"^\s*(?:tbc|tbd|tba|to be (?:confirmed|determined|agreed|assigned|allocated)|"
    r"unassigned|not assigned|unallocated|not allocated|unknown|no owner|nobody|"
    r"not yet assigned|awaiting owner)\s*[.?!]*\s*$",
    re.IGNORECASE,
)
_VOCAB = {
    "priority": "priority",
    "issue_type": "issue_type",
    "response_category": "response_category",
}
_TITLE_SOURCES = (
    "title",
    "description",
    "event",
    "decision",
    "cause",
    "effect",
    "response",
    "resolution",
    "rationale",
)
_TEXT_KEYS = frozenset(("title", *_LONG_TEXT, *_SHORT_TEXT))
_MONEY = re.compile(r"^[\s$£€]*(-?[\d,]+(?:\.\d+)?)\s*([kKmM]?)\s*$")


@attrs.define(kw_only=True)
class _Draft:
    kind: str
    fields: dict[str, Any]
    extra: dict[str, ExtraValue]
    sheet: str
    row: int
    key: tuple[str, str, str]
    report: TableReport
    #: (header, text) of linked-item cells, resolved to refs once every item is known.
    links: list[tuple[str, str]] = attrs.Factory(list)
    #: The item fields the file's columns give (a re-import replaces only these).
    mapped: frozenset[str] = frozenset()


def import_file(
    path: str | Path,
    register: Register,
    *,
    mapping: str | Path | Mapping | MappingABC[str, Any] | None = None,
    dry_run: bool = False,
    keep_valid: bool = False,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Import the spreadsheet at ``path`` into ``register``; return the :class:`ImportReport`.

    All or nothing: any row that cannot be imported raises
    :class:`~raidlog.errors.ImportRejected` (its ``report`` attribute lists every rejected
    row) and nothing is written, unless ``keep_valid`` imports the valid rows and reports
    the others. ``dry_run`` writes nothing and reports what would happen, with the mapping
    used as TOML (``report.mapping_toml``). ``mapping`` (a TOML file or parsed mapping)
    overrides any guess. Importing the same file again changes nothing; a newer version
    updates the items an earlier import created. ``progress(stage, done, total)`` is
    called as work advances. Unreadable, hostile or encrypted files raise
    :class:`~raidlog.errors.ImportRejected` before anything is parsed in this process.
    """
    tick = progress or (lambda stage, done, total: None)
    limits = limits or Limits()
    rules = (
        load_mapping(mapping)
        if mapping is not None and not isinstance(mapping, Mapping)
        else mapping
    )
    tick("checking", 0, 1)
    checked = preflight(path, limits)
    name = checked.path.name
    report = ImportReport(
        file=name,
        sha256=checked.sha256,
        format=checked.format,
        dry_run=dry_run,
        keep_valid=keep_valid,
        notes=list(checked.notes),
    )
    paused = gc.isenabled()
    gc.disable()  # the collector costs most of the object layer in bulk work
    try:
        tick("reading", 0, 1)
        book = parse(checked, limits)
        report.notes.extend(book.notes)
        drafts, entries = _drafts(book, register, rules, checked.path.stem, report, tick)
        del book  # the sheets' cells are not needed any more: free them before the items
        report.mapping_toml = to_toml(entries)
        items, sources, rows = _items(drafts, register, report, name, checked.sha256)
        rejected = report.rejected
        if rejected and not keep_valid:
            first = rejected[0]
            error = ImportRejected(
                name,
                f"{len(rejected)} row(s) cannot be imported, first: {first.reason}; fix them, "
                "or import the valid rows with --keep-valid",
                sheet=first.sheet,
                row=first.row,
            )
            error.report = report  # type: ignore[attr-defined]  # carried for callers
            raise error
        _write(items, sources, rows, register, report, name, dry_run, tick, keep_valid)
    finally:
        if paused:
            gc.enable()
    return report


# tables and columns ----------------------------------------------------------------------------
def _drafts(
    book: Any,
    register: Register,
    rules: Mapping | None,
    stem: str,
    report: ImportReport,
    tick: Progress,
) -> tuple[list[_Draft], list[dict[str, Any]]]:
    drafts: list[_Draft] = []
    entries: list[dict[str, Any]] = []
    total = sum(len(s.rows) for s in book.sheets) or 1
    done = 0
    for sheet in book.sheets:
        rule = rules.for_sheet(sheet.name) if rules is not None else None
        if rule is not None and rule.skip:
            report.sheets_skipped.append(f"{sheet.name} (skipped by the mapping)")
            entries.append({"sheet": sheet.name, "skip": True})
            continue
        forced = rule.header_row - 1 if rule is not None and rule.header_row else None
        tables, notes = find_tables(sheet, header_row=forced)
        if not tables:
            if any(any(not is_blank(v) for v in row) for row in sheet.rows):
                report.sheets_skipped.append(sheet.name)
                entries.append({"sheet": sheet.name, "skip": True})
            continue
        kept = [t for t in tables if rule is not None or looks_like_register(t, stem)]
        for table in tables:
            if table not in kept:
                report.notes.append(
                    f"sheet {sheet.name!r} {table.range}: a legend or lookup list (no id, owner "
                    "or date column, and no kind in the sheet's name), not imported; a mapping "
                    "file can import it"
                )
        if not kept:
            report.sheets_skipped.append(sheet.name)
            entries.append({"sheet": sheet.name, "skip": True})
            continue
        for table in kept:
            builder = _TableBuilder(table, register, book.epoch, rule, stem, report)
            builder.table_report.notes.extend(notes)
            notes = []
            if not sheet.visible:
                builder.table_report.notes.append("the sheet is hidden in the workbook")
            drafts.extend(builder.build())
            entries.append(builder.mapping_entry())
        done += len(sheet.rows)
        tick("mapping", done, total)
    return drafts, entries


#: Sheet names saying every item on the sheet is closed, and ones that say otherwise.
_CLOSED_SHEET = re.compile(
    r"\b(closed|completed?|archived?|done|resolved|retired|historic(al)?)\b", re.IGNORECASE
)
_OPEN_SHEET = re.compile(r"\b(open|live|active|current)\b", re.IGNORECASE)


class _TableBuilder:
    """Maps one table's columns, then turns each of its rows into a draft item."""

    def __init__(
        self,
        table: Table,
        register: Register,
        epoch: int,
        rule: Any,
        stem: str,
        report: ImportReport,
    ) -> None:
        self.table = table
        self.register = register
        self.profile = register.profile
        self.epoch = epoch
        self.rule = rule
        rows = table.sheet.rows
        merged_down = _fill_merged_down(table)
        # Each column's data values, to decide once what the column holds.
        self.values: dict[int, list[object]] = {
            c.index: [
                (rows[r][c.index] if c.index < len(rows[r]) else "")
                for r in range(table.data_start, table.data_end)
            ]
            for c in table.columns
        }
        if rule is not None and rule.kind is not None:
            table.kind, table.kind_reason = rule.kind, "from the mapping file"
        else:
            decide_kind(table, stem)
        if rule is not None and rule.kind_column:
            for column in table.columns:
                if column.header.casefold() == rule.kind_column.casefold():
                    column.choices = [("kind", 1.0)]
        find_kind_column(table, table.data_start, table.data_end)
        self.notes: list[str] = []
        if merged_down:
            self.notes.append(
                f"{merged_down} cell(s) merged down over several items: each item takes the "
                "merged value"
            )
        self._targets: dict[str, dict[int, str | None]] = {}
        self._mapped: dict[str, frozenset[str]] = {}
        self.section: str | None = None
        self._statuses: dict[tuple[str, object], str | None] = {}
        self._check_values()
        self._assign()
        # Read once per table, for the rules of a table without a status column.
        self._has_status = table.by_key("status") is not None
        name = table.sheet.name
        self._closed_sheet = bool(_CLOSED_SHEET.search(name)) and not _OPEN_SHEET.search(name)
        self.table_report = TableReport(
            sheet=table.sheet.name,
            header_row=table.header_rows[-1] + 1,
            range=table.range,
            kind=table.kind,
            kind_reason=table.kind_reason,
            kind_column=table.kind_column.header if table.kind_column else None,
            notes=self.notes,
        )
        report.tables.append(self.table_report)
        self._readers()

    # which concept each column holds ------------------------------------------------------
    def _kinds(self) -> set[str]:
        if self.table.kind_column is None:
            return {self.table.kind}
        return {
            k
            for k in (kind_of_word(as_text(v)) for v in self.values[self.table.kind_column.index])
            if k
        }

    def _check_values(self) -> None:
        levels = len(self.profile.matrix.probability)
        for column in self.table.columns:
            if column.forced or not column.choices:
                continue
            # A thousand values decide what a column holds; more only cost time.
            filled = [v for v in self.values[column.index] if not is_blank(v)][:1000]
            if not filled:
                continue
            numbers = sum(1 for v in filled if isinstance(v, int | float))
            kept: list[tuple[str, float]] = []
            for key, confidence in column.choices:
                if key in _TEXT_KEYS and numbers >= 0.8 * len(filled):
                    self.notes.append(f"{column.header!r} holds numbers, not text: kept in extra")
                    continue
                if key in _DATE_KEYS:
                    reader = DateReader(filled, epoch=self.epoch)
                    readings = [reader.read(v) for v in filled]
                    good = sum(
                        1 for d, why in readings if d is not None or "placeholder" in str(why)
                    )
                    if good < 0.5 * len(filled):
                        continue
                if key.endswith(("probability", "impact")):
                    reader_l = LevelReader(filled, levels, header=column.header)
                    good = sum(1 for v in filled if reader_l.read(v)[0] is not None)
                    if good < 0.5 * len(filled):
                        if key.endswith("impact") and numbers < 0.5 * len(filled):
                            # Text in an impact column describes the impact: it is the effect.
                            kept.append(("effect", 0.9))
                            self.notes.append(f"{column.header!r} holds text: read as the effect")
                        continue
                if key in _SCORE_KEYS:
                    top = self.profile.matrix.max_score
                    good = sum(1 for v in filled if isinstance(v, int | float) and 0 <= v <= top)
                    if good < 0.5 * len(filled):
                        self.notes.append(
                            f"{column.header!r} does not hold scores of this matrix (0 to {top}): "
                            "kept in extra"
                        )
                        continue
                kept.append((key, confidence))
            column.choices = kept

    def _assign(self) -> None:
        kinds = self._kinds()
        overrides = dict(self.rule.columns) if self.rule is not None else {}
        taken: set[str] = set()
        for column in self.table.columns:
            field = next(
                (f for h, f in overrides.items() if h.casefold() == column.header.casefold()), None
            )
            if field is not None:
                column.key = None if field == "extra" else field
                column.forced = True
                column.note = "from the mapping file"
            if column.key is not None:
                taken.add(column.key)
        offers = sorted(
            (
                (-confidence, position, column.index, key)
                for column in self.table.columns
                if not column.forced
                for position, (key, confidence) in enumerate(column.choices)
                if key in ("ref", "links") or any(attribute(k, key) for k in kinds)
            ),
        )
        placed: set[int] = set()
        for _, _, index, key in offers:
            if index in placed or key in taken:
                continue
            column = next(c for c in self.table.columns if c.index == index)
            column.key = key
            taken.add(key)
            placed.add(index)
        tags = self.table.by_key("tags")
        for column in self.table.columns:
            if (
                tags is not None
                and column.key is None
                and not column.forced
                and _REPEAT.sub("", column.header) == tags.header
            ):
                column.key = "tags"  # "Labels (2)": another column of the same list
        status = self.table.by_key("status")
        if status is not None and not status.forced and self.table.by_key("rag") is None:
            written = [v for v in self.values[status.index] if not is_blank(v)]
            if written and all(read_rag(v) for v in written):
                # "Status: Red / Amber / Green" is a RAG, not a place in the lifecycle.
                status.key = "rag"
                self.notes.append(f"{status.header!r} holds RAG colours: read as the RAG")
        self.has_title = self.table.by_key("title") is not None
        if not self.has_title:
            self.notes.append(
                "no title column: each title is the start of the description, which keeps "
                "the full text"
            )

    def _readers(self) -> None:
        matrix = self.profile.matrix
        self.dates: dict[int, DateReader] = {}
        self.levels: dict[int, LevelReader] = {}
        order = self.rule.date_order if self.rule is not None else None
        orders: set[str] = set()
        for column in self.table.columns:
            key = column.key
            if key is None:
                continue
            values = self.values[column.index]
            if key in _DATE_KEYS:
                reader = DateReader(values, epoch=self.epoch, order=order)
                self.dates[column.index] = reader
                if reader.note:
                    self.notes.append(f"{column.header!r}: {reader.note}")
                if reader.saw_ambiguous(values):
                    orders.add(reader.order)
            elif key in _LEVEL_KEYS:
                size = len(matrix.probability if key.endswith("probability") else matrix.impact)
                level = LevelReader(values, size, header=column.header)
                self.levels[column.index] = level
                if level.note:
                    self.notes.append(f"{column.header!r}: {level.note}")
        if orders:
            self.table_report.date_order = "dmy" if "dmy" in orders else "mdy"
            if not order:
                self.notes.append(
                    "some text dates read either way: read "
                    + ("day-first" if "dmy" in orders else "month-first")
                    + " (set date_order in a mapping file to change it)"
                )
        for column in self.table.columns:
            self.table_report.columns.append(
                ColumnReport(
                    header=column.header,
                    letter=column_letter(column.index),
                    field=self._shown(column.key),
                    note=column.note,
                )
            )
        rags = [c for c in self.table.columns if c.key == "rag"]
        self.colour_column: int | None = None
        fills = self.table.sheet.fills
        if fills and not rags:
            span = range(self.table.data_start, self.table.data_end)
            counts = Counter(c for (r, c) in fills if r in span)
            if counts:
                column_index, hits = counts.most_common(1)[0]
                if hits >= max(2, 0.5 * len(span)):
                    self.colour_column = column_index
                    self.notes.append(
                        f"RAG read from the fill colour of column {column_letter(column_index)}"
                    )

    def _shown(self, key: str | None) -> str:
        if key is None:
            return "extra"
        if key == "ref":
            return f"ref (kept as extra[{SOURCE_REF!r}])"
        if self.table.kind_column is None and key not in ("kind", "links"):
            return attribute(self.table.kind, key) or "extra"
        return key

    def mapping_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "sheet": self.table.sheet.name,
            "header_row": self.table.header_rows[-1] + 1,
            "kind": self.table.kind,
            "kind_column": self.table.kind_column.header if self.table.kind_column else None,
            "date_order": self.table_report.date_order,
            "columns": [(c.header, c.key or "extra") for c in self.table.columns],
        }
        return entry

    # rows -------------------------------------------------------------------------------------
    def build(self) -> list[_Draft]:
        table = self.table
        sheet = table.sheet
        rows = sheet.rows
        first, last = table.first_col, table.last_col
        width = last - first + 1
        keyed = {c.index - first: c for c in table.columns}
        title_cols = [
            c.index - first for c in table.columns if c.key in TITLE_KEYS or c.key in _LONG_TEXT
        ]
        ref_column = table.by_key("ref")
        ref_col = ref_column.index - first if ref_column is not None else None
        # When (nearly) every row has an id, a row without one and without a title
        # continues the item above it (text wrapped onto a second row).
        title_column = table.by_key("title")
        numbered = False
        if ref_column is not None:
            ids = self.values[ref_column.index]
            filled_rows = sum(1 for v in ids if not is_blank(v))
            # Without a title column a row lacking an id may be an item of its own: be strict.
            share = 0.5 if title_column is not None else 0.8
            numbered = filled_rows >= 3 and filled_rows >= share * sum(
                1 for r in range(table.data_start, table.data_end) if any(rows[r])
            )
        last_row = -2
        formulas = sheet.formulas
        seen: dict[tuple[object, ...], int] = {}
        header_row = rows[table.header_rows[-1]]
        header_texts = [
            as_text(header_row[c]) if c < len(header_row) else "" for c in range(first, last + 1)
        ]
        drafts: list[_Draft] = []
        report = self.table_report
        for offset, r in enumerate(range(table.data_start, table.data_end)):
            raw = rows[r]
            values = raw[first : last + 1]
            if len(values) < width:
                values = [*values, *([""] * (width - len(values)))]
            formula_cols = (
                frozenset(c - first for c in range(first, last + 1) if (r, c) in formulas)
                if formulas
                else frozenset()
            )
            problem = row_problem(
                values,
                title_cols=title_cols,
                ref_col=ref_col,
                formula_cols=formula_cols,
                offset=offset,
            )
            if problem == "blank":
                continue
            report.rows_read += 1
            section = _section(values) if table.kind_column is None else None
            if section is not None:
                self.section = section
                report.skipped.append(
                    RowNote(
                        sheet=sheet.name,
                        row=r + 1,
                        reason=f"section heading: the rows below are {section} items",
                    )
                )
                continue
            if (
                numbered
                and problem in (None, "no title or description")
                and drafts
                and last_row == r - 1
                and is_blank(values[ref_col])  # type: ignore[index]  # numbered implies a ref column
                and (title_column is None or is_blank(values[title_column.index - first]))
            ):
                self._continue(drafts[-1], r, values, keyed)
                last_row = r
                continue
            if problem is not None:
                report.skipped.append(RowNote(sheet=sheet.name, row=r + 1, reason=problem))
                continue
            if header_texts and sum(
                1 for v, h in zip(values, header_texts, strict=True) if h and as_text(v) == h
            ) >= max(2, 0.6 * sum(1 for h in header_texts if h)):
                report.skipped.append(
                    RowNote(sheet=sheet.name, row=r + 1, reason="the header row repeated")
                )
                continue
            identity = tuple(values)
            if identity in seen:
                report.skipped.append(
                    RowNote(
                        sheet=sheet.name,
                        row=r + 1,
                        reason=f"exact duplicate of row {seen[identity]}",
                    )
                )
                continue
            seen[identity] = r + 1
            draft = self._draft(r, values, keyed, formula_cols)
            if draft is not None:
                drafts.append(draft)
                last_row = r
        if r_hidden := len(sheet.hidden_rows & set(range(table.data_start, table.data_end))):
            self.notes.append(f"{r_hidden} hidden row(s) imported like the others")
        return drafts

    def _continue(
        self, draft: _Draft, r: int, values: Sequence[object], keyed: dict[int, Any]
    ) -> None:
        """Add a continuation row's text to the item above it, field by field."""
        for position, value in enumerate(values):
            if is_blank(value):
                continue
            column = keyed[position]
            text = clean_text(value)[0]
            target = attribute(draft.kind, column.key) if column.key is not None else None
            if target in _LONG_TEXT or target == "title":
                current = draft.fields.get(target)
                draft.fields[target] = f"{current}\n{text}" if current else text
            else:
                current_extra = draft.extra.get(column.header)
                draft.extra[column.header] = (
                    f"{current_extra}\n{text}" if current_extra not in (None, "") else text
                )
        self.table_report.skipped.append(
            RowNote(
                sheet=self.table.sheet.name,
                row=r + 1,
                reason=f"continues row {draft.row}: its text was added to that item",
            )
        )

    def _flag(self, row: int, column: str, reason: str) -> None:
        self.table_report.flagged.append(
            RowNote(sheet=self.table.sheet.name, row=row + 1, column=column, reason=reason)
        )

    def _draft(
        self,
        r: int,
        values: Sequence[object],
        keyed: dict[int, Any],
        formula_cols: frozenset[int],
    ) -> _Draft | None:
        table = self.table
        profile = self.profile
        kind = self.section or table.kind
        if table.kind_column is not None:
            cell = values[table.kind_column.index - table.first_col]
            named = kind_of_word(as_text(cell)) if not is_blank(cell) else None
            if named is None and not is_blank(cell):
                self._flag(
                    r,
                    table.kind_column.header,
                    f"type {as_text(cell)!r} is not a kind: read as {kind}",
                )
            kind = named or kind
        lifecycle = profile.lifecycle(kind)
        targets = self._targets.get(kind)
        if targets is None:
            targets = self._targets[kind] = {
                p: (attribute(kind, c.key) if c.key is not None else None) for p, c in keyed.items()
            }
        fields: dict[str, Any] = {}
        extra: dict[str, ExtraValue] = {}
        source_ref: str | None = None
        raw_scores: dict[str, tuple[str, object]] = {}
        link_cells: list[tuple[str, str]] = []

        def keep(header: str, value: object, reason: str | None) -> None:
            extra[header] = extra_value(value)
            if reason:
                self._flag(r, header, reason + "; kept as written in extra")

        for position, value in enumerate(values):
            if value == "" or value is None or (type(value) is str and not value.strip()):
                if position in formula_cols:
                    self._flag(
                        r, keyed[position].header, "formula without a saved value: read as empty"
                    )
                continue
            column = keyed[position]
            key = column.key
            header = column.header
            target = targets[position]
            if key == "kind":
                continue
            if key == "ref":
                text, _ = clean_text(value)
                source_ref = text
                if isinstance(value, float) and abs(value) >= 2**53:
                    self._flag(r, header, "a long number id lost digits in the file itself")
                continue
            if key == "links":
                keep(header, value, None)  # the text stays; typed links are added when resolved
                link_cells.append((header, clean_text(value)[0]))
                continue
            if target is None:
                keep(header, value, None)
                continue
            if (
                isinstance(value, str)
                and value.strip().casefold() in NULL_WORDS
                and target not in ("title",)
            ):
                continue
            if target in fields and target != "tags":
                keep(header, value, None)
                continue
            if target == "title" or target in _LONG_TEXT or target in _SHORT_TEXT:
                text, cleaned = clean_text(value)
                if cleaned:
                    self._flag(r, header, "control characters removed")
                if target in _PEOPLE and _NOBODY.match(text):
                    keep(header, text, f"{text!r} names nobody: {target} left empty")
                    continue
                if target in _SHORT_TEXT and len(text) > TITLE_MAX:
                    keep(header, text, f"longer than {TITLE_MAX} characters for {target}")
                    continue
                if target in _LONG_TEXT and len(text) > DESCRIPTION_MAX:
                    parts = [
                        text[i : i + DESCRIPTION_MAX] for i in range(0, len(text), DESCRIPTION_MAX)
                    ]
                    text = parts[0]
                    for number, part in enumerate(parts[1:], start=2):
                        extra[f"{header} (part {number})"] = part
                    self._flag(
                        r, header, f"longer than {DESCRIPTION_MAX} characters: the rest is in extra"
                    )
                fields[target] = text
            elif target in _DATE_KEYS:
                day, why = self.dates[column.index].read(value)
                if day is not None:
                    fields[target] = day
                    if why:  # read out of qualifying words: the text is kept too
                        keep(header, value, why)
                elif why and why.startswith("placeholder"):
                    self._flag(r, header, why)
                else:
                    keep(header, value, why)
            elif target in _LEVEL_KEYS:
                level, why = self.levels[column.index].read(value)
                if level is not None:
                    fields[target] = level
                    if why:
                        self._flag(r, header, why)
                elif why and "read as empty" in why:
                    self._flag(r, header, why)
                else:
                    keep(header, value, why)
            elif target in _SCORE_KEYS:
                raw_scores[target] = (header, value)
            elif target == "status":
                memo = (kind, value)
                status = self._statuses.get(memo, "")
                if status == "":
                    status = self._statuses[memo] = read_status(value, lifecycle)
                if status is None:
                    keep(
                        header,
                        value,
                        f"status {as_text(value)!r} is not a {kind} status; "
                        f"left {lifecycle.initial!r}",
                    )
                else:
                    fields["status"] = status
            elif target == "rag":
                rag = read_rag(value) or table.sheet.fills.get((r, column.index))
                if rag is None:
                    keep(header, value, f"{as_text(value)!r} is not red, amber or green")
                else:
                    fields["rag"] = rag
            elif target in _VOCAB:
                words = profile.vocabulary(_VOCAB[target])
                if not words:
                    fields[target] = clean_text(value)[0]
                    continue
                word = read_vocabulary(value, words, _VOCAB[target])
                if word is None:
                    keep(header, value, f"{as_text(value)!r} is not in the profile's {target} list")
                else:
                    fields[target] = word
                    if word.casefold() != as_text(value).casefold():
                        extra[header] = extra_value(value)
            elif target == "progress":
                percent, why = read_progress(value)
                if percent is None:
                    keep(header, value, why)
                else:
                    fields["progress"] = percent
            elif target == "cost_exposure":
                amount = _money(value)
                if amount is None:
                    keep(header, value, "not an amount")
                else:
                    fields["cost_exposure"] = amount
            elif target in ("tags", "options_considered"):
                text = clean_text(value)[0]
                pieces = tuple(
                    p.strip()
                    for p in re.split(r"[;,\n]" if target == "tags" else r"\n", text)
                    if p.strip()
                )
                # Repeated "Labels" columns (as Jira exports them) add to one list.
                known = fields.get(target, ())
                fields[target] = known + tuple(p for p in pieces if p not in known)
            elif target == "direction":
                word = as_text(value).casefold()
                if word in ("inbound", "in", "incoming", "we need", "from"):
                    fields["direction"] = "inbound"
                elif word in ("outbound", "out", "outgoing", "we provide", "to"):
                    fields["direction"] = "outbound"
                else:
                    keep(header, value, "direction is not inbound or outbound")
            else:
                keep(header, value, None)
        rag_column = self.colour_column
        if rag_column is None:
            mapped = table.by_key("rag")
            rag_column = mapped.index if mapped is not None else None
        if rag_column is not None and "rag" not in fields:
            colour = table.sheet.fills.get((r, rag_column))
            if colour is not None:
                fields["rag"] = colour
        if "rag" in fields:
            fields["rag_manual"] = True
        self._scores(r, kind, fields, extra, raw_scores)
        self._dates_in_order(r, kind, fields, extra)
        if not self._title(r, fields, extra):
            self.table_report.skipped.append(
                RowNote(sheet=table.sheet.name, row=r + 1, reason="no title or description")
            )
            return None
        if "status" not in fields and not self._has_status:
            self._status_without_column(kind, fields)
        if (
            kind == "action"
            and fields.get("status") == "done"
            and "completed_on" not in fields
            and "closed_on" in fields
        ):
            fields["completed_on"] = fields["closed_on"]
        if source_ref:
            extra[SOURCE_REF] = source_ref
            key = (kind, "ref", source_ref)
        else:
            extra[SOURCE_ROW] = f"{table.sheet.name}!{r + 1}"
            key = (kind, "row", f"{table.sheet.name}!{r + 1}")
        return _Draft(
            kind=kind,
            fields=fields,
            extra=extra,
            sheet=table.sheet.name,
            row=r + 1,
            key=key,
            report=self.table_report,
            links=link_cells,
            mapped=self._mapped.setdefault(
                kind, frozenset(t for t in targets.values() if t is not None)
            ),
        )

    def _status_without_column(self, kind: str, fields: dict[str, Any]) -> None:
        """With no status column: a closing date, or a sheet named for closed items
        ("Closed Risks", "Completed Actions", "Archive"), closes the item, and an action
        100% complete is done. The table's notes say which rule applied."""
        if "closed_on" in fields or "completed_on" in fields:
            why = "items with a closing date are"
        elif self._closed_sheet:
            why = "the sheet's name says its items are"
        elif kind == "action" and fields.get("progress") == 100:
            why = "actions at 100% are"
        else:
            return
        word = "done" if kind == "action" else "closed"
        memo = (kind, word)
        status = self._statuses.get(memo, "")
        if status == "":
            status = self._statuses[memo] = read_status(word, self.profile.lifecycle(kind))
        if status is None:
            return
        fields["status"] = status
        note = f"no status column: {why} {status!r}"
        if note not in self.notes:
            self.notes.append(note)

    def _scores(
        self,
        r: int,
        kind: str,
        fields: dict[str, Any],
        extra: dict[str, ExtraValue],
        raw: dict[str, tuple[str, object]],
    ) -> None:
        matrix = self.profile.matrix
        for prefix in ("inherent_", "", "residual_", "target_"):
            p, i = fields.get(prefix + "probability"), fields.get(prefix + "impact")
            found = raw.get(prefix + "score")
            if (p is None) != (i is None):
                # The register refuses a score with half an assessment: keep the half as text.
                name = prefix + ("impact" if i is None else "probability")
                if found is not None:
                    extra[found[0]] = extra_value(found[1])
                    self._flag(r, found[0], f"score without {name}: kept as written in extra")
                continue
            if found is None:
                continue
            header, value = found
            number = (
                value if isinstance(value, int | float) and not isinstance(value, bool) else None
            )
            if p is not None and i is not None:
                derived = matrix.score(p, i)
                if number is None or number != derived:
                    extra[header] = extra_value(value)
                    self._flag(
                        r,
                        header,
                        f"score {as_text(value)} differs from the matrix ({derived}); "
                        "kept in extra",
                    )
            elif (
                number is not None
                and float(number).is_integer()
                and 0 <= number <= matrix.max_score
            ):
                fields[prefix + "score"] = int(number)
            else:
                extra[header] = extra_value(value)
                self._flag(
                    r, header, f"{as_text(value)!r} is not a score of this matrix; kept in extra"
                )

    def _dates_in_order(
        self, r: int, kind: str, fields: dict[str, Any], extra: dict[str, ExtraValue]
    ) -> None:
        raised = fields.get("raised_on")
        if raised is None:
            return
        for name in ("due", "closed_on", "completed_on"):
            value = fields.get(name)
            if isinstance(value, date) and value < raised:
                del fields[name]
                column = next((c for c in self.table.columns if c.key == name), None)
                header = column.header if column is not None else name
                extra[header] = value.isoformat()
                self._flag(
                    r,
                    header,
                    f"{name} {value.isoformat()} is before the raised date "
                    f"{raised.isoformat()}; kept in extra",
                )

    def _title(self, r: int, fields: dict[str, Any], extra: dict[str, ExtraValue]) -> bool:
        title = fields.get("title", "")
        source = "title"
        if not title.strip():
            for name in _TITLE_SOURCES[1:]:
                if str(fields.get(name, "")).strip():
                    title, source = fields[name], name
                    break
            else:
                return False
            if self.has_title:
                self._flag(r, source, f"no title: the {source} gives it")
        title = title.strip()
        if len(title) > TITLE_MAX:
            cut = (
                title[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") or title[: TITLE_MAX - 1]
            )
            full = fields.get("title", "")
            if source == "title" and not fields.get("description"):
                fields["description"] = full
                where = "the description"
            elif source == "title":
                extra["title (full)"] = full
                where = "extra"
            else:
                where = f"the {source}"
            self._flag(
                r,
                source,
                f"title longer than {TITLE_MAX} characters: shortened; the full text is in {where}",
            )
            title = cut + "…"
        fields["title"] = title
        return True


_DERIVED = frozenset(
    {"score", "inherent_score", "residual_score", "target_score", "rag", "rag_manual", "title"}
)


def _over(current: Item, new: Item, mapped: frozenset[str]) -> Item:
    """``new`` as an update of ``current``: the file's columns replace their fields; fields
    the file has no column for (a review date raidlog set, an edit made in raidlog) and
    extra keys the file no longer has are kept."""
    keep = {
        f.name: getattr(current, f.name)
        for f in attrs.fields(type(current))
        if f.name not in mapped
        and f.name not in _DERIVED
        and f.name not in ("extra", "links", "ref", "version", "kind")
        and not f.name.startswith(("created_", "updated_"))
    }
    extra = {**current.extra, **new.extra}
    links = new.links or current.links
    return attrs.evolve(
        new, ref=current.ref, version=current.version, extra=extra, links=links, **keep
    )


def _section(values: Sequence[object]) -> str | None:
    """The kind a lone heading row names ("RISKS", "Open Actions"), if it is one."""
    filled = [v for v in values if not is_blank(v)]
    if len(filled) != 1 or not isinstance(filled[0], str) or len(filled[0]) > 40:
        return None
    words = [w for w in normalise(filled[0]).split(" ") if w not in _SECTION_FILLER]
    if len(words) != 1 or len(words[0]) < 4:
        return None
    return KIND_WORDS.get(words[0])


_SECTION_FILLER = frozenset({"open", "closed", "current", "active", "log", "register", "list"})


def _money(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    match = _MONEY.match(as_text(value))
    if match is None:
        return None
    number = float(match.group(1).replace(",", ""))
    return number * {"k": 1e3, "m": 1e6}.get(match.group(2).lower(), 1)


# items and writing -----------------------------------------------------------------------------
def _items(
    drafts: list[_Draft], register: Register, report: ImportReport, name: str, sha: str
) -> tuple[list[Item], list[str], list[_Draft]]:
    classes = (
        {cls.kind: cls for cls in kind_classes(register.plugin_manager)}
        if register.plugin_manager
        else {}
    )
    if not classes:
        from raidlog.model.items import BUILTIN_KINDS

        classes = {cls.kind: cls for cls in BUILTIN_KINDS}
    existing: dict[tuple[str, str, str], Item] = {}
    for item in register.items():
        ref = item.extra.get(SOURCE_REF)
        row = item.extra.get(SOURCE_ROW)
        if isinstance(ref, str):
            existing.setdefault((item.kind, "ref", ref), item)
        elif isinstance(row, str):
            existing.setdefault((item.kind, "row", row), item)
    items: list[Item] = []
    sources: list[str] = []
    kept: list[_Draft] = []
    first_seen: dict[tuple[str, str, str], _Draft] = {}
    by_title: dict[tuple[str, str], _Draft] = {}
    for draft in drafts:
        title_key = (draft.kind, str(draft.fields.get("title", "")).casefold())
        copy = by_title.get(title_key)
        if copy is not None and copy.report is not draft.report and draft.key[1] == "row":
            # The same item shown again by another table (a summary or pasted copy).
            draft.report.skipped.append(
                RowNote(
                    sheet=draft.sheet,
                    row=draft.row,
                    reason=f"same item as {copy.sheet} row {copy.row} (same title, no other id)",
                )
            )
            draft.report.flagged = [
                n for n in draft.report.flagged if (n.sheet, n.row) != (draft.sheet, draft.row)
            ]
            continue
        by_title.setdefault(title_key, draft)
        earlier = first_seen.get(draft.key)
        if earlier is not None:
            if (
                earlier.fields.get("title", "").casefold()
                == draft.fields.get("title", "").casefold()
            ):
                draft.report.skipped.append(
                    RowNote(
                        sheet=draft.sheet,
                        row=draft.row,
                        reason=f"same item as {earlier.sheet} row {earlier.row} "
                        "(same id and title)",
                    )
                )
                draft.report.flagged = [
                    n for n in draft.report.flagged if (n.sheet, n.row) != (draft.sheet, draft.row)
                ]
                continue
            number = 2
            while (draft.key[0], draft.key[1], f"{draft.key[2]} ({number})") in first_seen:
                number += 1
            suffixed = f"{draft.key[2]} ({number})"
            draft.key = (draft.key[0], draft.key[1], suffixed)
            draft.extra[SOURCE_REF if draft.key[1] == "ref" else SOURCE_ROW] = suffixed
            draft.report.flagged.append(
                RowNote(
                    sheet=draft.sheet,
                    row=draft.row,
                    reason=f"id also used by {earlier.sheet} row {earlier.row}: "
                    f"tracked as {suffixed!r}",
                )
            )
        first_seen[draft.key] = draft
        cls = classes[draft.kind]
        try:
            item = cls(**draft.fields, extra=draft.extra)
        except (ValidationError, TypeError, ValueError) as exc:
            draft.report.rejected.append(RowNote(sheet=draft.sheet, row=draft.row, reason=str(exc)))
            continue
        # The item holds the values now; a draft keeps only what duplicate checks compare.
        draft.fields, draft.extra = {"title": item.title}, {}
        match = existing.get(draft.key)
        if match is not None:
            item = _over(match, item, draft.mapped)
        items.append(item)
        sources.append(f"{name} sha256:{sha} sheet:{draft.sheet} row:{draft.row}")
        kept.append(draft)
    _link(items, sources, kept, existing, register)
    return items, sources, kept


_REF_NUMBER = re.compile(r"^(?P<prefix>[A-Z]+)-(?P<number>\d+)$")
_TOKENS = re.compile(r"[,;\s/]+")


def _relation(header: str) -> Relation:
    words = header.casefold()
    for stem, relation in (
        ("depend", Relation.DEPENDS_ON),
        ("mitigat", Relation.MITIGATES),
        ("resolv", Relation.RESOLVES),
    ):
        if stem in words:
            return relation
    return Relation.RELATES_TO


def _link(
    items: list[Item],
    sources: list[str],
    drafts: list[_Draft],
    existing: dict[tuple[str, str, str], Item],
    register: Register,
) -> None:
    """Turn linked-item cells into typed links, in place.

    New items get their refs here (the next free numbers), so links between rows of the
    file can name them; items are then ordered so that every link target is written
    before the item linking to it. A cell naming nothing known stays text only (flagged).
    """
    if not any(d.links for d in drafts):
        return
    numbers: dict[str, int] = {}
    known: dict[str, str] = {}
    for item in register.items():
        assert item.ref is not None
        match = _REF_NUMBER.match(item.ref)
        if match is not None:
            prefix = match.group("prefix")
            numbers[prefix] = max(numbers.get(prefix, 0), int(match.group("number")))
        known[item.ref.casefold()] = item.ref
    for index, item in enumerate(items):
        if item.ref is None:
            prefix = item.ref_prefix
            numbers[prefix] = numbers.get(prefix, 0) + 1
            items[index] = attrs.evolve(item, ref=f"{prefix}-{numbers[prefix]:04d}")
    for (_, how, value), item in existing.items():
        if how == "ref":
            known.setdefault(value.casefold(), str(item.ref))
    for item, draft in zip(items, drafts, strict=True):
        if draft.key[1] == "ref":
            known[draft.key[2].casefold()] = str(item.ref)
        known[str(item.ref).casefold()] = str(item.ref)
    wanted: list[set[str]] = []
    for index, draft in enumerate(drafts):
        links: list[Link] = []
        for header, text in draft.links:
            relation = _relation(header)
            for token in (t for t in _TOKENS.split(text) if t):
                target = known.get(token.casefold())
                if target is None or target == items[index].ref:
                    draft.report.flagged.append(
                        RowNote(
                            sheet=draft.sheet,
                            row=draft.row,
                            column=header,
                            reason=f"{token!r} names no item: kept as text in extra",
                        )
                    )
                    continue
                links.append(Link(relation=relation, target=target))
        if links:
            items[index] = attrs.evolve(items[index], links=tuple(links))
        wanted.append({link.target for link in links})
    # Write link targets first (Kahn's order, file order among equals); a cycle's links
    # cannot all be written: the last of them stays text only.
    position = {str(item.ref): index for index, item in enumerate(items)}
    order: list[int] = []
    placed: set[int] = set()
    pending = list(range(len(items)))
    while pending:
        progressed = False
        for index in list(pending):
            needs = {position[t] for t in wanted[index] if t in position} - placed - {index}
            if not needs:
                order.append(index)
                placed.add(index)
                pending.remove(index)
                progressed = True
        if not progressed:
            index = pending[0]
            draft = drafts[index]
            cut = tuple(
                link
                for link in items[index].links
                if link.target not in position or position[link.target] in placed
            )
            draft.report.flagged.append(
                RowNote(
                    sheet=draft.sheet,
                    row=draft.row,
                    reason="links in a cycle with other rows: kept as text in extra",
                )
            )
            items[index] = attrs.evolve(items[index], links=cut)
            wanted[index] = {link.target for link in cut}
    items[:] = [items[i] for i in order]
    sources[:] = [sources[i] for i in order]
    drafts[:] = [drafts[i] for i in order]


def _write(
    items: list[Item],
    sources: list[str],
    drafts: list[_Draft],
    register: Register,
    report: ImportReport,
    name: str,
    dry_run: bool,
    tick: Progress,
    keep_valid: bool = False,
) -> None:
    tick("writing", 0, len(items))
    # Items matched to an earlier import carry the version read; new ones carry 0.
    before = {item.ref: item.version for item in items if item.version}
    if dry_run:
        report.added = sum(1 for i in items if not i.version)
        report.updated = len(items) - report.added
        for draft in drafts:
            draft.report.imported += 1
        return
    channel = register.channel
    register.channel = "import"
    try:
        while True:
            try:
                stored = register.upsert_many(
                    items, reason=f"imported from {name}", sources=sources
                )
                break
            except ImmutableItemError as exc:
                # A closed item (or accepted decision) the new file changes: that row is
                # rejected; with keep_valid the others are written without it.
                ref = str(exc).split(" ", 1)[0]
                index = next((i for i, item in enumerate(items) if item.ref == ref), None)
                if index is None:
                    raise ImportRejected(name, str(exc)) from None
                draft = drafts[index]
                reason = f"{exc}; the file changes it"
                if not keep_valid:
                    raise ImportRejected(
                        name,
                        f"{reason} (or import the other rows with --keep-valid)",
                        sheet=draft.sheet,
                        row=draft.row,
                    ) from None
                draft.report.rejected.append(
                    RowNote(sheet=draft.sheet, row=draft.row, reason=reason)
                )
                del items[index], sources[index], drafts[index]
    except RaidLogError as exc:
        if isinstance(exc, ImportRejected):
            raise
        raise ImportRejected(name, str(exc)) from None
    finally:
        register.channel = channel
    for item, draft in zip(stored, drafts, strict=True):
        draft.report.imported += 1
        assert item.ref is not None
        report.refs.append(item.ref)
        if item.ref not in before:
            report.added += 1
        elif before[item.ref] == item.version:
            report.unchanged += 1
        else:
            report.updated += 1
    tick("writing", len(items), len(items))
