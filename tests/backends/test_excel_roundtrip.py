"""Round trips: what the register stores is what an independent reader finds in the file.

The saved workbook is read back with python-calamine and each cell is compared with
the item through the documented rules (docs/backends/excel.md), not through the
backend's own decoder.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog.backends.excel.layout import columns_for, sheet_name
from raidlog.model.items import Item, Link
from raidlog.model.values import Rag
from raidlog.testing.strategies import items

TRICKY = (
    "=1+2",
    '=HYPERLINK("https://evil.example")',
    "+cmd",
    "-2",
    "@SUM(A1)",
    "#N/A",
    "#DIV/0!",
    "_x0041_",
    "_x005F_x0041_",
    " leading and trailing ",
    "two\nlines",
    "tab\there",
    '"quoted"',
    "[not json",
    '["looks", "like json"]',
    "TRUE",
    "1e5",
    "0012345678901234567890",
    "2026-01-31",
    "émoji 🎉 and 中文",
)
_chars = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
)
hostile = st.sampled_from(TRICKY) | st.text(_chars | st.sampled_from("\n\t"), max_size=40)
names = st.lists(hostile.filter(lambda s: bool(s.strip())), max_size=3)
extra_values = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile
)


@st.composite
def hostile_items(draw: st.DrawFn) -> Item:
    """Items valid under the default profile, with text that spreadsheets get wrong."""
    item = draw(items())
    return attrs.evolve(
        item,
        title=draw(hostile.filter(lambda s: bool(s.strip()))),
        description=draw(hostile),
        owner=draw(st.none() | hostile),
        tags=tuple(draw(names)),
        extra=draw(st.dictionaries(hostile, extra_values, max_size=3)),
        raised_on=draw(st.none() | st.dates(date(1800, 1, 1), date(2026, 1, 1))),
    )


def expected_cell(value: Any, encoding: str) -> Any:
    """What the documented layout says a cell holds, as python-calamine reads it."""
    if value is None or value == "" or value == () or value == {}:
        return "" if encoding != "bool" else False
    if encoding == "names":
        joined = "\n".join(value)
        if any(not v or "\n" in v for v in value) or joined.startswith("["):
            return json.dumps(list(value), ensure_ascii=False)
        return joined
    if encoding == "links":
        return "\n".join(f"{link.relation.value} {link.target}" for link in value)
    if encoding == "extra":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value if value >= date(1900, 3, 1) else value.isoformat()
    if isinstance(value, Rag):
        return value.value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def read_sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
    finally:
        book.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(hostile_items(), min_size=1, max_size=6))
def test_every_cell_reads_back_as_stored(tmp_path: Path, batch: list[Item]) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.xlsx"
    with raidlog.open(str(path), actor="=alice") as register:
        stored = register.add_many(batch)
        editable = [i for i in stored if i.status not in register.profile.lifecycle(i.kind).frozen]
        if editable and len(stored) > 1:
            target = next(i for i in stored if i.ref != editable[0].ref)
            register.link(editable[0], "relates_to", target)
        stored = list(register.items())
    sheets = read_sheets(path)
    for item in stored:
        rows = sheets[sheet_name(type(item))]
        header = rows[0]
        row = next(r for r in rows[1:] if r[0] == item.ref)
        for column in columns_for(type(item)):
            cell = row[header.index(column.title)]
            value = getattr(item, column.field)
            assert cell == expected_cell(value, column.encoding), (item.ref, column.title)
    with raidlog.open(str(path), actor="bob") as reopened:
        assert list(reopened.items()) == stored
        assert reopened.verify().ok


def test_links_are_one_relation_and_target_per_line(tmp_path: Path) -> None:
    item_links = (
        Link(relation="mitigates", target="R-0001"),
        Link(relation="relates_to", target="I-0002"),
    )
    assert expected_cell(item_links, "links") == "mitigates R-0001\nrelates_to I-0002"
