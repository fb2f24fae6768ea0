"""Registers written in other languages import through the word files, as English ones do.

Each workbook is built here with openpyxl; its sheet name, title block and headings follow
the layout of public templates in that language (noted per test: layout and headings, not
content). Levels are H/M/L words, so on the 5 x 5 matrix high is 5, medium 3, low 1.
"""

# Cyrillic test data has letters that look Latin ones: that is what it tests.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

from datetime import date
from pathlib import Path

from migrate_fixtures import xlsx

from raidlog import Action, Decision, Issue, Risk
from raidlog.migrate import import_file
from raidlog.register import Register


def by_title(reg: Register) -> dict[str, object]:
    return {item.title: item for item in reg.items()}


def test_a_french_risk_register(tmp_path: Path, reg: Register) -> None:
    """Modelled on French public-sector "registre des risques" templates: a title block,
    then N°, Intitulé, Description, Probabilité, Impact, Criticité, Propriétaire, Statut,
    Date d'identification, Échéance, Mesures d'atténuation; levels Élevé / Moyen / Faible."""
    rows = [
        ["Registre des risques du projet"],
        ["Mis à jour le", "12/03/2024"],
        [],
        [
            "N°",
            "Intitulé",
            "Description",
            "Probabilité",
            "Impact",
            "Criticité",
            "Propriétaire",
            "Statut",
            "Date d'identification",
            "Échéance",
            "Mesures d'atténuation",
        ],
        [
            "R-01",
            "Retard du fournisseur",
            "Le fournisseur livre en retard",
            "Élevé",
            "Moyen",
            15,
            "Claire Dupont",
            "Ouvert",
            "3 mars 2024",
            "15/04/2024",
            "Pénalités au contrat",
        ],
        [
            "R-02",
            "Budget réduit",
            "Coupe budgétaire",
            "faible",
            "ÉLEVÉ",
            5,
            "Marc Petit",
            "Clos",
            "1er février 2024",
            "30 avril 2024",
            None,
        ],
    ]
    import_file(xlsx(tmp_path / "registre.xlsx", {"Registre des risques": rows}), reg)
    items = by_title(reg)
    late, cut = items["Retard du fournisseur"], items["Budget réduit"]
    assert isinstance(late, Risk)
    assert isinstance(cut, Risk)
    assert (late.owner, late.status, late.probability, late.impact, late.score) == (
        "Claire Dupont",
        "open",
        5,
        3,
        15,
    )
    assert (late.raised_on, late.due) == (date(2024, 3, 3), date(2024, 4, 15))
    assert late.response == "Pénalités au contrat"
    assert (cut.owner, cut.status, cut.probability, cut.impact, cut.score) == (
        "Marc Petit",
        "closed",
        1,
        5,
        5,
    )
    assert (cut.raised_on, cut.due) == (date(2024, 2, 1), date(2024, 4, 30))


def test_a_german_action_plan(tmp_path: Path, reg: Register) -> None:
    """Modelled on German "Maßnahmenplan" templates: Nr., Maßnahme, Beschreibung,
    Verantwortlich, Fällig am, Status, Fortschritt, Erfasst am."""
    rows = [
        [
            "Nr.",
            "Maßnahme",
            "Beschreibung",
            "Verantwortlich",
            "Fällig am",
            "Status",
            "Fortschritt",
            "Erfasst am",
        ],
        [
            1,
            "Lieferanten anrufen",
            "Liefertermin klären",
            "Jörg Weiß",
            "3. März 2024",
            "In Bearbeitung",
            0.5,
            "01.02.2024",
        ],
        [2, "Vertrag prüfen", None, "Anna Groß", "15.04.2024", "Erledigt", 1, "2. Februar 2024"],
    ]
    import_file(xlsx(tmp_path / "massnahmen.xlsx", {"Maßnahmen": rows}), reg)
    items = by_title(reg)
    call, check = items["Lieferanten anrufen"], items["Vertrag prüfen"]
    assert isinstance(call, Action)
    assert isinstance(check, Action)
    assert (call.owner, call.status, call.progress) == ("Jörg Weiß", "in_progress", 50)
    assert (call.due, call.raised_on) == (date(2024, 3, 3), date(2024, 2, 1))
    assert (check.owner, check.status, check.progress) == ("Anna Groß", "done", 100)
    assert (check.due, check.raised_on) == (date(2024, 4, 15), date(2024, 2, 2))


