"""`raidlog export --format madr DIR` and `raidlog import DIR` from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from raidlog.cli import main


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), env={"RAIDLOG_ACTOR": "ana"})
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result.stdout + result.stderr


def test_decisions_go_out_as_records_and_come_back(tmp_path: Path) -> None:
    source, target, folder = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "decisions"
    _run("init", str(source))
    _run("add", str(source), "decision", "--title", "Use SQLite")
    _run("add", str(source), "risk", "--title", "Supplier insolvency")
    out = _run("export", str(source), str(folder), "--format", "madr")
    assert "Wrote 1 item(s)" in out
    assert [p.name for p in folder.iterdir()] == ["0001-use-sqlite.md"]
    # A folder that exists says what it is: no --format needed.
    assert "Wrote 1 item(s)" in _run("export", str(source), str(folder))
    dry = _run("import", str(folder), str(target), "--dry-run")
    assert "would add 1" in dry
    out = _run("import", str(folder), str(target), "--report", str(tmp_path / "r.json"))
    assert "folder 'decisions': 1 record(s) read, 1 decisions" in out
    assert "added 1" in out
    listed = _run("list", str(target))
    assert "D-0001" in listed
    assert "Use SQLite" in listed
    assert '"format": "madr"' in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_a_folder_takes_only_the_madr_format(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    _run("init", str(source))
    out = _run("export", str(source), str(tmp_path), "--format", "csv", code=2)
    assert "only --format madr writes into a folder" in out
    out = _run("import", str(tmp_path), str(source), "--pack", code=2)
    assert "apply to spreadsheets, not a folder" in out


def test_a_broken_record_exits_4_with_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-x.md").write_text("no title\n", encoding="utf-8")
    out = _run("import", str(folder), str(tmp_path / "b.db"), code=4)
    assert "0001-x.md" in out
    assert "no '# Title' line" in out
