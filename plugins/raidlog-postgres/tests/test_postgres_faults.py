"""Fault injection for PostgreSQL: the Nth database call of a change fails, for every N
the change makes, on every write path.

A *call* is anything that reaches the server: ``BEGIN``, each statement (``execute``,
``executemany``), the start and the end of each ``COPY``, and ``COMMIT``. Each call is
made to fail in three ways:

- ``error``: the call raises ``OperationalError`` and the connection stays usable (a
  server error): the change fails with ``BackendError`` and writes nothing;
- ``disconnect``: the server ends the session just before the call (``pg_terminate_backend``,
  as a restart or a network cut would), so the call fails for real: a read, or a write
  that has not yet taken the writer lock, runs again on a new connection; later, the
  change fails and writes nothing;
- ``serialization``: the call raises 40001: a write transaction runs again and the change
  succeeds exactly once; a read outside a transaction fails.

After each fault the register holds exactly what it held before (or, when the change
succeeded, exactly what one fault-free run adds), reads work, ``verify()`` passes, no
session holds a lock on the register's tables, and the next write succeeds.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import psycopg
import pytest
from psycopg import sql
from psycopg.pq import TransactionStatus

import raidlog
from raidlog import Action, Body, Decision, Node, Risk
from raidlog.errors import BackendError, RaidLogError
from raidlog.model.governance import Objective
from raidlog.model.items import Item
from raidlog.register import Register

from .conftest import Probe

Conn = psycopg.Connection[Any]
Digest = dict[str, tuple[int, str]]
MODES = ("error", "disconnect", "serialization")


class _Plan:
    """Counts the calls the register's connections make, and fails the ``fail_at``-th."""

    def __init__(self, side: Conn) -> None:
        self.side = side  # the test's own connection: never counted, never failed
        self.thread = threading.get_ident()
        self.armed = False
        self.mode = "count"
        self.fail_at = 0
        self.calls = 0
        self.fired: str | None = None
        self.in_transaction = False

    @contextlib.contextmanager
    def arm(self, mode: str, fail_at: int = 0) -> Iterator[None]:
        self.mode, self.fail_at, self.calls, self.fired = mode, fail_at, 0, None
        self.armed = True
        try:
            yield
        finally:
            self.armed = False

    def tick(self, what: str, conn: Conn) -> None:
        if not self.armed or conn is self.side or threading.get_ident() != self.thread:
            return
        self.calls += 1
        if self.calls != self.fail_at:
            return
        self.fired = f"call {self.calls}: {what}"
        idle = conn.info.transaction_status == TransactionStatus.IDLE
        self.in_transaction = what == "BEGIN" or not idle
        if self.mode == "error":
            raise psycopg.OperationalError(f"injected failure of {self.fired}")
        if self.mode == "serialization":
            raise psycopg.errors.SerializationFailure(f"injected 40001 at {self.fired}")
        # disconnect: the server ends the session (waiting until it is gone), then the
        # call goes ahead and fails as it would after a restart.
        self.side.execute("SELECT pg_terminate_backend(%s, 10000)", [conn.info.backend_pid])


def _text(query: Any, conn: Conn) -> str:
    text = query.as_string(conn) if isinstance(query, sql.Composable) else str(query)
    return " ".join(text.split())[:90]


def _install(monkeypatch: pytest.MonkeyPatch, plan: _Plan) -> None:
    """Route every call of every psycopg connection through ``plan``."""
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    copy = psycopg.Cursor.copy
    enter, leave = psycopg.Transaction.__enter__, psycopg.Transaction.__exit__

    def counted_execute(self: psycopg.Cursor[Any], query: Any, *a: Any, **k: Any) -> Any:
        plan.tick(_text(query, self.connection), self.connection)
        return execute(self, query, *a, **k)

    def counted_executemany(self: psycopg.Cursor[Any], query: Any, *a: Any, **k: Any) -> Any:
        plan.tick(_text(query, self.connection), self.connection)
        return executemany(self, query, *a, **k)

    @contextlib.contextmanager
    def counted_copy(self: psycopg.Cursor[Any], query: Any, *a: Any, **k: Any) -> Iterator[Any]:
        what = _text(query, self.connection)
        plan.tick(f"start of {what}", self.connection)
        with copy(self, query, *a, **k) as out:
            yield out
            plan.tick(f"end of {what}", self.connection)  # the rows are sent: COPY done

    def counted_enter(self: psycopg.Transaction) -> psycopg.Transaction:
        plan.tick("BEGIN", self.connection)
        return enter(self)

    def counted_exit(self: psycopg.Transaction, kind: Any, exc: Any, tb: Any) -> bool:
        if exc is None:
            try:
                plan.tick("COMMIT", self.connection)
            except psycopg.Error as injected:
                leave(self, type(injected), injected, None)  # rolls back
                raise
        return leave(self, kind, exc, tb)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
    monkeypatch.setattr(psycopg.Cursor, "executemany", counted_executemany)
    monkeypatch.setattr(psycopg.Cursor, "copy", counted_copy)
    monkeypatch.setattr(psycopg.Transaction, "__enter__", counted_enter)
    monkeypatch.setattr(psycopg.Transaction, "__exit__", counted_exit)


