"""Header normalisation and value readers, as specifications."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raidlog.migrate.headers import candidates, normalise
from raidlog.migrate.values import (
    DateReader,
    LevelReader,
    as_text,
    read_progress,
    read_rag,
    read_status,
    read_vocabulary,
)
from raidlog.profiles import load_profile

PROFILE = load_profile("default")


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("Impact\n(H/M/L)", "impact"),
        ("  Risk\u00a0Owner ", "risk owner"),
        ("issueKey", "issue key"),
        ("date_raised", "date raised"),
        ("Item / Description", "item description"),
        ("Response(s)", "response"),
        ("#", "#"),
    ],
)
def test_headers_are_normalised(header: str, normal: str) -> None:
    assert normalise(header) == normal


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Risk No.", "ref"),
        ("S.No", "ref"),
        ("issueKey", "ref"),
        ("Risk Name", "title"),
        ("Item / Description", "description"),
        ("Allocated To", "owner"),
        ("Date Identified", "raised_on"),
        ("Likelihood", "probability"),
        ("RPN", "score"),
        ("RAG Status", "rag"),
        ("Required By", "due"),
        ("Date Resolved", "closed_on"),
        ("Residual Likelihood", "residual_probability"),
        ("Pre-mitigation Impact", "inherent_impact"),
        ("Action Owner", "owner"),
        ("Impact (monetary)", "cost_exposure"),
    ],
)
def test_header_synonyms(header: str, field: str) -> None:
    assert candidates(header)[0][0] == field


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_day_first_text_dates_read_back(day: date) -> None:
    text = day.strftime("%d/%m/%Y")
    reader = DateReader(["31/01/2024", text])
    assert reader.read(text) == (day, None)
    assert reader.read(day.isoformat()) == (day, None)
    assert reader.read(day.strftime("%d %B %Y")) == (day, None)


def test_month_first_is_decided_by_the_column() -> None:
    reader = DateReader(["12/31/2024", "01/02/2024"])
    assert reader.order == "mdy"
    assert reader.read("01/02/2024") == (date(2024, 1, 2), None)


def test_excel_serials_in_both_epochs_and_placeholders() -> None:
    assert DateReader([]).read(45292.0) == (date(2024, 1, 1), None)
    assert DateReader([], epoch=1904).read(43830.0) == (date(2024, 1, 1), None)
    day, why = DateReader([]).read(date(1900, 1, 1))
    assert day is None
    assert why is not None
    assert "placeholder" in why


@pytest.mark.parametrize(
    ("values", "value", "level"),
    [
        (["Rare", "Almost Certain"], "Possible", 3),
        (["H", "M", "L"], "H", 5),
        (["H", "M", "L"], "m", 3),
        (["High", "Low"], "HIgh", 5),
        (["Very Low", "Very High"], "High", 4),
        (["Negligible", "Severe"], "Major", 4),
        (["50% to 75%"], "50% to 75%", 4),
        ([0.3, 0.9], 0.9, 5),
        ([1, 5], 2.0, 2),
        (["3 - Possible"], "3 - Possible", 3),
    ],
)
def test_levels(values: list[object], value: object, level: int) -> None:
    assert LevelReader(values, 5).read(value)[0] == level


def test_typos_are_read_and_flagged() -> None:
    level, why = LevelReader(["Low", "Hgh"], 5).read("Hgh")
    assert level == 5
    assert why == "'Hgh' read as 'high'"


@pytest.mark.parametrize(
    ("kind", "text", "status"),
    [
        ("risk", "Closed", "closed"),
        ("risk", "Mitigated", "closed"),
        ("risk", "Active", "open"),
        ("risk", "In Progress", "mitigating"),
        ("action", "Complete", "done"),
        ("action", "Done", "done"),
        ("action", "On Hold", "blocked"),
        ("issue", "Resolved", "resolved"),
        ("issue", "In Progress", "investigating"),
        ("decision", "Approved", "accepted"),
        ("decision", "Not approved", "rejected"),
        ("action", "3 - Closed", "done"),
        ("action", "Overdue", "open"),
        ("issue", "Past due", "open"),
        ("risk", "Inactive", "closed"),
    ],
)
def test_statuses_map_to_the_lifecycle(kind: str, text: str, status: str) -> None:
    assert read_status(text, PROFILE.lifecycle(kind)) == status


def test_unknown_status_is_none() -> None:
    assert read_status("Purple", PROFILE.lifecycle("risk")) is None


def test_small_readers() -> None:
    assert as_text(1.0) == "1"
    assert as_text(12.5) == "12.5"
    assert read_rag("Amber") == "amber"
    assert read_rag("G") == "green"


@pytest.mark.parametrize(
    ("text", "rag"),
    [
        ("\U0001f534", "red"),
        ("\U0001f7e0 slipping", "amber"),
        ("\U0001f7e1", "amber"),
        ("\U0001f7e9 on track", "green"),
        ("\u26aa", None),  # a white circle says nothing
        ("Blue", None),
    ],
)
def test_rag_symbols_are_read(text: str, rag: str | None) -> None:
    assert read_rag(text) == rag


def test_progress_and_vocabulary_readers() -> None:
    assert read_progress(0.5) == (50, None)
    assert read_progress("75%") == (75, None)
    assert read_vocabulary("Very High", PROFILE.vocabulary("priority"), "priority") == "critical"
    words = PROFILE.vocabulary("issue_type")
    assert read_vocabulary("Off-Specification", words, "issue_type") == "off-specification"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("w/c 12/02/2024", date(2024, 2, 12)),
        ("W/E 16/02/2024", date(2024, 2, 16)),
        ("before 31/03/2024", date(2024, 3, 31)),
        ("approx. Jun 2024", date(2024, 6, 1)),
        ("No later than 2024-05-01", date(2024, 5, 1)),
    ],
)
def test_a_date_after_qualifying_words_is_read_and_flagged(text: str, day: date) -> None:
    assert DateReader([]).read(text) == (day, f"{text!r} read as {day.isoformat()}")


@pytest.mark.parametrize("text", ["End of March", "by then", "w/c", "Q3 2024", "before 01/01/1900"])
def test_qualifying_words_without_a_date_are_not_a_date(text: str) -> None:
    day, why = DateReader([]).read(text)
    assert day is None
    assert why is not None


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Overall Risk Rating", "score"),
        ("Current RAG", "rag"),
        ("Overall RAG", "rag"),
        ("Existing Controls", "response"),
        ("Controls in place", "response"),
        ("Expected Resolution Date", "due"),
        ("Expected Closure Date", "due"),
        ("Reported By", "raised_by"),
        ("Risk #", "ref"),
        ("Custom field (Risk Probability)", "probability"),
    ],
)
def test_more_header_synonyms(header: str, key: str) -> None:
    assert candidates(header)[0][0] == key
