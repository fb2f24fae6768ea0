"""Refs cannot be bent (issue 16, items 7 and 8): a ref takes its kind's prefix only, one
number has one spelling whatever characters spell it, and allocation never hands out a
ref that is already stored, so no register gets stuck."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import attrs
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Action, Decision, DuplicateRefError, Issue, Risk, ValidationError
from raidlog.backends.excel import HandEditError
from raidlog.model.values import REF_DIGITS_MAX, canonical_ref
from raidlog.register import Register
from raidlog.testing.strategies import look_alikes

LOCATIONS = ("memory:", "raid.db", "raid.xlsx")


@pytest.fixture(params=LOCATIONS)
def reg(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Register]:
    location = request.param if request.param == "memory:" else str(tmp_path / request.param)
    with raidlog.open(location, actor="ana") as register:
        yield register


# 7. a stuck register -----------------------------------------------------------------------
def test_a_ref_of_another_kinds_prefix_is_refused_and_the_kind_goes_on(reg: Register) -> None:
    with pytest.raises(ValidationError, match="does not start with R-") as caught:
        reg.add(Risk(title="Spoof", ref="D-0001"))
    assert caught.value.field == "ref"
    assert len(reg) == 0
    assert reg.add(Decision(title="First decision")).ref == "D-0001"
    assert reg.add(Decision(title="Second decision")).ref == "D-0002"


def _store_behind_the_counter(reg: Register, *items: raidlog.Item) -> None:
    """Store items the way an earlier release or a restored backup left them: present,
    with refs the store's counter does not know."""
    with raidlog.open("memory:", actor="ana") as source:
        stored = [source.add(attrs.evolve(item, ref=None)) for item in items]
    moved = [attrs.evolve(s, ref=i.ref) for s, i in zip(stored, items, strict=True)]
    reg.backend.atomic(lambda txn: txn.put([(item, 0) for item in moved]))


def test_allocation_skips_refs_already_stored(reg: Register) -> None:
    """A rolled-back counter (a restored backup of the counters, a hand edit) used to make
    every later add of the kind fail with DuplicateRefError."""
    _store_behind_the_counter(
        reg,
        Risk(title="a", ref="R-0001"),
        Risk(title="b", ref="R-0002"),
        Action(title="c", ref="A-0001"),
    )
    assert reg.add(Risk(title="next")).ref == "R-0003"
    assert reg.add(Risk(title="after")).ref == "R-0004"
    assert reg.add(Action(title="next action")).ref == "A-0002"


def test_a_register_holding_a_risk_with_a_decision_ref_still_adds_decisions(
    reg: Register,
) -> None:
    """Earlier releases accepted ``Risk(ref="D-0001")``; such a register must not be stuck."""
    _store_behind_the_counter(reg, Risk(title="written by an earlier release", ref="D-0001"))
    decisions = reg.add_many([Decision(title="one"), Decision(title="two")])
    assert [d.ref for d in decisions] == ["D-0002", "D-0003"]
    assert reg.get("D-0001").kind == "risk"


def test_a_rolled_back_sqlite_counter_does_not_stick(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        for n in range(3):
            reg.add(Risk(title=f"risk {n}"))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE counters SET last = 0 WHERE prefix = 'R'")
    conn.commit()
    conn.close()
    with raidlog.open(str(path), actor="ana") as reg:
        assert reg.add(Risk(title="after the rollback")).ref == "R-0004"
        assert reg.verify().ok


# 8. look-alike refs --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spelling",
    [
        "r-0001",
        "R-1",
        "R-00001",
        " R-0001 ",
        "R\u200b-0001",  # zero-width space
        "R-00\u200d01",  # zero-width joiner
        "\ufeffR-0001",  # byte-order mark
        "R-0\u00ad001",  # soft hyphen
        "\uff32-\uff10\uff10\uff10\uff11",  # full-width R and digits
        "R\uff0d0001",  # full-width hyphen
        "R\u20130001",  # en dash
        "R\u22120001",  # minus sign
    ],
)
def test_look_alikes_of_a_ref_are_that_ref(reg: Register, spelling: str) -> None:
    first = reg.add(Risk(title="The real one", ref="R-0001"))
    with pytest.raises(DuplicateRefError, match="R-0001"):
        reg.add(Risk(title="Spoof", ref=spelling))
    assert [i.ref for i in reg.items()] == [first.ref] == ["R-0001"]


