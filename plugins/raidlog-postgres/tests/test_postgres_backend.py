"""What the PostgreSQL backend guarantees beyond the conformance suite."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import attrs
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from raidlog_postgres import SCHEMA_VERSION
from raidlog_postgres import schema as schema_module
from raidlog_postgres.backend import PostgresBackend, _PostgresTransaction
from raidlog_postgres.compile import order_clause, where_clause

import raidlog
from raidlog.backends.base import Transaction
from raidlog.errors import BackendError, ConflictError, DuplicateRefError, SchemaVersionError
from raidlog.model.events import Event, event_row
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Action, Decision, Item, Risk
from raidlog.plugins import get_plugin_manager, plugin_versions
from raidlog.query import Query, evaluate
from raidlog.testing import strategies

Raw = psycopg.Connection[tuple[object, ...]]


def _open(location: str, **options: Any) -> raidlog.Register:
    return raidlog.open(location, actor="tester", options=options)


def _backend(reg: raidlog.Register) -> PostgresBackend:
    assert isinstance(reg.backend, PostgresBackend)
    return reg.backend


def _table(schema: str, name: str) -> sql.Identifier:
    return sql.Identifier(schema, name)


def _conn(txn: Transaction) -> psycopg.Connection[Any]:
    """The connection of the backend's own transaction (to provoke server errors)."""
    conn: psycopg.Connection[Any] = txn.conn  # type: ignore[attr-defined]  # PostgresTransaction
    return conn


# the server ------------------------------------------------------------------------------
Check = Callable[[str | None], str]


def test_without_a_server_tests_skip_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, require_server: Check
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="RAIDLOG_TEST_POSTGRES_URL"):
        require_server("postgresql://nobody@127.0.0.1:1/none")


def test_without_a_server_ci_fails(monkeypatch: pytest.MonkeyPatch, require_server: Check) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="RAIDLOG_TEST_POSTGRES_URL"):
        require_server("postgresql://nobody@127.0.0.1:1/none")


def test_an_unreachable_server_is_a_backend_error_without_the_password() -> None:
    with pytest.raises(BackendError, match="cannot open") as caught:
        _open("postgresql://ana:s3cret@127.0.0.1:1/none?schema=x", connect_timeout=1)
    assert "s3cret" not in str(caught.value)


def test_the_plugin_is_listed_with_its_version() -> None:
    assert "raidlog-postgres 0.1.0" in plugin_versions(get_plugin_manager()).values()


# schema ----------------------------------------------------------------------------------
def test_a_new_register_creates_its_schema_with_the_current_version(
    location: str, schema: str, raw: Raw
) -> None:
    with _open(location) as reg:
        assert reg.capabilities.concurrent_processes
    rows = raw.execute(sql.SQL("SELECT key, value FROM {}").format(_table(schema, "meta")))
    meta = {str(key): str(value) for key, value in rows.fetchall()}
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["format"] == "raidlog"


def test_a_register_from_a_newer_release_is_refused(location: str, schema: str, raw: Raw) -> None:
    _open(location).close()
    raw.execute(
        sql.SQL("UPDATE {} SET value = '99' WHERE key = 'schema_version'").format(
            _table(schema, "meta")
        )
    )
    with pytest.raises(SchemaVersionError, match="upgrade raidlog-postgres"):
        _open(location)


def test_a_schema_holding_other_tables_is_refused(location: str, schema: str, raw: Raw) -> None:
    raw.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    raw.execute(sql.SQL("CREATE TABLE {} (id int)").format(_table(schema, "payroll")))
    with pytest.raises(SchemaVersionError, match="not a raidlog register"):
        _open(location)


