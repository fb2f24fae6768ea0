"""The SQLite schema: tables a person can read, and the ordered migrations.

One table per built-in kind (``risks``, ``actions``...) with a column per field;
tuples, ``links`` and ``extra`` are JSON text, dates ISO text and date-times ISO text
with their UTC offset, so a round trip is exact. Kinds that plugins add share
``other_items``, whose ``fields`` column holds their own fields as JSON. Every item
also has a row in ``refs``, which makes a ref unique across kinds and gives the
item the integer id the full-text index uses. ``links`` and ``escalations`` mirror
what items hold so both-direction link look-ups and a body's view use indexes; the
view ``register`` shows every kind in one table.

Migrations are an ordered tuple: ``MIGRATIONS[n]`` takes a register from schema
version ``n`` to ``n + 1`` (version 0 is an empty file); a new register runs them all.
Each is frozen once released: schema 1 is the literal DDL of ``ddl/schema-1.sql`` and
every later step states its own SQL, so nothing here follows today's model by itself.
:func:`table_specs` (how the backend reads and writes rows) does follow the model: when
a field is added, add a migration that adds its column (and rebuilds the ``register``
view and the ``decisions_frozen`` trigger). The golden registers of earlier releases in
``tests/backends/golden/`` fail the tests until the two agree. A register opened by an
older release than the one that wrote it raises ``SchemaVersionError``.
"""

from __future__ import annotations

import functools
import sqlite3
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime
from importlib import resources
from typing import Any

import attrs

from raidlog.backends.sqlite.words import WORDS_FORMAT, fts_text
from raidlog.convert import entity_kind
from raidlog.errors import BackendError, SchemaVersionError
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import BUILTIN_KINDS, Item

__all__ = [
    "APPLICATION",
    "MIGRATIONS",
    "OTHER_TABLE",
    "SCHEMA_VERSION",
    "Column",
    "TableSpec",
    "ensure_schema",
    "entity_spec",
    "index_words",
    "refuse_foreign",
    "table_specs",
]

#: What the ``application`` key of ``meta`` holds in every raidlog register.
APPLICATION = "raidlog"
#: The schema version this release writes.
SCHEMA_VERSION = 4
#: The table of items whose kind a plugin added.
OTHER_TABLE = "other_items"

_TABLE_NAMES = {
    k.kind: ("dependencies" if k.kind == "dependency" else f"{k.kind}s") for k in BUILTIN_KINDS
}


@attrs.frozen
class Column:
    """A column: its SQL type and how a value crosses between the codec and SQLite."""

    name: str
    sqltype: str  # TEXT, INTEGER or REAL
    codec: str = "plain"  # plain, json or bool


@attrs.frozen
class TableSpec:
    """An item table: its name, the kind it holds (``None``: plugin kinds) and columns
    (without ``id``; ``other_items`` also has ``kind`` and ``fields``)."""

    name: str
    kind: str | None
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in table order (``id`` left out)."""
        return tuple(c.name for c in self.columns)

    def has(self, name: str) -> bool:
        """Whether the table has a column called ``name``."""
        return name in self.names


def _column(name: str, hint: Any) -> Column:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    if hint is bool:
        return Column(name, "INTEGER", "bool")
    if hint is int:
        return Column(name, "INTEGER")
    if hint is float:
        return Column(name, "REAL")
    if hint in (str, date, datetime) or (isinstance(hint, type) and issubclass(hint, str)):
        return Column(name, "TEXT")
    return Column(name, "TEXT", "json")


def _columns(cls: type[Any], skip: Sequence[str] = ()) -> tuple[Column, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(_column(f.name, hints[f.name]) for f in attrs.fields(cls) if f.name not in skip)


@functools.cache
def table_specs() -> dict[str, TableSpec]:
    """Every item table by name: the built-in kinds' tables, then ``other_items``."""
    specs = {
        name: TableSpec(name, kind, _columns(next(k for k in BUILTIN_KINDS if k.kind == kind)))
        for kind, name in _TABLE_NAMES.items()
    }
    core = _columns(Item)
    other = (Column("kind", "TEXT"), *core, Column("fields", "TEXT", "json"))
    specs[OTHER_TABLE] = TableSpec(OTHER_TABLE, None, other)
    return specs


_ENTITY_SPECS: dict[type[Any], tuple[str, tuple[Column, ...]]] = {}


_ENTITY_TABLES = {"node": "nodes", "body": "bodies", "objective": "objectives"}


def entity_spec(
    entity: type[Node] | type[Body] | type[Objective],
) -> tuple[str, tuple[Column, ...]]:
    """The table of a structure record class (nodes, bodies, objectives) and its columns."""
    found = _ENTITY_SPECS.get(entity)
    if found is None:
        found = _ENTITY_TABLES[entity_kind(entity)], _columns(entity)
        _ENTITY_SPECS[entity] = found
    return found


def table_for_kind(kind: str) -> str:
    """The table that stores items of ``kind``."""
    return _TABLE_NAMES.get(kind, OTHER_TABLE)


# inspection -----------------------------------------------------------------------------
def _tables(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    }


