"""A generated organisation of four levels with one register serving every body."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

import raidlog
from raidlog import Action, Body, Decision, Node, Objective, Risk
from raidlog.register import Register

TODAY = date(2026, 6, 1)


def build_organisation(reg: Register, programmes: int = 2, projects: int = 3) -> None:
    """Group -> Portfolio -> programmes -> projects, a body at each node, items at the leaves."""
    reg.put_node(Node(name="Group", level="corporate", body="ExCo"))
    reg.put_body(Body(name="ExCo", node="Group", score_tolerance=20, cost_tolerance=1_000_000))
    reg.put_node(Node(name="Change", level="portfolio", parent="Group", body="Portfolio board"))
    reg.put_body(
        Body(name="Portfolio board", node="Change", score_tolerance=16, slip_tolerance_days=60)
    )
    reg.put_objective(Objective(name="O-1", title="Modernise customer service", node="Change"))
    for g in range(programmes):
        programme = f"Programme {g + 1}"
        reg.put_node(
            Node(name=programme, level="programme", parent="Change", body=f"{programme} board")
        )
        reg.put_body(
            Body(
                name=f"{programme} board",
                node=programme,
                score_tolerance=12,
                review_cadence_days=28,
            )
        )
        for p in range(projects):
            project = f"P{g + 1}.{p + 1}"
            reg.put_node(
                Node(name=project, level="project", parent=programme, body=f"{project} board")
            )
            reg.put_body(Body(name=f"{project} board", node=project, score_tolerance=6))


@pytest.fixture
def org() -> Iterator[Register]:
    start = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
    moments = (start + timedelta(seconds=s) for s in range(1_000_000))
    with raidlog.open("memory:", actor="pmo", clock=lambda: next(moments)) as reg:
        build_organisation(reg)
        # Project P1.1: a critical risk (breaches programme and portfolio tolerance).
        reg.add(
            Risk(
                title="Vendor insolvency",
                node="P1.1",
                body="P1.1 board",
                probability=5,
                impact=4,
                objectives=("O-1",),
                cost_exposure=2_000_000,
                inherent_probability=5,
                inherent_impact=5,
                residual_probability=2,
                residual_impact=3,
            )
        )
        # Project P1.2: a moderate risk (breaches only its own project board's tolerance).
        reg.add(
            Risk(
                title="Test environment late",
                node="P1.2",
                body="P1.2 board",
                probability=2,
                impact=4,
            )
        )
        # Project P2.1: a late action (90 days), breaching the portfolio's slip tolerance.
        reg.add(
            Action(
                title="Sign data sharing agreement",
                node="P2.1",
                body="P2.1 board",
                due=date(2026, 3, 3),
                owner="ana",
            )
        )
        # A proposed decision for the programme board.
        reg.add(
            Decision(title="Choose the CRM vendor", node="Programme 1", body="Programme 1 board")
        )
        # A closed risk never shows.
        closed = reg.add(Risk(title="Old risk", node="P1.1", probability=5, impact=5))
        reg.transition(closed, "closed")
        yield reg
