"""The SQLite backend: the embedded default register.

Each thread gets its own connection (all from :func:`~.connection.connect`), so
readers in WAL mode never wait for a writer. Every write is one ``BEGIN IMMEDIATE``
transaction: it takes the write lock before reading anything, so the version checks,
ref allocation and event chain all see the latest commit of every other connection
and process. ``work`` is run again from the start (a bounded number of times) when
the lock stays busy beyond the busy timeout.
"""

from __future__ import annotations

import heapq
import json
import operator
import os
import pathlib
import random
import sqlite3
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import orjson

from raidlog.backends.base import Backend, Capabilities, Entity, Finding, Transaction
from raidlog.backends.sqlite import compile as qc
from raidlog.backends.sqlite.audit import audit_side_tables
from raidlog.backends.sqlite.connection import Settings, connect, is_busy, parse_location
from raidlog.backends.sqlite.schema import (
    OTHER_TABLE,
    Column,
    TableSpec,
    ensure_schema,
    entity_spec,
    refuse_foreign,
    table_for_kind,
    table_specs,
)
from raidlog.backends.sqlite.words import fts_text
from raidlog.backends.sqlite.writer import Shapes, Writer
from raidlog.bulk import bulk, generated, unshared
from raidlog.convert import ENTITY_CLASSES, Codec, JsonDict, entity_kind
from raidlog.errors import (
    BackendError,
    ConflictError,
    DuplicateRefError,
    ImmutableItemError,
)
from raidlog.hookspecs import hookimpl
from raidlog.model.events import EVENT_FIELDS, ChainHead, Event, event_row
from raidlog.model.items import BUILTIN_KINDS, Item, Link
from raidlog.model.values import Relation
from raidlog.query import Query

__all__ = ["SQLiteBackend"]

T = TypeVar("T")

#: Back-off jitter from a generator of our own: the application's ``random`` stream
#: (which a caller may have seeded) is not ours to draw from.
_JITTER = random.Random()
#: How many times ``atomic`` runs ``work`` when the write lock stays busy.
MAX_ATTEMPTS = 8
_BATCH = 2000
#: Items whose rows a bulk insert builds before handing them to SQLite.
_ROWS_AT_ONCE = 5000
#: The most memory (bytes) the search index's pending terms take before it writes them
#: out as a segment (FTS5's ``hashsize``; its default is 1 MiB). A bulk write of many
#: items wrote a small segment every few hundred documents and merged them again and
#: again; with 8 MiB the index of a 100,000-item write costs about a quarter less.
#: FTS5 keeps the option in the index's own ``item_fts_config`` table (every SQLite
#: that reads the index knows it); it bounds the memory of the write that sets it.
FTS_HASHSIZE = 8 * 2**20
#: Documents a write adds at once from which it sets :data:`FTS_HASHSIZE` first.
_FTS_TUNED_FROM = 1000
#: Distinct queries (and counts) whose compiled SQL a backend keeps.
_PLANS_KEPT = 256
#: A count not compiled yet (``None`` is a count that nothing can match).
_UNCOMPILED: qc.Statement = ("", ())
#: What decoding a row edited outside raidlog raises (bad JSON, a bad date or time, a
#: field of the wrong type).
_DAMAGE = (ValueError, TypeError, KeyError)


_EVENT_LIST = ", ".join(EVENT_FIELDS)
_INSERT_EVENT = f"INSERT INTO events ({_EVENT_LIST}) VALUES ({', '.join('?' * len(EVENT_FIELDS))})"
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ORJSON = orjson.dumps


def _dumps(value: Any) -> str:
    if not value and isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return _ENCODE(value)


def _to_sql(column: Column, value: Any) -> Any:
    if column.codec == "json":
        return _dumps(value)
    if column.codec == "bool":
        return None if value is None else int(value)
    return value


