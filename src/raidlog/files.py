"""Output files written whole or not at all.

Every file raidlog writes for people (CSV, JSON, JSON Lines, the board pack, the HTML
report, an import report) goes through :func:`replaced`: the content is written to a
temporary file beside the target, synced to disk, then moved over the target in one
step. An export that fails half-way (a cell Excel cannot hold, a full disk, Ctrl-C)
leaves the previous file as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["fsync_folder", "new_temporary", "replaced", "temporaries", "write_text"]


def temporaries(path: Path) -> Iterator[Path]:
    """The temporary files :func:`replaced` makes for ``path`` (live or left by a crash)."""
    return path.parent.glob(f".{path.name}.*.tmp")


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op on Windows, where NTFS journals it)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_temporary(folder: Path, name: str) -> Path | None:
    """A new, empty temporary file for ``name`` in ``folder`` (``None`` when the folder
    does not let us create one). Created with mode 0o666 less the umask, as ``open``
    would create the target itself."""
    for _ in range(100):
        temporary = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except PermissionError:
            return None
        os.close(fd)
        return temporary
    raise FileExistsError(f"cannot find a free temporary name beside {folder / name}")


@contextlib.contextmanager
def replaced(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a path to write the new content of ``path`` to; when the block ends without
    an error, that file replaces ``path`` atomically (keeping ``path``'s permissions);
    when it raises, the file is removed and ``path`` is untouched.

    A target that is not a regular file (``/dev/stdout``, a named pipe), or one in a
    folder where no temporary file can be created, is written in place.
    """
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()  # write where the link points; the link stays a link
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        yield target
        return
    folder = target.parent if str(target.parent) else Path(".")
    temporary = new_temporary(folder, target.name) if folder.is_dir() else None
    if temporary is None:
        yield target  # no temporary file possible: as ``open(path, "w")`` would
        return
    try:
        yield temporary
        if existing is not None:
            os.chmod(temporary, stat.S_IMODE(existing.st_mode))
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    # The new file is in place; a folder that cannot be synced only risks the previous
    # version coming back after a power cut.
    with contextlib.suppress(OSError):
        fsync_folder(folder)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8 through :func:`replaced`."""
    with replaced(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
