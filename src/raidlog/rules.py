"""The profile's rules for items, in one place.

Pure functions over a :class:`~raidlog.model.profile.Profile` and an item: what the
profile derives (vocabulary spellings, scores from the matrix, RAG from the bands or
the priority, the review date), which statuses and moves it allows, what a move sets
besides the status (the lifecycle's ``on_enter`` data: an action done is 100% complete),
and which items may not be edited (an accepted decision, a closed item). Every refusal
is one of :class:`~raidlog.errors.ValidationError`,
:class:`~raidlog.errors.InvalidTransitionError` or
:class:`~raidlog.errors.ImmutableItemError`.

The :class:`~raidlog.register.Register` (every API and CLI change), the Excel workbook's
hand-edit reconciler and the spreadsheet importer call these, so a change is accepted
or refused the same way whichever way it comes in. This module imports only the model
and the errors: a backend may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, TypeVar

import attrs

from raidlog.errors import (
    ImmutableItemError,
    InvalidTransitionError,
    ProfileError,
    ValidationError,
)
from raidlog.model.items import Decision, Item, Risk
from raidlog.model.profile import Profile
from raidlog.model.values import Rag

__all__ = [
    "DERIVED_FIELDS",
    "LEVELS",
    "OPERATIONS",
    "VOCABULARY_FIELDS",
    "check_editable",
    "check_status",
    "check_transition",
    "derived",
    "edited",
    "frozen_message",
    "implied_status",
    "in_vocabulary",
    "moved",
    "new_item_rules",
    "on_enter_dated",
    "rag",
    "rescheduled",
    "review_date",
    "scores",
]

ItemT = TypeVar("ItemT", bound=Item)
_MISSING = object()

#: The assessment levels of a risk, as the prefixes of their probability, impact and
#: score fields (``inherent_score``, ``score``, ...).
LEVELS = ("inherent_", "", "residual_", "target_")
_LEVEL_FIELDS = tuple((p, p + "probability", p + "impact") for p in LEVELS)
#: Fields whose values are spelt as the profile's vocabulary of the same name.
VOCABULARY_FIELDS = ("priority", "issue_type", "response_category")
#: Every field :func:`derived` may give a value for.
DERIVED_FIELDS = frozenset({*VOCABULARY_FIELDS, *(prefix + "score" for prefix in LEVELS), "rag"})
#: Moves only a register operation makes, because it records a new item too.
OPERATIONS: Mapping[tuple[str, str], str] = {
    ("risk", "materialised"): "materialise",
    ("decision", "superseded"): "supersede",
}


# deriving ----------------------------------------------------------------------------
def in_vocabulary(profile: Profile, field: str, value: str) -> str:
    """``value`` spelt as the profile's vocabulary ``field`` spells it (any case);
    free text when the profile has no such vocabulary."""
    words = profile.vocabulary(field)
    if not words:
        return value
    found = _folded(words).get(str(value).casefold())
    if found is not None:
        return found
    raise ValidationError(
        f"{field} {value!r} is not in profile {profile.name!r}: {', '.join(words)}",
        field=field,
    )


def _folded(words: tuple[str, ...]) -> dict[str, str]:
    """Each word of a vocabulary by its case-folded form (the first word of a form wins,
    as a scan in order would find it), made once per vocabulary."""
    found = _FOLDED.get(words)
    if found is None:
        found = {}
        for word in words:
            found.setdefault(word.casefold(), word)
        if len(_FOLDED) >= 64:  # profiles are few: this only bounds a pathological caller
            _FOLDED.clear()
        _FOLDED[words] = found
    return found


_FOLDED: dict[tuple[str, ...], dict[str, str]] = {}


def _vocabulary_fields(cls: type[Item]) -> tuple[str, ...]:
    """The fields of :data:`VOCABULARY_FIELDS` an item of ``cls`` can have: those the
    class has, or all of them when its instances have a ``__dict__`` too."""
    found = _CLASS_VOCABULARY.get(cls)
    if found is None:
        if cls.__dictoffset__ == 0:  # slotted: an instance has only the class's fields
            found = tuple(f for f in VOCABULARY_FIELDS if hasattr(cls, f))
        else:
            found = VOCABULARY_FIELDS
        _CLASS_VOCABULARY[cls] = found
    return found


_CLASS_VOCABULARY: dict[type[Item], tuple[str, ...]] = {}


def scores(profile: Profile, item: Item) -> dict[str, int]:
    """The score of each assessed level of a risk (``{"score": 6, ...}``), from the matrix.

    A level with only one of probability and impact has no score; that is refused only
    when the item carries a score for that level (it could not be derived)."""
    found: dict[str, int] = {}
    if not isinstance(item, Risk):
        return found
    for prefix, probability, impact in _LEVEL_FIELDS:
        p, i = getattr(item, probability), getattr(item, impact)
        if (p is None) != (i is None):
            if getattr(item, prefix + "score") is None:
                continue
            missing = prefix + ("impact" if i is None else "probability")
            raise ValidationError(
                f"{item.ref}: {missing} is needed with a score set", field=missing
            )
        if p is None or i is None:
            continue
        try:
            found[prefix + "score"] = profile.matrix.score(p, i)
        except ValueError as exc:
            raise ValidationError(
                f"{item.ref or item.title!r}: {prefix}{exc}", field=prefix + "probability"
            ) from None
    return found


def rag(profile: Profile, item: Item, *, score: int | None, priority: str | None) -> Rag | None:
    """The RAG the profile gives ``item`` with this (current) score and priority: its
    appetite band for a scored risk, else its priority's, else none."""
    if isinstance(item, Risk) and score is not None:
        return profile.band(score).rag
    if priority is not None:
        return profile.rag_by_priority.get(priority)
    return None


