"""Take the screenshots in docs/img/ of the datasette-raidlog pages.

    .venv/bin/python plugins/datasette-raidlog/scripts/screenshots.py [OUT_DIR]

Builds a small programme register in a temporary folder, serves it with
``raidlog serve`` on 127.0.0.1 and photographs a body page and an item page in
Debian's headless Chromium (the flags of the browser tests).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import raidlog
from raidlog import Action, Body, Decision, Issue, Node, Register, Risk
from raidlog.testing.browser import CHROMIUM_FLAGS, free_port

ROOT = Path(__file__).resolve().parents[3]


def build(register: Register) -> None:
    """A programme with two projects, its board and the executive committee."""
    register.put_node(Node(name="Group", level="corporate", body="ExCo"))
    register.put_node(Node(name="Atlas", level="programme", parent="Group", body="Atlas board"))
    register.put_node(Node(name="Payments", level="project", parent="Atlas"))
    register.put_body(Body(name="ExCo", node="Group", score_tolerance=20))
    register.put_body(
        Body(name="Atlas board", node="Atlas", score_tolerance=12, slip_tolerance_days=14)
    )
    risks = [
        ("Card scheme certification slips", 5, 5, 4, 5, 2, 4, "Payments", 400_000.0),
        ("Legacy ledger cannot be switched off", 4, 5, 4, 4, 3, 3, "Atlas", 250_000.0),
        ("Key architect leaves", 3, 4, 3, 3, 2, 2, "Atlas", None),
        ("Test data contains live customer details", 4, 4, 2, 4, 1, 3, "Payments", None),
        ("Vendor API rate limits", 3, 3, 3, 2, 2, 2, "Payments", None),
        ("Regulator changes reporting format", 2, 5, 2, 4, 2, 3, "Atlas", 80_000.0),
    ]
    refs = []
    for title, ip, ii, p, i, rp, ri, node, cost in risks:
        risk = register.add(
            Risk(
                title=title,
                owner="M. Okafor" if node == "Payments" else "J. Lindqvist",
                body="Atlas board",
                node=node,
                inherent_probability=ip,
                inherent_impact=ii,
                probability=p,
                impact=i,
                residual_probability=rp,
                residual_impact=ri,
                cost_exposure=cost,
                description="Raised at the programme risk workshop.",
            )
        )
        refs.append(risk.ref or "")
    action = register.add(
        Action(
            title="Book the scheme's test slot",
            owner="M. Okafor",
            body="Atlas board",
            node="Payments",
            due=date(2026, 5, 15),
        )
    )
    register.link(action, "mitigates", refs[0])
    register.add(Issue(title="Build pipeline down twice this week", body="Atlas board"))
    register.add(
        Decision(title="Run old and new ledgers in parallel", body="Atlas board", decision="Yes")
    )
    register.escalate(refs[0], "ExCo", reason="certification date threatens the launch")


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "atlas.db"
        with raidlog.open(str(path), actor="pmo") as register:
            build(register)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "raidlog", "serve", str(path), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/-/raidlog", timeout=2).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=list(CHROMIUM_FLAGS)
                )
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(f"{base}/-/raidlog/atlas/body/Atlas+board", wait_until="load")
                page.screenshot(path=str(out / "datasette-body.png"), full_page=True)
                page.goto(f"{base}/-/raidlog/atlas/item/R-0001", wait_until="load")
                page.screenshot(path=str(out / "datasette-item.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
