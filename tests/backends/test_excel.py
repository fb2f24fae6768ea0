"""The Excel workbook backend: what the workbook holds and how it refuses to lose data."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import ClassVar

import attrs
import openpyxl
import pytest
import python_calamine
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment

import raidlog
from raidlog.backends.excel import (
    ExcelBackend,
    UnsafeWorkbookError,
    WorkbookChangedError,
    safety,
    workbook,
)
from raidlog.backends.excel.layout import sheet_name
from raidlog.errors import ConflictError, ValidationError
from raidlog.model.items import Action, Decision, Item, Risk

KIND_SHEETS = ["Risks", "Actions", "Issues", "Decisions", "Assumptions", "Dependencies"]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "raid.xlsx"


def open_register(path: Path, actor: str = "alice") -> raidlog.Register:
    return raidlog.open(str(path), actor=actor)


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        book.close()


def row_of(path: Path, sheet: str, ref: str) -> dict[str, object]:
    rows = calamine_rows(path, sheet)
    header = [str(v) for v in rows[0]]
    for row in rows[1:]:
        if row[0] == ref:
            return dict(zip(header, row, strict=False))
    raise AssertionError(f"{ref} not on sheet {sheet}")


def test_xlsx_locations_open_the_excel_backend(path: Path) -> None:
    with open_register(path) as register:
        assert isinstance(register.backend, ExcelBackend)
        assert register.capabilities.persistent
        assert register.capabilities.concurrent_processes


def test_the_workbook_has_a_sheet_per_kind_then_links_governance_and_hidden_log(
    path: Path,
) -> None:
    with open_register(path) as register:
        register.add(Risk(title="Supplier fails", probability=4, impact=5))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*KIND_SHEETS, "Links", "Governance", "_events", "_meta"]
    assert book["_events"].sheet_state == "hidden"
    assert book["_events"].protection.sheet
    assert book["_meta"].sheet_state == "hidden"
    risks = book["Risks"]
    assert [c.value for c in risks[1][:4]] == ["Ref", "Title", "Status", "Priority"]
    assert risks.freeze_panes == "C2"
    assert "Risks" in risks.tables
    assert risks.tables["Risks"].autoFilter is not None
    assert risks.column_dimensions["B"].width == 48


def test_dropdowns_come_from_the_profile_vocabularies(path: Path) -> None:
    with open_register(path) as register:
        register.add(Risk(title="Supplier fails"))
        statuses = register.profile.lifecycle("risk").statuses
        priorities = register.profile.vocabulary("priority")
    sheet = openpyxl.load_workbook(path)["Risks"]
    lists = [
        frozenset(dv.formula1.strip('"').split(",")) for dv in sheet.data_validations.dataValidation
    ]
    assert frozenset(statuses) in lists
    assert frozenset(priorities) in lists
    assert frozenset({"red", "amber", "green"}) in lists
    assert len(sheet.conditional_formatting) >= 2  # RAG fills and the score colour scale


def test_values_are_written_as_what_they_are(path: Path) -> None:
    with open_register(path) as register:
        risk = register.add(
            Risk(
                title="Supplier fails",
                probability=4,
                impact=5,
                due=date(2027, 3, 31),
                raised_on=date(1899, 12, 1),
                tags=("supply", "q3"),
                extra={"budget line": "B-7", "weight": 0.1 + 0.2},
                cost_exposure=1234.5,
            )
        )
    row = row_of(path, "Risks", "R-0001")
    assert row["Due"] == date(2027, 3, 31)
    assert row["Raised on"] == "1899-12-01"  # before Excel's first date: ISO text
    assert row["Score"] == 20.0
    assert row["Cost exposure"] == 1234.5
    assert row["Tags"] == "supply\nq3"
    assert row["Extra (JSON)"] == '{"budget line": "B-7", "weight": 0.30000000000000004}'
    assert risk.created_at is not None
    assert row["Created at (UTC)"] == risk.created_at.isoformat()
    sheet = openpyxl.load_workbook(path)["Risks"]
    due = next(c for c in sheet[1] if c.value == "Due").column
    assert sheet.cell(2, due).number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    "title", ["=1+2", '=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0", "#N/A"]
)
def test_text_that_looks_like_a_formula_stays_text(path: Path, title: str) -> None:
    with open_register(path) as register:
        register.add(Action(title=title, description=title, tags=(title,)))
    assert row_of(path, "Actions", "A-0001")["Title"] == title
    sheet = openpyxl.load_workbook(path)["Actions"]
    cell = sheet["B2"]
    assert (cell.value, cell.data_type) == (title, "s")
    with zipfile.ZipFile(path) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if "worksheets/" in n)
    assert b"<f>" not in xml
    assert b"<f " not in xml
    with open_register(path) as register:
        assert register.get("A-0001").title == title


def test_text_in_excel_escape_syntax_reads_back_as_typed(path: Path) -> None:
    with open_register(path) as register:
        register.add(Action(title="_x0041_ stays _x0041_", description=" spaced \n lines "))
    row = row_of(path, "Actions", "A-0001")
    assert row["Title"] == "_x0041_ stays _x0041_"
    assert row["Description"] == " spaced \n lines "


def test_whitespace_only_text_reads_back_as_typed(path: Path) -> None:
    # openpyxl writes " " without xml:space="preserve"; readers would drop it.
    with open_register(path) as register:
        register.add(Risk(title="=1+2", description=" \n "))
    assert row_of(path, "Risks", "R-0001")["Description"] == " \n "
    with open_register(path) as register:
        assert register.get("R-0001").description == " \n "
        assert register.verify().ok


def test_text_longer_than_a_cell_is_refused_before_writing(path: Path) -> None:
    with open_register(path) as register:
        register.add(Action(title="small"))
        before = path.read_bytes()
        with pytest.raises(ValidationError, match=r"32767|32,767") as caught:
            register.add(Decision(title="big", options_considered=("a" * 20_000, "b" * 20_000)))
        assert "Options considered" in str(caught.value)
        assert path.read_bytes() == before
        assert [i.ref for i in register.items()] == ["A-0001"]


def test_too_many_rows_is_a_clear_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_register(path) as register:
        monkeypatch.setattr(workbook, "MAX_ROWS", 5)
        register.add(Action(title="one"))
        with pytest.raises(ValidationError, match="sheet Actions would need 6 rows"):
            register.add_many([Action(title=f"more {n}") for n in range(4)])
        assert len(register) == 1


def test_a_sheet_name_longer_than_excel_allows_is_refused() -> None:
    class VeryLongNamedKindOfRegisterEntry(Item):
        kind = "very_long"
        ref_prefix = "VL"
        label = "Very long named kind of register entry"

    with pytest.raises(ValueError, match="31 characters"):
        sheet_name(VeryLongNamedKindOfRegisterEntry)


def test_a_macro_enabled_workbook_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(UnsafeWorkbookError, match="macros"):
        raidlog.open(str(tmp_path / "raid.xlsm"), actor="alice")
    assert not (tmp_path / "raid.xlsm").exists()


def _add_chart(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Risks"], min_col=1, min_row=1, max_row=2))
    book["Risks"].add_chart(chart, "Z2")
    book.save(path)


def _add_comment(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    book["Risks"]["B2"].comment = Comment("check with finance", "Bob")
    book.save(path)


@pytest.mark.parametrize(("add", "what"), [(_add_chart, "charts"), (_add_comment, "comments")])
def test_a_workbook_with_content_openpyxl_drops_is_never_overwritten(
    path: Path, add: object, what: str
) -> None:
    with open_register(path) as register:
        register.add(Risk(title="Supplier fails"))
    add(path)  # type: ignore[operator]  # parametrised callable
    before = path.read_bytes()
    with open_register(path) as register:
        assert register.get("R-0001").title == "Supplier fails"
        with pytest.raises(UnsafeWorkbookError, match=what):
            register.add(Risk(title="Another"))
    assert path.read_bytes() == before


def test_add_many_writes_the_file_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_register(path) as register:
        saves = count_saves(monkeypatch)
        register.add_many([Action(title=f"a{n}") for n in range(50)])
        assert saves == [1]


def count_saves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    saves = [0]
    real = safety.atomic_write

    def counting(*args: object, **kwargs: object) -> str:
        saves[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]  # passes through

    monkeypatch.setattr("raidlog.backends.excel.backend.atomic_write", counting)
    return saves


def test_a_batch_of_updates_costs_one_save(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_register(path) as register:
        actions = register.add_many([Action(title=f"a{n}") for n in range(20)])
        saves = count_saves(monkeypatch)
        with register.batch():
            for _ in range(5):
                actions = [register.update(a, progress=a.progress + 10) for a in actions]
        assert saves == [1]
    with open_register(path) as register:
        assert {a.progress for a in register.items()} == {50}
        assert register.verify().ok


def test_a_batch_that_raises_saves_nothing_and_reverts(path: Path) -> None:
    with open_register(path) as register:
        action = register.add(Action(title="a"))
        before = path.read_bytes()

        def changes_then_fails() -> None:
            with register.batch():
                register.update(action, progress=50)
                register.add(Action(title="b"))
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError, match="stop"):
            changes_then_fails()
        assert path.read_bytes() == before
        assert register.get("A-0001").progress == 0
        assert [i.ref for i in register.items()] == ["A-0001"]
        assert register.add(Action(title="c")).ref == "A-0002"


def test_a_stale_update_from_another_handle_is_a_conflict(path: Path) -> None:
    first, second = open_register(path, "alice"), open_register(path, "bob")
    with first, second:
        action = first.add(Action(title="shared"))
        stale = second.get(action.ref or "")
        first.update(action, progress=10)
        with pytest.raises(ConflictError):
            second.update(stale, progress=20)
        second.add(Action(title="from bob"))
        assert [i.title for i in first.items()] == ["shared", "from bob"]
        assert first.get("A-0001").progress == 10
        assert first.verify().ok


def test_a_workbook_edited_while_open_is_not_overwritten(path: Path) -> None:
    with open_register(path) as register:
        register.add(Action(title="a"))
        book = openpyxl.load_workbook(path)
        book["Actions"]["B2"] = "edited in Excel"
        book.save(path)
        before = path.read_bytes()
        with pytest.raises(WorkbookChangedError, match="changed outside raidlog"):
            register.add(Action(title="b"))
        assert path.read_bytes() == before


def test_the_register_survives_reopening(path: Path) -> None:
    with open_register(path) as register:
        risk = register.add(Risk(title="r", probability=2, impact=3))
        action = register.add(Action(title="a"))
        register.link(action, "mitigates", risk)
        register.put_node(raidlog.Node(name="Programme X", level="programme"))
        items = list(register.items())
    with open_register(path, "bob") as register:
        assert list(register.items()) == items
        assert register.links(risk) == [("A-0001", "mitigates", "R-0001")]
        assert register.structure().nodes["Programme X"].level == "programme"
        assert register.verify().ok
    assert calamine_rows(path, "Links")[1] == ["A-0001", "mitigates", "R-0001", "a"]


@attrs.frozen(kw_only=True)
class Opportunity(Item):
    kind: ClassVar[str] = "opportunity"
    ref_prefix: ClassVar[str] = "OP"
    label: ClassVar[str] = "Opportunity"

    benefit: str = ""


class KindsPlugin:
    @raidlog.hookimpl
    def register_kinds(self) -> list[type[Item]]:
        return [Opportunity]


def test_a_plugin_kind_gets_its_own_sheet_and_needs_its_plugin_to_write(
    path: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "opportunities.toml"
    profile.write_text(
        'name = "opportunities"\nextends = "default"\n'
        '[lifecycle.opportunity]\ninitial = "open"\nclosed = ["taken"]\n'
        '[lifecycle.opportunity.transitions]\nopen = ["taken"]\ntaken = []\n'
    )
    plugins = [KindsPlugin()]
    with raidlog.open(str(path), actor="a", profile=str(profile), plugins=plugins) as register:
        register.add(Opportunity(title="Reuse the platform", benefit="=lower cost"))
    assert row_of(path, "Opportunities", "OP-0001")["Benefit"] == "=lower cost"
    with raidlog.open(str(path), actor="b", plugins=plugins) as register:
        assert register.get("OP-0001").title == "Reuse the platform"
        assert register.verify().ok
    before = path.read_bytes()
    with (
        raidlog.open(str(path), actor="c") as register,
        pytest.raises(UnsafeWorkbookError, match="opportunity"),
    ):
        register.add(Action(title="would drop the Opportunities sheet"))
    assert path.read_bytes() == before


def test_a_workbook_deleted_while_open_is_not_recreated_half_empty(path: Path) -> None:
    with open_register(path) as register:
        register.add(Action(title="a"))
        path.unlink()
        with pytest.raises(WorkbookChangedError, match="deleted or moved"):
            register.add(Action(title="b"))
        assert not path.exists()
        assert [i.title for i in register.items()] == ["a"]
