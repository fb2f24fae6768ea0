"""The SQLite writer thread: a transaction's large inserts stored beside the Python.

Large inserts go to a thread as multi-row ``INSERT`` statements; the transaction waits
for them before it uses the connection for anything else. What is stored must be what
the inline path stores, byte for byte, and a failure on the thread must fail the whole
write, store nothing and leave no thread behind.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import raidlog
from raidlog import Action, Link, Relation, Risk
from raidlog.backends.sqlite import writer
from raidlog.errors import BackendError, DuplicateRefError, ItemNotFoundError

CLOCK = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
TABLES = ("refs", "risks", "actions", "events", "links", "counters", "item_fts_config")


def _batch(count: int) -> list[Risk | Action]:
    items: list[Risk | Action] = []
    for n in range(count):
        if n % 3 == 2:
            # Links to the last risk, added earlier in the same write.
            link = Link(relation=Relation.MITIGATES, target=f"R-{n - n // 3 - 1:04d}")
            items.append(Action(title=f"act {n} é", links=(link,)))
        else:
            items.append(Risk(title=f"risk {n} ∑", probability=1 + n % 5, impact=3))
    return items


def _add(path: Path, count: int) -> None:
    with raidlog.open(str(path), actor="ana", clock=lambda: CLOCK) as reg:
        reg.add_many(_batch(count))
        assert reg.verify().ok


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        conn.close()


def _search(path: Path, word: str) -> list[str]:
    with raidlog.open(str(path), actor="ana") as reg:
        return sorted(str(i.ref) for i in reg.query(text=word))


def test_the_writer_thread_stores_what_the_inline_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "ON_THREAD_FROM", 10**9)  # every insert at once
    _add(tmp_path / "inline.db", 700)
    monkeypatch.setattr(writer, "ON_THREAD_FROM", 1)  # every insert on the thread
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 70)
    _add(tmp_path / "thread.db", 700)
    inline, threaded = _rows(tmp_path / "inline.db"), _rows(tmp_path / "thread.db")
    assert len(inline["refs"]) == 700
    assert len(inline["links"]) == 233
    assert threaded == inline  # foreign keys hold although tables' rows came in another order
    found = _search(tmp_path / "thread.db", "risk")
    assert found == _search(tmp_path / "inline.db", "risk")
    assert len(found) == 467


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "ON_THREAD_FROM", 1)
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 50)
    monkeypatch.setattr("raidlog.register.write.FLUSH_EVERY", 40)


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "raidlog-sqlite-writer"]


@pytest.fixture
def path(tmp_path: Path) -> Iterator[Path]:
    interval = sys.getswitchinterval()
    yield tmp_path / "raid.db"
    assert _writers() == []  # no write leaves its thread behind
    assert sys.getswitchinterval() == interval  # nor its switch interval


@pytest.mark.usefixtures("threaded")
def test_a_taken_ref_on_the_thread_is_named_and_nothing_is_stored(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Risk(title="taken", ref="R-0150"))
        batch = [Risk(title=f"new {n}") for n in range(200)] + [Risk(title="x", ref="R-0150")]
        with pytest.raises(DuplicateRefError) as raised:
            reg.add_many(batch)
        assert raised.value.ref == "R-0150"
        assert len(reg) == 1
        assert reg.add(Risk(title="next")).ref == "R-0151"
        assert reg.verify().ok


@pytest.mark.usefixtures("threaded")
def test_a_counter_behind_the_stored_refs_is_repaired_on_the_thread(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add_many([Risk(title=f"old {n}") for n in range(90)])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE counters SET last = 10 WHERE prefix = 'R'")
    conn.close()
    with raidlog.open(str(path), actor="ana") as reg:
        added = reg.add_many([Risk(title=f"new {n}") for n in range(120)])
        assert added.refs[0] == "R-0091"
        assert added.refs[-1] == "R-0210"
        assert len(reg) == 210
        assert reg.verify().ok


@pytest.mark.usefixtures("threaded")
def test_a_failure_while_the_thread_stores_earlier_slices_stores_nothing(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Risk(title="first"))
        batch: list[Risk | Action] = [Risk(title=f"new {n}") for n in range(300)]
        batch.append(
            Action(title="bad", links=(Link(relation=Relation.MITIGATES, target="R-9999"),))
        )
        with pytest.raises(ItemNotFoundError):
            reg.add_many(batch)
        assert len(reg) == 1
        assert [e.ref for e in reg.events()] == ["profile", "R-0001"]
        assert reg.add_many([Risk(title=f"again {n}") for n in range(50)]).refs[0] == "R-0002"
        assert reg.verify().ok


@pytest.mark.usefixtures("threaded")
def test_reads_in_a_write_wait_for_what_the_thread_is_storing(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        added = reg.add_many([Risk(title=f"r {n}") for n in range(120)])
        retitled = [
            attrs.evolve(reg.get(ref), title=f"r {n} v2") for n, ref in enumerate(added.refs[:60])
        ]
        # The new items' slices are on the thread when the updates read their items.
        reg.upsert_many([*(Risk(title=f"more {n}") for n in range(80)), *retitled])
        assert reg.get("R-0001").title == "r 0 v2"
        assert reg.get("R-0001").version == 2
        assert len(reg) == 200
        assert sorted(str(i.ref) for i in reg.query(text="v2")) == list(added.refs[:60])
        assert reg.verify().ok


# the writer itself -------------------------------------------------------------------------
@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, word TEXT NOT NULL)")
    yield connection
    connection.close()


INSERT = "INSERT INTO t (id, word) VALUES (?, ?)"


def test_rows_are_stored_in_order_across_statements(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 8)  # 4 rows a statement
    rows = [(n, f"w{n}") for n in range(1, 1003)]
    w = writer.Writer(conn)
    w.insert(INSERT, rows[:501])
    w.insert(INSERT, rows[501:])
    w.wait()  # the last 2 rows: stored by executemany
    assert conn.execute("SELECT id, word FROM t ORDER BY rowid").fetchall() == rows
    w.close()


def test_a_failed_insert_is_raised_once_mapped_then_fails_every_later_wait(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 20)  # 10 rows a statement
    w = writer.Writer(conn)
    w.insert(INSERT, [(n, "a") for n in range(1, 300)])

    def write_the_rest() -> None:
        # Raised by the next insert once the thread has failed, else by wait().
        w.insert(
            INSERT,
            [(n, None) for n in range(300, 600)],
            lambda exc, rows: ValueError(f"bad: {exc}, {rows[-1]}"),
        )
        w.insert(INSERT, [(n, "c") for n in range(600, 900)])  # never stored
        w.wait()

    with pytest.raises(ValueError, match=r"bad: NOT NULL constraint failed: t.word, \(300, "):
        write_the_rest()
    with pytest.raises(BackendError, match="abandoned after an earlier error"):
        w.wait()
    w.close(abandon=True)
    # Statements of ids 1-10, 11-20...: the one holding 291 to 300 failed as a whole.
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (290,)


def test_an_error_the_map_leaves_alone_is_raised_as_it_was(conn: sqlite3.Connection) -> None:
    w = writer.Writer(conn)
    w.insert(INSERT, [(1, "a")] * 300, lambda exc, rows: None)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        w.wait()
    w.close(abandon=True)


def test_few_rows_are_stored_at_once_on_the_callers_thread(conn: sqlite3.Connection) -> None:
    w = writer.Writer(conn)
    w.insert(INSERT, [(1, "a"), (2, "b")])
    assert _writers() == []
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    with pytest.raises(DuplicateRefError):
        w.insert(INSERT, [(1, "again")], lambda exc, rows: DuplicateRefError("T-1"))
    w.close()


def test_abandoning_stops_after_the_running_statement(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 600)  # 300 rows a statement
    entered, gate = threading.Event(), threading.Event()

    def wait_at_first(n: int) -> bool:
        if n == 1:
            entered.set()
            return gate.wait()
        return True

    # The first row waits for the gate, so the first insert is running when abandoned.
    conn.create_function("gate", 1, wait_at_first)
    conn.execute("CREATE TRIGGER g BEFORE INSERT ON t BEGIN SELECT gate(NEW.id); END")
    w = writer.Writer(conn)
    for first in range(0, 1500, 300):  # no more than the queue holds ahead
        w.insert(INSERT, [(n, "x") for n in range(first + 1, first + 301)])
    entered.wait()
    closing = threading.Thread(target=w.close, kwargs={"abandon": True})
    closing.start()
    while not w._worker.dropping:
        closing.join(0.001)
    gate.set()
    closing.join()
    assert _writers() == []
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (300,)


def test_the_switch_interval_is_short_while_a_writer_runs_and_put_back_after(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "VALUES_A_STATEMENT", 2)
    before = sys.getswitchinterval()
    w = writer.Writer(conn)
    w.insert(INSERT, [(n, "x") for n in range(1, 300)])
    assert sys.getswitchinterval() == min(before, writer.SWITCH_INTERVAL)
    w.wait()
    w.close()
    assert sys.getswitchinterval() == before


@given(count=st.integers(0, 50_000), step=st.integers(1, 10_000))
def test_rows_stored_whole_take_a_few_statement_sizes(count: int, step: int) -> None:
    # Each size is a statement the connection keeps prepared: a whole table's rows of
    # any count come in full steps and powers of two below the step, never a new size.
    sizes = writer._sizes(count, step)
    assert sum(sizes) == count
    assert all(s == step or (s < step and s & (s - 1) == 0) for s in sizes)
    assert len(set(sizes)) <= step.bit_length() + 1


MIXED = (
    "CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT, b INTEGER DEFAULT 5, "
    "c TEXT NOT NULL DEFAULT 'x', d TEXT, e INTEGER)"
)
INSERT_MIXED = "INSERT INTO m (id, a, b, c, d, e) VALUES (?, ?, ?, ?, ?, ?)"
_cell = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3))


@given(
    rows=st.lists(
        st.tuples(_cell, _cell, st.text(max_size=2), _cell, _cell).map(list),
        min_size=1,
        max_size=120,
    ),
    per_statement=st.integers(1, 40),
)
def test_batches_leaving_out_empty_columns_store_what_executemany_stores(
    rows: list[list[object]], per_statement: int
) -> None:
    # Columns with a default (b) are never left out, whatever the batch holds: left
    # out, they would take their default instead of NULL.
    numbered = [(n, *row) for n, row in enumerate(rows, start=1)]
    stored = []
    for threaded in (False, True):
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.execute(MIXED)
        if threaded:
            shapes = writer.Shapes()
            for first in range(0, len(numbered), per_statement):
                conn.execute(
                    *shapes.statement(conn, INSERT_MIXED, numbered[first : first + per_statement])
                )
        else:
            conn.executemany(INSERT_MIXED, numbered)
        stored.append(conn.execute("SELECT *, typeof(b) FROM m ORDER BY id").fetchall())
        conn.close()
    assert stored[1] == stored[0]


def test_a_connection_keeps_a_few_shapes_a_table() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(MIXED)
    shapes = writer.Shapes()
    # Which columns the batch leaves empty: a, d, e, then d, e, then a, e, then e.
    batches = [
        [(1, None, 1, "c", None, None)],
        [(2, "a", 1, "c", None, None)],
        [(3, None, 1, "c", "d", None)],
        [(4, "a", 1, "c", "d", None)],
        [(5, None, None, "c", None, None)],
    ]
    statements = [shapes.statement(conn, INSERT_MIXED, rows)[0] for rows in batches]
    assert statements[0] == "INSERT INTO m (id, b, c) VALUES (?, ?, ?)"
    assert statements[1] == "INSERT INTO m (id, a, b, c) VALUES (?, ?, ?, ?)"
    assert statements[2] == INSERT_MIXED  # a third shape: the full statement
    assert statements[3] == INSERT_MIXED
    assert statements[4] == statements[0]  # b has a default: never left out
    for rows in batches:
        conn.execute(*shapes.statement(conn, INSERT_MIXED, rows))
    assert conn.execute("SELECT b FROM m WHERE id = 5").fetchone() == (None,)
    assert conn.execute("SELECT count(*) FROM m").fetchone() == (5,)
    conn.close()


def test_other_statements_are_stored_as_they_are() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(MIXED)
    sql = "INSERT INTO m (id, a) SELECT ?, ?"
    assert writer._may_leave_out(conn, sql) == ()
    assert writer._may_leave_out(conn, INSERT_MIXED) == (1, 4, 5)
    conn.close()
