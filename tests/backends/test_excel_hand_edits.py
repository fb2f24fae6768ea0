"""Edits made by hand in Excel between two runs are checked and recorded as events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import raidlog
from raidlog.backends.excel import EXTERNAL_ACTOR, HandEditError
from raidlog.model.items import Action, Decision, Risk


@pytest.fixture
def path(tmp_path: Path) -> Path:
    location = tmp_path / "raid.xlsx"
    with raidlog.open(str(location), actor="alice") as register:
        register.add(Risk(title="Supplier fails", probability=2, impact=3, owner="Ann"))
        register.add(Action(title="Call supplier", due=date(2027, 1, 15)))
    return location


def edit(path: Path, change: Callable[[Any], None]) -> None:
    """Edit the workbook the way Excel would: open, change cells, save."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def column(sheet: Any, title: str) -> int:
    return int(next(c.column for c in sheet[1] if c.value == title))


def set_cell(sheet_name: str, row: int, title: str, value: object) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        sheet = book[sheet_name]
        sheet.cell(row, column(sheet, title)).value = value

    return change


def test_a_changed_cell_becomes_an_external_event(path: Path) -> None:
    edit(path, set_cell("Risks", 2, "Owner", "Bea"))
    with raidlog.open(str(path), actor="carol") as register:
        risk = register.get("R-0001")
        assert risk.owner == "Bea"
        assert risk.version == 2
        assert risk.updated_by == EXTERNAL_ACTOR
        last = register.history(risk)[-1]
        assert (last.channel, last.actor, last.action) == ("external", EXTERNAL_ACTOR, "update")
        assert [(c.field, c.old, c.new) for c in last.changes] == [("owner", "Ann", "Bea")]
        assert last.source is not None
        assert "sheet Risks, row 2" in last.source
        assert register.verify().ok
    with raidlog.open(str(path), actor="dave") as register:  # recorded once, not again
        assert len(register.history("R-0001")) == 2


def test_an_edited_probability_rescores_the_risk(path: Path) -> None:
    edit(path, set_cell("Risks", 2, "Probability", 5))
    with raidlog.open(str(path), actor="carol") as register:
        risk = register.get("R-0001")
        assert isinstance(risk, Risk)
        assert (risk.probability, risk.score, risk.rag) == (5, 15, "red")
        assert register.verify().ok


def test_a_row_typed_in_without_a_ref_gets_one(path: Path) -> None:
    def add_row(book: Any) -> None:
        sheet = book["Actions"]
        sheet.cell(3, column(sheet, "Title")).value = "Book the room"
        sheet.cell(3, column(sheet, "Due")).value = date(2027, 2, 1)

    edit(path, add_row)
    with raidlog.open(str(path), actor="carol") as register:
        action = register.get("A-0002")
        assert (action.title, action.due, action.status) == (
            "Book the room",
            date(2027, 2, 1),
            "open",
        )
        event = register.history(action)[0]
        assert (event.action, event.channel) == ("add", "external")
        assert register.add(Action(title="next")).ref == "A-0003"
        assert register.verify().ok


def test_a_row_typed_in_with_a_ref_keeps_it(path: Path) -> None:
    def add_row(book: Any) -> None:
        sheet = book["Actions"]
        sheet.cell(3, column(sheet, "Ref")).value = "A-0040"
        sheet.cell(3, column(sheet, "Title")).value = "Numbered by hand"

    edit(path, add_row)
    with raidlog.open(str(path), actor="carol") as register:
        assert register.get("A-0040").title == "Numbered by hand"
        assert register.add(Action(title="next")).ref == "A-0041"


def test_a_deleted_row_is_refused_and_the_file_left_alone(path: Path) -> None:
    edit(path, lambda book: book["Actions"].delete_rows(2))
    before = path.read_bytes()
    with pytest.raises(HandEditError, match="A-0001 was deleted") as caught:
        raidlog.open(str(path), actor="carol")
    assert caught.value.problems[0].sheet == "Actions"
    assert path.read_bytes() == before


def test_invalid_edits_are_reported_with_sheet_row_and_column(path: Path) -> None:
    def break_cells(book: Any) -> None:
        set_cell("Risks", 2, "Status", "bogus")(book)
        set_cell("Actions", 2, "Progress", "half")(book)
        set_cell("Actions", 2, "Due", "next week")(book)

    edit(path, break_cells)
    before = path.read_bytes()
    with pytest.raises(HandEditError) as caught:
        raidlog.open(str(path), actor="carol")
    where = {(p.sheet, p.row, p.column) for p in caught.value.problems}
    assert where == {
        ("Risks", 2, "Status"),
        ("Actions", 2, "Progress"),
        ("Actions", 2, "Due"),
    }
    assert "Fix these cells" in str(caught.value)
    assert path.read_bytes() == before


