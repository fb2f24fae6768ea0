"""The xlsx board pack, and reading a person's edits of it back into the register.

Sheets: ``Cover`` (what it is, when it was made, from which register), ``View`` (the
body's open items with RAG, red first), ``Heat map`` (inherent and residual side by
side), ``Overdue actions``, ``Escalations``, ``Decisions`` and ``Register`` (every
selected item, one column per field: the sheet :func:`apply_xlsx` reads back).

Written with openpyxl in write-only mode (streaming, constant memory). Text is always a
string cell: openpyxl would turn a string starting with ``=`` into a live formula and
``#N/A`` into an error value, so such cells are forced to the string type. Sheet names
are sanitised and unique; only ``https:`` and ``mailto:`` hyperlinks are written, within
Excel's limits; sizes are checked against Excel's limits before anything is written, and
a cell longer than Excel holds is refused, never truncated.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import attrs
import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from raidlog.boardpack import BoardData, HeatGrid, gather
from raidlog.errors import ConflictError, RaidLogError, ValidationError
from raidlog.export.rows import Cell, Flattener, columns_for, parse_cell
from raidlog.files import replaced
from raidlog.model.items import Item
from raidlog.model.values import UNWRITABLE
from raidlog.register import Register

__all__ = [
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "REGISTER_SHEET",
    "ApplyResult",
    "apply_xlsx",
    "safe_hyperlink",
    "sheet_names",
    "write_board_pack",
]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_TEXT = 32_767
#: Excel drops (with a "repair" prompt) hyperlinks longer than this...
EXCEL_MAX_URL = 2_079
#: ...and those beyond this many in one sheet (the limits XlsxWriter enforces).
EXCEL_MAX_HYPERLINKS = 65_530
#: Sheet names are at most 31 characters; counted here in UTF-16 units, as Excel stores
#: text (an emoji counts twice), which is never more than Excel accepts.
EXCEL_MAX_SHEET_NAME = 31
#: The sheet :func:`apply_xlsx` reads.
REGISTER_SHEET = "Register"

# Characters Excel refuses in a sheet name, and the controls no name should hold.
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Excel refuses a name that starts or ends with an apostrophe; spaces there are trimmed.
_SHEET_NAME_EDGES = re.compile(r"^[\s']+|[\s']+$")
_RAG_FILL = {
    "red": PatternFill("solid", fgColor="F4B6B6"),
    "amber": PatternFill("solid", fgColor="FDE7A6"),
    "green": PatternFill("solid", fgColor="BFE3C1"),
}
_BOLD = Font(bold=True)
# A cell whose whole text is a link becomes clickable, but only for these schemes.
_LINK_STARTS = ("https://", "mailto:")
_VIEW_COLUMNS = ("ref", "kind", "rag", "title", "status", "owner", "body", "due", "next_review")
# Columns the register keeps itself: shown in the Register sheet, ignored on re-import.
_READ_ONLY = frozenset(
    {"kind", "version", "created_at", "created_by", "updated_at", "updated_by", "rag_manual"}
)


def _clip(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units (Excel's count:
    a character outside the Basic Multilingual Plane, such as an emoji, takes two)."""
    used = 0
    for n, char in enumerate(text):
        used += 2 if char > "\uffff" else 1
        if used > units:
            return text[:n]
    return text


def _sheet_name(text: str, units: int) -> str:
    return _SHEET_NAME_EDGES.sub("", _clip(_SHEET_NAME_EDGES.sub("", text), units))


def sheet_names(wanted: Iterable[str]) -> dict[str, str]:
    """Map each wanted title to a valid, unique Excel sheet name.

    Excel refuses ``[]:*?/\\`` (control characters are refused here too), names over 31
    characters (UTF-16 units), names starting or ending with an apostrophe, and
    ``History`` (reserved); names compare case-insensitively. A title asked for twice
    gets one name.
    """
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for title in wanted:
        if title in mapping:
            continue
        base = _BAD_SHEET_CHARS.sub("_", title)
        name = _sheet_name(base, EXCEL_MAX_SHEET_NAME) or "Sheet"
        if name.casefold() == "history":
            name = "History_"
        candidate, n = name, 2
        while candidate.casefold() in taken:
            suffix = f" ({n})"
            candidate = (_sheet_name(name, EXCEL_MAX_SHEET_NAME - len(suffix)) or "Sheet") + suffix
            n += 1
        taken.add(candidate.casefold())
        mapping[title] = candidate
    return mapping


