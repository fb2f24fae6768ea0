"""Every page through Datasette's test client: what it shows, its errors, its links,
and that item text is escaped everywhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from datasette.utils import tilde_encode
from markupsafe import escape

import raidlog
from raidlog.errors import ReadOnlyError

from .conftest import IMG, PAYLOADS, PMO, SCRIPT  # the sample register

pytestmark = pytest.mark.anyio


async def _get(datasette: Any, path: str, status: int = 200) -> str:
    response = await datasette.client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code}\n{response.text}"
    return str(response.text)


def _section(html: str, anchor: str) -> str:
    """The HTML from the heading with ``id=anchor`` to the next ``<h2``."""
    start = html.index(f'<h2 id="{anchor}">')
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


def _refs(html: str) -> list[str]:
    return re.findall(r'<tr data-ref="([^"]+)"', html)


def _counts(html: str, level: str) -> dict[tuple[int, int], int]:
    cells = re.findall(
        rf'<g class="cell" data-level="{level}" data-probability="(\d)"\s+'
        r'data-impact="(\d)" data-count="(\d+)">',
        html,
    )
    assert len(cells) == 25, f"{level}: {len(cells)} cells"
    return {(int(p), int(i)): int(n) for p, i, n in cells if int(n)}


def _register_counts(path: Path, level: str, body: str | None) -> dict[tuple[int, int], int]:
    with raidlog.open(str(path), actor="test") as register:
        grid = register.heatmap(body=None, level=level)
        if body is not None:
            view = {e.item.ref for e in register.view(body)}
            grid_counts: dict[tuple[int, int], int] = {}
            prefix = f"{level}_"
            for item in register.query(kind="risk", open=True):
                p, i = getattr(item, prefix + "probability"), getattr(item, prefix + "impact")
                if item.ref in view and p is not None and i is not None:
                    grid_counts[(p, i)] = grid_counts.get((p, i), 0) + 1
            return grid_counts
    return {(p + 1, i + 1): n for p, row in enumerate(grid.counts) for i, n in enumerate(row) if n}


async def test_the_index_lists_the_registers_and_not_other_databases(datasette: Any) -> None:
    html = await _get(datasette, "/-/raidlog")
    assert "<title>RAID registers</title>" in html
    assert '<a href="/-/raidlog/raid">raid</a>' in html
    assert "/-/raidlog/other" not in html


async def test_the_register_page_lists_bodies_and_draws_both_heat_maps(
    datasette: Any, register_file: Path
) -> None:
    html = await _get(datasette, "/-/raidlog/raid")
    assert "<title>RAID register raid</title>" in html
    for body in ("Board", "ExCo"):
        assert f'<a href="/-/raidlog/raid/body/{body}">{body}</a>' in html
        assert f'<a href="/-/raidlog/raid/agenda/{body}">agenda</a>' in html
    assert f'href="/-/raidlog/raid/body/{tilde_encode(PMO)}"' in html
    assert html.count('<svg class="heat"') == 2
    for level in ("inherent", "residual"):
        assert _counts(html, level) == _register_counts(register_file, level, None)
    assert _refs(html) == ["R-0003", "R-0001", "R-0002"]  # top risks, highest score first


async def test_a_body_page_shows_its_view_what_was_escalated_and_what_breaches(
    datasette: Any, register_file: Path
) -> None:
    html = await _get(datasette, "/-/raidlog/raid/body/ExCo")
    assert "<title>ExCo: RAID register raid</title>" in html
    assert _refs(_section(html, "escalated")) == ["R-0001"]
    breaching = _section(html, "breaching")
    # R-0003 (score 25) breaches ExCo's score tolerance of 20 and is not escalated yet.
    assert "R-0003" in _refs(breaching)
    assert "score 25 reaches the tolerance of 20" in breaching
    assert "Due for escalation" in breaching
    assert sorted(_refs(_section(html, "view"))) == ["R-0001", "R-0003"]
    for level in ("inherent", "residual"):
        assert _counts(html, level) == _register_counts(register_file, level, "ExCo")


async def test_a_body_page_shows_what_it_owns(datasette: Any) -> None:
    html = await _get(datasette, "/-/raidlog/raid/body/Board")
    assert sorted(_refs(_section(html, "view"))) == [
        "A-0001",
        "D-0001",
        "I-0001",
        "R-0001",
        "R-0002",
    ]
    assert _refs(_section(html, "escalated")) == []
    assert "Nothing escalated to this body." in html
    assert _refs(_section(html, "breaching")) == ["A-0001"]  # late beyond 10 days


async def test_a_body_whose_name_needs_encoding_has_a_page(datasette: Any) -> None:
    html = await _get(datasette, f"/-/raidlog/raid/body/{tilde_encode(PMO)}")
    assert f"<h1>{escape(PMO)}</h1>" in html
    assert _refs(_section(html, "escalated")) == ["R-0001"]


async def test_the_item_page_shows_fields_links_and_history(
    datasette: Any, register_file: Path
) -> None:
    html = await _get(datasette, "/-/raidlog/raid/item/R-0001")
    assert '<span class="ref">R-0001</span>' in html
    assert "<title>R-0001 Supplier late" in html
    links = _section(html, "links")
    assert '<a href="/-/raidlog/raid/item/A-0001">A-0001</a></td><td>mitigates</td>' in links
    assert "Chase the vendor" in links
    with raidlog.open(str(register_file), actor="test") as register:
        events = register.history("R-0001")
    history = _section(html, "history")
    assert re.findall(r'<tr data-seq="(\d+)">', history) == [str(e.seq) for e in events]
    assert [e.action for e in events] == ["add", "escalate", "escalate"]
    # The action's page shows the same link from its own end.
    action = await _get(datasette, "/-/raidlog/raid/item/A-0001")
    assert '<a href="/-/raidlog/raid/item/R-0001">R-0001</a>' in _section(action, "links")


async def test_the_agenda_page_lists_each_part_of_the_meeting(datasette: Any) -> None:
    html = await _get(datasette, "/-/raidlog/raid/agenda/Board?date=2026-06-01&since=2026-01-01")
    assert "<title>Agenda: Board, 2026-06-01</title>" in html
    assert _refs(_section(html, "breaches")) == ["A-0001"]  # 31 days late, tolerance 10
    assert _refs(_section(html, "decisions")) == ["D-0001"]
    assert _refs(_section(html, "overdue")) == ["A-0001"]
    assert '<a href="/-/raidlog/raid/item/R-0001">R-0001</a>' in _section(html, "changes")


async def test_the_agenda_defaults_to_today(datasette: Any) -> None:
    html = await _get(datasette, "/-/raidlog/raid/agenda/ExCo")
    assert "<title>Agenda: ExCo, " in html
    assert "R-0003" in _refs(_section(html, "breaches"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/-/raidlog/raid/body/Nope", "no governance body named &#39;Nope&#39;"),
        ("/-/raidlog/raid/agenda/Nope", "no governance body named &#39;Nope&#39;"),
        ("/-/raidlog/raid/item/R-9999", "no item &#39;R-9999&#39; in this register"),
        ("/-/raidlog/nope", "Database not found: nope"),
        ("/-/raidlog/other", "other is not a raidlog register"),
        ("/-/raidlog/other/body/Board", "other is not a raidlog register"),
    ],
)
async def test_unknown_bodies_refs_and_databases_are_404(
    datasette: Any, path: str, message: str
) -> None:
    html = await _get(datasette, path, status=404)
    assert message in html


async def test_a_bad_agenda_date_is_400_naming_it(datasette: Any) -> None:
    html = await _get(datasette, "/-/raidlog/raid/agenda/Board?date=01/06/2026", status=400)
    assert "date must be a date as YYYY-MM-DD, not &#39;01/06/2026&#39;" in html


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
async def test_the_pages_take_no_writes(datasette: Any, method: str) -> None:
    for path in ("/-/raidlog", "/-/raidlog/raid", "/-/raidlog/raid/item/R-0001"):
        response = await getattr(datasette.client, method)(path)
        assert response.status_code == 405, path
        assert "these pages are read-only" in response.text


async def test_browsing_every_page_leaves_the_register_unchanged(
    datasette: Any, register_file: Path
) -> None:
    with raidlog.open(str(register_file), actor="test") as register:
        before = register.verify()
    for path in (
        "/-/raidlog",
        "/-/raidlog/raid",
        "/-/raidlog/raid/body/Board",
        "/-/raidlog/raid/item/R-0001",
        "/-/raidlog/raid/agenda/Board",
    ):
        await _get(datasette, path)
    with raidlog.open(str(register_file), actor="test") as register:
        after = register.verify()
    assert after.ok
    assert after.head_hash == before.head_hash


def test_the_register_is_opened_read_only(register_file: Path) -> None:
    from datasette_raidlog.registers import open_read_only

    with open_read_only(str(register_file), "web") as register:
        item = register.get("R-0002")
        with pytest.raises(ReadOnlyError):
            register.update(item, title="changed")


async def test_the_database_page_links_to_the_register_pages(datasette: Any) -> None:
    assert '<a href="/-/raidlog/raid">RAID register (governance pages)</a>' in await _get(
        datasette, "/raid"
    )
    assert "/-/raidlog/" not in await _get(datasette, "/other")
    assert '<a href="/-/raidlog">RAID registers</a>' in await _get(datasette, "/")


@pytest.mark.parametrize(
    "path",
    [
        "/-/raidlog/raid",
        "/-/raidlog/raid/body/Board",
        "/-/raidlog/raid/body/ExCo",
        "/-/raidlog/raid/item/R-0001",
        "/-/raidlog/raid/agenda/Board?since=2026-01-01",
    ],
)
async def test_item_text_is_escaped_on_every_page(datasette: Any, path: str) -> None:
    html = await _get(datasette, path)
    for payload in PAYLOADS:
        assert payload not in html
    assert "__pwned" in html, "the page should show the payloads, as text"
    assert str(escape(SCRIPT)) in html or str(escape(IMG)) in html


async def test_datasettes_permissions_guard_the_pages(register_file: Path) -> None:
    from datasette.app import Datasette

    ds = Datasette([str(register_file)], metadata={"databases": {"raid": {"allow": {"id": "ana"}}}})
    await ds.invoke_startup()
    for path in ("/-/raidlog/raid", "/-/raidlog/raid/body/Board", "/-/raidlog/raid/item/R-0001"):
        assert (await ds.client.get(path)).status_code == 403, path
    assert "/-/raidlog/raid" not in (await ds.client.get("/-/raidlog")).text
    cookies = {"ds_actor": ds.sign({"a": {"id": "ana"}}, "actor")}
    response = await ds.client.get("/-/raidlog/raid/body/Board", cookies=cookies)
    assert response.status_code == 200
    assert (
        '<a href="/-/raidlog/raid">raid</a>'
        in (await ds.client.get("/-/raidlog", cookies=cookies)).text
    )


async def test_a_long_view_says_how_much_it_shows(
    datasette: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasette_raidlog import pages

    monkeypatch.setattr(pages, "VIEW_LIMIT", 2)
    html = await _get(datasette, "/-/raidlog/raid/body/Board")
    assert len(_refs(_section(html, "view"))) == 2
    assert "Showing 2 of 5, red first." in html


async def test_links_keep_datasettes_base_url(register_file: Path) -> None:
    from datasette.app import Datasette

    ds = Datasette([str(register_file)], settings={"base_url": "/raid-web/"})
    await ds.invoke_startup()
    response = await ds.client.get("/-/raidlog/raid")  # the client adds the base_url
    assert response.status_code == 200
    assert 'href="/raid-web/-/raidlog/raid/body/Board"' in response.text
    assert 'href="/raid-web/-/raidlog/raid/item/R-0001"' in response.text
