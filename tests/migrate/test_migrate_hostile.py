"""Hostile and broken files (RELIABILITY.md section A): one ImportRejected, register untouched."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from migrate_fixtures import (
    csv_file,
    encrypted,
    far_corner,
    raw_xlsx,
    sheet_xml,
    with_macros,
    xlsx,
    zip_bomb,
)

import raidlog
from raidlog import ImportRejected, Risk
from raidlog.migrate import Limits, import_file
from raidlog.migrate.preflight import preflight
from raidlog.register import Register

GOOD = [["Ref", "Title", "Owner"], ["R1", "Vendor late", "Ana"], ["R2", "Budget cut", "Ben"]]


@pytest.fixture
def seeded(reg: Register) -> Register:
    reg.add(Risk(title="Already here"))
    return reg


def assert_untouched(reg: Register) -> None:
    assert [i.title for i in reg.items()] == ["Already here"]
    assert [e.ref for e in reg.events()] == ["profile", "R-0001"]  # the profile is chained


def test_rejection_names_file_and_reason_and_has_exit_code_4(tmp_path: Path) -> None:
    error = ImportRejected("log.xlsx", "broken", sheet="Risks", row=7)
    assert (error.file, error.sheet, error.row, error.reason) == ("log.xlsx", "Risks", 7, "broken")
    assert "log.xlsx, sheet 'Risks', row 7: broken" in str(error)
    assert ImportRejected.exit_code == 4
    assert isinstance(error, raidlog.RaidLogError)
    assert isinstance(error, ValueError)


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path, seeded: Register) -> None:
    with pytest.raises(ImportRejected, match="zip bomb"):
        import_file(zip_bomb(tmp_path / "bomb.xlsx"), seeded)
    assert_untouched(seeded)


def test_declared_sizes_over_the_limit_are_refused(tmp_path: Path, seeded: Register) -> None:
    path = xlsx(tmp_path / "ok.xlsx", {"Risks": GOOD})
    with pytest.raises(ImportRejected, match="inflate"):
        import_file(path, seeded, limits=Limits(max_uncompressed_bytes=1000))
    assert_untouched(seeded)


def test_a_reader_that_dies_is_a_rejected_file(tmp_path: Path, seeded: Register) -> None:
    with pytest.raises(ImportRejected, match=r"could not be read|cells|rows") as caught:
        import_file(far_corner(tmp_path / "corner.xlsx"), seeded)
    assert caught.value.file == "corner.xlsx"
    assert_untouched(seeded)


def test_encrypted_workbook_is_named_as_such(tmp_path: Path, seeded: Register) -> None:
    with pytest.raises(ImportRejected, match="encrypted with a password"):
        import_file(encrypted(tmp_path / "secret.xlsx"), seeded)
    assert_untouched(seeded)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary junk" * 10, "binary file"),
        (b"PK\x03\x04 truncated zip", "damaged zip"),
        (b"<?xml version='1.0'?><html/>", "XML or HTML"),
    ],
)
def test_files_that_are_not_spreadsheets(
    tmp_path: Path, seeded: Register, content: bytes, reason: str
) -> None:
    path = tmp_path / "thing.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportRejected, match=reason):
        import_file(path, seeded)
    assert_untouched(seeded)


def test_format_is_detected_by_content_and_a_name_that_disagrees_is_refused(
    tmp_path: Path, reg: Register
) -> None:
    path = xlsx(tmp_path / "log.xlsx", {"Risks": GOOD})
    renamed = path.rename(tmp_path / "log.csv")
    with pytest.raises(ImportRejected, match=r"named \.csv but the content is an xlsx workbook"):
        import_file(renamed, reg)
    assert len(reg) == 0
    report = import_file(renamed.rename(tmp_path / "log.xlsx"), reg)
    assert report.format == "xlsx"
    assert len(reg) == 2


def test_xlsm_imports_data_and_reports_macros_discarded(tmp_path: Path, reg: Register) -> None:
    source = xlsx(tmp_path / "log.xlsx", {"Risks": GOOD})
    report = import_file(with_macros(source, tmp_path / "log.xlsm"), reg)
    assert report.format == "xlsm"
    assert "macros discarded: only cell values are imported" in report.notes
    assert len(reg) == 2


def test_xls_content_in_a_file_named_xlsx(tmp_path: Path, reg: Register) -> None:
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the legacy .xls fixture")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Risks")
    for r, row in enumerate(GOOD):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "legacy.xlsx"
    book.save(str(path))
    with pytest.raises(ImportRejected, match=r"named \.xlsx but the content is an xls "):
        import_file(path, reg)
    report = import_file(path.rename(tmp_path / "legacy.xls"), reg)
    assert report.format == "xls"
    assert [i.title for i in reg.items()] == ["Vendor late", "Budget cut"]


def test_long_numeric_ids_stay_text_and_integral_floats_lose_their_point(
    tmp_path: Path, reg: Register
) -> None:
    rows = [["ID", "Title"], [1.0, "a"], ["000123", "b"], [12345678901234567890, "c"]]
    report = import_file(xlsx(tmp_path / "ids.xlsx", {"Risks": rows}), reg)
    refs = [i.extra["source_ref"] for i in reg.items()]
    assert refs[:2] == ["1", "000123"]
    assert any("lost digits" in n.reason for n in report.flagged)


def test_control_characters_are_cleaned_with_a_note(tmp_path: Path, reg: Register) -> None:
    rows = [["Ref", "Title", "Description"], ["R1", "Bell\x07 ringing", "Line\x0bbreak"]]
    path = tmp_path / "ctl.csv"
    path.write_text("\r\n".join(",".join(r) for r in rows), encoding="utf-8")
    report = import_file(path, reg)
    (risk,) = reg.items()
    assert (risk.title, risk.description) == ("Bell ringing", "Linebreak")
    assert [n.reason for n in report.flagged] == ["control characters removed"] * 2


def test_over_long_text_is_never_lost(tmp_path: Path, reg: Register) -> None:
    long_title = " ".join(["word"] * 100)  # 499 characters
    long_text = "x" * 40_000  # more than an Excel cell holds: CSV carries it
    rows = [["Ref", "Title", "Cause"], ["R1", long_title, long_text]]
    report = import_file(csv_file(tmp_path / "long.csv", rows), reg)
    (risk,) = reg.items()
    assert isinstance(risk, Risk)
    assert len(risk.title) <= 300
    assert risk.title.endswith("…")
    assert risk.description == long_title
    assert risk.cause + str(risk.extra["Cause (part 2)"]) == long_text
    assert len(report.flagged) == 2


def test_truncated_and_mutated_files_only_ever_reject(tmp_path: Path, reg: Register) -> None:
    """A small deterministic fuzz: every mutation imports or raises ImportRejected."""
    source = xlsx(tmp_path / "seed.xlsx", {"Risks": GOOD}).read_bytes()
    rng = random.Random(5)
    outcomes = set()
    for number in range(12):
        data = bytearray(source)
        if number % 3 == 0:
            data = data[: rng.randrange(10, len(data))]
        else:
            for _ in range(rng.randrange(1, 30)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"m{number}.xlsx"
        path.write_bytes(bytes(data))
        try:
            import_file(path, reg)
        except ImportRejected as exc:
            outcomes.add(exc.file)
        else:
            outcomes.add("imported")
    assert outcomes - {"imported"}, "some mutation must be rejected"
    assert outcomes - {"imported"} <= {f"m{n}.xlsx" for n in range(12)}


def test_defusedxml_must_be_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_preflight_counts_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(30):
            archive.writestr(f"x{n}", b"")
    with pytest.raises(ImportRejected, match="entries"):
        preflight(path, Limits(max_zip_entries=10))


def test_memory_limit_in_the_child_rejects_instead_of_crashing(
    tmp_path: Path, seeded: Register
) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{"y" * 200}</t></is></c></row>'
        for r in range(1, 2000)
    )
    path = raw_xlsx(tmp_path / "fat.xlsx", sheet_xml(rows))
    with pytest.raises(ImportRejected, match="could not be read safely: it needs too much memory"):
        import_file(path, seeded, limits=Limits(memory_bytes=24 * 1024 * 1024))
    assert_untouched(seeded)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.text(max_size=12) | st.integers() | st.none(), min_size=1, max_size=6),
        max_size=8,
    )
)
def test_any_table_of_text_imports_or_is_rejected(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[object]]
) -> None:
    """Whatever the cells hold, the result is a report or ImportRejected, never a crash."""
    path = csv_file(tmp_path_factory.mktemp("fuzz") / "f.csv", rows)
    with raidlog.open("memory:", actor="fuzz") as register:
        try:
            report = import_file(path, register)
        except ImportRejected as exc:
            assert exc.file == "f.csv"  # noqa: PT017 - the property is about the error itself
        else:
            assert report.added == len(register)
            assert register.verify().ok
