"""MADR and adr-tools records in: decisions with their supersede links, reported like a
spreadsheet import (every skipped file and why, nothing dropped silently)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Decision, ImportRejected, Register
from raidlog.migrate.madr import import_folder
from raidlog.model.values import Relation

# As adr-tools (npryce/adr-tools) writes them: `adr new` and `adr new -s 1`.
ADR_TOOLS = {
    "0001-record-architecture-decisions.md": """# 1. Record architecture decisions

Date: 2024-12-03

## Status

Superseded by [2. Use MADR for decisions](0002-use-madr-for-decisions.md)

## Context

We need to record the architectural decisions made on this project.

## Decision

We will use Architecture Decision Records, as described by Michael Nygard.

## Consequences

See Michael Nygard's article, linked above.
""",
    "0002-use-madr-for-decisions.md": """# 2. Use MADR for decisions

Date: 2024-12-10

## Status

Accepted

Supersedes [1. Record architecture decisions](0001-record-architecture-decisions.md)

## Context

Nygard's format has no place for the options considered.

## Decision

We will write MADR records.

## Consequences

Records name their options.
""",
}

# The MADR 4.0.0 template, filled in.
MADR_4 = """---
status: accepted
date: 2024-12-03
decision-makers: [Ana Lee, Bo Chen]
consulted: Security team
informed: Everyone
---

# Use PostgreSQL for the register

## Context and Problem Statement

Several writers on several machines.

## Decision Drivers

* concurrent writers
* backups

## Considered Options

* SQLite
* PostgreSQL

## Decision Outcome

Chosen option: "PostgreSQL", because it takes concurrent writers.

### Consequences

* Good, because writers do not wait.
* Bad, because it needs a server.

### Confirmation

The load test passes.

## Pros and Cons of the Options

### SQLite

* Good, because it is a file.
"""

# The MADR 2.1.2 template: metadata as list items under the title.
MADR_2 = """# Use Markdown Architectural Decision Records

* Status: superseded by [ADR-0003](0003-use-postgresql-for-the-register.md)
* Deciders: Ana Lee
* Date: 2024-11-30

Technical Story: RAID-42

## Context and Problem Statement

We want to record decisions. <!-- optional -->

## Considered Options

* MADR 2.1.2
* Nygard

## Decision Outcome

Chosen option: "MADR 2.1.2", because it is lean.

### Positive Consequences

