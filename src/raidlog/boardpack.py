"""What a board pack shows, gathered once from a register and shared by the HTML report
(:mod:`raidlog.report`) and the xlsx board pack (:mod:`raidlog.export.xlsx`): it sits
below both, so neither imports the other.

The governance questions (a body's view and why each item is in it, roll-ups, objectives
at risk, escalations due) are answered by the register's governance API
(:mod:`raidlog.boards`); this module selects and orders for presentation, and counts
the heat maps from the view it already holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import attrs

from raidlog.boards import EscalationDue, ObjectiveRisk, Rollup
from raidlog.model.items import Action, Decision, Item, Risk
from raidlog.model.values import Rag

if TYPE_CHECKING:
    from raidlog.register import Register

__all__ = ["LEVELS", "BoardData", "HeatGrid", "gather"]

#: Heat-map levels a board pack shows side by side.
LEVELS = ("inherent", "residual")
_PREFIX = {"inherent": "inherent_", "current": "", "residual": "residual_", "target": "target_"}
_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, None: 3}


@attrs.frozen
class HeatGrid:
    """A heat map ready to draw: the register's counts (``counts[p - 1][i - 1]``) with
    each cell's matrix score and appetite RAG, and how many open risks in scope have no
    assessment at this level."""

    level: str
    probability: tuple[str, ...]
    impact: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    scores: tuple[tuple[int, ...], ...]
    rags: tuple[tuple[str, ...], ...]
    unassessed: int

    @property
    def total(self) -> int:
        """How many risks are placed on the map."""
        return sum(map(sum, self.counts))


@attrs.frozen
class BoardData:
    """Everything a board pack shows, for one body (or the whole register)."""

    source: str
    backend: str
    profile: str
    body: str | None
    generated_at: datetime
    today: date
    view: tuple[Item, ...]
    reasons: dict[str, tuple[str, ...]]
    heat_maps: tuple[HeatGrid, ...]
    top_risks: tuple[Item, ...]
    overdue_actions: tuple[Item, ...]
    escalations: tuple[Item, ...]
    escalations_due: tuple[EscalationDue, ...]
    decisions: tuple[Item, ...]
    objectives: tuple[ObjectiveRisk, ...]
    rollup: Rollup
    rag_counts: dict[str, int]
    kind_counts: dict[str, int]
    total_items: int


def _grid(register: Register, level: str, risks: Sequence[Item]) -> HeatGrid:
    """The heat map of ``risks`` (the view's open risks) at ``level``: the same counts
    as :meth:`Register.heatmap` over that body's view (a test holds them equal), counted
    from the view already in hand rather than computing the view again."""
    profile = register.profile
    matrix = profile.matrix
    rows, cols = len(matrix.probability), len(matrix.impact)
    counts = [[0] * cols for _ in range(rows)]
    prefix = _PREFIX[level]
    unassessed = 0
    for risk in risks:
        p = getattr(risk, prefix + "probability", None)
        i = getattr(risk, prefix + "impact", None)
        if p is None or i is None or not (1 <= p <= rows and 1 <= i <= cols):
            unassessed += 1
            continue
        counts[p - 1][i - 1] += 1
    scores = tuple(
        tuple(matrix.score(p, i) for i in range(1, cols + 1)) for p in range(1, rows + 1)
    )
    return HeatGrid(
        level=level,
        probability=matrix.probability,
        impact=matrix.impact,
        counts=tuple(tuple(row) for row in counts),
        scores=scores,
        rags=tuple(tuple(profile.band(s).rag.value for s in row) for row in scores),
        unassessed=unassessed,
    )


def _rag_key(item: Item) -> int:
    return _RAG_ORDER.get(item.rag, 3)


def gather(
    register: Register,
    *,
    body: str | None = None,
    top: int = 10,
    recent_decisions: int = 20,
    now: datetime | None = None,
) -> BoardData:
    """Collect a board pack's content for ``body`` (or the whole register when None).

    For a body, the view is :meth:`Register.view` (owned, escalated to it, breaching its
    tolerances), red first; for the whole register, every open item. Heat maps place the
    same scope's open risks at the inherent and residual levels. Raises
    :class:`~raidlog.errors.ValidationError` for an unknown body.
    """
    moment = now or datetime.now(UTC)
    today = register.today()
    entries: list[tuple[Item, tuple[str, ...]]]
    if body is None:
        entries = [(item, ()) for item in register.query(open=True)]
    else:
        entries = [(e.item, e.reasons) for e in register.view(body)]
    # Red first; within a RAG, the governance order (highest score, then ref) stays.
    entries.sort(key=lambda entry: _rag_key(entry[0]))
    view = [item for item, _ in entries]
    reasons = {item.ref or "": tuple(why) for item, why in entries}
    risks = [i for i in view if isinstance(i, Risk)]
    maps = tuple(_grid(register, level, risks) for level in LEVELS)
    top_risks = sorted(
        (r for r in risks if r.score is not None), key=lambda r: (-(r.score or 0), r.ref or "")
    )[:top]
    overdue = [i for i in view if isinstance(i, Action) and i.due is not None and i.due < today]
    overdue.sort(key=lambda i: (i.due or today, i.ref or ""))
    # Both directions a board discusses: what was escalated to it, and what it sent up.
    escalated = [i for i in view if i.escalated_to]
    due = [d for d in register.escalations_due() if body is None or d.body == body]
    decisions = sorted(
        (i for i in register.query(body=body, kind="decision") if isinstance(i, Decision)),
        key=lambda d: (d.decided_on or d.raised_on or date.min, d.ref or ""),
        reverse=True,
    )[:recent_decisions]
    rag_counts = Counter(i.rag.value if i.rag else "none" for i in view)
    return BoardData(
        source=register.location,
        backend=register.backend.name,
        profile=register.profile.name,
        body=body,
        generated_at=moment,
        today=today,
        view=tuple(view),
        reasons=reasons,
        heat_maps=maps,
        top_risks=tuple(top_risks),
        overdue_actions=tuple(overdue),
        escalations=tuple(escalated),
        escalations_due=tuple(due),
        decisions=tuple(decisions),
        objectives=tuple(register.objectives_at_risk(body=body)),
        rollup=register.rollup(body=body),
        rag_counts={k: rag_counts.get(k, 0) for k in ("red", "amber", "green", "none")},
        kind_counts=dict(sorted(Counter(i.kind for i in view).items())),
        total_items=len(register),
    )
