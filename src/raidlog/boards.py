"""What makes one register serve every governance body.

A body sees the items it owns, those escalated to it, and those anywhere under its node
that breach its tolerances. This module computes those views, the roll-ups and heat
maps boards read, the escalations that are due, review dates, reminders and board
agendas. Everything here reads through the Register's public API, so it behaves the
same on every backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from raidlog import rules
from raidlog.errors import ValidationError
from raidlog.model.events import Event
from raidlog.model.governance import Body, Objective, Structure
from raidlog.model.items import Decision, Item, Risk
from raidlog.model.values import Rag

if TYPE_CHECKING:
    from raidlog.register import Register

__all__ = [
    "Agenda",
    "EscalationDue",
    "HeatMap",
    "ObjectiveRisk",
    "Reminder",
    "Rollup",
    "ViewEntry",
    "ageing",
    "agenda",
    "breaches",
    "escalations_due",
    "heatmap",
    "objectives_at_risk",
    "reminders",
    "review_date",
    "rollup",
    "stale",
    "view",
]

_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}
#: Days between reviews when neither the profile's bands nor the kind say otherwise.
DEFAULT_REVIEW_DAYS = 30


@attrs.frozen
class ViewEntry:
    """An item in a body's view and why it is there (``owned``, ``escalated``, breaches)."""

    item: Item
    reasons: tuple[str, ...]


@attrs.frozen
class EscalationDue:
    """An item that breaches ``body``'s tolerance and is not yet escalated to it."""

    item: Item
    body: str
    reasons: tuple[str, ...]


@attrs.frozen
class Rollup:
    """Counts and exposure over a scope (a body's view, a node's subtree, or everything)."""

    count: int
    open: int
    by_kind: dict[str, int]
    by_status: dict[str, dict[str, int]]
    by_rag: dict[str, int]
    exposure: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return attrs.asdict(self)