def test_a_score_typed_over_the_matrix_is_refused(path: Path) -> None:
    edit(path, set_cell("Risks", 2, "Score", 25))
    with pytest.raises(HandEditError, match="does not match the matrix"):
        raidlog.open(str(path), actor="carol")


def test_a_closed_item_cannot_be_edited_by_hand(path: Path) -> None:
    with raidlog.open(str(path), actor="alice") as register:
        register.transition(register.get("A-0001"), "done")
    edit(path, set_cell("Actions", 2, "Title", "Rewritten"))
    with pytest.raises(HandEditError, match="reopen it first"):
        raidlog.open(str(path), actor="carol")


def test_a_status_moved_by_hand_follows_the_lifecycle(path: Path) -> None:
    edit(path, set_cell("Actions", 2, "Status", "done"))
    with raidlog.open(str(path), actor="carol") as register:
        action = register.get("A-0001")
        assert isinstance(action, Action)
        assert (action.status, action.progress) == ("done", 100)
        assert action.closed_on is not None
        assert register.verify().ok


def test_a_governance_edit_is_refused(path: Path) -> None:
    with raidlog.open(str(path), actor="alice") as register:
        register.put_node(raidlog.Node(name="Programme X", level="programme"))
    edit(path, set_cell("Governance", 2, "Level", "portfolio"))
    with pytest.raises(HandEditError, match="governance structure was edited by hand"):
        raidlog.open(str(path), actor="carol")


def test_reformatting_cells_is_not_an_edit(path: Path) -> None:
    def widen(book: Any) -> None:
        book["Risks"].column_dimensions["B"].width = 80

    edit(path, widen)
    with raidlog.open(str(path), actor="carol") as register:
        assert len(register.history("R-0001")) == 1
        assert register.verify().ok


def test_a_deleted_column_is_refused_rather_than_read_as_empty(path: Path) -> None:
    def drop_owner(book: Any) -> None:
        sheet = book["Risks"]
        sheet.delete_cols(column(sheet, "Owner"))

    edit(path, drop_owner)
    with pytest.raises(HandEditError, match="column is missing") as caught:
        raidlog.open(str(path), actor="carol")
    assert [(p.sheet, p.column) for p in caught.value.problems] == [("Risks", "Owner")]


def test_an_accepted_decision_rewritten_with_a_status_move_is_refused(path: Path) -> None:
    with raidlog.open(str(path), actor="alice") as register:
        decision = register.add(Decision(title="Cloud", decision="Use cloud A"))
        register.transition(decision, "accepted")

    def rewrite(book: Any) -> None:
        set_cell("Decisions", 2, "Status", "deprecated")(book)
        set_cell("Decisions", 2, "Decision", "Use cloud B")(book)

    edit(path, rewrite)
    before = path.read_bytes()
    with pytest.raises(HandEditError, match="accepted decision") as caught:
        raidlog.open(str(path), actor="carol")
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("Decisions", 2, "Decision")
    assert "supersede it" in problem.reason
    assert "save a status change" not in problem.reason  # it cannot be reopened
    assert path.read_bytes() == before  # what the person typed is still there to fix


def test_a_done_action_reopened_and_edited_in_one_save_is_refused(path: Path) -> None:
    with raidlog.open(str(path), actor="alice") as register:
        register.transition(register.get("A-0001"), "done")

    def reopen_and_rewrite(book: Any) -> None:
        set_cell("Actions", 2, "Status", "open")(book)
        set_cell("Actions", 2, "Title", "Rewritten")(book)

    edit(path, reopen_and_rewrite)
    before = path.read_bytes()
    with pytest.raises(HandEditError, match="reopen it first") as caught:
        raidlog.open(str(path), actor="carol")
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("Actions", 2, "Title")
    assert "save a status change on its own" in problem.reason
    assert path.read_bytes() == before


def test_a_done_action_reopened_by_hand_alone_is_taken_then_editable(path: Path) -> None:
    with raidlog.open(str(path), actor="alice") as register:
        register.transition(register.get("A-0001"), "done")
    edit(path, set_cell("Actions", 2, "Status", "open"))
    with raidlog.open(str(path), actor="carol") as register:
        action = register.get("A-0001")
        assert (action.status, action.closed_on) == ("open", None)
    edit(path, set_cell("Actions", 2, "Title", "Rewritten"))
    with raidlog.open(str(path), actor="carol") as register:
        assert register.get("A-0001").title == "Rewritten"
        assert register.verify().ok
