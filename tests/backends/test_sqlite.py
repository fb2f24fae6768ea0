"""The SQLite backend: locations, connections, schema, triggers, push-down, backup."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog.backends.base import Transaction
from raidlog.backends.sqlite import SQLiteBackend, schema, words
from raidlog.backends.sqlite import backend as backend_module
from raidlog.backends.sqlite.connection import Settings, connect, parse_location
from raidlog.errors import BackendError, SchemaVersionError, ValidationError
from raidlog.hookspecs import hookimpl
from raidlog.model.governance import Objective
from raidlog.model.items import Action, Decision, Issue, Item, Risk
from raidlog.query import Query, evaluate, split_folded, text_words, unaccented
from raidlog.register import Register
from raidlog.testing import strategies


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Register]:
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana") as register:
        yield register


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection, as any SQLite tool would open the file."""
    return sqlite3.connect(path, isolation_level=None)


# locations ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("raid.db", "raid.db"),
        ("folder/raid.sqlite", "folder/raid.sqlite"),
        ("RAID.SQLITE3", "RAID.SQLITE3"),
        ("sqlite:///relative/raid.db", "relative/raid.db"),
        ("sqlite:////absolute/raid.db", "/absolute/raid.db"),
    ],
)
def test_locations_name_files(location: str, path: str) -> None:
    assert parse_location(location) == Path(path)


@pytest.mark.parametrize("location", ["sqlite://raid.db", "sqlite:raid.db", "sqlite:///", "x.xlsx"])
def test_bad_locations_are_refused_with_the_right_form(location: str) -> None:
    with pytest.raises(ValidationError, match=r"sqlite|SQLite"):
        parse_location(location)


def test_open_creates_the_file_and_finds_the_backend_by_suffix_and_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for location in ("raid.db", "raid.sqlite", "sqlite:///sub.db", f"sqlite:///{tmp_path}/abs.db"):
        with raidlog.open(location, actor="ana") as reg:
            assert isinstance(reg.backend, SQLiteBackend)
            reg.add(Risk(title="persisted"))
    assert {p.name for p in tmp_path.glob("*.db")} >= {"raid.db", "sub.db", "abs.db"}
    with raidlog.open("sqlite:///sub.db", actor="bo") as reg:
        assert [i.title for i in reg.items()] == ["persisted"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="does not exist"):
        raidlog.open(str(tmp_path / "nowhere" / "raid.db"), actor="ana")


# connection factory ------------------------------------------------------------------------
def _pragmas(conn: sqlite3.Connection) -> tuple[int, str, int, int]:
    return (
        conn.execute("PRAGMA foreign_keys").fetchone()[0],
        conn.execute("PRAGMA journal_mode").fetchone()[0],
        conn.execute("PRAGMA synchronous").fetchone()[0],
        conn.execute("PRAGMA busy_timeout").fetchone()[0],
    )


def test_every_connection_has_foreign_keys_wal_full_sync_and_a_busy_timeout(
    reg: Register,
) -> None:
    backend = reg.backend
    assert isinstance(backend, SQLiteBackend)
    seen: list[tuple[int, str, int, int]] = [_pragmas(backend._conn())]
    worker = threading.Thread(target=lambda: seen.append(_pragmas(backend._conn())))
    worker.start()
    worker.join()
    assert seen == [(1, "wal", 2, 10_000)] * 2


def test_connections_of_finished_threads_do_not_pile_up(reg: Register) -> None:
    backend = reg.backend
    assert isinstance(backend, SQLiteBackend)
    for n in range(12):
        worker = threading.Thread(target=lambda n=n: reg.add(Action(title=f"from thread {n}")))
        worker.start()
        worker.join()
    # The main thread's connection, and the last worker's until the next one is made.
    assert backend.open_connections() <= 2
    assert len(reg) == 12


def test_synchronous_can_be_opted_down_to_normal(tmp_path: Path) -> None:
    options = {"synchronous": "normal", "busy_timeout": 500}
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana", options=options) as reg:
        assert isinstance(reg.backend, SQLiteBackend)
        assert _pragmas(reg.backend._conn()) == (1, "wal", 1, 500)