def safe_hyperlink(target: str) -> str | None:
    """``target`` (without surrounding whitespace) when it is an ``https:`` or ``mailto:``
    link Excel can hold, else ``None``.

    ``file:``, UNC paths, ``javascript:`` and the like can run or leak things from a
    workbook; a link with whitespace inside or longer than Excel holds is not a link.
    """
    link = target.strip()
    if not link.lower().startswith(("https://", "mailto:")) or len(link) > EXCEL_MAX_URL:
        return None
    return None if any(c.isspace() for c in link) else link


class _Sheet:
    """A write-only sheet that never turns user text into a formula."""

    # Cells are built with WriteOnlyCell only where a plain value would be misread or
    # needs a style: plain values are several times faster to write.

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.rows = 0
        self.links = 0
        self.columns: Sequence[str] = ()

    def cell(self, value: Cell, *, bold: bool = False, fill: str | None = None) -> Any:
        if isinstance(value, str):
            value = _visible(value)
            if len(value) > EXCEL_MAX_CELL_TEXT:
                self.too_long(value, None)
        cell = WriteOnlyCell(self.ws, value=_excel_value(value))  # type: ignore[arg-type]  # openpyxl takes dates too; the stub says datetime only
        if isinstance(value, str):
            cell.data_type = "s"
        if bold:
            cell.font = _BOLD
        if fill in _RAG_FILL:
            cell.fill = _RAG_FILL[fill]
        return cell

    def too_long(self, value: str, column: int | None, row: Sequence[Cell] = ()) -> NoReturn:
        """Refuse a text longer than an Excel cell holds (openpyxl would cut it silently),
        naming the item's ref, the sheet, the row and the column."""
        where = f"sheet {self.ws.title!r}, row {self.rows + 1}"
        if column is not None and column < len(self.columns):
            where += f", column {self.columns[column]}"
        if row and self.columns and self.columns[0] == "ref":
            where = f"{row[0]}: {where}"  # the item, by its ref
        raise ValidationError(
            f"{where}: {len(value):,} characters do not fit in an Excel cell (32,767 at "
            "most) and would be cut; export this item to JSON or CSV, which hold it whole, "
            "or shorten it"
        )

    def link(self, cell: Any, text: str) -> None:
        """Make ``cell`` a hyperlink to ``text`` when that is a safe link and the sheet
        has room for one more."""
        target = safe_hyperlink(text)
        if target is not None and self.links < EXCEL_MAX_HYPERLINKS:
            cell.hyperlink = target
            self.links += 1

    def append(self, values: Sequence[Any]) -> None:
        self.rows += 1
        if self.rows > EXCEL_MAX_ROWS:
            raise ValidationError(f"sheet {self.ws.title!r} would exceed Excel's row limit")
        self.ws.append(values)

    def header(self, columns: Sequence[str]) -> None:
        self.append([self.cell(c, bold=True) for c in columns])
        self.columns = columns


