"""The PostgreSQL backend: one register per schema, any number of writers.

Every write transaction starts by locking the ``writer`` row of ``meta``
(``SELECT ... FOR UPDATE``). Writers of one register therefore take turns, which is what
the hash chain needs (a single head: two writers never both append event N + 1), and
makes ref allocation from the ``counters`` table safe and gap-free. The version check
(``UPDATE ... WHERE ref = %s AND version = %s``) still guards every update, so a stale
copy raises :class:`~raidlog.errors.ConflictError` whatever the isolation level. A
serialization failure (40001) or deadlock (40P01) runs the whole work function again,
a bounded number of times with jittered back-off.

Reads take a pooled connection in autocommit mode; ``items()`` and ``events()`` page
through the table by key, so iterating a large register never pins a connection.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg import pq, sql
from psycopg.abc import Buffer, Transformer
from psycopg.adapt import Dumper, PyFormat
from psycopg.adapt import Transformer as RowTransformer
from psycopg.rows import TupleRow
from psycopg.types.string import BytesBinaryDumper
from psycopg_pool import ConnectionPool

from raidlog.spi import (
    EVENT_FIELDS,
    BackendError,
    ChainHead,
    Change,
    Codec,
    ConflictError,
    DuplicateRefError,
    Entity,
    Event,
    Finding,
    Item,
    Query,
    RaidLogError,
    Relation,
    Transaction,
    Worker,
    bulk,
    entity_kind,
    event_row,
)
from raidlog_postgres.audit import audit_tables
from raidlog_postgres.compile import ITEM_COLUMNS, order_clause, search_words, where_clause
from raidlog_postgres.lazy import LazyPostgresBackend
from raidlog_postgres.location import Options, PostgresLocation, parse_location, redact
from raidlog_postgres.schema import ensure_schema

__all__ = ["PostgresBackend"]

T = TypeVar("T")
#: Back-off jitter from a generator of our own: the application's ``random`` stream
#: (which a caller may have seeded) is not ours to draw from.
_JITTER = random.Random()
R = TypeVar("R")
Conn = psycopg.Connection[TupleRow]

#: SQLSTATEs after which the whole transaction is run again.
RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
# Below this many rows a multi-row INSERT beats setting up a COPY.
_COPY_FROM = 32
#: Inserts and event appends of at least this many rows are written on a helper thread.
_IN_BACKGROUND = 256
#: How many bulk writes may wait for the helper thread before the caller waits too (so
#: a bulk add keeps about two slices' COPY data alive, however large it is).
_QUEUED = 2
_PAGE = 2000
#: Column types for binary ``COPY`` (``json`` columns travel as their text, which is
#: json's binary form; psycopg's json dumper would encode the text once more).
_COPY_TYPES = {
    **dict.fromkeys(("ref", "kind", "title", "status", "priority", "rag"), "text"),
    **dict.fromkeys(("owner", "body", "node", "words", "doc", "actor", "action"), "text"),
    **dict.fromkeys(("channel", "changes", "reason", "source", "prev_hash", "hash"), "text"),
    **dict.fromkeys(("due", "next_review", "raised_on", "closed_on"), "date"),
    **dict.fromkeys(("score", "inherent_score", "residual_score", "seq"), "int8"),
    **dict.fromkeys(("created_at", "updated_at", "at"), "timestamptz"),
    **dict.fromkeys(("escalated_to", "objectives", "tags"), "text[]"),
    "version": "int4",
    "cost_exposure": "float8",
}
#: How a bulk insert sends the ``text[]`` columns and ``doc``: bytes already in the
#: server's binary form (an array's header and elements; json's UTF-8 text), which
#: psycopg's ``bytea`` dumper passes through as they are (binary ``COPY`` sends each
#: field as a length and bytes: the server reads them by the column's own type).
_PREFORMED = {**dict.fromkeys(("escalated_to", "objectives", "tags", "doc"), "bytea")}
_TEXT_OID = 25
_TEXT_ARRAY_OID = 1009
_ARRAY_HEAD = struct.Struct("!iiiii")  # dimensions, has nulls, element type, size, lower
_LENGTH = struct.Struct("!i")
_EMPTY_ARRAY = struct.pack("!iii", 0, 0, _TEXT_OID)  # no dimensions
#: The binary ``text[]`` of each tuple of names seen (tags, bodies, objectives repeat),
#: bounded: emptied when full.
_ARRAYS: dict[tuple[str, ...], bytes] = {}
_ARRAYS_KEPT = 10_000
_EVENT_COLUMNS = EVENT_FIELDS
#: A bulk insert's rows become one binary ``COPY`` payload per this many items.
_PAYLOAD = 5000
#: ... the first of a transaction this many, each next one twice the last.
_FIRST_PAYLOAD = 500
#: Binary ``COPY``: the signature and an empty header extension, then the rows, then
#: the trailer (a field count of -1).
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = b"\xff\xff"
_FIELD_COUNT = struct.Struct("!h")
_NULL_FIELD = _LENGTH.pack(-1)
#: The key in the detail of a unique violation of ``items``' primary key.
_TAKEN = re.compile(r"\(ref\)=\((.*)\)", re.DOTALL)
#: What decoding a row edited outside raidlog raises (a document that is not an item, a
#: field of the wrong type).
_DAMAGE = (ValueError, TypeError, KeyError)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _ref_of(doc: Any) -> str:
    """The ref a document names, for an error about it."""
    return str(doc.get("ref")) if isinstance(doc, dict) else "an item"


def _json_bytes(doc: Any) -> bytes:
    """``doc`` as JSON, UTF-8: by orjson (the model keeps numbers finite, so it writes
    what the standard library would, up to the spelling of some floats, which read back
    equal); the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return _dumps(doc).encode()