def derived(profile: Profile, item: Item) -> dict[str, Any]:
    """What the profile derives for ``item`` (vocabulary spellings, scores from the
    matrix, RAG unless set by hand), as the fields whose values change."""
    changes: dict[str, Any] = {}
    for field in _vocabulary_fields(type(item)):
        value = getattr(item, field, None)
        if value is not None:
            changes[field] = in_vocabulary(profile, field, value)
    changes.update(scores(profile, item))
    if not item.rag_manual:
        changes["rag"] = rag(
            profile,
            item,
            score=changes.get("score", getattr(item, "score", None)),
            priority=changes.get("priority", item.priority),
        )
    return {k: v for k, v in changes.items() if getattr(item, k) != v}


def new_item_rules(
    profile: Profile, cls: type[Item], today: date | None = None
) -> Callable[[Item], tuple[str, dict[str, Any]]]:
    """:func:`check_status` and :func:`derived` at once for new items of ``cls`` under
    ``profile``, with what they look up every time (the lifecycle's statuses, the
    vocabularies' folded words, whether the class is scored, the matrix's scores and
    each score's band) found once: a bulk add calls this for every item. It gives what
    those two give, and raises what they raise (by calling them when something is
    wrong). Given ``today``, the values also hold the ``next_review`` that
    :func:`review_date` gives from it for an item without one."""
    lifecycle = profile.lifecycle(cls.kind)
    initial, statuses = lifecycle.initial, frozenset(lifecycle.statuses)
    vocabularies = [
        (field, _folded(words))
        for field in _vocabulary_fields(cls)
        if (words := profile.vocabulary(field))
    ]
    scored = issubclass(cls, Risk)
    by_priority = profile.rag_by_priority
    # Every cell of the matrix and its score (a level outside it goes to scores(), which
    # says what is wrong), and each of those scores' band.
    matrix = profile.matrix
    cells = {
        (p, i): matrix.score(p, i)
        for p in range(1, len(matrix.probability) + 1)
        for i in range(1, len(matrix.impact) + 1)
    }
    bands = {score: profile.band(score) for score in cells.values()}
    levels = tuple((p + "score", probability, impact) for p, probability, impact in _LEVEL_FIELDS)
    kind_days = profile.review_days.get(cls.kind)
    unscored_review = None if today is None or kind_days is None else today + timedelta(kind_days)
    reviews: dict[int, date | None] = {}

    def rules(item: Item) -> tuple[str, dict[str, Any]]:
        status = item.status or initial
        if status not in statuses:
            status = check_status(profile, item)  # raises, naming the statuses
        changes: dict[str, Any] = {}
        for field, folded in vocabularies:
            value = getattr(item, field, None)
            if value is not None:
                found = folded.get(str(value).casefold())
                changes[field] = (
                    found if found is not None else in_vocabulary(profile, field, value)
                )
        if scored:
            for name, probability, impact in levels:
                p, i = getattr(item, probability), getattr(item, impact)
                if p is None and i is None:
                    continue
                cell = cells.get((p, i)) if type(p) is int and type(i) is int else None
                if cell is None:  # half a level, or outside the matrix: scores() decides
                    for level in levels:
                        changes.pop(level[0], None)
                    changes.update(scores(profile, item))
                    break
                changes[name] = cell
        score = changes.get("score", getattr(item, "score", None))
        if not item.rag_manual:
            if scored and score is not None:
                band = bands.get(score)
                changes["rag"] = (band if band is not None else profile.band(score)).rag
            else:
                priority = changes.get("priority", item.priority)
                changes["rag"] = None if priority is None else by_priority.get(priority)
        derived = {k: v for k, v in changes.items() if getattr(item, k) != v}
        if today is not None and item.next_review is None:
            if scored and score is not None:
                review = reviews.get(score)
                if review is None:
                    review = reviews[score] = review_date(profile, item, today, score=score)
                derived["next_review"] = review
            else:
                derived["next_review"] = unscored_review
        return status, derived

    return rules


