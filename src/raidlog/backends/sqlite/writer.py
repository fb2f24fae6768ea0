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
every write queued before it. A failed insert fails the transaction: the first wait
after it raises the error (as the insert's ``on_error`` maps it), and every later wait
raises again, so nothing after it can commit. Small inserts run at once, on the caller's
thread, as before.
"""

from __future__ import annotations

import functools
import itertools
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

from raidlog.errors import BackendError

__all__ = ["ON_THREAD_FROM", "VALUES_A_STATEMENT", "OnError", "Writer"]

#: Inserts of at least this many rows go to the writer thread; fewer run at once.
ON_THREAD_FROM = 256
#: The most values one multi-row ``INSERT`` binds (fewer when SQLite's own limit is
#: lower): 1,000 rows of a risk, 15,000 of the search index. Measured at 100,000 items,
#: SQLite's CPU against ``executemany`` of the same rows: +6% at this size, +15 to 20%
#: with half or twice as many, +100% (the search index +400%) with statements of 20 rows.
VALUES_A_STATEMENT = 30_000
#: Inserts the main thread may queue ahead of the writer (so memory stays bounded).
_AHEAD = 8

#: Makes the error an insert raised into the one the caller should see (``None``: as is).
OnError = Callable[[BaseException], BaseException | None]
_Job = tuple[str, Sequence[Sequence[Any]], OnError | None]


class Writer:
    """Runs one transaction's large inserts in order on a thread of its own."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=_AHEAD)
        self._thread: threading.Thread | None = None
        self._failure: tuple[BaseException, OnError | None] | None = None
        self._failed: BaseException | None = None  # raised already: the write is lost
        self._stopping = False
        self._values = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    def insert(
        self, sql: str, rows: Sequence[Sequence[Any]], on_error: OnError | None = None
    ) -> None:
        """Store ``rows`` with ``sql`` (one row's ``INSERT ... VALUES (?, ...)``): at once
        when they are few and nothing is queued, else on the writer thread (started by
        the first large insert), after what is queued."""
        if not rows:
            return
        if self._thread is None and len(rows) < ON_THREAD_FROM:
            try:
                self._conn.executemany(sql, rows)
            except BaseException as exc:
                _raise(exc, on_error)
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="raidlog-sqlite-writer", daemon=True
            )
            self._thread.start()
        self._jobs.put((sql, rows, on_error))

    def wait(self) -> None:
        """Return once every queued insert is stored; raise what one of them raised."""
        if self._failed is not None:
            raise BackendError(
                f"the write was abandoned after an earlier error: {self._failed}"
            ) from self._failed
        if self._thread is None:
            return
        self._jobs.join()
        if self._failure is not None:
            exc, on_error = self._failure
            self._failure = None
            try:
                _raise(exc, on_error)  # on_error may read the connection: the thread idles
            finally:
                self._failed = exc

    def close(self, *, abandon: bool = False) -> None:
        """Stop the thread once the queued inserts are stored; when ``abandon`` (the
        transaction is rolled back), after the statement it is running, dropping the
        rest. Never raises."""
        if self._thread is None:
            return
        if abandon:
            self._stopping = True
        self._jobs.put(None)
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._failure is None and self._failed is None and not self._stopping:
                    sql, rows, on_error = job
                    try:
                        _store(self._conn, sql, rows, self._values)
                    except BaseException as exc:  # handed to the caller's thread by wait()
                        self._failure = (exc, on_error)
            finally:
                self._jobs.task_done()


def _raise(exc: BaseException, on_error: OnError | None) -> None:
    mapped = on_error(exc) if on_error is not None else None
    if mapped is None:
        raise exc
    raise mapped from None


def _store(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]], values: int) -> None:
    """``rows`` stored by ``INSERT``s of up to :data:`VALUES_A_STATEMENT` values each."""
    step = max(1, min(VALUES_A_STATEMENT, values) // len(rows[0]))
    for first in range(0, len(rows), step):
        chunk = rows[first : first + step]
        conn.execute(_statement(sql, len(chunk)), list(itertools.chain.from_iterable(chunk)))


@functools.lru_cache(maxsize=64)
def _statement(sql: str, count: int) -> str:
    """``sql`` (ending ``VALUES (?, ...)``) as one ``INSERT`` of ``count`` rows."""
    head, marks = sql.rsplit(" VALUES ", 1)
    return f"{head} VALUES {', '.join([marks] * count)}"
