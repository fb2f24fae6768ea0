"""The reading path refuses what would import wrongly without a word (issue 16, items 9-11):
text that expands past the import's budget, CSV lines that no one encoding reads, and a file
whose name promises another format than its content."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from migrate_fixtures import csv_file, ods, with_macros, xlsx

from raidlog import ImportRejected, Risk
from raidlog.migrate import Limits, import_file
from raidlog.register import Register
from raidlog.testing.hostile import CASES, generate

GOOD = [["Ref", "Title", "Owner"], ["R1", "Vendor late", "Ana"], ["R2", "Budget cut", "Ben"]]


# 9. the text budget ---------------------------------------------------------------------------
def test_a_shared_string_bomb_is_refused_in_the_reader_naming_file_and_budget(
    tmp_path: Path, reg: Register
) -> None:
    reg.add(Risk(title="Already here"))
    case = next(c for c in CASES if c.name == "shared_string_amplification")
    path = generate(case, tmp_path)
    assert path.stat().st_size < 300_000  # small on disk: the text is one shared string
    with pytest.raises(ImportRejected, match="100,000,000 characters of text") as caught:
        import_file(path, reg)
    assert caught.value.file == path.name
    assert caught.value.sheet == "Risks"
    assert "Limits.max_text_chars" in caught.value.reason
    assert [i.title for i in reg.items()] == ["Already here"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_text_budget_is_configurable_and_counts_every_cell(
    tmp_path: Path, reg: Register, suffix: str
) -> None:
    rows = [["Ref", "Title"], *[[f"R{n}", "x" * 100] for n in range(1, 11)]]
    path = tmp_path / f"log{suffix}"
    if suffix == ".xlsx":
        xlsx(path, {"Risks": rows})
    else:
        csv_file(path, rows)
    text = sum(len(str(v)) for row in rows for v in row)
    with pytest.raises(ImportRejected, match=f"more than {text - 1:,} characters") as caught:
        import_file(path, reg, limits=Limits(max_text_chars=text - 1))
    assert caught.value.row == len(rows)  # the last row is the one that goes over
    assert len(reg) == 0
    assert import_file(path, reg, limits=Limits(max_text_chars=text)).added == 10


# 10. mixed encodings ----------------------------------------------------------------------------
def test_a_csv_mixing_utf8_and_latin1_lines_reads_each_line_in_its_own_encoding(
    tmp_path: Path, reg: Register
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Ref,Title,Owner\r\n"
        + "R1,Zulieferer fällt aus,Jürgen\r\n".encode()
        + "R2,Budget gekürzt,Zoë\r\n".encode("latin-1")
        + "R3,Café schließt,Ana\r\n".encode()
    )
    report = import_file(path, reg)
    assert [(i.title, i.owner) for i in reg.items()] == [
        ("Zulieferer fällt aus", "Jürgen"),
        ("Budget gekürzt", "Zoë"),
        ("Café schließt", "Ana"),
    ]
    assert "CSV read as UTF-8, with line 3 in Windows-1252, comma-separated" in report.notes


def test_a_line_mixing_both_encodings_is_refused_naming_it(tmp_path: Path, reg: Register) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Ref,Title,Owner\r\n"
        + "R1,Zulieferer fällt aus,Jürgen\r\n".encode()
        + "R2,Budget gekürzt,".encode()
        + "Zoë\r\n".encode("latin-1")
        + "R3,Café,".encode("latin-1")
        + "Müller\r\n".encode()
    )
    with pytest.raises(ImportRejected, match="lines 3, 4 mix UTF-8 characters") as caught:
        import_file(path, reg)
    assert caught.value.row == 3
    assert len(reg) == 0


@pytest.mark.parametrize(
    ("encoding", "note"), [("cp1252", "Windows-1252"), ("utf-8", "UTF-8"), ("utf-8-sig", "BOM")]
)
def test_a_csv_in_one_encoding_reads_as_before(
    tmp_path: Path, reg: Register, encoding: str, note: str
) -> None:
    path = csv_file(
        tmp_path / "one.csv", [*GOOD, ["R3", "Café “quoted” \u2013 €", "Zoë"]], encoding=encoding
    )
    report = import_file(path, reg)
    assert [i.title for i in reg.items()][-1] == "Café “quoted” \u2013 €"
    assert any(note in n and "with line" not in n for n in report.notes), report.notes


# 11. a name that disagrees with the content ----------------------------------------------------
def _xls(path: Path) -> Path:
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the legacy .xls fixture")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Risks")
    for r, row in enumerate(GOOD):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


WRITERS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "xlsx": ("an xlsx workbook", lambda p: xlsx(p, {"Risks": GOOD})),
    "xlsm": (
        "an xlsm (macro-enabled) workbook",
        lambda p: with_macros(xlsx(p.with_name("src.xlsx"), {"Risks": GOOD}), p),
    ),
    "xls": ("an xls (Excel 97-2003) workbook", _xls),
    "ods": ("an ods (OpenDocument) spreadsheet", lambda p: ods(p, GOOD)),
    "csv": ("plain text (CSV)", lambda p: csv_file(p, GOOD)),
}
COMPATIBLE = {("xlsx", "xlsm"), ("xlsm", "xlsx")}
PAIRS = [
    (content, name)
    for content in WRITERS
    for name in WRITERS
    if content != name and (content, name) not in COMPATIBLE
]


@pytest.mark.parametrize(("content", "name"), PAIRS)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused_naming_both(
    tmp_path: Path, reg: Register, content: str, name: str
) -> None:
    words, write = WRITERS[content]
    path = write(tmp_path / f"register.{content}").rename(tmp_path / f"register.{name}")
    with pytest.raises(ImportRejected) as caught:
        import_file(path, reg)
    assert caught.value.file == f"register.{name}"
    assert f"named .{name} but the content is {words}" in caught.value.reason
    assert f"rename it to .{content}" in caught.value.reason
    assert len(reg) == 0


@pytest.mark.parametrize("content", list(WRITERS))
def test_a_file_named_for_its_content_or_for_no_format_is_read_by_content(
    tmp_path: Path, reg: Register, content: str
) -> None:
    path = WRITERS[content][1](tmp_path / f"register.{content}")
    assert import_file(path, reg).added == 2
    unnamed = path.rename(tmp_path / "register.export")
    assert import_file(unnamed, reg).format == content


def test_plain_text_named_xlsx_is_refused_not_imported_as_nothing(
    tmp_path: Path, reg: Register
) -> None:
    path = tmp_path / "register.xlsx"
    path.write_text("this is not a workbook\njust some notes\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"named \.xlsx but the content is plain text"):
        import_file(path, reg)
