"""A realistic legacy RAID log workbook, generated: the sample the docs and README import.

It has what real PMO spreadsheets have: a cover sheet, title blocks above the tables,
headers on row 5, a merged group header, hint rows, text dates in mixed formats, H/M/L
scores with a typo, RAG held only as cell colour, pre-numbered empty rows, a duplicate
row, a legend under the table, one sheet per kind and a lookup sheet.

``python -m raidlog.migrate.sample legacy-raid-log.xlsx`` writes it.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

__all__ = ["write_large_legacy_log", "write_sample"]

_RED, _AMBER, _GREEN = "FFFF0000", "FFFFC000", "FF00B050"

RISKS = [
    # id, raised, description, owner, likelihood, impact, rag, mitigation, status, target
    (
        "R001",
        "14/03/2024",
        "Key supplier may deliver the payment gateway late",
        "Priya Shah",
        "H",
        "H",
        _RED,
        "Weekly supplier calls; escrow clause",
        "Open",
        "30/06/2024",
    ),
    (
        "R002",
        "2024-03-18",
        "Data migration could corrupt historic customer records",
        "Tom Evans",
        "M",
        "H",
        _AMBER,
        "Dry runs on a copy; reconciliation report",
        "In Progress",
        "15/07/2024",
    ),
    (
        "R003",
        "21 March 2024",
        "Test environment not available for UAT",
        "Aisha Khan",
        "HIgh",
        "M",
        _AMBER,
        "Book the shared environment now",
        "Open",
        "01/05/2024",
    ),
    (
        "R004",
        "02/04/2024",
        "Budget overrun on licences after the exchange rate moved",
        "Martin Cole",
        "L",
        "M",
        _GREEN,
        "Hedge via finance; fixed-price renewal",
        "Mitigated",
        "31/05/2024",
    ),
    (
        "R005",
        "09/04/2024",
        "Loss of the lead architect to another programme",
        "Priya Shah",
        "M",
        "M",
        _AMBER,
        "Pair a second architect; document decisions",
        "Open",
        "30/09/2024",
    ),
    (
        "R006",
        "16/04/2024",
        "Regulator changes reporting rules mid-project",
        "Grace Lee",
        "L",
        "H",
        _AMBER,
        "Monitor consultations monthly",
        "Closed",
        "31/12/2024",
    ),
]
ISSUES = [
    (
        "I-01",
        "03/04/2024",
        "Payment gateway sandbox is down",
        "Tom Evans",
        "High",
        "Escalated to the vendor",
        "Open",
    ),
    (
        "I-02",
        "10/04/2024",
        "Two requirements contradict each other",
        "Aisha Khan",
        "Medium",
        "Workshop held; requirement 14 withdrawn",
        "Resolved",
    ),
    ("I-03", "22/04/2024", "Licences for the test tool expired", "Martin Cole", "Low", "", "Open"),
]
ACTIONS = [
    ("Book UAT environment for June", "Aisha Khan", "26/04/2024", "Complete", "100%"),
    ("Draft the data reconciliation report", "Tom Evans", "17/05/2024", "In Progress", "40%"),
    ("Agree escrow clause with supplier legal", "Priya Shah", "31/05/2024", "Not Started", "0%"),
]
DECISIONS = [
    (
        "Use the vendor's hosted gateway",
        "Cheaper to run and certified already",
        "Programme Board",
        "12/03/2024",
        "Approved",
    ),
    (
        "Freeze scope for release 1",
        "Protect the June date",
        "Steering Committee",
        "04/04/2024",
        "Approved",
    ),
]


def write_sample(path: str | Path) -> Path:
    """Write the sample legacy RAID log to ``path`` (.xlsx) and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    cover["A1"] = "Project Phoenix - RAID Log"
    cover["A1"].font = Font(bold=True, size=16)
    cover["A3"], cover["B3"] = "Version", "3.2"
    cover["A4"], cover["B4"] = "Owner", "PMO"
    cover["A5"], cover["B5"] = "Last updated", "22/04/2024"

    risks = book.create_sheet("Risks")
    risks["A1"] = "Project Phoenix Risk Register"
    risks.merge_cells("A1:J1")
    risks["A2"] = "Prepared by: PMO    Review: fortnightly at the Project Board"
    risks["E4"] = "Assessment"
    risks.merge_cells("E4:G4")
    headers = [
        "Risk ID",
        "Date Raised",
        "Risk Description",
        "Risk Owner",
        "Likelihood (H/M/L)",
        "Impact (H/M/L)",
        "RAG",
        "Mitigation",
        "Status",
        "Target Date",
        "Comments",
    ]
    for col, text in enumerate(headers, start=1):
        risks.cell(row=5, column=col, value=text).font = Font(bold=True)
    hints = [
        "e.g. R001",
        "dd/mm/yyyy",
        "Describe the risk: cause, event, effect",
        "Select the owner",
        "Select H/M/L",
        "Select H/M/L",
        "Colour the cell",
        "What we do about it",
        "Select from list",
        "dd/mm/yyyy",
        "",
    ]
    for col, text in enumerate(hints, start=1):
        risks.cell(row=6, column=col, value=text)
    row = 7
    for risk in RISKS:
        ref, raised, text, owner, p, i, colour, mitigation, status, target = risk
        values = [
            ref,
            raised,
            text,
            owner,
            p,
            i,
            None,
            mitigation,
            status,
            target,
            "Reviewed at board" if status == "Closed" else None,
        ]
        for col, value in enumerate(values, start=1):
            risks.cell(row=row, column=col, value=value)
        risks.cell(row=row, column=7).fill = PatternFill("solid", fgColor=colour)
        row += 1
    for col, value in enumerate(RISKS[4][:6], start=1):  # pasted twice by mistake
        risks.cell(row=row, column=col, value=value)
    for col, value in enumerate(RISKS[4][7:], start=8):
        risks.cell(row=row, column=col, value=value)
    risks.cell(row=row, column=7).fill = PatternFill("solid", fgColor=RISKS[4][6])
    row += 1
    for number in range(len(RISKS) + 1, len(RISKS) + 4):  # numbered, never filled in
        risks.cell(row=row, column=1, value=f"R{number:03d}")
        row += 1
    risks.cell(row=row + 2, column=1, value="Key: H = High, M = Medium, L = Low")
    risks.cell(row=row + 3, column=1, value="RAG: Red = act now, Amber = watch, Green = OK")

    issues = book.create_sheet("Issues")
    issues["A1"] = "Issue Log"
    for col, text in enumerate(
        [
            "Issue No.",
            "Date Raised",
            "Issue Description",
            "Assigned To",
            "Priority",
            "Resolution",
            "Status",
        ],
        start=1,
    ):
        issues.cell(row=3, column=col, value=text)
    for offset, issue in enumerate(ISSUES, start=4):
        for col, value in enumerate(issue, start=1):
            issues.cell(row=offset, column=col, value=value or None)

    actions = book.create_sheet("Actions")
    for col, text in enumerate(["Action", "Actionee", "Due Date", "Status", "% Complete"], start=1):
        actions.cell(row=1, column=col, value=text)
    for offset, action in enumerate(ACTIONS, start=2):
        for col, value in enumerate(action, start=1):
            actions.cell(row=offset, column=col, value=value)

    decisions = book.create_sheet("Decisions")
    for col, text in enumerate(
        ["Decision", "Rationale", "Decided By", "Decision Date", "Status"], start=1
    ):
        decisions.cell(row=2, column=col, value=text)
    for offset, decision in enumerate(DECISIONS, start=3):
        for col, value in enumerate(decision, start=1):
            decisions.cell(row=offset, column=col, value=value)

    lookups = book.create_sheet("Lists")
    for col, (title, words) in enumerate(
        [("Status", ["Open", "In Progress", "Mitigated", "Closed"]), ("Rating", ["H", "M", "L"])],
        start=1,
    ):
        lookups.cell(row=1, column=col, value=title)
        for offset, word in enumerate(words, start=2):
            lookups.cell(row=offset, column=col, value=word)
    out = Path(path)
    book.save(out)
    return out


