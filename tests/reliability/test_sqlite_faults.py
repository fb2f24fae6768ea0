"""Fault injection for SQLite: the Nth database call of a change fails (as a full disk or
an I/O error would), for every N the change makes, on every write path. Afterwards the
register holds exactly what it held before, passes ``PRAGMA integrity_check`` and
``verify()``."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import raidlog
from raidlog import Action, Decision, Node, Risk
from raidlog.backends.sqlite import backend as sqlite_backend
from raidlog.register import Register


class _Plan:
    """Counts the statements of a change and fails the ``fail_at``-th one."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.calls = 0
        self.armed = False

    def tick(self, statement: str) -> None:
        if not self.armed or statement.lstrip().upper().startswith("ROLLBACK"):
            return
        self.calls += 1
        if self.calls == self.fail_at:
            raise sqlite3.OperationalError("disk I/O error (injected)")


class _FailingConnection:
    def __init__(self, conn: sqlite3.Connection, plan: _Plan) -> None:
        self._conn = conn
        self._plan = plan

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, statement: str, *args: Any) -> sqlite3.Cursor:
        self._plan.tick(statement)
        return self._conn.execute(statement, *args)

    def executemany(self, statement: str, *args: Any) -> sqlite3.Cursor:
        self._plan.tick(statement)
        return self._conn.executemany(statement, *args)


def _base(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.put_node(Node(name="corp"))
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.add(Action(title="Chase", links=()))
        reg.link("A-0001", "mitigates", risk)
        reg.transition(reg.add(Decision(title="Go")), "accepted")


OPERATIONS: dict[str, Callable[[Register], object]] = {
    "add_many": lambda reg: reg.add_many([Risk(title=f"new {n}") for n in range(3)]),
    "update": lambda reg: reg.update(reg.get("R-0001"), impact=5, reason="worse"),
    "transition": lambda reg: reg.transition(reg.get("A-0001"), "done"),
    "link": lambda reg: reg.link("R-0001", "relates_to", "D-0001"),
    "materialise": lambda reg: reg.materialise("R-0001"),
    "supersede": lambda reg: reg.supersede("D-0001", Decision(title="Go later")),
    "structure": lambda reg: reg.put_node(Node(name="programme", parent="corp")),
}


def _snapshot(path: Path) -> tuple[list[Any], list[Any]]:
    with raidlog.open(str(path), actor="auditor") as reg:
        report = reg.verify()
        assert report.ok, report.problems
        return list(reg.items()), list(reg.events())


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_failing_database_call_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    template = tmp_path / "template.db"
    _base(template)
    before = _snapshot(template)
    real_connect = sqlite_backend.connect
    injected = 0
    for fail_at in range(1, 200):
        path = tmp_path / f"run-{fail_at}.db"
        shutil.copy(template, path)
        plan = _Plan(fail_at)
        monkeypatch.setattr(
            sqlite_backend,
            "connect",
            lambda *a, plan=plan, **k: _FailingConnection(real_connect(*a, **k), plan),
        )
        reg = raidlog.open(str(path), actor="ana")
        plan.armed = True
        try:
            OPERATIONS[operation](reg)
        except (sqlite3.Error, raidlog.RaidLogError):
            injected += 1
        else:
            assert plan.calls < fail_at, "the failure was swallowed"
            reg.close()
            break
        finally:
            plan.armed = False
            reg.close()
        monkeypatch.setattr(sqlite_backend, "connect", real_connect)
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        assert _snapshot(path) == before, f"call {fail_at} of {operation} changed the register"
    else:
        pytest.fail(f"{operation} never completed")
    assert injected >= 3, f"{operation} made only {injected} database calls"
