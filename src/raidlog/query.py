"""A backend-neutral query: plain filters, text search, order and limit.

The register resolves what needs the profile or the governance tree (a node and its
descendants, "overdue", "review due", a body's view) into the plain fields below,
so every backend answers the same question. :func:`evaluate` is the reference
evaluator over ``items()``; SQL backends compile a :class:`Query` to SQL and the
conformance suite keeps their answers equal to it.

Semantics every backend follows:

- every set filter must hold (AND); a filter left ``None`` (or empty) does not filter;
- ``exclude``: (kind, status) pairs to leave out (the register puts each kind's closed
  statuses here for "open", "overdue" and "review due");
- ``body``: the item's body is it, or it is in ``escalated_to``;
- ``text``: every word of the query (a run of letters and digits, compared case-
  insensitively, accents removed) is a word of the title or description;
- ``tags``: the item carries all of them;
- order: by each key of ``order_by`` (``"-score"`` descending), empty values last
  in both directions, then by ``ref``; then ``offset`` and ``limit``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from raidlog.errors import ValidationError
from raidlog.model.items import Item

__all__ = ["ORDERABLE", "Query", "evaluate", "matches", "text_words"]

#: Fields a query may order by.
ORDERABLE = frozenset(
    {
        "ref",
        "kind",
        "title",
        "status",
        "priority",
        "rag",
        "owner",
        "body",
        "node",
        "due",
        "next_review",
        "raised_on",
        "closed_on",
        "score",
        "inherent_score",
        "residual_score",
        "cost_exposure",
        "created_at",
        "updated_at",
    }
)

_WORD = re.compile(r"[^\W_]+")


def _tuple(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    """Accept one string or several as a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _names(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return _tuple(value) or ()


def _pairs(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(kind), str(status)) for kind, status in value)


def text_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the ``text`` filter compares them (lower case, no accents).

    SQLite's FTS5 ``unicode61`` tokenizer and this function agree on letters and digits.
    """
    return tuple(_WORD.findall(folded(text)))


def folded(text: str) -> str:
    """``text`` as :func:`text_words` sees it before splitting: lower case, NFKD, with
    combining marks removed."""
    lowered = text.lower()
    if lowered.isascii():
        # ASCII is its own NFKD form and has no combining marks: skip both steps.
        return lowered
    return unaccented(lowered)


def split_folded(text: str) -> list[str]:
    """The words of already :func:`folded` text (``text_words`` without the folding)."""
    return _WORD.findall(text)


def unaccented(text: str) -> str:
    """``text`` in NFKD with its combining marks removed."""
    text = unicodedata.normalize("NFKD", text)
    # Remove each distinct combining mark the text holds (str.replace runs in C; a
    # translate table would be consulted once per character).
    for char in set(_NON_ASCII.findall(text)):
        if unicodedata.combining(char):
            text = text.replace(char, "")
    return text


_NON_ASCII = re.compile("[^\x00-\x7f]")


@attrs.frozen(kw_only=True)
class Query:
    """A resolved query. Build one with ``Register.query(...)`` or directly."""

    kinds: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    refs: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    statuses: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    exclude: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    body: str | None = None
    nodes: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    owner: str | None = None
    rags: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    priorities: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    due_before: date | None = None
    review_on_or_before: date | None = None
    min_score: int | None = None
    text: str | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=_names)
    objective: str | None = None
    order_by: tuple[str, ...] = attrs.field(default=("ref",), converter=_names)
    limit: int | None = None
    offset: int = 0

    def __attrs_post_init__(self) -> None:
        for key in self.order_by:
            if key.lstrip("-") not in ORDERABLE:
                raise ValidationError(
                    f"cannot order by {key!r}; orderable fields: {', '.join(sorted(ORDERABLE))}",
                    field="order_by",
                )
        if self.limit is not None and self.limit < 0:
            raise ValidationError("limit must be 0 or more", field="limit")
        if self.offset < 0:
            raise ValidationError("offset must be 0 or more", field="offset")

    @property
    def words(self) -> tuple[str, ...]:
        """The words of ``text`` (empty when there is no text filter)."""
        return text_words(self.text) if self.text else ()


def matches(query: Query, item: Item) -> bool:
    """Whether ``item`` passes every filter of ``query`` (order and limit aside)."""
    if query.kinds is not None and item.kind not in query.kinds:
        return False
    if query.refs is not None and item.ref not in query.refs:
        return False
    if query.statuses is not None and item.status not in query.statuses:
        return False
    if query.exclude and (item.kind, item.status) in query.exclude:
        return False
    if query.body is not None and item.body != query.body and query.body not in item.escalated_to:
        return False
    if query.nodes is not None and item.node not in query.nodes:
        return False
    if query.owner is not None and item.owner != query.owner:
        return False
    if query.rags is not None and (item.rag is None or item.rag.value not in query.rags):
        return False
    if query.priorities is not None and item.priority not in query.priorities:
        return False
    if query.due_before is not None and (item.due is None or item.due >= query.due_before):
        return False
    if query.review_on_or_before is not None and (
        item.next_review is None or item.next_review > query.review_on_or_before
    ):
        return False
    if query.min_score is not None:
        score = getattr(item, "score", None)
        if score is None or score < query.min_score:
            return False
    if query.tags and not set(query.tags) <= set(item.tags):
        return False
    if query.objective is not None and query.objective not in item.objectives:
        return False
    words = query.words
    if words:
        found = set(text_words(item.title)) | set(text_words(item.description))
        if not set(words) <= found:
            return False
    elif query.text is not None and query.text.strip():
        # Text with no words at all (punctuation only) matches nothing.
        return False
    return True


def _value(item: Item, name: str) -> Any:
    value = getattr(item, name, None)
    if name == "rag" and value is not None:
        return value.value
    return value


def evaluate(query: Query, items: Iterable[Item]) -> list[Item]:
    """The reference answer to ``query`` over ``items``."""
    found = [item for item in items if matches(query, item)]
    # Stable sorts from the last key to the first give a multi-key order with a per-key
    # direction; empty values go last whichever the direction.
    found.sort(key=lambda item: item.ref or "")
    for key in reversed(query.order_by):
        name = key.lstrip("-")
        descending = key.startswith("-")
        present = [i for i in found if _value(i, name) is not None]
        empty = [i for i in found if _value(i, name) is None]
        present.sort(key=lambda i: _value(i, name), reverse=descending)
        found = present + empty
    end = None if query.limit is None else query.offset + query.limit
    return found[query.offset : end]