def review_date(
    profile: Profile, item: Item, start: date, *, score: int | None = None
) -> date | None:
    """The next review of ``item`` from ``start``: the cadence of its score's band for
    risks, the profile's ``review_days`` for its kind otherwise (none when unset).
    ``score`` overrides the item's own (for a score about to be stored)."""
    score = score if score is not None else getattr(item, "score", None)
    if isinstance(item, Risk) and score is not None:
        return start + timedelta(days=profile.band(score).review_days)
    days = profile.review_days.get(item.kind)
    return None if days is None else start + timedelta(days=days)


def rescheduled(profile: Profile, old: Item, new: Item, today: date) -> dict[str, Any]:
    """A new score may move a risk to another band: unless the change set the next
    review itself, it is due on that band's cadence from ``today``."""
    score = getattr(new, "score", None)
    if score != getattr(old, "score", None) and new.next_review == old.next_review:
        return {"next_review": review_date(profile, new, today)}
    return {}


# statuses and moves ------------------------------------------------------------------
def check_status(profile: Profile, item: Item) -> str:
    """The status ``item`` is stored with: its own, or its lifecycle's initial one;
    refused when the lifecycle has no such status."""
    lifecycle = profile.lifecycle(item.kind)
    status = item.status or lifecycle.initial
    if status not in lifecycle.statuses:
        raise ValidationError(
            f"{item.ref + ': ' if item.ref else ''}status {status!r} is not a {item.kind} "
            f"status in profile {profile.name!r}: {', '.join(lifecycle.statuses)}",
            field="status",
        )
    return status


def check_transition(
    profile: Profile, item: Item, status: str, reason: str | None, *, internal: bool = False
) -> None:
    """Refuse moving ``item`` to ``status`` unless its lifecycle allows it, with a reason
    when the lifecycle asks for one. ``internal`` is for the register operations of
    :data:`OPERATIONS` (materialise, supersede), the only ones that make those moves."""
    lifecycle = profile.lifecycle(item.kind)
    old = item.status or lifecycle.initial
    if status not in lifecycle.allowed(old):
        raise InvalidTransitionError(item.ref or "", item.kind, old, status, lifecycle.allowed(old))
    operation = OPERATIONS.get((item.kind, status))
    if operation is not None and not internal:
        raise InvalidTransitionError(
            item.ref or "",
            item.kind,
            old,
            status,
            lifecycle.allowed(old),
            hint=f"use Register.{operation}() for this move, which records the new item too",
        )
    if (old, status) in lifecycle.reason_required and not (reason and reason.strip()):
        raise ValidationError(
            f"{item.ref}: moving from {old!r} to {status!r} needs a reason", field="reason"
        )


