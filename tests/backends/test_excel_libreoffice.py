"""A spreadsheet program opens the workbook and saves it back; raidlog reads the result.

Runs only where LibreOffice is installed (``soffice``); skipped elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

import raidlog
from raidlog.model.items import Action, Risk

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


def test_a_workbook_resaved_by_libreoffice_reads_back_and_takes_writes(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="alice") as register:
        risk = register.add(
            Risk(
                title="=SUM(1,2) stays text",
                probability=3,
                impact=4,
                due=date(2027, 1, 1),
                raised_on=date(1890, 1, 1),
                tags=("a", "b"),
                extra={"k": "v"},
            )
        )
        action = register.add(Action(title="act", description="two\nlines"))
        register.link(action, "mitigates", risk)
        stored = list(register.items())
    out = tmp_path / "resaved"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.copy(out / "raid.xlsx", path)
    with raidlog.open(str(path), actor="bob") as register:
        assert list(register.items()) == stored
        assert all(e.channel == "api" for e in register.events())
        register.add(Action(title="written after LibreOffice"))
        assert register.verify().ok
