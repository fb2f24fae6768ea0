"""Render :class:`~raidlog.boardpack.BoardData` as one self-contained HTML page.

Inline CSS and SVG only: no script, no font, image or link that would reach the
network, so the page looks the same opened from an e-mail on a locked-down laptop.
Every piece of user text goes through :func:`html.escape`. Heat-map cells carry
``data-count`` (and ``data-level``, ``data-probability``, ``data-impact``) so tools and
tests can read the numbers without parsing the layout.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from raidlog.boardpack import BoardData, HeatGrid, gather
from raidlog.files import write_text
from raidlog.model.items import Item
from raidlog.register import Register

__all__ = ["render_html", "write_report"]

_CSS = """
:root { --red:#c62828; --amber:#f9a825; --green:#2e7d32; --ink:#1b1f24; --muted:#5f6b76;
  --line:#d8dee4; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0;
  padding: 24px 32px; font-size: 14px; line-height: 1.4; background: #fff; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 16px; padding-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
.meta { color: var(--muted); font-size: 12px; }
.summary { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
.maps { display: flex; gap: 32px; flex-wrap: wrap; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left;
  vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.nw { white-space: nowrap; }
table.heat { width: auto; }
table.heat td.cell { width: 56px; height: 40px; text-align: center; font-weight: 700;
  font-size: 16px; }
table.heat th { font-size: 11px; max-width: 90px; }
td.cell.red { background: #f4b6b6; } td.cell.amber { background: #fde7a6; }
td.cell.green { background: #bfe3c1; } td.cell.empty { color: transparent; }
.rag { display: inline-block; min-width: 52px; padding: 1px 6px; border-radius: 3px;
  color: #fff; font-size: 12px; text-align: center; }
.rag.red { background: var(--red); } .rag.amber { background: var(--amber); color: #000; }
.rag.green { background: var(--green); } .rag.none { background: #9aa5b1; }
.none-note { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; color: var(--muted); font-size: 11px;
  border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { padding: 0; font-size: 11px; }
  section { break-inside: avoid-page; }
  table { break-inside: auto; } tr { break-inside: avoid; }
  th, td.cell, .rag { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { size: A4 landscape; margin: 12mm; }
}
"""

# Refs and dates read badly when wrapped.
_NOWRAP = frozenset({"ref", "due", "next_review", "decided_on", "closed_on", "raised_on"})
_RAG_COLOURS = {"red": "#c62828", "amber": "#f9a825", "green": "#2e7d32", "none": "#9aa5b1"}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _rag(value: object) -> str:
    name = str(value) if value else "none"
    return f'<span class="rag {_e(name)}">{_e(name if value else "-")}</span>'


def _heat(heat: HeatGrid) -> str:
    head = "".join(f"<th scope='col'>{_e(label)}</th>" for label in heat.impact)
    rows = []
    # Highest probability on top, as boards read a heat map.
    for p in range(len(heat.probability), 0, -1):
        cells = []
        for i in range(1, len(heat.impact) + 1):
            count = heat.counts[p - 1][i - 1]
            rag = heat.rags[p - 1][i - 1]
            empty = " empty" if count == 0 else ""
            cells.append(
                f'<td class="cell {_e(rag)}{empty}" data-level="{_e(heat.level)}" '
                f'data-probability="{p}" data-impact="{i}" data-count="{count}" '
                f'title="score {heat.scores[p - 1][i - 1]}">{count}</td>'
            )
        rows.append(f"<tr><th scope='row'>{_e(heat.probability[p - 1])}</th>{''.join(cells)}</tr>")
    note = (
        f'<p class="meta">{heat.unassessed} open risk(s) without a {_e(heat.level)} assessment.</p>'
        if heat.unassessed
        else ""
    )
    return (
        f'<div class="map"><h3>{_e(heat.level.capitalize())} '
        f'<span class="meta">({heat.total} risk(s))</span></h3>'
        f'<table class="heat" data-level="{_e(heat.level)}">'
        f"<tr><th>probability \\ impact</th>{head}</tr>{''.join(rows)}</table>{note}</div>"
    )


def _rag_bar(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    width, x, parts = 360, 0.0, []
    for name in ("red", "amber", "green", "none"):
        count = counts.get(name, 0)
        if not count:
            continue
        w = width * count / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{_RAG_COLOURS[name]}">'
            f"<title>{name}: {count}</title></rect>"
        )
        x += w
    legend = " ".join(f"{_rag(n if n != 'none' else None)} {counts.get(n, 0)}" for n in counts)
    svg = (
        f'<svg width="{width}" height="24" role="img" '
        f'aria-label="items by RAG">{"".join(parts)}</svg>'
        if total
        else ""
    )
    return f'<div class="summary">{svg}<div>{legend}</div></div>'


def _table(items: Sequence[Item], columns: Sequence[str], empty: str) -> str:
    if not items:
        return f'<p class="none-note">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in columns)
    rows = []
    for item in items:
        cells = []
        for column in columns:
            value = getattr(item, column, None)
            if column == "rag":
                cells.append(f"<td>{_rag(value)}</td>")
            elif isinstance(value, tuple):
                cells.append(f"<td>{_e(', '.join(map(str, value)))}</td>")
            elif column in _NOWRAP:
                cells.append(f'<td class="nw">{_e(value)}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append(f'<tr data-ref="{_e(item.ref)}">{"".join(cells)}</tr>')
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _objectives(data: BoardData) -> str:
    if not data.objectives:
        return '<p class="none-note">No open item names an objective.</p>'
    rows = "".join(
        f"<tr><td>{_e(o.objective.name)}</td><td>{_e(o.objective.title)}</td>"
        f"<td>{_rag(o.worst_rag.value if o.worst_rag else None)}</td>"
        f"<td>{len(o.items)}</td><td>{o.exposure:,.0f}</td>"
        f"<td>{_e(', '.join(i.ref or '' for i in o.items[:12]))}</td></tr>"
        for o in data.objectives
    )
    return (
        "<table><tr><th>objective</th><th>title</th><th>worst RAG</th><th>items</th>"
        f"<th>cost exposure</th><th>refs</th></tr>{rows}</table>"
    )


def _due(data: BoardData) -> str:
    if not data.escalations_due:
        return ""
    rows = "".join(
        f'<tr data-ref="{_e(d.item.ref)}"><td>{_e(d.item.ref)}</td>'
        f"<td>{_rag(d.item.rag)}</td><td>{_e(d.item.title)}</td><td>{_e(d.body)}</td>"
        f"<td>{_e('; '.join(d.reasons))}</td></tr>"
        for d in data.escalations_due
    )
    return (
        "<h3>Due for escalation (breaching a tolerance, not yet escalated)</h3>"
        "<table><tr><th>ref</th><th>rag</th><th>title</th><th>to body</th><th>why</th></tr>"
        f"{rows}</table>"
    )


def _view(data: BoardData, items: Sequence[Item]) -> str:
    if not items:
        return '<p class="none-note">No open items.</p>'
    columns = ("ref", "kind", "rag", "title", "status", "owner", "due", "next_review")
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in columns)
    rows = []
    for item in items:
        cells = [
            f"<td>{_rag(item.rag)}</td>"
            if c == "rag"
            else f'<td class="nw">{_e(getattr(item, c, None))}</td>'
            if c in _NOWRAP
            else f"<td>{_e(getattr(item, c, None))}</td>"
            for c in columns
        ]
        why = "; ".join(data.reasons.get(item.ref or "", ()))
        rows.append(f'<tr data-ref="{_e(item.ref)}">{"".join(cells)}<td>{_e(why)}</td></tr>')
    return f"<table><tr>{head}<th>why in view</th></tr>{''.join(rows)}</table>"


def render_html(data: BoardData, *, view_limit: int = 500) -> str:
    """The report page for ``data``. The view table shows at most ``view_limit`` rows
    (red first) and says how many more there are, so a 100,000-item register still
    gives a page a browser opens."""
    who = f"for {data.body}" if data.body else "for the whole register"
    view = data.view[:view_limit]
    more = (
        f'<p class="meta">Showing {len(view)} of {len(data.view)} open items, red first.</p>'
        if len(data.view) > len(view)
        else ""
    )
    kinds = ", ".join(f"{count} {kind}" for kind, count in data.kind_counts.items()) or "none"
    parts: Iterable[str] = (
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing on this page may reach the network, even by mistake.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>RAID report {_e(who)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>RAID report {_e(who)}</h1>",
        f'<div class="meta">Generated {_e(data.generated_at.isoformat(timespec="seconds"))} '
        f"from <strong>{_e(data.source)}</strong> ({_e(data.backend)}, profile "
        f"{_e(data.profile)}); {data.total_items} item(s) in the register, "
        f"{len(data.view)} open in this view ({_e(kinds)}); open risks' cost exposure "
        f"{data.rollup.exposure:,.0f}.</div></header>",
        _section("Summary by RAG", _rag_bar(data.rag_counts), "summary"),
        _section(
            "Heat maps: inherent and residual",
            f'<div class="maps">{"".join(_heat(h) for h in data.heat_maps)}</div>',
            "heat-maps",
        ),
        _section(
            "Top risks",
            _table(
                data.top_risks,
                ("ref", "rag", "title", "owner", "score", "residual_score", "response"),
                "No scored open risks.",
            ),
            "top-risks",
        ),
        _section(
            "Overdue actions",
            _table(
                data.overdue_actions,
                ("ref", "rag", "title", "owner", "assignee", "due", "status"),
                "No overdue actions.",
            ),
            "overdue",
        ),
        _section(
            "Escalations",
            _table(
                data.escalations,
                ("ref", "kind", "rag", "title", "owner", "body", "escalated_to"),
                "Nothing escalated.",
            )
            + _due(data),
            "escalations",
        ),
        _section("Objectives at risk", _objectives(data), "objectives"),
        _section(
            "Recent decisions",
            _table(
                data.decisions,
                ("ref", "title", "status", "decision", "decided_by", "decided_on"),
                "No decisions recorded.",
            ),
            "decisions",
        ),
        _section(
            f"The view {who}",
            more + _view(data, view),
            "view",
        ),
        f"<footer>raidlog report · {_e(data.source)} · as of {_e(data.today.isoformat())}"
        "</footer></body></html>",
    )
    return "\n".join(parts)


def write_report(register: Register, path: str | Path, *, body: str | None = None) -> BoardData:
    """Write the HTML report of ``register`` (for ``body``) to ``path``; returns its data."""
    data = gather(register, body=body)
    write_text(path, render_html(data))
    return data
