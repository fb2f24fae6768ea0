"""What each body sees, across a four-level organisation."""

from datetime import date

import pytest

from raidlog import Rag, ValidationError
from raidlog.register import Register

from .conftest import TODAY


def refs(entries: list) -> list[str]:  # type: ignore[type-arg]  # ViewEntry or Item lists
    return [getattr(e, "item", e).ref for e in entries]


def test_a_project_board_sees_what_it_owns(org: Register) -> None:
    entries = org.view("P1.2 board", today=TODAY)
    assert refs(entries) == ["R-0002"]
    assert entries[0].reasons == ("owned", "breach: score 8 reaches the tolerance of 6")


def test_a_programme_board_sees_breaches_below_it_with_why(org: Register) -> None:
    entries = org.view("Programme 1 board", today=TODAY)
    assert refs(entries) == ["R-0001", "D-0001"]
    assert entries[0].reasons == ("breach: score 20 reaches the tolerance of 12",)
    assert entries[1].reasons == ("owned",)


def test_the_portfolio_board_sees_slips_and_scores_across_programmes(org: Register) -> None:
    entries = {e.item.ref: e.reasons for e in org.view("Portfolio board", today=TODAY)}
    assert set(entries) == {"R-0001", "A-0001"}
    assert entries["A-0001"] == ("breach: 90 days late, tolerance 60",)


def test_exco_sees_cost_exposure_and_escalations(org: Register) -> None:
    assert refs(org.view("ExCo", today=TODAY)) == ["R-0001"]
    org.escalate("R-0002", "ExCo", reason="reputational angle", force=False)
    entries = org.view("ExCo", today=TODAY)
    assert refs(entries) == ["R-0001", "R-0002"]
    assert entries[1].reasons == ("escalated",)
    assert [i.ref for i in org.query(view="ExCo", kind="risk")] == ["R-0001", "R-0002"]


def test_unknown_body_is_a_clear_error(org: Register) -> None:
    with pytest.raises(ValidationError, match="no body named 'Board'"):
        org.view("Board")


def test_escalation_goes_upwards_only_unless_forced(org: Register) -> None:
    with pytest.raises(ValidationError, match="upwards"):
        org.escalate("R-0001", "Programme 2 board", reason="wrong branch")
    forced = org.escalate("R-0001", "Programme 2 board", reason="shared supplier", force=True)
    assert "Programme 2 board" in forced.escalated_to
    history = org.history("R-0001")
    assert (history[-1].action, history[-1].reason) == ("escalate", "shared supplier")


def test_escalations_due_and_applying_them_in_one_call(org: Register) -> None:
    due = [(d.item.ref, d.body) for d in org.escalations_due(today=TODAY)]
    assert due == [
        ("A-0001", "Portfolio board"),
        ("R-0001", "ExCo"),
        ("R-0001", "Portfolio board"),
        ("R-0001", "Programme 1 board"),
    ]
    before = len(list(org.events()))
    changed = org.apply_escalations(org.escalations_due(today=TODAY))
    assert sorted(i.ref or "" for i in changed) == ["A-0001", "R-0001"]
    assert org.get("R-0001").escalated_to == ("ExCo", "Portfolio board", "Programme 1 board")
    events = list(org.events())[before:]
    assert len(events) == 4
    assert all(e.action == "escalate" and "tolerance" in (e.reason or "") for e in events)
    assert org.escalations_due(today=TODAY) == []
    assert org.verify().ok


def test_rollups_and_heat_maps(org: Register) -> None:
    whole = org.rollup()
    assert (whole.count, whole.open) == (5, 4)
    assert whole.by_kind == {"risk": 3, "action": 1, "decision": 1}
    assert whole.by_status["risk"] == {"open": 2, "closed": 1}
    assert whole.exposure == 2_000_000
    programme = org.rollup(node="Programme 1")
    assert programme.by_kind == {"risk": 3, "decision": 1}
    current = org.heatmap(node="Group")
    assert current.total == 2
    assert current.counts[4][3] == 1
    assert current.counts[1][3] == 1
    inherent, residual = org.heatmap(level="inherent"), org.heatmap(level="residual")
    assert (inherent.counts[4][4], residual.counts[1][2]) == (1, 1)
    assert inherent.to_dict()["probability"][0] == "Rare"
    with pytest.raises(ValidationError):
        org.heatmap(level="gross")


def test_objectives_at_risk(org: Register) -> None:
    (found,) = org.objectives_at_risk()
    assert found.objective.name == "O-1"
    assert [i.ref for i in found.items] == ["R-0001"]
    assert (found.exposure, found.worst_rag) == (2_000_000, Rag.RED)
    assert org.objectives_at_risk(node="Programme 2") == []


def test_review_dates_follow_the_band_and_move_with_the_score(org: Register) -> None:
    risk = org.get("R-0002")
    assert risk.created_at is not None
    assert risk.next_review == date(2026, 6, 9)  # score 8: medium band, 30 days
    worse = org.update(risk, probability=5)  # score 20: critical band, 7 days
    assert worse.updated_at is not None
    assert worse.next_review == date(2026, 5, 17)
    by_hand = org.update(worse, next_review=date(2026, 12, 1))
    assert by_hand.next_review == date(2026, 12, 1)
    assert org.get("A-0001").next_review == date(2026, 5, 24)  # actions: 14 days


def test_due_within_stale_and_ageing(org: Register) -> None:
    assert [i.ref for i in org.query(due_within=10, today=date(2026, 2, 25))] == ["A-0001"]
    assert org.query(due_within=10, today=date(2026, 1, 1)) == []
    assert [i.ref for i in org.stale(today=date(2026, 12, 1))] == [
        "A-0001",
        "D-0001",
        "R-0001",
        "R-0002",
    ]
    assert org.stale(today=date(2026, 5, 11)) == []
    table = org.ageing(today=date(2026, 9, 1))
    assert table["risk"]["91-180"] == 2
    assert table["action"] == {"0-30": 0, "31-90": 0, "91-180": 1, "181+": 0}
