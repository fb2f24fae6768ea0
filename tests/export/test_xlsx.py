"""The xlsx board pack: safe to open, complete, and editable by people in the loop."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import ConflictError, Register, ValidationError
from raidlog.export import apply_xlsx, safe_hyperlink, sheet_names, write_board_pack
from raidlog.export.xlsx import REGISTER_SHEET
from raidlog.testing.strategies import items as item_strategy


def _sheet_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    rows = list(wb[sheet].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def pack(board: Register, tmp_path: Path) -> Path:
    out = tmp_path / "pack.xlsx"
    write_board_pack(board, out, body="Board")
    return out


def test_the_pack_has_every_sheet_a_board_reads(pack: Path) -> None:
    wb = openpyxl.load_workbook(pack)
    assert wb.sheetnames == [
        "Cover",
        "View",
        "Heat map",
        "Overdue actions",
        "Escalations",
        "Decisions",
        REGISTER_SHEET,
    ]
    cover = {row[0]: row[1] for row in wb["Cover"].iter_rows(values_only=True)}
    assert cover["RAID board pack"] == "for body Board"
    assert cover["Register"] == "memory:"
    assert cover["Generated (UTC)"]


def test_user_text_is_never_a_formula(pack: Path) -> None:
    wb = openpyxl.load_workbook(pack)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert formula_like, "the sample register has a title starting with '='"
    assert all(c.data_type == "s" for c in formula_like)
    with zipfile.ZipFile(pack) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_the_view_is_red_first_with_rag_fills(pack: Path) -> None:
    wb = openpyxl.load_workbook(pack)
    ws = wb["View"]
    rows = list(ws.iter_rows(min_row=2))
    rags = [row[2].value for row in rows]
    assert rags[0] == "red"
    assert rags == sorted(rags, key=lambda r: ["red", "amber", "green", None].index(r))
    assert rows[0][2].fill.fgColor.rgb.endswith("F4B6B6")


def test_heat_maps_are_side_by_side_with_counts(pack: Path) -> None:
    rows = list(openpyxl.load_workbook(pack)["Heat map"].iter_rows(values_only=True))
    assert rows[0][0] == "Inherent (2 open risks)"
    assert rows[0][7] == "Residual (2 open risks)"
    # Row 2 of the grid is "Almost certain" (p=5): the inherent 5x5 risk sits at impact 5.
    assert rows[2][0] == "Almost certain"
    assert rows[2][5] == 1
    total_inherent = sum(v for row in rows[2:] for v in row[1:6] if isinstance(v, int))
    total_residual = sum(v for row in rows[2:] for v in row[8:13] if isinstance(v, int))
    assert total_inherent == total_residual == 2


def test_overdue_escalations_and_decisions(pack: Path) -> None:
    assert [r["ref"] for r in _sheet_rows(pack, "Overdue actions")] == ["A-0001"]
    assert [r["ref"] for r in _sheet_rows(pack, "Escalations")] == ["R-0001"]
    assert [r["ref"] for r in _sheet_rows(pack, "Decisions")] == ["D-0001"]


def test_an_escalation_shows_in_the_higher_bodys_pack(board: Register, tmp_path: Path) -> None:
    out = tmp_path / "exco.xlsx"
    write_board_pack(board, out, body="ExCo")
    assert [r["ref"] for r in _sheet_rows(out, "Escalations")] == ["R-0001"]


class TestSheetNames:
    def test_names_are_sanitised_short_and_unique(self) -> None:
        names = sheet_names(["Risk: Q3/Board", "Risk: Q3\\Board", "x" * 40, "History", "[?*]"])
        assert names["Risk: Q3/Board"] == "Risk_ Q3_Board"
        assert names["Risk: Q3\\Board"] == "Risk_ Q3_Board (2)"
        assert len(names["x" * 40]) == 31
        assert names["History"] == "History_"
        assert names["[?*]"] == "____"
        assert len({n.casefold() for n in names.values()}) == 5


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("https://example.org/r/1", True),
        ("mailto:pmo@example.org", True),
        ("http://example.org", False),
        ("file:///etc/passwd", False),
        ("\\\\server\\share\\x.xlsx", False),
        ("javascript:alert(1)", False),
    ],
)
def test_hyperlinks_only_https_and_mailto(target: str, kept: bool) -> None:
    assert (safe_hyperlink(target) is not None) is kept


def test_links_in_cells_are_clickable_only_when_safe(tmp_path: Path) -> None:
    out = tmp_path / "links.xlsx"
    with raidlog.open("memory:", actor="a") as reg:
        reg.add(raidlog.Risk(title="a", extra={"ticket": "https://jira.example/R-1"}))
        reg.add(raidlog.Risk(title="b", extra={"ticket": "javascript:alert(1)"}))
        write_board_pack(reg, out)
    ws = openpyxl.load_workbook(out)[REGISTER_SHEET]
    header = [c.value for c in ws[1]]
    col = header.index("extra.ticket")
    good, bad = ws[2][col], ws[3][col]
    assert good.hyperlink is not None
    assert good.hyperlink.target == "https://jira.example/R-1"
    assert bad.hyperlink is None
    assert bad.value == "javascript:alert(1)"


def test_limits_are_checked_before_writing(
    board: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("raidlog.export.xlsx.EXCEL_MAX_ROWS", 5)
    out = tmp_path / "big.xlsx"
    with pytest.raises(ValidationError, match="do not fit in one sheet"):
        write_board_pack(board, out)
    assert not out.exists()


class TestPeopleInTheLoop:
    def _edit(
        self, pack: Path, edits: dict[str, dict[str, object]], new: list[dict[str, object]]
    ) -> None:
        wb = openpyxl.load_workbook(pack)
        ws = wb[REGISTER_SHEET]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            ref = row[0].value
            for column, value in edits.get(str(ref), {}).items():
                row[header.index(column)].value = value
        for values in new:
            ws.append([values.get(str(h)) for h in header])
        wb.save(pack)

    def test_edits_update_by_ref_and_new_rows_are_added_once(
        self, board: Register, pack: Path
    ) -> None:
        before = len(board)
        self._edit(
            pack,
            {
                "R-0002": {"owner": "Gus", "probability": 5},
                "A-0002": {"status": "in_progress", "due": "2027-02-01"},
            },
            [{"kind": "action", "title": "New action typed in Excel", "owner": "Hal"}],
        )
        result = apply_xlsx(pack, board)
        assert result.updated == ("A-0002", "R-0002")
        assert len(result.added) == 1
        assert len(board) == before + 1
        risk = board.get("R-0002")
        assert (risk.owner, risk.probability, risk.score) == ("Gus", 5, 15)
        action = board.get("A-0002")
        assert (action.status, action.due) == ("in_progress", date(2027, 2, 1))
        last = board.history("R-0002")[-1]
        assert last.reason == "edited in pack.xlsx"
        assert {c.field for c in last.changes} >= {"owner", "probability"}
        # A second run of the same file changes nothing and adds nothing.
        again = apply_xlsx(pack, board)
        assert again.updated == again.added == ()
        assert len(board) == before + 1
        assert board.verify().ok

    def test_an_unedited_pack_changes_nothing(self, board: Register, pack: Path) -> None:
        events = len(list(board.events()))
        result = apply_xlsx(pack, board)
        assert result.updated == result.added == ()
        assert result.unchanged == len(board)
        assert len(list(board.events())) == events

    def test_a_row_changed_since_the_export_is_a_conflict(
        self, board: Register, pack: Path
    ) -> None:
        board.update(board.get("R-0002"), owner="Someone")
        self._edit(pack, {"R-0002": {"owner": "Gus"}}, [])
        with pytest.raises(ConflictError):
            apply_xlsx(pack, board)
        assert board.get("R-0002").owner == "Someone"

    def test_edits_merge_with_other_changes_made_since_the_export(
        self, board: Register, pack: Path
    ) -> None:
        board.update(board.get("R-0002"), description="Added by someone else")
        self._edit(pack, {"R-0002": {"owner": "Gus"}}, [])
        assert apply_xlsx(pack, board).updated == ("R-0002",)
        risk = board.get("R-0002")
        assert (risk.owner, risk.description) == ("Gus", "Added by someone else")

    def test_a_bad_cell_names_file_sheet_row_and_column(self, board: Register, pack: Path) -> None:
        self._edit(pack, {"R-0002": {"probability": "very"}}, [])
        with pytest.raises(ValidationError, match=r"sheet Register, row 7: column probability"):
            apply_xlsx(pack, board)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(item_strategy(), min_size=1, max_size=6))
def test_an_unedited_pack_reads_back_as_exactly_the_register(
    batch: list[raidlog.Item], tmp_path: Path
) -> None:
    """Every cell of the Register sheet parses back to the stored value: re-importing
    an untouched pack finds nothing to change."""
    out = tmp_path / "gen.xlsx"
    with raidlog.open("memory:", actor="gen") as reg:
        for item in batch:
            reg.add(item)
        write_board_pack(reg, out)
        events = len(list(reg.events()))
        result = apply_xlsx(out, reg)
        assert result.updated == result.added == ()
        assert len(list(reg.events())) == events
