"""The report in a real headless Chromium: it renders with no console error and no
network request, the heat-map cells show the right counts, and a screenshot is kept
under ``artifacts/`` for people to look at.

Chromium is Debian's ``chromium`` (``scripts/check`` installs it in CI). Without it the
test fails in CI (``CI`` set) and is skipped elsewhere, saying how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from raidlog import Register
from raidlog.model.items import Risk
from raidlog.report import write_report
from raidlog.testing.browser import chromium_page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    with chromium_page(tmp_path / "profile") as page:  # a fresh user data dir every run
        yield page


def _expected_counts(register: Register, level: str) -> dict[tuple[int, int], int]:
    prefix = {"inherent": "inherent_", "residual": "residual_"}[level]
    counts: dict[tuple[int, int], int] = {}
    for item in register.query(body="Board", open=True, kind="risk"):
        assert isinstance(item, Risk)
        p, i = getattr(item, prefix + "probability"), getattr(item, prefix + "impact")
        if p is not None and i is not None:
            counts[(p, i)] = counts.get((p, i), 0) + 1
    return counts


def test_the_report_renders_offline_with_the_right_counts(
    board: Register, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page

    page = browser_page
    assert isinstance(page, Page)
    out = tmp_path / "report.html"
    write_report(board, out, body="Board")
    url = out.as_uri()
    console: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))

    page.goto(url, wait_until="load")

    assert console == []
    assert requests == [url], "the report must not fetch anything but itself"
    assert page.title() == "RAID report for Board"
    for level in ("inherent", "residual"):
        cells = page.locator(f"td.cell[data-level={level}]")
        assert cells.count() == 25
        shown = {
            (
                int(c.get_attribute("data-probability") or 0),
                int(c.get_attribute("data-impact") or 0),
            ): int(c.get_attribute("data-count") or 0)
            for c in cells.all()
        }
        expected = _expected_counts(board, level)
        assert {k: v for k, v in shown.items() if v} == expected
        # The number a person sees is the number in the attribute.
        for cell in cells.all():
            assert cell.inner_text().strip() == cell.get_attribute("data-count")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    # Printing works too: the print stylesheet yields a PDF without errors.
    pdf = page.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF")
    assert console == []