def test_an_older_schema_is_migrated_in_order(
    location: str, schema: str, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _open(location) as reg:
        risk = reg.add(Risk(title="kept"))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(
        schema_module.MIGRATIONS,
        SCHEMA_VERSION,
        ("ALTER TABLE {s}.items ADD COLUMN migrated boolean NOT NULL DEFAULT true",),
    )
    with _open(location) as reg:
        assert reg.get(risk.ref or "") == risk
    version = raw.execute(
        sql.SQL("SELECT value FROM {} WHERE key = 'schema_version'").format(_table(schema, "meta"))
    ).fetchone()
    assert version == (str(SCHEMA_VERSION + 1),)
    assert raw.execute(
        sql.SQL("SELECT migrated FROM {}").format(_table(schema, "items"))
    ).fetchone()


def test_a_body_and_an_objective_of_one_name_are_two_records(location: str) -> None:
    """Regression: schema version 1 stored objectives as bodies, so putting the objective
    ``O-1`` overwrote the body ``O-1`` (and ``verify()`` then failed)."""
    with _open(location) as reg:
        reg.put_body(Body(name="O-1", score_tolerance=12))
        reg.put_objective(Objective(name="O-1", title="Grow"))
        assert sorted(type(e).__name__ for e in reg.backend.entities()) == ["Body", "Objective"]
        assert reg.structure().bodies["O-1"].score_tolerance == 12
        assert reg.verify().ok


def test_objectives_stored_as_bodies_by_version_1_are_migrated(
    location: str, schema: str, raw: Raw
) -> None:
    with _open(location) as reg:
        reg.put_node(Node(name="corp", level="corporate"))
        reg.put_objective(Objective(name="O-1", title="Grow", node="corp"))
    entities, meta = _table(schema, "entities"), _table(schema, "meta")
    for statement in (  # what version 1 wrote
        "ALTER TABLE {e} DROP CONSTRAINT entities_entity_check",
        "UPDATE {e} SET entity = 'body' WHERE entity = 'objective'",
        "ALTER TABLE {e} ADD CONSTRAINT entities_entity_check CHECK (entity IN ('node', 'body'))",
        "UPDATE {m} SET value = '1' WHERE key = 'schema_version'",
    ):
        raw.execute(sql.SQL(statement).format(e=entities, m=meta))  # type: ignore[arg-type]  # fixed test SQL
    with _open(location) as reg:
        assert reg.structure().objectives["O-1"].title == "Grow"
        reg.put_body(Body(name="O-1"))  # no longer taken by the objective
        assert reg.verify().ok
    stored = raw.execute(sql.SQL("SELECT entity, name FROM {} ORDER BY 1, 2").format(entities))
    assert stored.fetchall() == [("body", "O-1"), ("node", "corp"), ("objective", "O-1")]


def test_processes_opening_one_new_register_at_once_create_it_once(location: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            _open(location).close()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_sessions_carry_the_timeouts(location: str) -> None:
    with _open(location, statement_timeout=7, idle_in_transaction_timeout=9) as reg:
        backend = _backend(reg)
        with backend._connection() as conn:
            row = conn.execute(
                "SELECT current_setting('statement_timeout'), "
                "current_setting('idle_in_transaction_session_timeout'), "
                "current_setting('TimeZone')"
            ).fetchone()
    assert row == ("7s", "9s", "UTC")


def test_a_statement_over_the_timeout_is_a_clear_error(location: str) -> None:
    with _open(location, statement_timeout=0.2) as reg:
        backend = _backend(reg)

        def slow(txn: Transaction) -> None:
            _conn(txn).execute("SELECT pg_sleep(2)")

        with pytest.raises(BackendError, match="statement_timeout option"):
            backend.atomic(slow)


# history cannot be rewritten, even from psql ------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {events} SET actor = 'mallory'",
        "DELETE FROM {events}",
        "TRUNCATE {events}",
        "DELETE FROM {items}",
        "TRUNCATE {items} CASCADE",
        "UPDATE {items} SET title = 'quietly changed' WHERE kind = 'decision'",
        "UPDATE {items} SET doc = '{{}}' WHERE kind = 'decision'",
    ],
)
def test_triggers_refuse_rewriting_history_from_raw_sql(
    location: str, schema: str, raw: Raw, statement: str
) -> None:
    with _open(location) as reg:
        reg.transition(reg.add(Decision(title="Go with vendor A")), "accepted")
        events = list(reg.events())
    query = sql.SQL(statement).format(
        events=_table(schema, "events"), items=_table(schema, "items")
    )
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match=r"refused|accepted"):
        raw.execute(query)
    with _open(location) as reg:
        assert list(reg.events()) == events
        assert reg.verify().ok


