"""``import_file``: a spreadsheet into a register, all or nothing, losing nothing.

The pipeline: pre-flight (bytes only), parsing in a sandboxed child, finding tables
(:mod:`~raidlog.migrate.tables`), mapping their columns (:mod:`~raidlog.migrate.columns`),
reading each row against the register's profile (:mod:`~raidlog.migrate.rows`), then ONE
atomic write (:func:`~raidlog.migrate.store.upsert`) that adds new items and updates those
an earlier import of the same register created (matched by source ref, else by sheet and
row).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

import attrs

from raidlog.bulk import Worker, bulk
from raidlog.errors import ImmutableItemError, ImportRejected, ValidationError
from raidlog.migrate.columns import SOURCE_REF, MappedTable, map_table
from raidlog.migrate.mapping import Mapping, load_mapping, to_toml
from raidlog.migrate.preflight import Limits, preflight
from raidlog.migrate.report import ColumnReport, ImportReport, RowNote, TableReport
from raidlog.migrate.rows import SOURCE_ROW, Draft, RowReader, read_list
from raidlog.migrate.sandbox import parse
from raidlog.migrate.store import tally, upsert
from raidlog.migrate.tables import (
    LineList,
    Table,
    column_letter,
    find_list,
    find_tables,
    looks_like_register,
    why_no_table,
    why_table,
)
from raidlog.migrate.trackers import apply_profile
from raidlog.migrate.values import is_blank
from raidlog.migrate.vocab import vocabulary
from raidlog.model.items import Item, ItemMaker, Link
from raidlog.model.values import Relation
from raidlog.plugins import kind_classes
from raidlog.register import Register

__all__ = ["SOURCE_REF", "SOURCE_ROW", "Progress", "import_file"]

Progress = Callable[[str, int, int], None]


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
    with bulk():  # the collector costs most of the object layer in bulk work
        tick("reading", 0, 1)
        ahead = _Ahead(register)
        try:
            book = parse(checked, limits)
            existing = ahead.existing()
        except BaseException:  # a refused file, or interrupted: the thread stops too
            ahead.stop()
            raise
        report.notes.extend(book.notes)
        if rules is None:
            rules = apply_profile(book, report)  # a tracker's export needs no mapping file
        drafts, entries = _drafts(book, register, rules, checked.path.stem, report, tick)
        del book  # the sheets' cells are not needed any more: free them before the items
        report.mapping_toml = to_toml(entries)
        items, sources, rows = _items(drafts, register, existing, report, name, checked.sha256)
        rejected = report.rejected
        if rejected and not keep_valid:
            first = rejected[0]
            raise ImportRejected(
                name,
                f"{len(rejected)} row(s) cannot be imported, first: {first.reason}; fix them, "
                "or import the valid rows with --keep-valid",
                sheet=first.sheet,
                row=first.row,
                report=report,
            )
        _write(items, sources, rows, register, report, name, dry_run, tick, keep_valid)
    return report


#: Items an earlier import of the register created, by (kind, "ref" or "row", source).
Existing = dict[tuple[str, str, str], Item]


class _Ahead:
    """What an import needs and no file decides, worked out in a thread while the reader
    child reads the file (this process only waits for the child then: 1.5 s and more for
    a large sheet, which calamine loads whole before the first row comes): the word files
    (:func:`vocabulary`) and, when the backend may be used from several threads, the
    items an earlier import created. Without a thread, they are read when asked for."""

    def __init__(self, register: Register) -> None:
        self._register = register
        self._stopped = threading.Event()
        self._found: Existing | None = None
        self._worker = Worker("raidlog-import-ahead", 1)
        with contextlib.suppress(RuntimeError):  # "can't start new thread": read when asked
            self._worker.submit(self._run)

    def _run(self) -> None:
        with contextlib.suppress(Exception):  # asked again when mapping: it raises there
            vocabulary()
        if self._register.capabilities.concurrent_threads:
            self._found = _existing(self._register, self._stopped)

    def stop(self) -> None:
        """The import stops (the file is refused): stop reading and wait for the thread."""
        self._stopped.set()
        self._worker.close()

    def existing(self) -> Existing:
        """The items an earlier import created (read now if the thread did not); what
        reading them raised in the thread is raised here."""
        try:
            self._worker.settle()
        finally:
            self._worker.close()
        if self._found is None:
            self._found = _existing(self._register, self._stopped)
        return self._found


def _existing(register: Register, stopped: threading.Event) -> Existing:
    """The register's items an earlier import created, by source ref, else by sheet and
    row (the first of each); empty if ``stopped`` is set while reading."""
    existing: Existing = {}
    for item in register.items():
        if stopped.is_set():
            return {}
        ref = item.extra.get(SOURCE_REF)
        row = item.extra.get(SOURCE_ROW)
        if isinstance(ref, str):
            existing.setdefault((item.kind, "ref", ref), item)
        elif isinstance(row, str):
            existing.setdefault((item.kind, "row", row), item)
    return existing


# tables and columns ----------------------------------------------------------------------------
def _drafts(
    book: Any,
    register: Register,
    rules: Mapping | None,
    stem: str,
    report: ImportReport,
    tick: Progress,
) -> tuple[list[Draft], list[dict[str, Any]]]:
    drafts: list[Draft] = []
    entries: list[dict[str, Any]] = []
    total = sum(len(s.rows) for s in book.sheets) or 1
    done = 0
    for sheet in book.sheets:
        rule = rules.for_sheet(sheet.name) if rules is not None else None
        if rule is not None and rule.skip:
            report.no_table[sheet.name] = "the mapping file says skip = true"
            report.sheets_skipped.append(f"{sheet.name} (skipped by the mapping)")
            entries.append({"sheet": sheet.name, "skip": True})
            continue
        forced = rule.header_row - 1 if rule is not None and rule.header_row else None
        tables, notes = find_tables(sheet, header_row=forced)
        if not tables:
            listed = find_list(sheet, stem) if rule is None else None
            if listed is not None:
                drafts.extend(_read_list(listed, report))
            elif any(any(not is_blank(v) for v in row) for row in sheet.rows):
                report.no_table[sheet.name] = why_no_table(sheet)
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
            report.no_table[sheet.name] = (
                "its tables are legends or lookup lists (no id, owner or date column, and "
                "no kind in the sheet's name)"
            )
            report.sheets_skipped.append(sheet.name)
            entries.append({"sheet": sheet.name, "skip": True})
            continue
        for table in kept:
            found, entry = _read_table(table, register, book.epoch, rule, stem, report, notes)
            notes = []
            drafts.extend(found)
            entries.append(entry)
        done += len(sheet.rows)
        tick("mapping", done, total)
    return drafts, entries


def _read_table(
    table: Table,
    register: Register,
    epoch: int,
    rule: Any,
    stem: str,
    report: ImportReport,
    notes: list[str],
) -> tuple[list[Draft], dict[str, Any]]:
    """Map one table's columns, read its rows; return its drafts and its mapping entry."""
    found = why_table(table)
    mapping, values = map_table(table, register.profile, epoch, rule, stem)
    table_report = TableReport(
        sheet=table.sheet.name,
        header_row=table.header_rows[-1] + 1,
        range=table.range,
        kind=mapping.kind,
        kind_reason=mapping.kind_reason,
        kind_column=mapping.kind_column.header if mapping.kind_column else None,
        kind_votes=_votes(mapping.kind_votes),
        found=found,
        notes=list(mapping.notes),
        date_order=mapping.date_order,
        columns=[
            ColumnReport(
                header=c.header,
                letter=column_letter(c.index),
                field=mapping.shown(c),
                note=c.reason if c.reason == "from the mapping file" else None,
                confidence=c.confidence,
                reason=c.reason,
            )
            for c in mapping.columns
        ],
    )
    report.tables.append(table_report)
    table_report.notes.extend(notes)
    if not table.sheet.visible:
        table_report.notes.append("the sheet is hidden in the workbook")
    drafts = RowReader(table, mapping, values, register.profile, table_report).read()
    return drafts, _mapping_entry(table, mapping)


