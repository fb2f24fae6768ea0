"""Import safety: all or nothing, keep-valid, idempotent re-import, recorded sources."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from migrate_fixtures import csv_file, xlsx

import raidlog
from raidlog import ImportRejected, Risk, ValidationError
from raidlog.migrate import import_file, load_mapping
from raidlog.register import Register

HEADER = ["Risk ID", "Title", "Owner", "Status", "Date Raised", "Target Date"]
V1 = [
    HEADER,
    ["R1", "Vendor late", "Ana", "Open", "01/02/2024", "01/03/2024"],
    ["R2", "Budget cut", "Ben", "Open", "02/02/2024", "02/03/2024"],
    ["R3", "Key person leaves", "Cy", "Open", "03/02/2024", "03/03/2024"],
]


def test_every_item_event_records_file_hash_sheet_and_row(tmp_path: Path, reg: Register) -> None:
    path = xlsx(tmp_path / "log.xlsx", {"Risks": V1})
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    import_file(path, reg)
    events = [e for e in reg.events() if e.kind != "profile"]  # the chained profile first
    assert [e.channel for e in events] == ["import"] * 3
    assert events[1].source == f"log.xlsx sha256:{sha} sheet:Risks row:3"
    assert reg.channel == "api"  # restored after the import
    assert reg.verify().ok


class _ChannelWatcher:
    """Sees the register while the import writes (as another thread would)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str]]] = []

    @raidlog.hookimpl
    def notify(self, events: list[raidlog.Event], register: Register) -> None:
        self.seen.append((register.channel, [e.channel for e in events]))


def test_an_import_never_changes_the_registers_channel(tmp_path: Path) -> None:
    watcher = _ChannelWatcher()
    with raidlog.open("memory:", actor="migrator", plugins=[watcher]) as reg:
        import_file(xlsx(tmp_path / "log.xlsx", {"Risks": V1}), reg)
        reg.add(Risk(title="typed in by hand"))
    assert watcher.seen == [("api", ["import"] * 3), ("api", ["api"])]


def test_a_madr_import_never_changes_the_registers_channel(tmp_path: Path) -> None:
    from raidlog.migrate.madr import import_folder

    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-use-one-register.md").write_text(
        "# 1. Use one register\n\nDate: 2024-12-03\n\n## Status\n\nAccepted\n\n"
        "## Context\n\nSpreadsheets drift.\n\n## Decision\n\nOne register.\n",
        encoding="utf-8",
    )
    watcher = _ChannelWatcher()
    with raidlog.open("memory:", actor="migrator", plugins=[watcher]) as reg:
        import_folder(folder, reg)
    assert watcher.seen == [("api", ["import"])]


def test_same_file_twice_changes_nothing(tmp_path: Path, reg: Register) -> None:
    path = xlsx(tmp_path / "log.xlsx", {"Risks": V1})
    import_file(path, reg)
    before = list(reg.events())
    again = import_file(path, reg)
    assert list(reg.events()) == before
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)


def test_a_newer_version_updates_matched_items_and_never_duplicates(
    tmp_path: Path, reg: Register
) -> None:
    import_file(xlsx(tmp_path / "v1.xlsx", {"Risks": V1}), reg)
    v2 = [
        HEADER,
        ["R0", "New risk at the top", "Dee", "Open", "05/02/2024", ""],
        ["R1", "Vendor late", "Ana", "Closed", "01/02/2024", "01/03/2024"],
        ["R2", "Budget cut by 10%", "Ben", "Open", "02/02/2024", "02/03/2024"],
        V1[3],
    ]
    report = import_file(xlsx(tmp_path / "v2.xlsx", {"Risks": v2}), reg)
    assert (report.added, report.updated, report.unchanged) == (1, 2, 1)
    by_source = {i.extra["source_ref"]: i for i in reg.items()}
    assert len(by_source) == len(reg) == 4
    assert by_source["R1"].status == "closed"
    assert by_source["R2"].title == "Budget cut by 10%"
    last = reg.history(by_source["R2"])[-1]
    assert (last.action, last.source and "v2.xlsx" in last.source) == ("update", True)
    assert reg.verify().ok


