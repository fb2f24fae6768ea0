"""Which of Datasette's databases are raidlog registers, and opening one read-only.

A database is a register when its ``meta`` table says so (what raidlog's SQLite backend
checks before it opens a file). The check reads through Datasette's own read-only
connection: opening a foreign or empty file with :func:`raidlog.open` would create a
register in it, and this plugin writes nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import raidlog
from raidlog import Register
from raidlog.backends.sqlite.schema import APPLICATION

__all__ = ["find_registers", "is_register", "open_read_only"]


async def is_register(db: Any) -> bool:
    """Whether the Datasette database ``db`` is a raidlog register file."""
    if db.is_memory or not db.path:
        return False
    try:
        if "meta" not in await db.table_names():
            return False
        rows = await db.execute("select value from meta where key = 'application'")
    except sqlite3.Error:
        return False
    row = rows.first()
    return row is not None and row[0] == APPLICATION


async def find_registers(datasette: Any) -> list[Any]:
    """The databases Datasette serves that are raidlog registers, in its order."""
    return [db for db in datasette.databases.values() if await is_register(db)]


def open_read_only(path: str, actor: str) -> Register:
    """Open the register at ``path`` for reading as ``actor``; any write through it
    raises :class:`~raidlog.errors.ReadOnlyError`."""
    # The sqlite: URL picks the SQLite backend whatever the file's suffix is.
    register = raidlog.open(f"sqlite:///{Path(path).resolve()}", actor=actor)
    register.read_only = True
    return register
