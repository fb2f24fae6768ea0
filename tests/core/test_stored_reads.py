"""Trusted reads of stored items: a row or document raidlog wrote reads back, without the
validators, as exactly what the converter gives; a value of the wrong type or shape is a
ValidationError naming the field, never a raw exception or a silently different item."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raidlog.convert import Codec, JsonDict
from raidlog.errors import ValidationError
from raidlog.model.items import BUILTIN_KINDS, Item, Link, Risk
from raidlog.model.values import Rag, Relation
from raidlog.testing.strategies import items

CODEC = Codec()

_EXTRA_VALUES = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: they must stay integers
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=8)
)


@st.composite
def stored_items(draw: st.DrawFn) -> Item:
    """Items as a register stores them: a ref, a version, times, links, a rag."""
    item = draw(items())
    made = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 10**8)))
    links = draw(
        st.lists(
            st.builds(
                Link,
                relation=st.sampled_from(list(Relation)),
                target=st.sampled_from(("R-0001", "A-0002", "D-0100")),
            ),
            max_size=3,
            unique=True,
        )
    )
    return attrs.evolve(
        item,
        ref=f"{type(item).ref_prefix}-{draw(st.integers(1, 9999)):04d}",
        version=draw(st.integers(1, 50)),
        created_at=made,
        created_by=draw(st.sampled_from(("ana", "bo"))),
        updated_at=made + timedelta(microseconds=draw(st.integers(0, 10**9))),
        updated_by=draw(st.none() | st.just("chen")),
        links=tuple(links),
        rag=draw(st.none() | st.sampled_from(list(Rag))),
        rag_manual=draw(st.booleans()),
        extra=draw(
            st.dictionaries(st.sampled_from(("Legacy ID", "Notes", "n")), _EXTRA_VALUES, max_size=3)
        ),
    )


def _same(read: Item, reference: Item) -> None:
    """Equal, and equal in every field's type too (``1 == 1.0 == True`` hides no change)."""
    assert type(read) is type(reference)
    assert read == reference
    for field in attrs.fields(type(reference)):
        mine, theirs = getattr(read, field.name), getattr(reference, field.name)
        assert type(mine) is type(theirs), field.name
        if isinstance(theirs, dict):
            assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()]
        if isinstance(theirs, datetime):
            assert mine.tzinfo is theirs.tzinfo, field.name
    assert CODEC.item_to_dict(read) == CODEC.item_to_dict(reference)


def _row(item: Item) -> tuple[Any, ...]:
    """The item as a table row: an id, then each field, lists and objects as JSON text,
    booleans as 0 or 1 (what the SQLite backend writes)."""
    data = CODEC.item_to_dict(item)
    values: list[Any] = [7]
    for field in attrs.fields(type(item)):
        value = data[field.name]
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            value = int(value)
        values.append(value)
    return tuple(values)


def _reader(cls: type[Item]) -> Any:
    return CODEC.row_reader(cls.kind, [f.name for f in attrs.fields(cls)], start=1)


@given(item=stored_items())
def test_a_stored_document_reads_as_the_converter_reads_it(item: Item) -> None:
    data = CODEC.item_to_dict(item)
    _same(CODEC.item_from_stored(data), CODEC.item_from_dict(data))
    _same(CODEC.item_from_stored(data), item)


@given(item=stored_items())
def test_a_stored_row_reads_as_the_converter_reads_its_values(item: Item) -> None:
    read = _reader(type(item))(_row(item))
    _same(read, CODEC.item_from_dict(CODEC.item_to_dict(item)))
    # Twice: the second read comes through the caches of dates, times and name lists.
    _same(_reader(type(item))(_row(item)), read)


def test_a_reader_refuses_columns_that_are_not_the_kinds_fields() -> None:
    with pytest.raises(ValueError, match="are not the fields of a risk"):
        CODEC.row_reader("risk", ["title", "ref"])


