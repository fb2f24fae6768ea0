"""The Register applies the profile's rules and records every change."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import raidlog
from raidlog import (
    Action,
    Body,
    Decision,
    ImmutableItemError,
    InvalidTransitionError,
    Issue,
    ItemNotFoundError,
    Node,
    Rag,
    Relation,
    Risk,
    ValidationError,
)
from raidlog.backends.staging import StagingTransaction
from raidlog.errors import BackendError
from raidlog.model.items import Item
from raidlog.register import Register
from raidlog.testing import FakeClock


@pytest.fixture
def reg() -> Register:
    return raidlog.open("memory:", actor="ana", clock=FakeClock())


def test_add_assigns_ref_version_status_and_metadata(reg: Register) -> None:
    risk = reg.add(Risk(title="Supplier late"))
    assert (risk.ref, risk.version, risk.status) == ("R-0001", 1, "open")
    assert risk.created_by == risk.updated_by == "ana"
    assert risk.created_at == risk.updated_at
    assert reg.add(Decision(title="x")).status == "proposed"
    assert reg.add(raidlog.Assumption(title="x")).ref == "AS-0001"
    assert reg.add(raidlog.Dependency(title="x")).ref == "DP-0001"


def test_scores_and_rag_are_derived_from_the_profile(reg: Register) -> None:
    risk = reg.add(
        Risk(title="x", probability=4, impact=3, residual_probability=1, residual_impact=2)
    )
    assert (risk.score, risk.residual_score, risk.rag) == (12, 2, Rag.RED)
    lower = reg.update(risk, impact=1)
    assert (lower.score, lower.rag) == (4, Rag.GREEN)
    with pytest.raises(ValidationError, match="outside the matrix"):
        reg.add(Risk(title="x", probability=6, impact=1))


def test_rag_set_by_hand_sticks_until_cleared(reg: Register) -> None:
    risk = reg.add(Risk(title="x", probability=1, impact=1))
    manual = reg.update(risk, rag="red")
    assert (manual.rag, manual.rag_manual) == (Rag.RED, True)
    assert reg.update(manual, impact=2).rag is Rag.RED
    derived = reg.update(reg.get("R-0001"), rag=None)
    assert (derived.rag, derived.rag_manual) == (Rag.GREEN, False)


def test_vocabularies_are_checked_and_normalised(reg: Register) -> None:
    assert reg.add(Action(title="x", priority="HIGH")).priority == "high"
    with pytest.raises(ValidationError, match="priority 'urgent' is not in profile"):
        reg.add(Action(title="x", priority="urgent"))
    with pytest.raises(ValidationError, match="status 'doing' is not a action status"):
        reg.add(Action(title="x", status="doing"))


def test_update_applies_differences_of_an_evolved_item(reg: Register) -> None:
    risk = reg.add(Risk(title="x"))
    updated = reg.update(attrs.evolve(risk, title="y"), owner="bo")
    assert (updated.title, updated.owner, updated.version) == ("y", "bo", 2)
    assert reg.update(updated) == updated, "no change, no new version"
    with pytest.raises(ValidationError, match="cannot be changed by update"):
        reg.update(updated, ref="R-0009")


def test_lifecycle_is_enforced_for_transition_and_update(reg: Register) -> None:
    action = reg.add(Action(title="x"))
    with pytest.raises(InvalidTransitionError, match="allowed from 'open'"):
        reg.transition(action, "reopened")
    blocked = reg.transition(action, "blocked")
    with pytest.raises(InvalidTransitionError):
        reg.update(blocked, status="done")
    done = reg.update(reg.transition(blocked, "in_progress"), status="done")
    assert (done.progress, done.closed_on, done.completed_on) == (100, reg.today(), reg.today())
    with pytest.raises(ValidationError, match="needs a reason"):
        reg.transition(done, "open")
    reopened = reg.transition(done, "open", reason="not really done")
    assert reopened.closed_on is None
    assert reg.history(reopened)[-1].reason == "not really done"


def test_materialise_and_supersede_are_the_only_ways_there(reg: Register) -> None:
    risk = reg.add(Risk(title="Supplier fails", owner="bo", probability=3, impact=3))
    with pytest.raises(InvalidTransitionError, match="materialise"):
        reg.transition(risk, "materialised")
    issue = reg.materialise(risk, severity="high")
    assert isinstance(issue, Issue)
    assert (issue.title, issue.owner, issue.severity) == ("Supplier fails", "bo", "high")
    stored = reg.get("R-0001")
    assert stored.status == "materialised"
    assert ("R-0001", Relation.MATERIALISED_AS, issue.ref) in reg.links(stored)
    decision = reg.transition(reg.add(Decision(title="Go")), "accepted")
    with pytest.raises(InvalidTransitionError, match="supersede"):
        reg.transition(decision, "superseded")
    with pytest.raises(ImmutableItemError, match="supersede it"):
        reg.update(decision, rationale="changed my mind")
    new = reg.supersede(decision, Decision(title="Go later"))
    old = reg.get(decision.ref or "")
    assert (new.status, old.status, old.superseded_by) == ("accepted", "superseded", new.ref)


def test_materialise_is_one_atomic_write(reg: Register) -> None:
    risk = reg.add(Risk(title="x"))
    with pytest.raises(ValidationError):
        reg.materialise(risk, priority="not a priority")
    assert reg.get("R-0001").status == "open"
    assert list(reg.items("issue")) == []
    assert [e.ref for e in reg.events()] == ["profile", "R-0001"]


def test_links_are_checked_and_queryable_both_ways(reg: Register) -> None:
    risk = reg.add(Risk(title="x"))
    action = reg.add(Action(title="y"))
    reg.link(action, "mitigates", risk)
    again = reg.link("A-0001", "mitigates", "R-0001")
    assert again.version == 2, "linking twice changes nothing"
    assert reg.links("R-0001") == [("A-0001", Relation.MITIGATES, "R-0001")]
    with pytest.raises(raidlog.ConflictError):
        reg.link(action, "relates_to", risk)  # ``action`` is version 1; the store has 2
    with pytest.raises(ItemNotFoundError):
        reg.link("A-0001", "relates_to", "I-0404")
    with pytest.raises(ValidationError, match="itself"):
        reg.link("R-0001", "relates_to", "R-0001")


def test_a_batch_linking_to_one_item_reads_it_once(
    reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (found counting the database calls of PostgreSQL's add_many): each link
    was checked with its own read, so 1,000 items linked to one risk made 1,000 round
    trips while holding the register's writer lock."""
    risk = reg.add(Risk(title="x"))
    reads: list[str] = []
    real_get = StagingTransaction.get

    def counted_get(self: StagingTransaction, ref: str) -> Item | None:
        reads.append(ref)
        return real_get(self, ref)

    monkeypatch.setattr(StagingTransaction, "get", counted_get)
    reg.add_many([Action(title=f"a{n}", links=[("mitigates", risk.ref)]) for n in range(50)])
    assert reads.count("R-0001") == 1
    with pytest.raises(ItemNotFoundError):
        reg.add_many([Action(title="late", links=[("mitigates", "R-0404")])])