def test_a_spanish_issue_log(tmp_path: Path, reg: Register) -> None:
    """Modelled on Spanish "registro de incidencias" templates: Código, Incidencia,
    Descripción, Gravedad, Prioridad, Responsable, Estado, Fecha de apertura, Fecha de
    cierre, Resolución; priorities Alta / Media / Baja."""
    rows = [
        ["Registro de incidencias"],
        [],
        [
            "Código",
            "Incidencia",
            "Descripción",
            "Gravedad",
            "Prioridad",
            "Responsable",
            "Estado",
            "Fecha de apertura",
            "Fecha de cierre",
            "Resolución",
        ],
        [
            "INC-1",
            "Servidor caído",
            "El servidor no responde",
            "Alta",
            "Alta",
            "Lucía Pérez",
            "Abierto",
            "3 de marzo de 2024",
            None,
            None,
        ],
        [
            "INC-2",
            "Licencias vencidas",
            None,
            "Media",
            "Baja",
            "José Núñez",
            "Cerrado",
            "10/03/2024",
            "1º de abril de 2024",
            "Renovadas",
        ],
    ]
    import_file(xlsx(tmp_path / "incidencias.xlsx", {"Incidencias": rows}), reg)
    items = by_title(reg)
    down, licences = items["Servidor caído"], items["Licencias vencidas"]
    assert isinstance(down, Issue)
    assert isinstance(licences, Issue)
    assert (down.owner, down.status, down.priority, down.severity) == (
        "Lucía Pérez",
        "open",
        "high",
        "Alta",
    )
    assert down.raised_on == date(2024, 3, 3)
    assert (licences.status, licences.priority, licences.resolution) == (
        "closed",
        "low",
        "Renovadas",
    )
    assert (licences.raised_on, licences.closed_on) == (date(2024, 3, 10), date(2024, 4, 1))


def test_a_portuguese_decision_log(tmp_path: Path, reg: Register) -> None:
    """Modelled on Brazilian "registro de decisões" templates: ID, Decisão, Descrição,
    Justificativa, Decidido por, Data da decisão, Situação."""
    rows = [
        [
            "ID",
            "Decisão",
            "Descrição",
            "Justificativa",
            "Decidido por",
            "Data da decisão",
            "Situação",
        ],
        [
            "D1",
            "Adotar o fornecedor A",
            "Contrato de três anos",
            "Menor custo",
            "Comitê",
            "3 de março de 2024",
            "Aprovada",
        ],
        ["D2", "Adiar a migração", None, "Equipe reduzida", "João", "12/04/2024", "Proposta"],
    ]
    import_file(xlsx(tmp_path / "decisoes.xlsx", {"Registro de decisões": rows}), reg)
    items = by_title(reg)
    vendor, delay = items["Adotar o fornecedor A"], items["Adiar a migração"]
    assert isinstance(vendor, Decision)
    assert isinstance(delay, Decision)
    assert (vendor.status, vendor.decided_by, vendor.rationale) == (
        "accepted",
        "Comitê",
        "Menor custo",
    )
    assert vendor.decided_on == date(2024, 3, 3)
    assert (delay.status, delay.decided_by, delay.decided_on) == (
        "proposed",
        "João",
        date(2024, 4, 12),
    )


