"""verify() finds the first broken link of the chain and edits made behind its back."""

import attrs
import pytest

import raidlog
from raidlog import Action, Risk
from raidlog.backends.memory import MemoryBackend
from raidlog.register import Register


@pytest.fixture
def reg() -> Register:
    register = raidlog.open("memory:", actor="ana")
    risk = register.add(Risk(title="a"))
    register.update(risk, title="b")
    register.add(Action(title="c"))
    return register


def _store(reg: Register) -> MemoryBackend:
    assert isinstance(reg.backend, MemoryBackend)
    return reg.backend


def test_intact_register_verifies(reg: Register) -> None:
    report = reg.verify()
    assert report.ok
    assert (report.events_checked, report.items_checked) == (4, 2)  # the profile event first
    assert report.first_broken is None


def test_edited_event_is_named(reg: Register) -> None:
    store = _store(reg)
    store._state.events[1] = attrs.evolve(store._state.events[1], actor="mallory")
    problem = reg.verify().first_broken
    assert problem is not None
    assert (problem.seq, problem.ref) == (2, "R-0001")
    assert "edited" in problem.reason


def test_deleted_event_is_found(reg: Register) -> None:
    del _store(reg)._state.events[1]
    problem = reg.verify().first_broken
    assert problem is not None
    assert problem.seq == 3
    assert "missing or out of order" in problem.reason


def test_rebuilt_chain_is_caught_by_replay(reg: Register) -> None:
    store = _store(reg)
    store._state.items["R-0001"] = attrs.evolve(
        store._state.items["R-0001"], title="quietly changed"
    )
    report = reg.verify()
    assert not report.ok
    assert report.problems[0].ref == "R-0001"
    assert "title" in report.problems[0].reason


def test_item_without_events_is_found(reg: Register) -> None:
    _store(reg)._state.items["R-0099"] = Risk(title="smuggled", ref="R-0099", version=1)
    assert any(p.ref == "R-0099" for p in reg.verify().problems)