def test_an_accepted_decision_still_moves_through_its_lifecycle(location: str) -> None:
    with _open(location) as reg:
        decision = reg.transition(reg.add(Decision(title="Go")), "accepted")
        reg.supersede(decision, Decision(title="Go, but later"))
        assert reg.get(decision.ref or "").status == "superseded"
        assert reg.verify().ok


# injection -------------------------------------------------------------------------------
HOSTILE = "x'); DROP TABLE items; -- \\ $$ %s {s} \" & | ! :*"


def test_values_are_parameters_never_sql(location: str) -> None:
    with _open(location) as reg:
        risk = reg.add(Risk(title=HOSTILE, description=HOSTILE, owner=HOSTILE, tags=(HOSTILE,)))
        assert reg.get(risk.ref or "") == risk
        assert reg.query(owner=HOSTILE, tags=HOSTILE, text=HOSTILE) == [risk]
        assert reg.query(text="drop' OR 1=1 --") == []
        assert reg.count(owner="' OR ''='") == 0
        assert len(reg) == 1


def test_schema_names_are_identifiers_never_sql(server_url: str, raw: Raw) -> None:
    hostile = 'raidlog_test_"; DROP SCHEMA public; --'
    location = f"{server_url}?schema={quote(hostile)}"
    try:
        with _open(location) as reg:
            reg.add(Risk(title="in a strangely named schema"))
            assert _backend(reg).schema == hostile
        found = raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [hostile]).fetchone()
        assert found == (1,)
        assert raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'public'").fetchone()
    finally:
        raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(hostile)))


# transactions ------------------------------------------------------------------------------
def _failing(sqlstate: str, times: int, calls: list[int]) -> Any:
    """A work function whose first ``times`` runs end in a server error ``sqlstate``."""

    def work(txn: Transaction) -> str:
        calls.append(1)
        txn.put([(Risk(title=f"attempt {len(calls)}", ref=f"R-{len(calls):04d}", version=1), 0)])
        if len(calls) <= times:
            _conn(txn).execute(
                sql.SQL("DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = {}; END $$").format(
                    sql.Literal(sqlstate)
                )
            )
        return "done"

    return work


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_rerun_the_whole_transaction(
    location: str, sqlstate: str
) -> None:
    calls: list[int] = []
    with _open(location) as reg:
        assert reg.backend.atomic(_failing(sqlstate, 2, calls)) == "done"
        assert len(calls) == 3
        # The two failed attempts left nothing behind: only the third one's item.
        assert [i.title for i in reg.items()] == ["attempt 3"]


def test_retries_are_bounded(location: str) -> None:
    calls: list[int] = []
    with _open(location, retries=3) as reg:
        with pytest.raises(BackendError, match="gave up after 3 attempts"):
            reg.backend.atomic(_failing("40001", 99, calls))
        assert len(calls) == 3
        assert list(reg.items()) == []


def test_other_server_errors_are_not_retried(location: str) -> None:
    calls: list[int] = []
    with _open(location) as reg:
        with pytest.raises(BackendError, match="provoked"):
            reg.backend.atomic(_failing("22000", 99, calls))
        assert len(calls) == 1


def test_a_real_deadlock_is_retried(location: str, schema: str, server_url: str) -> None:
    """A psql session and a raidlog write lock two rows in opposite orders. PostgreSQL
    aborts the raidlog transaction (it waited first) with 40P01; it runs again once
    the other session has finished, and commits."""
    with _open(location) as reg:
        reg.add(Risk(title="makes the R counter row"))
        counters, meta = _table(schema, "counters"), _table(schema, "meta")
        lock_counter = sql.SQL("SELECT 1 FROM {} WHERE prefix = 'R' FOR UPDATE").format(counters)
        pids: list[int] = []
        errors: list[BaseException] = []
        writer_locked = threading.Event()

        def other_session() -> None:
            try:
                with psycopg.connect(server_url) as conn, conn.transaction():
                    conn.execute(lock_counter)
                    writer_locked.set()
                    with psycopg.connect(server_url, autocommit=True) as watch:
                        while not pids or watch.execute(
                            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                            [pids[0]],
                        ).fetchone() != ("Lock",):
                            threading.Event().wait(0.02)
                    conn.execute(
                        sql.SQL("SELECT 1 FROM {} WHERE key = 'writer' FOR UPDATE").format(meta)
                    )
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        attempts: list[int] = []

        def work(txn: Transaction) -> None:
            attempts.append(1)
            conn = _conn(txn)
            if len(attempts) == 1:
                thread.start()
                writer_locked.wait(10)
                pids.append(conn.info.backend_pid)
            conn.execute(lock_counter)
            txn.put([(Risk(title="after the deadlock", ref="R-0002", version=1), 0)])

        thread = threading.Thread(target=other_session)
        reg.backend.atomic(work)
        thread.join(10)
        assert errors == []
        assert len(attempts) == 2
        assert reg.get("R-0002") is not None