def moved(profile: Profile, item: ItemT, status: str, today: date) -> ItemT:
    """``item`` in ``status`` with what the move sets too: the closing date when it
    closes (cleared when it reopens), and the lifecycle's ``on_enter`` values and dates."""
    lifecycle = profile.lifecycle(item.kind)
    changes: dict[str, Any] = {"status": status}
    if status in lifecycle.closed and item.closed_on is None:
        changes["closed_on"] = max(today, item.raised_on or today)
    elif status not in lifecycle.closed and item.closed_on is not None:
        changes["closed_on"] = None
    entry = lifecycle.on_enter.get(status)
    if entry is not None:
        changes.update(entry.values)
        day = changes.get("closed_on", item.closed_on) or today
        for name in entry.dated:
            if getattr(item, name, None) is None:
                changes[name] = day
    try:
        return attrs.evolve(item, **changes)
    except TypeError as exc:
        raise ProfileError(
            f"profile {profile.name!r}: on_enter of {item.kind} {status!r} sets a field a "
            f"{item.kind} does not have ({exc})"
        ) from None


def on_enter_dated(profile: Profile, kind: str, status: str | None) -> tuple[str, ...]:
    """The date fields that moving a ``kind`` into ``status`` fills with the closing date."""
    if status is None:
        return ()
    entry = profile.lifecycle(kind).on_enter.get(status)
    return () if entry is None else entry.dated


def implied_status(profile: Profile, kind: str, values: Mapping[str, Any]) -> str | None:
    """The status whose ``on_enter`` values ``values`` already hold (an action at 100%
    is done), for a source that has no status of its own; ``None`` when none does."""
    for status, entry in profile.lifecycle(kind).on_enter.items():
        if entry.values and all(values.get(k) == v for k, v in entry.values.items()):
            return status
    return None


# editability -------------------------------------------------------------------------
def frozen_message(item: Item, changed: Iterable[str] = ()) -> str:
    """Why ``item`` cannot be edited, and what to do instead."""
    fields = ", ".join(changed)
    what = f" (changed: {fields})" if fields else ""
    if isinstance(item, Decision) and item.status == "accepted":
        return (
            f"{item.ref} is an accepted decision and cannot be edited{what}: supersede it "
            "with a new decision instead"
        )
    return (
        f"{item.ref} is {item.status} and cannot be edited{what}: reopen it first, with a "
        "transition, then change it"
    )


def check_editable(profile: Profile, item: Item, changed: Iterable[str]) -> None:
    """Refuse changing the fields ``changed`` of ``item`` when its status is frozen
    (a closed item, an accepted decision)."""
    fields = sorted(set(changed))
    if fields and item.status in profile.lifecycle(item.kind).frozen:
        raise ImmutableItemError(frozen_message(item, fields), ref=item.ref)


def edited(
    profile: Profile,
    current: ItemT,
    changes: Mapping[str, Any],
    *,
    reason: str | None,
    today: date,
) -> ItemT:
    """``current`` with ``changes`` applied, as the profile allows: the one rule for an
    edit, whoever makes it.

    A new ``status`` is a move (checked as :func:`check_transition`, applied as
    :func:`moved`). A frozen item takes only a move out, and what the move implies (the
    closing date it clears); any other change of it is refused. Vocabulary words are
    spelt as the profile spells them first, so ``"HIGH"`` for ``"high"`` changes
    nothing. A ``rag`` given is manual, unless it is cleared. Derived fields are not
    recomputed here (see :func:`derived`)."""
    wanted = dict(changes)
    for field in VOCABULARY_FIELDS:
        if isinstance(wanted.get(field), str):
            wanted[field] = in_vocabulary(profile, field, wanted[field])
    if "rag" in wanted:
        wanted["rag_manual"] = wanted["rag"] is not None
    status = str(wanted.pop("status", current.status) or "")
    moving = status != (current.status or "")
    if moving:
        check_transition(profile, current, status, reason)
    # A value the item already has, or that the move sets itself (the closing date
    # it clears), is not an edit.
    base = moved(profile, current, status, today) if moving else current
    edits = [k for k, v in wanted.items() if k != "rag_manual" and getattr(base, k, _MISSING) != v]
    check_editable(profile, current, edits)
    try:
        new = attrs.evolve(current, **wanted)
    except TypeError as exc:
        raise ValidationError(f"{current.ref}: {exc}") from None
    return moved(profile, new, status, today) if moving else new
