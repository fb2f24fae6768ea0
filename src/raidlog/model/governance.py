"""The governance structure a register carries: accountability nodes and their bodies.

Nodes form a tree (corporate, portfolio, programme, project, or whatever levels an
organisation names). Each node may have a governance body; bodies carry tolerances
that decide what must be surfaced to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from raidlog.errors import ValidationError
from raidlog.model.values import optional_text

__all__ = ["Body", "Node", "Objective", "Structure"]


def _name(value: str, field: str) -> str:
    text = optional_text(value, field=field)
    if text is None:
        raise ValidationError(f"{field} must not be empty", field=field)
    return text


@attrs.frozen(kw_only=True)
class Node:
    """An accountability node: ``parent`` is the name of the node above (None at the top)."""

    name: str
    level: str = "project"
    parent: str | None = None
    body: str | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name, "node name"))
        object.__setattr__(self, "level", _name(self.level, "node level"))
        object.__setattr__(self, "parent", optional_text(self.parent, field="parent"))
        object.__setattr__(self, "body", optional_text(self.body, field="body"))
        if self.parent == self.name:
            raise ValidationError(f"node {self.name!r} cannot be its own parent", field="parent")


@attrs.frozen(kw_only=True)
class Body:
    """A governance body (project board, programme board, PMO, executive committee...).

    Tolerances: an open risk whose score reaches ``score_tolerance``, or whose cost
    exposure reaches ``cost_tolerance``, or an item late by ``slip_tolerance_days`` or
    more, anywhere under the body's node, breaches the body's tolerance.
    """

    name: str
    node: str | None = None
    score_tolerance: int | None = None
    cost_tolerance: float | None = None
    slip_tolerance_days: int | None = None
    review_cadence_days: int | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name, "body name"))
        object.__setattr__(self, "node", optional_text(self.node, field="node"))
        for field in ("score_tolerance", "slip_tolerance_days", "review_cadence_days"):
            value = getattr(self, field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationError(f"{field} must be a whole number", field=field)
            if value is not None and value < 0:
                raise ValidationError(f"{field} must not be negative", field=field)
        if self.cost_tolerance is not None:
            object.__setattr__(self, "cost_tolerance", float(self.cost_tolerance))


@attrs.frozen(kw_only=True)
class Objective:
    """An objective (OKR) of a node, with its key results. Items name the objectives they
    affect in their ``objectives`` field, by ``name`` (for example ``O-1``)."""

    name: str
    title: str
    node: str | None = None
    owner: str | None = None
    key_results: tuple[str, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name, "objective name"))
        object.__setattr__(self, "title", _name(self.title, "objective title"))
        object.__setattr__(self, "node", optional_text(self.node, field="node"))
        object.__setattr__(self, "owner", optional_text(self.owner, field="owner"))
        results = tuple(
            r for r in (optional_text(k, field="key_results") for k in self.key_results) if r
        )
        object.__setattr__(self, "key_results", results)


@attrs.frozen
class Structure:
    """A snapshot of the governance structure, with tree look-ups."""

    nodes: Mapping[str, Node] = attrs.field(factory=dict)
    bodies: Mapping[str, Body] = attrs.field(factory=dict)
    objectives: Mapping[str, Objective] = attrs.field(factory=dict)

    @classmethod
    def of(cls, entities: Iterable[Node | Body | Objective]) -> Structure:
        """Build a structure from its records (nodes, bodies and objectives, any order)."""
        items = list(entities)
        return cls(
            {e.name: e for e in items if isinstance(e, Node)},
            {e.name: e for e in items if isinstance(e, Body)},
            {e.name: e for e in items if isinstance(e, Objective)},
        )

    def records(self) -> list[Node | Body | Objective]:
        """Every node, body and objective."""
        return [*self.nodes.values(), *self.bodies.values(), *self.objectives.values()]

    def descendants(self, name: str) -> frozenset[str]:
        """``name`` and every node below it (just ``name`` when it is not in the tree)."""
        children: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.parent is not None:
                children.setdefault(node.parent, []).append(node.name)
        found: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(children.get(current, ()))
        return frozenset(found)

    def ancestors(self, name: str) -> tuple[str, ...]:
        """The nodes above ``name``, nearest first."""
        chain: list[str] = []
        current = self.nodes.get(name)
        while current is not None and current.parent is not None and current.parent not in chain:
            chain.append(current.parent)
            current = self.nodes.get(current.parent)
        return tuple(chain)
