"""The hostile-file generator writes what each case says (the importer's tests use them)."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from raidlog.testing.hostile import CASES, generate

QUICK = [c for c in CASES if c.name not in ("zip_bomb", "too_many_rows")]


@pytest.mark.parametrize("case", QUICK, ids=[c.name for c in QUICK])
def test_each_case_is_written(case: object, tmp_path: Path) -> None:
    from raidlog.testing.hostile import HostileCase

    assert isinstance(case, HostileCase)
    path = generate(case, tmp_path)
    assert path.stat().st_size > 0
    assert case.expect in ("reject", "import", "either")
    if case.expect == "reject":
        assert case.reasons, "a rejection names the words its reason must contain"


def test_the_dangerous_ones_are_what_they_claim(tmp_path: Path) -> None:
    by_name = {c.name: c for c in CASES}
    bomb = generate(by_name["entity_bomb"], tmp_path)
    assert b"<!ENTITY lol9" in zipfile.ZipFile(bomb).read("xl/worksheets/sheet1.xml")
    encrypted = generate(by_name["encrypted"], tmp_path)
    assert encrypted.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    legacy = generate(by_name["xls_named_xlsx"], tmp_path)
    assert not zipfile.is_zipfile(legacy)
    valid = generate(by_name["lying_dimension"], tmp_path)
    rows = list(
        openpyxl.load_workbook(io.BytesIO(valid.read_bytes())).active.iter_rows(values_only=True)
    )  # type: ignore[union-attr]  # the sheet exists
    assert len(rows) == 4
