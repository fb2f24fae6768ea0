"""export, report and copy from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

import raidlog
from raidlog.export import write_json

from .conftest import Cli, SharedMemoryBackend


def _csv(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def filled(cli: Cli, reg: str) -> str:
    cli("node", reg, "Apollo", "--body", "Board")
    cli("body", reg, "Board", "--node", "Apollo")
    cli("body", reg, "PMO")
    cli(
        "add",
        reg,
        "risk",
        "--title",
        "=1+1",
        "--field",
        "probability=4",
        "--field",
        "impact=4",
        "--field",
        "body=Board",
    )
    cli(
        "add",
        reg,
        "action",
        "--title",
        "Chase",
        "--field",
        "due=2020-01-01",
        "--field",
        "body=Board",
    )
    cli("add", reg, "decision", "--title", "Go", "--field", "body=PMO")
    return reg


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json", "jsonl"])
def test_export_writes_every_format(cli: Cli, filled: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = cli("export", filled, str(out), "--json")
    assert json.loads(result.stdout) == {"out": str(out), "format": fmt, "items": 3}
    assert out.stat().st_size > 0


def test_export_filters_and_raw_csv(cli: Cli, filled: str, tmp_path: Path) -> None:
    out = tmp_path / "board.csv"
    cli("export", filled, str(out), "--body", "Board", "--kind", "risk")
    rows = _csv(out, "utf-8-sig")
    assert [(r["ref"], r["title"]) for r in rows] == [("R-0001", "'=1+1")]
    raw = tmp_path / "raw.csv"
    cli("export", filled, str(raw), "--format", "csv", "--raw")
    rows = _csv(raw, "utf-8")
    assert rows[2]["title"] == "=1+1"


def test_export_refuses_what_it_cannot_tell(cli: Cli, filled: str, tmp_path: Path) -> None:
    result = cli("export", filled, str(tmp_path / "out.txt"), code=2)
    assert "--format" in result.stderr
    cli("export", filled, str(tmp_path / "out.json"), "--raw", code=2)


def test_the_xlsx_board_pack_is_for_the_body(cli: Cli, filled: str, tmp_path: Path) -> None:
    out = tmp_path / "board.xlsx"
    cli("export", filled, str(out), "--body", "Board")
    wb = openpyxl.load_workbook(out)
    assert [r[0] for r in wb["View"].iter_rows(min_row=2, values_only=True)] == ["R-0001", "A-0001"]
    assert [r[0] for r in wb["Overdue actions"].iter_rows(min_row=2, values_only=True)] == [
        "A-0001"
    ]


def test_report_writes_one_html_file(cli: Cli, filled: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cli("report", filled, str(out), "--body", "Board", "--json")
    assert json.loads(result.stdout)["items_in_view"] == 2
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "=1+1" in page
    assert "<script" not in page


def test_copy_through_a_json_file_keeps_history(cli: Cli, filled: str, tmp_path: Path) -> None:
    cli("update", filled, "R-0001", "--field", "owner=Zed", "--reason", "handover")
    dump = tmp_path / "raid.jsonl"
    cli("copy", filled, str(dump))
    cli("copy", str(dump), "shared:copy")
    source = SharedMemoryBackend.stores[filled]
    target = SharedMemoryBackend.stores["shared:copy"]
    assert list(target.items()) == list(source.items())
    assert list(target.events()) == list(source.events())
    head = cli("verify", filled, "--anchor").stdout.strip()
    cli("verify", "shared:copy", "--expect", head)


def test_copy_between_registers(cli: Cli, filled: str) -> None:
    out = json.loads(cli("copy", filled, "shared:other", "--json").stdout)
    assert out["items"] == 3
    assert list(SharedMemoryBackend.stores["shared:other"].items()) == list(
        SharedMemoryBackend.stores[filled].items()
    )


def test_copy_refuses_a_non_empty_target(cli: Cli, filled: str) -> None:
    cli("init", "shared:busy")
    cli("add", "shared:busy", "risk", "--title", "already here")
    result = cli("copy", filled, "shared:busy", code=1)
    assert "is not empty" in result.stderr


def test_copy_memory_json_memory_through_the_api(tmp_path: Path) -> None:
    out = tmp_path / "raid.json"
    with raidlog.open("memory:", actor="a") as source:
        source.add(raidlog.Risk(title="One", probability=2, impact=2))
        write_json(source, out)
        with raidlog.open("memory:", actor="b") as target:
            raidlog.export.load_json(out, target)
            assert list(target.items()) == list(source.items())
            assert target.verify().ok


def test_a_file_that_cannot_be_written_is_one_line(cli: Cli, filled: str, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "dir" / "out.csv"
    result = cli("export", filled, str(out), code=1)
    assert result.stderr.startswith(f"raidlog: error: {out}: No such file or directory")
    assert result.stderr.count("\n") == 1


def test_long_operations_show_progress_on_stderr_at_a_terminal(
    cli: Cli, filled: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    result = cli("export", filled, str(out), env={"RAIDLOG_ACTOR": "ana", "TTY_COMPATIBLE": "1"})
    assert "Exporting csv" in result.stderr
    assert "Exporting" not in result.stdout
