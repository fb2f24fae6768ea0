"""Commands load only what they use: openpyxl (and numpy, pandas beneath it) is for
workbooks, so a command on a SQLite register, a CSV export or ``--help`` never imports
it. Each case runs in a fresh interpreter, where ``sys.modules`` starts empty."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import raidlog
from raidlog import Risk

HEAVY = ("openpyxl", "numpy", "pandas")

_PROBE = """
import json, sys
from raidlog.cli import main
try:
    main.main(args=sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(Risk(title="Vendor late", probability=3, impact=4))
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["list", "{db}"],
        ["export", "{db}", "{dir}/out.csv"],
        ["export", "{db}", "{dir}/out.jsonl"],
        ["verify", "{db}"],
    ],
)
def test_a_command_without_workbooks_does_not_load_openpyxl(
    command: list[str], register: Path, tmp_path: Path
) -> None:
    args = [a.format(db=register, dir=tmp_path) for a in command]
    assert _loaded(*args) == []


def test_a_board_pack_loads_openpyxl(register: Path, tmp_path: Path) -> None:
    assert "openpyxl" in _loaded("export", str(register), str(tmp_path / "pack.xlsx"))
