"""Reading a workbook into plain rows. Runs inside the sandboxed child process only.

python-calamine reads every format (it is about nine times faster than openpyxl). What
calamine cannot answer for .xlsx/.xlsm (cell fill colours that hold a RAG, hidden rows,
formula cells) comes from a scan of the sheet XML (see :func:`_style_pass`). CSV is
decoded by sniffing encoding and delimiter.
"""

from __future__ import annotations

import codecs
import colorsys
import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec

from raidlog.errors import RaidLogError
from raidlog.migrate.preflight import Limits

__all__ = ["ReadError", "pack_book", "read_book", "unpack_book"]

SheetData = dict[str, Any]


class ReadError(RaidLogError):
    """A reading failure with where it happened (sent to the parent as JSON)."""

    def __init__(self, reason: str, sheet: str | None = None, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sheet = sheet
        self.row = row


def pack_book(book: dict[str, Any]) -> bytes:
    """The result of :func:`read_book` as MessagePack bytes for the parent (in the child).

    MessagePack carries text, numbers (floats bit for bit, infinities included), booleans
    and ``None`` as they are, and nothing that runs code when read, unlike pickle: a child
    taken over by a hostile file can make the parent read wrong data, never run code.
    Dates and times are what it has no type for: each date and datetime cell becomes its
    ISO text with its position listed in the sheet's ``"dates"`` (:func:`unpack_book` turns
    it back), times and durations become their text. Rows are changed in place.
    """
    for sheet in book["sheets"]:
        sheet["dates"] = _dates_as_text(sheet["rows"])
    return msgspec.msgpack.encode(book)


def _dates_as_text(rows: list[list[Any]]) -> list[tuple[int, int, str]]:
    dates: list[tuple[int, int, str]] = []
    plain = (str, float, int, bool, type(None))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if type(value) in plain:
                continue
            if isinstance(value, datetime):
                row[c] = value.isoformat()
                dates.append((r, c, "t"))
            elif isinstance(value, date):
                row[c] = value.isoformat()
                dates.append((r, c, "d"))
            else:  # a time of day or a duration: kept as its text
                row[c] = str(value)
    return dates


def unpack_book(data: bytes) -> dict[str, Any]:
    """The inverse of :func:`pack_book` (in the parent): the book with its dates back.

    Raises ``ValueError`` when ``data`` is not what :func:`pack_book` writes."""
    try:
        book = msgspec.msgpack.decode(data)
        if not isinstance(book, dict):
            raise TypeError(type(book).__name__)
        for sheet in book["sheets"]:
            rows = sheet["rows"]
            for r, c, tag in sheet.pop("dates"):
                text = rows[r][c]
                rows[r][c] = (
                    datetime.fromisoformat(text) if tag == "t" else date.fromisoformat(text)
                )
    except (msgspec.DecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"not a packed workbook ({exc})") from None
    return book


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
    cells = text = 0
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
        # Rows stream from calamine, so the text budget stops a shared-string bomb before
        # its cells exist as Python strings. iter_rows starts at the sheet's first row but
        # at its first used column: pad, so positions are the ones the sheet shows.
        rows: list[list[Any]] = []
        pad = [""] * (sheet.start[1] if sheet.start else 0)
        for number, cells_read in enumerate(sheet.iter_rows(), start=1):
            row = pad + cells_read if pad else cells_read
            end = len(row)
            while end and row[end - 1] == "":
                end -= 1
            rows.append(row[:end] if end != len(row) else row)
            cells += end
            if cells > limits.max_cells:
                raise ReadError(f"more than {limits.max_cells} cells in the workbook", sheet=name)
            for value in row:
                if type(value) is str:
                    text += len(value)
            if text > limits.max_text_chars:
                raise _over_budget(limits, sheet=name, row=number)
        while rows and not rows[-1]:
            rows.pop()
        if len(rows) > limits.max_rows:
            raise ReadError(
                f"{len(rows)} rows, over Excel's limit of {limits.max_rows}", sheet=name
            )
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
                "bold": [],
            }
        )
    epoch = 1900
    if fmt in ("xlsx", "xlsm"):
        epoch = _style_pass(path, sheets, limits, notes)
    elif sheets:
        notes.append(f"{fmt} files are read for values only (no cell colours or hidden rows)")
    handle.close()
    return {"sheets": sheets, "notes": notes, "epoch": epoch}


def _over_budget(limits: Limits, *, sheet: str, row: int) -> ReadError:
    return ReadError(
        f"its cells expand to more than {limits.max_text_chars:,} characters of text, the "
        "import's text budget (Limits.max_text_chars); a small file repeating one long "
        "shared text in thousands of cells is refused this way: raise the budget only for a "
        "file you trust",
        sheet=sheet,
        row=row,
    )


