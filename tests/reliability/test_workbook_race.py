"""A person saving the workbook while raidlog saves it loses nothing.

Writing a large workbook takes seconds (2 to 4 s at 4,000 items), and Excel does not
take raidlog's lock. The person's save is made here at the last step before raidlog's
replace (while the written temporary file is being checked), the widest gap there is."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import raidlog
from raidlog.backends.excel import EXTERNAL_ACTOR, workbook
from raidlog.errors import ConflictError
from raidlog.model.items import Action, Risk


def _persons_save(path: Path, owner: str) -> bytes:
    """Change R-0001's owner and save the way Excel does (a new file moved over the old)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Risks"]
    column = next(c.column for c in sheet[1] if c.value == "Owner")
    sheet.cell(2, column).value = owner
    saved = path.with_name("excel-save.tmp")
    book.save(saved)
    os.replace(saved, path)
    return path.read_bytes()


def test_a_save_made_while_raidlog_writes_is_a_conflict_and_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="alice") as register:
        register.add(Risk(title="Supplier fails", probability=2, impact=3, owner="Ann"))
        persons: list[bytes] = []
        real_check = workbook.check_written

        def check_while_a_person_saves(temporary: Path, rendering: Any) -> None:
            if not persons:
                persons.append(_persons_save(path, "Bea"))
            real_check(temporary, rendering)

        monkeypatch.setattr(workbook, "check_written", check_while_a_person_saves)
        with pytest.raises(ConflictError, match="saved by another program"):
            register.add(Action(title="Chase supplier"))
        monkeypatch.undo()
        assert persons, "the person's save was not made during the write"
        assert path.read_bytes() == persons[0]
        assert not list(tmp_path.glob("*.tmp"))
        with pytest.raises(ConflictError):  # the same register object never writes over it
            register.add(Action(title="Chase supplier"))
        assert path.read_bytes() == persons[0]
    with raidlog.open(str(path), actor="carol") as reopened:
        risk = reopened.get("R-0001")
        assert (risk.owner, risk.updated_by) == ("Bea", EXTERNAL_ACTOR)
        assert reopened.verify().ok
        assert reopened.add(Action(title="Chase supplier")).ref == "A-0001"


def test_a_save_without_interference_still_goes_through(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="alice") as register:
        register.add(Risk(title="Supplier fails"))
        with register.backend.batch():  # type: ignore[attr-defined]  # the Excel backend's own
            register.add(Action(title="one"))
            register.add(Action(title="two"))
    with raidlog.open(str(path), actor="carol") as reopened:
        assert [i.title for i in reopened.items()] == ["one", "two", "Supplier fails"]
        assert reopened.verify().ok