def test_every_connection_has_the_page_cache_asked_for(tmp_path: Path) -> None:
    with raidlog.open(str(tmp_path / "a.db"), actor="ana") as reg:
        assert isinstance(reg.backend, SQLiteBackend)
        assert reg.backend._conn().execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
    with raidlog.open(str(tmp_path / "b.db"), actor="ana", options={"cache_mib": 8}) as reg:
        assert isinstance(reg.backend, SQLiteBackend)
        assert reg.backend._conn().execute("PRAGMA cache_size").fetchone()[0] == -8 * 1024


@pytest.mark.parametrize(
    "options",
    [
        {"synchronous": "OFF"},
        {"busy_timeout": -1},
        {"journal": "delete"},
        {"cache_mib": 0},
        {"cache_mib": "big"},
    ],
)
def test_unsafe_or_unknown_options_are_refused(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        raidlog.open(str(tmp_path / "raid.db"), actor="ana", options=options)
    assert not (tmp_path / "raid.db").exists()


def test_a_network_file_system_is_refused_with_a_pointer_to_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from raidlog.backends.sqlite import connection

    monkeypatch.setattr(connection, "filesystem_type", lambda path: "nfs4")
    with pytest.raises(BackendError, match=r"network file system \(nfs4\).*PostgreSQL"):
        connect(tmp_path / "raid.db", Settings())


# schema ------------------------------------------------------------------------------------
def test_schema_is_readable_by_any_sqlite_tool(reg: Register, tmp_path: Path) -> None:
    risk = reg.add(Risk(title="Supplier late", probability=3, impact=4, tags=("it",)))
    reg.add(Action(title="Chase", links=[("mitigates", risk.ref)], due=date(2026, 3, 1)))
    with raw(tmp_path / "raid.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"risks", "actions", "issues", "decisions", "assumptions", "dependencies"} <= names
        assert {"other_items", "links", "events", "nodes", "bodies", "meta", "register"} <= names
        row = conn.execute("SELECT ref, title, score, tags FROM risks").fetchone()
        assert row == ("R-0001", "Supplier late", 12, '["it"]')
        assert conn.execute("SELECT ref, kind, due FROM register ORDER BY ref").fetchall() == [
            ("A-0001", "action", "2026-03-01"),
            ("R-0001", "risk", None),
        ]
        assert conn.execute("SELECT * FROM links").fetchall() == [
            ("A-0001", 0, "mitigates", "R-0001")
        ]
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        assert meta["application"] == "raidlog"
        assert meta["schema_version"] == str(schema.SCHEMA_VERSION)
        created = conn.execute("SELECT created_at FROM risks").fetchone()[0]
        assert created.endswith("+00:00")


def test_dashboard_columns_are_indexed(reg: Register, tmp_path: Path) -> None:
    with raw(tmp_path / "raid.db") as conn:
        indexed = {
            (table, row[2])
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for index in conn.execute(f"PRAGMA index_list('{table}')")
            for row in conn.execute(f"PRAGMA index_info('{index[1]}')")
        }
    for column in ("body", "status", "node", "due", "next_review", "ref"):
        assert ("actions", column) in indexed
    assert ("risks", "score") in indexed
    assert ("other_items", "kind") in indexed
    assert ("escalations", "body") in indexed
    assert ("links", "target") in indexed


def test_migrations_are_one_per_version() -> None:
    assert len(schema.MIGRATIONS) == schema.SCHEMA_VERSION


def test_a_version_1_register_is_migrated_on_open_and_keeps_its_items(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    with raw(path) as conn:
        # A register as release 1 of the schema wrote it.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        schema.MIGRATIONS[0](conn)
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.execute("COMMIT")
    conn.close()
    with raw(path) as conn:
        assert "objectives" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with raidlog.open(str(path), actor="ana") as reg:
        risk = reg.add(Risk(title="before the upgrade"))
    with raw(path) as conn:
        # Back to exactly what version 1 holds, now with an item and its event in it.
        conn.execute("DROP TABLE objectives")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    with raidlog.open(str(path), actor="ana") as reg:
        assert reg.get(risk.ref or "") == risk
        reg.put_objective(Objective(name="O-1", title="Grow"))
        assert reg.verify().ok
    with raw(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(schema.SCHEMA_VERSION),)
        assert conn.execute("SELECT name, title FROM objectives").fetchall() == [("O-1", "Grow")]
    conn.close()


def test_a_register_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    raidlog.open(str(path), actor="ana").close()
    with raw(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match=r"newer raidlog.*version 99.*upgrade"):
        raidlog.open(str(path), actor="ana")


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with raw(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    before = path.read_bytes()
    with pytest.raises(BackendError, match=r"not a raidlog register.*customers"):
        raidlog.open(str(path), actor="ana")
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(BackendError, match="not a SQLite database"):
        raidlog.open(str(path), actor="ana")


def test_open_reads_only_metadata_whatever_the_size(tmp_path: Path) -> None:
    def statements_of_open(count: int) -> list[str]:
        location = str(tmp_path / f"r{count}.db")
        with raidlog.open(location, actor="ana") as reg:
            reg.add_many([Risk(title=f"risk {n}") for n in range(count)])
        seen: list[str] = []
        backend = SQLiteBackend.open(location, codec=reg.codec, options={"trace": seen.append})
        backend.close()
        return seen

    small, large = statements_of_open(1), statements_of_open(300)
    assert small == large
    item_tables = set(schema.table_specs()) | {"events", "refs", "links", "item_fts"}
    touched = [s for s in small if any(f" {t}" in s for t in item_tables)]
    assert touched == []


# triggers: raw SQL cannot rewrite history -------------------------------------------------
def test_raw_sql_cannot_edit_or_delete_events(reg: Register, tmp_path: Path) -> None:
    reg.add(Risk(title="x"))
    with raw(tmp_path / "raid.db") as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE events SET actor = 'mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM events")
    assert reg.verify().ok


@pytest.mark.parametrize("table", ["risks", "refs"])
def test_raw_sql_cannot_delete_items(reg: Register, tmp_path: Path, table: str) -> None:
    reg.add(Risk(title="x"))
    with raw(tmp_path / "raid.db") as conn, pytest.raises(sqlite3.IntegrityError, match="never"):
        conn.execute(f"DELETE FROM {table}")


def test_raw_sql_cannot_change_an_accepted_decision_but_supersede_works(
    reg: Register, tmp_path: Path
) -> None:
    decision = reg.transition(reg.add(Decision(title="Go", rationale="cheap")), "accepted")
    with raw(tmp_path / "raid.db") as conn:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute("UPDATE decisions SET rationale = 'rewritten'")
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute("UPDATE decisions SET status = 'superseded', title = 'sneaky'")
    new = reg.supersede(decision, Decision(title="Stop"))
    assert reg.get(decision.ref or "").status == "superseded"
    with raw(tmp_path / "raid.db") as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE decisions SET status = 'accepted' WHERE ref = ?", (decision.ref,))
    assert new.status == "accepted"
    assert reg.verify().ok


def test_the_decision_trigger_surfaces_as_immutable_item_error(reg: Register) -> None:
    decision = reg.transition(reg.add(Decision(title="Go", escalated_to=("ExCo",))), "accepted")
    with pytest.raises(raidlog.ImmutableItemError, match="supersede"):
        reg.deescalate(decision, "ExCo", reason="done")
    # Past the register's own check, the store still refuses to touch the record.
    edited = attrs.evolve(decision, escalated_to=(), version=decision.version + 1)
    with pytest.raises(raidlog.ImmutableItemError, match="immutable"):
        reg.backend.atomic(lambda txn: txn.put([(edited, decision.version)]))
    assert reg.get(decision.ref or "") == decision


# writes ------------------------------------------------------------------------------------
def test_duplicate_refs_are_refused_across_kinds(reg: Register) -> None:
    risk = reg.add(Risk(title="x"))
    # The register refuses a ref of another kind's prefix; the store refuses a taken ref
    # of any kind below that check.
    with pytest.raises(raidlog.ValidationError, match="does not start with I-"):
        reg.add(Issue(title="y", ref="R-0001"))
    issue = attrs.evolve(reg.add(Issue(title="y")), ref=risk.ref)
    with pytest.raises(raidlog.DuplicateRefError, match="R-0001"):
        reg.backend.atomic(lambda txn: txn.put([(issue, 0)]))
    assert len(reg) == 2


def test_a_stale_write_through_the_transaction_is_a_conflict(reg: Register) -> None:
    item = reg.add(Risk(title="x"))
    reg.update(item, title="y")
    with pytest.raises(raidlog.ConflictError) as caught:
        reg.update(item, title="z")
    assert caught.value.current is not None
    assert caught.value.current.title == "y"


def test_links_are_queryable_from_both_ends_in_order(reg: Register) -> None:
    risk = reg.add(Risk(title="r"))
    first = reg.add(Action(title="a1", links=[("mitigates", risk.ref)]))
    second = reg.add(Action(title="a2", links=[("relates_to", risk.ref), ("mitigates", risk.ref)]))
    assert reg.backend.links_to(risk.ref or "") == [
        (first.ref, raidlog.Relation.MITIGATES),
        (second.ref, raidlog.Relation.RELATES_TO),
        (second.ref, raidlog.Relation.MITIGATES),
    ]
    reg.update(second, links=())
    assert [s for s, _ in reg.backend.links_to(risk.ref or "")] == [first.ref]


def test_escalations_follow_the_item(reg: Register) -> None:
    risk = reg.add(Risk(title="r", body="PB"))
    reg.escalate(risk, "ExCo", reason="big")
    assert [i.ref for i in reg.query(body="ExCo")] == [risk.ref]
    reg.deescalate(risk.ref or "", "ExCo", reason="handled")
    assert reg.query(body="ExCo") == []
    assert reg.count(body="PB") == 1


def test_backup_copies_a_consistent_register(reg: Register, tmp_path: Path) -> None:
    reg.add_many([Risk(title=f"r{n}") for n in range(20)])
    target = tmp_path / "backup.db"
    reg.backup(target)
    with raidlog.open(str(target), actor="auditor") as copy:
        assert list(copy.items()) == list(reg.items())
        assert copy.verify().ok
    with pytest.raises(BackendError, match="exists"):
        reg.backup(target)


def test_backup_on_a_backend_without_it_is_a_clear_error() -> None:
    with raidlog.open("memory:", actor="ana") as reg, pytest.raises(BackendError, match="copy_to"):
        reg.backup("x.db")


def test_a_closed_backend_says_so(tmp_path: Path) -> None:
    reg = raidlog.open(str(tmp_path / "raid.db"), actor="ana")
    reg.close()
    reg.close()
    with pytest.raises(BackendError, match="closed"):
        reg.get("R-0001")


# text search equals the reference evaluator --------------------------------------------------
_LETTERS = st.characters(
    categories=("L", "N", "M", "P", "Zs", "S"), exclude_characters="\r\x85\u2028\u2029"
)
_TEXT = st.text(_LETTERS, max_size=40)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(titles=st.lists(_TEXT.filter(str.strip), min_size=1, max_size=8), words=_TEXT)
def test_text_search_equals_evaluate_for_any_unicode(
    tmp_path_factory: pytest.TempPathFactory, titles: list[str], words: str
) -> None:
    location = str(tmp_path_factory.mktemp("fts") / "raid.db")
    with raidlog.open(location, actor="ana") as reg:
        reg.add_many([Risk(title=t.strip()[:300], description=t[::-1]) for t in titles])
        stored = list(reg.items())
        for text in (words, " ".join(text_words(titles[0])[:2])):
            query = Query(text=text)
            assert reg.query(query) == evaluate(query, stored), text
            assert reg.count(query) == len(evaluate(query, stored))


# Pairs SQLite's own unicode61 tokenizer folds together (final and medial sigma, Greek
# upsilon, a black-letter capital and its plain letter) or does not split like Python.
_TRICKY = ["\u03c2", "\u03c3", "\u03a5", "\u03c5", "\u210c", "h", "\u19b0x", "\ufb01", "fi"]


def test_words_unicode61_would_merge_stay_apart(reg: Register) -> None:
    reg.add_many([Action(title=word) for word in _TRICKY])
    stored = list(reg.items())
    for word in _TRICKY:
        query = Query(text=word)
        assert reg.query(query) == evaluate(query, stored), word


def test_queries_over_several_kinds_order_with_empty_values_last(reg: Register) -> None:
    reg.add_many(
        [
            Risk(title="b", probability=2, impact=2, due=date(2026, 1, 2)),
            Action(title="a", due=date(2026, 1, 1)),
            Issue(title="c"),
            Risk(title="d", probability=5, impact=5),
        ]
    )
    stored = list(reg.items())
    for order in (("-score",), ("score", "-due"), ("due",), ("-title",), ("kind", "-ref")):
        query = Query(order_by=order, limit=3, offset=1)
        assert reg.query(query) == evaluate(query, stored), order


# busy writers ------------------------------------------------------------------------------
def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection holds the write lock for ``seconds``."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait()
    return holder


def test_a_write_blocked_past_the_busy_timeout_is_retried_whole(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    runs = []
    with raidlog.open(str(path), actor="ana", options={"busy_timeout": 50}) as reg:
        holder = _hold_write_lock(path, 0.3)

        def work(txn: Transaction) -> int:
            runs.append(1)
            return txn.allocate("R")

        assert reg.backend.atomic(work) == 1
        holder.join()
        assert len(runs) == 1  # work never ran half-way: BEGIN IMMEDIATE waited first
        assert reg.add(Risk(title="after")).ref == "R-0002"


def test_a_lock_that_never_frees_ends_in_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana", options={"busy_timeout": 20}) as reg:
        holder = _hold_write_lock(path, 4.0)
        with pytest.raises(BackendError, match="locked"):
            reg.add(Risk(title="blocked"))
        holder.join()
        assert len(reg) == 0


# kinds added by plugins ----------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Opportunity(Item):
    """A plugin's kind: stored in ``other_items`` with its own fields as JSON."""

    kind: ClassVar[str] = "opportunity"
    ref_prefix: ClassVar[str] = "OP"
    label: ClassVar[str] = "Opportunity"

    score: int | None = None
    upside: str = ""
    seen_on: date | None = None


class OpportunityPlugin:
    @hookimpl
    def register_kinds(self) -> list[type[Item]]:
        return [Opportunity]


_PROFILE = """
name = "with-opportunities"
extends = "default"
[lifecycle.opportunity]
initial = "open"
closed = ["taken"]
frozen = []
[lifecycle.opportunity.transitions]
open = ["taken"]
taken = []
"""


def test_plugin_kinds_round_trip_and_answer_queries(tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(_PROFILE)
    location = str(tmp_path / "raid.db")
    with raidlog.open(
        location, actor="ana", profile=str(profile), plugins=[OpportunityPlugin()]
    ) as reg:
        added = reg.add_many(
            [
                Opportunity(title="Reuse the platform", score=9, upside="cheaper", body="PB"),
                Opportunity(title="Sell the data", score=3, seen_on=date(2026, 2, 1)),
                Risk(title="Platform late", probability=4, impact=4, body="PB"),
            ]
        )
        assert [reg.get(i.ref or "") for i in added] == added
        stored = list(reg.items())
        for query in (
            Query(kinds=("opportunity",)),
            Query(min_score=5, order_by=("-score",)),
            Query(body="PB", order_by=("score",)),
            Query(exclude=(("opportunity", "open"),)),
            Query(text="platform"),
        ):
            assert reg.query(query) == evaluate(query, stored), query
            assert reg.count(query) == len(evaluate(query, stored))
        assert list(reg.items(["opportunity"])) == [i for i in stored if i.kind == "opportunity"]
        assert reg.verify().ok
    with raw(tmp_path / "raid.db") as conn:
        row = conn.execute("SELECT kind, title, fields FROM other_items ORDER BY ref").fetchone()
    assert row == (
        "opportunity",
        "Reuse the platform",
        '{"score":9,"upside":"cheaper","seen_on":null}',
    )


# push-down shortcuts keep the reference answers ----------------------------------------------
_ORDERS = st.sampled_from(
    [("-score",), ("score",), ("cost_exposure", "-due"), ("-residual_score", "title"), ("due",)]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(strategies.items(), min_size=1, max_size=30),
    order=_ORDERS,
    limit=st.integers(0, 6),
    offset=st.integers(0, 4),
    body=st.none() | st.sampled_from(strategies.BODIES),
)
def test_paged_orders_over_kinds_equal_evaluate(
    tmp_path_factory: pytest.TempPathFactory,
    batch: list[Item],
    order: tuple[str, ...],
    limit: int,
    offset: int,
    body: str | None,
) -> None:
    # Pages ordered by a key only some kinds have, with or without a body (split into
    # own and escalated arms), take shortcuts; they must not change the answer.
    with raidlog.open(str(tmp_path_factory.mktemp("page") / "raid.db"), actor="ana") as reg:
        reg.add_many(batch)
        stored = list(reg.items())
        query = Query(order_by=order, limit=limit, offset=offset, body=body)
        assert reg.query(query) == evaluate(query, stored)


def test_a_register_copied_into_sqlite_keeps_its_history(tmp_path: Path) -> None:
    with raidlog.open("memory:", actor="ana") as source:
        risk = source.add(Risk(title="Supplier late", probability=3, impact=3, ref="R-0007"))
        source.add(Action(title="Chase", links=[("mitigates", risk.ref)]))
        source.update(risk, impact=5, reason="worse")
        with raidlog.open(str(tmp_path / "copy.db"), actor="copier") as target:
            source.copy_to(target)
            assert list(target.items()) == list(source.items())
            assert list(target.events()) == list(source.events())
            assert target.verify().ok
            assert target.add(Risk(title="next")).ref == "R-0008"


def test_a_bulk_write_gives_the_search_index_a_larger_hash(tmp_path: Path) -> None:
    # FTS5's hashsize (pending terms before a segment is written) is kept in the index's
    # config table; a large write sets it, small ones leave the register as it was.
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add_many([Risk(title=f"small {n}") for n in range(10)])
        config = "SELECT v FROM item_fts_config WHERE k = 'hashsize'"
        assert raw(path).execute(config).fetchone() is None
        count = backend_module._FTS_TUNED_FROM
        reg.add_many([Risk(title=f"supplier {n}", description="late parts") for n in range(count)])
        assert raw(path).execute(config).fetchone() == (backend_module.FTS_HASHSIZE,)
        assert reg.count(text="supplier late") == count
        assert reg.count(text="small") == 10
        assert reg.verify().ok
    # A register with the setting opens, searches and verifies as any other.
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Action(title="chase supplier"))
        assert reg.count(text="chase supplier") == 1
        assert reg.verify().ok


def _fts_terms(document: str) -> set[str]:
    """The terms SQLite's ``item_fts`` tokenizer makes of ``document``."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE f USING fts5(words, tokenize = \"ascii tokenchars '_'\", "
            "detail = none, columnsize = 0)"
        )
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, row)")
        conn.execute("INSERT INTO f (rowid, words) VALUES (1, ?)", (document,))
        return {str(term) for (term,) in conn.execute("SELECT term FROM v")}
    finally:
        conn.close()


_ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from([*"\u03c2\u03c3\u03a5\u210c\u19b0\ufb01_\u0301\u212a\u0130\u00dfA "]),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(title=_ODD_TEXT, description=_ODD_TEXT)
def test_the_stored_fts_text_tokenizes_into_exactly_the_query_words(
    title: str, description: str
) -> None:
    # The backend hands ASCII text to SQLite's tokenizer as it is and splits the rest
    # itself: either way the index must hold exactly the terms queries look for.
    expected = {words.fts_term(w) for w in text_words(title) + text_words(description)}
    assert _fts_terms(words.fts_text(title, description)) == expected


def _old_fts_text(title: str, description: str) -> str:
    """fts_text as schema 3 first wrote it: the documents of every register indexed so far."""
    lowered = f"{title} {description}".lower()
    if lowered.isascii():
        return lowered.replace("_", " ")
    text = unaccented(lowered)
    if text.isascii() and not re.search("[A-Z]", text):
        return text.replace("_", " ")
    document = " ".join(split_folded(text))
    odd = re.compile("(?<![^ ])[a-z0-9]*+[^a-z0-9 ][^ ]*")
    return odd.sub(lambda m: words.fts_term(m.group()), document)


@settings(max_examples=400, deadline=None)
@given(title=_ODD_TEXT, description=_ODD_TEXT)
def test_the_stored_fts_text_is_the_document_earlier_releases_stored(
    title: str, description: str
) -> None:
    # The index is contentless: an entry is removed by handing SQLite the very document
    # it was given, so a document must never change for the same text.
    assert words.fts_text(title, description) == _old_fts_text(title, description)


_ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.lists(_ANY_TEXT, min_size=1, max_size=4),
        st.lists(
            st.fixed_dictionaries({"relation": _ANY_TEXT, "target": _ANY_TEXT}),
            min_size=1,
            max_size=3,
        ),
    )
)
def test_lists_of_text_and_links_are_written_as_the_standard_library_writes_them(
    value: list[object],
) -> None:
    # Item rows write these columns through orjson: the text must be the bytes every
    # earlier row holds (the stdlib encoder's), lone surrogates included (its fallback).
    assert backend_module._listed_json(value) == backend_module._dumps(value)


_ANY_KEY = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none())
_SCALARS = st.one_of(
    st.text(max_size=12),  # lone surrogates included
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(),  # nan, infinities, 1e16: written differently by orjson
    st.sampled_from([1e16, 1e-05, 0.1, -0.0, 123456789012345678.0]),
)


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        st.dictionaries(st.text(max_size=8), _SCALARS, min_size=1, max_size=5),
        st.dictionaries(
            _ANY_KEY,
            st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)),
            min_size=1,
            max_size=4,
        ),
        st.lists(_SCALARS, min_size=1, max_size=3),
    )
)
def test_mapped_columns_are_written_as_the_standard_library_writes_them(value: object) -> None:
    # ``extra`` goes through orjson when its values are plain: the text must be the
    # bytes every earlier row holds (the stdlib encoder's), whatever the value holds.
    assert backend_module._mapped_json(value) == backend_module._dumps(value)


# the contentless search index -------------------------------------------------------------
def _index_terms(path: Path) -> Counter[str]:
    """How many items the search index holds under each term."""
    with raw(path) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, item_fts, row)")
        found = Counter(
            {str(term): int(docs) for term, docs in conn.execute("SELECT term, doc FROM vocab")}
        )
    conn.close()
    return found


def _expected_terms(reg: Register) -> Counter[str]:
    expected: Counter[str] = Counter()
    for item in reg.items():
        expected.update({words.fts_term(w) for w in text_words(f"{item.title} {item.description}")})
    return expected


_EDITS = ["Café au lait", "naïve ΟΔΟΣ", "plain words", "\u210cilbert \ufb01nance", "x_y z", ""]


def test_updates_leave_no_stale_word_in_the_index(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        added = reg.add_many([Risk(title=f"supplier {t or 'late'}", description=t) for t in _EDITS])
        for n, item in enumerate(added):
            for edit in (_EDITS[(n + 1) % len(_EDITS)], _EDITS[(n + 2) % len(_EDITS)]):
                item = reg.update(item, title=f"moved {edit or n}", description=edit * 2)
        assert _index_terms(path) == _expected_terms(reg)
        for word in ("cafe", "naive", "supplier", "moved", "\u210cilbert"):
            query = Query(text=word)
            assert reg.query(query) == evaluate(query, list(reg.items())), word


def _as_schema_2(path: Path) -> None:
    """Turn a register back into what schema version 2 stored: a search index that keeps
    its own copy of each item's distinct words, and no words format in ``meta``."""
    with raw(path) as conn:
        conn.execute("BEGIN")
        conn.execute("DROP TABLE item_fts")
        conn.execute(
            "CREATE VIRTUAL TABLE item_fts USING fts5(words, tokenize = \"ascii tokenchars '_'\", "
            "detail = none, columnsize = 0)"
        )
        for spec in schema.table_specs().values():
            for ident, title, description in conn.execute(
                f"SELECT id, title, description FROM {spec.name}"
            ).fetchall():
                terms = (words.fts_term(w) for w in text_words(f"{title} {description}"))
                conn.execute(
                    "INSERT INTO item_fts (rowid, words) VALUES (?, ?)",
                    (ident, " ".join(dict.fromkeys(terms))),  # schema 2: distinct words
                )
        conn.execute("DELETE FROM meta WHERE key = 'fts_words'")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        conn.execute("COMMIT")
    conn.close()


def test_a_version_2_register_gets_a_contentless_index_and_keeps_searching(
    tmp_path: Path,
) -> None:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        added = reg.add_many([Action(title=f"fix {t or 'it'}", description=t) for t in _EDITS])
    _as_schema_2(path)
    with raidlog.open(str(path), actor="ana") as reg:
        reg.update(added[1], description="après coup")
        assert _index_terms(path) == _expected_terms(reg)
        assert [a.ref for a in reg.query(text="apres")] == [added[1].ref]
        assert reg.verify().ok
    with raw(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'item_fts'").fetchone()[0]
    conn.close()
    assert meta["schema_version"] == str(schema.SCHEMA_VERSION)
    assert meta["fts_words"] == words.WORDS_FORMAT
    assert "content = ''" in sql


def test_an_index_built_under_another_words_format_is_rebuilt_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after an upgrade of Python's Unicode database: the stored documents may differ
    # from what this release makes, so the index is built again before anything else.
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Issue(title="Straße gesperrt"))
    with raw(path) as conn:
        # What a stale index looks like to a search: it finds nothing.
        conn.execute("INSERT INTO item_fts (item_fts) VALUES ('delete-all')")
        conn.execute("UPDATE meta SET value = '0; unicode 1.0' WHERE key = 'fts_words'")
    conn.close()
    with raidlog.open(str(path), actor="ana") as reg:
        assert _index_terms(path) == _expected_terms(reg)
        assert len(reg.query(text="gesperrt")) == 1
