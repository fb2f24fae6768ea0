"""What the sandboxed reader hands the parent (issue 14): MessagePack, not JSON, with every
cell coming back as the reader saw it, and the style pass reading sheet XML in pieces so
the child's memory does not hold a whole sheet's XML."""

from __future__ import annotations

import math
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from migrate_fixtures import AMBER, GREEN, RED, raw_xlsx, sheet_xml, xlsx

from raidlog.migrate import Limits, import_file
from raidlog.migrate import read as reader
from raidlog.migrate.preflight import preflight
from raidlog.migrate.read import pack_book, read_book, unpack_book
from raidlog.migrate.sandbox import parse
from raidlog.register import Register

CELLS = (
    st.text()
    | st.floats(allow_nan=False)
    | st.sampled_from([math.inf, -math.inf])
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.none()
    | st.dates()
    | st.datetimes()
)


def _book(rows: list[list[Any]]) -> dict[str, Any]:
    return {"sheets": [{"name": "S", "rows": rows}], "notes": [], "epoch": 1900}


@given(st.lists(st.lists(CELLS, max_size=6), max_size=6))
def test_every_cell_comes_back_as_the_reader_gave_it(rows: list[list[Any]]) -> None:
    expected = [list(row) for row in rows]
    back = unpack_book(pack_book(_book(rows)))["sheets"][0]["rows"]
    assert back == expected
    assert [[type(v) for v in row] for row in back] == [[type(v) for v in r] for r in expected]


def test_times_and_durations_come_back_as_their_text() -> None:
    back = unpack_book(pack_book(_book([[time(9, 30), timedelta(hours=36)]])))
    assert back["sheets"][0]["rows"] == [["09:30:00", "1 day, 12:00:00"]]


def test_text_that_looks_like_a_tagged_date_stays_text(tmp_path: Path, reg: Register) -> None:
    """The JSON transfer tagged dates as text starting with NUL: a cell typed that way
    (Excel's escape ``_x0000_``) came back as a date. Text is text now (its control
    character removed and flagged)."""
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{a}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>{b}</t></is></c></row>'
        for r, (a, b) in enumerate(
            [("Ref", "Title"), ("R1", "_x0000_t2020-01-02T00:00:00"), ("R2", "Plain")], start=1
        )
    )
    path = raw_xlsx(tmp_path / "log.xlsx", sheet_xml(cells))
    report = import_file(path, reg)
    assert [i.title for i in reg.items()] == ["t2020-01-02T00:00:00", "Plain"]
    assert any("control characters" in n.reason for n in report.tables[0].flagged)


@pytest.mark.parametrize("data", [b"", b"\x93\x01\x02\x03", b"\x81\xa6sheets\x91\x01"])
def test_a_reader_output_that_is_not_a_packed_book_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a packed workbook"):
        unpack_book(data)


def _styled(path: Path) -> Path:
    rows: list[list[object]] = [["Ref", "Title", "RAG", "Due", "Days"]]
    fills: dict[str, str] = {}
    for n in range(2, 400):
        days = f"=D{n}-DATE(2025,1,1)" if n % 5 == 0 else n
        rows.append(
            [f"R{n}", f"Risk number {n} " + "x" * (n % 37), "", date(2025, 1, 1 + n % 28), days]
        )
        fills[f"C{n}"] = (RED, AMBER, GREEN)[n % 3]
    return xlsx(path, {"Risks": rows}, fills={"Risks": fills}, hidden_rows={"Risks": [5, 77, 301]})


@pytest.mark.parametrize("piece", [64, 257, 4096])
def test_the_style_pass_finds_the_same_in_small_pieces_as_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    path = _styled(tmp_path / "styled.xlsx")
    whole = read_book(path, "xlsx", Limits())["sheets"][0]
    monkeypatch.setattr(reader, "_PIECE", piece)
    pieces = read_book(path, "xlsx", Limits())["sheets"][0]
    assert len(whole["fills"]) == 398
    assert sorted(whole["hidden_rows"]) == [4, 76, 300]
    assert len(whole["formulas"]) == 79
    for key in ("fills", "hidden_rows", "formulas", "bold"):
        assert sorted(map(str, pieces[key])) == sorted(map(str, whole[key])), key


def test_dates_cross_the_sandbox_as_dates(tmp_path: Path) -> None:
    path = _styled(tmp_path / "styled.xlsx")
    book = parse(preflight(path, Limits()), Limits())
    rows = book.sheets[0].rows
    assert rows[1][3] == date(2025, 1, 3)
    assert type(rows[1][3]) is date
    assert rows[1][:2] == ["R2", "Risk number 2 xx"]
    assert (1, 2) in book.sheets[0].fills


