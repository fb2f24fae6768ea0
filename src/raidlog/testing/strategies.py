"""Hypothesis strategies for every kind of item, registers and queries.

Generated values are valid under the ``default`` profile. Text is drawn from a small
vocabulary (with accents and punctuation) so text queries find something.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Any, Literal

from hypothesis import strategies as st

from raidlog.model.items import (
    Action,
    Assumption,
    Decision,
    Dependency,
    Issue,
    Item,
    Risk,
)
from raidlog.query import ORDERABLE, Query

__all__ = [
    "BODIES",
    "NODES",
    "OWNERS",
    "TAGS",
    "WORDS",
    "items",
    "look_alikes",
    "queries",
    "texts",
]

#: Words that make up generated text (accents and case on purpose).
WORDS = ("supplier", "Delay", "budget", "café", "ÉTÉ", "data", "vendor", "x1", "migration", "Naïve")
OWNERS = ("ana", "bo", "chen", "dee")
BODIES = ("project board", "programme board", "PMO", "ExCo")
NODES = ("corporate", "portfolio", "programme", "project-a", "project-b")
TAGS = ("finance", "it", "legal", "people")
_PUNCT = (" ", " ", ", ", " - ", "; ", "/", " (", ") ")

_STATUSES: dict[str, tuple[str, ...]] = {
    "risk": ("open", "mitigating", "accepted", "closed", "materialised"),
    "action": ("open", "in_progress", "blocked", "done", "cancelled"),
    "issue": ("open", "investigating", "resolved", "closed"),
    "decision": ("proposed", "accepted", "rejected", "deprecated"),
    "assumption": ("open", "validated", "invalidated", "closed"),
    "dependency": ("open", "agreed", "at_risk", "delivered", "cancelled"),
}
_CLASSES: dict[str, type[Item]] = {
    cls.kind: cls for cls in (Risk, Action, Issue, Decision, Assumption, Dependency)
}


@st.composite
def texts(draw: st.DrawFn, *, min_words: int = 1, max_words: int = 8) -> str:
    """Text made of :data:`WORDS` joined by spaces and punctuation."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=min_words, max_size=max_words))
    if not words:
        return ""
    out = words[0]
    for word in words[1:]:
        out += draw(st.sampled_from(_PUNCT)) + word
    return out


_DAYS = st.integers(min_value=0, max_value=400)
_BASE = date(2026, 1, 1)
_OPTIONAL_NAME = st.none() | st.sampled_from(OWNERS)