def test_the_store_refuses_stale_versions_and_taken_refs(location: str) -> None:
    with _open(location) as reg:
        risk = reg.add(Risk(title="x"))
        newer = reg.update(risk, title="y")
        with pytest.raises(ConflictError) as caught:
            reg.backend.atomic(lambda txn: txn.put([(attrs.evolve(risk, title="z"), 1)]))
        assert caught.value.current == newer
        with pytest.raises(DuplicateRefError):
            reg.backend.atomic(lambda txn: txn.put([(attrs.evolve(risk, version=1), 0)]))
        missing = Risk(title="never stored", ref="R-0999", version=2)
        with pytest.raises(ConflictError):
            reg.backend.atomic(lambda txn: txn.put([(missing, 1)]))
        assert reg.get(risk.ref or "") == newer


def test_bulk_writes_go_through_copy_and_stay_all_or_nothing(location: str) -> None:
    with _open(location) as reg:
        reg.add(Action(title="first", ref="A-0500"))
        batch = [Action(title=f"bulk {n}") for n in range(300)]
        added = reg.add_many(batch)
        assert [a.ref for a in added[:2]] == ["A-0501", "A-0502"]
        clash = [*(Action(title=f"more {n}", ref=f"A-{900 + n}") for n in range(50))]
        clash.append(Action(title="taken", ref="A-0500"))
        with pytest.raises(DuplicateRefError, match="A-0500"):
            reg.add_many(clash)
        assert len(reg) == 301
        assert len(list(reg.events())) == 1 + 301  # the profile, then the items
        assert reg.verify().ok


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=st.lists(strategies.items(), min_size=40, max_size=60))
def test_items_and_events_written_by_binary_copy_read_back_exactly(
    location: str, batch: list[Item]
) -> None:
    # 32 rows and more go through binary COPY: every kind and field must survive it.
    with _open(location) as reg:
        before = len(list(reg.events()))
        stored = reg.add_many([attrs.evolve(i, ref=None) for i in batch])
        assert [reg.get(i.ref or "") for i in stored] == stored
        events = [e for e in list(reg.events())[before:] if e.kind != "profile"]
        assert [e.ref for e in events] == [i.ref for i in stored]
        assert reg.verify().ok
        # The query columns COPY wrote from preformed bytes (arrays, doc) and the token
        # cache (words) hold what an UPDATE of the same items would write.
        assert reg.backend.audit({i.ref or "": i for i in stored}) == []