# the write paths -------------------------------------------------------------------------
_names = itertools.count(1)


def _nothing(reg: Register) -> None:
    return None


@attrs.frozen
class _Change:
    """``prep`` sets the scene (no faults) and returns what ``run`` changes; ``watched``
    names the register whose state must survive (the target of a copy)."""

    run: Callable[[Register, Any], object]
    prep: Callable[[Register], Any] = _nothing
    watched: Callable[[Register, Any], Register] = lambda reg, arg: reg

    @property
    def writes_first(self) -> bool:
        """Whether ``prep`` writes: then the next trial shows the register accepts writes."""
        return self.prep is not _nothing


def _accepted_decision(reg: Register) -> Item:
    return reg.transition(reg.add(Decision(title=f"Go {next(_names)}")), "accepted")


def _linked_actions(count: int) -> list[Action]:
    return [Action(title=f"bulk {n}", links=[("mitigates", "R-0001")]) for n in range(count)]


CHANGES: dict[str, _Change] = {
    "add": _Change(lambda reg, _: reg.add(Action(title="one", links=[("mitigates", "R-0001")]))),
    # 32 items with 32 links and 32 events: all three go through COPY.
    "add_many": _Change(lambda reg, _: reg.add_many(_linked_actions(32))),
    "update": _Change(
        lambda reg, risk: reg.update(risk, impact=5, reason="worse"),
        lambda reg: reg.add(Risk(title="to update", probability=2, impact=2)),
    ),
    "transition": _Change(
        lambda reg, action: reg.transition(action, "in_progress"),
        lambda reg: reg.add(Action(title="to start")),
    ),
    "link": _Change(
        lambda reg, action: reg.link(action, "mitigates", "R-0001"),
        lambda reg: reg.add(Action(title="to link")),
    ),
    "escalate": _Change(
        lambda reg, risk: reg.escalate(risk, "ExCo", reason="above tolerance"),
        lambda reg: reg.add(Risk(title="to escalate", probability=5, impact=5)),
    ),
    "materialise": _Change(
        lambda reg, risk: reg.materialise(risk),
        lambda reg: reg.add(Risk(title="will happen")),
    ),
    "supersede": _Change(
        lambda reg, old: reg.supersede(old, Decision(title="Go, later")), _accepted_decision
    ),
    "upsert_many": _Change(
        lambda reg, risk: reg.upsert_many(
            [attrs.evolve(risk, title="re-imported"), Risk(title="new in the file")]
        ),
        lambda reg: reg.add(Risk(title="imported before")),
    ),
    "put_body": _Change(lambda reg, _: reg.put_body(Body(name=f"Board {next(_names)}"))),
    "put_node_update": _Change(
        lambda reg, node: reg.put_node(attrs.evolve(node, level="programme")),
        lambda reg: reg.put_node(Node(name=f"node {next(_names)}", parent="corp")),
    ),
    "put_objective": _Change(
        lambda reg, _: reg.put_objective(Objective(name=f"O-{next(_names)}", title="Grow"))
    ),
}


def _base(reg: Register) -> None:
    reg.put_node(Node(name="corp", level="corporate"))
    risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
    reg.add(Action(title="Chase"))
    reg.link("A-0001", "mitigates", risk)
    _accepted_decision(reg)


def _added(
    probe: Probe, schema: str, before: Digest, after: Digest
) -> tuple[int, list[tuple[str, str, int]], int]:
    """What a change added: items, events (kind, action, version) and structure records."""
    stored = before["events"][0]
    assert probe.events_digest(schema, stored) == before["events"], "stored events changed"
    return (
        after["items"][0] - before["items"][0],
        probe.events(schema, stored),
        after["entities"][0] - before["entities"][0],
    )


def _schema_of(reg: Register) -> str:
    return str(reg.backend.schema)  # type: ignore[attr-defined]  # a PostgresBackend


