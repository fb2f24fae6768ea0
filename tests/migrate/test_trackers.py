"""Tracker exports (Jira, Azure DevOps, ServiceNow, Smartsheet) import without a mapping
file: each profile is recognised by the export's header row and said in the report.

Each CSV below is written as the tracker writes it, after the tracker's own
documentation of its export (named in each test's docstring).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from raidlog import Action, Decision, Issue, Risk
from raidlog.migrate import import_file
from raidlog.migrate.trackers import detect, tracker_profiles
from raidlog.register import Register


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _profile_note(report: object) -> str:
    notes = [n for n in report.notes if "profile " in n]  # type: ignore[attr-defined]  # ImportReport
    assert len(notes) == 1, report.notes  # type: ignore[attr-defined]  # ImportReport
    return notes[0]


def test_a_jira_export_maps_by_its_standard_columns(tmp_path: Path, reg: Register) -> None:
    """Modelled on Atlassian's "Export your issues" (Jira Cloud: Filters > Export >
    Export CSV (all fields)): one column per field, multi-value fields such as Labels as
    repeated columns of the same name, custom fields as ``Custom field (Name)``, dates
    as ``dd/MMM/yy h:mm a``, CRLF line ends and quoted fields with line breaks."""
    text = (
        "Summary,Issue key,Issue id,Issue Type,Status,Priority,Assignee,Reporter,"
        "Created,Updated,Due date,Resolved,Labels,Labels,Description,"
        "Custom field (Risk Probability),Custom field (Risk Impact)\r\n"
        "Supplier insolvency,RISK-12,10012,Risk,To Do,Highest,Ann Lee,Bob Roe,"
        "03/Dec/24 4:05 PM,04/Dec/24 9:00 AM,31/Jan/25 12:00 AM,,supply,vendor,"
        '"Key supplier may fail.\r\nSee the audit.",Likely,Major\r\n'
        "Patch the firewall,RISK-13,10013,Sub-task,In Progress,Low,Cy Dee,Bob Roe,"
        "05/Dec/24 10:15 AM,05/Dec/24 10:15 AM,,,it,,,,\r\n"
        "Login fails,RISK-14,10014,Bug,Done,Medium,,Bob Roe,"
        "06/Dec/24 8:00 AM,07/Dec/24 8:00 AM,,07/Dec/24 8:00 AM,,,,,\r\n"
    )
    report = import_file(_csv(tmp_path / "Jira.csv", text), reg)
    assert "profile jira (Jira CSV export)" in _profile_note(report)
    found = {i.extra["source_ref"]: i for i in reg.items()}
    risk, task, bug = found["RISK-12"], found["RISK-13"], found["RISK-14"]
    assert isinstance(risk, Risk)
    assert (risk.title, risk.owner, risk.raised_by) == ("Supplier insolvency", "Ann Lee", "Bob Roe")
    assert (risk.raised_on, risk.due) == (date(2024, 12, 3), date(2025, 1, 31))
    assert (risk.tags, risk.priority) == (("supply", "vendor"), "critical")
    assert (risk.probability, risk.impact) == (4, 4)
    assert risk.description == "Key supplier may fail.\nSee the audit."
    assert risk.extra["Updated"] == "04/Dec/24 9:00 AM"
    # A Sub-task is an action; the type as Jira wrote it is kept.
    assert isinstance(task, Action)
    assert (task.status, task.extra["Issue Type (as exported)"]) == ("in_progress", "Sub-task")
    assert isinstance(bug, Issue)
    assert (bug.status, bug.closed_on) == ("resolved", date(2024, 12, 7))


def test_an_azure_devops_export_reads_people_tags_and_us_dates(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on Microsoft Learn's "Import or update work items in bulk by using CSV
    files" and "Export a query to CSV" (Azure Boards): ID, Work Item Type, Title, State,
    identities as ``Display Name <email>``, Tags as ``a; b``, dates as the en-US locale
    writes them (``12/3/2024 4:05:00 PM``), Area and Iteration Paths with backslashes."""
    text = (
        "ID,Work Item Type,Title,State,Assigned To,Created Date,Changed Date,Tags,"
        "Area Path,Iteration Path,Priority,Severity\r\n"
        "101,Risk,Vendor lock-in,Active,Ana Lee <ana@contoso.com>,12/3/2024 4:05:00 PM,"
        "12/13/2024 9:30:00 AM,cloud; vendor,Fabrikam\\Platform,Fabrikam\\Sprint 3,1,\r\n"
        "102,Impediment,Build agents offline,New,,12/4/2024 8:00:00 AM,"
        "12/4/2024 8:00:00 AM,ci,Fabrikam\\Platform,Fabrikam\\Sprint 3,2,2 - High\r\n"
        "103,Task,Renew certificates,Closed,Bo Chen <bo@contoso.com>,11/28/2024 1:00:00 PM,"
        "12/1/2024 1:00:00 PM,,Fabrikam,Fabrikam\\Sprint 2,3,\r\n"
    )
    report = import_file(_csv(tmp_path / "query.csv", text), reg)
    assert "profile azure-devops (Azure DevOps CSV export)" in _profile_note(report)
    found = {i.extra["source_ref"]: i for i in reg.items()}
    risk, blocker, task = found["101"], found["102"], found["103"]
    assert isinstance(risk, Risk)
    assert (risk.owner, risk.extra["Assigned To (email)"]) == ("Ana Lee", "ana@contoso.com")
    assert (risk.raised_on, risk.tags, risk.priority) == (
        date(2024, 12, 3),
        ("cloud", "vendor"),
        "critical",
    )
    assert risk.extra["Area Path"] == "Fabrikam\\Platform"
    assert isinstance(blocker, Issue)
    assert (blocker.severity, blocker.extra["Work Item Type (as exported)"]) == (
        "high",
        "Impediment",
    )
    assert isinstance(task, Action)
    assert (task.owner, task.status, task.raised_on) == ("Bo Chen", "done", date(2024, 11, 28))