def test_a_large_insert_written_in_the_background_fails_as_a_whole(
    location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From 256 items the COPY data goes to a helper thread, which sends it while the
    # register goes on; a failure there must surface in the caller and roll everything
    # back.
    with _open(location) as reg:
        reg.add(Action(title="before"))
        sent: list[str] = []
        send = _PostgresTransaction._send

        def failing_send(txn: _PostgresTransaction, copy: Any, payload: Any) -> None:
            sent.append(threading.current_thread().name)
            if len(sent) == 3:  # after two that were stored
                raise psycopg.errors.DataException("refused by the server")
            send(txn, copy, payload)

        monkeypatch.setattr(_PostgresTransaction, "_send", failing_send)
        with pytest.raises(BackendError, match="refused by the server"):
            reg.add_many([Action(title=f"bulk {n}") for n in range(2000)])
        assert len(sent) == 3
        assert threading.current_thread().name not in sent  # it ran in the background
        monkeypatch.undo()
        assert len(reg) == 1
        assert len(list(reg.events())) == 1 + 1  # the profile, then the item
        assert reg.verify().ok
        added = reg.add_many([Action(title=f"again {n}") for n in range(1200)])
        assert added[0].ref == "A-0002"  # the failed write's refs were never taken
        assert len(reg) == 1201
        assert reg.verify().ok


def test_a_taken_ref_in_a_background_insert_is_named_by_its_copy(location: str) -> None:
    # From 256 items a taken ref fails the COPY itself (no look-up first): the error
    # still names it, so the register moves a counter behind it past it and adds again.
    with _open(location) as reg:
        stored = _stored(Action(title="stored"), "A-0300")
        reg.backend.atomic(lambda txn: txn.put([(stored, 0)]))
        added = reg.add_many([Action(title=f"bulk {n}") for n in range(600)])
        assert added[0].ref == "A-0301"
        assert len(reg) == 601
        chosen = [Action(title=f"chosen {n}", ref=f"A-{2000 + n}") for n in range(299)]
        with pytest.raises(DuplicateRefError, match="A-0300"):
            reg.add_many([*chosen, Action(title="taken", ref="A-0300")])
        assert len(reg) == 601


def _rows_of(events: list[Event]) -> list[tuple[Any, ...]]:
    return [event_row(e, e.at) for e in events]


def _append_rows(txn: Transaction, rows: list[tuple[Any, ...]]) -> None:
    txn.append_rows(rows)  # the store's own method (Transaction.append_rows is the default)


@pytest.mark.parametrize("count", [3, 40, 2500])  # an INSERT, a COPY, a COPY in the background
def test_event_rows_are_stored_as_the_events_they_hold(location: str, count: int) -> None:
    with raidlog.open("memory:", actor="tester") as source:
        source.add_many([Risk(title=f"Zürich {n}", extra={"big": 2**70}) for n in range(count)])
        events = list(source.events())
    with _open(location) as reg:
        backend = _backend(reg)
        half = len(events) // 2
        for part in (events[:half], events[half:]):
            backend.atomic(functools.partial(_append_rows, rows=_rows_of(part)))
        assert list(reg.events()) == events
        assert backend.head().seq == events[-1].seq


def test_event_rows_that_break_the_chain_are_refused(location: str) -> None:
    with raidlog.open("memory:", actor="tester") as source:
        source.add_many([Action(title=f"a {n}") for n in range(3)])
        events = list(source.events())
    with _open(location) as reg:
        backend = _backend(reg)
        with pytest.raises(BackendError, match="does not continue the chain"):
            backend.atomic(lambda txn: txn.append_rows(_rows_of(events[1:])))
        rows = _rows_of(events)
        rows[2] = (*rows[2][:11], "f" * 64, rows[2][12])
        with pytest.raises(BackendError, match="event 3 does not continue"):
            backend.atomic(lambda txn: txn.append_rows(rows))
        assert list(reg.events()) == []


def test_a_failed_background_write_fails_every_later_step_of_the_transaction(
    location: str,
) -> None:
    # The helper thread's first error stays: work that catches it once cannot go on and
    # commit without the rows the failed write left out.
    batch = [_stored(Action(title=f"bulk {n}"), f"A-{n:04d}") for n in range(2, 1202)]
    batch.append(_stored(Action(title="taken"), "A-0001"))
    seen: list[str] = []

    def work(txn: Transaction) -> None:
        txn.put([(item, 0) for item in batch])
        with pytest.raises(DuplicateRefError, match="A-0001"):
            txn.get("A-0002")
        seen.append("caught")
        txn.set_meta("after", "the failure")

    with _open(location) as reg:
        reg.add(Action(title="first"))
        with pytest.raises(DuplicateRefError, match="A-0001"):
            reg.backend.atomic(work)
        assert seen == ["caught"]
        assert len(reg) == 1
        assert reg.backend.get_meta("after") is None


# queries -----------------------------------------------------------------------------------
def _stored(item: Item, ref: str) -> Item:
    return attrs.evolve(item, ref=ref, version=1)


def test_sql_null_semantics_match_the_reference_evaluator(location: str) -> None:
    """Items without status, body, score or words pass and fail filters exactly as in
    :func:`raidlog.query.evaluate`, whatever SQL's three-valued logic would suggest."""
    long_word = "é" * 150 + "x"  # stored as a digest: longer than a lexeme may be
    items: list[Item] = [
        _stored(Risk(title="Café budget", probability=2, impact=3, score=6), "R-0001"),
        _stored(Risk(title="no status"), "R-0002"),
        _stored(Action(title=f"Naïve {long_word}", status="done", body="PMO"), "A-0001"),
        _stored(Action(title="!!!", escalated_to=("PMO",), due=date(2026, 1, 1)), "A-0002"),
    ]
    queries = [
        Query(exclude=[("risk", "open"), ("action", "done")]),
        Query(body="PMO"),
        Query(min_score=1, order_by=["-score"]),
        Query(text="CAFE"),
        Query(text=f"naive {long_word.upper()}"),
        Query(text="!!!"),
        Query(text="   "),
        Query(statuses=["done"], due_before=date(2027, 1, 1)),
        Query(order_by=["status", "-due", "title"], limit=3, offset=1),
        Query(kinds=[]),
    ]
    with _open(location) as reg:
        reg.backend.atomic(lambda txn: txn.put([(item, 0) for item in items]))
        for query in queries:
            assert reg.backend.query(query) == evaluate(query, items), query
            expected = len(evaluate(attrs.evolve(query, limit=None, offset=0), items))
            assert reg.backend.count(query) == expected, query


BODY_VIEW = Query(body="PMO", order_by=["-score"], limit=50)
OVERDUE = Query(kinds=["action"], nodes=["programme"], due_before=date(2026, 6, 1))


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        (Query(text="supplier"), ["items_search"]),
        (BODY_VIEW, ["items_body_score", "items_escalated_to"]),
        (OVERDUE, []),
    ],
)
def test_dashboard_queries_can_use_their_indexes(
    location: str, schema: str, raw: Raw, query: Query, indexes: list[str]
) -> None:
    with _open(location):
        pass
    where, params = where_clause(query)
    statement = sql.SQL("EXPLAIN SELECT doc FROM {} WHERE {} ORDER BY {}").format(
        _table(schema, "items"), where, order_clause(query)
    )
    raw.execute("SET enable_seqscan = off")  # an empty table would be scanned otherwise
    plan = " ".join(str(row[0]) for row in raw.execute(statement, params))
    assert "Seq Scan" not in plan
    for index in indexes:
        assert index in plan


