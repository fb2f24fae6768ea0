"""The model validates what it can know on its own, at construction."""

from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from raidlog import Action, Decision, Dependency, Link, Rag, Relation, Risk, ValidationError
from raidlog.model.items import Item
from raidlog.model.values import DESCRIPTION_MAX, TITLE_MAX


def test_title_is_required_and_trimmed() -> None:
    assert Risk(title="  Supplier late \n").title == "Supplier late"
    with pytest.raises(ValidationError, match="title must not be empty"):
        Risk(title="   ")


def test_title_over_the_limit_is_refused_not_truncated() -> None:
    with pytest.raises(ValidationError, match=f"limit is {TITLE_MAX}"):
        Risk(title="x" * (TITLE_MAX + 1))
    with pytest.raises(ValidationError, match="description"):
        Risk(title="x", description="y" * (DESCRIPTION_MAX + 1))


def test_control_characters_are_refused_with_their_position() -> None:
    with pytest.raises(ValidationError, match=r"U\+0007 at position 3") as caught:
        Risk(title="abc\x07")
    assert caught.value.field == "title"


def test_newlines_are_made_canonical() -> None:
    assert Risk(title="t", description="a\r\nb\rc").description == "a\nb\nc"


def test_due_before_raised_on_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"due .* is before raised_on"):
        Action(title="x", raised_on=date(2026, 2, 1), due=date(2026, 1, 1))


def test_probability_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValidationError, match="probability is 0"):
        Risk(title="x", probability=0)
    with pytest.raises(ValidationError, match="whole number"):
        Risk(title="x", impact=2.5)  # type: ignore[arg-type]  # the wrong type is the point


def test_progress_is_a_percentage() -> None:
    with pytest.raises(ValidationError, match="between 0 and 100"):
        Action(title="x", progress=101)


def test_dates_must_not_be_datetimes() -> None:
    with pytest.raises(ValidationError, match="must be a date, not a datetime"):
        Risk(title="x", due=datetime(2026, 1, 1))  # type: ignore[arg-type]  # the point


def test_timestamps_are_utc() -> None:
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert Risk(title="x", created_at=local).created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert Risk(title="x", created_at=datetime(2026, 1, 1)).created_at == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_names_are_deduplicated_in_order() -> None:
    risk = Risk(title="x", tags=("b", "a", "b", " "), escalated_to=("PMO", "PMO"))
    assert risk.tags == ("b", "a")
    assert risk.escalated_to == ("PMO",)
    with pytest.raises(ValidationError, match="list of names"):
        Risk(title="x", tags="finance")  # type: ignore[arg-type]  # one string is a mistake


def test_links_and_rag_are_typed() -> None:
    risk = Risk(title="x", links=(Link(relation="mitigates", target="I-0001"),), rag="red")  # type: ignore[arg-type]  # strings are accepted
    assert risk.links[0].relation is Relation.MITIGATES
    assert risk.rag is Rag.RED
    with pytest.raises(ValidationError, match="unknown link relation"):
        Link(relation="causes", target="R-1")  # type: ignore[arg-type]  # the point
    with pytest.raises(ValidationError, match="red, amber or green"):
        Risk(title="x", rag="purple")  # type: ignore[arg-type]  # the point


def test_extra_keeps_plain_values_only() -> None:
    assert Risk(title="x", extra={"Legacy ID": "0042", "n": 3}).extra == {
        "Legacy ID": "0042",
        "n": 3,
    }
    with pytest.raises(ValidationError, match="extra"):
        Risk(title="x", extra={"when": date(2026, 1, 1)})  # type: ignore[dict-item]  # the point
    with pytest.raises(ValidationError, match="finite"):
        Risk(title="x", extra={"n": float("nan")})


def test_items_are_frozen_and_evolve_revalidates() -> None:
    risk = Risk(title="x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        risk.title = "y"  # type: ignore[misc]  # the point
    with pytest.raises(ValidationError):
        attrs.evolve(risk, title="")


def test_item_base_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Item(title="x")


def test_kind_specific_rules() -> None:
    with pytest.raises(ValidationError, match="inbound or outbound"):
        Dependency(title="x", direction="sideways")
    assert Decision(title="x", options_considered=("a\r\nb",)).options_considered == ("a\nb",)
    assert Risk(title="x", cost_exposure=10).cost_exposure == 10.0