def test_a_servicenow_export_takes_kinds_from_the_number(tmp_path: Path, reg: Register) -> None:
    """Modelled on the ServiceNow product documentation "Export a list to CSV" (list
    context menu, Export > CSV): headers are the field names (``number``,
    ``short_description``...), choice fields hold display values (``1 - Critical``),
    dates are ``yyyy-MM-dd HH:mm:ss``, and the record's table shows in its number's
    prefix (RISK for risks, PRB for problems, TASK for tasks)."""
    text = (
        '"number","short_description","description","state","priority","assigned_to",'
        '"opened_at","opened_by","due_date","closed_at"\r\n'
        '"RISK0010001","Data centre flood","Ground floor site","Open","2 - High",'
        '"Ana Lee","2024-12-03 16:05:00","Bo Chen","2025-03-31 00:00:00",""\r\n'
        '"PRB0040001","Intermittent VPN drops","","Closed","3 - Moderate","Cy Dee",'
        '"2024-11-20 09:00:00","Ana Lee","","2024-12-01 17:30:00"\r\n'
        '"TASK0010007","Move racks upstairs","","Work in Progress","1 - Critical",'
        '"Bo Chen","2024-12-04 10:00:00","Ana Lee","2025-01-15 00:00:00",""\r\n'
    )
    report = import_file(_csv(tmp_path / "sn_risk_risk.csv", text), reg)
    assert "profile servicenow (ServiceNow CSV export)" in _profile_note(report)
    found = {i.extra["source_ref"]: i for i in reg.items()}
    risk, problem, task = found["RISK0010001"], found["PRB0040001"], found["TASK0010007"]
    assert isinstance(risk, Risk)
    assert (risk.title, risk.owner, risk.raised_by, risk.priority) == (
        "Data centre flood",
        "Ana Lee",
        "Bo Chen",
        "high",
    )
    assert (risk.raised_on, risk.due) == (date(2024, 12, 3), date(2025, 3, 31))
    assert isinstance(problem, Issue)
    assert (problem.status, problem.closed_on, problem.priority) == (
        "closed",
        date(2024, 12, 1),
        "medium",
    )
    assert isinstance(task, Action)
    assert (task.status, task.priority) == ("in_progress", "critical")