def _text_array(names: tuple[str, ...]) -> bytes:
    """``names`` as a binary one-dimensional ``text[]`` (no nulls), cached by value."""
    if not names:
        return _EMPTY_ARRAY
    found = _ARRAYS.get(names)
    if found is None:
        found = _binary_text_array(names)
        if len(_ARRAYS) >= _ARRAYS_KEPT:
            _ARRAYS.clear()
        _ARRAYS[names] = found
    return found


def _binary_text_array(names: Sequence[str]) -> bytes:
    """``names`` (at least one) as a binary one-dimensional ``text[]``, no nulls."""
    encoded = [name.encode() for name in names]
    return _ARRAY_HEAD.pack(1, 0, _TEXT_OID, len(encoded), 1) + b"".join(
        _LENGTH.pack(len(e)) + e for e in encoded
    )


def _python_format_row_binary(row: Sequence[Any], tx: Transformer, out: bytearray) -> None:
    """``row`` in binary ``COPY`` form, appended to ``out`` (psycopg's own, in Python:
    for a psycopg whose C module is missing or moved)."""
    out += _FIELD_COUNT.pack(len(row))
    for field in tx.dump_sequence(row, [PyFormat.BINARY] * len(row)):
        if field is None:
            out += _NULL_FIELD
        else:
            out += _LENGTH.pack(len(field))
            out += field


try:  # psycopg's row formatter (C in psycopg's binary build): not public API
    from psycopg._copy_base import format_row_binary as _format_row_binary
except ImportError:  # pragma: no cover - another psycopg layout
    _format_row_binary = _python_format_row_binary


class _TextArray(bytes):
    """A ``text[]`` parameter already in its binary form (see :func:`_binary_text_array`)."""


class _TextArrayDumper(Dumper):
    """Sends a :class:`_TextArray` as it is: psycopg's list dumper is Python, a few µs
    an element (a bulk insert's look-up of its refs sends thousands)."""

    format = pq.Format.BINARY
    oid = _TEXT_ARRAY_OID

    def dump(self, obj: Any) -> Buffer:
        return bytes(obj)


def _real(value: Any) -> float | None:
    return None if value is None else float(value)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _scalars(item: Item) -> tuple[Any, ...]:
    """The columns of ``items`` from ``ref`` to ``updated_at`` for ``item``."""
    return (
        item.ref,
        item.kind,
        item.version,
        item.title,
        item.status,
        item.priority,
        None if item.rag is None else item.rag.value,
        item.owner,
        item.body,
        item.node,
        item.due,
        item.next_review,
        item.raised_on,
        item.closed_on,
        _whole(getattr(item, "score", None)),
        _whole(getattr(item, "inherent_score", None)),
        _whole(getattr(item, "residual_score", None)),
        _real(getattr(item, "cost_exposure", None)),
        item.created_at,
        item.updated_at,
    )


def _collector_paused(size: int) -> contextlib.AbstractContextManager[None]:
    """Pause the garbage collector around bulk row building (it dominates that cost)."""
    return bulk() if size >= 1000 else contextlib.nullcontext()


def _payload(tx: Transformer, rows: Iterable[Sequence[Any]]) -> bytearray:
    """The whole data of a binary ``COPY`` of ``rows``, formatted by ``tx``."""
    out = bytearray(_COPY_SIGNATURE)
    for row in rows:
        _format_row_binary(row, tx, out)
    out += _COPY_TRAILER
    return out