@attrs.frozen
class HeatMap:
    """Probability x impact counts of open risks at one level: ``counts[p - 1][i - 1]``."""

    level: str
    probability: tuple[str, ...]
    impact: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        """How many risks the map places."""
        return sum(map(sum, self.counts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "level": self.level,
            "probability": list(self.probability),
            "impact": list(self.impact),
            "counts": [list(row) for row in self.counts],
        }


@attrs.frozen
class ObjectiveRisk:
    """An objective with the open items that threaten it."""

    objective: Objective
    items: tuple[Item, ...]
    exposure: float
    worst_rag: Rag | None


@attrs.frozen
class Reminder:
    """Something someone must act on: ``due_soon``, ``overdue``, ``review_due`` or
    ``escalation_due``."""

    reason: str
    ref: str
    title: str
    owner: str | None
    body: str | None
    when: date | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        data = attrs.asdict(self)
        data["when"] = self.when.isoformat() if self.when else None
        return data


@attrs.frozen
class Agenda:
    """What a body must look at in a meeting."""

    body: str
    meeting_date: date
    since: date
    new_escalations: tuple[Item, ...]
    breaches: tuple[ViewEntry, ...]
    decisions_awaiting: tuple[Item, ...]
    overdue_actions: tuple[Item, ...]
    review_due: tuple[Item, ...]
    changes: tuple[Event, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: items by ref and title, changes by event."""

        def brief(item: Item) -> dict[str, Any]:
            return {
                "ref": item.ref,
                "kind": item.kind,
                "title": item.title,
                "status": item.status,
                "owner": item.owner,
                "rag": item.rag.value if item.rag else None,
                "due": item.due.isoformat() if item.due else None,
            }

        return {
            "body": self.body,
            "meeting_date": self.meeting_date.isoformat(),
            "since": self.since.isoformat(),
            "new_escalations": [brief(i) for i in self.new_escalations],
            "breaches": [{**brief(e.item), "reasons": list(e.reasons)} for e in self.breaches],
            "decisions_awaiting": [brief(i) for i in self.decisions_awaiting],
            "overdue_actions": [brief(i) for i in self.overdue_actions],
            "review_due": [brief(i) for i in self.review_due],
            "changes": [
                {
                    "seq": e.seq,
                    "ref": e.ref,
                    "action": e.action,
                    "actor": e.actor,
                    "at": e.at.isoformat(),
                    "fields": [c.field for c in e.changes],
                    "reason": e.reason,
                }
                for e in self.changes
            ],
        }


# ------------------------------------------------------------------------------------
def _body(structure: Structure, name: str) -> Body:
    try:
        return structure.bodies[name]
    except KeyError:
        known = ", ".join(sorted(structure.bodies)) or "none yet (add them with put_body)"
        raise ValidationError(f"no body named {name!r}; known bodies: {known}") from None


def _is_open(register: Register, item: Item) -> bool:
    return item.status not in register.profile.lifecycle(item.kind).closed


def breaches(body: Body, item: Item, today: date) -> tuple[str, ...]:
    """Which of ``body``'s tolerances ``item`` breaches (empty when none)."""
    found: list[str] = []
    score = getattr(item, "score", None)
    if body.score_tolerance is not None and score is not None and score >= body.score_tolerance:
        found.append(f"score {score} reaches the tolerance of {body.score_tolerance}")
    cost = getattr(item, "cost_exposure", None)
    if body.cost_tolerance is not None and cost is not None and cost >= body.cost_tolerance:
        found.append(
            f"cost exposure {cost:,.0f} reaches the tolerance of {body.cost_tolerance:,.0f}"
        )
    if body.slip_tolerance_days is not None and item.due is not None and item.due < today:
        slip = (today - item.due).days
        if slip >= body.slip_tolerance_days:
            found.append(f"{slip} days late, tolerance {body.slip_tolerance_days}")
    return tuple(found)


def _subtree_items(register: Register, body: Body) -> list[Item]:
    if body.node is None:
        return []
    return register.query(node=body.node, open=True)


def _by_score(entries: list[ViewEntry]) -> list[ViewEntry]:
    def key(entry: ViewEntry) -> tuple[int, int, str]:
        score = getattr(entry.item, "score", None)
        return (score is None, -(score or 0), entry.item.ref or "")

    return sorted(entries, key=key)


def view(register: Register, body: str, *, today: date | None = None) -> list[ViewEntry]:
    """The open items ``body`` must see: owned, escalated to it, or breaching its
    tolerances anywhere under its node. Highest score first, then by ref."""
    day = today or register.today()
    record = _body(register.structure(), body)
    reasons: dict[str, list[str]] = {}
    items: dict[str, Item] = {}
    for item in register.query(body=body, open=True):
        ref = item.ref or ""
        items[ref] = item
        reasons.setdefault(ref, []).append("owned" if item.body == body else "escalated")
    for item in _subtree_items(register, record):
        found = breaches(record, item, day)
        if found:
            ref = item.ref or ""
            items[ref] = item
            reasons.setdefault(ref, []).extend(f"breach: {b}" for b in found)
    return _by_score([ViewEntry(items[ref], tuple(r)) for ref, r in reasons.items()])


def _scope(register: Register, body: str | None, node: str | None) -> list[Item]:
    if body is not None and node is not None:
        raise ValidationError("give a body or a node, not both")
    if body is not None:
        return [entry.item for entry in view(register, body)]
    if node is not None:
        return register.query(node=node)
    return list(register.items())


def rollup(register: Register, *, body: str | None = None, node: str | None = None) -> Rollup:
    """Counts by kind, status and RAG, and the cost exposure of open risks, over a
    body's view, a node's subtree, or the whole register."""
    scope = _scope(register, body, node)
    by_status: dict[str, dict[str, int]] = {}
    for item in scope:
        statuses = by_status.setdefault(item.kind, {})
        statuses[item.status or ""] = statuses.get(item.status or "", 0) + 1
    open_items = [i for i in scope if _is_open(register, i)]
    return Rollup(
        count=len(scope),
        open=len(open_items),
        by_kind=dict(Counter(i.kind for i in scope)),
        by_status=by_status,
        by_rag=dict(Counter(i.rag.value if i.rag else "none" for i in scope)),
        exposure=float(
            sum(getattr(i, "cost_exposure", None) or 0.0 for i in open_items if isinstance(i, Risk))
        ),
    )


def heatmap(
    register: Register, *, body: str | None = None, node: str | None = None, level: str = "current"
) -> HeatMap:
    """Open risks placed on the profile's matrix at ``level`` (``inherent``, ``current``,
    ``residual`` or ``target``)."""
    if level not in ("inherent", "current", "residual", "target"):
        raise ValidationError(f"level must be inherent, current, residual or target, not {level!r}")
    prefix = "" if level == "current" else f"{level}_"
    matrix = register.profile.matrix
    counts = [[0] * len(matrix.impact) for _ in matrix.probability]
    for item in _scope(register, body, node):
        if not isinstance(item, Risk) or not _is_open(register, item):
            continue
        p, i = getattr(item, prefix + "probability"), getattr(item, prefix + "impact")
        if p is not None and i is not None and p <= len(counts) and i <= len(counts[0]):
            counts[p - 1][i - 1] += 1
    return HeatMap(level, matrix.probability, matrix.impact, tuple(map(tuple, counts)))


def objectives_at_risk(
    register: Register, *, body: str | None = None, node: str | None = None
) -> list[ObjectiveRisk]:
    """Objectives with the open items linked to them, their exposure and worst RAG;
    the worst first."""
    structure = register.structure()
    objectives = list(structure.objectives.values())
    if node is not None:
        subtree = structure.descendants(node)
        objectives = [o for o in objectives if o.node in subtree]
    scope = [i for i in _scope(register, body, None) if _is_open(register, i)]
    found: list[ObjectiveRisk] = []
    for objective in objectives:
        linked = tuple(i for i in scope if objective.name in i.objectives)
        if not linked:
            continue
        rags = [i.rag for i in linked if i.rag is not None]
        found.append(
            ObjectiveRisk(
                objective=objective,
                items=linked,
                exposure=float(sum(getattr(i, "cost_exposure", None) or 0.0 for i in linked)),
                worst_rag=min(rags, key=_RAG_ORDER.__getitem__) if rags else None,
            )
        )
    found.sort(
        key=lambda o: (
            _RAG_ORDER.get(o.worst_rag, 3) if o.worst_rag else 3,
            -o.exposure,
            o.objective.name,
        )
    )
    return found


def escalations_due(register: Register, *, today: date | None = None) -> list[EscalationDue]:
    """Open items breaching a body's tolerance under its node, not yet escalated to it
    (nor owned by it), in ref order then body."""
    day = today or register.today()
    due: list[EscalationDue] = []
    for record in register.structure().bodies.values():
        for item in _subtree_items(register, record):
            if item.body == record.name or record.name in item.escalated_to:
                continue
            found = breaches(record, item, day)
            if found:
                due.append(EscalationDue(item, record.name, found))
    due.sort(key=lambda d: (d.item.ref or "", d.body))
    return due


def review_date(
    register: Register, item: Item, start: date, *, score: int | None = None
) -> date | None:
    """The next review of ``item`` from ``start``: the cadence of its score's band for
    risks, the profile's ``review_days`` for its kind otherwise (none when unset).
    ``score`` overrides the item's own (for a score about to be stored)."""
    return rules.review_date(register.profile, item, start, score=score)


def stale(register: Register, *, today: date | None = None) -> list[Item]:
    """Open items not updated within their review cadence."""
    day = today or register.today()
    found = []
    for item in register.query(open=True):
        if item.updated_at is None:
            continue
        start = item.updated_at.date()
        due = review_date(register, item, start) or start + timedelta(days=DEFAULT_REVIEW_DAYS)
        if due < day:
            found.append(item)
    return found


#: Age buckets of :func:`ageing`, in days since an item was raised.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("181+", 181, None),
)


def ageing(register: Register, *, today: date | None = None) -> dict[str, dict[str, int]]:
    """Open items by kind and age bucket (days since ``raised_on``, else creation)."""
    day = today or register.today()
    table: dict[str, dict[str, int]] = {}
    for item in register.query(open=True):
        start = item.raised_on or (item.created_at.date() if item.created_at else day)
        age = (day - start).days
        row = table.setdefault(item.kind, {name: 0 for name, _, _ in AGE_BUCKETS})
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                row[name] += 1
                break
    return table


def reminders(
    register: Register, *, today: date | None = None, within_days: int = 7
) -> list[Reminder]:
    """Everything someone should be reminded of: items due within ``within_days``,
    overdue items, reviews due, and escalations due."""
    day = today or register.today()
    found: list[Reminder] = []

    def add(reason: str, item: Item, when: date | None, detail: str) -> None:
        found.append(
            Reminder(reason, item.ref or "", item.title, item.owner, item.body, when, detail)
        )

    for item in register.query(open=True, overdue=True, today=day):
        assert item.due is not None
        add(
            "overdue",
            item,
            item.due,
            f"due {item.due.isoformat()}, {(day - item.due).days} days late",
        )
    horizon = day + timedelta(days=within_days)
    for item in register.query(open=True, order_by="due"):
        if item.due is not None and day <= item.due <= horizon:
            add("due_soon", item, item.due, f"due {item.due.isoformat()}")
    for item in register.query(review_due=True, today=day):
        assert item.next_review is not None
        add("review_due", item, item.next_review, f"review due {item.next_review.isoformat()}")
    for due in escalations_due(register, today=day):
        add("escalation_due", due.item, None, f"escalate to {due.body}: {'; '.join(due.reasons)}")
    return found


def _escalated_to_body_since(events: Iterable[Event], body: str, since: datetime) -> set[str]:
    refs: set[str] = set()
    for event in events:
        if event.action != "escalate" or event.at < since:
            continue
        for change in event.changes:
            if (
                change.field == "escalated_to"
                and isinstance(change.new, list)
                and body in change.new
            ):
                old = change.old if isinstance(change.old, list) else []
                if body not in old:
                    refs.add(event.ref)
    return refs


def agenda(
    register: Register, body: str, meeting_date: date, *, since: date | None = None
) -> Agenda:
    """The agenda of ``body``'s meeting on ``meeting_date``. ``since`` (default: one
    review cadence of the body before, else 30 days) bounds "new" and "changes"."""
    record = _body(register.structure(), body)
    start = since or meeting_date - timedelta(
        days=record.review_cadence_days or DEFAULT_REVIEW_DAYS
    )
    moment = datetime(start.year, start.month, start.day, tzinfo=UTC)
    entries = view(register, body, today=meeting_date)
    in_view = {e.item.ref: e.item for e in entries}
    events = [e for e in register.events() if e.at >= moment]
    escalated = _escalated_to_body_since(events, body, moment)
    scope: dict[str | None, Item] = dict(in_view)
    for item in _subtree_items(register, record):
        scope.setdefault(item.ref, item)
    ordered = sorted(scope.values(), key=lambda i: i.ref or "")
    return Agenda(
        body=body,
        meeting_date=meeting_date,
        since=start,
        new_escalations=tuple(i for i in ordered if i.ref in escalated and i.ref in in_view),
        breaches=tuple(e for e in entries if any(r.startswith("breach") for r in e.reasons)),
        decisions_awaiting=tuple(
            i
            for i in ordered
            if isinstance(i, Decision) and i.status == "proposed" and i.ref in in_view
        ),
        overdue_actions=tuple(
            i for i in ordered if i.kind == "action" and i.due is not None and i.due < meeting_date
        ),
        review_due=tuple(
            i
            for i in ordered
            if i.next_review is not None and i.next_review <= meeting_date and i.ref in in_view
        ),
        changes=tuple(e for e in events if e.ref in scope),
    )


def escalation_allowed(structure: Structure, item: Item, body: str) -> bool:
    """Whether escalating ``item`` to ``body`` goes upwards along the tree (to the body
    of the item's node or of a node above it). Unknown nodes cannot be judged: allowed."""
    record = structure.bodies.get(body)
    if (
        record is None
        or record.node is None
        or item.node is None
        or item.node not in structure.nodes
    ):
        return True
    return record.node == item.node or record.node in structure.ancestors(item.node)