* Structured records.
"""


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def adr(tmp_path: Path) -> Path:
    return _folder(tmp_path / "adr", ADR_TOOLS)


def _by_title(reg: Register) -> dict[str, Decision]:
    found = {i.title: i for i in reg.items()}
    assert all(isinstance(i, Decision) for i in found.values())
    return found  # type: ignore[return-value]  # checked above


def test_adr_tools_records_become_a_supersede_chain(adr: Path, reg: Register) -> None:
    report = import_folder(adr, reg)
    assert (report.added, report.format) == (2, "madr")
    found = _by_title(reg)
    old, new = found["Record architecture decisions"], found["Use MADR for decisions"]
    assert (old.status, old.superseded_by) == ("superseded", new.ref)
    assert (old.decided_on, old.description) == (
        date(2024, 12, 3),
        "We need to record the architectural decisions made on this project.",
    )
    assert old.decision.startswith("We will use Architecture Decision Records")
    assert old.extra["Consequences"] == "See Michael Nygard's article, linked above."
    assert new.status == "accepted"
    assert [(link.relation, link.target) for link in new.links] == [(Relation.SUPERSEDES, old.ref)]
    assert reg.links(old.ref or "") == [(str(new.ref), Relation.SUPERSEDES, str(old.ref))]


def test_madr_4_front_matter_and_sections(tmp_path: Path, reg: Register) -> None:
    folder = _folder(tmp_path / "decisions", {"0003-use-postgresql-for-the-register.md": MADR_4})
    import_folder(folder, reg)
    (decision,) = reg.items()
    assert isinstance(decision, Decision)
    assert (decision.status, decision.decided_on, decision.decided_by) == (
        "accepted",
        date(2024, 12, 3),
        "Ana Lee, Bo Chen",
    )
    assert decision.options_considered == ("SQLite", "PostgreSQL")
    assert (decision.decision, decision.rationale) == (
        "PostgreSQL",
        "it takes concurrent writers.",
    )
    assert decision.description == "Several writers on several machines."
    # What has no field of its own is kept under its heading.
    assert decision.extra["Consequences"].startswith("* Good, because writers do not wait.")
    assert decision.extra["Decision Drivers"] == "* concurrent writers\n* backups"
    assert decision.extra["Confirmation"] == "The load test passes."
    assert decision.extra["consulted"] == "Security team"
    assert decision.extra["SQLite"] == "* Good, because it is a file."
    assert decision.extra["source_ref"] == "0003-use-postgresql-for-the-register.md"


def test_madr_2_metadata_lines_and_a_link_by_file(tmp_path: Path, reg: Register) -> None:
    folder = _folder(
        tmp_path / "decisions",
        {"0001-use-madr.md": MADR_2, "0003-use-postgresql-for-the-register.md": MADR_4},
    )
    report = import_folder(folder, reg)
    assert not report.flagged, report.summary()
    found = _by_title(reg)
    old = found["Use Markdown Architectural Decision Records"]
    new = found["Use PostgreSQL for the register"]
    assert (old.status, old.superseded_by, old.decided_by) == ("superseded", new.ref, "Ana Lee")
    assert old.decided_on == date(2024, 11, 30)
    assert old.extra["Technical Story"] == "RAID-42"
    assert old.description == "We want to record decisions."
    assert old.extra["Positive Consequences"] == "* Structured records."
    assert [link.target for link in new.links] == [old.ref]


def test_every_file_left_out_is_reported_with_why(adr: Path, reg: Register) -> None:
    (adr / "README.md").write_text("# Decisions\n", encoding="utf-8")
    (adr / "adr-template.md").write_text("# {title}\n", encoding="utf-8")
    (adr / "diagram.png").write_bytes(b"\x89PNG")
    (adr / ".adr-dir").write_text("doc/adr", encoding="utf-8")
    (adr / "drafts").mkdir()
    (adr / "0009-elsewhere.md").symlink_to(adr / "README.md")
    report = import_folder(adr, reg)
    assert report.added == 2
    skipped = {n.sheet: n.reason for n in report.skipped}
    assert skipped == {
        ".adr-dir": "a hidden file",
        "0009-elsewhere.md": "a symbolic link: not followed",
        "README.md": "an index page, not a decision record",
        "adr-template.md": "a record template, not a decision",
        "diagram.png": "not a Markdown file",
        "drafts": "a folder: records are read from the folder itself only",
    }
    assert "6 skipped" in report.summary()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("No title here, just text.\n", "no '# Title' line"),
        ("---\nstatus: [unclosed\n---\n# T\n", "front matter is not valid YAML"),
        ("---\nstatus: accepted\n# T\n", "never ends"),
        ("---\n- a\n- b\n---\n# T\n", "not a list of key: value lines"),
    ],
)
def test_a_record_that_cannot_be_read_rejects_the_import(
    adr: Path, reg: Register, text: str, reason: str
) -> None:
    (adr / "0003-broken.md").write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"0003-broken\.md") as caught:
        import_folder(adr, reg)
    assert reason in caught.value.report.rejected[0].reason  # type: ignore[attr-defined]  # carried
    assert len(reg) == 0


def test_keep_valid_imports_the_others(adr: Path, reg: Register) -> None:
    (adr / "0003-broken.md").write_bytes(b"# Caf\xe9\n")
    report = import_folder(adr, reg, keep_valid=True)
    assert report.added == 2
    (rejected,) = report.rejected
    assert (rejected.sheet, rejected.reason) == ("0003-broken.md", "not UTF-8 text (byte 5)")


def test_dry_run_writes_nothing(adr: Path, reg: Register) -> None:
    report = import_folder(adr, reg, dry_run=True)
    assert (report.added, len(reg)) == (2, 0)


def test_importing_again_changes_nothing_and_a_new_record_is_added(
    adr: Path, reg: Register
) -> None:
    import_folder(adr, reg)
    again = import_folder(adr, reg)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    (adr / "0003-third.md").write_text(
        "# 3. Third\n\nDate: 2024-12-20\n\n## Status\n\nProposed\n", encoding="utf-8"
    )
    third = import_folder(adr, reg)
    assert (third.added, third.unchanged) == (1, 2)
    assert len(reg) == 3


def test_an_accepted_decision_a_record_changes_is_rejected(adr: Path, reg: Register) -> None:
    import_folder(adr, reg)
    path = adr / "0002-use-madr-for-decisions.md"
    path.write_text(path.read_text(encoding="utf-8").replace("MADR records", "Y"), encoding="utf-8")
    with pytest.raises(ImportRejected, match="accepted"):
        import_folder(adr, reg)
    assert _by_title(reg)["Use MADR for decisions"].decision == "We will write MADR records."


def test_a_link_to_no_record_is_flagged_and_kept(tmp_path: Path, reg: Register) -> None:
    folder = _folder(
        tmp_path / "adr",
        {"0002-b.md": "# 2. B\n\n## Status\n\nSuperseded by [9. Gone](0009-gone.md)\n"},
    )
    report = import_folder(folder, reg)
    (decision,) = reg.items()
    assert decision.extra["superseded_by"] == "0009-gone.md"
    assert any("names no record" in n.reason for n in report.flagged)


def test_an_unknown_status_is_read_as_proposed_and_kept(tmp_path: Path, reg: Register) -> None:
    folder = _folder(
        tmp_path / "adr", {"0001-a.md": "---\nstatus: Under review by CAB\n---\n# A\n"}
    )
    report = import_folder(folder, reg)
    (decision,) = reg.items()
    assert decision.status == "proposed"
    assert decision.extra["status"] == "Under review by CAB"
    assert report.flagged


def test_a_folder_that_is_not_there_is_an_import_error(tmp_path: Path, reg: Register) -> None:
    with pytest.raises(ImportRejected, match="not a folder"):
        import_folder(tmp_path / "missing", reg)


def test_yaml_aliases_cannot_blow_up_the_import(tmp_path: Path, reg: Register) -> None:
    # A "billion laughs" front matter: nine levels of nine aliases would be 9**9 strings
    # if anything wrote the value out.
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 9):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        levels.append(f"a{n}: &a{n} [{refs}]")
    text = "---\n" + "\n".join(levels) + "\nstatus: *a8\ndeciders: *a8\n---\n# Laughs\n"
    folder = _folder(tmp_path / "adr", {"0001-laughs.md": text})
    report = import_folder(folder, reg)
    (decision,) = reg.items()
    assert decision.title == "Laughs"
    assert decision.decided_by is None
    assert all(len(str(v)) < 100 for v in decision.extra.values())
    assert any("nested lists: not read" in n.reason for n in report.flagged)


def test_deep_nesting_and_huge_records_are_rejected_by_name(tmp_path: Path, reg: Register) -> None:
    folder = _folder(
        tmp_path / "adr",
        {
            "0001-deep.md": "---\nstatus: " + "[" * 50_000 + "]" * 50_000 + "\n---\n# Deep\n",
            "0002-huge.md": "# Huge\n\n" + "x" * 1_100_000,
        },
    )
    report = import_folder(folder, reg, keep_valid=True)
    reasons = {n.sheet: n.reason for n in report.rejected}
    assert reasons["0001-deep.md"] == "the front matter nests too deep"
    assert "over the 1000000 a record may hold" in reasons["0002-huge.md"]
    assert len(reg) == 0


def test_a_heading_keeps_an_escaped_closing_hash(tmp_path: Path, reg: Register) -> None:
    # Regression: "# \\#" (a title that is "#") lost its escaped "#" as a closing run.
    folder = _folder(
        tmp_path / "adr",
        {"0001-a.md": "# C\\#\n", "0002-b.md": "# Closed heading ##\n"},
    )
    import_folder(folder, reg)
    assert sorted(i.title for i in reg.items()) == ["C#", "Closed heading"]


_PIECES = st.sampled_from(
    [
        "---\n",
        "# ",
        "## ",
        "### ",
        "Status",
        "status: ",
        "Superseded by ",
        "Supersedes ",
        "[2. X](0002-x.md)",
        'Chosen option: "',
        '", because ',
        "* ",
        "  ",
        "\n",
        "Date: ",
        "2024-12-03",
        "&a ",
        "*a",
        "{",
        "[",
        "]",
        "<!--",
        "-->",
        "```",
        "\\",
        "raidlog:\n",
        "  ref: D-0001\n",
        "  extra: {k: [1, 2]}\n",
        "Accepted",
        "Context",
        "Decision Outcome",
    ]
)
_RECORD = st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_RECORD, min_size=1, max_size=3))
def test_any_text_imports_or_is_rejected_by_name(records: list[str]) -> None:
    """Whatever a folder holds, an import that keeps the valid records succeeds and names
    every record it rejects (bad input never escapes as another error)."""
    with tempfile.TemporaryDirectory() as folder, raidlog.open("memory:", actor="a") as reg:
        for number, text in enumerate(records, start=1):
            (Path(folder) / f"{number:04d}-r.md").write_bytes(text.encode("utf-8", "replace"))
        report = import_folder(folder, reg, keep_valid=True)
        assert report.imported + len(report.rejected) == len(records)
        assert len(reg) == report.imported


def test_the_summary_names_each_file_and_line(tmp_path: Path, reg: Register) -> None:
    folder = _folder(
        tmp_path / "adr",
        {"0001-a.md": "---\nstatus: [x\n---\n# A\n", "0002-b.md": "# B\n", "notes.txt": "x"},
    )
    summary = import_folder(folder, reg, keep_valid=True).summary()
    assert "  folder 'adr': 2 record(s) read, 1 decisions, 1 skipped, 1 rejected" in summary
    assert (
        "    0001-a.md (line 2): the front matter is not valid YAML: expected ',' or ']', "
        "but got '<stream end>'\n"
    ) in summary
    assert "    notes.txt: not a Markdown file" in summary


def test_a_records_own_ref_takes_the_registers_one_spelling(tmp_path: Path, reg: Register) -> None:
    """A ref in a record's ``raidlog:`` front matter is a ref like any other: a look-alike
    (lower case, full-width digits) is the ref it looks like, and one that is no decision
    ref at all gives the decision a new number, flagged, instead of failing the import."""
    huge = "D-" + "9" * 20
    head = "---\nstatus: accepted\nraidlog:\n  ref: {}\n---\n# {}\n"
    folder = _folder(
        tmp_path / "adr",
        {
            "0007-a.md": head.format("d-\uff17", "Alpha"),  # a full-width seven
            "0008-b.md": head.format(huge, "Beta"),
        },
    )
    report = import_folder(folder, reg)
    assert report.imported == 2
    assert {i.title: i.ref for i in reg.items("decision")} == {"Alpha": "D-0007", "Beta": "D-0008"}
    assert f"ref {huge} is not a decision ref: imported as D-0008" in report.summary()
