"""What a board pack shows, gathered once from a register and shared by the HTML report
and the xlsx board pack: the body's view with RAG, heat maps, top risks, overdue
actions, escalations, recent decisions and objectives at risk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

import attrs

from raidlog.errors import ValidationError
from raidlog.model.items import Action, Decision, Item, Risk
from raidlog.model.profile import Matrix
from raidlog.model.values import Rag
from raidlog.register import Register

__all__ = ["LEVELS", "BoardData", "HeatMap", "ObjectiveRisk", "gather", "heat_map"]

#: Heat-map levels a board pack shows side by side.
LEVELS = ("inherent", "residual")
_PREFIX = {"inherent": "inherent_", "current": "", "residual": "residual_"}
_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, None: 3}


@attrs.frozen
class HeatMap:
    """Counts of open risks per probability x impact cell at one assessment level.

    ``counts[p - 1][i - 1]`` is the number of risks with probability ``p`` and impact
    ``i``; ``scores`` holds the matrix score of each cell, ``rags`` its appetite RAG.
    """

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
class ObjectiveRisk:
    """An objective with the open items that threaten it."""

    objective: str
    title: str
    items: tuple[Item, ...]
    exposure: float
    worst_rag: str | None


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
    heat_maps: tuple[HeatMap, ...]
    top_risks: tuple[Item, ...]
    overdue_actions: tuple[Item, ...]
    escalations: tuple[Item, ...]
    decisions: tuple[Item, ...]
    objectives: tuple[ObjectiveRisk, ...]
    rag_counts: dict[str, int]
    kind_counts: dict[str, int]
    total_items: int


def heat_map(
    risks: Iterable[Item], matrix: Matrix, rag_of: Callable[[int], str], level: str
) -> HeatMap:
    """Count ``risks`` on the ``matrix`` at ``level`` (inherent, current or residual)."""
    prefix = _PREFIX[level]
    rows, cols = len(matrix.probability), len(matrix.impact)
    grid = [[0] * cols for _ in range(rows)]
    unassessed = 0
    for risk in risks:
        p = getattr(risk, prefix + "probability", None)
        i = getattr(risk, prefix + "impact", None)
        if p is None or i is None or not (1 <= p <= rows and 1 <= i <= cols):
            unassessed += 1
            continue
        grid[p - 1][i - 1] += 1
    scores = tuple(
        tuple(matrix.score(p, i) for i in range(1, cols + 1)) for p in range(1, rows + 1)
    )
    return HeatMap(
        level=level,
        probability=matrix.probability,
        impact=matrix.impact,
        counts=tuple(tuple(row) for row in grid),
        scores=scores,
        rags=tuple(tuple(rag_of(s) for s in row) for row in scores),
        unassessed=unassessed,
    )


def _rag_key(item: Item) -> tuple[int, str]:
    return (_RAG_ORDER.get(item.rag, 3), item.ref or "")


def gather(
    register: Register,
    *,
    body: str | None = None,
    top: int = 10,
    recent_decisions: int = 20,
    now: datetime | None = None,
) -> BoardData:
    """Collect a board pack's content for ``body`` (or the whole register when None).

    The view is the body's open items (its own and those escalated to it), red first;
    heat maps place its open risks at the inherent and residual levels.
    """
    moment = now or datetime.now(UTC)
    structure = register.structure()
    if body is not None and structure.bodies and body not in structure.bodies:
        raise ValidationError(
            f"no body named {body!r}; known bodies: {', '.join(sorted(structure.bodies))}",
            field="body",
        )
    today = register.today()
    view = sorted(register.query(body=body, open=True), key=_rag_key)
    risks = [i for i in view if isinstance(i, Risk)]
    profile = register.profile

    def rag_of(score: int) -> str:
        return profile.band(score).rag.value

    maps = tuple(heat_map(risks, profile.matrix, rag_of, level) for level in LEVELS)
    top_risks = sorted(
        (r for r in risks if r.score is not None), key=lambda r: (-(r.score or 0), r.ref or "")
    )[:top]
    overdue = [i for i in view if isinstance(i, Action) and i.due is not None and i.due < today]
    overdue.sort(key=lambda i: (i.due or today, i.ref or ""))
    # Both directions a board discusses: what was escalated to it, and what it sent up.
    escalated = [i for i in view if i.escalated_to]
    decisions = sorted(
        (i for i in register.query(body=body, kind="decision") if isinstance(i, Decision)),
        key=lambda d: (d.decided_on or d.raised_on or date.min, d.ref or ""),
        reverse=True,
    )[:recent_decisions]
    by_objective: dict[str, list[Item]] = {}
    for item in view:
        for name in item.objectives:
            by_objective.setdefault(name, []).append(item)
    objectives = []
    for name, threatened in sorted(by_objective.items()):
        worst = min(threatened, key=_rag_key).rag
        exposure = sum(getattr(i, "cost_exposure", None) or 0.0 for i in threatened)
        known = structure.objectives.get(name)
        objectives.append(
            ObjectiveRisk(
                objective=name,
                title=known.title if known is not None else name,
                items=tuple(threatened),
                exposure=exposure,
                worst_rag=None if worst is None else worst.value,
            )
        )
    objectives.sort(
        key=lambda o: (
            _RAG_ORDER.get(Rag(o.worst_rag) if o.worst_rag else None, 3),
            -o.exposure,
            o.objective,
        )
    )
    rag_counts = Counter(i.rag.value if i.rag else "none" for i in view)
    return BoardData(
        source=register.location,
        backend=register.backend.name,
        profile=profile.name,
        body=body,
        generated_at=moment,
        today=today,
        view=tuple(view),
        heat_maps=maps,
        top_risks=tuple(top_risks),
        overdue_actions=tuple(overdue),
        escalations=tuple(escalated),
        decisions=tuple(decisions),
        objectives=tuple(objectives),
        rag_counts={k: rag_counts.get(k, 0) for k in ("red", "amber", "green", "none")},
        kind_counts=dict(sorted(Counter(i.kind for i in view).items())),
        total_items=len(register),
    )
