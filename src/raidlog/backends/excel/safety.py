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
import fcntl
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Final

from raidlog.errors import BackendError, ConflictError

__all__ = [
    "UnsafeWorkbookError",
    "WorkbookChangedError",
    "atomic_write",
    "file_digest",
    "lock_path",
    "locked",
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
        # ConflictError's message speaks of one item; this conflict is the whole file.
        Exception.__init__(
            self,
            f"{location} was changed outside raidlog since it was opened ({detail}); "
            "nothing was written: reopen the register (hand edits are then checked and "
            "recorded) and apply the change again",
        )
        self.ref = location
        self.expected = 0
        self.current = None


class UnsafeWorkbookError(BackendError):
    """The workbook holds content that saving with openpyxl would lose."""


def lock_path(path: Path) -> Path:
    """The sidecar lock file of a workbook (``.raid.xlsx.lock`` beside ``raid.xlsx``)."""
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the inter-process lock of ``path`` (an exclusive ``flock`` on its sidecar
    lock file). The operating system releases it when the process dies, so a killed
    writer never leaves the register locked."""
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
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


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporaries(path: Path) -> Iterator[Path]:
    return path.parent.glob(f".{path.name}.*.tmp")


def atomic_write(
    path: Path, write: Callable[[IO[bytes]], None], check: Callable[[Path], None]
) -> str:
    """Replace ``path`` with what ``write`` produces, atomically; return the new file's
    SHA-256. ``check`` re-opens the written temporary file and raises if it is not what
    was meant. Call under :func:`locked`. On any failure the previous file is intact
    and the temporary file is removed."""
    # A writer killed mid-save leaves its temporary file; under the lock none is live.
    for stale in _temporaries(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # closed below, then moved
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    temporary = Path(handle.name)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        check(temporary)
        digest = file_digest(temporary)
        assert digest is not None
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    try:
        _fsync_folder(path.parent)
    except OSError as exc:
        raise BackendError(
            f"{path} was saved, but syncing its folder failed ({exc}): after a power cut "
            "the previous version may come back; check the disk"
        ) from exc
    return digest
