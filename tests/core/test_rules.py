"""The profile's rules for items (raidlog.rules): pure functions over profile and item."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raidlog import rules
from raidlog.errors import (
    ImmutableItemError,
    InvalidTransitionError,
    ProfileError,
    ValidationError,
)
from raidlog.model.items import Action, Decision, Issue, Item, Risk
from raidlog.model.profile import Profile
from raidlog.profiles import available_profiles, load_profile, profile_data
from raidlog.testing.strategies import items

TODAY = date(2027, 3, 1)


@pytest.fixture
def profile() -> Profile:
    return load_profile("default")


def _without_on_enter(kind: str, replacement: dict[str, object] | None) -> Profile:
    data = copy.deepcopy(profile_data("default"))
    spec = data["lifecycle"][kind]
    del spec["on_enter"]
    if replacement is not None:
        spec["on_enter"] = replacement
    return Profile.from_mapping(data)


def test_derived_spells_vocabulary_scores_the_matrix_and_bands_the_rag(profile: Profile) -> None:
    risk = Risk(
        title="Supplier fails",
        probability=4,
        impact=5,
        residual_probability=1,
        residual_impact=2,
        priority="HIGH",
    )
    assert rules.derived(profile, risk) == {
        "priority": "high",
        "score": 20,
        "residual_score": 2,
        "rag": profile.band(20).rag,
    }


def test_a_rag_set_by_hand_is_kept_and_an_unscored_item_takes_its_priority_rag(
    profile: Profile,
) -> None:
    manual = Risk(title="r", probability=5, impact=5, rag="green", rag_manual=True)
    assert "rag" not in rules.derived(profile, manual)
    assert rules.derived(profile, Issue(title="i", priority="critical"))["rag"] == "red"


def test_half_an_assessment_with_a_score_is_refused(profile: Profile) -> None:
    with pytest.raises(ValidationError, match="impact is needed with a score set"):
        rules.derived(profile, Risk(title="r", probability=2, score=6))
    assert "score" not in rules.derived(profile, Risk(title="r", probability=2))


def test_a_word_outside_the_vocabulary_is_refused_naming_the_words(profile: Profile) -> None:
    with pytest.raises(ValidationError, match="priority 'urgent' is not in profile") as caught:
        rules.in_vocabulary(profile, "priority", "urgent")
    assert caught.value.field == "priority"


def test_moving_an_action_to_done_completes_it_as_the_profile_says(profile: Profile) -> None:
    action = Action(title="a", progress=40, raised_on=date(2027, 1, 5))
    done = rules.moved(profile, action, "done", TODAY)
    assert (done.status, done.progress, done.closed_on, done.completed_on) == (
        "done",
        100,
        TODAY,
        TODAY,
    )
    reopened = rules.moved(profile, done, "open", TODAY)
    assert (reopened.closed_on, reopened.progress) == (None, 100)


def test_the_done_rule_is_profile_data_not_code() -> None:
    none = _without_on_enter("action", {})
    assert rules.moved(none, Action(title="a", progress=40), "done", TODAY).progress == 40
    other = _without_on_enter("action", {"cancelled": {"values": {"progress": 0}}})
    assert rules.moved(other, Action(title="a", progress=40), "cancelled", TODAY).progress == 0


def test_a_profile_stored_before_on_enter_existed_keeps_the_done_rule() -> None:
    legacy = _without_on_enter("action", None)
    assert rules.moved(legacy, Action(title="a"), "done", TODAY).progress == 100


def test_an_on_enter_naming_an_unknown_status_or_field_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="unknown statuses"):
        _without_on_enter("action", {"finished": {"values": {"progress": 100}}})
    bad = _without_on_enter("action", {"done": {"values": {"percent": 100}}})
    with pytest.raises(ProfileError, match="percent"):
        rules.moved(bad, Action(title="a"), "done", TODAY)


def test_implied_status_reads_the_on_enter_values_backwards(profile: Profile) -> None:
    assert rules.implied_status(profile, "action", {"progress": 100}) == "done"
    assert rules.implied_status(profile, "action", {"progress": 99}) is None
    assert rules.implied_status(profile, "risk", {"progress": 100}) is None
    assert rules.on_enter_dated(profile, "action", "done") == ("completed_on",)


def test_moves_follow_the_lifecycle_and_reopening_needs_a_reason(profile: Profile) -> None:
    action = Action(ref="A-0001", title="a", status="done")
    with pytest.raises(InvalidTransitionError, match="allowed from 'done': open"):
        rules.check_transition(profile, action, "in_progress", "why")
    with pytest.raises(ValidationError, match="needs a reason"):
        rules.check_transition(profile, action, "open", None)
    rules.check_transition(profile, action, "open", "it came back")


def test_moves_that_record_a_new_item_are_only_the_operations(profile: Profile) -> None:
    risk = Risk(ref="R-0001", title="r")
    with pytest.raises(InvalidTransitionError, match=r"Register\.materialise\(\)"):
        rules.check_transition(profile, risk, "materialised", None)
    rules.check_transition(profile, risk, "materialised", None, internal=True)


def test_an_accepted_decision_takes_no_edit_even_with_a_status_move(profile: Profile) -> None:
    decision = Decision(ref="D-0001", title="d", decision="Use A", status="accepted")
    with pytest.raises(ImmutableItemError, match="supersede it") as caught:
        rules.edited(
            profile,
            decision,
            {"status": "deprecated", "decision": "Use B"},
            reason="r",
            today=TODAY,
        )
    assert "changed: decision" in str(caught.value)
    moved = rules.edited(profile, decision, {"status": "deprecated"}, reason="r", today=TODAY)
    assert (moved.status, moved.decision) == ("deprecated", "Use A")


def test_a_done_action_cannot_be_reopened_and_edited_in_one_change(profile: Profile) -> None:
    done = rules.moved(profile, Action(ref="A-0001", title="a"), "done", TODAY)
    with pytest.raises(ImmutableItemError, match="reopen it first"):
        rules.edited(profile, done, {"status": "open", "title": "b"}, reason="r", today=TODAY)
    # What the move implies itself (the closing date it clears) is not an edit.
    reopened = rules.edited(
        profile, done, {"status": "open", "closed_on": None}, reason="r", today=TODAY
    )
    assert (reopened.status, reopened.closed_on) == ("open", None)
    assert rules.edited(profile, reopened, {"title": "b"}, reason=None, today=TODAY).title == "b"


def test_an_edit_sets_rag_by_hand_unless_it_clears_it(profile: Profile) -> None:
    risk = Risk(ref="R-0001", title="r", probability=2, impact=3)
    assert rules.edited(profile, risk, {"rag": "red"}, reason=None, today=TODAY).rag_manual
    cleared = rules.edited(profile, risk, {"rag": None}, reason=None, today=TODAY)
    assert not cleared.rag_manual


def test_an_unknown_field_or_status_is_refused(profile: Profile) -> None:
    action = Action(ref="A-0001", title="a")
    with pytest.raises(ValidationError, match="A-0001"):
        rules.edited(profile, action, {"colour": "blue"}, reason=None, today=TODAY)
    with pytest.raises(ValidationError, match="status 'doing' is not a action status"):
        rules.check_status(profile, Action(title="a", status="doing"))


def test_a_new_score_reschedules_the_review_on_its_band(profile: Profile) -> None:
    old = Risk(
        ref="R-0001", title="r", probability=1, impact=1, score=1, next_review=date(2027, 6, 1)
    )
    new = Risk(
        ref="R-0001", title="r", probability=5, impact=5, score=25, next_review=date(2027, 6, 1)
    )
    days = profile.band(25).review_days
    assert rules.rescheduled(profile, old, new, TODAY) == {
        "next_review": rules.review_date(profile, new, TODAY)
    }
    assert rules.review_date(profile, new, TODAY) == date.fromordinal(TODAY.toordinal() + days)
    assert rules.rescheduled(profile, old, old, TODAY) == {}


def _outcome(check: Callable[[], object]) -> object:
    try:
        return check()
    except (ValidationError, ProfileError) as exc:
        return (type(exc), str(exc), getattr(exc, "field", None))


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(available_profiles()),
    item=items(),
    status=st.sampled_from([None, "open", "draft", "closed", "done", "nonsense"]),
    priority=st.sampled_from([None, "high", "HIGH", "Medium", "low", "critical", "odd"]),
    rag_manual=st.booleans(),
)
def test_new_item_rules_give_what_check_status_and_derived_give(
    name: str, item: Item, status: str | None, priority: str | None, rag_manual: bool
) -> None:
    # The bulk add path checks and derives through new_item_rules, made once per class
    # and profile: it must give (or refuse) exactly what the two rules give.
    profile = load_profile(name)
    item = attrs.evolve(item, status=status, priority=priority, rag_manual=rag_manual)
    fast = rules.new_item_rules(profile, type(item))

    def reference() -> object:
        return rules.check_status(profile, item), rules.derived(profile, item)

    assert _outcome(lambda: fast(item)) == _outcome(reference)
    # Given a day, the next review too (for an item without one), as review_date gives it
    # from the score about to be stored.
    dated = rules.new_item_rules(profile, type(item), TODAY)

    def reviewed() -> object:
        status, values = rules.check_status(profile, item), rules.derived(profile, item)
        if item.next_review is None:
            score = values.get("score", getattr(item, "score", None))
            values["next_review"] = rules.review_date(profile, item, TODAY, score=score)
        return status, values

    assert _outcome(lambda: dated(item)) == _outcome(reviewed)
    assert _outcome(lambda: dated(item)) == _outcome(reviewed)  # from what it remembered
