"""Damaged stores never crash an audit: verify() reports a row it cannot read and goes on,
and a file store that cannot be read or written says which file, as a BackendError.

The attacker (or the failing disk) has write access to the file: for SQLite they drop the
append-only triggers first; for the workbook they edit its hidden sheets."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import raidlog
from raidlog import Action, Risk
from raidlog.cli import main
from raidlog.errors import BackendError


def _filled(location: str) -> None:
    with raidlog.open(location, actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3, tags=("vendor",)))
        reg.update(risk, impact=4, reason="worse")
        reg.add(Action(title="Chase"))
        assert reg.verify().ok


# SQLite: a row verify cannot decode is a problem, and the audit goes on -------------------
def _sqlite(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


SQLITE_DAMAGE = {
    "event changes not JSON": ("UPDATE events SET changes = '[[\"impact\", 3' WHERE seq = 2", 2),
    "event time not a time": ("UPDATE events SET at = 'last Tuesday' WHERE seq = 2", 2),
    "item tags not JSON": ("UPDATE risks SET tags = '[\"vendor' WHERE ref = 'R-0001'", None),
    "item time not a time": ("UPDATE actions SET created_at = 'soon' WHERE ref = 'A-0001'", None),
    "item score not a number": ("UPDATE risks SET score = 'high' WHERE ref = 'R-0001'", None),
    "item rag unknown": ("UPDATE risks SET rag = 'purple' WHERE ref = 'R-0001'", None),
    "item title a blob": ("UPDATE risks SET title = X'00ff' WHERE ref = 'R-0001'", None),
    "item link of no relation": (
        'UPDATE risks SET links = \'[{"relation": "eats", "target": "A-0001"}]\' '
        "WHERE ref = 'R-0001'",
        None,
    ),
    "item extra not an object": ("UPDATE actions SET extra = '[1]' WHERE ref = 'A-0001'", None),
}


@pytest.mark.parametrize("case", sorted(SQLITE_DAMAGE))
def test_sqlite_rows_verify_cannot_read_are_reported_not_raised(tmp_path: Path, case: str) -> None:
    path = tmp_path / "raid.db"
    _filled(str(path))
    statement, seq = SQLITE_DAMAGE[case]
    _sqlite(path, statement)
    with raidlog.open(str(path), actor="auditor") as reg:
        report = reg.verify()
    assert not report.ok
    damaged = [p for p in report.problems if "cannot be read" in p.reason]
    assert damaged, report.problems
    if seq is not None:
        assert damaged[0].seq == seq
        assert damaged[0].table == "events"
    else:
        assert damaged[0].ref in ("R-0001", "A-0001")
        assert damaged[0].table in ("risks", "actions")
        # the audit went on: the other items were read and checked
        assert report.items_checked == 2


def test_sqlite_reads_of_a_damaged_row_name_it(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    _filled(str(path))
    _sqlite(path, SQLITE_DAMAGE["item tags not JSON"][0])
    with raidlog.open(str(path), actor="auditor") as reg:
        with pytest.raises(BackendError, match=r"R-0001 in table risks cannot be read"):
            reg.get("R-0001")
        assert reg.get("A-0001") is not None


@pytest.mark.parametrize("case", sorted(k for k in SQLITE_DAMAGE if k.startswith("item")))
def test_sqlite_queries_over_a_damaged_row_name_it(tmp_path: Path, case: str) -> None:
    """A dashboard over a row edited outside raidlog gets the BackendError naming the row
    (reads check each value's type and shape), never a raw exception."""
    path = tmp_path / "raid.db"
    _filled(str(path))
    statement = SQLITE_DAMAGE[case][0]
    _sqlite(path, statement)
    kind, word = ("risk", "supplier") if "UPDATE risks" in statement else ("action", "chase")
    with raidlog.open(str(path), actor="auditor") as reg:
        asks: list[Callable[[], object]] = [
            lambda: reg.query(order_by="-score", limit=50),  # several tables, a page
            lambda: reg.query(kind=kind),  # one table
            lambda: reg.query(text=word),
            lambda: list(reg.items()),
        ]
        for ask in asks:
            with pytest.raises(BackendError, match=r"-0001 in table \w+ cannot be read"):
                ask()


def test_a_well_typed_edit_reads_as_stored_and_verify_names_it(tmp_path: Path) -> None:
    """Reads normalise nothing, and verify reads through the same reader: what a board
    is shown is what verify compares with the history (the validators would dedupe the
    tags and strip the title, and verify would then pass on a row the board sees)."""
    path = tmp_path / "raid.db"
    _filled(str(path))
    _sqlite(
        path,
        "UPDATE risks SET tags = '[\"vendor\",\"vendor\"]', title = ' Supplier late ' "
        "WHERE ref = 'R-0001'",
    )
    with raidlog.open(str(path), actor="auditor") as reg:
        risk = reg.get("R-0001")
        assert risk.tags == ("vendor", "vendor")
        assert risk.title == " Supplier late "
        assert reg.query(order_by="-score", limit=1) == [risk]
        report = reg.verify()
    assert not report.ok
    (problem,) = [p for p in report.problems if p.ref == "R-0001"]
    assert "tags" in problem.reason
    assert "title" in problem.reason


def test_raidlog_verify_reports_a_damaged_row_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    _filled(str(path))
    _sqlite(path, SQLITE_DAMAGE["event changes not JSON"][0])
    result = CliRunner().invoke(main, ["verify", str(path)], env={"RAIDLOG_ACTOR": "auditor"})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "event 2" in result.stderr
    assert "cannot be read" in result.stderr
    assert "Traceback" not in result.output
    as_json = CliRunner().invoke(main, ["verify", str(path), "--json"])
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["problems"][0]["seq"] == 2


# the workbook: a damaged _meta sheet, a failing disk ---------------------------------------
META_DAMAGE = {
    "counters": ("raidlog.counters", '{"R": 1'),
    "sheet digests": ("raidlog.hashes", "[not json"),
    "profile": ("profile", '{"name": "default"'),
}


@pytest.mark.parametrize("case", sorted(META_DAMAGE))
def test_a_damaged_meta_sheet_is_a_backend_error_naming_the_file(tmp_path: Path, case: str) -> None:
    path = tmp_path / "raid.xlsx"
    _filled(str(path))
    key, value = META_DAMAGE[case]
    book = openpyxl.load_workbook(path)
    sheet = book["_meta"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == key)
    for cell in row[1:]:
        cell.value = None
    row[1].value = value
    book.save(path)
    before = path.read_bytes()
    with pytest.raises(BackendError, match=r"raid\.xlsx: the hidden _meta sheet is damaged"):
        raidlog.open(str(path), actor="auditor")
    assert path.read_bytes() == before


def test_an_unreadable_workbook_is_a_backend_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.xlsx"
    _filled(str(path))
    real_open = Path.open

    def refused(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]  # passed through

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(BackendError, match=r"raid\.xlsx: Permission denied"):
        raidlog.open(str(path), actor="auditor")


def test_a_lock_file_that_cannot_be_made_is_a_backend_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.xlsx"
    _filled(str(path))
    with raidlog.open(str(path), actor="ana") as reg:
        real_open = os.open

        def refused(name: object, *args: object, **kwargs: object) -> int:
            if str(name).endswith(".lock"):
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)  # type: ignore[arg-type]  # passed through

        monkeypatch.setattr(os, "open", refused)
        with pytest.raises(BackendError, match=r"\.raid\.xlsx\.lock: Permission denied"):
            reg.add(Action(title="not written"))
        monkeypatch.undo()
        assert [i.title for i in reg.items()] == ["Chase", "Supplier late"]