def refuse_foreign(conn: sqlite3.Connection) -> None:
    """Raise ``BackendError`` unless the file is empty or a raidlog register.

    Reads only the catalogue and ``meta``: nothing is written to a foreign file.
    """
    tables = _tables(conn)
    if not tables:
        return
    application = None
    if "meta" in tables:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
        except sqlite3.Error:
            row = None
        application = row[0] if row else None
    if application != APPLICATION:
        raise BackendError(
            "this SQLite file is not a raidlog register (it already holds tables: "
            f"{', '.join(sorted(tables)[:5])}{'...' if len(tables) > 5 else ''}); "
            "open or create a register in a new file"
        )


def stored_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in ``meta`` (0 for an empty file)."""
    if "meta" not in _tables(conn):
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise BackendError(f"the register's schema version is unreadable ({row!r})")
    return int(row[0])


def ensure_schema(conn: sqlite3.Connection, location: str) -> int:
    """Create or migrate the schema; return the version now stored.

    Reads only ``meta`` and the catalogue when nothing is to do. Creation and every
    migration run in one ``BEGIN IMMEDIATE`` transaction, re-checked under the lock
    so that two processes opening a new file at once create it once.
    """
    version = stored_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{location} was written by a newer raidlog (schema version {version}; this "
            f"release reads up to {SCHEMA_VERSION}): upgrade raidlog to open it"
        )
    if version == SCHEMA_VERSION and _words_format(conn) == WORDS_FORMAT:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn)
        for step in MIGRATIONS[version:SCHEMA_VERSION]:
            step(conn)
        if _words_format(conn) != WORDS_FORMAT:
            # Written under another words format (another Unicode version, say): the
            # index must match what this release searches for, and removes.
            index_words(conn)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _words_format(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'fts_words'").fetchone()
    return None if row is None else str(row[0])


# version 1 ------------------------------------------------------------------------------
#: Item tables of every schema so far (the names are part of the stored format).
_ITEM_TABLES = (
    "risks",
    "actions",
    "issues",
    "decisions",
    "assumptions",
    "dependencies",
    "other_items",
)


def _statements(name: str) -> list[str]:
    """The statements of a frozen DDL file in ``ddl/``, split where SQLite says one ends
    (a trigger's body holds semicolons of its own)."""
    text = resources.files(__package__).joinpath("ddl", name).read_text(encoding="utf-8")
    statements: list[str] = []
    pending = ""
    for line in text.splitlines(keepends=True):
        if not pending and (not line.strip() or line.startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise BackendError(f"raidlog's own {name} ends inside a statement: reinstall raidlog")
    return statements


def _create_v1(conn: sqlite3.Connection) -> None:
    """Schema 1 exactly as release 976a6e5 created it: literal DDL (``ddl/schema-1.sql``),
    not built from today's model, so a change of the model needs a migration of its own
    (the golden files in ``tests/backends/golden/`` fail without one)."""
    for statement in _statements("schema-1.sql"):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('application', ?), ('schema_version', '0')",
        (APPLICATION,),
    )


# version 2 ------------------------------------------------------------------------------
def _add_objectives_v2(conn: sqlite3.Connection) -> None:
    """Objectives (OKRs) became structure records beside nodes and bodies."""
    conn.execute(
        'CREATE TABLE "objectives" (\n'
        '   "name" TEXT PRIMARY KEY,\n'
        '   "title" TEXT,\n'
        '   "node" TEXT,\n'
        '   "owner" TEXT,\n'
        '   "key_results" TEXT,\n'
        '   "version" INTEGER NOT NULL\n'
        ")"
    )


# version 3 ------------------------------------------------------------------------------
_FTS = (
    "CREATE VIRTUAL TABLE item_fts USING fts5(words, content = '', "
    "tokenize = \"ascii tokenchars '_'\", detail = none, columnsize = 0)"
)


def index_words(conn: sqlite3.Connection) -> None:
    """(Re)build ``item_fts`` from every item's title and description, and record the
    words format it was built with."""
    conn.execute("DROP TABLE IF EXISTS item_fts")
    conn.execute(_FTS)
    for spec in table_specs().values():
        rows = conn.execute(f"SELECT id, title, description FROM {spec.name}")
        conn.executemany(
            "INSERT INTO item_fts (rowid, words) VALUES (?, ?)",
            ((ident, fts_text(title, description or "")) for ident, title, description in rows),
        )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('fts_words', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (WORDS_FORMAT,),
    )


def _contentless_fts_v3(conn: sqlite3.Connection) -> None:
    """The search index keeps no copy of the text (the item tables have it): a third of
    what a bulk write stored was that copy."""
    index_words(conn)


# version 4 ------------------------------------------------------------------------------
def _dashboard_indexes_v4(conn: sqlite3.Connection) -> None:
    """Indexes that releases after 976a6e5 gave new registers under schema 1 without a
    migration, so registers created before them never got them: ``rag`` on every item
    table, and a body's risks walked in score order (``risks_body`` on body, score)."""
    for table in _ITEM_TABLES:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_rag ON {table} (rag)")
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'risks_body'").fetchone()
    if row is None or "score" not in row[0]:
        conn.execute("DROP INDEX IF EXISTS risks_body")
        conn.execute("CREATE INDEX risks_body ON risks (body, score)")


#: ``MIGRATIONS[n]`` moves a register from schema version ``n`` to ``n + 1``. Each step
#: is frozen once released: it states its own DDL and never reads today's model.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_v1,
    _add_objectives_v2,
    _contentless_fts_v3,
    _dashboard_indexes_v4,
)