def _visible(text: str) -> str:
    """``text`` with what a cell cannot hold (:data:`~raidlog.model.values.UNWRITABLE`:
    openpyxl raises on it, or writes a workbook that does not open) written out as
    ``\\xNN`` or ``\\uNNNN``, so nothing is lost and the workbook opens. Item text never
    holds such characters (the model refuses them); a file name on the cover may."""
    if not UNWRITABLE.search(text):
        return text
    return UNWRITABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _excel_value(value: Cell) -> Cell:
    if isinstance(value, datetime):
        # Excel has no time zones: write UTC wall time (the column header says UTC).
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _plain_row(sheet: _Sheet, values: Sequence[Cell]) -> list[Any]:
    """Cells for a data row: plain values where openpyxl cannot misread them (fast),
    a forced string cell where it would make a formula or an error value, a cell with a
    hyperlink for a safe link."""
    row: list[Any] = []
    append = row.append
    for column, value in enumerate(values):
        kind = type(value)
        if kind is str:
            assert isinstance(value, str)
            if len(value) > EXCEL_MAX_CELL_TEXT:
                sheet.too_long(value, column, values)
            first = value[:1]
            if first == "=" or (first == "#" and value in ERROR_CODES):
                append(sheet.cell(value))
                continue
            if first in "hHmM" and value[:8].lower().startswith(_LINK_STARTS):
                cell = sheet.cell(value)
                sheet.link(cell, value)
                append(cell)
                continue
            append(value)
        elif kind is datetime:
            append(_excel_value(value))
        else:
            append(value)
    return row


def _check_limits(rows: int, columns: int, what: str) -> None:
    if rows + 1 > EXCEL_MAX_ROWS:
        raise ValidationError(
            f"{what}: {rows} rows do not fit in one sheet (Excel holds {EXCEL_MAX_ROWS - 1} "
            "below the header); export a body, node or kind at a time"
        )
    if columns > EXCEL_MAX_COLUMNS:
        raise ValidationError(f"{what}: {columns} columns exceed Excel's {EXCEL_MAX_COLUMNS}")


def _item_table(
    sheet: _Sheet,
    items: Sequence[Item],
    columns: Sequence[str],
    notes: Callable[[Item], str] | None = None,
    note_title: str = "why",
) -> None:
    sheet.header([*columns, note_title] if notes else columns)
    rag_at = columns.index("rag") if "rag" in columns else -1
    flat = Flattener(columns)
    for item in items:
        values = flat(item)
        row = _plain_row(sheet, values)
        if rag_at >= 0 and values[rag_at]:
            row[rag_at] = sheet.cell(values[rag_at], fill=str(values[rag_at]))
        if notes is not None:
            row.append(sheet.cell(notes(item)))
        sheet.append(row)


def _heat_block(sheet: _Sheet, maps: Sequence[HeatGrid]) -> None:
    title: list[Any] = []
    for h in maps:
        title.append(sheet.cell(f"{h.level.capitalize()} ({h.total} open risks)", bold=True))
        title += [None] * (len(h.impact) + 1)
    sheet.append(title)
    height = max(len(h.probability) for h in maps)
    header: list[Any] = []
    for h in maps:
        header += [sheet.cell("probability \\ impact", bold=True)]
        header += [sheet.cell(label, bold=True) for label in h.impact]
        header.append(None)
    sheet.append(header)
    for offset in range(height):
        row: list[Any] = []
        for h in maps:
            p = len(h.probability) - offset
            if p < 1:
                row += [None] * (len(h.impact) + 2)
                continue
            row.append(sheet.cell(h.probability[p - 1], bold=True))
            row += [
                sheet.cell(h.counts[p - 1][i], fill=h.rags[p - 1][i]) for i in range(len(h.impact))
            ]
            row.append(None)
        sheet.append(row)


