"""Pre-flight: look at a file's bytes before any parser sees it.

Size, zip entry count, declared sizes and compression ratios are checked against
:class:`Limits`; the format is decided by content (magic bytes and zip members), and a
file whose name promises another format is refused (plain text named ``.xlsx`` would
otherwise import nothing without a word); a password-encrypted workbook is named as such.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import attrs

from raidlog.errors import ImportRejected

__all__ = ["FORMATS", "Limits", "Preflight", "preflight"]

#: Formats the importer reads.
FORMATS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "csv")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_MIB = 1024 * 1024

#: The content formats each file-name suffix may hold. An .xlsx may carry macros and an
#: .xlsm may carry none (the same container either way, and only values are read); text
#: may be named .csv, .txt or .tsv. A suffix not listed here promises nothing.
_NAMED = {
    "xlsx": ("xlsx", "xlsm"),
    "xlsm": ("xlsx", "xlsm"),
    "xlsb": ("xlsb",),
    "xls": ("xls",),
    "ods": ("ods",),
    "csv": ("csv",),
    "txt": ("csv",),
    "tsv": ("csv",),
}

#: What each content format is, in words a person recognises.
_CONTENT = {
    "xlsx": "an xlsx workbook",
    "xlsm": "an xlsm (macro-enabled) workbook",
    "xlsb": "an xlsb (binary) workbook",
    "xls": "an xls (Excel 97-2003) workbook",
    "ods": "an ods (OpenDocument) spreadsheet",
    "csv": "plain text (CSV)",
}


@attrs.frozen(kw_only=True)
class Limits:
    """Bounds a file must stay within before and while it is parsed."""

    max_file_bytes: int = 256 * _MIB
    max_zip_entries: int = 10_000
    max_uncompressed_bytes: int = 1024 * _MIB
    #: An entry inflating more than this many times its compressed size is a zip bomb
    #: (ordinary sheet XML compresses 5 to 30 times).
    max_ratio: float = 200.0
    #: Entries smaller than this are not checked for ratio: tiny files compress oddly.
    ratio_floor_bytes: int = 4 * _MIB
    max_rows: int = 1_048_576
    max_columns: int = 16_384
    max_cells: int = 40_000_000
    #: The total text, in characters, that the cells of one file may expand to. A small
    #: xlsx can reference one long shared string from thousands of cells (259 KB became
    #: 465 million characters: seen); a large genuine register of 100,000 rows with
    #: long descriptions stays well below 100 million.
    max_text_chars: int = 100_000_000
    memory_bytes: int = 2048 * _MIB
    cpu_seconds: int = 300
    wall_seconds: float = 600.0


@attrs.frozen(kw_only=True)
class Preflight:
    """What pre-flight found: the format by content, the file's hash and notes."""

    path: Path
    format: str
    size: int
    sha256: str
    uncompressed: int = 0
    notes: tuple[str, ...] = ()


