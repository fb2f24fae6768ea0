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
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from raidlog.errors import RaidLogError
from raidlog.migrate.preflight import Limits

__all__ = [
    "ReadError",
    "Unpacker",
    "frames",
    "pack_book",
    "pack_end",
    "pack_refusal",
    "pack_rows",
    "read_book",
    "unpack_book",
]

SheetData = dict[str, Any]
#: Where :func:`read_book` hands rows as it reads them: ``sink(sheet_index, rows)``.
Sink = Callable[[int, list[list[Any]]], None]
#: The most rows, and about the most cells, the reader hands on at once.
CHUNK_ROWS = 4096
CHUNK_CELLS = 256 * 1024


class ReadError(RaidLogError):
    """A reading failure with where it happened (sent to the parent as JSON)."""

    def __init__(self, reason: str, sheet: str | None = None, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sheet = sheet
        self.row = row


# The transfer ---------------------------------------------------------------------------
#
# The child writes frames on its stdout, each a 4-byte big-endian length, then one byte
# saying what it is, then MessagePack: b"R" a chunk of one sheet's rows, as soon as they
# are read (the parent decodes them while the child reads on); b"B" the rest of the book
# at the end (names, merged cells, what the style pass found, how many rows each sheet
# had); b"E" instead of b"B" when the file is refused. MessagePack carries text, numbers
# (floats bit for bit, infinities included), booleans and ``None`` as they are, and
# nothing that runs code when read, unlike pickle; the parent decodes every frame against
# the exact types it expects (a cell is text, a number, a boolean or empty), so a child
# taken over by a hostile file can make the parent read wrong values, never anything else.

#: One cell as it crosses: dates travel as text (see :func:`_dates_as_text`).
Cell = str | int | float | bool | None
_Index = Annotated[int, msgspec.Meta(ge=0)]


class _SheetEnd(msgspec.Struct):
    name: str
    row_count: _Index = 0
    visible: bool = True
    merged: list[tuple[_Index, _Index, _Index, _Index]] = msgspec.field(default_factory=list)
    hidden_rows: list[_Index] = msgspec.field(default_factory=list)
    fills: list[tuple[_Index, _Index, str]] = msgspec.field(default_factory=list)
    formulas: list[tuple[_Index, _Index]] = msgspec.field(default_factory=list)
    bold: list[tuple[_Index, _Index]] = msgspec.field(default_factory=list)


class _BookEnd(msgspec.Struct):
    sheets: list[_SheetEnd]
    notes: list[str]
    epoch: int


class _Refusal(msgspec.Struct):
    reason: str
    sheet: str | None = None
    row: int | None = None


_ROWS = msgspec.msgpack.Decoder(
    tuple[_Index, list[list[Cell]], list[tuple[_Index, _Index, Literal["t", "d"]]]]
)
_END = msgspec.msgpack.Decoder(_BookEnd)
_REFUSAL = msgspec.msgpack.Decoder(_Refusal)
_ENCODE = msgspec.msgpack.Encoder().encode


def _frame(kind: bytes, payload: bytes) -> bytes:
    return (len(payload) + 1).to_bytes(4, "big") + kind + payload


def pack_rows(index: int, rows: list[list[Any]]) -> bytes:
    """A frame of rows of the sheet at ``index`` (in the child). Rows are changed in place:
    each date and datetime cell becomes its ISO text with its position listed (the parent
    turns it back), times and durations become their text."""
    dates = _dates_as_text(rows)
    return _frame(b"R", _ENCODE((index, rows, dates)))


def pack_end(book: dict[str, Any]) -> bytes:
    """The last frame: the book without its rows (each sheet says how many it had)."""
    sheets = [
        {**{k: v for k, v in sheet.items() if k != "rows"}, "row_count": sheet.get("row_count", 0)}
        for sheet in book["sheets"]
    ]
    return _frame(b"B", _ENCODE({**book, "sheets": sheets}))


def pack_refusal(reason: str, sheet: str | None = None, row: int | None = None) -> bytes:
    """The frame that ends the transfer of a file that is refused."""
    return _frame(b"E", _ENCODE({"reason": reason, "sheet": sheet, "row": row}))


def pack_book(book: dict[str, Any]) -> bytes:
    """The result of :func:`read_book` as the frames the child writes (rows in chunks of
    :data:`CHUNK_ROWS`, then the end), all at once."""
    frames = []
    for index, sheet in enumerate(book["sheets"]):
        rows = sheet["rows"]
        for start in range(0, len(rows), CHUNK_ROWS):
            frames.append(pack_rows(index, rows[start : start + CHUNK_ROWS]))
    ends = [{**sheet, "rows": [], "row_count": len(sheet["rows"])} for sheet in book["sheets"]]
    frames.append(pack_end({**book, "sheets": ends}))
    return b"".join(frames)


_PLAIN = frozenset((str, float, int, bool, type(None)))


def _dates_as_text(rows: list[list[Any]]) -> list[tuple[int, int, str]]:
    dates: list[tuple[int, int, str]] = []
    plain = _PLAIN
    for r, row in enumerate(rows):
        if plain.issuperset(map(type, row)):
            continue  # no date, time or duration in the row (most rows)
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


class Unpacker:
    """The parent's side of the transfer: :meth:`feed` it each frame as it comes; at the
    end :attr:`book` is the book (as :func:`read_book` gives it, dates back), or
    :attr:`refusal` says why the child refused the file. Anything else than what the child
    writes raises ``ValueError``."""

    def __init__(self) -> None:
        self._rows: list[list[list[Any]]] = []
        self.book: dict[str, Any] | None = None
        self.refusal: _Refusal | None = None

    def feed(self, frame: bytes | memoryview) -> None:
        """One frame, without its length."""
        try:
            self._feed(memoryview(frame))
        except (msgspec.DecodeError, msgspec.ValidationError, IndexError, TypeError) as exc:
            raise ValueError(f"not a packed workbook ({exc})") from None
        except ValueError as exc:
            raise ValueError(f"not a packed workbook ({exc})") from None

    def _feed(self, frame: memoryview) -> None:
        if self.book is not None or self.refusal is not None:
            raise ValueError("a frame after the last one")
        kind, body = frame[:1].tobytes(), frame[1:]
        if kind == b"R":
            index, cells, dates = _ROWS.decode(body)
            rows: list[list[Any]] = cells  # dates go back in
            if index < len(self._rows) - 1:
                raise ValueError("the sheets' rows out of order")
            while len(self._rows) <= index:
                self._rows.append([])
            for r, c, tag in dates:
                text = rows[r][c]
                if type(text) is not str:
                    raise ValueError(f"a date that is not text at {r}, {c}")
                rows[r][c] = (
                    datetime.fromisoformat(text) if tag == "t" else date.fromisoformat(text)
                )
            self._rows[index].extend(rows)
        elif kind == b"B":
            end = _END.decode(body)
            if len(self._rows) > len(end.sheets):
                raise ValueError("rows of a sheet the book does not have")
            self._rows.extend([] for _ in range(len(end.sheets) - len(self._rows)))
            sheets = []
            for sheet, rows in zip(end.sheets, self._rows, strict=True):
                if sheet.row_count != len(rows):
                    raise ValueError(f"{len(rows)} rows for {sheet.row_count}")
                data = msgspec.structs.asdict(sheet)
                del data["row_count"]
                data["rows"] = rows
                sheets.append(data)
            self.book = {"sheets": sheets, "notes": end.notes, "epoch": end.epoch}
            self._rows = []
        elif kind == b"E":
            self.refusal = _REFUSAL.decode(body)
        else:
            raise ValueError(f"a frame of kind {kind!r}")


def frames(data: bytes) -> Iterator[memoryview]:
    """The frames in ``data`` (without their lengths); ``ValueError`` if one is cut short."""
    view = memoryview(data)
    at = 0
    while at < len(view):
        size = int.from_bytes(view[at : at + 4], "big")
        if size == 0 or at + 4 + size > len(view):
            raise ValueError("not a packed workbook (a frame cut short)")
        yield view[at + 4 : at + 4 + size]
        at += 4 + size


def unpack_book(data: bytes) -> dict[str, Any]:
    """The inverse of :func:`pack_book` (in the parent): the book with its dates back.

    Raises ``ValueError`` when ``data`` is not what :func:`pack_book` writes."""
    unpacker = Unpacker()
    for frame in frames(data):
        unpacker.feed(frame)
    if unpacker.book is None:
        raise ValueError("not a packed workbook (no end)")
    return unpacker.book


def read_book(path: Path, fmt: str, limits: Limits, sink: Sink | None = None) -> dict[str, Any]:
    """Every sheet of the file as ``{"sheets": [...], "notes": [...], "epoch": 1900}``.

    With ``sink``, rows are handed to ``sink(sheet_index, rows)`` in chunks as they are
    read (the child sends them on while it reads the next ones) instead of being kept: each
    sheet's ``"rows"`` is then empty and its ``"row_count"`` says how many were handed on.
    """
    if fmt == "csv":
        book = _read_csv(path, limits)
        if sink is not None:
            for index, sheet in enumerate(book["sheets"]):
                rows, sheet["rows"], sheet["row_count"] = sheet["rows"], [], len(sheet["rows"])
                for start in range(0, len(rows), CHUNK_ROWS):
                    sink(index, rows[start : start + CHUNK_ROWS])
        return book
    return _read_workbook(path, fmt, limits, sink)


def _read_workbook(path: Path, fmt: str, limits: Limits, sink: Sink | None) -> dict[str, Any]:
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
    worksheets = [meta for meta in book.sheets_metadata if "WorkSheet" in str(meta.typ)]
    # The style pass reads the sheet XML again for what calamine does not answer; it runs
    # in a thread while calamine loads a sheet (its Rust code lets go of the GIL), so most
    # of it costs no wall-clock time. Its results are only looked at once every sheet read.
    styles = _Styles(path, [meta.name for meta in worksheets]) if fmt in ("xlsx", "xlsm") else None
    try:
        sheets = _read_sheets(book, worksheets, limits, sink)
    except BaseException:
        if styles is not None:
            styles.stop()  # an unreadable sheet: the style pass is not wanted any more
        raise
    finally:
        handle.close()
    epoch = 1900
    if styles is not None:
        epoch, found = styles.result()
        for data in sheets:
            data.update(found.get(data["name"], {}))
    elif sheets:
        notes.append(f"{fmt} files are read for values only (no cell colours or hidden rows)")
    return {"sheets": sheets, "notes": notes, "epoch": epoch}


def _read_sheets(
    book: Any, worksheets: list[Any], limits: Limits, sink: Sink | None
) -> list[SheetData]:
    sheets: list[SheetData] = []
    cells = text = 0
    for index, meta in enumerate(worksheets):
        name = meta.name
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
        handed = 0  # rows handed to the sink so far
        buffered = 0  # cells in rows
        filled = 0  # rows up to the last one holding a cell
        texts_only = True  # every cell so far is text
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
            if texts_only:  # a sheet of text and empty cells (calamine's "") is counted in C
                try:
                    text += sum(map(len, row))
                except TypeError:  # a number, a date or a boolean: counted cell by cell
                    texts_only = False
            if not texts_only:
                for value in row:
                    if type(value) is str:
                        text += len(value)
            if text > limits.max_text_chars:
                raise _over_budget(limits, sheet=name, row=number)
            if end:
                buffered += end
                filled = len(rows)
            if sink is not None and filled and (len(rows) >= CHUNK_ROWS or buffered >= CHUNK_CELLS):
                # Empty rows after the last filled one are held back: they are dropped if
                # the sheet ends with them.
                sink(index, rows[:filled])
                handed += filled
                rows = rows[filled:]
                buffered = filled = 0
        while rows and not rows[-1]:
            rows.pop()
        if handed + len(rows) > limits.max_rows:
            raise ReadError(
                f"{handed + len(rows)} rows, over Excel's limit of {limits.max_rows}", sheet=name
            )
        extra: SheetData = {}
        if sink is not None:
            if rows:
                sink(index, rows)
            extra["row_count"] = handed + len(rows)
            rows = []
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
                **extra,
            }
        )
    return sheets