def test_rows_handed_on_in_chunks_are_the_rows_read_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child sends rows while it reads (issue 14): chunk by chunk they are the same
    rows, empty rows at a sheet's end still dropped, and each sheet says how many it had."""
    path = _styled(tmp_path / "styled.xlsx")
    whole = read_book(path, "xlsx", Limits())
    monkeypatch.setattr(reader, "CHUNK_ROWS", 7)
    handed: list[tuple[int, list[list[Any]]]] = []
    streamed = read_book(path, "xlsx", Limits(), lambda index, rows: handed.append((index, rows)))
    assert streamed["sheets"][0]["rows"] == []
    assert streamed["sheets"][0]["row_count"] == len(whole["sheets"][0]["rows"])
    assert [row for _, rows in handed for row in rows] == whole["sheets"][0]["rows"]
    assert {index for index, _ in handed} == {0}
    assert max(len(rows) for _, rows in handed) == 7
    back = unpack_book(
        b"".join(reader.pack_rows(i, rows) for i, rows in handed) + reader.pack_end(streamed)
    )
    assert back["sheets"][0]["rows"] == unpack_book(pack_book(whole))["sheets"][0]["rows"]
    assert [list(f) for f in back["sheets"][0]["fills"]] == whole["sheets"][0]["fills"]


def _frames(*parts: bytes) -> str:
    return f"import sys\nsys.stdout.buffer.write({b''.join(parts)!r})\nsys.stdout.flush()\n"


_ROW = reader.pack_rows(0, [["Ref", "Title"], ["R1", "One"]])
_END = reader.pack_end(
    {"sheets": [{"name": "S", "rows": [], "row_count": 2}], "notes": [], "epoch": 1900}
)


@pytest.mark.parametrize(
    "code",
    [
        _frames(b"\x00\x00\x00\x05hello"),  # not a frame kind
        _frames(b"garbage that is no frame at all"),
        _frames(_ROW),  # no end
        _frames(_ROW, _END, _END),  # a frame after the end
        _frames(reader._frame(b"R", msgspec.msgpack.encode([0, [[{"a": 1}]], []])), _END),
        _frames(reader._frame(b"R", msgspec.msgpack.encode([0, [["x"]], [[0, 0, "t"]]])), _END),
        _frames(reader._frame(b"R", msgspec.msgpack.encode([0, [["x"]], [[-1, 0, "d"]]])), _END),
        _frames(
            _ROW,
            reader.pack_end(
                {"sheets": [{"name": "S", "row_count": 9}], "notes": [], "epoch": 1900}
            ),
        ),
        _frames(
            _ROW,
            reader._frame(
                b"B",
                msgspec.msgpack.encode(
                    {
                        "sheets": [{"name": "S", "row_count": 2, "merged": [[1, 2]]}],
                        "notes": [],
                        "epoch": 1900,
                    }
                ),
            ),
        ),
        _frames(b"\xff\xff\xff\xff" + b"x" * 100),  # a frame larger than any the limits allow
    ],
)
def test_a_hijacked_child_can_only_make_the_import_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    """Whatever a child taken over by a hostile file writes, the parent refuses it in
    words (ImportRejected), never with another error, never with wrong types in cells."""
    from raidlog.errors import ImportRejected
    from raidlog.migrate import sandbox

    path = _styled(tmp_path / "styled.xlsx")
    monkeypatch.setattr(sandbox, "BOOT", code)
    with pytest.raises(ImportRejected, match="unreadable"):
        parse(preflight(path, Limits()), Limits())


def test_a_hijacked_child_that_hangs_mid_frame_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from raidlog.errors import ImportRejected
    from raidlog.migrate import sandbox

    path = _styled(tmp_path / "styled.xlsx")
    monkeypatch.setattr(sandbox, "BOOT", _frames(_ROW[:9]) + "import time\ntime.sleep(60)\n")
    with pytest.raises(ImportRejected, match="longer than"):
        parse(preflight(path, Limits(wall_seconds=1.0)), Limits(wall_seconds=1.0))


def test_a_child_that_refuses_the_file_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from raidlog.errors import ImportRejected
    from raidlog.migrate import sandbox

    path = _styled(tmp_path / "styled.xlsx")
    refusal = reader.pack_refusal("too many things", "Risks", 7)
    monkeypatch.setattr(sandbox, "BOOT", _frames(_ROW, refusal) + "sys.exit(3)\n")
    with pytest.raises(ImportRejected, match="too many things") as caught:
        parse(preflight(path, Limits()), Limits())
    assert (caught.value.sheet, caught.value.row) == ("Risks", 7)


def test_a_child_that_dies_mid_frame_is_named_by_how_it_died(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from raidlog.errors import ImportRejected
    from raidlog.migrate import sandbox

    path = _styled(tmp_path / "styled.xlsx")
    dies = _frames(_ROW[:9]) + "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
    monkeypatch.setattr(sandbox, "BOOT", dies)
    with pytest.raises(ImportRejected, match="the reader crashed"):
        parse(preflight(path, Limits()), Limits())