@pytest.mark.parametrize(
    ("spelling", "words"),
    [
        ("\u0420-0001", "does not start with R-"),  # Cyrillic Er
        ("R-\u0661\u0662", "ASCII digits"),  # Arabic-Indic digits
        ("R-O001", "ASCII digits"),  # letter O
        ("R-0001\u0301", "ASCII digits"),  # a combining accent on the last digit
        ("R0001", "does not start with R-"),
        ("R-", "ASCII digits"),
        ("R-0000", "start at 1"),
        ("R-1-2", "does not start with R-"),
        ("R-99999999999999999999", f"at most {REF_DIGITS_MAX}"),
        ("R-" + "9" * 200, f"at most {REF_DIGITS_MAX}"),
    ],
)
def test_what_is_not_a_ref_is_refused_with_a_validation_error(
    reg: Register, spelling: str, words: str
) -> None:
    """``R-99999999999999999999`` raised OverflowError from the store's counter."""
    with pytest.raises(ValidationError, match=words) as caught:
        reg.add(Risk(title="x", ref=spelling))
    assert caught.value.field == "ref"
    assert len(reg) == 0
    assert reg.add(Risk(title="next")).ref == "R-0001"


def test_the_largest_ref_number_is_stored_and_allocation_goes_past_it(reg: Register) -> None:
    top = "R-" + "9" * (REF_DIGITS_MAX - 1) + "8"
    assert reg.add(Risk(title="high", ref=top)).ref == top
    assert reg.add(Risk(title="next")).ref == "R-" + "9" * REF_DIGITS_MAX


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spelling=look_alikes("R-0001"))
def test_a_look_alike_is_the_ref_or_refused_never_a_ref_of_its_own(spelling: str) -> None:
    try:
        ref = canonical_ref(spelling, prefix="R", kind="risk")
    except ValidationError as exc:
        error = exc
    else:
        assert ref == "R-0001", spelling
        return
    assert error.field == "ref"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=20))
def test_every_accepted_ref_is_canonical_ascii(text: str) -> None:
    try:
        ref = canonical_ref(text, prefix="A", kind="action")
    except ValidationError:
        return
    prefix, number = ref.split("-")
    assert prefix == "A"
    assert number.isascii()
    assert number.isdigit()
    assert 4 <= len(number) <= REF_DIGITS_MAX
    assert int(number) >= 1
    assert canonical_ref(ref, prefix="A", kind="action") == ref
    assert unicodedata.is_normalized("NFC", ref)


def test_refs_of_earlier_registers_and_imports_are_left_as_they_are(tmp_path: Path) -> None:
    """Validation is for new refs: items already stored under other spellings still read,
    update and verify; imported ids never become refs (they are kept in extra)."""
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana") as reg:
        _store_behind_the_counter(reg, Issue(title="old", ref="X-1"))
        old = reg.get("X-1")
        assert reg.update(old, title="still editable").version == 2
        assert reg.add(Issue(title="new")).ref == "I-0001"


# the workbook: refs typed by hand follow the same rules -------------------------------------
def _type_action(path: Path, ref: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["Actions"]
    header = [c.value for c in sheet[1]]
    row = sheet.max_row + 1
    sheet.cell(row, header.index("Ref") + 1).value = ref
    sheet.cell(row, header.index("Title") + 1).value = "Typed in by hand"
    book.save(path)


def test_a_look_alike_ref_typed_into_the_workbook_is_that_ref(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Action(title="First"))
    _type_action(path, "a-0007")
    with raidlog.open(str(path), actor="bo") as reg:
        assert reg.get("A-0007").title == "Typed in by hand"
        assert reg.verify().ok


def test_a_ref_of_another_kind_typed_into_the_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Action(title="First"))
    _type_action(path, "D-0001")
    with pytest.raises(HandEditError, match="does not start with A-") as caught:
        raidlog.open(str(path), actor="bo")
    assert caught.value.problems[0].column == "Ref"