class _Styles:
    """:func:`_style_pass` in a thread of its own (or in :meth:`result`, when no thread
    can be started, e.g. under a tight memory limit)."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self._path = path
        self._names = names
        self._stopped = threading.Event()
        self._outcome: tuple[int, dict[str, SheetData]] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="raidlog-style-pass", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:  # "can't start new thread": run it when asked for
            self._thread = None

    def _run(self) -> None:
        try:
            self._outcome = _style_pass(self._path, self._names, self._stopped)
        except BaseException as exc:  # handed to the reading thread by result()
            self._error = exc

    def stop(self) -> None:
        """Ask the thread to stop at its next piece of XML (reading failed)."""
        if self._outcome is None and self._error is None:
            self._stopped.set()

    def result(self) -> tuple[int, dict[str, SheetData]]:
        """The epoch and, per sheet name, what the style pass found; raises what it raised."""
        if self._thread is None:
            return _style_pass(self._path, self._names, threading.Event())
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None  # set when the thread ends without raising
        return self._outcome


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


def _style_pass(
    path: Path, wanted: list[str], stopped: threading.Event
) -> tuple[int, dict[str, SheetData]]:
    """The date epoch, and fill colours, hidden rows and formula cells of each sheet named
    in ``wanted``, straight from the sheet XML (ends early, finding nothing more, once
    ``stopped`` is set).

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
        per_sheet: dict[str, SheetData] = {}
        for sheet_name in wanted:
            part = parts.get(sheet_name)
            if part is None or part not in names:
                continue
            hidden: list[int] = []
            formulas: list[list[int]] = []
            fills: list[list[object]] = []
            bold: list[list[int]] = []
            for xml, end in _xml_pieces(archive, part):
                if stopped.is_set():
                    break
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
            per_sheet[sheet_name] = {
                "hidden_rows": hidden,
                "formulas": formulas,
                "fills": fills,
                "bold": bold,
            }
    return epoch, per_sheet


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
