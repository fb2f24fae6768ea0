"""A hand edit in the workbook and the same change through the API end the same way.

Both go through :mod:`raidlog.rules`: for the same item and the same edit, the
register's ``update`` and the workbook's hand-edit reconciler store the same content,
or both refuse it, with the same reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog.backends.excel import HandEditError
from raidlog.backends.excel.layout import columns_for, sheet_name
from raidlog.errors import ImmutableItemError, InvalidTransitionError, ValidationError
from raidlog.model.items import Action, Decision, Item, Risk

REASON = "edited by hand in the workbook"  # the reason the reconciler records


def _clock() -> datetime:
    return datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _open(path: Path) -> raidlog.Register:
    return raidlog.open(str(path), actor="ana", clock=_clock, options={"clock": _clock})


#: Items in every status the API can put them in, by the moves that get them there.
STARTS: dict[str, tuple[Callable[[], Item], tuple[str, ...]]] = {
    "action open": (lambda: Action(title="Call supplier", priority="high", progress=40), ()),
    "action in progress": (lambda: Action(title="Call supplier", progress=40), ("in_progress",)),
    "action done": (lambda: Action(title="Call supplier", priority="low"), ("done",)),
    "action cancelled": (lambda: Action(title="Call supplier"), ("cancelled",)),
    "decision proposed": (lambda: Decision(title="Cloud", decision="Use cloud A"), ()),
    "decision accepted": (lambda: Decision(title="Cloud", decision="Use cloud A"), ("accepted",)),
    "risk open": (lambda: Risk(title="Supplier fails", probability=2, impact=3), ()),
    "risk closed": (lambda: Risk(title="Supplier fails", probability=2, impact=3), ("closed",)),
}

KINDS: dict[str, type[Item]] = {"action": Action, "decision": Decision, "risk": Risk}
#: What an edit may change, per kind, and the values it may give.
TEXT = st.sampled_from(["Call supplier", "Rewritten", "Use cloud B", "Use cloud A"])
EDITS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "action": {
        "status": st.sampled_from(["open", "in_progress", "blocked", "done", "cancelled"]),
        "title": TEXT,
        "progress": st.sampled_from([0, 40, 100]),
        "priority": st.sampled_from(["low", "high", "HIGH", "urgent"]),
    },
    "decision": {
        "status": st.sampled_from(["proposed", "accepted", "rejected", "deprecated"]),
        "decision": TEXT,
        "rationale": TEXT,
    },
    "risk": {
        "status": st.sampled_from(["open", "mitigating", "closed", "materialised"]),
        "title": TEXT,
        "probability": st.integers(1, 5),
        "rag": st.sampled_from(["red", "green"]),
    },
}


@pytest.fixture(scope="module")
def starts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One workbook per start, made once: each example edits copies of it."""
    folder = tmp_path_factory.mktemp("starts")
    made = {}
    for name, (make, moves) in STARTS.items():
        path = folder / f"{name.replace(' ', '-')}.xlsx"
        with _open(path) as register:
            item = register.add(make())
            for status in moves:
                item = register.transition(item, status, reason="set up")
        made[name] = path
    return made


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    start = draw(st.sampled_from(sorted(STARTS)))
    fields = EDITS[start.split(" ")[0]]
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    return start, {name: draw(fields[name]) for name in chosen}


def _through_the_api(path: Path, edit: dict[str, Any]) -> dict[str, Any] | str:
    """The edit as ``Register.update``, with the reason hand edits are recorded with."""
    with _open(path) as register:
        item = next(register.items())
        try:
            stored = register.update(item, reason=REASON, **edit)
        except (ValidationError, InvalidTransitionError, ImmutableItemError) as exc:
            return str(exc)
        return register.codec.content(register.get(stored.ref or ""))


def _by_hand(path: Path, kind: type[Item], edit: dict[str, Any]) -> dict[str, Any] | list[str]:
    """The edit typed into the item's row, as a person would in Excel, then opened."""
    book = openpyxl.load_workbook(path)
    sheet = book[sheet_name(kind)]
    titles = {c.field: c.title for c in columns_for(kind)}
    header = [c.value for c in sheet[1]]
    for field, value in edit.items():
        sheet.cell(2, header.index(titles[field]) + 1).value = value
    book.save(path)
    try:
        register = _open(path)
    except HandEditError as exc:
        return [p.reason for p in exc.problems]
    with register:
        return register.codec.content(next(register.items()))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=cases())
def test_a_hand_edit_ends_like_the_same_update(
    case: tuple[str, dict[str, Any]], starts: dict[str, Path], tmp_path: Path
) -> None:
    start, edit = case
    api, hand = tmp_path / "api.xlsx", tmp_path / "hand.xlsx"
    shutil.copyfile(starts[start], api)
    shutil.copyfile(starts[start], hand)
    kind = KINDS[start.split(" ")[0]]
    through_api, by_hand = _through_the_api(api, edit), _by_hand(hand, kind, edit)
    if isinstance(through_api, str):
        assert isinstance(by_hand, list), f"{start} {edit}: the API refused ({through_api})"
        assert any(through_api in reason for reason in by_hand), (through_api, by_hand)
    else:
        assert not isinstance(by_hand, list), f"{start} {edit}: refused by hand: {by_hand}"
        assert by_hand == through_api
