"""The pages in a real headless Chromium against Datasette served on 127.0.0.1: each
renders (title, a risk's ref, the heat maps), no request leaves the machine, and item
text holding script runs nothing and reads as the text it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from datasette.utils import tilde_encode

from raidlog.testing.browser import chromium_page, free_port, serving

from .browser import datasette_command
from .conftest import ATTR, IMG, PMO, SCRIPT  # the sample register

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "artifacts"

# (path, title, a ref that must be visible, how many heat maps)
PAGES = [
    ("/-/raidlog", "RAID registers", None, 0),
    ("/-/raidlog/raid", "RAID register raid", "R-0001", 2),
    ("/-/raidlog/raid/body/Board", "Board: RAID register raid", "R-0001", 2),
    ("/-/raidlog/raid/body/ExCo", "ExCo: RAID register raid", "R-0003", 2),
    (f"/-/raidlog/raid/body/{tilde_encode(PMO)}", f"{PMO}: RAID register raid", "R-0001", 2),
    ("/-/raidlog/raid/item/R-0001", f"R-0001 Supplier late {SCRIPT}", "R-0001", 0),
    ("/-/raidlog/raid/item/A-0001", "A-0001 Chase the vendor", "R-0001", 0),
    ("/-/raidlog/raid/agenda/Board?since=2026-01-01", None, "A-0001", 0),
]


@pytest.fixture
def server(register_file: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(datasette_command(register_file, port), f"{base}/-/raidlog"):
        yield base


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with chromium_page(tmp_path / "profile") as page:  # a fresh user data dir every run
        yield page


def test_every_page_renders_offline_and_runs_no_item_text(server: str, page: Any) -> None:
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    for path, title, ref, maps in PAGES:
        response = page.goto(server + path, wait_until="load")
        assert response is not None, path
        assert response.status == 200, path
        if title is not None:
            assert page.title() == title, path
        else:
            assert page.title().startswith("Agenda: Board, "), path
        if ref is not None:
            assert page.locator(f'a:text-is("{ref}")').first.is_visible(), path
        assert page.locator("svg.heat").count() == maps, path
        for svg in page.locator("svg.heat").all():
            assert svg.is_visible()
            assert svg.locator("g.cell").count() == 25
        assert page.evaluate("typeof window.__pwned") == "undefined", path
    assert problems == []
    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(set(requests))}"


def test_item_text_reads_as_text(server: str, page: Any) -> None:
    page.goto(server + "/-/raidlog/raid/item/R-0001", wait_until="load")
    assert page.locator("h1").inner_text() == f"R-0001 Supplier late {SCRIPT}"
    assert page.locator('tr[data-field="description"] td').inner_text() == IMG
    assert ATTR in page.locator("table.headline").inner_text()
    assert page.locator("img").count() == 0  # the <img onerror> is text, not an element
    assert page.evaluate("typeof window.__pwned") == "undefined"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "datasette-item.png"), full_page=True)


def test_the_database_page_leads_to_the_register_pages(server: str, page: Any) -> None:
    page.goto(server + "/raid", wait_until="load")
    page.locator("details.actions-menu-links summary").click()
    page.get_by_role("link", name="RAID register (governance pages)").click()
    page.wait_for_load_state("load")
    assert page.title() == "RAID register raid"
    page.get_by_role("link", name="ExCo", exact=True).first.click()
    page.wait_for_load_state("load")
    assert page.title() == "ExCo: RAID register raid"
    page.locator('#escalated ~ table a:text-is("R-0001")').first.click()
    page.wait_for_load_state("load")
    assert page.title().startswith("R-0001 ")
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/-/raidlog/raid/body/ExCo", wait_until="load")
    page.screenshot(path=str(ARTIFACTS / "datasette-body.png"), full_page=True)