def write_board_pack(
    register: Register,
    path: str | Path,
    *,
    body: str | None = None,
    items: Sequence[Item] | None = None,
    data: BoardData | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write the board pack of ``register`` for ``body`` to ``path``; the Register sheet
    holds ``items`` (default: every item). Returns the number of Register rows.

    Raises :class:`~raidlog.errors.ValidationError` when the pack would not fit in Excel
    (rows, columns, a cell's length); ``path`` is then left as it was.
    """
    board = data or gather(register, body=body)
    chosen = list(register.items()) if items is None else list(items)
    columns = columns_for(chosen, register.codec.kinds.values())
    _check_limits(len(chosen), len(columns), REGISTER_SHEET)
    _check_limits(len(board.view), len(_VIEW_COLUMNS), "View")
    wb = openpyxl.Workbook(write_only=True)
    try:
        count = _fill(wb, board, chosen, columns, body, advance)
        with replaced(path) as temporary:
            wb.save(str(temporary))
    except BaseException:
        _discard(wb)
        raise
    return count


def _discard(wb: openpyxl.Workbook) -> None:
    """Finish and delete the temporary files of a write-only workbook that will not be
    saved: left to the garbage collector, its row writers fail on closed files."""
    for ws in wb.worksheets:
        if not isinstance(ws, WriteOnlyWorksheet) or ws.closed:
            continue
        # A sheet that broke mid-row may fail to close: the first error is the one to report.
        with contextlib.suppress(Exception):
            ws.close()
            ws._writer.cleanup()  # type: ignore[attr-defined]  # the sheet's temporary file; openpyxl's own save does the same


def _fill(
    wb: openpyxl.Workbook,
    board: BoardData,
    chosen: Sequence[Item],
    columns: Sequence[str],
    body: str | None,
    advance: Callable[[int], None] | None,
) -> int:
    """Write every sheet of the pack into ``wb``; returns the number of Register rows."""
    titles = sheet_names(
        ["Cover", "View", "Heat map", "Overdue actions", "Escalations", "Decisions", REGISTER_SHEET]
    )

    def sheet(title: str) -> _Sheet:
        return _Sheet(wb.create_sheet(titles[title]))

    cover = sheet("Cover")
    who = f"body {body}" if body else "the whole register"
    for label, value in (
        ("RAID board pack", f"for {who}"),
        ("Generated (UTC)", board.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("Register", board.source),
        ("Backend", board.backend),
        ("Profile", board.profile),
        ("Items in register", board.total_items),
        ("Open items in view", len(board.view)),
        ("Red / amber / green", "{red} / {amber} / {green}".format(**board.rag_counts)),
        ("Open risks' cost exposure", board.rollup.exposure),
        ("Overdue actions", len(board.overdue_actions)),
        ("Escalations", len(board.escalations)),
        (
            "Sheets",
            "View: open items, red first. Heat map: open risks, inherent and residual. "
            f"{REGISTER_SHEET}: every item; edit cells or add rows there and re-import "
            "with raidlog.export.apply_xlsx to record the changes as events.",
        ),
    ):
        cover.append([cover.cell(label, bold=True), cover.cell(value)])
    _item_table(
        sheet("View"),
        board.view,
        _VIEW_COLUMNS,
        lambda item: "; ".join(board.reasons.get(item.ref or "", ())),
        "why in view",
    )
    heat = sheet("Heat map")
    _heat_block(heat, board.heat_maps)
    _item_table(
        sheet("Overdue actions"),
        board.overdue_actions,
        ("ref", "rag", "title", "owner", "assignee", "due", "status", "progress"),
    )
    escalations = sheet("Escalations")
    _item_table(
        escalations,
        board.escalations,
        ("ref", "kind", "rag", "title", "owner", "body", "escalated_to"),
    )
    if board.escalations_due:
        escalations.append([])
        escalations.append(
            [escalations.cell("Due for escalation (breaching a tolerance)", bold=True)]
        )
        escalations.header(("ref", "rag", "title", "to body", "why"))
        for due in board.escalations_due:
            rag = due.item.rag.value if due.item.rag else None
            escalations.append(
                [
                    escalations.cell(due.item.ref),
                    escalations.cell(rag, fill=rag),
                    escalations.cell(due.item.title),
                    escalations.cell(due.body),
                    escalations.cell("; ".join(due.reasons)),
                ]
            )
    _item_table(
        sheet("Decisions"),
        board.decisions,
        ("ref", "title", "status", "decision", "rationale", "decided_by", "decided_on"),
    )
    reg = sheet(REGISTER_SHEET)
    reg.header(columns)
    count = 0
    flat = Flattener(columns)
    for item in chosen:
        reg.append(_plain_row(reg, flat(item)))
        count += 1
        if advance is not None and count % 1000 == 0:
            advance(1000)
    if advance is not None:
        advance(count % 1000)
    return count


@attrs.frozen
class ApplyResult:
    """What :func:`apply_xlsx` did: refs updated, refs added, rows left unchanged."""

    updated: tuple[str, ...]
    added: tuple[str, ...]
    unchanged: int


def _read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    if not openpyxl.DEFUSEDXML:
        raise ValidationError("refusing to read spreadsheets: install defusedxml")
    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        if REGISTER_SHEET not in wb.sheetnames:
            raise ValidationError(f"{path} has no {REGISTER_SHEET!r} sheet: is it a board pack?")
        ws = wb[REGISTER_SHEET]
        ws.reset_dimensions()
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            yield number, list(row)
    finally:
        wb.close()


def apply_xlsx(path: str | Path, register: Register, *, reason: str | None = None) -> ApplyResult:
    """Read the Register sheet of a board pack a person edited and apply it: rows whose
    ``ref`` exists update that item (one event per changed item, only the changed
    columns), rows without a ref add new items (``kind`` and ``title`` needed) unless an
    item of that kind already has that title (then the row updates it). Running it again
    changes nothing: nothing is ever duplicated. Score columns are derived and not read
    back; an edited RAG cell sets a manual RAG.

    A row whose ``version`` is older than the stored item is compared with the item as
    it was at that version: the person's edits are applied on top of what changed since,
    and an edit to a field that someone else also changed since the export raises
    :class:`~raidlog.errors.ConflictError`. Errors name the file, sheet, row and column.
    Rows before the failing one stay applied; re-running after the fix is safe.
    """
    where = Path(path)
    why = reason or f"edited in {where.name}"
    rows = _read_rows(where)
    try:
        _, header_row = next(rows)
    except StopIteration:
        raise ValidationError(f"{where}: sheet {REGISTER_SHEET} is empty") from None
    header = [_column_name(h) for h in header_row]
    if "ref" not in header or "kind" not in header or "title" not in header:
        raise ValidationError(f"{where}: sheet {REGISTER_SHEET} needs ref, kind and title columns")
    updated: list[str] = []
    added: list[str] = []
    unchanged = 0
    titles: dict[tuple[str, str], list[str]] = {}
    for number, values in rows:
        cells = dict(zip(header, values, strict=False))
        if all(v is None or v == "" for v in cells.values()):
            continue
        where_row = f"{where}, sheet {REGISTER_SHEET}, row {number}"
        try:
            ref = cells.get("ref")
            if ref in (None, ""):
                ref = _match_new_row(register, cells, titles)
                # A new row met again: only what it says counts, empty cells keep values.
                cells = {k: v for k, v in cells.items() if v not in (None, "")}
            if ref not in (None, ""):
                current = register.get(str(ref))
                version = parse_cell(type(current), "version", cells.get("version"))
                changes = _merge(register, current, cells, version)
                if not changes:
                    unchanged += 1
                    continue
                register.update(current, reason=why, **changes)
                updated.append(current.ref or "")
            else:
                cls = register.codec.kind_class(str(cells.get("kind") or "").strip())
                fields = _fields(cls, cells)
                item = cls(**fields)
                stored = register.add(item, reason=why)
                titles.setdefault(_title_key(stored.kind, stored.title), []).append(
                    stored.ref or ""
                )
                added.append(stored.ref or "")
        except ConflictError:
            raise
        except (RaidLogError, TypeError) as exc:
            raise ValidationError(f"{where_row}: {exc}") from None
    return ApplyResult(tuple(updated), tuple(added), unchanged)


def _column_name(cell: Any) -> str:
    """A header cell as a column name: trimmed, except the key of a custom field
    (``extra. key ``), which is kept as written: a key may start or end with spaces."""
    if cell is None:
        return ""
    text = str(cell).lstrip()
    return text if text.startswith("extra.") else text.strip()


def _title_key(kind: str, title: str) -> tuple[str, str]:
    return kind, " ".join(title.split()).casefold()


def _match_new_row(
    register: Register, cells: dict[str, Any], titles: dict[tuple[str, str], list[str]]
) -> str | None:
    """The ref of the item a row without a ref already became: the item of the same kind
    with the same title. A re-run of the same file must not add its new rows twice."""
    kind, title = str(cells.get("kind") or "").strip(), str(cells.get("title") or "")
    if not kind or not title.strip():
        return None
    if not titles:
        for item in register.items():
            titles.setdefault(_title_key(item.kind, item.title), []).append(item.ref or "")
        titles.setdefault(("", ""), [])  # marks the index as built, even for an empty register
    found = titles.get(_title_key(kind, title), [])
    if len(found) > 1:
        raise ValidationError(
            f"the new row's title matches {', '.join(found)}: put the ref in the row to say "
            "which item it is, or change the title"
        )
    return found[0] if found else None


def _fields(cls: type[Item], cells: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in attrs.fields(cls)}
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, value in cells.items():
        if column.startswith("extra."):
            if value not in (None, ""):
                extra[column[6:]] = value
        elif column in names and column not in _READ_ONLY and column != "ref":
            if column == "rag" or column.endswith("score"):
                continue  # derived by the register
            parsed = parse_cell(cls, column, value)
            fields[column] = parsed
    if extra:
        fields["extra"] = extra
    return fields


def _at_version(register: Register, item: Item, version: int) -> Item:
    """``item`` as it was at ``version``, rebuilt from its events."""
    events = [e for e in register.history(item) if e.version <= version]
    if not events:
        raise ValidationError(f"{item.ref} has no version {version}", field="version")
    items, _ = register.replay(events)
    return items[item.ref or ""]


def _merge(
    register: Register, current: Item, cells: dict[str, Any], version: int
) -> dict[str, Any]:
    """What the person changed in the row, to apply to ``current``.

    The row is compared with the item as it was exported (its ``version``), so changes
    the register made since (another person's edit, a re-derived review date) are not
    mistaken for edits. An edit to a field that also changed since the export raises
    :class:`~raidlog.errors.ConflictError`: nothing of the row is written.
    """
    if not version or version == current.version:
        return _changes(current, cells)
    base = _at_version(register, current, version)
    wanted = _changes(base, cells)
    merged: dict[str, Any] = {}
    for name, value in wanted.items():
        now = current.extra if name == "extra" else getattr(current, name)
        if now == value:
            continue  # already so (the same file applied before, or the same edit)
        then = base.extra if name == "extra" else getattr(base, name)
        if now != then:
            raise ConflictError(current.ref or "", version, current)
        merged[name] = value
    return merged


def _same(stored: Any, cell: Any) -> bool:
    """Whether a cell holds the stored value. Excel keeps 15 significant digits, so
    floats that agree to that precision are the same number; True is not 1."""
    if stored is None or cell is None:
        return stored is cell
    if isinstance(stored, bool) or isinstance(cell, bool):
        return type(stored) is type(cell) and stored == cell
    if isinstance(stored, float) and isinstance(cell, int | float):
        return stored == cell or math.isclose(stored, cell, rel_tol=1e-14, abs_tol=0.0)
    return bool(stored == cell)


def _changes(current: Item, cells: dict[str, Any]) -> dict[str, Any]:
    """The fields whose cells differ from ``current``. Score columns are derived and
    never read back; a RAG cell that differs sets a manual RAG."""
    cls = type(current)
    changes: dict[str, Any] = {}
    names = {f.name for f in attrs.fields(cls)}
    extra = dict(current.extra)
    for column, value in cells.items():
        if column.startswith("extra."):
            key = column[6:]
            if value in (None, ""):
                # An empty cell: a value the person cleared becomes None (the key stays,
                # as typed fields do); None and "" were already empty.
                if extra.get(key) not in (None, ""):
                    extra[key] = None
            elif not _same(extra.get(key), value):
                extra[key] = value
            continue
        if column not in names or column in _READ_ONLY or column in ("ref", "links"):
            continue
        if column.endswith("score"):
            continue
        parsed = parse_cell(cls, column, value)
        if column == "rag" and (parsed or None) == current.rag:
            continue
        if not _same(getattr(current, column), parsed):
            changes[column] = parsed
    if extra != current.extra:
        changes["extra"] = extra
    return changes
