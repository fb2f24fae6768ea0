"""Locations, settings and the one connection factory of the SQLite backend.

Every connection the backend uses comes from :func:`connect`, which sets the pragmas
the backend's guarantees rest on and then reads them back: a connection that is not
in WAL mode with foreign keys on and the chosen ``synchronous`` level is an error,
never a silent downgrade.
"""

from __future__ import annotations

import os
import pathlib
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from raidlog.errors import BackendError, ValidationError

__all__ = [
    "NETWORK_FILESYSTEMS",
    "Settings",
    "connect",
    "filesystem_type",
    "is_busy",
    "parse_location",
]

#: File system types on which SQLite's WAL mode is unsafe (shared memory does not
#: work across machines; locks are unreliable).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smbfs",
        "smb3",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "fuse.sshfs",
        "fuse.glusterfs",
        "fuse.s3fs",
        "fuse.rclone",
        "davfs",
        "fuse.davfs",
    }
)

_SYNCHRONOUS = {"EXTRA": 3, "FULL": 2, "NORMAL": 1}
_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@attrs.frozen(kw_only=True)
class Settings:
    """Connection settings, from ``raidlog.open(..., options={...})``.

    - ``synchronous``: ``"FULL"`` (default: a committed change survives a power cut),
      ``"EXTRA"``, or ``"NORMAL"`` (faster; in WAL mode the last commits before a power
      cut or OS crash may be lost, never corrupted). ``OFF`` is not offered.
    - ``busy_timeout``: milliseconds a writer waits for another one (default 10,000).
    - ``cache_mib``: the most memory each connection's page cache may take, in MiB
      (default 64; SQLite's own default is 2). A bulk write touches the pages of every
      index over and over: a cache that holds them writes each page once, at commit.
    - ``trace``: a callable given every SQL statement run (debugging and tests).
    """

    synchronous: str = "FULL"
    busy_timeout: int = 10_000
    cache_mib: int = 64
    trace: Callable[[str], None] | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        """Validate ``options``; unknown keys and bad values are a ``ValidationError``."""
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValidationError(
                f"unknown SQLite option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                field=unknown[0],
            )
        level = str(options.get("synchronous", "FULL")).upper()
        if level not in _SYNCHRONOUS:
            raise ValidationError(
                f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not "
                f"{options['synchronous']!r}",
                field="synchronous",
            )
        timeout = options.get("busy_timeout", 10_000)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise ValidationError(
                f"busy_timeout is milliseconds (a whole number, 0 or more), not {timeout!r}",
                field="busy_timeout",
            )
        cache = options.get("cache_mib", 64)
        if isinstance(cache, bool) or not isinstance(cache, int) or cache < 1:
            raise ValidationError(
                f"cache_mib is a whole number of MiB, 1 or more, not {cache!r}", field="cache_mib"
            )
        trace = options.get("trace")
        if trace is not None and not callable(trace):
            raise ValidationError("trace must be a callable taking one SQL string", field="trace")
        return cls(synchronous=level, busy_timeout=timeout, cache_mib=cache, trace=trace)


def parse_location(location: str) -> pathlib.Path:
    """The file a location names.

    ``raid.db``, ``raid.sqlite`` and ``raid.sqlite3`` are paths;
    ``sqlite:///relative/raid.db`` is relative to the working directory and
    ``sqlite:////absolute/raid.db`` is absolute (as in SQLAlchemy URLs).
    """
    scheme, sep, rest = location.partition(":")
    if sep and len(scheme) > 1 and scheme.lower() == "sqlite":
        if not rest.startswith("///"):
            raise ValidationError(
                f"cannot read {location!r}: write sqlite:///relative/path.db or "
                "sqlite:////absolute/path.db (three slashes, then the path)",
                field="location",
            )
        path = rest[3:]
        if not path or path.endswith("/"):
            raise ValidationError(f"{location!r} names no file", field="location")
        return pathlib.Path(path)
    if not location.lower().endswith(_SUFFIXES):
        raise ValidationError(
            f"{location!r} is not a SQLite location; use a path ending in "
            f"{', '.join(_SUFFIXES)} or sqlite:///path",
            field="location",
        )
    return pathlib.Path(location)


def filesystem_type(path: pathlib.Path) -> str | None:
    """The type of the file system holding ``path`` (Linux; ``None`` where unknown)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            lines = mounts.read().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, found = -1, None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # Mount points escape spaces as \040 in /proc/self/mounts.
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, found = len(point), parts[2]
    return found


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says another connection holds the lock (worth retrying)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def connect(
    path: pathlib.Path,
    settings: Settings,
    *,
    inspect: Callable[[sqlite3.Connection], None] | None = None,
) -> sqlite3.Connection:
    """Open ``path`` with the backend's pragmas set and checked.

    ``inspect`` runs after the busy timeout is set and before anything is written
    (the journal mode is stored in the file), so a file that is not a register is
    refused untouched. The connection is in autocommit mode: the backend opens every
    transaction itself (``BEGIN IMMEDIATE`` for writes).
    """
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise BackendError(f"cannot create {path}: the folder {folder} does not exist")
    fstype = filesystem_type(folder)
    if fstype is not None and fstype.lower() in NETWORK_FILESYSTEMS:
        raise BackendError(
            f"{path} is on a network file system ({fstype}); SQLite's WAL mode, which raidlog "
            "needs for safe concurrent writers, does not work there. Keep the register on a "
            "local disk, or use the PostgreSQL backend (raidlog-postgres) for a shared register"
        )
    try:
        conn = sqlite3.connect(
            os.fspath(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=settings.busy_timeout / 1000,
        )
    except sqlite3.Error as exc:
        raise BackendError(f"cannot open {path}: {exc}") from exc
    try:
        if settings.trace is not None:
            conn.set_trace_callback(settings.trace)
        conn.execute(f"PRAGMA busy_timeout = {int(settings.busy_timeout)}")
        if inspect is not None:
            inspect(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {settings.synchronous}")
        conn.execute(f"PRAGMA cache_size = {-1024 * int(settings.cache_mib)}")
        _assert_pragmas(conn, path, settings)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackendError(f"{path} is not a SQLite database raidlog can open: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _assert_pragmas(conn: sqlite3.Connection, path: pathlib.Path, settings: Settings) -> None:
    found = {
        "foreign_keys": conn.execute("PRAGMA foreign_keys").fetchone()[0],
        "journal_mode": str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower(),
        "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        "busy_timeout": conn.execute("PRAGMA busy_timeout").fetchone()[0],
    }
    wanted = {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "synchronous": _SYNCHRONOUS[settings.synchronous],
        "busy_timeout": settings.busy_timeout,
    }
    wrong = [f"{k}={found[k]!r} (wanted {v!r})" for k, v in wanted.items() if found[k] != v]
    if wrong:
        raise BackendError(
            f"{path}: the connection refused its settings: {', '.join(wrong)}; the file may be "
            "read-only or on a file system without shared memory support"
        )
