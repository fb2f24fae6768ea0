"""``raidlog import``: summary, report JSON, dry-run mapping and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from migrate_fixtures import encrypted

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
