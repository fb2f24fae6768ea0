"""The profile is in the chain (issue 16, item 3): frozen statuses, bands and required
reasons edited in the stored copy (SQLite ``meta``, the workbook's ``_meta`` sheet, the
JSON Lines header) neither bend later writes nor pass verify; registers written before
profiles were chained open, verify, and chain their profile with their next write."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import raidlog
from raidlog import Decision, ImmutableItemError, Risk
from raidlog.model.profile import PROFILE_REF
from raidlog.register.profile import ProfileChain


def _forged(rules: dict[str, Any]) -> str:
    forged = json.loads(json.dumps(rules))
    forged["lifecycle"]["decision"]["frozen"] = []
    forged["lifecycle"]["action"]["reason_required"] = []
    for band in forged["bands"]:
        band["rag"] = "green"
    return json.dumps(forged, sort_keys=True)


def _build(location: str) -> tuple[dict[str, Any], str]:
    with raidlog.open(location, actor="ana") as reg:
        decision = reg.transition(reg.add(Decision(title="Dual source")), "accepted")
        return dict(reg.profile.source), decision.ref or ""


def _edit_sqlite(path: Path, payload: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'profile'", (payload,))
    conn.commit()
    conn.close()


def _edit_workbook(path: Path, payload: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["_meta"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "profile":
            row[1].value = payload
    book.save(path)


def _edit_jsonl(path: Path, payload: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header["meta"]["profile"] = payload
    lines[0] = json.dumps(header, sort_keys=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


STORES: dict[str, Callable[[Path, str], None]] = {
    "raid.db": _edit_sqlite,
    "raid.xlsx": _edit_workbook,
    "raid.jsonl": _edit_jsonl,
}


@pytest.mark.parametrize("name", sorted(STORES))
def test_a_profile_edited_in_the_store_is_reported_and_not_obeyed(
    tmp_path: Path, name: str
) -> None:
    if name.endswith(".jsonl"):
        pytest.importorskip("raidlog_jsonl")
    path = tmp_path / name
    rules, ref = _build(str(path))
    STORES[name](path, _forged(rules))
    with raidlog.open(str(path), actor="mallory") as reg:
        assert reg.profile.source == rules
        report = reg.verify()
        assert not report.ok
        assert report.first_broken is not None
        assert report.first_broken.ref == PROFILE_REF
        assert "differs from the one recorded in the chain" in report.first_broken.reason
        with pytest.raises(ImmutableItemError):
            reg.update(reg.get(ref), decision="rewritten after the vote")
        assert reg.add(Risk(title="Severe", probability=5, impact=5)).rag == "red"
    with raidlog.open(str(path), actor="auditor") as reg:
        assert reg.verify().ok


def test_a_profile_event_that_was_edited_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    rules, _ = _build(str(path))
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_no_update")
    (changes,) = conn.execute("SELECT changes FROM events WHERE seq = 1").fetchone()
    edited = json.loads(changes)
    edited[0][2] = json.loads(_forged(rules))  # [field, old, new]
    conn.execute("UPDATE events SET changes = ? WHERE seq = 1", (json.dumps(edited),))
    conn.commit()
    conn.close()
    with raidlog.open(str(path), actor="auditor") as reg:
        problem = reg.verify().first_broken
    assert problem is not None
    assert (problem.seq, problem.ref) == (1, PROFILE_REF)


@pytest.mark.parametrize("name", ["memory:", "raid.db", "raid.xlsx"])
def test_a_register_written_before_profiles_were_chained_opens_verifies_and_chains_it(
    tmp_path: Path, name: str
) -> None:
    location = name if name == "memory:" else str(tmp_path / name)
    reg = raidlog.open(location, actor="ana")
    try:
        # An earlier release wrote no profile event: the register believes it is chained.
        reg.profile_chain = ProfileChain(recorded=dict(reg.profile.source), version=1)
        reg.add(Risk(title="Written by an earlier release"))
        assert [e.ref for e in reg.events()] == ["R-0001"]
        reg.profile_chain = ProfileChain()  # what opening such a register finds
        report = reg.verify()
        assert report.ok
        assert report.notes == (
            "profile not chained: this register was written before raidlog recorded its "
            "profile in the event chain; the next write records the stored profile",
        )
        reg.add(Risk(title="The first write after the upgrade"))
        assert [(e.ref, e.action) for e in reg.events()] == [
            ("R-0001", "add"),
            (PROFILE_REF, "add"),
            ("R-0002", "add"),
        ]
        report = reg.verify()
        assert report.ok
        assert report.notes == ()
    finally:
        reg.close()


def test_opening_an_unchained_register_reads_its_stored_profile(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana", profile="prince2") as reg:
        reg.profile_chain = ProfileChain(recorded=dict(reg.profile.source), version=1)
        reg.add(Risk(title="no profile event"))
    with raidlog.open(str(path), actor="ana") as reg:
        assert reg.profile.name == "prince2"
        assert reg.profile_chain.recorded is None
        assert reg.verify().notes


def test_every_write_follows_the_profile_it_chained_and_copies_keep_it(tmp_path: Path) -> None:
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana") as reg:
        reg.add(Risk(title="one"))
        reg.add(Risk(title="two"))
        assert [e.ref for e in reg.events()].count(PROFILE_REF) == 1
        with raidlog.open("memory:", actor="copier") as target:
            reg.copy_to(target)
            target.add(Risk(title="three"))
            assert [e.ref for e in target.events()].count(PROFILE_REF) == 1
            assert target.verify().ok
