"""Every output file is written whole or not at all, keeping the previous file's mode.

Each exporter is made to fail after it has written part of its file: the previous file
must be exactly as it was, with no temporary file left beside it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import raidlog
from raidlog import Register, Risk
from raidlog.export import write_board_pack, write_csv, write_json, write_jsonl
from raidlog.files import replaced, temporaries, write_text
from raidlog.report.html import write_report

PREVIOUS = b"the previous export, which must survive\n"


class Boom(Exception):
    """The failure injected half-way through an export."""


def _fail_csv(board: Register, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def advance(_: int) -> None:
        raise Boom  # called once the first rows are written

    write_csv(board.items(), path, advance=advance)


def _fail_json(board: Register, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def dump(doc: Any, handle: Any, **kwargs: Any) -> None:
        handle.write(json.dumps(doc)[:100])
        raise Boom

    monkeypatch.setattr("raidlog.export.jsonio.json.dump", dump)
    write_json(board, path)


def _fail_jsonl(board: Register, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = json.dumps

    def dumps(record: Any, **kwargs: Any) -> str:
        calls.append(record)
        if len(calls) == 4:
            raise Boom
        return real(record, **kwargs)

    monkeypatch.setattr("raidlog.export.jsonio.json.dumps", dumps)
    write_jsonl(board, path)


def _fail_pack(board: Register, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def save(self: openpyxl.Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise Boom

    monkeypatch.setattr(openpyxl.Workbook, "save", save)
    write_board_pack(board, path, body="Board")


def _fail_report(board: Register, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def render(data: Any) -> str:
        raise Boom

    monkeypatch.setattr("raidlog.report.html.render_html", render)
    write_report(board, path)


FAILING: dict[str, Callable[[Register, Path, pytest.MonkeyPatch], None]] = {
    "out.csv": _fail_csv,
    "out.json": _fail_json,
    "out.jsonl": _fail_jsonl,
    "pack.xlsx": _fail_pack,
    "report.html": _fail_report,
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_failed_export_leaves_the_previous_file_as_it_was(
    name: str, board: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / name
    path.write_bytes(PREVIOUS)
    with pytest.raises(Boom):
        FAILING[name](board, path, monkeypatch)
    assert path.read_bytes() == PREVIOUS
    assert list(temporaries(path)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_failed_first_export_leaves_no_file(
    board: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(Boom):
        _fail_csv(board, path, monkeypatch)
    assert list(tmp_path.iterdir()) == []


def test_exports_replace_the_previous_file_and_keep_its_mode(
    board: Register, tmp_path: Path
) -> None:
    writers: dict[str, Callable[[Path], object]] = {
        "out.csv": lambda p: write_csv(board.items(), p),
        "out.json": lambda p: write_json(board, p),
        "out.jsonl": lambda p: write_jsonl(board, p),
        "pack.xlsx": lambda p: write_board_pack(board, p, body="Board"),
        "report.html": lambda p: write_report(board, p),
    }
    for name, write in writers.items():
        path = tmp_path / name
        path.write_bytes(PREVIOUS)
        path.chmod(0o640)
        write(path)
        assert path.read_bytes() != PREVIOUS
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, name
        assert list(temporaries(path)) == []


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")
    write_text(tmp_path / "ours.txt", "x")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes["ours.txt"] == modes["plain.txt"]


def test_a_target_that_is_not_a_regular_file_is_written_in_place() -> None:
    with replaced(os.devnull) as target:
        assert target == Path(os.devnull)
        target.write_text("discarded", encoding="utf-8")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_the_excel_store_keeps_the_workbook_mode_across_saves(tmp_path: Path) -> None:
    path = tmp_path / "raid.xlsx"
    with raidlog.open(str(path), actor="ana") as register:
        register.add(Risk(title="first"))
    path.chmod(0o640)
    with raidlog.open(str(path), actor="ana") as register:
        register.add(Risk(title="second"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert list(temporaries(path)) == []


def test_a_symlinked_target_is_written_where_it_points(board: Register, tmp_path: Path) -> None:
    real = tmp_path / "shared" / "board.csv"
    real.parent.mkdir()
    real.write_bytes(PREVIOUS)
    link = tmp_path / "board.csv"
    link.symlink_to(real)
    write_csv(board.items(), link)
    assert link.is_symlink()
    assert real.read_bytes() != PREVIOUS
    assert list(temporaries(real)) == []