def test_rows_without_ids_are_matched_by_sheet_and_row(tmp_path: Path, reg: Register) -> None:
    rows = [["Title", "Owner"], ["a", "Ana"], ["b", "Ben"]]
    import_file(xlsx(tmp_path / "v1.xlsx", {"Risks": rows}), reg)
    rows[2][1] = "Bea"
    report = import_file(xlsx(tmp_path / "v2.xlsx", {"Risks": rows}), reg)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert [i.owner for i in reg.items()] == ["Ana", "Bea"]


def test_levels_outside_the_matrix_are_kept_as_written(tmp_path: Path, reg: Register) -> None:
    rows = [
        ["Title", "Likelihood", "Impact", "Risk Score"],
        ["fine", 2, 2, 4],
        ["x" * 10, 9, 9, 81],
    ]
    # The default 5 x 5 matrix cannot hold 9 x 9: the values are kept as text, not lost.
    report = import_file(csv_file(tmp_path / "a.csv", rows), reg)
    assert len(reg) == 2
    assert any("outside the scale" in n.reason for n in report.flagged)


def test_one_invalid_row_rejects_the_file_and_writes_nothing(
    tmp_path: Path, reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = xlsx(
        tmp_path / "x.xlsx",
        {"Risks": [["Title", "Due"], ["fine", "2024-01-01"], ["also fine", "2024-01-02"]]},
    )
    original = Risk.__attrs_post_init__

    def refuse(self: Risk) -> None:
        original(self)
        if self.title == "also fine":
            raise raidlog.ValidationError("refused for the test", field="title")

    monkeypatch.setattr(Risk, "__attrs_post_init__", refuse)
    with pytest.raises(ImportRejected) as caught:
        import_file(path, reg)
    assert (caught.value.sheet, caught.value.row) == ("Risks", 3)
    assert "--keep-valid" in str(caught.value)
    assert len(reg) == 0
    assert not list(reg.events())
    report = import_file(path, reg, keep_valid=True)
    assert [i.title for i in reg.items()] == ["fine"]
    assert [(n.row, n.reason) for n in report.rejected] == [(3, "refused for the test")]


def test_dry_run_writes_nothing_and_gives_an_editable_mapping(
    tmp_path: Path, reg: Register
) -> None:
    path = xlsx(tmp_path / "log.xlsx", {"Risks": V1})
    report = import_file(path, reg, dry_run=True)
    assert len(reg) == 0
    assert report.added == 3
    edited = report.mapping_toml.replace('"Owner" = "owner"', '"Owner" = "extra"')
    mapping_file = tmp_path / "mapping.toml"
    mapping_file.write_text(edited, encoding="utf-8")
    import_file(path, reg, mapping=mapping_file)
    first = next(reg.items())
    assert (first.owner, first.extra["Owner"]) == (None, "Ana")


def test_a_mapping_overrides_header_row_kind_and_date_order(tmp_path: Path, reg: Register) -> None:
    rows = [["Stuff", "Thing"], ["Widget", "01/02/2024"]]
    mapping = load_mapping(
        {
            "table": [
                {
                    "sheet": "data",
                    "header_row": 1,
                    "kind": "action",
                    "date_order": "mdy",
                    "columns": {"Stuff": "title", "Thing": "due"},
                }
            ]
        }
    )
    import_file(csv_file(tmp_path / "data.csv", rows), reg, mapping=mapping)
    (action,) = reg.items()
    assert (action.kind, action.title, action.due and action.due.isoformat()) == (
        "action",
        "Widget",
        "2024-01-02",
    )


def test_a_bad_mapping_is_rejected_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="not a field"):
        load_mapping({"table": [{"sheet": "x", "columns": {"A": "nonsense"}}]})


def test_report_json_lists_tables_columns_and_rows(tmp_path: Path, reg: Register) -> None:
    rows = [*V1, V1[1]]
    report = import_file(xlsx(tmp_path / "log.xlsx", {"Risks": rows}), reg)
    data = json.loads(report.to_json())
    (table,) = data["tables"]
    assert (table["sheet"], table["header_row"], table["kind"], table["imported"]) == (
        "Risks",
        1,
        "risk",
        3,
    )
    assert {"header": "Owner", "column": "C", "field": "owner"} in table["columns"]
    assert table["skipped"] == [{"sheet": "Risks", "row": 5, "reason": "exact duplicate of row 2"}]
    assert data["items"] == {"added": 3, "updated": 0, "unchanged": 0}


