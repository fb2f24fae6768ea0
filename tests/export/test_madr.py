"""MADR records out: one safe, stable Markdown file per decision, and back again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Decision, Register, Risk
from raidlog.export.madr import escape, record_names, render_record, unescape, write_madr
from raidlog.migrate.madr import import_folder
from raidlog.model.values import UNWRITABLE
from raidlog.testing.strategies import items as item_strategy


@pytest.fixture
def reg() -> Iterator[Register]:
    with raidlog.open("memory:", actor="ana") as register:
        yield register


def _front(text: str) -> dict[str, object]:
    head = text.split("\n---\n", 1)[0].removeprefix("---\n")
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data


def _chain(reg: Register) -> tuple[Decision, Decision, Decision]:
    first = reg.add(
        Decision(
            title="Store the register in SQLite",
            description="One machine, one file.",
            options_considered=("SQLite", "PostgreSQL"),
            decision="SQLite",
            rationale="it needs no server.",
            decided_by="Architecture board",
            status="proposed",
            extra={"Consequences": "Good, because backups are a file copy."},
        )
    )
    first = reg.transition(first, "accepted")
    second = reg.supersede(
        first.ref or "", Decision(title="Move to PostgreSQL", decision="PostgreSQL")
    )
    third = reg.supersede(second.ref or "", Decision(title="Use managed PostgreSQL"))
    return reg.get(first.ref or ""), reg.get(second.ref or ""), third  # type: ignore[return-value]  # decisions


class TestRecords:
    def test_a_record_has_the_madr_structure(self, reg: Register, tmp_path: Path) -> None:
        _chain(reg)
        assert write_madr(reg.items(), tmp_path) == 3
        text = (tmp_path / "0001-store-the-register-in-sqlite.md").read_text(encoding="utf-8")
        front = _front(text)
        assert front["status"] == "superseded by [D-0002](0002-move-to-postgresql.md)"
        assert front["decision-makers"] == "Architecture board"
        headings = re.findall(r"^#+ .*$", text, re.MULTILINE)
        assert headings == [
            "# Store the register in SQLite",
            "## Context and Problem Statement",
            "## Considered Options",
            "## Decision Outcome",
            "### Consequences",
            "## More Information",
        ]
        assert '\nChosen option: "SQLite", because it needs no server.\n' in text
        assert "* SQLite\n* PostgreSQL" in text
        assert "Superseded by [D-0002 Move to PostgreSQL](0002-move-to-postgresql.md)" in text

    def test_the_chain_links_both_ways_with_relative_links(
        self, reg: Register, tmp_path: Path
    ) -> None:
        _chain(reg)
        write_madr(reg.items(), tmp_path)
        middle = (tmp_path / "0002-move-to-postgresql.md").read_text(encoding="utf-8")
        assert (
            "Supersedes [D-0001 Store the register in SQLite](0001-store-the-register-in-sqlite.md)"
            in middle
        )
        assert (
            "Superseded by [D-0003 Use managed PostgreSQL](0003-use-managed-postgresql.md)"
            in middle
        )
        last = _front((tmp_path / "0003-use-managed-postgresql.md").read_text(encoding="utf-8"))
        assert last["status"] == "accepted"
        for target in re.findall(r"\]\(([^)]+)\)", middle):
            assert (tmp_path / target).is_file()

    def test_only_decisions_are_written(self, reg: Register, tmp_path: Path) -> None:
        reg.add(Risk(title="Supplier insolvency"))
        reg.add(Decision(title="Buy, not build"))
        assert write_madr(reg.items(), tmp_path / "adr") == 1
        assert [p.name for p in (tmp_path / "adr").iterdir()] == ["0001-buy-not-build.md"]

    @pytest.mark.parametrize(
        ("title", "name"),
        [
            ("../../etc/passwd", "0007-etc-passwd.md"),
            ("CON", "0007-con.md"),
            ("Café Naïve ÉTÉ", "0007-cafe-naive-ete.md"),
            ("数据库 选择", "0007-数据库-选择.md"),
            ("!!!", "0007-decision.md"),
            ('a/b\\c:d*e?f"g<h>i|j', "0007-a-b-c-d-e-f-g-h-i-j.md"),
            ("x" * 300, "0007-" + "x" * 50 + ".md"),
            ("word " * 40, "0007-" + "-".join(["word"] * 10) + ".md"),
        ],
    )
    def test_file_names_are_safe_for_any_title(self, title: str, name: str) -> None:
        decision = Decision(title=title, ref="D-0007")
        assert record_names([decision]) == {"D-0007": name}

    def test_names_come_from_the_ref_and_never_collide(self) -> None:
        decisions = [
            Decision(title="Same", ref="D-0001"),
            Decision(title="Same", ref="D-12"),
            Decision(title="Same", ref="ADR-12"),
            Decision(title="Same", ref="odd ref"),
        ]
        names = record_names(decisions)
        assert names["D-0001"] == "0001-same.md"
        assert len(set(names.values())) == 4
        assert names["odd ref"] == "odd-ref-same.md"

    def test_text_cannot_break_the_structure_or_inject_html(
        self, reg: Register, tmp_path: Path
    ) -> None:
        hostile = (
            "<script>alert(1)</script>\n# Not a heading\n## Decision Outcome\n---\n"
            "- not a list\n1. not a list\n> not a quote\n[link](javascript:alert(1))\n"
            "<!-- comment -->&amp; `code` *emphasis* | table |\n==="
        )
        reg.add(
            Decision(
                title="# <img src=x onerror=alert(1)>",
                description=hostile,
                decision='A "quoted", because tricky',
                rationale=hostile,
                options_considered=(hostile,),
            )
        )
        write_madr(reg.items(), tmp_path)
        (path,) = tmp_path.iterdir()
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        assert re.findall(r"^#+ .*$", body, re.MULTILINE) == [
            "# \\# \\<img src=x onerror=alert(1)\\>",
            "## Context and Problem Statement",
            "## Considered Options",
            "## Decision Outcome",
        ]
        assert "<" not in body.replace("\\<", "")
        assert not re.search(r"(?<!\\)\]\(javascript", body)  # the bracket is escaped
        for line in body.split("\n"):
            stripped = line.strip()
            if stripped.startswith("* "):
                stripped = stripped[2:]
            assert not re.match(r"^([-+>=]|\d+[.)]|<)", stripped), line

    @pytest.mark.parametrize(
        "text",
        ["plain", "a\\b", "\\*", "1. x", "  - y", "#", '"', "x\\", "&lt;", "a_b_c", "|"],
    )
    def test_escape_is_undone_exactly(self, text: str) -> None:
        assert unescape(escape(text)) == text

    def test_a_renamed_decision_replaces_its_old_record_only(
        self, reg: Register, tmp_path: Path
    ) -> None:
        decision = reg.add(Decision(title="Old title"))
        write_madr(reg.items(), tmp_path)
        (tmp_path / "0001-a-record-of-someone-else.md").write_text("# Theirs\n", encoding="utf-8")
        reg.update(decision, title="New title")
        write_madr(reg.items(), tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "0001-a-record-of-someone-else.md",
            "0001-new-title.md",
        ]

    def test_a_failed_write_leaves_the_previous_record(
        self, reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        reg.add(Decision(title="Keep me"))
        write_madr(reg.items(), tmp_path)
        before = (tmp_path / "0001-keep-me.md").read_text(encoding="utf-8")
        reg.update(reg.get("D-0001"), description="changed")

        def boom(*args: object, **kwargs: object) -> str:
            raise OSError("disk full")

        monkeypatch.setattr("raidlog.export.madr.render_record", boom)
        with pytest.raises(OSError, match="disk full"):
            write_madr(reg.items(), tmp_path)
        assert (tmp_path / "0001-keep-me.md").read_text(encoding="utf-8") == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["0001-keep-me.md"]

    def test_render_record_needs_no_register(self) -> None:
        decision = Decision(title="Alone", ref="D-0009", status="accepted")
        text = render_record(decision, record_names([decision]))
        assert text.startswith("---\nstatus: accepted\nraidlog:\n  ref: D-0009\n---\n\n# Alone\n")


# The round trip --------------------------------------------------------------------------------
_TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00").filter(
    lambda c: not UNWRITABLE.match(c)
)
_MARKDOWN = st.sampled_from(
    [
        "#",
        "##",
        "*",
        "-",
        "+",
        "1.",
        "2)",
        ">",
        "<b>",
        "&amp;",
        "`",
        "\\",
        "_",
        "[x](y)",
        "|",
        "~",
        '"',
        "---",
        "===",
        "\n",
        "\n\n",
        "    ",
        "\t",
        "é",
        "数据",
        "😀",
        ", because ",
    ]
)
_HOSTILE = st.lists(st.one_of(_MARKDOWN, st.text(_TEXT_CHARS, max_size=6)), max_size=8).map("".join)


def _norm(text: str) -> str:
    return text.strip()


@st.composite
def _decisions(draw: st.DrawFn) -> list[Decision]:
    """Decisions with hostile text, some of which supersede others."""
    count = draw(st.integers(1, 5))
    out = []
    for _ in range(count):
        base = draw(item_strategy("decision"))
        assert isinstance(base, Decision)
        title = draw(_HOSTILE).replace("\n", " ").strip() or "untitled"
        out.append(
            attrs.evolve(
                base,
                title=title[:300],
                description=draw(_HOSTILE),
                decision=draw(_HOSTILE),
                rationale=draw(_HOSTILE),
                options_considered=tuple(draw(st.lists(_HOSTILE, max_size=3))),
                extra={
                    **base.extra,
                    "Consequences": draw(_HOSTILE),
                    "note": draw(_HOSTILE),
                    (draw(_HOSTILE)[:300] or "key"): draw(_HOSTILE),
                },
            )
        )
    return out


def _fill(register: Register, decisions: list[Decision], supersede: list[int]) -> None:
    stored: list[Decision] = []
    for index, decision in enumerate(decisions):
        older = supersede[index] if index < len(supersede) else -1
        if 0 <= older < len(stored) and stored[older].status == "accepted":
            new = register.supersede(stored[older].ref or "", attrs.evolve(decision, status=None))
            stored[older] = register.get(stored[older].ref or "")  # type: ignore[assignment]  # a decision
            stored.append(new)
        else:
            stored.append(register.add(decision))


def _comparable(decision: Decision) -> dict[str, object]:
    data = attrs.asdict(decision, recurse=False)
    for name in ("version", "created_at", "created_by", "updated_at", "updated_by"):
        data.pop(name)
    for name in ("description", "decision", "rationale"):
        data[name] = _norm(data[name])
    data["options_considered"] = tuple(o.strip() for o in decision.options_considered if o.strip())
    extra = dict(decision.extra)
    extra.pop("source_ref", None)
    for key, value in list(extra.items()):
        if key == "Consequences":
            if isinstance(value, str) and value.strip():
                extra[key] = value.strip()
            else:
                extra.pop(key)
    data["extra"] = extra
    data["links"] = tuple(sorted((str(link.relation), link.target) for link in decision.links))
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions=_decisions(), supersede=st.lists(st.integers(-1, 4), max_size=5))
def test_export_then_import_gives_the_same_decisions(
    decisions: list[Decision], supersede: list[int]
) -> None:
    """Fields and supersede links come back; the documented normalisations are surrounding
    whitespace of text fields, empty options and an empty Consequences dropped, and
    ``extra["source_ref"]`` added (what ties a decision to its record)."""
    import tempfile

    with (
        tempfile.TemporaryDirectory() as folder,
        raidlog.open("memory:", actor="ana") as origin,
        raidlog.open("memory:", actor="bo") as copy,
    ):
        _fill(origin, decisions, supersede)
        write_madr(origin.items(), folder)
        report = import_folder(folder, copy)
        assert not report.rejected, report.summary()
        want = {d.ref: _comparable(d) for d in origin.items() if isinstance(d, Decision)}
        got = {d.ref: _comparable(d) for d in copy.items() if isinstance(d, Decision)}
        assert got == want
        again = import_folder(folder, copy)
        assert (again.added, again.updated, again.unchanged) == (0, 0, len(want))