_ROW_HIDDEN = re.compile(rb'<(?:\w+:)?row\b[^>]*\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_STYLE = re.compile(rb'\bs="(\d+)"')
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: Bold cells passed on per sheet at most (section headings are what they are for).
_MAX_BOLD = 10_000
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _style_pass(path: Path, sheets: list[SheetData], limits: Limits, notes: list[str]) -> int:
    """Fill colours, hidden rows and formula cells, straight from the sheet XML.

    openpyxl would answer the same questions by building every cell as an object (about ten
    times slower than calamine); the few small parts needed are parsed with defusedxml (no
    entity is ever expanded), and the sheets are scanned with regular expressions.
    """
    import zipfile

    from defusedxml import ElementTree  # type: ignore[import-untyped]  # no stubs in the deps

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        props = book.find(f"{_MAIN}workbookPr")
        epoch = 1904 if props is not None and props.get("date1904") in ("1", "true") else 1900
        targets: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in names:
            for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")):
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[rel.get("Id", "")] = target
        parts: dict[str, str] = {}
        listed = book.find(f"{_MAIN}sheets")
        for sheet in listed if listed is not None else []:
            part = targets.get(sheet.get(f"{_REL}id", ""))
            if part is not None:
                parts[sheet.get("name", "")] = part
        rag_styles = _rag_styles(archive, names, ElementTree)
        bold_styles = _bold_styles(archive, names, ElementTree)
        bolded = (
            re.compile(
                rb'<(?:\w+:)?c\b([^>]*\bs="(?:'
                + b"|".join(str(i).encode() for i in bold_styles)
                + rb')"[^>]*)>'
            )
            if bold_styles
            else None
        )
        styled = (
            re.compile(
                rb'<(?:\w+:)?c\b([^>]*\bs="(?:'
                + b"|".join(str(i).encode() for i in rag_styles)
                + rb')"[^>]*)>'
            )
            if rag_styles
            else None
        )
        for data in sheets:
            part = parts.get(data["name"])
            if part is None or part not in names:
                continue
            hidden: list[int] = []
            formulas: list[list[int]] = []
            fills: list[list[object]] = []
            bold: list[list[int]] = []
            for xml, end in _xml_pieces(archive, part):
                # A byte search rules out what most sheets lack, several times faster
                # than the expressions that would find nothing in every cell.
                for match in _ROW_HIDDEN.finditer(xml, 0, end) if b'hidden="' in xml else ():
                    number = _ROW_NUMBER.search(match.group(0))
                    if number is not None:
                        hidden.append(int(number.group(1)) - 1)
                has_formulas = b"<f" in xml or b":f" in xml  # <f> or <x:f>
                for match in _FORMULA_CELL.finditer(xml) if has_formulas else ():
                    if match.start() >= end:
                        break
                    ref = _CELL_REF.search(match.group(1))
                    if ref is not None:
                        formulas.append([int(ref.group(2)) - 1, _column_index(ref.group(1))])
                for match in styled.finditer(xml, 0, end) if styled is not None else ():
                    ref = _CELL_REF.search(match.group(1))
                    found = _STYLE.search(match.group(1))
                    if ref is not None and found is not None:
                        rag = rag_styles[int(found.group(1))]
                        fills.append([int(ref.group(2)) - 1, _column_index(ref.group(1)), rag])
                if len(bold) >= _MAX_BOLD:
                    continue  # headings of a list are few; a sheet set all in bold is no list
                for match in bolded.finditer(xml, 0, end) if bolded is not None else ():
                    ref = _CELL_REF.search(match.group(1))
                    if ref is not None:
                        bold.append([int(ref.group(2)) - 1, _column_index(ref.group(1))])
                    if len(bold) >= _MAX_BOLD:
                        break
            data["hidden_rows"] = hidden
            data["formulas"] = formulas
            data["fills"] = fills
            data["bold"] = bold
    return epoch


#: How much of a sheet's XML the style pass holds at once.
_PIECE = 4 * 1024 * 1024


def _xml_pieces(archive: Any, part: str) -> Iterator[tuple[bytes, int]]:
    """A sheet's XML in pieces of about :data:`_PIECE` bytes, without holding it whole
    (a 100,000-row sheet is over 100 MB of XML): ``(piece, end)``, where matches starting
    before ``end`` are this piece's. Each piece ends before the last ``<`` it holds, and
    the next one starts again at the tag before that one, so a tag, and a cell tag with
    the formula tag after it, is always whole in the piece that owns its start."""
    tail = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_PIECE)
            if not chunk:
                if tail:
                    yield tail, len(tail)
                return
            buffer = tail + chunk
            last = buffer.rfind(b"<")
            before = buffer.rfind(b"<", 0, last) if last > 0 else -1
            if before <= 0:  # no two tags in it yet: read on
                tail = buffer
                continue
            yield buffer, before
            tail = buffer[before:]