def test_an_italian_risk_register(tmp_path: Path, reg: Register) -> None:
    """Modelled on Italian "registro dei rischi" templates: ID, Rischio, Descrizione,
    Probabilità, Impatto, Responsabile, Stato, Data di identificazione, Scadenza; levels
    Alta / Media / Bassa."""
    rows = [
        [
            "ID",
            "Rischio",
            "Descrizione",
            "Probabilità",
            "Impatto",
            "Responsabile",
            "Stato",
            "Data di identificazione",
            "Scadenza",
        ],
        [
            "R1",
            "Ritardo fornitore",
            "Consegna in ritardo",
            "Alta",
            "Bassa",
            "Giulia Rossi",
            "Aperto",
            "12 maggio 2024",
            "30/06/2024",
        ],
        [
            "R2",
            "Perdita di dati",
            None,
            "Media",
            "Alta",
            "Luca Bianchi",
            "Chiuso",
            "1 aprile 2024",
            "15 giugno 2024",
        ],
    ]
    import_file(xlsx(tmp_path / "rischi.xlsx", {"Registro dei rischi": rows}), reg)
    items = by_title(reg)
    late, data_loss = items["Ritardo fornitore"], items["Perdita di dati"]
    assert isinstance(late, Risk)
    assert isinstance(data_loss, Risk)
    assert (late.owner, late.status, late.probability, late.impact, late.score) == (
        "Giulia Rossi",
        "open",
        5,
        1,
        5,
    )
    assert (late.raised_on, late.due) == (date(2024, 5, 12), date(2024, 6, 30))
    assert (data_loss.status, data_loss.probability, data_loss.impact) == ("closed", 3, 5)
    assert (data_loss.raised_on, data_loss.due) == (date(2024, 4, 1), date(2024, 6, 15))


def test_a_dutch_raid_log_with_a_type_column(tmp_path: Path, reg: Register) -> None:
    """Modelled on Dutch "RAID-log" / "risicologboek" templates: one table, a Soort
    (type) column naming Risico / Actie / Issue / Besluit, Omschrijving, Eigenaar, Status,
    Datum gemeld, Streefdatum."""
    rows = [
        ["Nr", "Soort", "Omschrijving", "Eigenaar", "Status", "Datum gemeld", "Streefdatum"],
        [1, "Risico", "Leverancier te laat", "Sanne de Vries", "Open", "3 maart 2024", None],
        [2, "Actie", "Leverancier bellen", "Bram Jansen", "Afgerond", "4-3-2024", "14-03-2024"],
        [3, "Issue", "Server uitgevallen", "Eva Bakker", "Gesloten", "5 mrt 2024", None],
        [4, "Besluit", "Kiezen voor leverancier B", "Stuurgroep", "Besloten", "6/3/2024", None],
    ]
    import_file(xlsx(tmp_path / "raid.xlsx", {"RAID": rows}), reg)
    items = by_title(reg)
    assert {title: type(item) for title, item in items.items()} == {
        "Leverancier te laat": Risk,
        "Leverancier bellen": Action,
        "Server uitgevallen": Issue,
        "Kiezen voor leverancier B": Decision,
    }
    risk = items["Leverancier te laat"]
    action = items["Leverancier bellen"]
    issue = items["Server uitgevallen"]
    decision = items["Kiezen voor leverancier B"]
    assert isinstance(risk, Risk)
    assert isinstance(action, Action)
    assert isinstance(issue, Issue)
    assert isinstance(decision, Decision)
    assert (risk.owner, risk.status, risk.raised_on) == ("Sanne de Vries", "open", date(2024, 3, 3))
    assert (action.status, action.raised_on, action.due) == (
        "done",
        date(2024, 3, 4),
        date(2024, 3, 14),
    )
    assert (issue.status, issue.raised_on) == ("closed", date(2024, 3, 5))
    assert (decision.status, decision.raised_on) == ("accepted", date(2024, 3, 6))


