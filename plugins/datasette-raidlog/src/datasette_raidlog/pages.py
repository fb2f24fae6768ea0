"""What each page shows, read from an open register through the Register API only.

Each function takes a :class:`raidlog.Register` and returns the template context of one
page; it runs in a worker thread (the Register API is synchronous) and knows nothing of
HTTP beyond raising :class:`PageNotFound` for a body or ref the register does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs

from datasette_raidlog.heatmap import HeatMapSvg, layout
from raidlog import Register
from raidlog.errors import ItemNotFoundError
from raidlog.model.items import Item
from raidlog.report import gather

__all__ = [
    "VIEW_LIMIT",
    "PageNotFound",
    "Row",
    "agenda_page",
    "body_page",
    "item_page",
    "register_page",
]

#: At most this many rows in one table; the page says how many more there are.
VIEW_LIMIT = 500
# Shown on top of the item page (under its ref and title), in this order; every other
# field follows in a table.
_HEADLINE = ("ref", "kind", "status", "rag", "owner", "body", "node")


class PageNotFound(LookupError):
    """The register holds no such body or item; the message says which and what exists."""


@attrs.frozen
class Row:
    """One item in a table, with why it is there (empty when the table says it all)."""

    item: Item
    why: tuple[str, ...] = ()


def _rows(items: Sequence[Item], why: dict[str, tuple[str, ...]] | None = None) -> list[Row]:
    reasons = why or {}
    return [Row(item, reasons.get(item.ref or "", ())) for item in items[:VIEW_LIMIT]]


def _body_names(register: Register) -> list[str]:
    return sorted(register.structure().bodies)


def _require_body(register: Register, name: str) -> None:
    names = _body_names(register)
    if name not in names:
        known = ", ".join(names) or "none"
        raise PageNotFound(f"no governance body named {name!r} in this register; known: {known}")


def _heat_maps(register: Register, body: str | None) -> tuple[list[HeatMapSvg], Any]:
    data = gather(register, body=body)
    return [layout(grid) for grid in data.heat_maps], data


def register_page(register: Register) -> dict[str, Any]:
    """The register's front page: its bodies, the whole register's heat maps and counts."""
    maps, data = _heat_maps(register, None)
    structure = register.structure()
    return {
        "bodies": [structure.bodies[name] for name in _body_names(register)],
        "heat_maps": maps,
        "total_items": data.total_items,
        "open_items": len(data.view),
        "rag_counts": data.rag_counts,
        "kind_counts": data.kind_counts,
        "top_risks": _rows(data.top_risks),
        "today": data.today,
        "profile": data.profile,
    }


def body_page(register: Register, name: str) -> dict[str, Any]:
    """A governance body's page: its view (owned, escalated to it, breaching its
    tolerance, each with why), what is due for escalation to it, its heat maps."""
    _require_body(register, name)
    maps, data = _heat_maps(register, name)
    view: Sequence[Item] = data.view
    breaching = [
        i for i in view if any(r.startswith("breach") for r in data.reasons.get(i.ref or "", ()))
    ]
    return {
        "body": register.structure().bodies[name],
        "heat_maps": maps,
        "view": _rows(view, data.reasons),
        "view_total": len(view),
        "escalated": _rows([i for i in view if name in i.escalated_to], data.reasons),
        "breaching": _rows(breaching, data.reasons),
        "due": list(data.escalations_due),
        "owned": sum(1 for i in view if i.body == name),
        "rollup": data.rollup,
        "rag_counts": data.rag_counts,
        "today": data.today,
        "limit": VIEW_LIMIT,
    }


def _shown(value: object) -> str:
    """A field's value as a person reads it (lists joined, mappings as JSON)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def item_page(register: Register, ref: str) -> dict[str, Any]:
    """One item: every field, its links in both directions and its whole history."""
    try:
        item = register.get(ref)
    except ItemNotFoundError:
        raise PageNotFound(f"no item {ref!r} in this register") from None
    fields = dict(register.codec.item_to_dict(item))
    fields.pop("links", None)  # shown as the links table, with the incoming ones
    titles: dict[str, str] = {}
    links = []
    for source, relation, target in register.links(item):
        other = target if source == item.ref else source
        if other not in titles:
            try:
                titles[other] = register.get(other).title
            except ItemNotFoundError:
                titles[other] = ""  # a link to an item not (or no longer) in this store
        links.append(
            {"source": source, "relation": str(relation), "target": target, "other": other}
        )
    history = [
        {
            "event": event,
            "changes": [
                {"field": c.field, "old": _shown(c.old), "new": _shown(c.new)}
                for c in event.changes
            ],
        }
        for event in register.history(item)
    ]
    return {
        "item": item,
        "headline": [(k, _shown(fields.get(k))) for k in _HEADLINE if k in fields],
        "fields": [
            (k, _shown(v))
            for k, v in fields.items()
            if k not in _HEADLINE and k != "title" and _shown(v) != ""
        ],
        "links": links,
        "titles": titles,
        "history": history,
    }


def agenda_page(
    register: Register, name: str, meeting: date | None, since: date | None
) -> dict[str, Any]:
    """A body's board agenda for the meeting on ``meeting`` (default: today)."""
    _require_body(register, name)
    day = meeting or register.today()
    agenda = register.agenda(name, day, since=since)
    why = {entry.item.ref or "": entry.reasons for entry in agenda.breaches}
    return {
        "body": register.structure().bodies[name],
        "agenda": agenda,
        "sections": [
            ("new-escalations", "Newly escalated to this body", _rows(agenda.new_escalations)),
            (
                "breaches",
                "Breaching its tolerance",
                _rows([e.item for e in agenda.breaches], why),
            ),
            ("decisions", "Decisions awaiting", _rows(agenda.decisions_awaiting)),
            ("overdue", "Overdue actions", _rows(agenda.overdue_actions)),
            ("review", "Due for review", _rows(agenda.review_due)),
        ],
        "changes": list(agenda.changes)[-VIEW_LIMIT:],
        "changes_total": len(agenda.changes),
    }
