"""The import report: what was found, how it was mapped, and what happened to every row."""

from __future__ import annotations

import json
from typing import Any

import attrs

__all__ = ["ColumnReport", "ImportReport", "RowNote", "TableReport"]


@attrs.define(kw_only=True)
class RowNote:
    """A row that was skipped or rejected, or a cell that was flagged (1-based row)."""

    sheet: str
    row: int
    reason: str
    column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data: dict[str, Any] = {"sheet": self.sheet, "row": self.row, "reason": self.reason}
        if self.column is not None:
            data["column"] = self.column
        return data


@attrs.define(kw_only=True)
class ColumnReport:
    """One column: its header, letter, and the field it was mapped to (``extra`` if none)."""

    header: str
    letter: str
    field: str
    note: str | None = None
    #: How sure the guess is, from 0 to 1 (1 for a mapping file's word).
    confidence: float = 1.0
    #: Why the column holds that field (or is kept in extra), in words.
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the choice behind it is in :meth:`choice`)."""
        data: dict[str, Any] = {"header": self.header, "column": self.letter, "field": self.field}
        if self.note:
            data["note"] = self.note
        return data

    def choice(self) -> dict[str, Any]:
        """JSON-ready: the column, its field, and how sure the guess is and why."""
        return {
            "header": self.header,
            "column": self.letter,
            "field": self.field,
            "confidence": self.confidence,
            "reason": self.reason,
        }


@attrs.define(kw_only=True)
class TableReport:
    """One table found on a sheet."""

    sheet: str
    header_row: int
    range: str
    kind: str
    kind_reason: str
    kind_column: str | None = None
    #: Every vote on the kind: ``{"source", "kind", "weight", "evidence"}``.
    kind_votes: list[dict[str, Any]] = attrs.Factory(list)
    #: Why this block of cells was taken as a table (or a list), in words.
    found: str = ""
    columns: list[ColumnReport] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)
    date_order: str | None = None
    rows_read: int = 0
    imported: int = 0
    skipped: list[RowNote] = attrs.Factory(list)
    rejected: list[RowNote] = attrs.Factory(list)
    flagged: list[RowNote] = attrs.Factory(list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "range": self.range,
            "kind": self.kind,
            "kind_reason": self.kind_reason,
            "kind_column": self.kind_column,
            "kind_votes": [dict(v) for v in self.kind_votes],
            "found": self.found,
            "columns": [c.to_dict() for c in self.columns],
            "column_choices": [c.choice() for c in self.columns],
            "notes": list(self.notes),
            "date_order": self.date_order,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "skipped": [n.to_dict() for n in self.skipped],
            "rejected": [n.to_dict() for n in self.rejected],
            "flagged": [n.to_dict() for n in self.flagged],
        }


@attrs.define(kw_only=True)
class ImportReport:
    """Everything :func:`raidlog.migrate.import_file` did, or would do with ``dry_run``.

    ``added``/``updated``/``unchanged`` count items; ``refs`` are the refs of the items
    written (or matched), in source order. ``to_dict()`` is the ``--report`` JSON.
    """

    file: str
    sha256: str
    format: str
    dry_run: bool = False
    keep_valid: bool = False
    notes: list[str] = attrs.Factory(list)
    sheets_skipped: list[str] = attrs.Factory(list)
    #: Why each sheet without a table has none (sheet name -> reason).
    no_table: dict[str, str] = attrs.Factory(dict)
    tables: list[TableReport] = attrs.Factory(list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refs: list[str] = attrs.Factory(list)
    mapping_toml: str = ""

    @property
    def imported(self) -> int:
        """Rows that became (or matched) items."""
        return sum(t.imported for t in self.tables)

    @property
    def skipped(self) -> list[RowNote]:
        """Every row left out on purpose, with its reason."""
        return [n for t in self.tables for n in t.skipped]

    @property
    def rejected(self) -> list[RowNote]:
        """Every row that could not be imported, with its reason."""
        return [n for t in self.tables for n in t.rejected]

    @property
    def flagged(self) -> list[RowNote]:
        """Every cell kept as written (in ``extra``) or changed on the way, with why."""
        return [n for t in self.tables for n in t.flagged]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what ``--report`` writes)."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "dry_run": self.dry_run,
            "keep_valid": self.keep_valid,
            "notes": list(self.notes),
            "sheets_skipped": list(self.sheets_skipped),
            "no_table": dict(self.no_table),
            "tables": [t.to_dict() for t in self.tables],
            "items": {"added": self.added, "updated": self.updated, "unchanged": self.unchanged},
            "refs": list(self.refs),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def summary(self, *, details: int = 10) -> str:
        """A readable summary; at most ``details`` skipped, rejected and flagged lines each."""
        lines = [f"{self.file} ({self.format}, sha256 {self.sha256[:12]})"]
        lines += [f"  note: {n}" for n in self.notes]
        for name in self.sheets_skipped:
            lines.append(f"  sheet {name}: no register table found")
        if not self.tables:
            lines.append("  no register table found: nothing to import (an empty template?)")
        for t in self.tables:
            kind = f"by the {t.kind_column!r} column" if t.kind_column else t.kind
            lines.append(
                f"  sheet {t.sheet!r} {t.range}: header on row {t.header_row}, {kind} "
                f"({t.kind_reason}); {t.imported} items from {t.rows_read} rows, "
                f"{len(t.skipped)} skipped, {len(t.rejected)} rejected, {len(t.flagged)} flagged"
            )
            mapped = [f"{c.header!r}->{c.field}" for c in t.columns if c.field != "extra"]
            kept = [repr(c.header) for c in t.columns if c.field == "extra"]
            lines.append("    mapped: " + (", ".join(mapped) or "nothing"))
            if kept:
                lines.append("    kept in extra: " + ", ".join(kept))
            lines += [f"    note: {n}" for n in t.notes]
        verb = "would add" if self.dry_run else "added"
        lines.append(
            f"  items: {verb} {self.added}, updated {self.updated}, unchanged {self.unchanged}"
        )
        for title, notes in (
            ("rejected", self.rejected),
            ("skipped", self.skipped),
            ("flagged", self.flagged),
        ):
            if not notes:
                continue
            lines.append(f"  {title} ({len(notes)}):")
            for n in notes[:details]:
                where = f"{n.sheet} row {n.row}" + (f" [{n.column}]" if n.column else "")
                lines.append(f"    {where}: {n.reason}")
            if len(notes) > details:
                lines.append(f"    ... and {len(notes) - details} more (see --report)")
        return "\n".join(lines)

    def explain(self) -> str:
        """Every choice the import made, for ``--dry-run``: each sheet's table found or
        not and why, the votes on each table's kind and the winner, each column's field
        with its confidence and reason, and every skipped, rejected and flagged row."""
        lines = [f"{self.file} ({self.format}, sha256 {self.sha256[:12]})"]
        lines += [f"  note: {n}" for n in self.notes]
        for name in self.sheets_skipped:
            why = self.no_table.get(name.removesuffix(" (skipped by the mapping)"))
            lines.append(f"  sheet {name!r}: no table" + (f": {why}" if why else ""))
        if not self.tables:
            lines.append("  no register table found: nothing to import (an empty template?)")
        for t in self.tables:
            lines.append(
                f"  sheet {t.sheet!r} {t.range}: table found" + (f": {t.found}" if t.found else "")
            )
            kind = f"by the {t.kind_column!r} column" if t.kind_column else t.kind
            lines.append(f"    kind: {kind} ({t.kind_reason})")
            if t.kind_votes:
                totals: dict[str, float] = {}
                for vote in t.kind_votes:
                    evidence = f" ({vote['evidence']})" if vote["evidence"] else ""
                    if not vote["kind"]:
                        lines.append(f"      vote: {vote['source']} -> none{evidence}")
                        continue
                    if vote["source"] != "type column":
                        totals[vote["kind"]] = totals.get(vote["kind"], 0.0) + vote["weight"]
                    lines.append(
                        f"      vote: {vote['source']} -> {vote['kind']} "
                        f"{vote['weight']:g}{evidence}"
                    )
                tally = ", ".join(f"{k} {w:g}" for k, w in sorted(totals.items()))
                lines.append(f"      winner: {kind}" + (f" ({tally})" if tally else ""))
            lines.append("    columns:")
            for c in t.columns:
                lines.append(
                    f"      {c.letter} {c.header!r} -> {c.field}, confidence {c.confidence:.2f}"
                    + (f": {c.reason}" if c.reason else "")
                )
            lines += [f"    note: {n}" for n in t.notes]
            lines.append(
                f"    rows: {t.rows_read} read, {t.imported} items, {len(t.skipped)} skipped, "
                f"{len(t.rejected)} rejected, {len(t.flagged)} flagged"
            )
            for title, notes in (
                ("skipped", t.skipped),
                ("rejected", t.rejected),
                ("flagged", t.flagged),
            ):
                for n in notes:
                    where = f"row {n.row}" + (f" [{n.column}]" if n.column else "")
                    lines.append(f"      {title} {where}: {n.reason}")
        verb = "would add" if self.dry_run else "added"
        lines.append(
            f"  items: {verb} {self.added}, updated {self.updated}, unchanged {self.unchanged}"
        )
        return "\n".join(lines)
