"""Per-item event sources and upsert: what importers need from the Register."""

import attrs
import pytest

import raidlog
from raidlog import ConflictError, ImmutableItemError, Risk, ValidationError
from raidlog.register import Register
from raidlog.testing import FakeClock


@pytest.fixture
def reg() -> Register:
    return raidlog.open("memory:", actor="ana", clock=FakeClock())


def test_add_many_records_one_source_per_item(reg: Register) -> None:
    added = reg.add_many([Risk(title="a"), Risk(title="b")], sources=["f sheet=S row=2", None])
    assert [e.source for e in reg.history(added[0])] == ["f sheet=S row=2"]
    assert [e.source for e in reg.history(added[1])] == [None]


def test_add_many_refuses_a_source_count_that_does_not_match(reg: Register) -> None:
    with pytest.raises(ValidationError, match="one source per item"):
        reg.add_many([Risk(title="a")], sources=[])
    assert len(reg) == 0


def test_upsert_adds_new_items_and_leaves_identical_ones_untouched(reg: Register) -> None:
    (risk,) = reg.upsert_many([Risk(title="a", probability=2, impact=3)], sources=["v1"])
    events = len(list(reg.events()))
    (same,) = reg.upsert_many([attrs.evolve(risk)], sources=["v1 again"])
    assert same == risk
    assert len(list(reg.events())) == events


def test_upsert_replaces_content_with_an_update_event_and_keeps_creation(reg: Register) -> None:
    (risk,) = reg.add_many([Risk(title="a")])
    (new,) = reg.upsert_many(
        [attrs.evolve(risk, title="b", status="closed", created_by="someone else")],
        sources=["v2 row=3"],
    )
    assert (new.title, new.status, new.version, new.created_by) == ("b", "closed", 2, "ana")
    last = reg.history(risk)[-1]
    assert (last.action, last.source) == ("update", "v2 row=3")
    assert reg.verify().ok


def test_upsert_of_a_stale_version_conflicts_and_writes_nothing(reg: Register) -> None:
    (risk,) = reg.add_many([Risk(title="a")])
    reg.update(risk, title="moved on")
    with pytest.raises(ConflictError):
        reg.upsert_many([Risk(title="fresh"), attrs.evolve(risk, title="b")])
    assert len(reg) == 1


def test_upsert_refuses_to_change_a_frozen_item(reg: Register) -> None:
    (risk,) = reg.add_many([Risk(title="a", status="closed")])
    with pytest.raises(ImmutableItemError):
        reg.upsert_many([attrs.evolve(risk, title="b")])
    assert reg.upsert_many([attrs.evolve(risk)]) == [risk]


def test_upsert_refuses_a_status_of_another_kind(reg: Register) -> None:
    (risk,) = reg.add_many([Risk(title="a")])
    with pytest.raises(ValidationError, match="not a risk status"):
        reg.upsert_many([attrs.evolve(risk, status="done")])


def test_add_many_records_each_items_own_fields(reg: Register) -> None:
    a, b = reg.add_many([Risk(title="a", owner="ana"), Risk(title="b")])
    assert [c.field for c in reg.history(a)[0].changes] == ["title", "owner", "status"]
    assert [c.field for c in reg.history(b)[0].changes] == ["title", "status"]
