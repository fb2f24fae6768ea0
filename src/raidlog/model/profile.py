"""Profiles: vocabularies, lifecycles, the scoring matrix and appetite bands, as data.

A profile is built from a plain mapping (the TOML files shipped in
``raidlog/profiles/``); this module only interprets it. Scoring is pure code over a
matrix described as data: any N x M, multiplicative, additive or lookup.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from raidlog.errors import ProfileError
from raidlog.model.events import Change, Event, JsonValue
from raidlog.model.values import Rag

__all__ = [
    "PROFILE_REF",
    "Band",
    "Lifecycle",
    "Matrix",
    "OnEnter",
    "Profile",
    "chained_profile",
    "profile_changes",
    "profile_payload",
]


@attrs.frozen(kw_only=True)
class OnEnter:
    """What moving into a status sets besides the status (a lifecycle's ``on_enter``).

    ``values``: fields set to these values (an action done is 100% complete).
    ``dated``: date fields set to the closing date when they are empty.
    """

    values: Mapping[str, Any] = attrs.field(factory=dict)
    dated: tuple[str, ...] = ()


#: What a lifecycle without an ``on_enter`` table gets: profiles stored by registers
#: before the table existed kept this rule in code, and keep it.
_LEGACY_ON_ENTER: Mapping[str, Mapping[str, OnEnter]] = {
    "action": {"done": OnEnter(values={"progress": 100}, dated=("completed_on",))},
}

#: The ref, and the kind, of the events that chain a register's profile. The profile is
#: rules (frozen statuses, bands, required reasons): it is recorded in the hash chain
#: like any change, so editing the stored copy cannot bend later writes.
PROFILE_REF = "profile"


@attrs.frozen(kw_only=True)
class Lifecycle:
    """The statuses of one kind and the moves allowed between them.

    ``closed``: statuses in which the item no longer counts as open (not overdue, not
    due for review). ``frozen``: statuses in which the item's content is immutable
    (only a transition out, or a supersede for decisions, changes it).
    ``reason_required``: moves that must carry a reason (reopening, typically).
    ``on_enter``: what moving into a status sets besides it, by status.
    """

    initial: str
    transitions: Mapping[str, tuple[str, ...]]
    closed: frozenset[str] = frozenset()
    frozen: frozenset[str] = frozenset()
    reason_required: frozenset[tuple[str, str]] = frozenset()
    on_enter: Mapping[str, OnEnter] = attrs.field(factory=dict)

    @functools.cached_property
    def statuses(self) -> tuple[str, ...]:
        """Every status, in the order the profile lists them."""
        seen = dict.fromkeys([self.initial, *self.transitions])
        for targets in self.transitions.values():
            seen.update(dict.fromkeys(targets))
        return tuple(seen)

    def allowed(self, status: str) -> tuple[str, ...]:
        """Statuses reachable from ``status`` in one move."""
        return self.transitions.get(status, ())


@attrs.frozen(kw_only=True)
class Matrix:
    """A probability x impact matrix. Levels are numbered from 1; labels name them."""

    probability: tuple[str, ...]
    impact: tuple[str, ...]
    method: str = "multiplicative"
    table: tuple[tuple[int, ...], ...] = ()

    def __attrs_post_init__(self) -> None:
        if not self.probability or not self.impact:
            raise ProfileError("a matrix needs at least one probability and one impact level")
        if self.method not in ("multiplicative", "additive", "lookup"):
            raise ProfileError(
                f"matrix method {self.method!r} is not multiplicative, additive or lookup"
            )
        if self.method == "lookup" and (
            len(self.table) != len(self.probability)
            or any(len(row) != len(self.impact) for row in self.table)
        ):
            raise ProfileError(
                f"a lookup matrix needs a {len(self.probability)} x {len(self.impact)} table "
                "(one row per probability level, one column per impact level)"
            )

    def score(self, probability: int, impact: int) -> int:
        """The score of a cell; raises ``ValueError`` outside the matrix."""
        if not 1 <= probability <= len(self.probability):
            raise ValueError(
                f"probability {probability} is outside the matrix (1 to {len(self.probability)})"
            )
        if not 1 <= impact <= len(self.impact):
            raise ValueError(f"impact {impact} is outside the matrix (1 to {len(self.impact)})")
        if self.method == "multiplicative":
            return probability * impact
        if self.method == "additive":
            return probability + impact
        return self.table[probability - 1][impact - 1]

    @property
    def max_score(self) -> int:
        """The highest score the matrix can give."""
        return self.score(len(self.probability), len(self.impact))


@attrs.frozen(kw_only=True)
class Band:
    """An appetite band: scores from ``min_score`` up belong to it (until the next band)."""

    name: str
    min_score: int
    rag: Rag
    review_days: int


@attrs.frozen(kw_only=True)
class Profile:
    """Everything a register needs to know about an organisation's method."""

    name: str
    title: str
    lifecycles: Mapping[str, Lifecycle]
    matrix: Matrix
    bands: tuple[Band, ...]
    vocabularies: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    rag_by_priority: Mapping[str, Rag] = attrs.field(factory=dict)
    #: Review cadence in days for kinds not scored by the matrix (risks use their band's).
    review_days: Mapping[str, int] = attrs.field(factory=dict)
    source: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    def lifecycle(self, kind: str) -> Lifecycle:
        """The lifecycle of ``kind``; raises ``ProfileError`` when the profile has none."""
        try:
            return self.lifecycles[kind]
        except KeyError:
            raise ProfileError(f"profile {self.name!r} has no lifecycle for {kind!r}") from None

    def band(self, score: int) -> Band:
        """The appetite band a score falls in."""
        chosen = self.bands[0]
        for band in self.bands:
            if score >= band.min_score:
                chosen = band
        return chosen

    def vocabulary(self, name: str) -> tuple[str, ...]:
        """A named vocabulary (``priority``, ``issue_type``, ...); empty means free text."""
        return self.vocabularies.get(name, ())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Profile:
        """Build a profile from parsed data; every problem is a ``ProfileError`` naming it."""
        try:
            return cls._build(data)
        except ProfileError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            name = data.get("name", "?") if isinstance(data, Mapping) else "?"
            raise ProfileError(f"profile {name!r} is malformed: {exc!r}") from exc

    @classmethod
    def _build(cls, data: Mapping[str, Any]) -> Profile:
        lifecycles = {}
        for kind, spec in data["lifecycle"].items():
            transitions = {k: tuple(v) for k, v in spec["transitions"].items()}
            reason = frozenset(tuple(pair.split("->")) for pair in spec.get("reason_required", []))
            if "on_enter" in spec:
                on_enter = {
                    status: OnEnter(
                        values=dict(entry.get("values", {})),
                        dated=tuple(entry.get("dated", ())),
                    )
                    for status, entry in spec["on_enter"].items()
                }
            else:
                on_enter = dict(_LEGACY_ON_ENTER.get(kind, {}))
            lifecycle = Lifecycle(
                initial=spec["initial"],
                transitions=transitions,
                closed=frozenset(spec.get("closed", [])),
                frozen=frozenset(spec.get("frozen", [])),
                reason_required=frozenset((a.strip(), b.strip()) for a, b in reason),
                on_enter=on_enter,
            )
            if "on_enter" not in spec:
                # Only the statuses this lifecycle has (a legacy default may name others).
                on_enter = {k: v for k, v in on_enter.items() if k in lifecycle.statuses}
                lifecycle = attrs.evolve(lifecycle, on_enter=on_enter)
            unknown = (lifecycle.closed | lifecycle.frozen | set(lifecycle.on_enter)) - set(
                lifecycle.statuses
            )
            if unknown:
                raise ProfileError(f"lifecycle of {kind!r} names unknown statuses {unknown}")
            lifecycles[kind] = lifecycle
        m = data["matrix"]
        matrix = Matrix(
            probability=tuple(m["probability"]),
            impact=tuple(m["impact"]),
            method=m.get("method", "multiplicative"),
            table=tuple(tuple(int(x) for x in row) for row in m.get("table", ())),
        )
        bands = tuple(
            sorted(
                (
                    Band(
                        name=b["name"],
                        min_score=int(b["min_score"]),
                        rag=Rag(b["rag"]),
                        review_days=int(b["review_days"]),
                    )
                    for b in data["bands"]
                ),
                key=lambda band: band.min_score,
            )
        )
        if not bands:
            raise ProfileError("a profile needs at least one appetite band")
        vocabularies = {k: tuple(v) for k, v in data.get("vocabularies", {}).items()}
        rag_by_priority = {k: Rag(v) for k, v in data.get("rag_by_priority", {}).items()}
        return cls(
            name=data["name"],
            title=data.get("title", data["name"]),
            lifecycles=lifecycles,
            matrix=matrix,
            bands=bands,
            vocabularies=vocabularies,
            rag_by_priority=rag_by_priority,
            review_days={k: int(v) for k, v in data.get("review_days", {}).items()},
            source=dict(data),
        )


def profile_payload(source: Mapping[str, Any]) -> str:
    """The canonical text of a profile's data: how stores keep it, and how two copies
    are compared."""
    return json.dumps(source, sort_keys=True)


def profile_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[Change, ...]:
    """The change list of a profile event: the whole profile data, before and after."""
    before: JsonValue = None if old is None else json.loads(profile_payload(old))
    return (Change(field="profile", old=before, new=json.loads(profile_payload(new))),)


def chained_profile(events: Iterable[Event]) -> dict[str, Any] | None:
    """The profile data the last profile event among ``events`` records (``None`` when
    none does: a register written before profiles were chained)."""
    found: dict[str, Any] | None = None
    for event in events:
        if event.kind != PROFILE_REF:
            continue
        for change in event.changes:
            if change.field == "profile" and isinstance(change.new, dict):
                found = change.new
    return found
