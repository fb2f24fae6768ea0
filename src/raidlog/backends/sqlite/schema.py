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
version ``n`` to ``n + 1`` (version 0 is an empty file). A register opened by an
older release than the one that wrote it raises ``SchemaVersionError``.
"""

from __future__ import annotations

import functools
import sqlite3
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime
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
SCHEMA_VERSION = 3
#: The table of items whose kind a plugin added.
OTHER_TABLE = "other_items"

_TABLE_NAMES = {
    k.kind: ("dependencies" if k.kind == "dependency" else f"{k.kind}s") for k in BUILTIN_KINDS
}
#: Fields every dashboard query filters or sorts on: indexed in every item table.
_INDEXED = ("body", "status", "node", "due", "next_review", "owner", "rag")
#: A decision in one of these statuses is frozen (MADR): only the move to superseded or
#: deprecated may touch it, and only these columns with it.
_FROZEN_DECISION = ("accepted", "rejected", "deprecated", "superseded")
_DECISION_MOVE = ("status", "superseded_by", "closed_on", "version", "updated_at", "updated_by")


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


def _database(conn: sqlite3.Connection) -> Any:
    """sqlite-utils over ``conn``, for creating tables. Imported only when a schema is
    created or migrated: it imports pandas and numpy when they are installed, which
    opening an existing register has no use for."""
    import sqlite_utils  # deferred on purpose, see above

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


# version 1 ------------------------------------------------------------------------------
def _sql_type(column: Column) -> type:
    return {"INTEGER": int, "REAL": float}.get(column.sqltype, str)


def _create_v1(conn: sqlite3.Connection) -> None:
    db = _database(conn)

    def create(name: str, columns: dict[str, type], pk: Any, **kw: Any) -> None:
        conn.execute(db.create_table_sql(name, columns, pk=pk, **kw))

    create("meta", {"key": str, "value": str}, "key", not_null=["value"])
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('application', ?), ('schema_version', '0')",
        (APPLICATION,),
    )
    create("counters", {"prefix": str, "last": int}, "prefix", not_null=["last"])
    create("refs", {"id": int, "ref": str, "kind": str}, "id", not_null=["ref", "kind"])
    conn.execute("CREATE UNIQUE INDEX refs_ref ON refs (ref)")
    for spec in table_specs().values():
        columns: dict[str, type] = {"id": int}
        columns.update({c.name: _sql_type(c) for c in spec.columns})
        create(
            spec.name,
            columns,
            "id",
            not_null=["ref", "title", "version"] + (["kind"] if spec.kind is None else []),
            foreign_keys=[("id", "refs", "id")],
        )
        conn.execute(f"CREATE UNIQUE INDEX {spec.name}_ref ON {spec.name} (ref)")
        for name in _INDEXED + (("score",) if spec.has("score") else ()):
            # A body's items by score walk (body, score) in order and stop at the limit.
            columns_of = "body, score" if name == "body" and spec.has("score") else name
            conn.execute(f"CREATE INDEX {spec.name}_{name} ON {spec.name} ({columns_of})")
        if spec.kind is None:
            conn.execute(f"CREATE INDEX {spec.name}_kind ON {spec.name} (kind, status)")
        conn.execute(
            f"CREATE TRIGGER {spec.name}_no_delete BEFORE DELETE ON {spec.name} BEGIN "
            "SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them "
            "with a reason'); END"
        )
    conn.execute(
        "CREATE TRIGGER refs_no_delete BEFORE DELETE ON refs BEGIN "
        "SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them "
        "with a reason'); END"
    )
    decision = table_specs()["decisions"]
    kept = " AND ".join(
        f"new.{c} IS old.{c}" for c in ("id", *decision.names) if c not in _DECISION_MOVE
    )
    frozen = ", ".join(f"'{s}'" for s in _FROZEN_DECISION)
    conn.execute(
        f"CREATE TRIGGER decisions_frozen BEFORE UPDATE ON decisions "
        f"WHEN old.status IN ({frozen}) AND NOT (old.status = 'accepted' "
        f"AND new.status IN ('superseded', 'deprecated') AND {kept}) BEGIN "
        "SELECT RAISE(ABORT, 'raidlog: an accepted, rejected, deprecated or superseded "
        "decision is immutable; supersede it with a new decision'); END"
    )
    create(
        "links",
        {"source": str, "position": int, "relation": str, "target": str},
        ("source", "position"),
        not_null=["relation", "target"],
        foreign_keys=[("source", "refs", "ref")],
    )
    conn.execute("CREATE INDEX links_target ON links (target, source, position)")
    create(
        "escalations",
        {"body": str, "ref": str},
        ("body", "ref"),
        foreign_keys=[("ref", "refs", "ref")],
    )
    conn.execute("CREATE INDEX escalations_ref ON escalations (ref)")
    create(
        "events",
        {
            "seq": int,
            "ref": str,
            "kind": str,
            "action": str,
            "version": int,
            "actor": str,
            "at": str,
            "channel": str,
            "changes": str,
            "reason": str,
            "source": str,
            "prev_hash": str,
            "hash": str,
        },
        "seq",
        not_null=[
            *("ref", "kind", "action", "version", "actor", "at", "channel", "changes"),
            *("prev_hash", "hash"),
        ],
    )
    conn.execute("CREATE INDEX events_ref ON events (ref, seq)")
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events BEGIN "
            "SELECT RAISE(ABORT, 'raidlog: the event log is append-only'); END"
        )
    for entity in (Node, Body):
        _create_entity_table(conn, entity)
    # Words are stored as the query module splits them (``text_words``); a word that is
    # not plain ASCII letters and digits is stored hex-encoded behind "_", so matching
    # is exact whatever Unicode version SQLite's own tokenizers follow.
    conn.execute(
        "CREATE VIRTUAL TABLE item_fts USING fts5(words, tokenize = \"ascii tokenchars '_'\", "
        "detail = none, columnsize = 0)"
    )
    _create_register_view(conn)


def _create_register_view(conn: sqlite3.Connection) -> None:
    specs = table_specs()
    core = [c.name for c in specs[OTHER_TABLE].columns if c.name not in ("kind", "fields")]
    scores = ("score", "inherent_score", "residual_score", "cost_exposure")
    arms = []
    for spec in specs.values():
        kind = "kind" if spec.kind is None else f"'{spec.kind}' AS kind"
        extra = [s if spec.has(s) else f"NULL AS {s}" for s in scores]
        arms.append(f"SELECT id, {kind}, {', '.join(core + extra)} FROM {spec.name}")
    conn.execute("CREATE VIEW register AS " + " UNION ALL ".join(arms))


def _create_entity_table(
    conn: sqlite3.Connection, entity: type[Node] | type[Body] | type[Objective]
) -> None:
    db = _database(conn)
    name, cols = entity_spec(entity)
    columns = {c.name: _sql_type(c) for c in cols}
    conn.execute(db.create_table_sql(name, columns, pk="name", not_null=["version"]))


# version 2 ------------------------------------------------------------------------------
def _add_objectives_v2(conn: sqlite3.Connection) -> None:
    """Objectives (OKRs) became structure records beside nodes and bodies."""
    _create_entity_table(conn, Objective)


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


#: ``MIGRATIONS[n]`` moves a register from schema version ``n`` to ``n + 1``.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_v1,
    _add_objectives_v2,
    _contentless_fts_v3,
)