def test_a_polish_risk_register(tmp_path: Path, reg: Register) -> None:
    """Modelled on Polish "rejestr ryzyk" templates of public administration: Lp., Nazwa
    ryzyka, Opis, Prawdopodobieństwo, Wpływ, Właściciel ryzyka, Status, Data identyfikacji,
    Termin; levels Wysokie / Średnie / Niskie."""
    rows = [
        ["Rejestr ryzyk projektu"],
        [
            "Lp.",
            "Nazwa ryzyka",
            "Opis",
            "Prawdopodobieństwo",
            "Wpływ",
            "Właściciel ryzyka",
            "Status",
            "Data identyfikacji",
            "Termin",
        ],
        [
            1,
            "Opóźnienie dostawcy",
            "Dostawa po terminie",
            "Wysokie",
            "Średnie",
            "Łukasz Nowak",
            "Otwarte",
            "15 października 2024",
            "3.12.2024",
        ],
        [
            2,
            "Brak budżetu",
            None,
            "niskie",
            "wysokie",
            "Zofia Wójcik",
            "Zamknięte",
            "1.10.2024",
            "20 listopada 2024",
        ],
    ]
    import_file(xlsx(tmp_path / "ryzyka.xlsx", {"Rejestr ryzyk": rows}), reg)
    items = by_title(reg)
    late, budget = items["Opóźnienie dostawcy"], items["Brak budżetu"]
    assert isinstance(late, Risk)
    assert isinstance(budget, Risk)
    assert (late.owner, late.status, late.probability, late.impact, late.score) == (
        "Łukasz Nowak",
        "open",
        5,
        3,
        15,
    )
    assert (late.raised_on, late.due) == (date(2024, 10, 15), date(2024, 12, 3))
    assert (budget.owner, budget.status, budget.probability, budget.impact) == (
        "Zofia Wójcik",
        "closed",
        1,
        5,
    )
    assert (budget.raised_on, budget.due) == (date(2024, 10, 1), date(2024, 11, 20))


def test_a_russian_issue_log(tmp_path: Path, reg: Register) -> None:
    """Modelled on Russian "журнал проблем" templates: №, Проблема, Описание,
    Серьёзность, Ответственный, Статус, Дата выявления, Срок, Дата закрытия (Cyrillic
    throughout, dates such as "3 марта 2024 г.")."""
    rows = [
        ["Журнал проблем проекта"],
        [],
        [
            "№",
            "Проблема",
            "Описание",
            "Серьёзность",
            "Ответственный",
            "Статус",
            "Дата выявления",
            "Срок",
            "Дата закрытия",
        ],
        [
            "П-1",
            "Сервер недоступен",
            "Сервер не отвечает",
            "Высокая",
            "Иван Петров",
            "В работе",
            "3 марта 2024 г.",
            "10.03.2024",
            None,
        ],
        [
            "П-2",
            "Истекли лицензии",
            None,
            "Средняя",
            "Ольга Смирнова",
            "Закрыт",
            "01.03.2024",
            "15 марта 2024",
            "14 марта 2024",
        ],
    ]
    import_file(xlsx(tmp_path / "problemy.xlsx", {"Журнал проблем": rows}), reg)
    items = by_title(reg)
    down, licences = items["Сервер недоступен"], items["Истекли лицензии"]
    assert isinstance(down, Issue)
    assert isinstance(licences, Issue)
    assert (down.owner, down.status, down.severity) == ("Иван Петров", "investigating", "Высокая")
    assert (down.raised_on, down.due) == (date(2024, 3, 3), date(2024, 3, 10))
    assert (licences.owner, licences.status) == ("Ольга Смирнова", "closed")
    assert (licences.raised_on, licences.due, licences.closed_on) == (
        date(2024, 3, 1),
        date(2024, 3, 15),
        date(2024, 3, 14),
    )


def test_a_sheet_of_closed_items_named_in_another_language(tmp_path: Path, reg: Register) -> None:
    """Closed items kept on their own sheet, as French and Russian registers do
    ("Risques clôturés", "Закрытые риски"), with no status column."""
    sheets = {
        "Risques clôturés": [["N°", "Intitulé", "Propriétaire"], ["R1", "Retard", "Claire"]],
        "Закрытые риски": [["№", "Название", "Владелец"], ["R2", "Задержка", "Иван"]],
    }
    import_file(xlsx(tmp_path / "clos.xlsx", sheets), reg)
    assert {item.title: item.status for item in reg.items()} == {
        "Retard": "closed",
        "Задержка": "closed",
    }