def _taken_ref(exc: psycopg.errors.UniqueViolation, items: Iterable[Item]) -> str | None:
    """The ref of ``items`` whose insert ``exc`` refused as taken (``None``: another
    key's violation). The server's detail reads ``Key (ref)=(A-0001) already exists.``,
    in its own language around the untranslated ``(ref)=(...)``."""
    if exc.diag.constraint_name != "items_pkey":
        return None
    found = _TAKEN.search(exc.diag.message_detail or "")
    if found is None or found.group(1) not in {item.ref for item in items}:
        return None
    return found.group(1)


def _link_rows(items: Iterable[Item]) -> list[tuple[Any, ...]]:
    """The rows of ``links`` for ``items``."""
    return [
        (item.ref, position, link.relation.value, link.target)
        for item in items
        for position, link in enumerate(item.links)
    ]


class _Sql:
    """The statements of one schema, composed once with safely quoted identifiers."""

    def __init__(self, schema: str) -> None:
        def table(name: str) -> sql.Identifier:
            return sql.Identifier(schema, name)

        def columns(names: Iterable[str]) -> sql.Composable:
            return sql.SQL(", ").join(sql.Identifier(n) for n in names)

        self.items = table("items")
        self.links = table("links")
        self.events = table("events")
        self.entities = table("entities")
        self.counters = table("counters")
        self.meta = table("meta")
        item_columns = (*ITEM_COLUMNS, "doc")
        self.item_columns = columns(item_columns)
        self.event_columns = columns(_EVENT_COLUMNS)
        placeholders = sql.SQL(", ").join(
            sql.SQL("%s::json") if name == "doc" else sql.Placeholder() for name in item_columns
        )
        self.item_values = sql.SQL("({})").format(placeholders)
        self.insert_item = sql.SQL("INSERT INTO {} ({}) VALUES ").format(
            self.items, self.item_columns
        )
        self.update_item = sql.SQL(
            "UPDATE {} SET ({}) = ROW({}) WHERE ref = %s AND version = %s"
        ).format(
            self.items,
            columns(item_columns[1:]),
            sql.SQL(", ").join(
                sql.SQL("%s::json") if n == "doc" else sql.Placeholder() for n in item_columns[1:]
            ),
        )
        # Binary COPY: no text escaping on either side (half the client's formatting).
        self.copy_items = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            self.items, self.item_columns
        )
        self.item_types = [_COPY_TYPES[c] for c in item_columns]
        self.item_copy_types = [_PREFORMED.get(c, _COPY_TYPES[c]) for c in item_columns]
        self.copy_links = sql.SQL("COPY {} (source, position, relation, target) FROM STDIN").format(
            self.links
        )
        self.copy_events = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            self.events, self.event_columns
        )
        self.event_types = [_COPY_TYPES[c] for c in _EVENT_COLUMNS]
        self.lock_writer = sql.SQL("SELECT value FROM {} WHERE key = 'writer' FOR UPDATE").format(
            self.meta
        )
        self.select_events = sql.SQL("SELECT {} FROM {}").format(self.event_columns, self.events)


