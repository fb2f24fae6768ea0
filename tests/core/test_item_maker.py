"""ItemMaker (issue 14: the importer's items) makes what calling the class makes, and
raises the error calling it raises, whichever value is wrong."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs
import pytest

from raidlog.errors import ValidationError
from raidlog.model.items import BUILTIN_KINDS, Action, Dependency, ItemMaker, Risk

GOOD: list[tuple[type, dict[str, Any]]] = [
    (Risk, {"title": " Vendor late ", "owner": " Ana ", "probability": 2, "impact": 3}),
    (Risk, {"title": "Cost", "cost_exposure": 5, "tags": ("a", " a", "b"), "rag": "red"}),
    (Action, {"title": "Call", "progress": 40, "raised_on": date(2024, 1, 1)}),
    (Dependency, {"title": "API", "direction": "inbound", "description": "a\r\nb"}),
]
BAD: list[tuple[type, dict[str, Any]]] = [
    (Risk, {"title": "   "}),
    (Risk, {"title": "x", "probability": 0}),
    (Risk, {"title": "x", "probability": 9, "owner": "a\x00b"}),  # the first in order
    (Risk, {"title": "x", "raised_on": date(2024, 2, 1), "due": date(2024, 1, 1)}),
    (Risk, {"title": "x", "due": datetime(2024, 1, 1)}),
    (Risk, {"title": "x", "cost_exposure": float("nan")}),
    (Action, {"title": "x", "raised_on": date(2024, 2, 1), "completed_on": date(2024, 1, 1)}),
    (Dependency, {"title": "x", "direction": "sideways"}),
    (Risk, {"title": "x", "no_such_field": 1}),
    (Risk, {"owner": "nobody titled it"}),
]


@pytest.mark.parametrize(("cls", "fields"), GOOD)
def test_a_made_item_equals_the_class_s(cls: type, fields: dict[str, Any]) -> None:
    maker = ItemMaker(cls)
    for _ in range(2):  # the second time from the values it remembers
        made = maker.make(fields, {"Note": "kept\r\nhere"})
        called = cls(**fields, extra={"Note": "kept\r\nhere"})
        assert type(made) is cls
        assert made == called
        assert attrs.asdict(made) == attrs.asdict(called)


@pytest.mark.parametrize(("cls", "fields"), BAD)
def test_a_refused_value_raises_what_the_class_raises(cls: type, fields: dict[str, Any]) -> None:
    with pytest.raises((ValidationError, TypeError)) as called:
        cls(**fields, extra={})
    with pytest.raises(type(called.value)) as made:
        ItemMaker(cls).make(fields, {})
    assert str(made.value) == str(called.value)


def test_every_builtin_kind_is_made_without_calling_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    for cls in BUILTIN_KINDS:
        maker = ItemMaker(cls)
        with monkeypatch.context() as patched:
            patched.setattr(cls, "__attrs_post_init__", calls.append)
            item = maker.make({"title": "t"}, {})
        assert calls == []
        assert item == cls(title="t")


def test_a_kind_with_checks_of_its_own_is_called() -> None:
    @attrs.frozen(kw_only=True)
    class Strict(Risk):
        kind = "strict"

        def __attrs_post_init__(self) -> None:
            super().__attrs_post_init__()
            if self.owner is None:
                raise ValidationError("a strict risk needs an owner", field="owner")

    with pytest.raises(ValidationError, match="needs an owner"):
        ItemMaker(Strict).make({"title": "t"}, {})
    assert ItemMaker(Strict).make({"title": "t", "owner": "Ana"}, {}).owner == "Ana"


def test_items_given_fields_in_many_orders_and_sets_equal_the_class_s() -> None:
    # Past the sets of fields a maker generates code for, it makes them the general way.
    maker = ItemMaker(Risk)
    names = ["owner", "description", "cause", "category", "effect", "raised_by", "actionee"]
    for number in range(2 ** len(names)):
        chosen = [n for bit, n in enumerate(names) if number >> bit & 1]
        fields = {name: f" {name} {number % 3} " for name in reversed(chosen)}
        fields["title"] = f"Risk {number}"
        made = maker.make(fields, {"n": number})
        assert made == Risk(**fields, extra={"n": number})
        assert type(made) is Risk
