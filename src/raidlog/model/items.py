"""The items of a RAID register: one governance core shared by every kind.

Items are frozen attrs classes. They validate what they can know on their own at
construction (text rules, ranges, dates in order); what depends on the register's
profile (vocabularies, the scoring matrix, lifecycles) is checked by the register.
Change an item with :func:`attrs.evolve` or, in a register, ``Register.update``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from raidlog.errors import ValidationError
from raidlog.model.values import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ExtraValue,
    Rag,
    Relation,
    as_date,
    canonical_text,
    clean_extra,
    clean_names,
    optional_text,
    utc,
)

__all__ = [
    "BUILTIN_KINDS",
    "LEVELS",
    "Action",
    "Assumption",
    "Decision",
    "Dependency",
    "Issue",
    "Item",
    "Link",
    "Risk",
]

#: Risk assessment levels. The current level uses the unprefixed names
#: (``probability``, ``impact``, ``score``).
LEVELS = ("inherent", "current", "residual", "target")


def _set(item: object, name: str, value: object) -> None:
    # Normalising in __attrs_post_init__ of a frozen class: the only sanctioned write.
    object.__setattr__(item, name, value)


@attrs.frozen(kw_only=True)
class Link:
    """A typed link from the item that holds it to ``target`` (a ref)."""

    relation: Relation
    target: str

    def __attrs_post_init__(self) -> None:
        try:
            _set(self, "relation", Relation(self.relation))
        except ValueError:
            options = ", ".join(r.value for r in Relation)
            raise ValidationError(
                f"unknown link relation {self.relation!r}; use one of {options}", field="links"
            ) from None
        target = optional_text(self.target, field="link target")
        if target is None:
            raise ValidationError("a link needs a target ref", field="links")
        _set(self, "target", target)


@attrs.frozen(kw_only=True)
class Item:
    """The governance core every kind shares.

    ``ref`` is allocated by the register on ``add`` (``R-0001``...); ``version`` is
    0 until stored, then grows by one with every change. ``rag`` is derived from the
    profile's appetite bands unless ``rag_manual`` is true (set by passing ``rag`` to
    ``Register.update``). ``extra`` keeps custom and unmapped fields as typed.
    """

    kind: ClassVar[str] = ""
    ref_prefix: ClassVar[str] = ""
    label: ClassVar[str] = ""

    title: str
    ref: str | None = None
    description: str = ""
    owner: str | None = None
    raised_by: str | None = None
    raised_on: date | None = None
    node: str | None = None
    body: str | None = None
    escalated_to: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    status: str | None = None
    priority: str | None = None
    rag: Rag | None = None
    rag_manual: bool = False
    due: date | None = None
    next_review: date | None = None
    closed_on: date | None = None
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    extra: dict[str, ExtraValue] = attrs.field(factory=dict)
    version: int = 0
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if not type(self).kind:
            raise TypeError("Item is abstract: create a Risk, Action, Issue, Decision, ...")
        title = canonical_text(self.title, field="title", limit=TITLE_MAX).strip()
        if not title:
            raise ValidationError("title must not be empty", field="title")
        _set(self, "title", title)
        _set(self, "description", canonical_text(self.description, field="description"))
        for name in ("ref", "owner", "raised_by", "node", "body", "status", "priority"):
            _set(self, name, optional_text(getattr(self, name), field=name))
        for name in ("created_by", "updated_by"):
            _set(self, name, optional_text(getattr(self, name), field=name))
        for name in ("escalated_to", "objectives", "tags"):
            _set(self, name, clean_names(getattr(self, name), field=name))
        for name in ("raised_on", "due", "next_review", "closed_on"):
            _set(self, name, as_date(getattr(self, name), field=name))
        for name in ("created_at", "updated_at"):
            _set(self, name, utc(getattr(self, name)))
        if self.rag is not None:
            try:
                _set(self, "rag", Rag(self.rag))
            except ValueError:
                raise ValidationError(
                    f"rag must be red, amber or green, not {self.rag!r}", field="rag"
                ) from None
        links = tuple(dict.fromkeys(_link(link) for link in self.links))
        _set(self, "links", links)
        _set(self, "extra", clean_extra(self.extra))
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 0:
            raise ValidationError("version must be a whole number, 0 or more", field="version")
        self._check_dates()

    def _check_dates(self) -> None:
        start = self.raised_on
        for name in ("due", "closed_on"):
            value = getattr(self, name)
            if start is not None and value is not None and value < start:
                raise ValidationError(
                    f"{name} ({value.isoformat()}) is before raised_on ({start.isoformat()})",
                    field=name,
                )

    def _check_text(self, *names: str, limit: int = DESCRIPTION_MAX) -> None:
        for name in names:
            _set(self, name, canonical_text(getattr(self, name), field=name, limit=limit))

    def _check_short(self, *names: str) -> None:
        for name in names:
            _set(self, name, optional_text(getattr(self, name), field=name))

    def _check_whole(self, *names: str, low: int = 1, high: int | None = None) -> None:
        for name in names:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{name} must be a whole number", field=name)
            if value < low or (high is not None and value > high):
                bound = f"between {low} and {high}" if high is not None else f"{low} or more"
                raise ValidationError(f"{name} is {value}; it must be {bound}", field=name)


def _link(value: Link | Any) -> Link:
    if isinstance(value, Link):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Link(relation=value[0], target=value[1])
    raise ValidationError(f"links holds {value!r}, not a Link", field="links")


@attrs.frozen(kw_only=True)
class Risk(Item):
    """An uncertain event that would affect objectives if it happened.

    Probability, impact and score exist at four levels: inherent (before any response),
    current (the unprefixed names), residual (after the planned response) and target.
    Scores are derived from the profile's matrix when probability and impact are set.
    """

    kind: ClassVar[str] = "risk"
    ref_prefix: ClassVar[str] = "R"
    label: ClassVar[str] = "Risk"

    cause: str = ""
    event: str = ""
    effect: str = ""
    category: str | None = None
    inherent_probability: int | None = None
    inherent_impact: int | None = None
    inherent_score: int | None = None
    probability: int | None = None
    impact: int | None = None
    score: int | None = None
    residual_probability: int | None = None
    residual_impact: int | None = None
    residual_score: int | None = None
    target_probability: int | None = None
    target_impact: int | None = None
    target_score: int | None = None
    proximity: str | None = None
    response_category: str | None = None
    response: str = ""
    actionee: str | None = None
    cost_exposure: float | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_text("cause", "event", "effect", "response")
        self._check_short("category", "proximity", "response_category", "actionee")
        prefixes = ("inherent_", "", "residual_", "target_")
        self._check_whole(*(p + n for p in prefixes for n in ("probability", "impact")))
        self._check_whole(*(p + "score" for p in prefixes), low=0)
        if self.cost_exposure is not None:
            value = self.cost_exposure
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise ValidationError("cost_exposure must be a number", field="cost_exposure")
            if value in (float("inf"), float("-inf")):
                raise ValidationError("cost_exposure must be finite", field="cost_exposure")
            _set(self, "cost_exposure", float(value))


@attrs.frozen(kw_only=True)
class Action(Item):
    """A piece of work someone has to do, with an assignee and progress (0 to 100)."""

    kind: ClassVar[str] = "action"
    ref_prefix: ClassVar[str] = "A"
    label: ClassVar[str] = "Action"

    assignee: str | None = None
    progress: int = 0
    completed_on: date | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_short("assignee")
        self._check_whole("progress", low=0, high=100)
        _set(self, "completed_on", as_date(self.completed_on, field="completed_on"))
        if (
            self.completed_on is not None
            and self.raised_on is not None
            and self.completed_on < self.raised_on
        ):
            raise ValidationError("completed_on is before raised_on", field="completed_on")


@attrs.frozen(kw_only=True)
class Issue(Item):
    """Something that has happened and needs handling: a request for change, an
    off-specification, or a problem or concern (``issue_type`` from the profile)."""

    kind: ClassVar[str] = "issue"
    ref_prefix: ClassVar[str] = "I"
    label: ClassVar[str] = "Issue"

    issue_type: str | None = None
    severity: str | None = None
    resolution: str = ""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_short("issue_type", "severity")
        self._check_text("resolution")


@attrs.frozen(kw_only=True)
class Decision(Item):
    """A decision with its rationale. Accepted decisions are immutable: a correction is
    a new decision that supersedes this one (``Register.supersede``)."""

    kind: ClassVar[str] = "decision"
    ref_prefix: ClassVar[str] = "D"
    label: ClassVar[str] = "Decision"

    decision: str = ""
    rationale: str = ""
    options_considered: tuple[str, ...] = ()
    decided_by: str | None = None
    decided_on: date | None = None
    superseded_by: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_text("decision", "rationale")
        self._check_short("decided_by", "superseded_by")
        _set(
            self,
            "options_considered",
            tuple(canonical_text(o, field="options_considered") for o in self.options_considered),
        )
        _set(self, "decided_on", as_date(self.decided_on, field="decided_on"))


@attrs.frozen(kw_only=True)
class Assumption(Item):
    """Something taken to be true for planning, until it is validated or proved false."""

    kind: ClassVar[str] = "assumption"
    ref_prefix: ClassVar[str] = "AS"
    label: ClassVar[str] = "Assumption"

    validation: str = ""
    validated_on: date | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_text("validation")
        _set(self, "validated_on", as_date(self.validated_on, field="validated_on"))


@attrs.frozen(kw_only=True)
class Dependency(Item):
    """Something this work needs from, or owes to, another party (``direction`` is
    ``inbound`` or ``outbound``)."""

    kind: ClassVar[str] = "dependency"
    ref_prefix: ClassVar[str] = "DP"
    label: ClassVar[str] = "Dependency"

    counterparty: str | None = None
    direction: str | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._check_short("counterparty", "direction")
        if self.direction is not None and self.direction not in ("inbound", "outbound"):
            raise ValidationError(
                f"direction must be inbound or outbound, not {self.direction!r}",
                field="direction",
            )


#: The kinds raidlog ships; plugins add more through the ``register_kinds`` hook.
BUILTIN_KINDS: tuple[type[Item], ...] = (Risk, Action, Issue, Decision, Assumption, Dependency)