def _read_list(found: LineList, report: ImportReport) -> list[Draft]:
    """A list of lines under section headings: its report, then its items."""
    table_report = TableReport(
        sheet=found.sheet.name,
        header_row=min([*found.headings, *(r for r, _ in found.lines)]) + 1,
        range=found.range,
        kind=found.kind,
        kind_reason=found.kind_reason,
        kind_votes=_votes(found.kind_votes),
        found=f"no header row, but one column of {len(found.lines)} lines under "
        f"{len(found.headings)} section heading(s)",
        columns=[
            ColumnReport(
                header=f"Column {column_letter(found.column)}",
                letter=column_letter(found.column),
                field="title",
                confidence=0.7,
                reason="each line is an item; its section heading is kept as a tag",
            )
        ],
        notes=[
            "a list of lines under section headings, not a table: each line is one item, "
            "tagged with its heading (a mapping file cannot describe a list)"
        ],
    )
    report.tables.append(table_report)
    return read_list(found, table_report)


def _votes(votes: tuple[tuple[str, str, float, str], ...]) -> list[dict[str, Any]]:
    return [
        {"source": source, "kind": kind, "weight": weight, "evidence": evidence}
        for source, kind, weight, evidence in votes
    ]


def _mapping_entry(table: Table, mapping: MappedTable) -> dict[str, Any]:
    """The table's mapping as a mapping file would say it (see :func:`to_toml`)."""
    return {
        "sheet": table.sheet.name,
        "header_row": table.header_rows[-1] + 1,
        "kind": mapping.kind,
        "kind_column": mapping.kind_column.header if mapping.kind_column else None,
        "date_order": mapping.date_order,
        "columns": [(c.header, c.key or "extra") for c in mapping.columns],
    }


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