@st.composite
def _common(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    raised = draw(st.none() | _DAYS.map(lambda d: _BASE + timedelta(days=d)))
    start = raised or _BASE
    fields: dict[str, Any] = {
        "title": draw(texts(max_words=6)),
        "description": draw(st.just("") | texts(max_words=20)),
        "owner": draw(_OPTIONAL_NAME),
        "raised_by": draw(_OPTIONAL_NAME),
        "raised_on": raised,
        "node": draw(st.none() | st.sampled_from(NODES)),
        "body": draw(st.none() | st.sampled_from(BODIES)),
        "escalated_to": tuple(draw(st.lists(st.sampled_from(BODIES), max_size=2, unique=True))),
        "objectives": tuple(
            draw(st.lists(st.sampled_from(("O-1", "O-2")), max_size=2, unique=True))
        ),
        "status": draw(st.sampled_from(_STATUSES[kind])),
        "priority": draw(st.none() | st.sampled_from(("critical", "high", "medium", "low"))),
        "due": draw(
            st.none()
            | _DAYS.map(lambda d: start + timedelta(days=d - 60)).filter(lambda d: d >= start)
        ),
        "next_review": draw(st.none() | _DAYS.map(lambda d: _BASE + timedelta(days=d))),
        "tags": tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
        "extra": draw(
            st.dictionaries(
                st.sampled_from(("Legacy ID", "Notes", "Cost centre", "flag")),
                st.none()
                | st.booleans()
                | st.integers(-(10**6), 10**6)
                | st.floats(allow_nan=False, allow_infinity=False, width=32)
                | texts(max_words=3),
                max_size=3,
            )
        ),
    }
    if fields["status"] in ("closed", "done", "cancelled", "resolved", "materialised", "delivered"):
        fields["closed_on"] = start + timedelta(days=draw(st.integers(0, 90)))
    return fields


_LEVEL = st.none() | st.integers(min_value=1, max_value=5)


@st.composite
def _risk(draw: st.DrawFn) -> Risk:
    fields = draw(_common("risk"))
    for prefix in ("inherent_", "", "residual_", "target_"):
        p = draw(_LEVEL)
        fields[prefix + "probability"] = p
        fields[prefix + "impact"] = None if p is None else draw(st.integers(1, 5))
    fields.update(
        cause=draw(st.just("") | texts()),
        event=draw(st.just("") | texts()),
        effect=draw(st.just("") | texts()),
        category=draw(st.none() | st.sampled_from(("financial", "technical"))),
        proximity=draw(st.none() | st.just("imminent")),
        response_category=draw(st.none() | st.sampled_from(("avoid", "reduce", "accept"))),
        response=draw(st.just("") | texts()),
        actionee=draw(_OPTIONAL_NAME),
        cost_exposure=draw(st.none() | st.integers(0, 10**7).map(float)),
    )
    return Risk(**fields)


@st.composite
def _action(draw: st.DrawFn) -> Action:
    fields = draw(_common("action"))
    fields.update(assignee=draw(_OPTIONAL_NAME), progress=draw(st.integers(0, 100)))
    if fields["status"] == "done":
        fields["completed_on"] = fields.get("closed_on")
    return Action(**fields)


@st.composite
def _issue(draw: st.DrawFn) -> Issue:
    fields = draw(_common("issue"))
    fields.update(
        issue_type=draw(st.none() | st.sampled_from(("request for change", "problem/concern"))),
        severity=draw(st.none() | st.sampled_from(("high", "low"))),
        resolution=draw(st.just("") | texts()),
    )
    return Issue(**fields)


@st.composite
def _decision(draw: st.DrawFn) -> Decision:
    fields = draw(_common("decision"))
    fields.update(
        decision=draw(st.just("") | texts()),
        rationale=draw(st.just("") | texts()),
        options_considered=tuple(draw(st.lists(texts(max_words=3), max_size=3))),
        decided_by=draw(_OPTIONAL_NAME),
        decided_on=draw(st.none() | _DAYS.map(lambda d: _BASE + timedelta(days=d))),
    )
    return Decision(**fields)


@st.composite
def _assumption(draw: st.DrawFn) -> Assumption:
    fields = draw(_common("assumption"))
    fields.update(validation=draw(st.just("") | texts()))
    return Assumption(**fields)


@st.composite
def _dependency(draw: st.DrawFn) -> Dependency:
    fields = draw(_common("dependency"))
    fields.update(
        counterparty=draw(st.none() | st.just("Vendor Ltd")),
        direction=draw(st.none() | st.sampled_from(("inbound", "outbound"))),
    )
    return Dependency(**fields)


_BY_KIND = {
    "risk": _risk,
    "action": _action,
    "issue": _issue,
    "decision": _decision,
    "assumption": _assumption,
    "dependency": _dependency,
}


def items(kind: str | None = None) -> st.SearchStrategy[Item]:
    """New items (no ref) of ``kind``, or of any built-in kind, valid under ``default``."""
    if kind is not None:
        return _BY_KIND[kind]()
    return st.one_of(*(strategy() for strategy in _BY_KIND.values()))


@st.composite
def queries(draw: st.DrawFn, *, today: date = date(2026, 6, 1)) -> Query:
    """Resolved queries over the values :func:`items` generates."""
    orderable = sorted(ORDERABLE)

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | strategy)

    closed = tuple(
        (kind, status)
        for kind, status in (
            ("risk", "closed"),
            ("risk", "materialised"),
            ("action", "done"),
            ("action", "cancelled"),
            ("issue", "resolved"),
            ("issue", "closed"),
        )
    )
    keys = draw(st.lists(st.sampled_from(orderable), max_size=2, unique=True))
    return Query(
        kinds=maybe(
            st.lists(st.sampled_from(tuple(_CLASSES)), min_size=1, max_size=3, unique=True)
        ),
        statuses=maybe(
            st.lists(
                st.sampled_from(("open", "closed", "accepted", "done")),
                min_size=1,
                max_size=2,
                unique=True,
            )
        ),
        exclude=draw(st.just(()) | st.just(closed)),
        body=maybe(st.sampled_from(BODIES)),
        nodes=maybe(st.lists(st.sampled_from(NODES), min_size=1, max_size=3, unique=True)),
        owner=maybe(st.sampled_from(OWNERS)),
        rags=maybe(
            st.lists(
                st.sampled_from(("red", "amber", "green")), min_size=1, max_size=2, unique=True
            )
        ),
        priorities=maybe(
            st.lists(st.sampled_from(("high", "low")), min_size=1, max_size=2, unique=True)
        ),
        due_before=maybe(st.just(today)),
        review_on_or_before=maybe(st.just(today)),
        min_score=maybe(st.integers(0, 25)),
        text=maybe(texts(max_words=2)),
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
        objective=maybe(st.sampled_from(("O-1", "O-2"))),
        order_by=tuple(draw(st.sampled_from(("", "-"))) + key for key in keys) or ("ref",),
        limit=maybe(st.integers(0, 30)),
        offset=draw(st.integers(0, 5)),
    )


#: Characters that show nothing, or look like part of a ref, and fool a reader.
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e")
_DASHES = ("-", "\u2010", "\u2011", "\u2013", "\u2212", "\uff0d", "\ufe63")
#: Look-alikes no normalisation makes ASCII: a ref holding one must be refused.
_FOREIGN = {"R": "\u0420", "A": "\u0410", "D": "\u13a0", "0": "\u041e", "1": "\u0661"}


@st.composite
def look_alikes(draw: st.DrawFn, ref: str) -> str:
    """Text that a reader takes for ``ref`` (such as ``R-0001``): other case, full-width
    letters and digits, invisible characters, other dashes, other leading zeros,
    surrounding space, composed and decomposed forms, letters of other scripts."""
    prefix, _, digits = ref.partition("-")
    number = digits.lstrip("0")
    digits = "0" * draw(st.integers(0, 6)) + number
    chars = [*draw(st.sampled_from((prefix, prefix.lower()))), draw(st.sampled_from(_DASHES))]
    chars += list(digits)
    if draw(st.booleans()):  # full width: U+FF01..U+FF5E mirror ASCII
        chars = [
            chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and draw(st.booleans()) else c for c in chars
        ]
    for _ in range(draw(st.integers(0, 3))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(_INVISIBLE)))
    if draw(st.integers(0, 4)) == 0:  # a letter of another script, or a combining mark
        position = draw(st.integers(0, len(chars) - 1))
        foreign = _FOREIGN.get(chars[position])
        chars[position] = foreign if foreign is not None else chars[position] + "\u0301"
    text = "".join(chars)
    text = draw(st.sampled_from(("", " ", "\t"))) + text + draw(st.sampled_from(("", " ")))
    forms: tuple[Literal["NFC", "NFD", "NFKD"] | None, ...] = ("NFC", "NFD", "NFKD", None)
    form = draw(st.sampled_from(forms))
    return unicodedata.normalize(form, text) if form is not None else text