def test_a_smartsheet_export_is_known_by_its_system_columns(tmp_path: Path, reg: Register) -> None:
    """Modelled on Smartsheet's Help Center ("System columns": Created, Created By,
    Modified, Modified By) and its API's "Get Sheet" as CSV: user-named columns around
    those, dates in the account's regional format (United States: ``MM/dd/yy``),
    contact columns as ``Name <email>``, multi-select values separated by commas."""
    text = (
        "Row ID,Type,Item,Assigned To,Status,Priority,Due Date,Tags,Created,Created By,"
        "Modified,Modified By\r\n"
        "1,Risk,Key engineer leaves,Ana Lee <ana@example.com>,Open,High,01/31/25,"
        '"people, delivery",12/03/24 4:05 PM,bo@example.com,12/05/24 9:00 AM,bo@example.com\r\n'
        "2,Decision,Adopt the new CAB calendar,Bo Chen <bo@example.com>,Approved,,,"
        ",12/04/24 10:00 AM,ana@example.com,12/04/24 10:00 AM,ana@example.com\r\n"
        "3,Action Item,Book the venue,,Complete,Low,12/20/24,,12/04/24 11:00 AM,"
        "ana@example.com,12/06/24 2:00 PM,ana@example.com\r\n"
    )
    report = import_file(_csv(tmp_path / "RAID Log.csv", text), reg)
    assert "profile smartsheet (Smartsheet export)" in _profile_note(report)
    found = {i.extra["source_ref"]: i for i in reg.items()}
    risk, decision, action = found["1"], found["2"], found["3"]
    assert isinstance(risk, Risk)
    assert (risk.title, risk.owner, risk.extra["Assigned To (email)"]) == (
        "Key engineer leaves",
        "Ana Lee",
        "ana@example.com",
    )
    assert (risk.due, risk.raised_on, risk.tags) == (
        date(2025, 1, 31),
        date(2024, 12, 3),
        ("people", "delivery"),
    )
    assert risk.extra["Modified"] == "12/05/24 9:00 AM"
    assert isinstance(decision, Decision)
    assert decision.status == "accepted"
    assert isinstance(action, Action)
    assert (action.status, action.due) == ("done", date(2024, 12, 20))


def test_a_sheet_that_is_no_tracker_export_uses_no_profile(tmp_path: Path, reg: Register) -> None:
    text = "ID,Risk,Owner,Status\r\nR1,Supplier insolvency,Ann,Open\r\n"
    report = import_file(_csv(tmp_path / "risks.csv", text), reg)
    assert not [n for n in report.notes if "profile " in n]
    (risk,) = reg.items()
    assert isinstance(risk, Risk)


def test_a_mapping_file_wins_over_the_profile(tmp_path: Path, reg: Register) -> None:
    text = "Issue key,Summary,Issue Type,Priority\r\nX-1,Late delivery,Sub-task,Highest\r\n"
    mapping = {"table": [{"sheet": "jira", "kind": "risk", "columns": {"Priority": "extra"}}]}
    report = import_file(_csv(tmp_path / "jira.csv", text), reg, mapping=mapping)
    assert not [n for n in report.notes if "profile " in n]
    (item,) = reg.items()
    # The cells are as written: the profile rewrote neither the type nor the priority.
    assert item.extra["Priority"] == "Highest"
    assert "Issue Type (as exported)" not in item.extra


@pytest.mark.parametrize(
    ("headers", "name"),
    [
        (["Summary", "Issue key", "Issue Type", "Status"], "jira"),
        (["ID", "Work Item Type", "Title", "State"], "azure-devops"),
        (["number", "short_description", "state"], "servicenow"),
        (["Task Name", "Created By", "Modified", "Modified By"], "smartsheet"),
        (["ID", "Title", "State"], None),
        (["number", "short_description"], None),
    ],
)
def test_detection_needs_every_identifying_column(headers: list[str], name: str | None) -> None:
    found = detect(headers)
    assert (found.name if found else None) == name


def test_every_shipped_profile_maps_to_real_fields_and_kinds() -> None:
    # _profile refuses unknown fields and kinds: loading them all is the check.
    assert {p.name for p in tracker_profiles()} == {
        "jira",
        "azure-devops",
        "servicenow",
        "smartsheet",
    }
