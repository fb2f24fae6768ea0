"""Layouts the importer had not seen, modelled on public templates and real exports.

Each test builds its file in code after a public model named in its docstring (no file
is copied: headers, layout and the kind of content follow the model; the rows are made
up) and states every item the import must give: count, kind, title, owner and dates.
The classes: tables with no title column, template example and instruction rows, the
kind from the columns on a generic sheet, and lists of lines under bold headings.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from migrate_fixtures import csv_file, xlsx
from openpyxl import Workbook
from openpyxl.styles import Font

from raidlog import Decision, Risk
from raidlog.migrate import import_file
from raidlog.model.items import Item
from raidlog.register import Register


def people(reg: Register) -> list[tuple[str, str, str | None]]:
    """(kind, title, owner) of every item, in register order."""
    return [(i.kind, i.title, i.owner) for i in reg.items()]


def by_title(reg: Register) -> dict[str, Item]:
    return {i.title: i for i in reg.items()}


def bold_sheet(path: Path, name: str, lines: list[tuple[str | None, bool]]) -> Path:
    """A workbook with one sheet of lines down column A, some of them bold."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = name
    for r, (text, bold) in enumerate(lines, start=1):
        if text is not None:
            sheet.cell(row=r, column=1, value=text).font = Font(bold=bold)
    book.save(path)
    return path