def _expect(mode: str, plan: _Plan, failed: BaseException | None, where: str) -> None:
    """Which faults the backend must survive by running again, and which must fail."""
    assert plan.fired is not None, f"{where}: the change stopped before the fault"
    fired = plan.fired
    if failed is not None:
        assert isinstance(failed, BackendError), f"{where}: {failed!r} is not a BackendError"
    if mode == "error":
        assert failed is not None, f"{where}: the failure was swallowed"
    elif mode == "serialization":
        assert (failed is None) == plan.in_transaction, f"{where}: {failed!r}"
    else:
        before_lock = fired.endswith("BEGIN") or "'writer' FOR UPDATE" in fired
        again = not plan.in_transaction or before_lock
        assert (failed is None) == again, f"{where}: {failed!r}"


def _inject(
    reg: Register,
    probe: Probe,
    plan: _Plan,
    change: _Change,
    name: str,
    *,
    fresh: Callable[[], Register],
) -> dict[str, int]:
    """Run ``change`` once without faults, then once per call and mode with that call
    failing; return the number of faults injected per mode.

    The stored rows are compared by digest, read by the test's own connection; the
    register must still read its chain head (its pool recovered). ``verify()`` runs at the end
    of each mode: it checks the whole chain, and nothing a trial wrote is changed later.
    """
    arg = change.prep(reg)
    watched = change.watched(reg, arg)
    schema = _schema_of(watched)
    before = probe.digest(schema)
    with plan.arm("count"):
        change.run(reg, arg)
    total = plan.calls
    expected = _added(probe, schema, before, probe.digest(schema))
    injected = {}
    for mode in MODES:
        for fail_at in range(1, total + 1):
            arg = change.prep(reg)
            watched = change.watched(reg, arg)
            schema = _schema_of(watched)
            before = probe.digest(schema)
            failed: BaseException | None = None
            with plan.arm(mode, fail_at):
                try:
                    change.run(reg, arg)
                except (RaidLogError, psycopg.Error) as exc:
                    failed = exc
            where = f"{name}, {mode} at {plan.fired}"
            _expect(mode, plan, failed, where)
            after = probe.digest(schema)
            if failed is None:
                assert _added(probe, schema, before, after) == expected, where
            else:
                assert after == before, f"{where} changed the register"
            assert probe.problems(schema) == [], where
            assert probe.locks(schema) == [], f"{where}: sessions still hold locks"
            assert watched.backend.head().seq == after["events"][0], where  # readable
            if not change.writes_first:
                watched.add(Action(title=f"after {where}"))  # the next write succeeds
        report = watched.verify()
        assert report.ok, (name, mode, report.problems)
        injected[mode] = total
    with fresh() as reopened:
        assert reopened.verify().ok
        reopened.add(Action(title="after every fault"))
    return injected


@pytest.fixture
def plan(probe: Probe, monkeypatch: pytest.MonkeyPatch) -> _Plan:
    plan = _Plan(probe.conn)  # the probe's reads are never counted nor failed
    _install(monkeypatch, plan)
    return plan


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_failing_call_of_a_change_leaves_the_previous_state(
    location: str, probe: Probe, plan: _Plan, name: str
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        _base(reg)
        injected = _inject(
            reg, probe, plan, CHANGES[name], name, fresh=lambda: raidlog.open(location, actor="b")
        )
    print(f"{name}: {injected} faults injected")
    assert injected["error"] >= 5, f"{name} made only {injected['error']} database calls"


def test_every_failing_call_of_a_copy_leaves_the_target_empty(
    location: str, new_location: Callable[[], str], probe: Probe, plan: _Plan
) -> None:
    """``copy_to`` (items, links and events through ``COPY``, and the profile) into a new
    register: after a fault the target is as it was (empty, its own profile), and
    copying again works."""
    targets: list[Register] = []

    def target(reg: Register) -> Register:
        if targets and not len(targets[-1]) and not targets[-1].backend.head().seq:
            return targets[-1]  # the last copy failed: the target is still empty
        targets.append(raidlog.open(new_location(), actor="ana"))
        return targets[-1]

    copy = _Change(lambda reg, into: reg.copy_to(into), target, lambda reg, into: into)
    with raidlog.open(location, actor="ana", profile="prince2") as reg:
        _base(reg)
        reg.add_many(_linked_actions(40))
        try:
            injected = _inject(
                reg, probe, plan, copy, "copy_to", fresh=lambda: raidlog.open(location, actor="b")
            )
            for into in targets:
                profile = json.loads(into.backend.get_meta("profile") or "{}")
                assert profile["name"] == ("prince2" if into.backend.head().seq else "default")
        finally:
            for into in targets:
                into.close()
    print(f"copy_to: {injected} faults injected")
    assert injected["error"] >= 10
