"""`raidlog import` of files raidlog wrote: a JSON export rebuilds the register, an edited
board pack updates the items by ref and adds new rows, never duplicating."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

import raidlog
from raidlog import Action, Body, Risk
from raidlog.cli import main


def _register(path: Path) -> str:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.put_body(Body(name="PMO"))
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=4, body="PMO"))
        reg.add(Action(title="Chase supplier", body="PMO"))
        reg.update(risk, impact=5, reason="worse")
        return reg.verify().head_hash


def test_importing_a_json_export_rebuilds_the_register(tmp_path: Path) -> None:
    head = _register(tmp_path / "raid.db")
    runner = CliRunner()
    exported = runner.invoke(
        main,
        ["export", str(tmp_path / "raid.db"), str(tmp_path / "all.jsonl"), "--format", "jsonl"],
    )
    assert exported.exit_code == 0, exported.output
    result = runner.invoke(
        main, ["import", str(tmp_path / "all.jsonl"), str(tmp_path / "copy.db"), "--as", "ops"]
    )
    assert result.exit_code == 0, result.output
    assert "rebuilt 2 items" in result.output
    with (
        raidlog.open(str(tmp_path / "raid.db"), actor="x") as old,
        raidlog.open(str(tmp_path / "copy.db"), actor="x") as new,
    ):
        assert list(new.items()) == list(old.items())
        report = new.verify()
        assert report.ok
        assert report.head_hash == head


def test_importing_an_edited_board_pack_updates_by_ref(tmp_path: Path) -> None:
    _register(tmp_path / "raid.db")
    runner = CliRunner()
    pack = tmp_path / "pack.xlsx"
    exported = runner.invoke(
        main, ["export", str(tmp_path / "raid.db"), str(pack), "--format", "xlsx", "--body", "PMO"]
    )
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(pack)
    sheet = book["Register"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("ref")].value == "A-0001":
            row[header.index("title")].value = "Chase the supplier weekly"
    new_row = [None] * len(header)
    new_row[header.index("kind")] = "action"
    new_row[header.index("title")] = "Book a review with procurement"
    sheet.append(new_row)
    book.save(pack)
    for _ in range(2):  # the second run changes nothing
        result = runner.invoke(
            main, ["import", str(pack), str(tmp_path / "raid.db"), "--pack", "--as", "pmo"]
        )
        assert result.exit_code == 0, result.output
    with raidlog.open(str(tmp_path / "raid.db"), actor="x") as reg:
        assert reg.get("A-0001").title == "Chase the supplier weekly"
        assert [i.title for i in reg.items("action")] == [
            "Chase the supplier weekly",
            "Book a review with procurement",
        ]
        assert reg.history("A-0001")[-1].channel == "import"
        assert reg.verify().ok
