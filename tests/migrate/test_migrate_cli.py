"""``raidlog import``: summary, report JSON, dry-run mapping and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from migrate_fixtures import encrypted, xlsx

from raidlog.cli.main import main
from raidlog.migrate.sample import write_sample


def test_import_prints_a_summary_and_writes_the_report(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "legacy.xlsx")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["import", str(sample), "memory:", "--report", str(report), "--as", "pmo"]
    )
    assert result.exit_code == 0, result.output
    assert "items: added 14, updated 0, unchanged 0" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [t["sheet"] for t in data["tables"]] == ["Risks", "Issues", "Actions", "Decisions"]
    assert data["items"]["added"] == 14


def test_dry_run_prints_the_mapping_as_toml(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "legacy.xlsx")
    result = CliRunner().invoke(main, ["import", str(sample), "memory:", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would add 14" in result.output
    toml = result.output.split("# The mapping used", 1)[1]
    assert '[[table]]\nsheet = "Risks"\nheader_row = 5\nkind = "risk"' in toml
    assert '"Risk Owner" = "owner"' in toml


def test_a_rejected_file_exits_4_with_one_clear_line(tmp_path: Path) -> None:
    path = encrypted(tmp_path / "secret.xlsx")
    result = CliRunner().invoke(main, ["import", str(path), "memory:"])
    assert result.exit_code == 4
    assert "raidlog: error: secret.xlsx: the workbook is encrypted" in result.output


def test_sample_workbook_imports_as_documented(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "legacy.xlsx")
    result = CliRunner().invoke(main, ["import", str(sample), "memory:"])
    assert "Risks row 13: exact duplicate of row 11" in result.output
    assert "Risks row 6: hint or instruction row" in result.output


def test_the_docs_show_the_real_output_for_the_corpus_example(corpus: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"
    command = "$ raidlog import prince2-risk-register.xlsx raid.db --as pmo\n"
    page = docs.read_text(encoding="utf-8")
    shown = page.split(command, 1)[1].split("```", 1)[0].rstrip("\n")
    result = CliRunner().invoke(
        main, ["import", str(corpus / "prince2-risk-register.xlsx"), "memory:", "--as", "pmo"]
    )
    assert result.exit_code == 0
    assert result.stdout.rstrip("\n") == shown


def test_dry_run_explains_every_choice(tmp_path: Path) -> None:
    """Modelled on a Jira-style issue tracker exported to a workbook with a 'Read me'
    tab: the dry run says why each sheet has a table or none, the kind votes and the
    winner, each column's field with its confidence and reason, and each skipped row;
    --report holds the same."""
    sheets: dict[str, list[list[object]]] = {
        "Read me": [["How to use this log"], ["Fill one row per issue"]],
        "Sheet1": [
            ["ID", "Summary", "Severity", "Opened", "Resolved", "Owner", "Comments"],
            ["1", "Login fails", "High", "01/02/2024", "03/02/2024", "Sam", "first"],
            ["2", "<describe the issue>", None, None, None, None, None],
        ],
    }
    path = xlsx(tmp_path / "tracker.xlsx", sheets)
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["import", str(path), "memory:", "--dry-run", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    shown = result.stdout.split("\n# The mapping used", 1)[0].splitlines()
    assert shown[1:] == [
        "  sheet 'Read me': no table: no row in the first 60 holds a header raidlog knows",
        "  sheet 'Sheet1' A1:G3: table found: row 1 reads as a header: 6 of 7 headers name "
        "fields ('ID', 'Summary', 'Severity', 'Opened', 'Resolved', 'Owner')",
        "    kind: issue (columns suggest issue (Severity, Opened, Resolved))",
        "      vote: sheet name -> none (Sheet1)",
        "      vote: columns -> issue 3.5 (Severity, Opened, Resolved)",
        "      winner: issue (issue 3.5)",
        "    columns:",
        "      A 'ID' -> ref (kept as extra['source_ref']), confidence 1.00: the header names "
        "it (ref)",
        "      B 'Summary' -> title, confidence 1.00: the header names it (title)",
        "      C 'Severity' -> severity, confidence 0.95: the header names it (severity)",
        "      D 'Opened' -> raised_on, confidence 0.70: a generic header, taken as no other "
        "column claims the field (raised_on)",
        "      E 'Resolved' -> closed_on, confidence 0.70: a generic header, taken as no "
        "other column claims the field (closed_on)",
        "      F 'Owner' -> owner, confidence 1.00: the header names it (owner)",
        "      G 'Comments' -> extra, confidence 0.00: no field has this header",
        "    note: some text dates read either way: read day-first (set date_order in a "
        "mapping file to change it)",
        "    note: no status column: items with a closing date are 'closed'",
        "    rows: 2 read, 1 items, 1 skipped, 0 rejected, 0 flagged",
        "      skipped row 3: template placeholder row ('<describe the issue>' is template "
        "text, not a value)",
        "  items: would add 1, updated 0, unchanged 0",
        f"report written to {report}",
    ]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["no_table"] == {"Read me": "no row in the first 60 holds a header raidlog knows"}
    (table,) = data["tables"]
    assert table["found"].startswith("row 1 reads as a header")
    assert table["kind_votes"][-1] == {
        "source": "columns",
        "kind": "issue",
        "weight": 3.5,
        "evidence": "Severity, Opened, Resolved",
    }
    assert table["column_choices"][2] == {
        "header": "Severity",
        "column": "C",
        "field": "severity",
        "confidence": 0.95,
        "reason": "the header names it (severity)",
    }
    assert table["skipped"] == [
        {
            "sheet": "Sheet1",
            "row": 3,
            "reason": "template placeholder row ('<describe the issue>' is template text, "
            "not a value)",
        }
    ]
