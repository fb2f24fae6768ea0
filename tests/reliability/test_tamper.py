"""Tamper evidence in every file store: editing, deleting or reordering an event behind
raidlog's back is caught by verify(), which names the first broken event.

The attacker here has write access to the file and knows the format: for SQLite they
drop the append-only triggers first; for the workbook they edit the hidden sheet."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import raidlog
from raidlog import Action, Risk
from raidlog.cli import main
from raidlog.register import VerifyReport


def _build(location: str) -> str:
    with raidlog.open(location, actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.update(risk, impact=4, reason="worse")
        reg.add(Action(title="Chase"))
        assert reg.verify().ok
        return reg.verify().head_hash


def _verify(location: str) -> VerifyReport:
    with raidlog.open(location, actor="auditor") as reg:
        return reg.verify()


# SQLite -------------------------------------------------------------------------------
def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("DROP TRIGGER events_no_delete")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


SQL_CASES: dict[str, tuple[tuple[str, ...], int, str]] = {
    "edited": (("UPDATE events SET actor = 'mallory' WHERE seq = 2",), 2, "edited"),
    "deleted": (("DELETE FROM events WHERE seq = 2",), 3, "missing or out of order"),
    "reordered": (
        (
            "UPDATE events SET seq = -2 WHERE seq = 2",
            "UPDATE events SET seq = 2 WHERE seq = 3",
            "UPDATE events SET seq = 3 WHERE seq = -2",
        ),
        2,
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(SQL_CASES))
def test_sqlite_event_tampering_is_named(tmp_path: Path, case: str) -> None:
    path = tmp_path / "raid.db"
    _build(str(path))
    statements, seq, words = SQL_CASES[case]
    _sql(path, *statements)
    problem = _verify(str(path)).first_broken
    assert problem is not None
    assert problem.seq == seq
    assert words in problem.reason


def test_sqlite_item_edit_without_event_is_found(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    _build(str(path))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE risks SET title = 'Nothing to see' WHERE ref = 'R-0001'")
    conn.commit()
    conn.close()
    report = _verify(str(path))
    assert not report.ok
    assert report.problems[0].ref == "R-0001"


def test_a_rebuilt_chain_is_caught_by_the_anchor(tmp_path: Path) -> None:
    """Someone rebuilds a whole consistent register: only the kept head hash tells."""
    anchor = _build(str(tmp_path / "raid.db"))
    forged = tmp_path / "forged.db"
    with raidlog.open(str(forged), actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.update(risk, impact=2, reason="rewritten history")
        reg.add(Action(title="Chase"))
    report = _verify(str(forged))
    assert report.ok, "a rebuilt chain is internally consistent"
    assert report.head_hash != anchor


# JSON Lines plugin --------------------------------------------------------------------
def _edit_jsonl(path: Path, change: Callable[[list[dict[str, object]]], None]) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    events = [line for line in lines if "event" in line]
    change(events)
    others = [line for line in lines if "event" not in line]
    path.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in others + events))


def test_jsonl_event_tampering_is_named(tmp_path: Path) -> None:
    pytest.importorskip("raidlog_jsonl")
    path = tmp_path / "raid.jsonl"
    _build(str(path))

    def edit(events: list[dict[str, object]]) -> None:
        event = events[1]["event"]
        assert isinstance(event, dict)
        event["reason"] = "nothing happened"

    _edit_jsonl(path, edit)
    problem = _verify(str(path)).first_broken
    assert problem is not None
    assert (problem.seq, problem.ref) == (2, "R-0001")

    _build(str(tmp_path / "two.jsonl"))
    _edit_jsonl(tmp_path / "two.jsonl", lambda events: events.reverse())
    problem = _verify(str(tmp_path / "two.jsonl")).first_broken
    assert problem is not None
    assert problem.seq is not None


# Excel workbook -----------------------------------------------------------------------
def test_excel_events_sheet_tampering_is_named(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    _build(str(path))
    book = openpyxl.load_workbook(path)
    sheet = book["_events"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("actor") + 1
    sheet.cell(row=3, column=column, value="mallory")  # the second event
    book.save(path)
    problem = _verify(str(path)).first_broken
    assert problem is not None
    assert (problem.seq, problem.ref) == (2, "R-0001")
    assert "edited" in problem.reason


# anchors: a chain that grew is not a chain that was rewritten ------------------------------
def test_an_anchor_passes_a_chain_that_grew_and_names_a_rewritten_one(tmp_path: Path) -> None:
    location = str(tmp_path / "raid.db")
    _build(location)
    with raidlog.open(location, actor="ana") as reg:
        anchor = reg.verify().anchor
        assert anchor.startswith("4:")  # the profile's event, then three changes
        reg.add(Risk(title="a legitimate write after the anchor"))
        report = reg.verify(expect=anchor)
    assert report.ok
    assert report.anchor_check is not None
    assert (report.anchor_check.intact, report.anchor_check.grown_by) == (True, 1)
    forged = str(tmp_path / "forged.db")
    with raidlog.open(forged, actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.update(risk, impact=2, reason="rewritten history")
        reg.add(Action(title="Chase"))
        reg.add(Risk(title="and more, to look like growth"))
        check = reg.verify(expect=anchor).anchor_check
    assert check is not None
    assert not check.intact
    assert "event 4 has hash" in check.reason
    assert "rewritten" in check.reason


def test_a_bare_head_hash_from_before_still_tells_growth(tmp_path: Path) -> None:
    location = str(tmp_path / "raid.db")
    head = _build(location)  # what `verify --anchor` printed before anchors had a seq
    with raidlog.open(location, actor="ana") as reg:
        reg.add(Action(title="later"))
        check = reg.verify(expect=head).anchor_check
        assert check is not None
        assert (check.intact, check.grown_by) == (True, 1)
        unknown = reg.verify(expect="f" * 64).anchor_check
    assert unknown is not None
    assert not unknown.intact
    assert "no event of the chain has hash" in unknown.reason


def test_raidlog_verify_expect_after_a_legitimate_write(tmp_path: Path) -> None:
    location = str(tmp_path / "raid.db")
    _build(location)
    runner = CliRunner()
    env = {"RAIDLOG_ACTOR": "auditor"}
    anchor = runner.invoke(main, ["verify", location, "--anchor"], env=env).stdout.strip()
    with raidlog.open(location, actor="ana") as reg:
        reg.add(Risk(title="a legitimate write after the anchor"))
    grown = runner.invoke(main, ["verify", location, "--expect", anchor], env=env)
    assert grown.exit_code == 0, grown.output
    assert "the anchored event 4 is intact; the chain grew by 1 event(s) since" in grown.stdout
    rewritten = f"{anchor.partition(':')[0]}:{'0' * 63}1"
    bad = runner.invoke(main, ["verify", location, "--expect", rewritten], env=env)
    assert bad.exit_code == 1
    assert "event 4 has hash" in bad.stderr
    assert "rewritten" in bad.stderr