def _rag_styles(archive: Any, names: set[str], tree: Any) -> dict[int, str]:
    """Cell style index -> red/amber/green, for styles with a solid RAG-like fill."""
    if "xl/styles.xml" not in names:
        return {}
    styles = tree.fromstring(archive.read("xl/styles.xml"))
    fills: list[str | None] = []
    listed = styles.find(f"{_MAIN}fills")
    for fill in listed if listed is not None else []:
        pattern = fill.find(f"{_MAIN}patternFill")
        colour = None
        if pattern is not None and pattern.get("patternType") == "solid":
            fg = pattern.find(f"{_MAIN}fgColor")
            if fg is not None:
                colour = _rag_colour(fg.get("rgb"))
        fills.append(colour)
    found: dict[int, str] = {}
    xfs = styles.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else []):
        try:
            fill_id = int(xf.get("fillId", "0"))
        except ValueError:
            continue
        colour = fills[fill_id] if 0 <= fill_id < len(fills) else None
        if colour is not None:
            found[index] = colour
    return found


def _bold_styles(archive: Any, names: set[str], tree: Any) -> frozenset[int]:
    """Cell style indexes whose font is bold (section headings in a list of lines)."""
    if "xl/styles.xml" not in names:
        return frozenset()
    styles = tree.fromstring(archive.read("xl/styles.xml"))
    listed = styles.find(f"{_MAIN}fonts")
    bold_fonts = {
        index
        for index, font in enumerate(listed if listed is not None else [])
        if (weight := font.find(f"{_MAIN}b")) is not None
        and weight.get("val") not in ("0", "false")
    }
    xfs = styles.find(f"{_MAIN}cellXfs")
    found = set()
    for index, xf in enumerate(xfs if xfs is not None else []):
        try:
            if int(xf.get("fontId", "0")) in bold_fonts:
                found.add(index)
        except ValueError:
            continue
    return frozenset(found)


def _rag_colour(rgb: str | None) -> str | None:
    """Red, amber or green for a saturated ``AARRGGBB`` colour; None for anything else."""
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
    text, encoding = _decode(raw, path.stem)
    declared = re.match(r"sep=(.)\r?\n", text[:8])
    if declared is not None:  # Excel's "sep=;" first line names the delimiter
        delimiter = declared.group(1)
        text = text[declared.end() :]
    sample = text[: 64 * 1024]
    if declared is None:
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            delimiter = dialect.delimiter
        except csv.Error:
            counts = {d: sample.count(d) for d in ",;\t|"}
            delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows: list[list[object]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    characters = 0
    try:
        for index, row in enumerate(reader):
            if index >= limits.max_rows:
                raise ReadError(f"more than {limits.max_rows} rows", sheet=path.stem, row=index)
            if len(row) > limits.max_columns:
                raise ReadError(
                    f"{len(row)} columns, over {limits.max_columns}", sheet=path.stem, row=index + 1
                )
            characters += sum(map(len, row))
            if characters > limits.max_text_chars:
                raise _over_budget(limits, sheet=path.stem, row=index + 1)
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
        "bold": [],
    }
    return {"sheets": [sheet], "notes": [note], "epoch": 1900}


#: A well-formed UTF-8 sequence for one character outside ASCII.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _decode(raw: bytes, sheet: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in, in words.

    A file that is not UTF-8 as a whole is decoded line by line: each line that is valid
    UTF-8 is read as UTF-8, each other line as Windows-1252 (Latin-1 for the five bytes
    Windows-1252 leaves undefined), and the encoding names the lines read that way. Files
    put together from two sources (rows pasted from a UTF-8 export into a Latin-1 one) so
    come in whole. A line that is neither (it holds UTF-8 characters *and* bytes that are
    not UTF-8) would be mojibake either way: the file is refused, naming those lines.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "UTF-16"
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    utf8 = "UTF-8 (with BOM)" if bom else "UTF-8"
    try:
        return body.decode("utf-8"), utf8
    except UnicodeDecodeError:
        pass
    lines = body.splitlines(keepends=True)
    parts: list[str] = []
    legacy: list[int] = []  # 1-based numbers of the lines that are not UTF-8
    mixed: list[int] = []
    unicode_lines = 0  # lines holding UTF-8 characters outside ASCII
    for number, line in enumerate(lines, start=1):
        try:
            parts.append(line.decode("utf-8"))
            unicode_lines += not line.isascii()
            continue
        except UnicodeDecodeError:
            pass
        legacy.append(number)
        if _UTF8_SEQUENCE.search(line):
            mixed.append(number)
        try:
            parts.append(line.decode("cp1252"))
        except UnicodeDecodeError:
            parts.append(line.decode("latin-1"))
    if mixed:
        raise ReadError(
            f"{_lines(mixed)} mix UTF-8 characters with bytes that are not UTF-8 (Latin-1 or "
            "Windows-1252), so no one encoding reads them correctly; save the file again as "
            "CSV UTF-8 and import that copy",
            sheet=sheet,
            row=mixed[0],
        )
    if unicode_lines or bom:
        return "".join(parts), f"{utf8}, with {_lines(legacy)} in Windows-1252"
    try:  # no line is UTF-8 beyond ASCII: the whole file is in one legacy encoding
        return body.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return body.decode("latin-1"), "Latin-1"


def _lines(numbers: list[int]) -> str:
    """``line 3`` or ``lines 3, 5 and 9`` (the first ten, then how many more)."""
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    return f"lines {shown}{more}"
