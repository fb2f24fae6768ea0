"""Keeping the workbook safe: atomic saves, the inter-process lock, change detection,
and refusing workbooks that openpyxl would damage.

``openpyxl`` truncates the target before it writes, so a crash or a full disk during
``Workbook.save`` loses the previous file. raidlog never saves over the workbook:
it writes a temporary file in the same folder, flushes and fsyncs it, re-opens it to
check it, moves it over the workbook with :func:`os.replace` (atomic on POSIX and
Windows) and fsyncs the folder so the move itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Final

from raidlog.errors import BackendError, ConflictError
from raidlog.files import fsync_folder, new_temporary, temporaries

__all__ = [
    "UnsafeWorkbookError",
    "WorkbookChangedError",
    "atomic_write",
    "file_digest",
    "file_errors",
    "lock_path",
    "locked",
    "preflight",
    "unsafe_parts",
]

# Parts of an xlsx package that openpyxl does not read back, so saving would drop them.
_DROPPED: Final = (
    ("xl/drawings/", "drawings (charts, images or shapes)"),
    ("xl/charts/", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/media/", "images"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/pivotCache/", "pivot tables"),
    ("xl/vbaProject.bin", "macros (VBA)"),
    ("xl/comments", "comments"),
    ("xl/threadedComments/", "comments"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/model/", "a data model (Power Pivot)"),
    ("xl/queryTables/", "queries"),
    ("xl/connections.xml", "data connections"),
)


class WorkbookChangedError(ConflictError):
    """The workbook changed on disk since this register read it (a person in Excel, or
    a program other than raidlog): nothing was written. Reopen the register; hand edits
    are then checked and recorded as events."""

    def __init__(self, location: str, detail: str) -> None:
        # The conflict is with the whole file, not one item: no version, no current item.
        super().__init__(
            location,
            0,
            None,
            message=f"{location} was changed outside raidlog since it was opened ({detail}); "
            "nothing was written: reopen the register (hand edits are then checked and "
            "recorded) and apply the change again",
        )
        self.detail = detail


class UnsafeWorkbookError(BackendError):
    """The workbook holds content that saving with openpyxl would lose."""


def lock_path(path: Path) -> Path:
    """The sidecar lock file of a workbook (``.raid.xlsx.lock`` beside ``raid.xlsx``)."""
    return path.with_name(f".{path.name}.lock")


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                # LK_LOCK itself retries for about ten seconds before it gives up.
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def file_errors(path: Path) -> Iterator[None]:
    """Raise an ``OSError`` met reading or writing ``path`` (a full disk, permissions, a
    vanished folder) as a :class:`~raidlog.errors.BackendError` naming the file."""
    try:
        yield
    except OSError as exc:
        raise BackendError(
            f"{path}: {exc.strerror or exc} ({type(exc).__name__}); check the disk and the "
            "file's permissions"
        ) from exc


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the inter-process lock of ``path``: an exclusive lock on its sidecar lock
    file (``flock``; ``msvcrt.locking`` on Windows). The operating system releases it
    when the process dies, so a killed writer never leaves the register locked."""
    with file_errors(lock_path(path)):
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(fd)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def file_digest(path: Path) -> str | None:
    """SHA-256 of the file's bytes, or ``None`` when there is no file."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def unsafe_parts(path: Path) -> list[str]:
    """What in the workbook openpyxl would drop on save (empty when it is safe)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return ["content that is not an xlsx package (an encrypted or .xls workbook?)"]
    found: dict[str, None] = {}
    for name in names:
        for prefix, what in _DROPPED:
            if name.startswith(prefix):
                found.setdefault(what, None)
    return list(found)


_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Bounds on what a register workbook may inflate to before any parser sees it.
MAX_INFLATED: Final = 1 << 30
MAX_RATIO: Final = 200
MAX_CELLS: Final = 50_000_000
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def preflight(path: Path) -> None:
    """Refuse, before any parser reads it, a file that is not a workbook or would make
    the reader exhaust memory (a zip bomb, a cell at XFD1048576: python-calamine
    allocates the whole range and aborts the interpreter). Raises
    :class:`~raidlog.errors.BackendError` saying what was found."""
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == _OLE_MAGIC:
        raise BackendError(
            f"{path} is an encrypted (password-protected) or legacy .xls workbook, not a "
            "raidlog register: remove the password, or import it with `raidlog migrate`"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(m.file_size for m in members)
            if inflated > MAX_INFLATED:
                raise BackendError(
                    f"{path} would inflate to {inflated:,} bytes; refusing to read it"
                )
            for member in members:
                ratio = member.file_size // max(member.compress_size, 1)
                if member.file_size > (1 << 20) and ratio > MAX_RATIO:
                    raise BackendError(
                        f"{path}: {member.filename} is compressed {ratio} to 1 (a zip bomb?); "
                        "refusing to read it"
                    )
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(
                    ".xml"
                ):
                    _check_extent(path, member.filename, archive.read(member))
    # A damaged archive can also surface as NotImplementedError (an unknown compression
    # method in a flipped header) or a ValueError: all mean the same to a user.
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise BackendError(
            f"{path} is damaged or not an xlsx workbook ({exc}); restore it from a backup"
        ) from exc


def _check_extent(path: Path, member: str, xml: bytes) -> None:
    rows = cols = 0
    for match in _CELL_REF.finditer(xml):
        cols = max(cols, _column_number(match.group(1)))
        rows = max(rows, int(match.group(2)))
    if rows * cols > MAX_CELLS:
        raise BackendError(
            f"{path}: {member} has a cell as far as row {rows:,}, column {cols:,} "
            f"({rows * cols:,} cells to allocate); clear the far cells in Excel "
            "(select the empty rows and columns, Delete) and save again"
        )


def atomic_write(
    path: Path,
    write: Callable[[IO[bytes]], None],
    check: Callable[[Path], None],
    *,
    expected: str | None,
) -> str:
    """Replace ``path`` with what ``write`` produces, atomically; return the new file's
    SHA-256. ``check`` re-opens the written temporary file and raises if it is not what
    was meant. Call under :func:`locked`. On any failure the previous file is intact
    and the temporary file is removed.

    ``expected`` is the SHA-256 of the file the new content was made from (``None``:
    there was no file). Writing a large workbook takes seconds, and a person saving
    from Excel does not take raidlog's lock, so the file is hashed again immediately
    before the replace: if it changed, :class:`WorkbookChangedError` is raised and the
    person's save stays as they made it."""
    # A writer killed mid-save leaves its temporary file; under the lock none is live.
    for stale in temporaries(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    temporary = new_temporary(path.parent, path.name)
    if temporary is None:
        raise BackendError(
            f"cannot save {path}: no file can be created in {path.parent} (permissions), "
            "and the workbook is never rewritten in place"
        )
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)  # the saved workbook keeps who may read it
        check(temporary)
        digest = file_digest(temporary)
        assert digest is not None
        if file_digest(path) != expected:
            raise WorkbookChangedError(
                str(path), "it was saved by another program while raidlog was writing it"
            )
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    try:
        fsync_folder(path.parent)
    except OSError as exc:
        raise BackendError(
            f"{path} was saved, but syncing its folder failed ({exc}): after a power cut "
            "the previous version may come back; check the disk"
        ) from exc
    return digest