def _from_sql(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.codec == "json":
        return json.loads(value)
    if column.codec == "bool":
        return bool(value)
    return value


class _Tables:
    """The item tables and the SQL text each needs, computed once per backend."""

    def __init__(self) -> None:
        self.specs = table_specs()
        self.other = self.specs[OTHER_TABLE]
        self.core = {c.name for c in self.other.columns} - {"kind", "fields"}
        self.select: dict[str, str] = {}
        self.by_ids: dict[str, str] = {}
        self.names = {name: spec.names for name, spec in self.specs.items()}
        self.insert: dict[str, str] = {}
        self.update: dict[str, str] = {}
        for name, spec in self.specs.items():
            cols = ", ".join(spec.names)
            self.select[name] = qc.select_sql(spec)
            self.by_ids[name] = (
                f"{self.select[name]} WHERE t.id IN (SELECT value FROM json_each(?))"
            )
            marks = ", ".join("?" * (len(spec.columns) + 1))
            self.insert[name] = f"INSERT INTO {name} (id, {cols}) VALUES ({marks})"
            sets = ", ".join(f"{c} = ?" for c in spec.names)
            self.update[name] = (
                f"UPDATE {name} SET {sets} WHERE ref = ? AND version = ? RETURNING id"
            )

        self.builtin_kinds = {s.kind for s in self.specs.values() if s.kind is not None}
        # Per table: positions of the JSON and boolean columns, for building rows fast.
        self.json_at = {
            n: [i for i, c in enumerate(s.columns) if c.codec == "json"]
            for n, s in self.specs.items()
        }
        self.bool_at = {
            n: [i for i, c in enumerate(s.columns) if c.codec == "bool"]
            for n, s in self.specs.items()
        }

    def spec_for(self, kind: str) -> TableSpec:
        return self.specs[table_for_kind(kind)]


class SQLiteBackend(Backend):
    """A register in one SQLite file: ``raid.db``, ``raid.sqlite``, ``sqlite:///path``."""

    name: ClassVar[str] = "sqlite"
    schemes: ClassVar[tuple[str, ...]] = ("sqlite",)
    suffixes: ClassVar[tuple[str, ...]] = (".db", ".sqlite", ".sqlite3")
    capabilities: ClassVar[Capabilities] = Capabilities(
        persistent=True,
        concurrent_threads=True,
        concurrent_processes=True,
        full_text_search=True,
        query_pushdown=True,
        backup=True,
        derived_tables=True,
    )

    def __init__(self, location: str, codec: Codec, path: pathlib.Path, settings: Settings) -> None:
        super().__init__(location, codec)
        self.path = path
        self.settings = settings
        self._tables = _Tables()
        self._readers: dict[str, Callable[[Sequence[Any]], Item]] = {}
        # Compiled queries and counts by query (a dashboard asks the same ones again).
        self._plans: dict[Query, qc.Plan] = {}
        self._counts: dict[Query, qc.Statement | None] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        # Each connection with the thread that uses it: a finished thread's connection
        # is closed when a new one is made, so short-lived threads do not pile them up.
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> SQLiteBackend:
        """Open or create the register file; reads only ``meta`` and the catalogue.

        Raises :class:`~raidlog.errors.BackendError` for a file that is not a raidlog
        register, :class:`~raidlog.errors.SchemaVersionError` for one written by a
        newer release.
        """
        settings = Settings.from_options(options)
        path = parse_location(location)
        backend = cls(location, codec, path, settings)
        try:
            conn = backend._conn(inspect=refuse_foreign)
            ensure_schema(conn, location)
        except BaseException:
            backend.close()
            raise
        return backend

    # connections ------------------------------------------------------------------------
    def _conn(
        self, inspect: Callable[[sqlite3.Connection], None] | None = None
    ) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise BackendError(f"{self.location} is closed; open the register again")
        conn = connect(self.path, self.settings, inspect=inspect)
        with self._lock:
            finished = [c for t, c in self._connections if not t.is_alive()]
            self._connections = [(t, c) for t, c in self._connections if t.is_alive()]
            self._connections.append((threading.current_thread(), conn))
        for old in finished:
            old.close()
        self._local.conn = conn
        self._local.shapes = Shapes()
        return conn

    def _shapes(self) -> Shapes:
        """The bulk insert statements' shapes of this thread's connection."""
        shapes: Shapes = self._local.shapes
        return shapes

    def open_connections(self) -> int:
        """How many connections this backend holds open (one per live thread using it)."""
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        """Close every connection this backend opened (idempotent)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _, conn in connections:
            conn.close()
        self._local = threading.local()

    # writes -----------------------------------------------------------------------------
    def atomic(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction; retry it from the start
        when the lock stays busy, at most :data:`MAX_ATTEMPTS` times."""
        conn = self._conn()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                # The collector is most of the cost of building many objects in bulk
                # (see DESIGN.md); a write creates no cycles worth collecting mid-way.
                with bulk():
                    txn = _SQLiteTransaction(self, conn)
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(txn)
                        txn.flush_counters()  # after the writer thread stored every row
                        txn.writer.close()
                        conn.execute("COMMIT")
                    except BaseException:
                        txn.writer.close(abandon=True)
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        raise
                return result
            except sqlite3.OperationalError as exc:
                if is_busy(exc) and attempt < MAX_ATTEMPTS:
                    time.sleep(_JITTER.uniform(0.01, 0.05) * attempt)  # jitter, not crypto
                    continue
                raise BackendError(f"{self.location}: the write failed: {exc}") from exc
            except sqlite3.IntegrityError as exc:
                if "immutable" in str(exc):
                    raise ImmutableItemError(
                        f"{self.location} refused the change: {exc}".replace("raidlog: ", "")
                    ) from exc
                raise BackendError(f"{self.location} refused the change: {exc}") from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    def backup(self, path: str | os.PathLike[str]) -> None:
        """Copy the register to a new file at ``path`` with SQLite's online backup API,
        consistent even while other connections write. Refuses to overwrite a file."""
        target = pathlib.Path(path)
        if target.exists() and target.stat().st_size > 0:
            raise BackendError(f"{target} exists; back up to a new file")
        try:
            dest = sqlite3.connect(os.fspath(target))
        except sqlite3.Error as exc:
            raise BackendError(f"cannot create the backup {target}: {exc}") from exc
        try:
            self._conn().backup(dest)
        except sqlite3.Error as exc:
            raise BackendError(f"the backup to {target} failed: {exc}") from exc
        finally:
            dest.close()

    # reads ------------------------------------------------------------------------------
    def _item(self, spec: TableSpec, row: Sequence[Any]) -> Item:
        try:
            return self._decode_item(spec, row)
        except _DAMAGE as exc:
            raise BackendError(self._damaged(spec, row, exc)) from exc

    def _damaged(self, spec: TableSpec, row: Sequence[Any], exc: Exception) -> str:
        ref = row[spec.names.index("ref") + 1]
        return (
            f"{self.location}: the row of {ref} in table {spec.name} cannot be read ({exc}); "
            "it was changed outside raidlog: run `raidlog verify` to see what else was"
        )

    def _reader(self, spec: TableSpec) -> Callable[[Sequence[Any]], Item] | None:
        """The trusted reader of ``spec``'s rows (see ``Codec.row_reader``), made on first
        use; ``None`` for ``other_items``, whose kinds' own fields are one JSON column."""
        if spec.kind is None:
            return None
        reader = self._readers.get(spec.name)
        if reader is None:
            reader = self._readers[spec.name] = self.codec.row_reader(
                spec.kind, spec.names, start=1
            )
        return reader

    def _decode_item(self, spec: TableSpec, row: Sequence[Any]) -> Item:
        # Rows of the built-in kinds' tables: read as stored, types and shapes checked
        # (every read, verify's included, goes through the same reader; see security.md).
        reader = self._reader(spec)
        if reader is not None:
            return reader(row)
        data: JsonDict = {}
        for column, value in zip(spec.columns, row[1:], strict=True):
            data[column.name] = _from_sql(column, value)
        if spec.kind is None:
            data.update(data.pop("fields") or {})
        else:
            data["kind"] = spec.kind
        return self.codec.item_from_dict(data)

    def _get(self, conn: sqlite3.Connection, ref: str) -> Item | None:
        found = conn.execute("SELECT kind FROM refs WHERE ref = ?", (ref,)).fetchone()
        if found is None:
            return None
        spec = self._tables.spec_for(found[0])
        row = conn.execute(self._tables.select[spec.name] + " WHERE ref = ?", (ref,)).fetchone()
        return None if row is None else self._item(spec, row)

    def get(self, ref: str) -> Item | None:
        """The stored item with this ref, or ``None``."""
        return self._get(self._conn(), ref)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        cursor = self._conn().execute(sql, params)
        try:
            while batch := cursor.fetchmany(_BATCH):
                yield from batch
        finally:
            cursor.close()

    def _scan(self, spec: TableSpec, where: str = "", params: Sequence[Any] = ()) -> Iterator[Item]:
        sql = self._tables.select[spec.name] + where + " ORDER BY t.ref"
        return (self._item(spec, row) for row in self._rows(sql, params))

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        """Every item (of these kinds) in ref order: each table in ref order, merged."""
        wanted = None if kinds is None else set(kinds)
        scans = []
        for spec in self._tables.specs.values():
            if wanted is None:
                scans.append(self._scan(spec))
            elif spec.kind is None:
                others = sorted(wanted - self._tables.builtin_kinds)
                if others:
                    scans.append(
                        self._scan(
                            spec,
                            " WHERE t.kind IN (SELECT value FROM json_each(?))",
                            (json.dumps(others),),
                        )
                    )
            elif spec.kind in wanted:
                scans.append(self._scan(spec))
        if len(scans) == 1:
            return scans[0]
        return heapq.merge(*scans, key=lambda item: item.ref or "")

    def _decode_event(self, row: Sequence[Any]) -> Event:
        data = dict(zip(EVENT_FIELDS, row, strict=True))
        data["changes"] = json.loads(data["changes"])
        return self.codec.event_from_dict(data)

    def _event(self, row: Sequence[Any]) -> Event:
        try:
            return self._decode_event(row)
        except _DAMAGE as exc:
            raise BackendError(
                f"{self.location}: event {row[0]} cannot be read ({exc}); the event log was "
                "changed outside raidlog: run `raidlog verify`"
            ) from exc

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        """Stored events in sequence order (of one ref; after a sequence number)."""
        sql = f"SELECT {_EVENT_LIST} FROM events WHERE seq > ?"
        params: tuple[Any, ...] = (after,)
        if ref is not None:
            sql += " AND ref = ?"
            params += (ref,)
        return (self._event(row) for row in self._rows(sql + " ORDER BY seq", params))

    # verify ---------------------------------------------------------------------------
    def scan_items(self) -> Iterator[Item | Finding]:
        """Every item in ref order; a row that cannot be decoded is a Finding."""

        def scan(spec: TableSpec) -> Iterator[Item | Finding]:
            for row in self._rows(self._tables.select[spec.name] + " ORDER BY t.ref"):
                try:
                    yield self._decode_item(spec, row)
                except _DAMAGE as exc:
                    ref = row[spec.names.index("ref") + 1]
                    yield Finding(
                        table=spec.name,
                        ref=str(ref),
                        reason=f"the item's row cannot be read ({exc}): changed outside raidlog",
                    )

        scans = [scan(spec) for spec in self._tables.specs.values()]
        return heapq.merge(*scans, key=lambda found: found.ref or "")

    def scan_events(self) -> Iterator[Event | Finding]:
        """Every event in sequence order; a row that cannot be decoded is a Finding."""
        for row in self._rows(f"SELECT {_EVENT_LIST} FROM events ORDER BY seq"):
            try:
                yield self._decode_event(row)
            except _DAMAGE as exc:
                yield Finding(
                    table="events",
                    seq=row[0] if isinstance(row[0], int) else None,
                    ref=None if row[1] is None else str(row[1]),
                    reason=f"the event's row cannot be read ({exc}): changed outside raidlog",
                )

    def audit(self, items: Mapping[str, Item]) -> list[Finding]:
        """Check ``refs``, ``links``, ``escalations`` and the ``item_fts`` search index
        against ``items`` (the item tables themselves are what :meth:`items` reads)."""
        return audit_side_tables(self._conn(), self._tables.specs.values(), items)

    def _entity(self, entity: type[Entity], row: Sequence[Any]) -> Entity:
        _, columns = entity_spec(entity)
        data: JsonDict = {c.name: _from_sql(c, v) for c, v in zip(columns, row, strict=True)}
        data["entity"] = entity_kind(entity)
        return self.codec.entity_from_dict(data)

    def _entities(self, conn: sqlite3.Connection, entity: type[Entity]) -> list[Entity]:
        table, columns = entity_spec(entity)
        sql = f"SELECT {', '.join(c.name for c in columns)} FROM {table} ORDER BY name"
        return [self._entity(entity, row) for row in conn.execute(sql)]

    def entities(self) -> list[Entity]:
        """Every node, body and objective of the structure, each by name."""
        conn = self._conn()
        return [e for cls in ENTITY_CLASSES.values() for e in self._entities(conn, cls)]

    def get_meta(self, key: str) -> str | None:
        """A value of the ``meta`` table, or ``None``."""
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def head(self) -> ChainHead:
        """The last event's sequence number and hash, from the ``events`` primary key."""
        return _head(self._conn())

    # push-down --------------------------------------------------------------------------
    def _plan(self, query: Query) -> qc.Plan:
        """The statements answering ``query``, compiled once per distinct query."""
        found = self._plans.get(query)
        if found is None:
            found = qc.plan(query, list(self._tables.specs.values()))
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[query] = found
        return found

    def _read_rows(self, spec: TableSpec, rows: Iterable[Sequence[Any]]) -> list[Item]:
        """The items of ``rows`` of ``spec``'s table (a damaged row: ``BackendError``)."""
        read = self._reader(spec) or (lambda row: self._decode_item(spec, row))
        items: list[Item] = []
        append = items.append
        row: Sequence[Any] = ()
        try:
            for row in rows:
                append(read(row))
        except _DAMAGE as exc:
            raise BackendError(self._damaged(spec, row, exc)) from exc
        return items

    def query(self, query: Query) -> list[Item]:
        """Answer ``query`` in SQL: filters, FTS5 text search, order, offset and limit."""
        plan = self._plan(query)
        conn = self._conn()
        if plan.rows is not None:
            spec, sql, params = plan.rows
            return self._read_rows(spec, conn.execute(sql, params))
        if plan.hits is None:
            return []
        hits: list[tuple[int, int]] | None = None
        if plan.first is not None:
            top = conn.execute(*plan.first).fetchall()
            if len(top) == plan.wanted:
                hits = top[plan.offset :]
        if hits is None:
            hits = conn.execute(*plan.hits).fetchall()
        # Then each table's rows by id: one statement a table (a body's view has two
        # arms a table), only for the rows returned.
        by_table: dict[str, list[int]] = {}
        for number, ident in hits:
            by_table.setdefault(plan.arms[number].name, []).append(ident)
        found: dict[tuple[str, int], Item] = {}
        for name, idents in by_table.items():
            spec = self._tables.specs[name]
            ids = f"[{','.join(map(str, idents))}]"
            rows = conn.execute(self._tables.by_ids[name], (ids,)).fetchall()
            for row, item in zip(rows, self._read_rows(spec, rows), strict=True):
                found[name, row[0]] = item
        return [found[plan.arms[number].name, ident] for number, ident in hits]

    def count(self, query: Query) -> int:
        """How many items match the filters of ``query``, counted in SQL."""
        statement = self._counts.get(query, _UNCOMPILED)
        if statement is _UNCOMPILED:
            statement = qc.count_sql(query, list(self._tables.specs.values()))
            if len(self._counts) >= _PLANS_KEPT:
                self._counts.clear()
            self._counts[query] = statement
        if statement is None:
            return 0
        sql, params = statement
        return int(self._conn().execute(sql, params).fetchone()[0])

    def links_to(self, ref: str) -> list[tuple[str, Relation]]:
        """Links pointing at ``ref``, from the ``links`` table's target index."""
        rows = self._conn().execute(
            "SELECT source, relation FROM links WHERE target = ? ORDER BY source, position",
            (ref,),
        )
        return [(source, Relation(relation)) for source, relation in rows]


def _head(conn: sqlite3.Connection) -> ChainHead:
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return ChainHead() if row is None else ChainHead(int(row[0]), str(row[1]))


class _SQLiteTransaction(Transaction):
    """The register under ``BEGIN IMMEDIATE``: every read sees this transaction's writes.

    Large inserts are stored by :attr:`writer` on a thread of its own while the register
    makes the next rows; :attr:`conn` waits for them first, so whatever uses the
    connection sees them. What the transaction writes it also keeps (the chain's head,
    the next row id), so a bulk write's slices never wait for the writer to read them."""

    def __init__(self, backend: SQLiteBackend, conn: sqlite3.Connection) -> None:
        self.backend = backend
        self._conn = conn
        self.writer = Writer(conn, backend._shapes())
        self.tables = backend._tables
        self._head: ChainHead | None = None  # the chain's head once read or written
        self._next_ident: int | None = None  # the next id of the refs table, once read
        # Ref counters read once and kept here: BEGIN IMMEDIATE holds the write lock, so
        # no other writer can move them before flush_counters() writes them back.
        self.counters: dict[str, int] = {}
        self.fts_tuned = False  # whether this write checked the index's hashsize

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, once the writer thread has stored every row handed to it."""
        self.writer.wait()
        return self._conn

    def get(self, ref: str) -> Item | None:
        return self.backend._get(self.conn, ref)

    def head(self) -> ChainHead:
        if self._head is None:
            self._head = _head(self.conn)
        return self._head

    def _counter(self, prefix: str) -> int:
        if prefix not in self.counters:
            row = self.conn.execute("SELECT last FROM counters WHERE prefix = ?", (prefix,))
            found = row.fetchone()
            self.counters[prefix] = 0 if found is None else int(found[0])
        return self.counters[prefix]

    def allocate(self, prefix: str) -> int:
        number = self._counter(prefix) + 1
        self.counters[prefix] = number
        return number

    def reserve(self, prefix: str, number: int) -> None:
        self.counters[prefix] = max(self._counter(prefix), number)

    def flush_counters(self) -> None:
        """Write the counters this transaction moved (called just before COMMIT)."""
        self.conn.executemany(
            "INSERT INTO counters (prefix, last) VALUES (?, ?) "
            "ON CONFLICT (prefix) DO UPDATE SET last = max(last, excluded.last)",
            list(self.counters.items()),
        )

    def _row(self, spec: TableSpec, ident: int, item: Item) -> Sequence[Any]:
        data = self.backend.codec.item_to_dict(item)
        if spec.kind is not None:
            return _maker(spec)(ident, data)
        core = self.tables.core
        fields = {k: v for k, v in data.items() if k not in core and k != "kind"}
        data = {**{k: v for k, v in data.items() if k in core}, "kind": item.kind}
        data["fields"] = fields
        row: list[Any] = [ident, *map(data.get, self.tables.names[spec.name])]
        for i in self.tables.json_at[spec.name]:
            row[i + 1] = _dumps(row[i + 1])
        for i in self.tables.bool_at[spec.name]:
            if row[i + 1] is not None:
                row[i + 1] = int(row[i + 1])
        return row

    def put(self, writes: Sequence[tuple[Item, int]]) -> None:
        inserts = [item for item, expected in writes if expected == 0]
        if inserts:
            self._insert(inserts)
        for item, expected in writes:
            if expected != 0:
                self._update(item, expected)

    def _insert(self, items: Sequence[Item]) -> None:
        if self._next_ident is None:
            found = self.conn.execute("SELECT coalesce(max(id), 0) FROM refs").fetchone()
            self._next_ident = int(found[0]) + 1
        start = self._next_ident
        self._next_ident += len(items)
        idents = range(start, start + len(items))
        refs = list(zip(idents, map(_REF, items), map(_KIND, items), strict=True))
        # Whole: the rows of the item tables, links and escalations refer to these.
        write = self.writer.insert
        write("INSERT INTO refs (id, ref, kind) VALUES (?, ?, ?)", refs, self._taken, whole=True)
        del refs
        numbered = list(zip(idents, items, strict=True))
        to_dict = self.backend.codec.item_to_dict
        # In slices, so a bulk write never holds every row of every table at once.
        for first in range(0, len(numbered), _ROWS_AT_ONCE):
            rows: dict[str, list[Sequence[Any]]] = {}
            # By class: its table's row list's append, its table and, for a built-in
            # kind's table, the row maker.
            kinds: dict[type[Item], tuple[Callable[[Any], None], TableSpec, _RowMaker | None]]
            kinds = {}
            for ident, item in numbered[first : first + _ROWS_AT_ONCE]:
                found = kinds.get(type(item))
                if found is None:
                    spec = self.tables.spec_for(item.kind)
                    maker = None if spec.kind is None else _maker(spec)
                    add = rows.setdefault(spec.name, []).append
                    found = kinds[type(item)] = (add, spec, maker)
                add, spec, maker = found
                if maker is None:
                    add(self._row(spec, ident, item))
                else:
                    add(maker(ident, to_dict(item)))
            for name, batch in rows.items():
                self.writer.insert(self.tables.insert[name], batch)
        self._side_tables(numbered)

    def _taken(self, exc: BaseException, rows: Sequence[Sequence[Any]]) -> BaseException | None:
        """What an insert of ``refs`` rows raises when one is taken: the ref, named
        (:data:`~.writer.OnError`: called by the writer while its thread is idle)."""
        if not isinstance(exc, sqlite3.IntegrityError):
            return None
        return DuplicateRefError(self._duplicate([str(row[1]) for row in rows]))

    def _duplicate(self, refs: list[str]) -> str:
        seen: set[str] = set()
        for ref in refs:
            if ref in seen:
                return ref
            seen.add(ref)
        # The raw connection: called while the writer handles the failed insert.
        taken = self._conn.execute(
            "SELECT ref FROM refs WHERE ref IN (SELECT value FROM json_each(?)) ORDER BY ref",
            (json.dumps(refs),),
        ).fetchone()
        return str(taken[0]) if taken else refs[0]

    def _side_tables(self, items: Sequence[tuple[int, Item]]) -> None:
        """Rows of ``links``, ``escalations`` and ``item_fts`` for new item versions."""
        links: list[tuple[Any, ...]] = []
        escalations: list[tuple[Any, ...]] = []
        for _, item in items:
            if item.links:
                links.extend(
                    (item.ref, n, link.relation.value, link.target)
                    for n, link in enumerate(item.links)
                )
            if item.escalated_to:
                escalations.extend((body, item.ref) for body in item.escalated_to)
        documents = [(ident, fts_text(item.title, item.description)) for ident, item in items]
        write = self.writer.insert
        write("INSERT INTO links (source, position, relation, target) VALUES (?, ?, ?, ?)", links)
        write("INSERT INTO escalations (body, ref) VALUES (?, ?)", escalations)
        if len(items) >= _FTS_TUNED_FROM and not self.fts_tuned:
            self._tune_fts()
        write("INSERT INTO item_fts (rowid, words) VALUES (?, ?)", documents)

    def _tune_fts(self) -> None:
        """Give the search index :data:`FTS_HASHSIZE` (once per write, before its first
        large slice of documents; a register keeps it from then on)."""
        self.fts_tuned = True
        found = self.conn.execute("SELECT v FROM item_fts_config WHERE k = 'hashsize'").fetchone()
        if found is None or found[0] != FTS_HASHSIZE:
            self.conn.execute(
                "INSERT INTO item_fts (item_fts, rank) VALUES ('hashsize', ?)", (FTS_HASHSIZE,)
            )

    def _update(self, item: Item, expected: int) -> None:
        spec = self.tables.spec_for(item.kind)
        before = self.conn.execute(
            f"SELECT id, title, description FROM {spec.name} WHERE ref = ? AND version = ?",
            (item.ref, expected),
        ).fetchone()
        if before is None:
            raise ConflictError(str(item.ref), expected, self.get(str(item.ref)))
        ident, title, description = before
        row = tuple(self._row(spec, 0, item))[1:]
        self.conn.execute(self.tables.update[spec.name], (*row, item.ref, expected)).fetchall()
        self.conn.execute("DELETE FROM links WHERE source = ?", (item.ref,))
        self.conn.execute("DELETE FROM escalations WHERE ref = ?", (item.ref,))
        # The index keeps no copy of the text: its entry is removed by handing it the
        # document it was given, made again from the stored title and description.
        self.conn.execute(
            "INSERT INTO item_fts (item_fts, rowid, words) VALUES ('delete', ?, ?)",
            (ident, fts_text(title, description or "")),
        )
        self._side_tables([(int(ident), item)])

    def append(self, events: Sequence[Event]) -> None:
        if events:
            self.writer.insert(_INSERT_EVENT, list(_event_rows(events)))
            self._head = ChainHead(events[-1].seq, events[-1].hash)

    def append_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.writer.insert(_INSERT_EVENT, list(_text_times(rows)))
            last = rows[-1]
            self._head = ChainHead(int(last[0]), str(last[-1]))

    def get_entity(self, entity: type[Entity], name: str) -> Entity | None:
        table, columns = entity_spec(entity)
        row = self.conn.execute(
            f"SELECT {', '.join(c.name for c in columns)} FROM {table} WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else self.backend._entity(entity, row)

    def put_entity(self, entity: Entity, expected_version: int) -> None:
        table, columns = entity_spec(type(entity))
        data = self.backend.codec.entity_to_dict(entity)
        values = [_to_sql(c, data.get(c.name)) for c in columns]
        label = f"{entity_kind(type(entity))}:{entity.name}"
        if expected_version == 0:
            try:
                self.conn.execute(
                    f"INSERT INTO {table} ({', '.join(c.name for c in columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    values,
                )
            except sqlite3.IntegrityError:
                raise ConflictError(label, 0, None) from None
            return
        sets = ", ".join(f"{c.name} = ?" for c in columns)
        done = self.conn.execute(
            f"UPDATE {table} SET {sets} WHERE name = ? AND version = ?",
            (*values, entity.name, expected_version),
        )
        if done.rowcount != 1:
            raise ConflictError(label, expected_version, None)

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


_RowMaker = Callable[[int, Mapping[str, Any]], tuple[Any, ...]]
_REF = operator.attrgetter("ref")
_KIND = operator.attrgetter("kind")
#: Each built-in kind's row maker, by table name (the tables are the same in every
#: register of this release).
_ROW_MAKERS: dict[str, Callable[[int, Mapping[str, Any]], tuple[Any, ...]]] = {}


def _maker(spec: TableSpec) -> Callable[[int, Mapping[str, Any]], tuple[Any, ...]]:
    """The row maker of a built-in kind's table (:func:`_row_maker`), made once."""
    maker = _ROW_MAKERS.get(spec.name)
    if maker is None:
        maker = _ROW_MAKERS[spec.name] = _row_maker(spec)
    return maker


def _row_maker(spec: TableSpec) -> Callable[[int, Mapping[str, Any]], tuple[Any, ...]]:
    """The row of a built-in kind's table from an item's dict (``Codec.item_to_dict``),
    written out column by column: JSON columns as :func:`_dumps` writes them, booleans
    as integers.

    Free text that is not ASCII (titles, descriptions: the fields typed ``str``) is
    bound as a copy (:func:`~raidlog.bulk.unshared`): these are the caller's own
    strings, which ``sqlite3`` would otherwise grow by their UTF-8 form."""
    cls = next(k for k in BUILTIN_KINDS if k.kind == spec.kind)
    hints = typing.get_type_hints(cls)
    values = ["ident"]
    for column in spec.columns:
        value = f"data[{column.name!r}]"
        if hints.get(column.name) is str:
            values.append(f"(v if type(v := {value}) is not str or v.isascii() else unshared(v))")
        elif column.codec == "json" and hints.get(column.name) in _LISTED:
            # A list of text or of links: orjson writes it as the standard library does
            # (and refuses what it cannot write, which names() hands to the latter).
            values.append(f"(names({value}) if {value} else '[]')")
        elif column.codec == "json":
            values.append(f"(mapped({value}) if {value} else dumps({value}))")
        elif column.codec == "bool":
            values.append(f"(None if {value} is None else int({value}))")
        else:
            values.append(value)
    source = f"def row(ident, data):\n    return ({', '.join(values)})"
    namespace: dict[str, Any] = {
        "mapped": _mapped_json,
        "dumps": _dumps,
        "names": _listed_json,
        "unshared": unshared,
    }
    # Code built from the table's own column names.
    label = f"raidlog.backends.sqlite row {spec.name}"
    maker: Callable[[int, Mapping[str, Any]], tuple[Any, ...]]
    maker = generated(source, "row", namespace, label)
    return maker


#: Field types whose dict values are lists of text or of links (``{relation, target}``).
_LISTED = (tuple[str, ...], tuple[Link, ...])


def _listed_json(value: list[Any]) -> str:
    """A list of text or of links as :func:`_dumps` writes it, through orjson (which
    writes such lists byte for byte as the standard library encoder does, keys in their
    order); what orjson refuses (a lone surrogate) goes to the encoder itself."""
    try:
        return _ORJSON(value).decode()
    except orjson.JSONEncodeError:
        return _ENCODE(value)


#: Value types orjson writes byte for byte as the standard library encoder does.
_PLAIN_VALUES = frozenset({str, int, bool, type(None)})


def _mapped_json(value: Any) -> str:
    """A JSON column's value (``extra``: a dict of what an import or a caller added) as
    :func:`_dumps` writes it: through orjson when it is a dict of text keys and text,
    integer, boolean or null values, which orjson writes as the standard library does
    (about 0.8 against 5.5 µs for an imported item's ``extra``); anything else (floats,
    which the two write differently, nested values, other keys, a lone surrogate or an
    integer beyond 64 bits, which orjson refuses) through the encoder itself."""
    if type(value) is dict and _PLAIN_VALUES.issuperset(map(type, value.values())):
        try:
            return _ORJSON(value).decode()
        except orjson.JSONEncodeError:
            pass
    return _ENCODE(value)


def _text_times(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Event rows with their time as ISO text, made as SQLite takes them."""
    at, at_text = None, ""
    for row in rows:
        when = row[6]
        if when is not at:  # the events of one write share their time
            at, at_text = when, when.isoformat()
        yield (*row[:6], at_text, *row[7:])


def _event_rows(events: Iterable[Event]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``events``, made as SQLite takes them."""
    at, at_text = None, ""
    for event in events:
        if event.at is not at:  # the events of one write share their time
            at, at_text = event.at, event.at.isoformat()
        yield event_row(event, at_text)


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The built-in SQLite backend, registered like any plugin's."""
    return [SQLiteBackend]