# items and writing -----------------------------------------------------------------------------
def _items(
    drafts: list[Draft],
    register: Register,
    existing: Existing,
    report: ImportReport,
    name: str,
    sha: str,
) -> tuple[list[Item], list[str], list[Draft]]:
    classes = (
        {cls.kind: cls for cls in kind_classes(register.plugin_manager)}
        if register.plugin_manager
        else {}
    )
    if not classes:
        from raidlog.model.items import BUILTIN_KINDS

        classes = {cls.kind: cls for cls in BUILTIN_KINDS}
    items: list[Item] = []
    sources: list[str] = []
    kept: list[Draft] = []
    first_seen: dict[tuple[str, str, str], Draft] = {}
    # Items made as the class makes them, each field's check run once per distinct value.
    makers: dict[str, ItemMaker] = {}
    by_title: dict[tuple[str, str], Draft] = {}
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
        maker = makers.get(draft.kind)
        if maker is None:
            maker = makers[draft.kind] = ItemMaker(classes[draft.kind])
        try:
            item = maker.make(draft.fields, draft.extra)
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
    drafts: list[Draft],
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
    drafts: list[Draft],
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

    def frozen(index: int, exc: ImmutableItemError) -> None:
        # A closed item (or accepted decision) the new file changes: that row is
        # rejected; with keep_valid the others are written without it.
        draft = drafts[index]
        reason = f"{exc}; the file changes it"
        if not keep_valid:
            raise ImportRejected(
                name,
                f"{reason} (or import the other rows with --keep-valid)",
                sheet=draft.sheet,
                row=draft.row,
            ) from None
        draft.report.rejected.append(RowNote(sheet=draft.sheet, row=draft.row, reason=reason))
        del drafts[index]

    stored = upsert(register, items, sources, name, frozen)
    for _, draft in zip(stored, drafts, strict=True):
        draft.report.imported += 1
    tally(report, stored, before)
    tick("writing", len(items), len(items))
