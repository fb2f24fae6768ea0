"""The core's :class:`~raidlog.query.Query` compiled to SQL over the ``items`` table.

Every filter is written so that SQL's three-valued logic gives the answer of
:func:`raidlog.query.matches`: an empty column never passes a filter on it, and an
``exclude`` pair never drops an item whose status is empty.

Text search: the words of title and description are computed in Python at write time
by the reference evaluator's own rules (:func:`raidlog.query.text_words`) and stored
in ``words``, space-separated; the ``search`` column
is ``array_to_tsvector(string_to_array(words, ' '))`` with a GIN index. A query's words,
computed by ``text_words`` itself, become a ``tsquery`` of quoted lexemes joined by
``&``. PostgreSQL's parser and dictionaries never see the text, so a match is exactly
"every query word is a word of title or description".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import chain
from typing import Any

from psycopg import sql

from raidlog.spi import Query, folded, split_folded

__all__ = [
    "ITEM_COLUMNS",
    "lexeme",
    "order_clause",
    "search_words",
    "tsquery",
    "where_clause",
]

#: Readable columns of ``items`` besides ``doc`` (the generated ``search`` aside).
ITEM_COLUMNS = (
    "ref",
    "kind",
    "version",
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
    "escalated_to",
    "objectives",
    "tags",
    "words",
)

# A tsvector lexeme holds at most 2,046 bytes and a GIN key about 2,700: longer words
# (possible in a 32,000-character description) are stored as a digest. The query side
# maps its words the same way, and "#" is never part of a word, so matching stays exact.
_LONGEST_LEXEME = 200


def lexeme(word: str) -> str:
    """How ``word`` (an output of ``text_words``) is stored and searched."""
    if len(word.encode()) <= _LONGEST_LEXEME:
        return word
    return "#" + hashlib.sha256(word.encode()).hexdigest()


def search_words(*texts: str) -> str:
    """The distinct lexemes of ``texts`` in first-seen order, joined by spaces (a lexeme
    is letters and digits, or ``#`` and a digest, so it never holds a space).

    Equal to the lexemes of ``text_words(" ".join(texts))``, found a whitespace-separated
    token at a time through a cache: folding never carries across whitespace (lower
    case, NFKD and the final-sigma rule look no further than the token, and no
    whitespace folds to a letter or digit; a test holds every whitespace character to
    it), and the words of a register repeat, so most tokens are folded once."""
    # A token of one lexeme, nearly every token, is cached as that string: the lexemes
    # then need no flattening, and a cached tuple (a token of none or several) makes
    # ``join`` refuse, which sends the text to the general path.
    tokens = " ".join(texts).split()
    found: list[Any] = list(map(_TOKENS.get, tokens))  # None: not seen yet
    if None in found:
        found = [_token_lexemes(t) if f is None else f for t, f in zip(tokens, found, strict=True)]
    try:
        return " ".join(dict.fromkeys(found))
    except TypeError:
        flat = chain.from_iterable((f,) if type(f) is str else f for f in found)
        return " ".join(dict.fromkeys(flat))


#: The lexemes of each token seen (one lexeme as its string, else a tuple), bounded:
#: emptied when full, so memory stays flat.
_TOKENS: dict[str, str | tuple[str, ...]] = {}
_TOKENS_KEPT = 100_000


def _token_lexemes(token: str) -> str | tuple[str, ...]:
    words = tuple(lexeme(word) for word in split_folded(folded(token)))
    found = words[0] if len(words) == 1 else words
    if len(_TOKENS) >= _TOKENS_KEPT:
        _TOKENS.clear()
    _TOKENS[token] = found
    return found


def tsquery(words: Iterable[str]) -> str:
    """A tsquery matching rows whose words include every one of ``words``."""
    quoted = ("'" + lexeme(w).replace("\\", "\\\\").replace("'", "''") + "'" for w in words)
    return " & ".join(quoted)


def where_clause(query: Query) -> tuple[sql.Composable, list[Any]]:
    """The ``WHERE`` condition of ``query``'s filters, with its parameters."""
    conds: list[sql.Composable] = []
    params: list[Any] = []

    def add(condition: str, *values: Any) -> None:
        conds.append(sql.SQL(condition))
        params.extend(values)

    if query.kinds is not None:
        add("kind = ANY(%s::text[])", list(query.kinds))
    if query.refs is not None:
        add("ref = ANY(%s::text[])", list(query.refs))
    if query.statuses is not None:
        add("status = ANY(%s::text[])", list(query.statuses))
    excluded: dict[str, list[str]] = {}
    for kind, status in query.exclude:
        excluded.setdefault(kind, []).append(status)
    for kind, statuses in excluded.items():
        # IS NOT TRUE keeps items with no status, as the reference does.
        add("(kind = %s AND status = ANY(%s::text[])) IS NOT TRUE", kind, statuses)
    if query.body is not None:
        add("(body = %s OR escalated_to @> %s::text[])", query.body, [query.body])
    if query.nodes is not None:
        add("node = ANY(%s::text[])", list(query.nodes))
    if query.owner is not None:
        add("owner = %s", query.owner)
    if query.rags is not None:
        add("rag = ANY(%s::text[])", list(query.rags))
    if query.priorities is not None:
        add("priority = ANY(%s::text[])", list(query.priorities))
    if query.due_before is not None:
        add("due < %s::date", query.due_before)
    if query.review_on_or_before is not None:
        add("next_review <= %s::date", query.review_on_or_before)
    if query.min_score is not None:
        add("score >= %s", query.min_score)
    if query.tags:
        add("tags @> %s::text[]", list(query.tags))
    if query.objective is not None:
        add("objectives @> %s::text[]", [query.objective])
    words = query.words
    if words:
        add("search @@ %s::tsquery", tsquery(words))
    elif query.text is not None and query.text.strip():
        # Text with no words at all (punctuation only) matches nothing, as in the core.
        add("FALSE")
    if not conds:
        return sql.SQL("TRUE"), params
    return sql.SQL(" AND ").join(conds), params


def order_clause(query: Query) -> sql.Composable:
    """``ORDER BY`` for ``query``: empty values last in both directions, then ``ref``."""
    keys: list[sql.Composable] = []
    for key in query.order_by:
        direction = sql.SQL("DESC NULLS LAST" if key.startswith("-") else "ASC NULLS LAST")
        keys.append(sql.SQL("{} {}").format(sql.Identifier(key.lstrip("-")), direction))
    keys.append(sql.SQL("ref ASC"))
    return sql.SQL(", ").join(keys)