def preflight(path: str | Path, limits: Limits | None = None) -> Preflight:
    """Check ``path`` before parsing; raise :class:`~raidlog.errors.ImportRejected` when it
    is too big, a zip bomb, encrypted, not a spreadsheet, or named as another format
    than its content (the message names both)."""
    limits = limits or Limits()
    file = Path(path)
    name = file.name
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise ImportRejected(name, "not a regular file")
    except OSError as exc:
        raise ImportRejected(name, f"cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise ImportRejected(name, "the file is empty (0 bytes)")
    if size > limits.max_file_bytes:
        raise ImportRejected(
            name,
            f"the file is {size / _MIB:.0f} MiB, over the {limits.max_file_bytes // _MIB} MiB "
            "limit; split it or save only the register sheets",
        )
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        head = handle.read(8)
        handle.seek(0)
        for block in iter(lambda: handle.read(_MIB), b""):
            digest.update(block)
    sha = digest.hexdigest()
    notes: list[str] = []
    uncompressed = 0
    if head.startswith(_OLE_MAGIC):
        fmt = _sniff_ole(file, name)
    elif head.startswith(_ZIP_MAGIC):
        fmt, uncompressed, zip_notes = _sniff_zip(file, name, limits)
        notes.extend(zip_notes)
    else:
        fmt = _sniff_text(file, name)
    _check_name(name, file.suffix.lower().lstrip("."), fmt)
    return Preflight(
        path=file, format=fmt, size=size, sha256=sha, uncompressed=uncompressed, notes=tuple(notes)
    )


def _check_name(name: str, suffix: str, fmt: str) -> None:
    """Refuse a file whose name says one format and whose content is another.

    Read by its content, such a file is at best imported from something its owner did
    not mean to hand over, and at worst (text named .xlsx) imports nothing silently.
    """
    if fmt in _NAMED.get(suffix, (fmt,)):
        return
    raise ImportRejected(
        name,
        f"named .{suffix} but the content is {_CONTENT[fmt]}: if that is the file you meant, "
        f"rename it to .{fmt} and import it again; otherwise save it as .{suffix} from the "
        "program that made it",
    )


def _sniff_ole(file: Path, name: str) -> str:
    data = file.read_bytes()
    # An encrypted OOXML workbook is an OLE container holding these streams.
    for stream in ("EncryptionInfo", "EncryptedPackage"):
        if stream.encode("utf-16-le") in data:
            raise ImportRejected(
                name,
                "the workbook is encrypted with a password; open it in Excel, remove the "
                "password (File > Info > Protect Workbook), save it and import that copy",
            )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    raise ImportRejected(name, "an OLE file that holds no workbook (a Word or other document?)")


def _sniff_zip(file: Path, name: str, limits: Limits) -> tuple[str, int, list[str]]:
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_zip_entries:
                raise ImportRejected(
                    name, f"the zip holds {len(entries)} entries, over {limits.max_zip_entries}"
                )
            total = 0
            for entry in entries:
                total += entry.file_size
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
                    raise ImportRejected(
                        name,
                        f"entry {entry.filename!r} inflates {ratio:.0f} times its compressed "
                        f"size to {entry.file_size / _MIB:.0f} MiB (ratio limit "
                        f"{limits.max_ratio:.0f}): refused as a zip bomb",
                    )
            if total > limits.max_uncompressed_bytes:
                raise ImportRejected(
                    name,
                    f"the contents inflate to {total / _MIB:.0f} MiB, over the "
                    f"{limits.max_uncompressed_bytes // _MIB} MiB limit",
                )
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                mime = archive.read("mimetype")[:200].strip()
                if mime == _ODS_MIME:
                    return "ods", total, []
                raise ImportRejected(name, f"an OpenDocument file of type {mime!r}, not a sheet")
            notes: list[str] = []
            if "xl/workbook.xml" in names:
                fmt = "xlsx"
            elif "xl/workbook.bin" in names:
                fmt = "xlsb"
            else:
                raise ImportRejected(name, "a zip file, but not an Excel or OpenDocument workbook")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                fmt = "xlsm" if fmt == "xlsx" else fmt
                notes.append("macros discarded: only cell values are imported")
            if any(n.startswith("xl/externalLinks/") for n in names):
                notes.append("external links ignored: their cached values are imported as is")
            return fmt, total, notes
    except ImportRejected:
        raise
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError, zlib.error...
        raise ImportRejected(
            name, f"a damaged zip file ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None


def _sniff_text(file: Path, name: str) -> str:
    with file.open("rb") as handle:
        sample = handle.read(64 * 1024)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text with a byte order mark
    if b"\x00" in sample:
        raise ImportRejected(name, "a binary file that is not a spreadsheet format raidlog reads")
    if sample.lstrip().startswith((b"<?xml", b"<html", b"<!DOCTYPE", b"<table")):
        raise ImportRejected(
            name, "an XML or HTML file; save it from Excel as .xlsx or .csv and import that"
        )
    return "csv"
