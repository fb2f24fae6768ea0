"""A generator of hostile spreadsheets, one per case of RELIABILITY.md section A.

Files are written by code at test time, never committed. Each :class:`HostileCase`
says what a safe importer must do with it: ``reject`` it (with a reason containing one
of ``reasons``), ``import`` it correctly, or ``either`` (the file is damaged in a way
that may or may not leave readable data, but the importer must answer with success or
its own error, never crash or hang).

    python -m raidlog.testing.hostile OUTDIR     # write every case into OUTDIR
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import attrs
import openpyxl

__all__ = ["CASES", "HostileCase", "generate", "generate_all"]

_HEADER = ["ID", "Title", "Owner", "Status", "Due Date"]
_ROWS = [
    ["R1", "Supplier goes bust", "Ana", "Open", "2026-03-31"],
    ["R2", "Key engineer leaves", "Bo", "Closed", "2026-04-30"],
    ["R3", "Data centre flood", "Chen", "Open", "2026-05-31"],
]


@attrs.frozen
class HostileCase:
    """One hostile file: what it is, and what a safe importer must do with it."""

    name: str
    suffix: str
    expect: str  # "reject", "import" or "either"
    description: str
    build: Callable[[Path], None]
    reasons: tuple[str, ...] = ()
    items: int | None = None


def _plain_workbook(rows: list[list[object]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws.append(_HEADER)
    for row in rows if rows is not None else _ROWS:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return _deterministic(out.getvalue())


_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _deterministic(data: bytes) -> bytes:
    """The same bytes at every run: fixed entry times and document dates, so a case such
    as ``byte_flipped`` damages the same places each time."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMP.sub(b"2026-01-01T00:00:00Z", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, body)
    return out.getvalue()


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = content if info.filename == member else source.read(info.filename)
            target.writestr(info.filename, body)
    return out.getvalue()


