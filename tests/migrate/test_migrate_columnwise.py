"""The row reader works column by column where a cell's reading depends on its value only
(issue 14): each distinct value of such a column is checked and read once, and what it
gave (fields, extra, flags) goes to every row holding it, each flag under its own row."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from migrate_fixtures import xlsx

from raidlog.migrate import import_file, tables
from raidlog.migrate import rows as row_reader
from raidlog.migrate import values as values_module
from raidlog.migrate.tables import cell_facts, is_plain, is_plain_text
from raidlog.migrate.values import clean_text, is_blank
from raidlog.model.values import UNWRITABLE
from raidlog.register import Register

ROWS = [
    ["Ref", "Title", "Owner", "Status"],
    ["R1", "Vendor late", "TBC", "Open"],
    ["R2", "Budget cut", "TBC", "Sleeping"],
    ["R3", "Key person leaves", "Ana", "Sleeping"],
    ["R4", "Licence lapses", "TBC", "Open"],
]


def test_each_value_of_a_column_is_read_once_and_given_to_every_row(
    tmp_path: Path, reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: Counter[object] = Counter()
    readers = dict(row_reader.CELL_READERS)

    def counting(kind: str) -> Any:
        def read(reader: Any, row: Any, column: Any, target: str, value: object) -> None:
            seen[(target, value)] += 1
            readers[kind](reader, row, column, target, value)

        return read

    for kind in ("person", "status"):
        monkeypatch.setitem(row_reader.CELL_READERS, kind, counting(kind))
    report = import_file(xlsx(tmp_path / "log.xlsx", {"Risks": ROWS}), reg)
    assert seen == {
        ("owner", "TBC"): 1,
        ("owner", "Ana"): 1,
        ("status", "Open"): 1,
        ("status", "Sleeping"): 1,
    }
    items = list(reg.items())
    assert [(i.owner, i.status) for i in items] == [
        (None, "open"),
        (None, "open"),
        ("Ana", "open"),
        (None, "open"),
    ]
    assert [i.extra.get("Owner") for i in items] == ["TBC", "TBC", None, "TBC"]
    flagged = sorted((n.row, n.column, n.reason.split(":")[0]) for n in report.tables[0].flagged)
    assert flagged == [
        (2, "Owner", "'TBC' names nobody"),
        (3, "Owner", "'TBC' names nobody"),
        (
            3,
            "Status",
            "status 'Sleeping' is not a risk status; left 'open'; kept as written in extra",
        ),
        (
            4,
            "Status",
            "status 'Sleeping' is not a risk status; left 'open'; kept as written in extra",
        ),
        (5, "Owner", "'TBC' names nobody"),
    ]


def test_the_row_checks_of_a_value_are_worked_out_once_per_column(
    tmp_path: Path, reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: Counter[object] = Counter()
    facts = row_reader.cell_facts

    def counting(value: object, header: str = "", *, id_column: bool = False) -> Any:
        asked[(header, value)] += 1
        return facts(value, header, id_column=id_column)

    monkeypatch.setattr(row_reader, "cell_facts", counting)
    import_file(xlsx(tmp_path / "log.xlsx", {"Risks": ROWS}), reg)
    assert asked[("Owner", "TBC")] == 1
    assert asked[("Status", "Open")] == 1
    assert asked[("Title", "Budget cut")] == 1
    assert len(reg) == 4


# Texts near what the row checks look for: hints, totals, legends, examples, placeholders.
_NEAR = st.sampled_from(
    [
        "Total",
        "grand totals",
        "Sub-total:",
        "Legend",
        "Key:",
        "Notes:",
        "* ",
        "Version 2",
        "Enter text here",
        "e.g. Ana",
        "eg:",
        "Example 1:",
        "(sample)",
        "Example",
        "sample",
        "<describe>",
        "[Owner]",
        "...",
        "H/M/L",
        "1-5",
        "Select",
        "please",
        "Click to add",
        "Delete this row",
        "Title",
        "title",
        "(H/M/L)",
        "\u017fample",  # a long s: case-folded it is "sample"
        "TOTAL",
        "Risk 7",
        "",
    ]
)


@settings(max_examples=200)
@given(
    head=_NEAR,
    tail=st.text(max_size=12),
    pad=st.sampled_from(["", " ", "\t", "\n "]),
    header=st.sampled_from(["", "Title", "Likelihood (H/M/L)", "Risk ID", "Owner [name]"]),
    id_column=st.booleans(),
)
def test_a_text_is_plain_exactly_when_its_facts_say_so(
    head: str, tail: str, pad: str, header: str, id_column: bool
) -> None:
    for text in (pad + head + tail, pad + tail + head, head, tail + pad):
        if not text.strip():
            continue  # only filled cells are asked
        facts = cell_facts(text, header, id_column=id_column)
        assert is_plain_text(text, header, id_column=id_column) == is_plain(facts), text


_WORDS = st.sampled_from(
    [
        "example",
        "Sample",
        "EXAMPLE 2:",
        "(sample only)",
        "[example]",
        "delete ",
        "Remove ",
        "overwrite ",
        "REPLACE ",
        "this",
        "these",
        "the example",
        " rows",
        "entries",
        "here",
        "HERE",
        "text here",
        "click ",
        "Click to",
        "tap to",
        "enter",
        "type",
        "<",
        ">",
        "[",
        "]",
        "{",
        "}",
        "...",
        "___",
        "---",
        "risk",
        " ",
        "\t",
        ":",
        "-",
        ")",
        "\u2013",
    ]
)


@settings(max_examples=500)
@given(parts=st.lists(st.one_of(_WORDS, st.text(max_size=6)), max_size=8))
def test_the_pattern_shortcuts_skip_only_texts_the_patterns_cannot_match(parts: list[str]) -> None:
    # The shortcuts answer "cannot match" before the two patterns run: never for a text
    # one of them matches (tables.py keeps them in step with the patterns).
    text = "".join(parts).strip()
    if tables._PLACEHOLDER.match(text):
        assert tables._may_be_placeholder(text), text
    if tables._EXAMPLE_MARK.search(text):
        assert tables._may_be_marked(text), text


def test_no_character_clean_text_removes_is_printable() -> None:
    # clean_text returns a printable text as it is, without the pattern's substitution.
    removed = [chr(c) for c in range(sys.maxunicode + 1) if UNWRITABLE.match(chr(c))]
    assert len(removed) > 2000  # the controls, surrogates and two non-characters
    assert not any(c.isprintable() for c in removed)
    assert clean_text("Café\x07 au lait") == ("Café au lait", True)
    assert clean_text("Café au lait") == ("Café au lait", False)


@settings(max_examples=500)
@given(parts=st.lists(st.one_of(_NEAR, _WORDS, st.text(max_size=6)), max_size=6))
def test_the_ascii_shortcuts_agree_with_the_patterns(parts: list[str]) -> None:
    # For an ASCII text, the lower-case pattern on the lowered text is the pattern
    # ignoring case; a choice list needs a "/" or a leading digit.
    text = "".join(parts).strip()
    if text.isascii():
        expected = tables._HINT_TOTAL_LEGEND.match(text) is not None
        assert (tables._HINT_TOTAL_LEGEND_LOWER.match(text.lower()) is not None) == expected
    if tables._CHOICES.match(text):
        assert tables._may_be_choices(text), text


_CELLS = st.one_of(
    _NEAR,
    st.sampled_from(["Title", "Owner", " ", "Ana", "Open", "R1", "\u017fample"]),
    st.text(max_size=4),
    st.none(),
    st.integers(0, 3),
    st.floats(0, 3),
    st.booleans(),
)


@settings(max_examples=200)
@given(
    columns=st.lists(st.lists(_CELLS, min_size=5, max_size=5), min_size=1, max_size=4),
    titled=st.frozensets(st.integers(0, 3)),
    kept=st.sampled_from([2, 3, 4096]),
)
def test_row_sums_count_each_cell_as_its_facts_say(
    columns: list[list[object]], titled: frozenset[int], kept: int
) -> None:
    # Whichever way a column is coded (texts in C, a memo, past the memo cell by cell),
    # each row's sums are its cells' codes added up.
    headers = ["Title", "Owner", "", "Risk ID"][: len(columns)]
    facts = row_reader._facts_by_column(headers, 3)

    def plain(position: int, text: str) -> bool:
        return is_plain_text(text, headers[position], id_column=position == 3)

    expected = [
        sum(
            row_reader._code(column[r], p, facts, p in titled, headers[p])
            for p, column in enumerate(columns)
        )
        for r in range(5)
    ]
    real = row_reader._FACTS_KEPT
    try:
        row_reader._FACTS_KEPT = kept  # a small memo: the paths past it run too
        found = row_reader._row_sums(5, columns, facts, titled, headers, plain)
    finally:
        row_reader._FACTS_KEPT = real
    assert found == expected


@given(values=st.lists(_CELLS, max_size=6))
def test_the_texts_of_a_column_and_its_blank_rows_are_found_either_way(
    values: list[object],
) -> None:
    assert values_module._texts(values) == {v for v in values if isinstance(v, str)}
    assert values_module._texts(iter(values)) == {v for v in values if isinstance(v, str)}
    assert tables._blank_row(values) == (not any(not is_blank(v) for v in values))
