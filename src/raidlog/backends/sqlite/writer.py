"""A write transaction's large inserts, stored on a thread beside the Python making them.

A bulk write spends its time in two halves of about the same size: Python making rows
(items encoded, events sealed, search documents) and SQLite storing them. SQLite runs
without the GIL only while it runs a statement. ``executemany`` runs its statement once
a row and takes the GIL back between rows, so on a thread of its own it waits for the
computing main thread at every row and nothing overlaps. One ``INSERT`` of many rows
(``VALUES (...), (...), ...``) is one long call without the GIL: handed to a thread, it
stores one slice while the main thread makes the next, and the write takes about the
longer half instead of both.

The transaction hands its large inserts to :meth:`Writer.insert` and calls
:meth:`Writer.wait` before it uses the connection for anything else (its
``conn`` property does), so one thread at a time uses the connection and every read sees
every write handed over before it. A failed insert fails the transaction: the first
wait after it raises the error (as the insert's ``on_error`` maps it), and every later
wait raises a :class:`~raidlog.errors.BackendError`, so nothing after it can commit.
Small inserts run at once, on the caller's thread, as before.

While a writer thread runs, the interpreter's GIL switch interval is
:data:`SWITCH_INTERVAL` (see there); it is put back when the last writer stops.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from raidlog.bulk import Worker
from raidlog.errors import BackendError

__all__ = [
    "ON_THREAD_FROM",
    "SHAPES_A_TABLE",
    "SWITCH_INTERVAL",
    "VALUES_A_STATEMENT",
    "OnError",
    "Shapes",
    "Writer",
]

#: Inserts of at least this many rows start the writer thread; fewer, when nothing is
#: waiting for it, run at once.
ON_THREAD_FROM = 256
#: The values one multi-row ``INSERT`` binds (fewer when SQLite's own limit is lower):
#: 666 rows of a risk, 10,000 search documents. Every statement of a size is prepared
#: once and kept by the connection's statement cache (about 130 bytes a value), so the
#: thread runs statements of this one size per table, and what is left over at the end
#: of a write is stored with ``executemany`` once the thread is idle. Measured at
#: 100,000 items, SQLite's CPU against ``executemany`` of the same rows: +6% at 30,000
#: values, +15 to 20% at 15,000 or 60,000, +100% with statements of 20 rows. (The refs,
#: stored whole, take the rest of each slice in statements of powers of two.)
VALUES_A_STATEMENT = 20_000
#: Statements the main thread may queue ahead of the writer (so memory stays bounded).
_AHEAD = 8
#: The GIL switch interval while a writer thread runs (seconds). A thread coming back
#: from a statement waits for the GIL up to the interval (5 ms by default) while the
#: main thread computes: a write of 100,000 items ran about 500 statements, so the
#: writer waited 1.5 to 2.5 s. The interval is put back when the last writer stops.
SWITCH_INTERVAL = 0.0005
#: Statements without the columns a statement's rows all leave empty, kept per table
#: and connection (see :class:`Shapes`); beyond this many, the full statement is used.
SHAPES_A_TABLE = 2

#: Makes the error an insert raised into the one the caller should see (``None``: as
#: is), given the rows of the statement that raised it.
OnError = Callable[[BaseException, Sequence[Sequence[Any]]], BaseException | None]


class Writer:
    """Runs one transaction's large inserts in order on a thread of its own.

    Rows are gathered by statement; every :data:`VALUES_A_STATEMENT` values' worth goes
    to the thread (a :class:`~raidlog.bulk.Worker`) as one multi-row ``INSERT``.
    :meth:`wait` waits for the thread, then stores what is left with ``executemany``. A
    table whose rows others refer to (the refs) is sent whole, so its rows are always
    stored before the rows referring to them: foreign keys and the refs' uniqueness are
    checked as before."""

    def __init__(self, conn: sqlite3.Connection, shapes: Shapes | None = None) -> None:
        self._conn = conn
        self._shapes = shapes if shapes is not None else Shapes()
        self._worker = Worker("raidlog-sqlite-writer", _AHEAD)
        self._pending: dict[str, tuple[list[Sequence[Any]], OnError | None]] = {}
        self._failing: tuple[Sequence[Sequence[Any]], OnError | None] = ((), None)
        self._failed: BaseException | None = None  # raised already: the write is lost
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._values = min(VALUES_A_STATEMENT, limit)

    def insert(
        self,
        sql: str,
        rows: Sequence[Sequence[Any]],
        on_error: OnError | None = None,
        *,
        whole: bool = False,
    ) -> None:
        """Store ``rows`` with ``sql`` (one row's ``INSERT ... VALUES (?, ...)``): at once
        when they are few and nothing waits, else on the writer thread: gathered into
        statements of one size, or, when ``whole`` (a table other tables' rows refer
        to), all of them now, so they are stored before any row given after them."""
        if not rows:
            return
        if not self._worker.running and not self._pending and len(rows) < ON_THREAD_FROM:
            try:
                self._conn.executemany(sql, rows)
            except BaseException as exc:
                _raise(exc, on_error, rows)
            return
        step = max(1, self._values // len(rows[0]))
        if whole:
            first = 0
            for size in _sizes(len(rows), step):
                self._send(sql, rows[first : first + size], on_error)
                first += size
            return
        gathered = self._pending.setdefault(sql, ([], on_error))[0]
        gathered.extend(rows)
        if len(gathered) >= step:
            end = len(gathered) // step * step
            for first in range(0, end, step):
                self._send(sql, gathered[first : first + step], on_error)
            del gathered[:end]

    def _send(self, sql: str, rows: Sequence[Sequence[Any]], on_error: OnError | None) -> None:
        if self._worker.failure is not None:
            self.wait()  # raises the failure, as its insert's on_error makes it
        starting = not self._worker.running
        self._worker.submit(self._store, sql, rows, on_error)
        if starting:
            _switching(True)

    def _store(self, sql: str, rows: Sequence[Sequence[Any]], on_error: OnError | None) -> None:
        """On the writer thread: ``rows`` by one multi-row ``INSERT``."""
        try:
            self._conn.execute(*self._shapes.statement(self._conn, sql, rows))
        except BaseException:
            self._failing = (rows, on_error)
            raise

    def wait(self) -> None:
        """Return once every row handed over is stored; raise what storing one raised."""
        if self._failed is not None:
            raise BackendError(
                f"the write was abandoned after an earlier error: {self._failed}"
            ) from self._failed
        try:
            self._worker.settle()
        except BaseException as exc:
            self._failed = exc
            _raise(exc, self._failing[1], self._failing[0])  # on_error may read: idle
        pending, self._pending = self._pending, {}
        for sql, (rows, on_error) in pending.items():
            if rows:
                try:
                    self._conn.executemany(sql, rows)
                except BaseException as exc:
                    self._failed = exc
                    _raise(exc, on_error, rows)

    def close(self, *, abandon: bool = False) -> None:
        """Stop the thread once the queued statements are stored; when ``abandon`` (the
        transaction is rolled back), after the statement it is running, dropping the
        rest. Never raises."""
        if abandon:
            self._pending = {}
        if self._worker.running:
            self._worker.close(drop=abandon)
            _switching(False)


def _raise(exc: BaseException, on_error: OnError | None, rows: Sequence[Sequence[Any]]) -> None:
    mapped = on_error(exc, rows) if on_error is not None else None
    if mapped is None:
        raise exc
    raise mapped from None


def _sizes(count: int, step: int) -> list[int]:
    """Statement sizes storing ``count`` rows at once: ``step`` rows while they last,
    then the rest in halving powers of two (a whole table's rows take a few sizes,
    each prepared once, rather than a new statement for every count)."""
    sizes = [step] * (count // step)
    rest = count % step
    bit = 1 << max(rest.bit_length() - 1, 0)
    while rest:
        if rest >= bit:
            sizes.append(bit)
            rest -= bit
        bit >>= 1
    return sizes


@functools.lru_cache(maxsize=64)
def _statement(sql: str, count: int) -> str:
    """``sql`` (ending ``VALUES (?, ...)``) as one ``INSERT`` of ``count`` rows."""
    head, marks = sql.rsplit(" VALUES ", 1)
    return f"{head} VALUES {', '.join([marks] * count)}"


class Shapes:
    """The multi-row ``INSERT`` a batch of rows is stored by, leaving out the columns
    every row of it leaves empty (``None``) when the column's default is ``NULL``.

    Binding costs the writer thread the GIL, so the main thread waits meanwhile, and
    binding a ``None`` is the dearest value (``sqlite3`` looks for an adapter for it,
    about 450 ns, against 30 ns for an integer and 100 ns for text); the optional fields
    of an item's table are empty in most rows. A column left out of an ``INSERT`` takes
    its default, so only columns with no default, that may hold ``NULL`` and are not the
    key are left out: the stored rows, constraints and triggers see the same ``NULL``.
    Each shape is a prepared statement the connection keeps (about 130 bytes a value), so
    a connection uses at most :data:`SHAPES_A_TABLE` of them per table, the first ones
    its batches fitted; a batch that fits none of them takes the full statement. One
    instance belongs to one connection and is used by the thread holding it."""

    def __init__(self) -> None:
        self._empty: dict[str, tuple[int, ...]] = {}  # per INSERT: the columns it may leave out
        self._shapes: dict[str, list[frozenset[int]]] = {}  # per INSERT: columns left out

    def statement(
        self, conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]
    ) -> tuple[str, list[Any]]:
        """The statement storing ``rows`` (each as ``sql``, one row's ``INSERT ... VALUES
        (?, ...)``) in one go, and its values."""
        count = len(rows)
        candidates = self._empty.get(sql)
        if candidates is None:
            candidates = self._empty[sql] = _may_leave_out(conn, sql)
        first = rows[0]
        maybe = [i for i in candidates if first[i] is None]
        if maybe:
            # Each candidate column's values down the batch (counting None in a tuple
            # is an identity test per value).
            empty = frozenset(
                i for i in maybe if tuple(map(operator.itemgetter(i), rows)).count(None) == count
            )
            shape = self._shape(sql, empty, len(first))
            if shape:
                kept = [i for i in range(len(first)) if i not in shape]
                values = list(itertools.chain.from_iterable(map(operator.itemgetter(*kept), rows)))
                return _shaped(sql, tuple(kept), count), values
        return _statement(sql, count), list(itertools.chain.from_iterable(rows))

    def _shape(self, sql: str, empty: frozenset[int], width: int) -> frozenset[int]:
        """The columns to leave out of a batch whose ``empty`` columns are all ``None``:
        the largest known shape within them, else ``empty`` as a new shape while there is
        room, else none."""
        known = self._shapes.setdefault(sql, [])
        fitting = [shape for shape in known if shape <= empty]
        if fitting:
            return max(fitting, key=len)
        if empty and len(known) < SHAPES_A_TABLE and width - len(empty) >= 2:
            known.append(empty)
            return empty
        return frozenset()


_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:\?, )*\?\)")


def _may_leave_out(conn: sqlite3.Connection, sql: str) -> tuple[int, ...]:
    """The positions of ``sql``'s columns an ``INSERT`` may leave out and still store
    ``NULL`` in: no default, ``NULL`` allowed, not the key (none for any other SQL)."""
    match = _INSERT.fullmatch(sql)
    if match is None:
        return ()
    names = match.group(2).split(", ")
    columns = {
        str(name): (not_null, default, key)
        for _, name, _, not_null, default, key in conn.execute(
            "SELECT * FROM pragma_table_info(?)", (match.group(1),)
        )
    }
    return tuple(
        n for n, name in enumerate(names) if columns.get(name, (1, None, 0)) == (0, None, 0)
    )


@functools.lru_cache(maxsize=64)
def _shaped(sql: str, kept: tuple[int, ...], count: int) -> str:
    """``sql`` as one ``INSERT`` of ``count`` rows of only the columns at ``kept``."""
    match = _INSERT.fullmatch(sql)
    assert match is not None  # a shape is made only for SQL _may_leave_out read
    names = match.group(2).split(", ")
    marks = f"({', '.join('?' * len(kept))})"
    columns = ", ".join(names[n] for n in kept)
    return f"INSERT INTO {match.group(1)} ({columns}) VALUES {', '.join([marks] * count)}"


_switch_lock = threading.Lock()
_writers = 0  # writer threads running, in any transaction
_interval_before = 0.0


def _switching(starting: bool) -> None:
    """Set :data:`SWITCH_INTERVAL` when the first writer thread starts (unless the
    interval is shorter already); put the interval back when the last one stops."""
    global _writers, _interval_before
    with _switch_lock:
        if starting:
            if _writers == 0:
                _interval_before = sys.getswitchinterval()
                sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
            _writers += 1
        else:
            _writers -= 1
            if _writers == 0:
                sys.setswitchinterval(_interval_before)