_SHEET = "xl/worksheets/sheet1.xml"
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet_xml(rows: str, dimension: str = "A1:E4", doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet {_NS}>'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def _inline_row(number: int, values: list[str], first_column: int = 0) -> str:
    cells = []
    for offset, value in enumerate(values):
        ref = _column(first_column + offset) + str(number)
        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _table_rows() -> str:
    rows = [_inline_row(1, _HEADER)]
    rows += [_inline_row(n + 2, [str(v) for v in row]) for n, row in enumerate(_ROWS)]
    return "".join(rows)


# builders ----------------------------------------------------------------------------------
def _entity_bomb(path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    lol = "".join(entities)
    doctype = f"<!DOCTYPE worksheet [{lol}]>"
    rows = _inline_row(1, _HEADER) + _inline_row(2, ["R1", "&lol9;", "Ana", "Open", "2026-03-31"])
    path.write_bytes(_replace_member(_plain_workbook(), _SHEET, _sheet_xml(rows, doctype=doctype)))


def _external_entity(path: Path) -> None:
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = _inline_row(1, _HEADER) + _inline_row(2, ["R1", "&xxe;", "Ana", "Open", "2026-03-31"])
    path.write_bytes(_replace_member(_plain_workbook(), _SHEET, _sheet_xml(rows, doctype=doctype)))


def _zip_bomb(path: Path) -> None:
    """A ~1 MB file whose sheet inflates to 1 GiB of whitespace inside valid XML."""
    source = zipfile.ZipFile(io.BytesIO(_plain_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != _SHEET:
                target.writestr(info.filename, source.read(info.filename))
        with target.open(_SHEET, "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet ' + _NS.encode() + b"><sheetData>")
            chunk = b" " * (1 << 20)
            for _ in range(1024):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def _lying_zip_header(path: Path) -> None:
    """The sheet's declared size says 200 bytes; it inflates to 50 MB."""
    data = bytearray(
        _replace_member(_plain_workbook(), _SHEET, _sheet_xml(_table_rows() + " " * 50_000_000))
    )
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo(_SHEET)
    # Local header: uncompressed size at offset 22; central directory entry: offset 24.
    struct.pack_into("<I", data, info.header_offset + 22, 200)
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            break
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        name = bytes(data[position + 46 : position + 46 + name_length]).decode()
        if name == _SHEET:
            struct.pack_into("<I", data, position + 24, 200)
            break
        position += 4
    path.write_bytes(bytes(data))


def _too_many_rows(path: Path) -> None:
    """1,048,577 rows: one more than Excel allows."""
    source = zipfile.ZipFile(io.BytesIO(_plain_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != _SHEET:
                target.writestr(info.filename, source.read(info.filename))
        with target.open(_SHEET, "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet {_NS}><sheetData>'.encode())
            sheet.write(_inline_row(1, _HEADER).encode())
            batch: list[str] = []
            for n in range(2, 1_048_578):
                batch.append(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>')
                if len(batch) == 10_000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())


def _lying_dimension(path: Path) -> None:
    xml = _sheet_xml(_table_rows(), dimension="A1:XFD1048576")
    path.write_bytes(_replace_member(_plain_workbook(), _SHEET, xml))


def _far_cell(path: Path) -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    rows += '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
    path.write_bytes(_replace_member(_plain_workbook(), _SHEET, _sheet_xml(rows, "A1:XFD1048576")))


def _truncated(path: Path) -> None:
    data = _plain_workbook()
    path.write_bytes(data[: len(data) // 2])


def _byte_flipped(path: Path) -> None:
    data = bytearray(_plain_workbook())
    rng = random.Random(20261122)
    for _ in range(40):
        position = rng.randrange(len(data) // 4, len(data))
        data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def _encrypted(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-untyped]  # no stubs published

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_plain_workbook())).encrypt("secret", out)
    path.write_bytes(out.getvalue())


def _legacy_xls(path: Path) -> None:
    import xlwt  # type: ignore[import-untyped]  # no stubs published

    book = xlwt.Workbook()
    sheet = book.add_sheet("Risks")
    for c, value in enumerate(_HEADER):
        sheet.write(0, c, value)
    for r, row in enumerate(_ROWS, start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())


def _xlsm_with_macros(path: Path) -> None:
    data = _plain_workbook()
    source = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" '
                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            target.writestr(info.filename, body)
        # Not a real VBA project: the importer must discard it whatever it holds.
        target.writestr(
            "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name" * 64
        )


def _formulas_without_values(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws.append([*_HEADER, "Score", "Probability", "Impact"])
    for n, row in enumerate(_ROWS, start=2):
        ws.append([*row, f"=G{n}*H{n}", 3, 4])
    wb.save(path)


def _empty_leading_columns(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws["B2"] = "Risk register, Programme Phoenix"
    for r, row in enumerate([_HEADER, *_ROWS], start=6):
        for c, value in enumerate(row, start=4):
            ws.cell(row=r, column=c, value=value)
    wb.save(path)


def _control_characters(path: Path) -> None:
    rows = [
        ["R1", "Supplier\x01 goes bust", "Ana\x0b", "Open", "2026-03-31"],
        ["R2", "Key\x1f engineer leaves", "Bo", "Closed", "2026-04-30"],
    ]
    # openpyxl refuses control characters: write the cells as inline strings in raw XML.
    body = _inline_row(1, _HEADER) + "".join(
        _inline_row(n + 2, [v.replace("\x01", "&#1;") for v in row]) for n, row in enumerate(rows)
    )
    body = body.replace("\x0b", "").replace("\x1f", "")
    path.write_bytes(_replace_member(_plain_workbook(), _SHEET, _sheet_xml(body)))


def _long_cells(path: Path) -> None:
    text = ("The supplier may fail to deliver on time. " * 1000)[:40_000]
    rows: list[list[object]] = [["R1", "Long description", "Ana", "Open", "2026-03-31"]]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws.append([*_HEADER, "Description"])
    ws.append([*rows[0], text[:32_767]])
    wb.save(path)
    # Excel's own limit is 32,767 per cell; write 40,000 into the XML directly.
    data = _replace_member(
        path.read_bytes(),
        _SHEET,
        _sheet_xml(
            _inline_row(1, [*_HEADER, "Description"])
            + _inline_row(2, ["R1", "Long description", "Ana", "Open", "2026-03-31", text]),
            "A1:F2",
        ),
    )
    path.write_bytes(data)


def _xlsx_named_csv(path: Path) -> None:
    path.write_bytes(_plain_workbook())


def _text_named_xlsx(path: Path) -> None:
    path.write_text("ID,Title,Owner\nR1,Supplier goes bust,Ana\n", encoding="utf-8")


def _shared_string_amplification(path: Path) -> None:
    """One 31,000-character shared string referenced by 15,000 cells: a 259 KB file that
    expands to 465 million characters of text (about 1 GB once stored)."""
    text = ("The supplier may fail to deliver. " * 1000)[:31_000]
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="15000" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    ).encode()
    rows = [_inline_row(1, ["ID", "Title"])]
    rows += [
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c>'
        f'<c r="B{n}" t="s"><v>0</v></c></row>'
        for n in range(2, 15_002)
    ]
    source = zipfile.ZipFile(io.BytesIO(_plain_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == _SHEET:
                body = _sheet_xml("".join(rows), "A1:B15001")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://'
                    b"schemas.openxmlformats.org/officeDocument/2006/relationships/"
                    b'sharedStrings"/></Relationships>',
                )
            elif info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            target.writestr(info.filename, body)
        target.writestr("xl/sharedStrings.xml", strings)


CASES: tuple[HostileCase, ...] = (
    HostileCase(
        "entity_bomb",
        ".xlsx",
        "reject",
        "billion laughs in a sheet's DTD",
        _entity_bomb,
        ("entit", "dtd", "xml"),
    ),
    HostileCase(
        "external_entity",
        ".xlsx",
        "reject",
        "an XML external entity reading /etc/passwd",
        _external_entity,
        ("entit", "dtd", "xml"),
    ),
    HostileCase(
        "zip_bomb",
        ".xlsx",
        "reject",
        "1 MB that inflates to 1 GiB",
        _zip_bomb,
        ("compress", "ratio", "size", "large"),
    ),
    HostileCase(
        "lying_zip_header",
        ".xlsx",
        "reject",
        "declared entry size far below the real one",
        _lying_zip_header,
        ("size", "crc", "corrupt", "zip", "compress", "ratio"),
    ),
    HostileCase(
        "too_many_rows",
        ".xlsx",
        "reject",
        "1,048,577 rows",
        _too_many_rows,
        ("rows", "limit", "large", "size"),
    ),
    HostileCase(
        "lying_dimension",
        ".xlsx",
        "import",
        "dimension claims A1:XFD1048576 over 4 rows",
        _lying_dimension,
        items=3,
    ),
    HostileCase(
        "far_cell",
        ".xlsx",
        "either",
        "A1 and XFD1048576 in a 4 KB file",
        _far_cell,
        ("column", "rows", "limit", "large", "parser", "memory", "table", "no "),
    ),
    HostileCase(
        "truncated",
        ".xlsx",
        "reject",
        "a workbook cut in half",
        _truncated,
        ("zip", "corrupt", "truncat", "not a", "damaged", "read"),
    ),
    HostileCase("byte_flipped", ".xlsx", "either", "40 bytes flipped", _byte_flipped),
    HostileCase(
        "encrypted",
        ".xlsx",
        "reject",
        "a password-protected workbook",
        _encrypted,
        ("encrypt", "password"),
    ),
    HostileCase(
        "xls_named_xlsx",
        ".xlsx",
        "reject",
        "legacy .xls content with an .xlsx name",
        _legacy_xls,
        ("named .xlsx", "content is an xls"),
    ),
    HostileCase(
        "legacy_xls",
        ".xls",
        "import",
        "a legacy Excel 97-2003 workbook",
        _legacy_xls,
        items=3,
    ),
    HostileCase(
        "xlsm_with_macros",
        ".xlsm",
        "import",
        "a macro-enabled workbook",
        _xlsm_with_macros,
        items=3,
    ),
    HostileCase(
        "formulas_without_values",
        ".xlsx",
        "import",
        "formula cells no program recalculated",
        _formulas_without_values,
        items=3,
    ),
    HostileCase(
        "empty_leading_columns",
        ".xlsx",
        "import",
        "a title block and a table starting in D6",
        _empty_leading_columns,
        items=3,
    ),
    HostileCase(
        "control_characters",
        ".xlsx",
        "import",
        "control characters in cells",
        _control_characters,
        items=2,
    ),
    HostileCase("long_cells", ".xlsx", "import", "a 40,000-character cell", _long_cells, items=1),
    HostileCase(
        "xlsx_named_csv",
        ".csv",
        "reject",
        "xlsx content with a .csv name",
        _xlsx_named_csv,
        ("named .csv", "content is an xlsx"),
    ),
    HostileCase(
        "text_named_xlsx",
        ".xlsx",
        "reject",
        "plain text with an .xlsx name",
        _text_named_xlsx,
        ("named .xlsx",),
    ),
    HostileCase(
        "shared_string_amplification",
        ".xlsx",
        "reject",
        "one 31,000-character shared string referenced by 15,000 cells",
        _shared_string_amplification,
        ("characters of text",),
    ),
)


def generate(case: HostileCase, directory: Path) -> Path:
    """Write ``case`` into ``directory`` and return its path."""
    path = directory / f"{case.name}{case.suffix}"
    case.build(path)
    return path


def generate_all(directory: Path) -> dict[str, Path]:
    """Write every case into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    return {case.name: generate(case, directory) for case in CASES}


if __name__ == "__main__":
    for name, written in generate_all(
        Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    ).items():
        print(f"{name:<26} {written.stat().st_size:>12,} bytes  {written}")
