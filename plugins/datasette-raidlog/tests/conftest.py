"""A register file with every kind of page content, and a Datasette serving it.

Item text carries script payloads: each would set ``window.__pwned`` if a page ever
let it run, and each must be shown as the text it is.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import raidlog
from raidlog import Action, Body, Decision, Issue, Node, Register, Risk
from raidlog.testing import FakeClock

SCRIPT = "<script>window.__pwned = 'title'</script>"
IMG = "<img src=x onerror=\"window.__pwned = 'description'\">"
ATTR = '"><svg onload="window.__pwned = \'owner\'">'
#: Every payload the sample register holds, for tests that look for them as text.
PAYLOADS = (SCRIPT, IMG, ATTR)
#: A body whose name needs encoding in a URL.
PMO = "PMO / Finance & Risk"


def build(register: Register) -> Register:
    """Two bodies, an escalation, a breach, links, a decision awaiting, an overdue
    action and item text that tries to inject script."""
    register.put_node(Node(name="Corporate", level="corporate", body="ExCo"))
    register.put_node(Node(name="Apollo", level="project", parent="Corporate", body="Board"))
    register.put_body(Body(name="ExCo", node="Corporate", score_tolerance=20))
    register.put_body(Body(name="Board", node="Apollo", slip_tolerance_days=10))
    register.put_body(Body(name=PMO, cost_tolerance=100_000.0))
    supplier = register.add(
        Risk(
            title=f"Supplier late {SCRIPT}",
            description=IMG,
            owner=ATTR,
            body="Board",
            node="Apollo",
            inherent_probability=5,
            inherent_impact=5,
            probability=4,
            impact=4,
            residual_probability=2,
            residual_impact=3,
            cost_exposure=250_000.0,
            tags=("supply",),
        )
    )
    register.add(
        Risk(
            title="Key engineer leaves",
            body="Board",
            node="Apollo",
            inherent_probability=3,
            inherent_impact=4,
            residual_probability=2,
            residual_impact=2,
            probability=3,
            impact=3,
        )
    )
    register.add(Risk(title="Data centre floods", node="Apollo", probability=5, impact=5))
    chase = register.add(
        Action(
            title="Chase the vendor",
            body="Board",
            node="Apollo",
            owner="bo",
            due=date(2026, 5, 1),
        )
    )
    register.link(chase, "mitigates", supplier.ref or "")
    register.add(Issue(title="Test rig broken", body="Board", priority="high"))
    register.add(Decision(title="Pick vendor B", body="Board", decision="Go with B"))
    register.escalate(supplier.ref or "", "ExCo", reason=f"exceeds the board's tolerance {SCRIPT}")
    register.escalate(supplier.ref or "", PMO, reason="cost", force=True)
    return register


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    path = tmp_path / "raid.db"
    clock = FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    with raidlog.open(str(path), actor="ana", clock=clock) as register:
        build(register)
    return path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def datasette(register_file: Path, tmp_path: Path) -> Any:
    """A Datasette over the register and one database that is not a register."""
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("create table things (name text)")
    conn.close()
    ds = Datasette([str(register_file), str(other)])
    await ds.invoke_startup()
    return ds
