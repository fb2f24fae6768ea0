"""CSV that a spreadsheet cannot turn into a formula; JSON that rebuilds the register."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Register, ValidationError
from raidlog.export import (
    columns_for,
    load_json,
    neutralise,
    read_json,
    select_items,
    write_csv,
    write_json,
    write_jsonl,
)
from raidlog.testing.strategies import items as item_strategy


def _read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with open(path, newline="", encoding=encoding) as handle:
        return list(csv.DictReader(handle))


class TestCsv:
    @pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
    def test_text_starting_like_a_formula_gets_a_quote_prefix(self, start: str) -> None:
        assert neutralise(start + "1+1") == "'" + start + "1+1"

    @pytest.mark.parametrize("start", ["\uff1d", "\uff0b", "\uff0d", "\uff20"])
    def test_full_width_triggers_get_the_prefix_too(self, start: str) -> None:
        # Regression: some East Asian locales run a full-width = as a formula.
        assert neutralise(start + "1+1") == "'" + start + "1+1"

    @pytest.mark.parametrize("text", [" =1+1", "   @SUM(1)", "\u3000=1", "\u00a0-1", " \t=1"])
    def test_a_trigger_after_leading_whitespace_gets_the_prefix(self, text: str) -> None:
        # Regression: a program that trims cells on opening would see the trigger first.
        assert neutralise(text) == "'" + text

    @pytest.mark.parametrize("text", ["Supplier = late", "a-b", " plain", "   ", "'=1", ""])
    def test_other_text_is_untouched(self, text: str) -> None:
        assert neutralise(text) == text

    def test_export_guards_every_text_field(self, board: Register, tmp_path: Path) -> None:
        out = tmp_path / "raid.csv"
        assert write_csv(board.items(), out) == len(board)
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        rows = {r["ref"]: r for r in _read_csv(out)}
        risk = rows["R-0001"]
        assert risk["title"] == '\'=HYPERLINK("http://evil","click")'
        assert risk["description"] == "'+cmd|' /C calc'!A0"
        assert risk["owner"] == "'@ana"
        assert risk["extra.cost centre"] == "'-CC12"
        assert risk["extra.weight"] == "3"
        assert risk["tags"] == "supply; vendor"
        assert rows["A-0001"]["links"] == "mitigates:R-0001"
        assert rows["I-0001"]["title"] == 'Line 1\nline 2 with "quotes" and, commas'

    def test_every_field_is_quoted(self, board: Register, tmp_path: Path) -> None:
        out = tmp_path / "raid.csv"
        write_csv(board.items(), out)
        first = out.read_bytes().decode("utf-8-sig").split("\r\n")[0]
        assert all(f.startswith('"') and f.endswith('"') for f in first.split(","))

    def test_raw_mode_writes_values_untouched_without_bom(
        self, board: Register, tmp_path: Path
    ) -> None:
        out = tmp_path / "raw.csv"
        write_csv(board.items(), out, raw=True)
        assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
        risk = {r["ref"]: r for r in _read_csv(out, "utf-8")}["R-0001"]
        assert risk["title"] == '=HYPERLINK("http://evil","click")'

    def test_filters_select_like_the_register_query(self, board: Register) -> None:
        chosen = select_items(board, body="ExCo")
        assert [i.ref for i in chosen] == ["R-0001"]
        assert [i.ref for i in select_items(board, kind=["action"])] == ["A-0001", "A-0002"]


class TestJson:
    @pytest.mark.parametrize("suffix", [".json", ".jsonl"])
    def test_a_complete_export_rebuilds_the_same_register(
        self, board: Register, tmp_path: Path, suffix: str
    ) -> None:
        out = tmp_path / f"raid{suffix}"
        writer = write_json if suffix == ".json" else write_jsonl
        assert writer(board, out) == len(board)
        with raidlog.open("memory:", actor="someone else") as target:
            assert load_json(out, target) == len(board)
            assert list(target.items()) == list(board.items())
            assert list(target.events()) == list(board.events())
            assert target.structure() == board.structure()
            report = target.verify()
            assert report.ok, report.problems
            assert report.head_hash == board.verify().head_hash

    def test_the_profile_travels_with_the_export(self, tmp_path: Path) -> None:
        out = tmp_path / "p.json"
        with raidlog.open("memory:", actor="a", profile="prince2") as source:
            source.add(raidlog.Risk(title="x"))
            write_json(source, out)
        assert read_json(out).profile.name == "prince2"

    def test_a_filtered_export_is_for_reading_only(self, board: Register, tmp_path: Path) -> None:
        out = tmp_path / "part.jsonl"
        write_jsonl(board, out, items=select_items(board, kind="decision"))
        export = read_json(out)
        assert not export.complete
        assert [i.ref for i in export.items] == ["D-0001"]
        assert {e.ref for e in export.events} == {"D-0001"}
        with (
            raidlog.open("memory:", actor="a") as target,
            pytest.raises(ValidationError, match="filtered export"),
        ):
            load_json(out, target)

    def test_loading_into_a_non_empty_register_is_refused(
        self, board: Register, tmp_path: Path
    ) -> None:
        out = tmp_path / "raid.json"
        write_json(board, out)
        with pytest.raises(ValidationError, match="not empty"):
            load_json(out, board)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{", "is not valid JSON"),
            ('{"format": "other"}', "not a raidlog JSON export"),
            ('{"format": "raidlog-export", "schema": 99}', "has schema 99"),
        ],
    )
    def test_a_bad_file_is_named_in_the_error(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(ValidationError, match=message):
            read_json(path)

    def test_a_bad_line_is_named_in_the_error(self, board: Register, tmp_path: Path) -> None:
        out = tmp_path / "raid.jsonl"
        write_jsonl(board, out)
        lines = out.read_text().splitlines()
        at = next(n for n, line in enumerate(lines) if json.loads(line)["type"] == "item")
        record = json.loads(lines[at])
        record["colour"] = "blue"
        lines[at] = json.dumps(record)
        out.write_text("\n".join(lines))
        with pytest.raises(ValidationError, match=f"line {at + 1}: unknown fields"):
            read_json(out)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(item_strategy(), max_size=6))
def test_json_round_trip_of_generated_items(batch: list[raidlog.Item], tmp_path: Path) -> None:
    out = tmp_path / "gen.jsonl"
    with raidlog.open("memory:", actor="gen") as source:
        for item in batch:
            source.add(item)
        write_jsonl(source, out)
        with raidlog.open("memory:", actor="other") as target:
            load_json(out, target)
            assert list(target.items()) == list(source.items())
            assert target.verify().ok


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(item_strategy(), min_size=1, max_size=8), raw=st.booleans())
def test_fast_csv_rows_equal_the_general_path(batch: list[raidlog.Item], raw: bool) -> None:
    from raidlog.export.rows import flatten
    from raidlog.export.tabular import _Columns, _text

    def written(rows: Iterable[Sequence[object]]) -> str:
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
        return out.getvalue()

    columns = columns_for(batch)
    fast = written(_Columns(columns, raw).rows(batch))
    assert fast == written([_text(v, raw) for v in flatten(item, columns)] for item in batch)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(item_strategy(), min_size=1, max_size=8))
def test_the_fast_flattener_equals_flatten(batch: list[raidlog.Item]) -> None:
    from raidlog.export.rows import Flattener, flatten

    columns = columns_for(batch)
    flat = Flattener(columns)
    assert [flat(i) for i in batch] == [flatten(i, columns) for i in batch]