def test_a_re_import_that_changes_a_closed_item_names_its_row(
    tmp_path: Path, reg: Register
) -> None:
    rows = [HEADER, ["R1", "Vendor late", "Ana", "Closed", "", ""], V1[2]]
    import_file(xlsx(tmp_path / "v1.xlsx", {"Risks": rows}), reg)
    rows[1] = ["R1", "Vendor very late", "Ana", "Closed", "", ""]
    rows[2] = ["R2", "Budget cut by half", "Ben", "Open", "", ""]
    newer = xlsx(tmp_path / "v2.xlsx", {"Risks": rows})
    with pytest.raises(ImportRejected, match="closed") as caught:
        import_file(newer, reg)
    assert (caught.value.sheet, caught.value.row) == ("Risks", 2)
    report = import_file(newer, reg, keep_valid=True)
    assert [(n.row, "closed" in n.reason) for n in report.rejected] == [(2, True)]
    assert [i.title for i in reg.items()] == ["Vendor late", "Budget cut by half"]


def test_linked_item_cells_become_typed_links(tmp_path: Path, reg: Register) -> None:
    sheets = {
        "Actions": [
            ["Action ID", "Action", "Related Risks"],
            ["A1", "Call vendor", "R1"],
            ["A2", "Check budget", "R2; R9"],
        ],
        "Risks": [
            ["Risk ID", "Title", "Dependencies"],
            ["R1", "Vendor late", ""],
            ["R2", "Cut", "R1"],
        ],
    }
    report = import_file(xlsx(tmp_path / "links.xlsx", sheets), reg)
    by_source = {i.extra["source_ref"]: i for i in reg.items()}
    assert [(str(link.relation), link.target) for link in by_source["A1"].links] == [
        ("relates_to", by_source["R1"].ref)
    ]
    assert [(str(link.relation), link.target) for link in by_source["R2"].links] == [
        ("depends_on", by_source["R1"].ref)
    ]
    assert by_source["A2"].extra["Related Risks"] == "R2; R9"  # the text is kept as well
    assert [n.reason for n in report.flagged] == ["'R9' names no item: kept as text in extra"]
    assert reg.verify().ok
    again = import_file(xlsx(tmp_path / "links.xlsx", sheets), reg)
    assert (again.added, again.updated) == (0, 0)


def test_import_into_a_sqlite_register_is_one_transaction_and_repeatable(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "log.xlsx", {"Risks": V1})
    location = str(tmp_path / "raid.db")
    try:
        register = raidlog.open(location, actor="pmo")
    except raidlog.BackendNotFoundError:
        pytest.skip("no SQLite backend installed")
    with register:
        first = import_file(path, register)
        again = import_file(path, register)
        assert (first.added, again.unchanged, len(register)) == (3, 3, 3)
        assert register.verify().ok


def test_a_first_import_larger_than_a_slice_writes_once_on_the_import_channel(
    tmp_path: Path, reg: Register
) -> None:
    """A first import takes the bulk add path (issue 14), which streams slices of 5,000:
    every row is still one event of the one import write, counted and listed."""
    rows = [HEADER, *([f"R{n}", f"Risk {n}", "Ana", "Open", "01/02/2024", ""] for n in range(5203))]
    path = csv_file(tmp_path / "log.csv", rows)
    report = import_file(path, reg)
    assert (report.added, len(report.refs), report.refs[-1]) == (5203, 5203, "R-5203")
    events = [e for e in reg.events() if e.kind != "profile"]
    assert len(events) == 5203
    assert {e.channel for e in events} == {"import"}
    assert reg.verify().ok
    again = import_file(path, reg)
    assert (again.added, again.unchanged, again.updated) == (0, 5203, 0)


def test_add_many_records_its_events_on_the_channel_it_is_given(reg: Register) -> None:
    reg.add_many([Risk(title="a"), Risk(title="b")], channel="import")
    assert [e.channel for e in reg.events() if e.kind != "profile"] == ["import", "import"]
    assert reg.channel == "api"
    with pytest.raises(ValidationError, match="channel"):
        reg.add_many([Risk(title="c")], channel="fax")
