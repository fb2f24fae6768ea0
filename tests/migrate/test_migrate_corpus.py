"""Real spreadsheets written by other people import to exactly these items.

The truth was read cell by cell with python-calamine and openpyxl (see the NOTICE of the
corpus for where the files come from and what makes each one hard).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from raidlog import Issue, Risk
from raidlog.migrate import import_file
from raidlog.register import Register


def test_jira_risk_log_gives_its_one_risk_once(corpus: Path, reg: Register) -> None:
    report = import_file(corpus / "jira-risk-log.xlsx", reg)
    (risk,) = reg.items()
    assert isinstance(risk, Risk)
    assert (risk.title, risk.owner, risk.raised_by) == ("Example Risk", None, "Horst Seehofer")
    assert (risk.status, risk.raised_on, risk.closed_on) == ("mitigating", date(2022, 2, 5), None)
    # Likelihood "Possible" and impact "Minor" on the Rare..Almost Certain scales.
    assert (risk.probability, risk.impact, risk.score) == (3, 2, 6)
    assert risk.extra["source_ref"] == "RISKMGMT-1"
    # Unmapped columns are kept as written, under their headers.
    assert risk.extra["Severity"] == "Low"
    assert risk.extra["BL.coordinates"] == "i2l3"
    # The pasted Jira export holds the same risk: reported, not imported twice.
    assert [n.reason for n in report.skipped] == ["same item as RiskLog row 3 (same id and title)"]
    # Lookup, matrix and history sheets are not registers.
    assert {"RiskMatrix", "RiskHistory", "MasterData"} <= set(report.sheets_skipped)
    log = next(t for t in report.tables if t.sheet == "RiskLog")
    assert log.header_row == 2  # merged group headers sit on row 1


def test_prince2_risk_register_on_a_sheet_named_issue_register(corpus: Path, reg: Register) -> None:
    report = import_file(corpus / "prince2-risk-register.xlsx", reg)
    risks = list(reg.items())
    assert all(isinstance(r, Risk) for r in risks)
    assert [r.title for r in risks] == [
        "Text recognication",
        "Data security",
        "Stealing vehicle information",
    ]
    assert [r.owner for r in risks] == [None, None, None]  # the Owner column is empty
    assert [getattr(r, "actionee", None) for r in risks] == [
        "Manahil Rana",
        "Nischal",
        "Manahil Rana",
    ]
    assert [r.status for r in risks] == ["open"] * 3  # "Active"
    assert {(r.raised_on, r.closed_on) for r in risks} == {(date(2022, 11, 8), date(2022, 11, 11))}
    first = risks[0]
    assert isinstance(first, Risk)
    assert first.cause == "Difficulty to recognise number of the car"
    assert first.probability == 5  # the band "75% to 100%"
    assert first.cost_exposure == 15000.0  # "Impact\n(monetary)"
    assert first.category == "Quality"
    (table,) = report.tables
    assert table.kind == "risk"
    assert "sheet name says issue" in table.kind_reason
    # Rows 5 to 7 hold only an id and a formula.
    assert [(n.row, n.reason) for n in report.skipped] == [
        (5, "numbered row with no content"),
        (6, "numbered row with no content"),
        (7, "numbered row with no content"),
    ]


def test_prince2_issue_register(corpus: Path, reg: Register) -> None:
    report = import_file(corpus / "prince2-issue-register.xlsx", reg)
    issues = list(reg.items())
    assert all(isinstance(i, Issue) for i in issues)
    assert [i.title for i in issues] == [
        "Budget was raised",
        "Limited external help",
        "No test run conducted",
        "Photo Quality",
        "Number plate",
    ]
    assert [i.raised_by for i in issues] == [
        "Muskan Shah",
        "Manahil Rana",
        "Nischal",
        "Abdullah Rafique",
        "Andrei Musca",
    ]
    assert [i.owner for i in issues] == [None] * 5
    assert [i.status for i in issues] == ["closed", "closed", "open", "open", "open"]
    assert [i.raised_on for i in issues][:2] == [date(2022, 11, 4), date(2022, 10, 15)]
    assert [i.closed_on for i in issues][:3] == [date(2022, 11, 11), date(2022, 11, 11), None]
    first, second = issues[0], issues[1]
    assert isinstance(first, Issue)
    assert isinstance(second, Issue)
    assert (first.issue_type, first.priority, first.severity) == (
        "request for change",
        "high",
        "Minor",
    )
    # "Very High" is not a priority of the profile: the closest is used, the text kept.
    assert (second.priority, second.extra["Priority"]) == ("critical", "Very High")
    assert first.resolution == "The budget was raised from 5000 to 1000"
    assert first.extra["Report Link"] == "Hyperlink to the repot, if any"
    assert report.sheets_skipped == ["Definitions"]