def write_large_legacy_log(path: str | Path, rows: int, *, seed: int = 7) -> Path:
    """A big legacy risk log for benchmarks: title block, header on row 5, text dates,
    H/M/L scores; written in openpyxl's streaming mode (no merged cells or colours)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Risk Register")
    sheet.append(["Programme Atlas - Risk Register"])
    sheet.append(["Prepared by: PMO", None, "Version 7"])
    sheet.append([])
    sheet.append([])
    sheet.append(
        [
            "Risk ID",
            "Date Raised",
            "Title",
            "Risk Description",
            "Risk Owner",
            "Raised By",
            "Likelihood (H/M/L)",
            "Impact (H/M/L)",
            "Status",
            "Mitigation",
            "Target Date",
            "Category",
            "Comments",
        ]
    )
    owners = [f"Owner {n}" for n in range(40)]
    levels = ["H", "M", "L"]
    statuses = ["Open", "In Progress", "Closed", "Mitigated", "Open"]
    start = date(2019, 1, 1)
    for number in range(1, rows + 1):
        raised = start + timedelta(days=rng.randrange(1500))
        due = raised + timedelta(days=rng.randrange(10, 300))
        sheet.append(
            [
                f"R{number:06d}",
                raised.strftime("%d/%m/%Y"),
                f"Risk {number}: supplier {rng.randrange(500)} may slip milestone {number % 97}",
                f"If the supplier slips, integration testing moves right by {number % 13} weeks",
                rng.choice(owners),
                rng.choice(owners),
                rng.choice(levels),
                rng.choice(levels),
                rng.choice(statuses),
                "Weekly checkpoint with the supplier; contingency budget held",
                due.strftime("%d/%m/%Y"),
                rng.choice(["Schedule", "Financial", "Technical"]),
                "" if number % 3 else "Reviewed at board",
            ]
        )
    target = Path(path)
    book.save(target)
    return target


if __name__ == "__main__":
    written = write_sample(sys.argv[1] if len(sys.argv) > 1 else "legacy-raid-log.xlsx")
    print(written)
