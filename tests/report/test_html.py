"""The HTML report as a file: self-contained, escaped, complete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import raidlog
from raidlog import Register, ValidationError
from raidlog.report import gather, render_html, write_report


@pytest.fixture
def page(board: Register) -> str:
    return render_html(gather(board, body="Board", now=datetime(2026, 6, 1, 10, tzinfo=UTC)))


def test_nothing_on_the_page_reaches_the_network(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=", page, re.IGNORECASE)
    assert "url(" not in page
    assert "@import" not in page
    # The only URL is the user's own text, escaped inside a cell.
    assert page.count("http://") == page.count("&quot;http://evil&quot;")


def test_user_text_is_escaped(board: Register) -> None:
    board.add(raidlog.Risk(title="<img src=x onerror=alert(1)> & co", body="Board"))
    page = render_html(gather(board, body="Board"))
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in page


def test_the_page_says_what_it_is_and_where_from(page: str) -> None:
    assert "RAID report for Board" in page
    assert "Generated 2026-06-01T10:00:00+00:00" in page
    assert "from <strong>memory:</strong>" in page


def test_every_section_is_there(page: str) -> None:
    for anchor in (
        "summary",
        "heat-maps",
        "top-risks",
        "overdue",
        "escalations",
        "objectives",
        "decisions",
        "view",
    ):
        assert f'<section id="{anchor}">' in page
    assert "@media print" in page


def test_heat_map_cells_carry_their_counts(board: Register, page: str) -> None:
    cells = re.findall(
        r'data-level="(\w+)" data-probability="(\d)" data-impact="(\d)" data-count="(\d+)"', page
    )
    counts = {(lvl, int(p), int(i)): int(c) for lvl, p, i, c in cells}
    assert len(counts) == 2 * 25
    assert counts[("inherent", 5, 5)] == 1
    assert counts[("inherent", 3, 4)] == 1
    assert counts[("residual", 2, 3)] == 1
    assert counts[("residual", 2, 2)] == 1
    assert sum(counts.values()) == 4


def test_objectives_at_risk_and_overdue_actions(board: Register) -> None:
    data = gather(board, body="Board")
    assert [o.objective.name for o in data.objectives] == ["O-1"]
    assert data.objectives[0].objective.title == "Launch by Q3"
    assert data.objectives[0].exposure == 250_000.0
    assert [a.ref for a in data.overdue_actions] == ["A-0001"]
    assert [d.ref for d in data.decisions] == ["D-0001"]
    assert data.top_risks[0].ref == "R-0001"


def test_an_unknown_body_is_refused(board: Register) -> None:
    with pytest.raises(ValidationError, match="no body named 'Nobody'"):
        gather(board, body="Nobody")


def test_write_report_writes_utf8(board: Register, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    board.add(raidlog.Issue(title="Café délai \u2013 東京", body="Board"))
    write_report(board, out, body="Board")
    assert "Café délai \u2013 東京" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("body", [None, "Board", "ExCo"])
def test_heat_maps_agree_with_the_governance_api(board: Register, body: str | None) -> None:
    data = gather(board, body=body)
    for grid in data.heat_maps:
        assert grid.counts == board.heatmap(body=body, level=grid.level).counts
