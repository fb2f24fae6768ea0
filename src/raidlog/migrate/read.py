"""Reading a workbook into plain rows. Runs inside the sandboxed child process only.

python-calamine reads every format (it is about nine times faster than openpyxl);
openpyxl is asked only what calamine cannot answer for .xlsx/.xlsm: cell fill colours
(RAG held as colour), hidden rows and formula cells, and only when the sheets are small
enough for its in-memory mode. CSV is decoded by sniffing encoding and delimiter.
"""

from __future__ import annotations

import codecs
import colorsys
import csv
import io
import warnings
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from raidlog.migrate.preflight import Limits

__all__ = ["TAG", "decode_cell", "read_book"]

#: Cells that JSON cannot carry travel as text starting with this tag plus a letter.
TAG = "\x00"

SheetData = dict[str, Any]


class ReadError(Exception):
    """A reading failure with where it happened (sent to the parent as JSON)."""

    def __init__(self, reason: str, sheet: str | None = None, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sheet = sheet
        self.row = row


def encode_cell(value: object) -> object:
    """``json.dumps(default=...)`` hook: dates and times as tagged text."""
    if isinstance(value, datetime):
        return f"{TAG}t{value.isoformat()}"
    if isinstance(value, date):
        return f"{TAG}d{value.isoformat()}"
    if isinstance(value, time | timedelta):
        return str(value)
    raise TypeError(type(value).__name__)


def decode_cell(value: str) -> object:
    """The inverse of :func:`encode_cell` for a text cell starting with :data:`TAG`."""
    tag, body = value[1:2], value[2:]
    try:
        if tag == "t":
            return datetime.fromisoformat(body)
        if tag == "d":
            return date.fromisoformat(body)
    except ValueError:
        pass
    return value.replace(TAG, "")


def read_book(path: Path, fmt: str, limits: Limits) -> dict[str, Any]:
    """Every sheet of the file as ``{"sheets": [...], "notes": [...], "epoch": 1900}``."""
    if fmt == "csv":
        return _read_csv(path, limits)
    return _read_workbook(path, fmt, limits)


def _read_workbook(path: Path, fmt: str, limits: Limits) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook, PasswordError

    notes: list[str] = []
    handle = path.open("rb")  # a file object: both readers then go by content, not by name
    try:
        book = CalamineWorkbook.from_filelike(handle)
    except PasswordError:
        raise ReadError(
            "the workbook is protected by a password; remove the password in Excel and "
            "import that copy"
        ) from None
    sheets: list[SheetData] = []
    cells = 0
    for meta in book.sheets_metadata:
        name = meta.name
        if "WorkSheet" not in str(meta.typ):
            continue
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:  # calamine raises many private types; all mean "unreadable"
            raise ReadError(f"cannot be read ({exc})", sheet=name) from None
        height, width = sheet.total_height, sheet.total_width
        if height > limits.max_rows:
            raise ReadError(f"{height} rows, over Excel's {limits.max_rows}", sheet=name)
        if width > limits.max_columns:
            raise ReadError(f"{width} columns, over Excel's {limits.max_columns}", sheet=name)
        if height * max(width, 1) > limits.max_cells:
            raise ReadError(f"{height} x {width} cells, over {limits.max_cells}", sheet=name)
        # skip_empty_area=False keeps row and column positions as the sheet shows them.
        rows: list[list[Any]] = []
        for row in sheet.to_python(skip_empty_area=False):
            end = len(row)
            while end and row[end - 1] == "":
                end -= 1
            rows.append(row[:end] if end != len(row) else row)
            cells += end
            if cells > limits.max_cells:
                raise ReadError(f"more than {limits.max_cells} cells in the workbook", sheet=name)
        while rows and not rows[-1]:
            rows.pop()
        merged = [[a[0], a[1], b[0], b[1]] for a, b in (sheet.merged_cell_ranges or [])]
        sheets.append(
            {
                "name": name,
                "visible": "Visible" in str(meta.visible) and "Hidden" not in str(meta.visible),
                "rows": rows,
                "merged": merged,
                "hidden_rows": [],
                "fills": [],
                "formulas": [],
            }
        )
    epoch = 1900
    if fmt in ("xlsx", "xlsm"):
        epoch = _style_pass(path, sheets, limits, notes)
    elif sheets:
        notes.append(f"{fmt} files are read for values only (no cell colours or hidden rows)")
    handle.close()
    return {"sheets": sheets, "notes": notes, "epoch": epoch}


def _style_pass(path: Path, sheets: list[SheetData], limits: Limits, notes: list[str]) -> int:
    import zipfile

    import openpyxl  # type: ignore[import-untyped]  # no stubs in the runtime deps

    if not openpyxl.DEFUSEDXML:
        raise ReadError("openpyxl is running without defusedxml; install defusedxml and retry")
    with zipfile.ZipFile(path) as archive:
        xml = sum(e.file_size for e in archive.infolist() if e.filename.startswith("xl/work"))
    if xml > limits.style_pass_max_bytes:
        notes.append(
            f"the sheets are large ({xml // (1024 * 1024)} MiB of XML): cell colours, hidden "
            "rows and formula flags were not read"
        )
        return 1900
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
        with path.open("rb") as handle:
            book = openpyxl.load_workbook(
                handle, data_only=False, keep_links=False, rich_text=False
            )
    by_name = {s["name"]: s for s in sheets}
    for ws in book.worksheets:
        data = by_name.get(ws.title)
        if data is None:
            continue
        data["hidden_rows"] = sorted(
            r - 1 for r, d in ws.row_dimensions.items() if d.hidden and isinstance(r, int)
        )
        fills: list[list[object]] = []
        formulas: list[list[int]] = []
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if _is_formula(value):
                    formulas.append([cell.row - 1, cell.column - 1])
                fill = cell.fill
                if fill is not None and fill.fill_type == "solid":
                    rag = _rag_colour(fill.fgColor)
                    if rag is not None:
                        fills.append([cell.row - 1, cell.column - 1, rag])
        data["fills"] = fills
        data["formulas"] = formulas
    return 1904 if book.epoch.year == 1904 else 1900


def _is_formula(value: object) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _rag_colour(color: Any) -> str | None:
    """Red, amber or green for a saturated fill colour; None for anything else."""
    if color is None or getattr(color, "type", None) != "rgb":
        return None
    rgb = color.rgb
    if not isinstance(rgb, str) or len(rgb) not in (6, 8):
        return None
    try:
        r, g, b = (int(rgb[-6:][i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    hue, sat, val = colorsys.rgb_to_hsv(r, g, b)
    if sat < 0.35 or val < 0.35:
        return None
    degrees = hue * 360
    if degrees < 18 or degrees >= 330:
        return "red"
    if degrees < 65:
        return "amber"
    if 75 <= degrees < 170:
        return "green"
    return None


def _read_csv(path: Path, limits: Limits) -> dict[str, Any]:
    raw = path.read_bytes()
    text, encoding = _decode(raw)
    sample = text[: 64 * 1024]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows: list[list[object]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        for index, row in enumerate(reader):
            if index >= limits.max_rows:
                raise ReadError(f"more than {limits.max_rows} rows", sheet=path.stem, row=index)
            if len(row) > limits.max_columns:
                raise ReadError(
                    f"{len(row)} columns, over {limits.max_columns}", sheet=path.stem, row=index + 1
                )
            rows.append(list(row))
    except csv.Error as exc:
        raise ReadError(f"malformed CSV ({exc})", sheet=path.stem, row=reader.line_num) from None
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    note = f"CSV read as {encoding}, {names.get(delimiter, repr(delimiter))}-separated"
    sheet = {
        "name": path.stem,
        "visible": True,
        "rows": rows,
        "merged": [],
        "hidden_rows": [],
        "fills": [],
        "formulas": [],
    }
    return {"sheets": [sheet], "notes": [note], "epoch": 1900}


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="replace"), "UTF-8 (with BOM)"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"
