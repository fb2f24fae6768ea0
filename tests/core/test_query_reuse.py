"""A register and its store keep what they worked out for a query (the resolved query,
its SQL) to answer it again: a kept answer never outlives what it depends on, the day,
the governance structure, the profile or the items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

import raidlog
from raidlog import Action, Node, Risk
from raidlog.register import Register


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory:", "raid.db"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    name = str(request.param)
    return name if name == "memory:" else str(tmp_path / name)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reg(location: str, clock: Clock) -> Iterator[Register]:
    with raidlog.open(location, actor="ana", clock=clock) as register:
        register.put_node(Node(name="programme", level="programme"))
        register.put_node(Node(name="project a", level="project", parent="programme"))
        yield register


def _refs(found: list[raidlog.Item]) -> list[str]:
    return [item.ref or "" for item in found]


def test_a_node_query_follows_a_structure_change(reg: Register) -> None:
    a = reg.add(Action(title="In project a", node="project a"))
    assert _refs(reg.query(node="programme")) == [a.ref]
    reg.put_node(Node(name="project b", level="project", parent="programme"))
    b = reg.add(Action(title="In project b", node="project b"))
    assert _refs(reg.query(node="programme")) == [a.ref, b.ref]
    assert reg.count(node="programme") == 2


def test_overdue_follows_the_day(reg: Register, clock: Clock) -> None:
    action = reg.add(Action(title="Chase", due=date(2026, 6, 3)))
    assert reg.query(overdue=True) == []
    clock.now += timedelta(days=3)
    assert _refs(reg.query(overdue=True)) == [action.ref]
    assert reg.count(overdue=True) == 1


def test_open_follows_the_profile(reg: Register) -> None:
    action = reg.add(Action(title="Chase", status="blocked"))
    assert _refs(reg.query(open=True)) == [action.ref]
    lifecycle = reg.profile.lifecycles["action"]
    closed = attrs.evolve(lifecycle, closed=frozenset({*lifecycle.closed, "blocked"}))
    reg.profile = attrs.evolve(reg.profile, lifecycles={**reg.profile.lifecycles, "action": closed})
    assert reg.query(open=True) == []


def test_answers_follow_the_items(reg: Register) -> None:
    first = reg.add(Risk(title="Supplier late", probability=2, impact=2))
    asked = {"order_by": "-score", "limit": 2}
    assert _refs(reg.query(**asked)) == [first.ref]
    second = reg.add(Risk(title="Data loss", probability=5, impact=5))
    reg.add(Action(title="Back up"))
    assert _refs(reg.query(**asked)) == [second.ref, first.ref]
    assert reg.count(kind="risk") == 2
    reg.update(first, probability=5, impact=5)
    assert _refs(reg.query(**asked)) == [first.ref, second.ref]


def test_filters_that_cannot_be_kept_are_still_answered(reg: Register) -> None:
    risk = reg.add(Risk(title="Supplier late", tags=("vendor",)))
    assert _refs(reg.query(kind=["risk", "action"], tags=["vendor"])) == [risk.ref]