# tables with no title column -------------------------------------------------------------------
def test_a_decision_log_of_code_decision_status_and_date(tmp_path: Path, reg: Register) -> None:
    """Modelled on the decision log tab of the NHS England project RAID log template and
    GOV.UK programme decision logs: an id code, the decision text, a status, a date."""
    rows: list[list[object]] = [
        ["Code", "Decisions", "Status", "Date"],
        ["DEC-01", "Host the portal with vendor A", "Approved", "01/02/2024"],
        ["DEC-02", "Delay go-live to May", "Proposed", "15/03/2024"],
        ["DEC-03", "Drop the paper form", "Rejected", "20/03/2024"],
    ]
    report = import_file(xlsx(tmp_path / "decisions.xlsx", {"Decisions": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.status, i.raised_on) for i in items] == [
        ("decision", "Host the portal with vendor A", "accepted", date(2024, 2, 1)),
        ("decision", "Delay go-live to May", "proposed", date(2024, 3, 15)),
        ("decision", "Drop the paper form", "rejected", date(2024, 3, 20)),
    ]
    assert [i.extra["source_ref"] for i in items] == ["DEC-01", "DEC-02", "DEC-03"]
    columns = {c.header: (c.field, c.reason) for c in report.tables[0].columns}
    assert columns["Code"] == ("ref (kept as extra['source_ref'])", "holds unique id codes")
    assert columns["Decisions"][0] == "title"
    assert "its header names the kind" in columns["Decisions"][1]


def test_a_long_decision_text_is_cut_as_a_title_and_kept_whole(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on university project decision logs (a decision number, the decision as
    agreed at the board, minuted at length, and the meeting date)."""
    long = "Agree that the student records migration " + "runs in three waves " * 20
    rows: list[list[object]] = [
        ["Decision No.", "Decision agreed", "Date of Decision", "Decision Maker"],
        ["1", long.strip(), "04/03/2024", "Project Board"],
        ["2", "Use the existing data warehouse", "11/03/2024", "Design Authority"],
    ]
    import_file(xlsx(tmp_path / "log.xlsx", {"Decision Log": rows}), reg)
    first, second = reg.items()
    assert isinstance(first, Decision)
    assert isinstance(second, Decision)
    assert len(first.title) <= 300
    assert first.title.endswith("…")
    assert first.title.startswith("Agree that the student records migration runs")
    assert first.description == long.strip()  # the full text, as for any long title
    assert (first.decided_on, first.decided_by) == (date(2024, 3, 4), "Project Board")
    assert (second.title, second.decided_on) == (
        "Use the existing data warehouse",
        date(2024, 3, 11),
    )


def test_an_action_log_whose_text_column_is_headed_actions(tmp_path: Path, reg: Register) -> None:
    """Modelled on the action log of a council project RAID log (Excel template gallery
    style): '#', 'Actions', 'Owner', 'Due Date', 'Status' on a sheet named 'Sheet1'."""
    rows: list[list[object]] = [
        ["#", "Actions", "Owner", "Due Date", "Status"],
        [1, "Send the revised plan to the board", "Sam Patel", "14/02/2024", "Complete"],
        [2, "Book the consultation venue", "Kim Lee", "28/02/2024", "Open"],
    ]
    report = import_file(xlsx(tmp_path / "raid.xlsx", {"Sheet1": rows}), reg)
    assert people(reg) == [
        ("action", "Send the revised plan to the board", "Sam Patel"),
        ("action", "Book the consultation venue", "Kim Lee"),
    ]
    assert [(i.due, i.status) for i in reg.items()] == [
        (date(2024, 2, 14), "done"),
        (date(2024, 2, 28), "open"),
    ]
    assert report.tables[0].kind == "action"


def test_an_asana_task_export_names_each_task_in_its_name_column(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on Asana's CSV project export (Task ID, Created At, Completed At, Name,
    Section/Column, Assignee, Due Date, Notes)."""
    rows: list[list[object]] = [
        [
            "Task ID",
            "Created At",
            "Completed At",
            "Name",
            "Section/Column",
            "Assignee",
            "Due Date",
            "Notes",
        ],
        [
            "1206001",
            "2024-01-08",
            "2024-01-19",
            "Draft the comms plan",
            "Done",
            "Ana Ruiz",
            "2024-01-20",
            "Reviewed by the sponsor; circulated to the team",
        ],
        [
            "1206002",
            "2024-01-09",
            "",
            "Order laptops",
            "Doing",
            "Ben Cole",
            "2024-02-01",
            "Waiting for the purchase order from finance",
        ],
    ]
    import_file(csv_file(tmp_path / "asana-export.csv", rows), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.raised_on, i.due) for i in items] == [
        ("action", "Draft the comms plan", "Ana Ruiz", date(2024, 1, 8), date(2024, 1, 20)),
        ("action", "Order laptops", "Ben Cole", date(2024, 1, 9), date(2024, 2, 1)),
    ]
    assert items[0].status == "done"  # its completion date closes it (no status column)


# the kind from the columns on a generic sheet ---------------------------------------------------
def test_an_issue_log_on_sheet1_says_issue_by_its_columns(tmp_path: Path, reg: Register) -> None:
    """Modelled on the Smartsheet issue tracker template exported to Excel: Severity,
    Opened and Resolved columns on a sheet named 'Sheet1'."""
    rows: list[list[object]] = [
        ["ID", "Summary", "Severity", "Opened", "Resolved", "Owner"],
        ["1", "Login fails for new starters", "High", "01/02/2024", "03/02/2024", "Sam"],
        ["2", "Reports run slowly", "Low", "01/03/2024", None, "Kim"],
    ]
    report = import_file(xlsx(tmp_path / "tracker.xlsx", {"Sheet1": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.raised_on, i.closed_on) for i in items] == [
        ("issue", "Login fails for new starters", "Sam", date(2024, 2, 1), date(2024, 2, 3)),
        ("issue", "Reports run slowly", "Kim", date(2024, 3, 1), None),
    ]
    assert [getattr(i, "severity", None) for i in items] == ["High", "Low"]
    (table,) = report.tables
    assert table.kind_votes == [
        {"source": "sheet name", "kind": "", "weight": 0.0, "evidence": "Sheet1"},
        {
            "source": "columns",
            "kind": "issue",
            "weight": 3.5,
            "evidence": "Severity, Opened, Resolved",
        },
    ]


def test_an_issue_log_on_a_sheet_named_tracker(tmp_path: Path, reg: Register) -> None:
    """Modelled on the PMI-style issue log of a university IT project office (Issue #,
    Description, Severity, Date Opened, Date Resolved, Assigned To, Status), on a sheet
    named 'Tracker'."""
    rows: list[list[object]] = [
        ["Issue #", "Description", "Severity", "Date Opened", "Date Resolved", "Assigned To"],
        ["IS-7", "Wi-Fi drops in the library", "Major", "05/01/2024", "19/01/2024", "Network team"],
        ["IS-8", "Timetable export is late", "Minor", "08/01/2024", None, "Registry"],
    ]
    import_file(xlsx(tmp_path / "it.xlsx", {"Tracker": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.raised_on, i.closed_on) for i in items] == [
        (
            "issue",
            "Wi-Fi drops in the library",
            "Network team",
            date(2024, 1, 5),
            date(2024, 1, 19),
        ),
        ("issue", "Timetable export is late", "Registry", date(2024, 1, 8), None),
    ]


def test_a_risk_register_with_likelihood_and_severity_stays_risks(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on a local council's corporate risk register (Likelihood and Severity
    scored 1 to 5) on a sheet named 'Data': the columns say risk, and severity is the
    impact."""
    rows: list[list[object]] = [
        ["Risk ID", "Risk", "Likelihood", "Severity", "Mitigation", "Risk Owner", "Review Date"],
        ["CR1", "Budget overspend", 4, 3, "Monthly forecasts", "Finance Director", "30/04/2024"],
        ["CR2", "Cyber attack", 3, 5, "Patching", "Head of IT", "31/05/2024"],
    ]
    import_file(xlsx(tmp_path / "council.xlsx", {"Data": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.next_review) for i in items] == [
        ("risk", "Budget overspend", "Finance Director", date(2024, 4, 30)),
        ("risk", "Cyber attack", "Head of IT", date(2024, 5, 31)),
    ]
    assert all(isinstance(i, Risk) for i in items)
    assert [(getattr(i, "probability", None), getattr(i, "impact", None)) for i in items] == [
        (4, 3),
        (3, 5),
    ]


# templates keep their example rows out ----------------------------------------------------------
def test_an_empty_prince2_template_imports_nothing_and_says_why_for_each_row(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on the PRINCE2 risk register template (AXELOS product description
    layout) as PMOs hand it out: placeholders, an example, and ids numbered in advance
    with the default status filled in."""
    rows: list[list[object]] = [
        ["Risk Register", None, None, None, None, None],
        ["Project:", "<project name>"],
        [],
        [
            "Risk ID",
            "Risk Description",
            "Risk Owner",
            "Likelihood (H/M/L)",
            "Impact (H/M/L)",
            "Status",
        ],
        ["R001", "<describe the risk>", "<name>", "H/M/L", "H/M/L", "Open"],
        ["R002", "Enter text here", None, None, None, "Open"],
        ["Example", "Supplier goes out of business", "J Smith", "M", "H", "Open"],
        ["R003", "(example) Key staff leave", "A N Other", "L", "M", "Open"],
        ["R004", None, None, None, None, "Open"],
        ["R005", None, None, None, None, None],
    ]
    report = import_file(xlsx(tmp_path / "template.xlsx", {"Risk Register": rows}), reg)
    assert len(reg) == 0
    assert [(n.row, n.reason) for n in report.skipped] == [
        (5, "template placeholder row ('<describe the risk>' is template text, not a value)"),
        (6, "hint or instruction row"),
        (7, "example row"),
        (8, "example row ('(example) Key staff leave' marks it as a template's example)"),
        (9, "numbered row with no content (only the defaults 'Open')"),
        (10, "numbered row with no content"),
    ]
    assert "added 0" in report.summary()


def test_a_hint_row_repeating_the_column_hints_is_not_an_item(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on the Smartsheet RAID log template, whose first row under the header
    repeats each column's hint ("dd/mm/yyyy", "High/Medium/Low", "Open/Closed/On hold")."""
    rows: list[list[object]] = [
        ["Type", "Description", "Owner", "Priority", "Date Raised", "Status"],
        [
            "Risk/Issue/Action/Decision",
            "Description",
            "Owner",
            "High/Medium/Low",
            "dd/mm/yyyy",
            "Open/Closed/On hold",
        ],
        ["Risk", "Vendor may deliver late", "Ana", "High", "02/01/2024", "Open"],
        ["Action", "Chase the vendor weekly", "Ben", "Medium", "03/01/2024", "Open"],
    ]
    report = import_file(xlsx(tmp_path / "raid.xlsx", {"RAID Log": rows}), reg)
    assert sorted((i.kind, i.title, i.owner, i.raised_on) for i in reg.items()) == [
        ("action", "Chase the vendor weekly", "Ben", date(2024, 1, 3)),
        ("risk", "Vendor may deliver late", "Ana", date(2024, 1, 2)),
    ]
    assert [(n.row, n.reason) for n in report.skipped] == [
        (
            2,
            "template placeholder row ('Risk/Issue/Action/Decision' is template text, not a value)",
        )
    ]


def test_a_council_register_keeps_its_real_rows_and_drops_the_marked_example(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on a UK district council's service risk register template, which ships
    one worked example ("Example 1: ...", "delete this row") above the real rows."""
    rows: list[list[object]] = [
        ["Ref", "Risk Title", "Risk Owner", "Date Identified", "Status"],
        [
            "EX",
            "Example 1: loss of the depot to flooding - delete this row",
            "Head of Service",
            "01/01/2020",
            "Open",
        ],
        ["SR01", "Loss of the waste contract", "Waste Manager", "12/02/2024", "Open"],
        ["SR02", "Fleet drivers shortage", "Fleet Manager", "19/02/2024", "Open"],
    ]
    report = import_file(xlsx(tmp_path / "service.xlsx", {"Risks": rows}), reg)
    items = list(reg.items())
    assert [(i.title, i.owner, i.raised_on) for i in items] == [
        ("Loss of the waste contract", "Waste Manager", date(2024, 2, 12)),
        ("Fleet drivers shortage", "Fleet Manager", date(2024, 2, 19)),
    ]
    assert [n.row for n in report.skipped] == [2]
    assert report.skipped[0].reason.startswith("example row ('Example 1: loss of the depot")


# lists that are not tables ----------------------------------------------------------------------
def test_a_list_of_risks_under_bold_headings(tmp_path: Path, reg: Register) -> None:
    """Modelled on the risks section of a university project initiation document pasted
    into Excel: a bold title, bold category headings, one risk per line, some bulleted."""
    path = bold_sheet(
        tmp_path / "pid.xlsx",
        "Sheet1",
        [
            ("Project risks", True),
            (None, False),
            ("Technical", True),
            ("Server capacity may not cope with peak load", False),
            ("\u2022 Legacy interfaces are undocumented", False),
            (None, False),
            ("Commercial", True),
            ("Supplier may raise prices", False),
        ],
    )
    report = import_file(path, reg)
    assert [(i.kind, i.title, i.tags) for i in reg.items()] == [
        ("risk", "Server capacity may not cope with peak load", ("Technical",)),
        ("risk", "Legacy interfaces are undocumented", ("Technical",)),
        ("risk", "Supplier may raise prices", ("Commercial",)),
    ]
    assert [(n.row, n.reason) for n in report.skipped] == [
        (1, "the sheet's title line"),
        (3, "section heading: the lines below are tagged 'Technical'"),
        (7, "section heading: the lines below are tagged 'Commercial'"),
    ]


def test_a_list_of_actions_with_colon_headings_in_a_csv(tmp_path: Path, reg: Register) -> None:
    """Modelled on the action list of minutes exported from a programme board's meeting
    notes (a CSV has no bold: headings end with a colon)."""
    rows: list[list[object]] = [
        ["Finance:"],
        ["Reforecast the Q2 budget"],
        ["Close the old cost centre"],
        ["Estates:"],
        ["Survey the second floor"],
    ]
    report = import_file(csv_file(tmp_path / "board-actions.csv", rows), reg)
    assert [(i.kind, i.title, i.tags) for i in reg.items()] == [
        ("action", "Reforecast the Q2 budget", ("Finance",)),
        ("action", "Close the old cost centre", ("Finance",)),
        ("action", "Survey the second floor", ("Estates",)),
    ]
    assert report.tables[0].kind_reason.startswith("a list of lines under section headings")


def test_a_notes_sheet_of_bold_headings_is_not_a_list_of_items(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on the 'Guidance' tab of the NHS risk register template: bold headings
    and lines of instructions, which are not risks even though they talk of risks."""
    path = bold_sheet(
        tmp_path / "risk-register.xlsx",
        "Guidance",
        [
            ("How to use this risk register", True),
            ("Scoring", True),
            ("Score each risk for likelihood and impact", False),
            ("Review the register monthly", False),
        ],
    )
    report = import_file(path, reg)
    assert len(reg) == 0
    assert report.sheets_skipped == ["Guidance"]


# well-known layouts that must keep working --------------------------------------------------
def test_an_nhs_trust_risk_register(tmp_path: Path, reg: Register) -> None:
    """Modelled on NHS trust board risk registers published with board papers (risk id,
    date identified, description, owner, likelihood and consequence 1 to 5, controls,
    review date)."""
    rows: list[list[object]] = [
        [
            "Risk ID",
            "Date identified",
            "Risk description",
            "Risk owner",
            "Likelihood",
            "Consequence",
            "Risk score",
            "Controls",
            "Review date",
        ],
        [
            "2301",
            "03/04/2023",
            "Nurse vacancies in ED",
            "Chief Nurse",
            4,
            4,
            16,
            "Agency cover",
            "30/06/2024",
        ],
        [
            "2302",
            "17/05/2023",
            "Estates backlog maintenance",
            "Director of Estates",
            3,
            4,
            12,
            "Capital plan",
            "31/07/2024",
        ],
    ]
    import_file(xlsx(tmp_path / "board.xlsx", {"Corporate Risk Register": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.raised_on, i.next_review) for i in items] == [
        ("risk", "Nurse vacancies in ED", "Chief Nurse", date(2023, 4, 3), date(2024, 6, 30)),
        (
            "risk",
            "Estates backlog maintenance",
            "Director of Estates",
            date(2023, 5, 17),
            date(2024, 7, 31),
        ),
    ]
    assert [getattr(i, "score", None) for i in items] == [16, 12]


def test_a_pmi_issue_log_on_a_sheet_named_log(tmp_path: Path, reg: Register) -> None:
    """Modelled on the PMI issue log template (Issue ID, Issue, Priority, Raised By, Date
    Raised, Assigned To, Target Resolution Date, Status, Resolution) on a sheet 'Log'."""
    rows: list[list[object]] = [
        [
            "Issue ID",
            "Issue",
            "Priority",
            "Raised By",
            "Date Raised",
            "Assigned To",
            "Target Resolution Date",
            "Status",
            "Resolution",
        ],
        [
            "1",
            "Test data is missing",
            "High",
            "QA lead",
            "02/04/2024",
            "Data team",
            "09/04/2024",
            "Closed",
            "Loaded a masked copy",
        ],
        [
            "2",
            "Two approvers on leave",
            "Medium",
            "PM",
            "03/04/2024",
            "Sponsor",
            "12/04/2024",
            "Open",
            None,
        ],
    ]
    import_file(xlsx(tmp_path / "pmi.xlsx", {"Log": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.raised_on, i.due, i.status) for i in items] == [
        (
            "issue",
            "Test data is missing",
            "Data team",
            date(2024, 4, 2),
            date(2024, 4, 9),
            "closed",
        ),
        ("issue", "Two approvers on leave", "Sponsor", date(2024, 4, 3), date(2024, 4, 12), "open"),
    ]
    assert items[0].raised_by == "QA lead"


def test_a_monday_board_export_with_a_name_column_and_groups(tmp_path: Path, reg: Register) -> None:
    """Modelled on a monday.com board exported to Excel: the board's name on top, then
    each group as its name on a line of its own over a repeated header ('Name', 'Owner',
    'Status', 'Date', 'Priority')."""
    header: list[object] = ["Name", "Owner", "Status", "Date", "Priority"]
    rows: list[list[object]] = [
        ["Project Risks"],
        [],
        ["Open risks"],
        header,
        ["Vendor may deliver late", "Ana Ruiz", "Open", "2024-02-01", "High"],
        ["Budget cut", "Ben Cole", "Open", "2024-02-03", "Low"],
        [],
        ["Closed"],
        header,
        ["Old office lease", "Ana Ruiz", "Closed", "2023-11-01", "Low"],
    ]
    report = import_file(xlsx(tmp_path / "board.xlsx", {"Project Risks": rows}), reg)
    items = list(reg.items())
    assert [(i.kind, i.title, i.owner, i.status, i.raised_on) for i in items] == [
        ("risk", "Vendor may deliver late", "Ana Ruiz", "open", date(2024, 2, 1)),
        ("risk", "Budget cut", "Ben Cole", "open", date(2024, 2, 3)),
        ("risk", "Old office lease", "Ana Ruiz", "closed", date(2023, 11, 1)),
    ]
    assert [t.range for t in report.tables] == ["A4:E6", "A9:E10"]
    assert report.skipped == []


def test_placeholder_rows_do_not_decide_what_a_column_holds(tmp_path: Path, reg: Register) -> None:
    """Modelled on the risk register templates compliance teams publish on GitHub:
    bracketed placeholders ("[YYYY-MM-DD]", "[1-5]") and choice lists ("Open /
    Mitigating / Closed") in the pre-filled rows, above the one real risk."""
    rows: list[list[object]] = [
        ["Risk ID", "Risk Description", "Likelihood", "Impact", "Owner", "Target Date", "Status"],
        [
            "RSK-001",
            "[Describe the risk event]",
            "[1-5]",
            "[1-5]",
            "[Name]",
            "[YYYY-MM-DD]",
            "Open / Mitigating / Closed",
        ],
        ["RSK-002", "[Risk description]", "[1-5]", "[1-5]", "[Name]", "[YYYY-MM-DD]", "[Status]"],
        ["RSK-003", "Auditor finds gaps in access reviews", 3, 4, "CISO", "2024-06-30", "Open"],
    ]
    report = import_file(xlsx(tmp_path / "compliance.xlsx", {"Risk Register": rows}), reg)
    (risk,) = reg.items()
    assert isinstance(risk, Risk)
    assert (risk.title, risk.owner, risk.due, risk.probability, risk.impact) == (
        "Auditor finds gaps in access reviews",
        "CISO",
        date(2024, 6, 30),
        3,
        4,
    )
    assert [n.row for n in report.skipped] == [2, 3]


def test_a_status_report_list_under_risks_issues_and_actions_headings(
    tmp_path: Path, reg: Register
) -> None:
    """Modelled on the RAID section of a weekly project status report template (a bold
    title, then bold 'Risks', 'Issues' and 'Actions' headings over one line each):
    each heading gives its lines their kind."""
    path = bold_sheet(
        tmp_path / "status.xlsx",
        "Week 12",
        [
            ("Weekly status summary", True),
            ("Risks", True),
            ("Key supplier may miss the May release", False),
            ("Issues", True),
            ("Test environment is down", False),
            ("Actions", True),
            ("- Escalate the environment outage to IT", False),
        ],
    )
    report = import_file(path, reg)
    assert sorted((i.kind, i.title, i.tags) for i in reg.items()) == [
        ("action", "Escalate the environment outage to IT", ()),
        ("issue", "Test environment is down", ()),
        ("risk", "Key supplier may miss the May release", ()),
    ]
    assert [(n.row, n.reason) for n in report.skipped] == [
        (1, "the sheet's title line"),
        (2, "section heading: the lines below are risk items"),
        (4, "section heading: the lines below are issue items"),
        (6, "section heading: the lines below are action items"),
    ]