def _stored_risk() -> JsonDict:
    risk = Risk(
        title="Supplier late",
        ref="R-0001",
        probability=3,
        impact=4,
        score=12,
        tags=("vendor",),
        due=datetime(2026, 5, 1).date(),
        version=2,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return CODEC.item_to_dict(risk)


DAMAGE: dict[str, tuple[str, object]] = {
    "text that is a number": ("title", 5),
    "no title": ("title", None),
    "a number that is text": ("score", "12"),
    "a number that is a float": ("probability", 3.5),
    "a boolean number": ("version", True),
    "an unknown rag": ("rag", "purple"),
    "a date that is not one": ("due", "soon"),
    "a time that is not one": ("created_at", "last Tuesday"),
    "names that are not text": ("tags", ["vendor", 5]),
    "names that are not a list": ("tags", "vendor"),
    "a link of an unknown relation": ("links", [{"relation": "eats", "target": "A-0001"}]),
    "a link without a target": ("links", [{"relation": "mitigates"}]),
    "extra that is not an object": ("extra", [1]),
    "extra holding a list": ("extra", {"a": [1]}),
    "rag_manual that is not 0 or 1": ("rag_manual", 7),
    "an infinite cost": ("cost_exposure", float("inf")),
    "a cost that is text": ("cost_exposure", "a lot"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_document_names_the_field(case: str) -> None:
    name, value = DAMAGE[case]
    data = {**_stored_risk(), name: value}
    with pytest.raises(ValidationError) as raised:
        CODEC.item_from_stored(data)
    assert raised.value.field == name


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_row_names_the_field(case: str) -> None:
    name, value = DAMAGE[case]
    names = [f.name for f in attrs.fields(Risk)]
    row = list(_row(CODEC.item_from_dict(_stored_risk())))
    if isinstance(value, list | dict):
        value = json.dumps(value)
    row[1 + names.index(name)] = value
    with pytest.raises(ValidationError) as raised:
        _reader(Risk)(tuple(row))
    assert raised.value.field == name


def test_json_text_that_is_not_json_names_the_field() -> None:
    names = [f.name for f in attrs.fields(Risk)]
    row = list(_row(CODEC.item_from_dict(_stored_risk())))
    row[1 + names.index("tags")] = '["vendor'
    with pytest.raises(ValidationError, match=r"tags holds .*not JSON"):
        _reader(Risk)(tuple(row))


def test_a_row_of_the_wrong_length_is_a_validation_error() -> None:
    row = _row(CODEC.item_from_dict(_stored_risk()))
    with pytest.raises(ValidationError, match="a stored risk"):
        _reader(Risk)(row[:-1])


def test_a_document_not_of_this_release_goes_through_the_converter() -> None:
    data = _stored_risk()
    del data["cause"]  # written before the field existed: the converter's default
    assert CODEC.item_from_stored(data) == CODEC.item_from_dict(data)
    with pytest.raises(ValidationError, match="unknown fields for a risk: colour"):
        CODEC.item_from_stored({**_stored_risk(), "colour": "red"})
    with pytest.raises(ValidationError, match="unknown kind"):
        CODEC.item_from_stored({**_stored_risk(), "kind": "rumour"})
    with pytest.raises(ValidationError, match="is a JSON object, not"):
        CODEC.item_from_stored([1, 2])  # type: ignore[arg-type]  # a tampered document


def test_nothing_is_normalised_on_read() -> None:
    """What is stored is what is read: verify, reading through the same reader, then
    sees every difference from the history (the validators would hide these)."""
    data = {**_stored_risk(), "title": "  padded  ", "tags": ["vendor", "vendor"]}
    read = CODEC.item_from_stored(data)
    assert read.title == "  padded  "
    assert read.tags == ("vendor", "vendor")
    assert CODEC.item_from_dict(data) != read


def test_every_builtin_kind_has_a_trusted_reader() -> None:
    for cls in BUILTIN_KINDS:
        reader = _reader(cls)
        assert "<generated: raidlog.convert read" in reader.__code__.co_filename
        read = reader(_row(cls(title="x", ref=f"{cls.ref_prefix}-0001", version=1)))
        assert type(read) is cls
