"""A small register with every kind of content a board pack shows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

import raidlog
from raidlog import Action, Body, Decision, Issue, Node, Objective, Register, Risk
from raidlog.testing import FakeClock


def build(register: Register) -> Register:
    """Fill ``register`` with a governance structure and items of every kind."""
    register.put_node(Node(name="Corporate", level="corporate", body="ExCo"))
    register.put_node(Node(name="Apollo", level="project", parent="Corporate", body="Board"))
    register.put_body(Body(name="ExCo", node="Corporate", score_tolerance=20))
    register.put_body(Body(name="Board", node="Apollo"))
    register.put_objective(Objective(name="O-1", title="Launch by Q3", node="Apollo"))
    r1 = register.add(
        Risk(
            title='=HYPERLINK("http://evil","click")',
            description="+cmd|' /C calc'!A0",
            owner="@ana",
            body="Board",
            node="Apollo",
            inherent_probability=5,
            inherent_impact=5,
            probability=4,
            impact=4,
            residual_probability=2,
            residual_impact=3,
            cost_exposure=250_000.0,
            objectives=("O-1",),
            tags=("supply", "vendor"),
            extra={"cost centre": "-CC12", "weight": 3},
        )
    )
    register.add(
        Risk(
            title="Key engineer leaves",
            body="Board",
            inherent_probability=3,
            inherent_impact=4,
            residual_probability=2,
            residual_impact=2,
            probability=3,
            impact=3,
        )
    )
    register.add(Risk(title="Unassessed risk", body="Board"))
    a1 = register.add(
        Action(
            title="Chase vendor",
            body="Board",
            owner="Bo",
            due=date(2026, 5, 1),
            raised_on=date(2026, 4, 1),
        )
    )
    register.link(a1, "mitigates", r1.ref or "")
    register.add(Action(title="Future action", body="Board", due=date(2027, 1, 1)))
    register.add(
        Issue(title='Line 1\nline 2 with "quotes" and, commas', body="Board", priority="high")
    )
    register.add(
        Decision(
            title="Pick vendor B",
            body="Board",
            decision="Go with B",
            rationale="cheaper",
            decided_on=date(2026, 5, 20),
            decided_by="Board",
        )
    )
    register.escalate(r1.ref or "", "ExCo", reason="exceeds board tolerance")
    return register


@pytest.fixture
def board() -> Iterator[Register]:
    clock = FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    with raidlog.open("memory:", actor="ana", clock=clock) as register:
        yield build(register)