def test_a_connection_killed_while_idle_in_the_pool_is_replaced(location: str, raw: Raw) -> None:
    with _open(location, pool_size=1) as reg:
        risk = reg.add(Risk(title="before the restart"))
        with _backend(reg)._connection() as conn:
            pid = conn.info.backend_pid
        raw.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert reg.get(risk.ref or "") == risk  # a read runs again on a new connection
        with _backend(reg)._connection() as conn:
            pid = conn.info.backend_pid
        raw.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert reg.add(Risk(title="after the restart")).ref == "R-0002"  # nothing had run


def test_the_python_row_formatter_writes_what_psycopgs_own_writes(server_url: str) -> None:
    # The bulk path formats COPY rows with psycopg's non-public formatter and keeps a
    # Python one for a psycopg whose formatter moved: both must give the same bytes.
    from psycopg import pq
    from psycopg.adapt import Transformer as RowTransformer
    from raidlog_postgres import backend as pg

    types = ["int8", "text", "text[]", "timestamptz", "jsonb", "bool", "date", "float8"]
    rows = [
        (
            1,
            "plain",
            ["a", "b"],
            datetime(2026, 6, 1, 9, tzinfo=UTC),
            '{"k": 1}',
            True,
            date(2026, 6, 1),
            1.5,
        ),
        (
            2**40,
            "Café ∑ \u2028",
            [],
            datetime(1999, 12, 31, tzinfo=UTC),
            "[]",
            False,
            date(1, 1, 1),
            -0.0,
        ),
        (3, None, None, None, None, None, None, None),
    ]
    with psycopg.connect(server_url.split("?")[0]) as conn, conn.cursor() as cur:
        tx = RowTransformer(cur)
        tx.set_dumper_types([cur.adapters.types.get_oid(t) for t in types], pq.Format.BINARY)
        for row in rows:
            ours, theirs = bytearray(), bytearray()
            pg._python_format_row_binary(row, tx, ours)
            pg._format_row_binary(row, tx, theirs)
            assert ours == theirs, row