def test_a_copy_stores_its_history_and_profile_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression (found by PostgreSQL fault injection): ``copy_to`` wrote the items and
    events, then the profile in a second write; when that one failed, the target held a
    copy under the wrong profile and refused a second copy (it was no longer empty)."""
    source = raidlog.open("memory:", actor="ana", profile="prince2")
    source.add(Risk(title="x"))
    target = raidlog.open("memory:", actor="ana")

    def disk_full(self: StagingTransaction, key: str, value: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(StagingTransaction, "set_meta", disk_full)
    with pytest.raises(OSError, match="No space"):
        source.copy_to(target)
    monkeypatch.undo()
    assert list(target.items()) == []
    assert list(target.events()) == []
    source.copy_to(target)  # the target is still empty: copying again works
    assert list(target.events()) == list(source.events())
    stored = target.backend.get_meta("profile")
    assert stored is not None
    assert json.loads(stored)["name"] == "prince2"


def test_escalation_needs_a_reason_and_a_known_body(reg: Register) -> None:
    risk = reg.add(Risk(title="x"))
    with pytest.raises(ValidationError, match="reason"):
        reg.escalate(risk, "PMO", reason=" ")
    up = reg.escalate(risk, "PMO", reason="cross-project")
    assert up.escalated_to == ("PMO",)
    reg.put_body(Body(name="ExCo"))
    with pytest.raises(ValidationError, match="no body named 'Board'"):
        reg.escalate(up, "Board", reason="x")
    down = reg.deescalate(up, "PMO", reason="handled")
    assert down.escalated_to == ()


def test_structure_is_versioned_and_acyclic(reg: Register) -> None:
    reg.put_node(Node(name="corp", level="corporate"))
    reg.put_node(Node(name="prog", level="programme", parent="corp"))
    with pytest.raises(ValidationError, match="cycle"):
        reg.put_node(Node(name="corp", level="corporate", parent="prog"))
    structure = reg.structure()
    assert structure.descendants("corp") == {"corp", "prog"}
    assert structure.ancestors("prog") == ("corp",)
    assert [e.ref for e in reg.events()] == ["profile", "node:corp", "node:prog"]


def test_query_keywords_resolve_profile_and_tree(reg: Register) -> None:
    reg.put_node(Node(name="corp"))
    reg.put_node(Node(name="p1", parent="corp"))
    reg.add(Action(title="late", due=date(2000, 1, 1), node="p1"))
    reg.add(Action(title="late but done", due=date(2000, 1, 1), status="done"))
    reg.add(Risk(title="accepted risks stay open", due=date(2000, 1, 1), status="accepted"))
    assert [i.ref for i in reg.query(overdue=True)] == ["A-0001", "R-0001"]
    assert [i.ref for i in reg.query(node="corp")] == ["A-0001"]
    assert reg.count(kind="action") == 2
    with pytest.raises(ValidationError, match="overdue=False"):
        reg.query(overdue=False)


def test_as_of_is_read_only_and_matches_the_past(reg: Register) -> None:
    risk = reg.add(Risk(title="first"))
    moment = risk.updated_at
    assert moment is not None
    reg.update(risk, title="second")
    past = reg.as_of(moment)
    assert past.get("R-0001").title == "first"
    with pytest.raises(raidlog.ReadOnlyError):
        past.update(past.get("R-0001"), title="third")
    assert len(reg.as_of(datetime(2000, 1, 1, tzinfo=UTC))) == 0


def test_open_refuses_a_second_profile(reg: Register) -> None:
    with pytest.raises(raidlog.ProfileError, match="no profile"):
        raidlog.open("memory:", actor="x", profile="nope")
    with pytest.raises(ValidationError, match="actor"):
        raidlog.open("memory:", actor=" ")
    with pytest.raises(
        raidlog.BackendNotFoundError, match=r"no installed backend opens 'raid\.unknown'"
    ):
        raidlog.open("raid.unknown", actor="x")


def test_a_copy_reads_the_source_as_of_one_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Regression: ``copy_to`` read items, events and structure one after the other, so a
    write committed in between (another process, another thread) left the copy with
    events for an item it did not hold, and ``verify()`` failed on the target."""
    path = str(tmp_path / "source.db")
    source = raidlog.open(path, actor="ana")
    source.add(Risk(title="first"))
    other = raidlog.open(path, actor="ben")  # another writer on the same file
    request.addfinalizer(source.close)
    request.addfinalizer(other.close)
    real_events = type(source.backend).events
    writes = []

    def events_after_a_write(self: Any, **kwargs: Any) -> Any:
        if not writes:  # one write lands between reading the items and the events
            writes.append(other.add(Action(title="written during the copy")))
        return real_events(self, **kwargs)

    monkeypatch.setattr(type(source.backend), "events", events_after_a_write)
    target = raidlog.open("memory:", actor="ana")
    source.copy_to(target)
    assert [i.title for i in target.items()] == ["written during the copy", "first"]
    assert target.verify().ok
    assert list(target.events()) == list(source.events())


def test_a_copy_of_a_source_that_never_settles_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    path = str(tmp_path / "source.db")
    source = raidlog.open(path, actor="ana")
    source.add(Risk(title="first"))
    other = raidlog.open(path, actor="ben")
    request.addfinalizer(source.close)
    request.addfinalizer(other.close)
    real_events = type(source.backend).events

    def events_after_a_write(self: Any, **kwargs: Any) -> Any:
        other.add(Action(title="another write"))
        return real_events(self, **kwargs)

    monkeypatch.setattr(type(source.backend), "events", events_after_a_write)
    target = raidlog.open("memory:", actor="ana")
    with pytest.raises(BackendError, match="changed while it was read for the copy"):
        source.copy_to(target)
    assert len(target) == 0
    assert list(target.events()) == []
