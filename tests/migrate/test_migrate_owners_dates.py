"""Owners and dates under other names: who owns or does the item, and any "... date"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from migrate_fixtures import xlsx

from raidlog import Action, Risk
from raidlog.migrate import import_file
from raidlog.migrate.headers import candidates
from raidlog.register import Register


def test_a_risks_implementation_lead_is_its_actionee(tmp_path: Path, reg: Register) -> None:
    rows = [
        ["Risk ID", "Risk", "Risk Owner", "Implementation Lead", "Status"],
        ["R1", "Vendor late", "Ana", "Ben", "Open"],
    ]
    import_file(xlsx(tmp_path / "risks.xlsx", {"Risks": rows}), reg)
    (risk,) = reg.items()
    assert isinstance(risk, Risk)
    assert (risk.owner, risk.actionee) == ("Ana", "Ben")


def test_raci_accountable_owns_an_action_and_responsible_does_it(
    tmp_path: Path, reg: Register
) -> None:
    rows = [
        ["Action", "Responsible", "Accountable", "Due Date", "Status"],
        ["Call vendor", "Ben", "Ana", "2024-03-01", "Open"],
    ]
    import_file(xlsx(tmp_path / "actions.xlsx", {"Actions": rows}), reg)
    (action,) = reg.items()
    assert isinstance(action, Action)
    assert (action.owner, action.assignee) == ("Ana", "Ben")


@pytest.mark.parametrize(
    "header", ["Lead", "Contact", "Responsible", "Point of contact", "Person", "People"]
)
def test_a_lone_person_column_is_the_owner(tmp_path: Path, reg: Register, header: str) -> None:
    rows = [["Risk ID", "Risk", header, "Status"], ["R1", "Vendor late", "Ana", "Open"]]
    import_file(xlsx(tmp_path / "risks.xlsx", {"Risks": rows}), reg)
    (risk,) = reg.items()
    assert risk.owner == "Ana"


def test_a_lone_implementation_lead_does_the_work_as_a_mitigation_owner_does(
    tmp_path: Path, reg: Register
) -> None:
    rows = [
        ["Risk ID", "Risk", "Implementation lead", "Status"],
        ["R1", "Vendor late", "Ana", "Open"],
    ]
    import_file(xlsx(tmp_path / "risks.xlsx", {"Risks": rows}), reg)
    (risk,) = reg.items()
    assert isinstance(risk, Risk)
    assert (risk.owner, risk.actionee) == (None, "Ana")


def test_an_actions_assignee_beside_its_owner(tmp_path: Path, reg: Register) -> None:
    rows = [
        ["Action", "Owner", "Implementation lead", "Status"],
        ["Call vendor", "Ana", "Ben", "Open"],
    ]
    import_file(xlsx(tmp_path / "actions.xlsx", {"Actions": rows}), reg)
    (action,) = reg.items()
    assert isinstance(action, Action)
    assert (action.owner, action.assignee) == ("Ana", "Ben")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Assessment date", "raised_on"),
        ("Date of assessment", "raised_on"),
        ("Date first logged", "raised_on"),
        ("Risk registration date", "raised_on"),
        ("Reassessment date", "next_review"),
        ("Date of next reassessment", "next_review"),
        ("Planned end date", "due"),
        ("Commitment date", "due"),
        ("Actual end date", "closed_on"),
        ("Closing date", "closed_on"),
        ("Expected decision date", "decided_on"),
        ("Sign-off date", "decided_on"),
        ("Date de revue prévue", "next_review"),
        ("Einddatum", "due"),
        ("Erfassungsdatum", "raised_on"),
    ],
)
def test_a_date_column_is_read_into_the_nearest_field(header: str, field: str) -> None:
    assert candidates(header)[0][0] == field


@pytest.mark.parametrize("header", ["Last updated date", "Date of last review", "Go-live date"])
def test_a_date_raidlog_has_no_field_for_stays_in_extra(header: str) -> None:
    assert candidates(header) == []


def test_date_columns_under_other_names_hold_text_dates(tmp_path: Path, reg: Register) -> None:
    rows = [
        ["Risk ID", "Risk", "Owner", "Assessment date", "Reassessment date", "Closing date"],
        ["R1", "Vendor late", "Ana", "3 March 2024", "1st of June 2024", None],
        ["R2", "Budget cut", "Ben", "04/03/2024", "Jul 2024", "30 April 2024"],
    ]
    import_file(xlsx(tmp_path / "risks.xlsx", {"Risks": rows}), reg)
    late, cut = sorted(reg.items(), key=lambda i: i.title, reverse=True)
    assert isinstance(late, Risk)
    assert (late.raised_on, late.next_review, late.closed_on) == (
        date(2024, 3, 3),
        date(2024, 6, 1),
        None,
    )
    assert (cut.raised_on, cut.next_review, cut.closed_on) == (
        date(2024, 3, 4),
        date(2024, 7, 1),
        date(2024, 4, 30),
    )
    assert "Assessment date" not in late.extra


#: Russian "not assigned" (escaped: its letters look like Latin ones).
NOT_ASSIGNED_RU = "\u041d\u0435 \u043d\u0430\u0437\u043d\u0430\u0447\u0435\u043d"


@pytest.mark.parametrize("text", ["TBC", "To be confirmed.", "à définir", NOT_ASSIGNED_RU, "N. N."])
def test_a_person_column_naming_nobody_leaves_the_field_empty(
    tmp_path: Path, reg: Register, text: str
) -> None:
    rows = [["Risk ID", "Risk", "Owner", "Status"], ["R1", "Vendor late", text, "Open"]]
    import_file(xlsx(tmp_path / "risks.xlsx", {"Risks": rows}), reg)
    (risk,) = reg.items()
    assert risk.owner is None
    assert risk.extra["Owner"] == text


def test_a_heading_in_another_language_switches_the_kind(tmp_path: Path, reg: Register) -> None:
    rows = [
        ["Réf", "Intitulé", "Propriétaire", "Statut"],
        ["Risques ouverts"],
        ["R1", "Retard du fournisseur", "Claire", "Ouvert"],
        ["Actions ouvertes"],
        ["A1", "Appeler le fournisseur", "Marc", "En cours"],
    ]
    import_file(xlsx(tmp_path / "suivi.xlsx", {"Suivi": rows}), reg)
    kinds = {item.title: item.kind for item in reg.items()}
    assert kinds == {"Retard du fournisseur": "risk", "Appeler le fournisseur": "action"}