class _PostgresTransaction(Transaction):
    """One write transaction, holding the register's writer lock."""

    def __init__(self, backend: PostgresBackend, conn: Conn) -> None:
        self.backend = backend
        self.conn = conn
        self.q = backend._sql
        self._head: ChainHead | None = None
        self._counters: dict[str, int] = {}
        self._changed: set[str] = set()
        # The bulk writes of this transaction, on a helper thread: the server stores one
        # slice of a bulk add while the register builds and seals the next (a failed
        # COPY has also ended the server's transaction).
        self._writer = Worker("raidlog-copy", _QUEUED)
        # Row formatters of bulk writes' binary COPY (items, events), made at the first.
        self._formatters: tuple[Transformer, Transformer] | None = None
        self._parts = 0  # COPY payloads of items sent so far

    def abandon(self) -> None:
        """Wait for the bulk writes in the background without raising (the transaction
        is ending)."""
        self._writer.close()

    def settle(self) -> None:
        """Wait for the bulk writes running in the background; raise what one raised.

        Every method that uses the connection calls this first, so the connection is
        only ever used by one thread at a time and every statement runs in the order
        the work gave."""
        self._writer.settle()

    # reads ------------------------------------------------------------------------------
    def get(self, ref: str) -> Item | None:
        self.settle()
        return self.backend._get(self.conn, ref)

    def head(self) -> ChainHead:
        if self._head is None:
            self.settle()
            self._head = self.backend._head(self.conn)
        return self._head

    # refs -------------------------------------------------------------------------------
    def _counter(self, prefix: str) -> int:
        # The writer lock is held from the start of the transaction, so no other writer
        # can move the counter: it is read once and written back at commit.
        if prefix not in self._counters:
            self.settle()
            row = self.conn.execute(
                sql.SQL("SELECT value FROM {} WHERE prefix = %s").format(self.q.counters),
                [prefix],
            ).fetchone()
            self._counters[prefix] = int(row[0]) if row else 0
        return self._counters[prefix]

    def allocate(self, prefix: str) -> int:
        number = self._counter(prefix) + 1
        self._counters[prefix] = number
        self._changed.add(prefix)
        return number

    def reserve(self, prefix: str, number: int) -> None:
        if number > self._counter(prefix):
            self._counters[prefix] = number
            self._changed.add(prefix)

    def flush(self) -> None:
        """Write the counters this transaction moved (before commit)."""
        self.settle()
        if not self._changed:
            return
        with self.conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {t} (prefix, value) VALUES (%s, %s) ON CONFLICT (prefix) "
                    "DO UPDATE SET value = GREATEST({t}.value, EXCLUDED.value)"
                ).format(t=self.q.counters),
                [(prefix, self._counters[prefix]) for prefix in sorted(self._changed)],
            )

    # items ------------------------------------------------------------------------------
    def put(self, writes: Sequence[tuple[Item, int]]) -> None:
        refs = [item.ref for item, _ in writes]
        if None in refs:
            raise BackendError("items are stored with their ref; allocate one first")
        if len(set(refs)) != len(refs):
            # The same ref twice in one call: apply each write in turn, like the reference.
            for write in writes:
                self.put([write])
            return
        inserts = [item for item, expected in writes if expected == 0]
        if len(inserts) >= _IN_BACKGROUND:
            self._insert_in_background(inserts)
        elif inserts:
            # The documents now: the register keeps the one it made of each new version
            # (Codec.remember) only until this call returns.
            docs = list(map(self.backend.codec.item_to_dict, inserts))
            self.settle()
            self._insert(inserts, docs)
        updates = [(item, expected) for item, expected in writes if expected != 0]
        if updates:
            self.settle()
        for item, expected in updates:
            self._update(item, expected)
        if updates:
            self.conn.execute(
                sql.SQL("DELETE FROM {} WHERE source = ANY(%s::text[])").format(self.q.links),
                [[item.ref for item, _ in updates]],
            )
            self._write_links([item for item, _ in updates])

    def _insert_in_background(self, items: list[Item]) -> None:
        """Insert ``items`` by binary ``COPY`` on the helper thread, while this thread goes
        on with the write (the register seals the events meanwhile: the head they need
        is read first, and the writer lock keeps it current).

        This thread makes each :data:`_PAYLOAD` items' whole ``COPY`` data (documents,
        rows, their binary form); the helper thread only sends it, a statement at a
        time, mostly outside the GIL. (A helper that made rows itself took the GIL a
        row at a time from this thread, and each thread then waited on the other.)"""
        self.head()
        items_tx, _ = self._row_formatters()
        codec = self.backend.codec
        copy_row = self.backend._copy_row
        start = 0
        while start < len(items):
            # The first parts small, so the server starts soon; then few statements.
            size = min(_PAYLOAD, _FIRST_PAYLOAD << min(self._parts, 4))
            self._parts += 1
            part = items[start : start + size]
            start += size
            with _collector_paused(len(part)):
                docs = list(map(codec.item_to_dict, part))
                payload = _payload(items_tx, map(copy_row, part, docs))
                links = _link_rows(part)
            del docs
            self._writer.submit(self._store_payload, payload, part, links)

    def _row_formatters(self) -> tuple[Transformer, Transformer]:
        """The row formatters of the items' and the events' binary ``COPY``."""
        if self._formatters is None:
            self.settle()  # reads the connection's encoding: not while a COPY runs
            with self.conn.cursor() as cur:
                # psycopg's by-type dumper of bytea is its DB-API one, in Python: the
                # plain (C) one passes the preformed bytes through at no cost.
                cur.adapters.register_dumper(None, BytesBinaryDumper)
                made = []
                for types in (self.q.item_copy_types, self.q.event_types):
                    tx = RowTransformer(cur)
                    oids = [cur.adapters.types.get_oid(name) for name in types]
                    tx.set_dumper_types(oids, pq.Format.BINARY)
                    made.append(tx)
            self._formatters = (made[0], made[1])
        return self._formatters

    def _store_payload(
        self, payload: Buffer, items: list[Item], links: list[tuple[Any, ...]]
    ) -> None:
        """On the helper thread: ``items`` from ``payload`` (their binary ``COPY`` data),
        then their links. A taken ref fails the ``COPY`` itself: a statement of its own
        to look for one first cost a round trip, and a wait for the GIL, per part."""
        try:
            self._send(self.q.copy_items, payload)
        except psycopg.errors.UniqueViolation as exc:
            taken = _taken_ref(exc, items)
            if taken is None:
                raise
            raise DuplicateRefError(taken) from exc
        self._write_link_rows(links)

    def _check_refs(self, refs: bytes) -> None:
        with self.conn.cursor() as cur:
            cur.adapters.register_dumper(_TextArray, _TextArrayDumper)
            taken = cur.execute(
                sql.SQL("SELECT ref FROM {} WHERE ref = ANY(%b) ORDER BY ref LIMIT 1").format(
                    self.q.items
                ),
                [_TextArray(refs)],
            ).fetchone()
        if taken is not None:
            raise DuplicateRefError(str(taken[0]))

    def _send(self, copy: sql.Composed, payload: Buffer) -> None:
        """Run ``copy`` (a binary ``COPY ... FROM STDIN``) with ``payload``, its whole
        data (signature, rows and trailer)."""
        with self.conn.cursor() as cur, cur.copy(copy) as out:
            out.write(payload)

    def _insert(self, items: list[Item], docs: Sequence[dict[str, Any]]) -> None:
        self._check_refs(_binary_text_array([item.ref or "" for item in items]))
        with _collector_paused(len(items)):
            if len(items) >= _COPY_FROM:
                rows = map(self.backend._copy_row, items, docs)
                self._copy(self.q.copy_items, self.q.item_copy_types, rows)
            else:
                rows = map(self.backend._item_row, items, docs)
                self._insert_rows(self.q.insert_item, self.q.item_values, list(rows))
        self._write_links(items)

    def _update(self, item: Item, expected: int) -> None:
        row = self.backend._item_row(item, self.backend.codec.item_to_dict(item))
        cur = self.conn.execute(self.q.update_item, [*row[1:], row[0], expected])
        if cur.rowcount != 1:
            current = self.get(item.ref or "")
            raise ConflictError(item.ref or "", expected, current)

    def _write_links(self, items: Iterable[Item]) -> None:
        self._write_link_rows(_link_rows(items))

    def _write_link_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if len(rows) >= _COPY_FROM:
            self._copy(self.q.copy_links, None, rows)
        elif rows:
            values = sql.SQL("(%s, %s, %s, %s)")
            insert = sql.SQL("INSERT INTO {} (source, position, relation, target) VALUES ").format(
                self.q.links
            )
            self._insert_rows(insert, values, rows)

    def _copy(
        self, copy: sql.Composed, types: Sequence[str] | None, rows: Iterable[Sequence[Any]]
    ) -> None:
        """Write rows by ``COPY``, each made as it is sent (so the server stores the
        first rows while Python builds the next)."""
        with self.conn.cursor() as cur:
            # psycopg's by-type dumper of bytea is its DB-API one, in Python: the plain
            # (C) one passes the preformed bytes through at no cost.
            cur.adapters.register_dumper(None, BytesBinaryDumper)
            with cur.copy(copy) as out:
                if types is not None:
                    out.set_types(types)
                for row in rows:
                    out.write_row(row)

    def _insert_rows(
        self, insert: sql.Composable, values: sql.Composable, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Write a few rows by one multi-row ``INSERT`` (cheaper than setting up a COPY)."""
        statement = sql.Composed([insert, sql.SQL(", ").join([values] * len(rows))])
        self.conn.execute(statement, [value for row in rows for value in row])

    # events -----------------------------------------------------------------------------
    def append(self, events: Sequence[Event]) -> None:
        self.append_rows([event_row(event, event.at) for event in events])

    def append_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append sealed events as rows of ``EVENT_FIELDS`` (``changes`` their canonical
        JSON text, stored as it is in the ``json`` column): by ``COPY`` on the helper
        thread for a bulk write, so the server stores them while the register goes on."""
        if not rows:
            return
        head = self.head()
        seq, prev = head.seq, head.hash
        for row in rows:
            if row[0] != seq + 1 or row[11] != prev:
                raise BackendError(
                    f"event {row[0]} does not continue the chain at {seq}: events "
                    "must be sealed inside the write transaction, after its head()"
                )
            seq, prev = row[0], row[12]
        if len(rows) >= _IN_BACKGROUND:
            # Made into COPY data here, sent by the helper (see _insert_in_background),
            # :data:`_PAYLOAD` rows a statement (a verbatim copy appends every event).
            _, events_tx = self._row_formatters()
            for start in range(0, len(rows), _PAYLOAD):
                part = rows[start : start + _PAYLOAD]
                with _collector_paused(len(part)):
                    payload = _payload(events_tx, part)
                self._writer.submit(self._send, self.q.copy_events, payload)
        else:
            self.settle()
            self._write_events(rows)
        self._head = ChainHead(seq, prev)

    def _write_events(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with _collector_paused(len(rows)):
            if len(rows) >= _COPY_FROM:
                self._copy(self.q.copy_events, self.q.event_types, rows)
            else:
                values = sql.SQL("(%s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s)")
                insert = sql.SQL("INSERT INTO {} ({}) VALUES ").format(
                    self.q.events, self.q.event_columns
                )
                self._insert_rows(insert, values, rows)

    # structure and metadata ---------------------------------------------------------------
    def get_entity(self, entity: type[Entity], name: str) -> Entity | None:
        self.settle()
        row = self.conn.execute(
            sql.SQL("SELECT doc FROM {} WHERE entity = %s AND name = %s").format(self.q.entities),
            [entity_kind(entity), name],
        ).fetchone()
        return None if row is None else self.backend.codec.entity_from_dict(row[0])

    def put_entity(self, entity: Entity, expected_version: int) -> None:
        self.settle()
        kind = entity_kind(type(entity))
        doc = _dumps(self.backend.codec.entity_to_dict(entity))
        if expected_version == 0:
            cur = self.conn.execute(
                sql.SQL(
                    "INSERT INTO {} (entity, name, version, doc) VALUES (%s, %s, %s, %s::json) "
                    "ON CONFLICT (entity, name) DO NOTHING"
                ).format(self.q.entities),
                [kind, entity.name, entity.version, doc],
            )
        else:
            cur = self.conn.execute(
                sql.SQL(
                    "UPDATE {} SET version = %s, doc = %s::json "
                    "WHERE entity = %s AND name = %s AND version = %s"
                ).format(self.q.entities),
                [entity.version, doc, kind, entity.name, expected_version],
            )
        if cur.rowcount != 1:
            raise ConflictError(f"{kind}:{entity.name}", expected_version, None)

    def set_meta(self, key: str, value: str) -> None:
        self.settle()
        if key in ("writer", "schema_version", "format"):
            raise BackendError(f"meta key {key!r} belongs to the postgres backend itself")
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {} (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ).format(self.q.meta),
            [key, value],
        )


class _BrokenConnection(BackendError):
    """The pooled connection was found dead."""


class PostgresBackend(LazyPostgresBackend):
    """A register in a PostgreSQL schema: ``postgresql://user@host/db?schema=name``
    (name, schemes and capabilities: :class:`~raidlog_postgres.lazy.LazyPostgresBackend`,
    the class the plugin registers)."""

    def __init__(
        self,
        location: str,
        codec: Codec,
        *,
        target: PostgresLocation,
        options: Options,
        pool: ConnectionPool[Conn],
    ) -> None:
        super().__init__(location, codec)
        self.target = target
        self.options = options
        self.schema = target.schema
        self._pool = pool
        self._sql = _Sql(target.schema)
        self._closed = False
        self._close_lock = threading.Lock()

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> PostgresBackend:
        """Connect, create or migrate the schema, and start a connection pool.

        Raises :class:`~raidlog.errors.BackendError` when the server cannot be reached,
        :class:`~raidlog.errors.SchemaVersionError` for a schema from a newer release.
        """
        target = parse_location(location)
        settings = Options.from_mapping(options)
        server_options = f"{target.server_options} {settings.server_settings()}".strip()
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "options": server_options,
            "application_name": "raidlog",
            "connect_timeout": max(1, round(settings.connect_timeout)),
        }
        try:
            with psycopg.connect(target.conninfo, **kwargs) as conn:
                ensure_schema(conn, target.schema)
        except psycopg.Error as exc:
            raise BackendError(
                f"cannot open the PostgreSQL register at {redact(location)}: {exc}".strip()
            ) from exc
        pool: ConnectionPool[Conn] = ConnectionPool(
            target.conninfo,
            kwargs=kwargs,
            min_size=1,
            max_size=settings.pool_size,
            open=True,
            name=f"raidlog:{target.schema}",
            timeout=settings.statement_timeout,
        )
        return cls(location, codec, target=target, options=settings, pool=pool)

    # connections ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connection(self) -> Iterator[Conn]:
        if self._closed:
            raise BackendError(f"{redact(self.location)} is closed; open the register again")
        conn: Conn | None = None
        try:
            with self._pool.connection() as conn:
                yield conn
        except RaidLogError:
            raise
        except psycopg.errors.QueryCanceled as exc:
            raise BackendError(
                f"a statement ran longer than {self.options.statement_timeout} s and was "
                f"cancelled; raise the statement_timeout option if this is expected: {exc}"
            ) from exc
        except psycopg.Error as exc:
            if conn is not None and conn.broken:
                raise _BrokenConnection(
                    f"the connection to {redact(self.location)} was lost: {exc}"
                ) from exc
            raise BackendError(f"PostgreSQL failed on {redact(self.location)}: {exc}") from exc

    def _read(self, read: Callable[[Conn], R]) -> R:
        """Run ``read`` on a pooled connection. Connections are not pinged before use (a
        round trip per call); one that died while idle in the pool (server restart,
        network) fails its first statement, and a read is safe to run once more."""
        try:
            with self._connection() as conn:
                return read(conn)
        except _BrokenConnection:
            with self._connection() as conn:
                return read(conn)

    # writes ---------------------------------------------------------------------------
    def atomic(self, work: Callable[[Transaction], T]) -> T:
        attempts = self.options.retries
        for attempt in range(1, attempts + 1):
            locked = False
            try:
                with self._connection() as conn, conn.transaction():
                    conn.execute(self._sql.lock_writer)
                    locked = True
                    txn = _PostgresTransaction(self, conn)
                    try:
                        result = work(txn)
                        txn.flush()
                    finally:
                        # Never leave a background write behind on the connection.
                        txn.abandon()
                return result
            except _BrokenConnection:
                # Dead before the lock: nothing ran, so running again is safe. Once the
                # work ran, the outcome of a lost connection is for the caller to check.
                if locked or attempt == attempts:
                    raise
            except BackendError as exc:
                if not isinstance(exc.__cause__, RETRYABLE):
                    raise
                if attempt == attempts:
                    raise BackendError(
                        f"gave up after {attempts} attempts, each ended by "
                        f"{type(exc.__cause__).__name__}; retry later or raise the "
                        f"retries option: {exc.__cause__}"
                    ) from exc.__cause__
                # Jittered exponential back-off, so colliding writers spread out.
                time.sleep(_JITTER.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable: the loop returns or raises")

    # reads ------------------------------------------------------------------------------
    def _item_row(self, item: Item, doc: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """The row of ``items`` for ``item`` as Python values (``doc``: its dict, made
        here unless given), as an ``INSERT`` or ``UPDATE`` sends it and the audit
        compares it."""
        if doc is None:
            doc = self.codec.item_to_dict(item)
        return (
            *_scalars(item),
            list(item.escalated_to),
            list(item.objectives),
            list(item.tags),
            search_words(item.title, item.description),
            _dumps(doc),
        )

    def _copy_row(self, item: Item, doc: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """The same row as a bulk insert's ``COPY`` sends it (types
        ``_Sql.item_copy_types``): the arrays and ``doc`` already in binary form."""
        if doc is None:
            doc = self.codec.item_to_dict(item)
        return (
            *_scalars(item),
            _text_array(tuple(item.escalated_to)),
            _text_array(tuple(item.objectives)),
            _text_array(tuple(item.tags)),
            search_words(item.title, item.description),
            _json_bytes(doc),
        )

    def _event_row(self, event: Event) -> tuple[Any, ...]:
        return event_row(event, event.at)

    def _decode_event(self, row: Sequence[Any]) -> Event:
        values = dict(zip(_EVENT_COLUMNS, row, strict=True))
        changes = values.pop("changes")
        return Event(
            **values,
            changes=tuple(Change(field=f, old=old, new=new) for f, old, new in changes),
        )

    def _event(self, row: Sequence[Any]) -> Event:
        try:
            return self._decode_event(row)
        except _DAMAGE as exc:
            raise BackendError(
                f"{redact(self.location)}: event {row[0]} cannot be read ({exc}); the event "
                "log was changed outside raidlog: run `raidlog verify`"
            ) from exc

    def _item(self, ref: str, doc: Any) -> Item:
        try:
            # A document this backend wrote: types and shapes checked, not the validators.
            return self.codec.item_from_stored(doc)
        except _DAMAGE as exc:
            raise BackendError(
                f"{redact(self.location)}: the doc of {ref} in table items cannot be read "
                f"({exc}); it was changed outside raidlog: run `raidlog verify`"
            ) from exc

    def _get(self, conn: Conn, ref: str) -> Item | None:
        row = conn.execute(
            sql.SQL("SELECT doc FROM {} WHERE ref = %s").format(self._sql.items), [ref]
        ).fetchone()
        return None if row is None else self._item(ref, row[0])

    def _head(self, conn: Conn) -> ChainHead:
        row = conn.execute(
            sql.SQL("SELECT seq, hash FROM {} ORDER BY seq DESC LIMIT 1").format(self._sql.events)
        ).fetchone()
        return ChainHead() if row is None else ChainHead(int(row[0]), str(row[1]))

    def _rows(self, statement: sql.Composed, params: Sequence[Any] = ()) -> list[TupleRow]:
        return self._read(lambda conn: conn.execute(statement, params).fetchall())

    def get(self, ref: str) -> Item | None:
        return self._read(lambda conn: self._get(conn, ref))

    def head(self) -> ChainHead:
        return self._read(self._head)

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        wanted = None if kinds is None else list(kinds)
        page = sql.SQL(
            "SELECT ref, doc FROM {} WHERE ref > %s "
            "AND (%s::text[] IS NULL OR kind = ANY(%s::text[])) ORDER BY ref LIMIT %s"
        ).format(self._sql.items)
        after = ""
        while True:
            rows = self._rows(page, [after, wanted, wanted, _PAGE])
            yield from (self._item(ref, doc) for ref, doc in rows)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        page = sql.SQL(
            "{} WHERE seq > %s AND (%s::text IS NULL OR ref = %s) ORDER BY seq LIMIT %s"
        ).format(self._sql.select_events)
        while True:
            rows = self._rows(page, [after, ref, ref, _PAGE])
            yield from (self._event(row) for row in rows)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    # verify -------------------------------------------------------------------------------
    def scan_items(self) -> Iterator[Item | Finding]:
        """Every item in ref order; a ``doc`` that cannot be decoded is a Finding."""
        for ref, doc in self._paged(sql.SQL("SELECT ref, doc FROM {}").format(self._sql.items)):
            try:
                yield self.codec.item_from_stored(doc)  # what every read reads
            except _DAMAGE as exc:
                yield Finding(
                    table="items",
                    ref=str(ref),
                    reason=f"the item's doc cannot be read ({exc}): changed outside raidlog",
                )

    def scan_events(self) -> Iterator[Event | Finding]:
        """Every event in sequence order; a row that cannot be decoded is a Finding."""
        for row in self._paged(self._sql.select_events, key="seq"):
            try:
                yield self._decode_event(row)
            except _DAMAGE as exc:
                yield Finding(
                    table="events",
                    seq=int(row[0]),
                    ref=str(row[1]),
                    reason=f"the event's row cannot be read ({exc}): changed outside raidlog",
                )

    def _paged(self, select: sql.Composed, key: str = "ref") -> Iterator[TupleRow]:
        """The rows of ``select`` (whose first column is ``key``) in pages by key."""
        page = sql.SQL("{} WHERE {} > %s ORDER BY {} LIMIT %s").format(
            select, sql.Identifier(key), sql.Identifier(key)
        )
        after: Any = "" if key == "ref" else 0
        while True:
            rows = self._rows(page, [after, _PAGE])
            yield from rows
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def audit(self, items: Mapping[str, Item]) -> list[Finding]:
        """Check the query columns of ``items`` and the ``links`` table against
        ``items`` (``doc`` itself is what :meth:`items` reads)."""
        return self._read(lambda conn: audit_tables(conn, self.schema, items, self._item_row))

    def entities(self) -> list[Entity]:
        rows = self._rows(
            sql.SQL("SELECT doc FROM {} ORDER BY entity, name").format(self._sql.entities)
        )
        return [self.codec.entity_from_dict(doc) for (doc,) in rows]

    def get_meta(self, key: str) -> str | None:
        rows = self._rows(
            sql.SQL("SELECT value FROM {} WHERE key = %s").format(self._sql.meta), [key]
        )
        return str(rows[0][0]) if rows else None

    def query(self, query: Query) -> list[Item]:
        """Answer ``query`` in SQL (equal to :func:`raidlog.query.evaluate`)."""
        where, params = where_clause(query)
        statement = sql.SQL("SELECT doc FROM {} WHERE {} ORDER BY {}").format(
            self._sql.items, where, order_clause(query)
        )
        if query.limit is not None:
            statement = sql.SQL("{} LIMIT %s").format(statement)
            params.append(query.limit)
        if query.offset:
            statement = sql.SQL("{} OFFSET %s").format(statement)
            params.append(query.offset)
        return [self._item(_ref_of(doc), doc) for (doc,) in self._rows(statement, params)]

    def count(self, query: Query) -> int:
        """How many items match the filters of ``query``, counted by the server."""
        where, params = where_clause(query)
        statement = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(self._sql.items, where)
        return int(self._rows(statement, params)[0][0])

    def links_to(self, ref: str) -> list[tuple[str, Relation]]:
        rows = self._rows(
            sql.SQL(
                "SELECT source, relation FROM {} WHERE target = %s ORDER BY source, position"
            ).format(self._sql.links),
            [ref],
        )
        return [(str(source), Relation(relation)) for source, relation in rows]

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    def __repr__(self) -> str:
        return f"<PostgresBackend {redact(self.location)!r} schema={self.schema!r}>"
