"""Converters round-trip exactly; the reference query evaluator follows its spec."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import raidlog
from raidlog import Action, Node, Risk, ValidationError, convert
from raidlog.convert import SCHEMA_VERSION, Codec
from raidlog.model.items import Item
from raidlog.query import Query, evaluate, text_words
from raidlog.testing.strategies import items

CODEC = Codec()


@given(item=items())
def test_items_round_trip_through_json_dicts(item: Item) -> None:
    assert CODEC.item_from_dict(CODEC.item_to_dict(item)) == item
    assert CODEC.document(item)["schema"] == SCHEMA_VERSION


def test_unknown_kind_and_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown kind 'rumour'"):
        CODEC.item_from_dict({"kind": "rumour", "title": "x"})
    with pytest.raises(ValidationError, match="unknown fields for a risk: colour"):
        CODEC.item_from_dict({"kind": "risk", "title": "x", "colour": "red"})


def test_text_words_fold_case_and_accents() -> None:
    assert text_words("Café-ÉTÉ, naïve x1!") == ("cafe", "ete", "naive", "x1")


def test_text_matches_whole_words_only() -> None:
    found = evaluate(
        Query(text="supply"),
        [Risk(title="supplier", ref="R-1"), Risk(title="Supply chain", ref="R-2")],
    )
    assert [i.ref for i in found] == ["R-2"]
    assert evaluate(Query(text="!!"), [Risk(title="x", ref="R-1")]) == []


def test_order_puts_empty_values_last_both_ways() -> None:
    stock: list[Item] = [
        Risk(title="a", ref="R-1", score=3),
        Risk(title="b", ref="R-2"),
        Risk(title="c", ref="R-3", score=9),
        Action(title="d", ref="A-1"),
    ]
    assert [i.ref for i in evaluate(Query(order_by="-score"), stock)] == [
        "R-3",
        "R-1",
        "A-1",
        "R-2",
    ]
    assert [i.ref for i in evaluate(Query(order_by="score"), stock)] == ["R-1", "R-3", "A-1", "R-2"]
    assert [i.ref for i in evaluate(Query(order_by="score", offset=1, limit=2), stock)] == [
        "R-3",
        "A-1",
    ]


def test_filters_combine() -> None:
    stock: list[Item] = [
        Action(
            title="a", ref="A-1", status="open", body="PMO", due=date(2026, 1, 1), tags=("it", "hr")
        ),
        Action(
            title="b",
            ref="A-2",
            status="open",
            escalated_to=("PMO",),
            due=date(2027, 1, 1),
            tags=("it",),
        ),
    ]
    assert [i.ref for i in evaluate(Query(body="PMO"), stock)] == ["A-1", "A-2"]
    assert [i.ref for i in evaluate(Query(body="PMO", due_before=date(2026, 6, 1)), stock)] == [
        "A-1"
    ]
    assert [i.ref for i in evaluate(Query(tags=("it", "hr")), stock)] == ["A-1"]
    assert [i.ref for i in evaluate(Query(exclude=(("action", "open"),)), stock)] == []
    with pytest.raises(ValidationError, match="cannot order by 'colour'"):
        Query(order_by="colour")


@given(item=items())
def test_the_fast_item_plan_equals_the_cattrs_converter(item: Item) -> None:
    assert CODEC.item_to_dict(item) == CODEC.item_to_dict_slow(item)


def test_a_remembered_dict_is_handed_out_once_and_only_for_that_object() -> None:
    codec = Codec()
    item, twin = Risk(title="kept"), Risk(title="kept")
    data = codec.item_to_dict(item)
    codec.remember(item, data)
    assert codec.item_to_dict(twin) is not data  # equal content, another object
    assert codec.item_to_dict(item) is data
    again = codec.item_to_dict(item)
    assert again == data
    assert again is not data  # handed out once
    codec.remember(item, data)
    codec.forget()
    assert codec.item_to_dict(item) is not data


def test_a_bulk_write_leaves_no_dict_kept_even_when_it_fails(tmp_path: Path) -> None:
    with raidlog.open(str(tmp_path / "raid.db"), actor="t") as reg:
        reg.add_many([Risk(title=f"r{n}") for n in range(10)])
        assert reg.codec._kept == {}
        with pytest.raises(ValidationError):
            reg.add_many([Risk(title="fine"), Action(title="bad", status="no such status")])
        assert reg.codec._kept == {}
        assert len(list(reg.items())) == 10


def test_dates_keep_their_text_when_the_cache_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "_DAYS", {})
    monkeypatch.setattr(convert, "_DAYS_KEPT", 2)
    codec = Codec()
    days = [date(2026, 1, d) for d in (1, 2, 3, 1, 3)]
    texts = [codec.item_to_dict(Action(title="a", due=d))["due"] for d in days]
    assert texts == [d.isoformat() for d in days]
    assert len(convert._DAYS) <= 2


def test_the_structure_is_read_once_per_version_of_the_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.db"
    reg = raidlog.open(str(path), actor="ana")
    reg.put_node(Node(name="corp", level="corporate"))
    reg.put_node(Node(name="prog", level="programme", parent="corp"))
    reads: list[int] = []
    entities = reg.backend.entities

    def counted() -> list[Any]:
        reads.append(1)
        return entities()

    monkeypatch.setattr(reg.backend, "entities", counted)
    reg.add(Risk(title="r", node="prog"))
    first = reg.query(node="corp")
    assert [r.title for r in first] == ["r"] == [r.title for r in reg.query(node="corp")]
    assert len(reads) == 1  # the second query (and count) did not read the structure again
    assert reg.count(node="corp") == 1
    assert len(reads) == 1
    # Another writer changes the structure: the next query sees it.
    other = raidlog.open(str(path), actor="bo")
    other.put_node(Node(name="team", level="project", parent="prog"))
    other.add(Risk(title="t", node="team"))
    assert sorted(r.title for r in reg.query(node="corp")) == ["r", "t"]
    assert len(reads) == 2
    reg.put_node(Node(name="team 2", level="project", parent="corp"))
    assert "team 2" in reg.structure().nodes
    other.close()
    reg.close()
