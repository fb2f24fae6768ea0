"""Compiling a :class:`~raidlog.query.Query` to SQL over the item tables.

Each item table the query can touch contributes one ``SELECT`` (an "arm") with the
filters that apply to it; tables that cannot match (wrong kind, no score for a
``min_score`` filter) are left out at compile time. Semantics follow
:func:`raidlog.query.evaluate` exactly: empty values fail every comparison, order
puts empty values last in both directions and breaks ties by ref, text compares
the words of :func:`~raidlog.query.text_words` through the FTS5 index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from raidlog.backends.sqlite.schema import TableSpec
from raidlog.backends.sqlite.words import fts_term
from raidlog.query import Query

__all__ = [
    "Arm",
    "Compiled",
    "compile_arms",
    "order_clause",
]


@attrs.frozen
class Arm:
    """One table's part of a query: ``WHERE`` text and its parameters."""

    spec: TableSpec
    where: str
    params: tuple[Any, ...]


def _in(column: str, values: Sequence[Any], params: list[Any]) -> str:
    if not values:
        return "0"
    params.extend(values)
    return f"{column} IN ({', '.join('?' * len(values))})"


def value_expr(spec: TableSpec, name: str) -> str:
    """The SQL for an item attribute in ``spec`` (``NULL`` where the kind lacks it)."""
    if name == "kind":
        return "t.kind" if spec.kind is None else f"'{spec.kind}'"
    if spec.has(name):
        return f"t.{name}"
    if spec.kind is None:
        # Plugin kinds keep their own fields in the JSON column.
        return f"json_extract(t.fields, '$.{name}')"
    return "NULL"


@attrs.frozen
class Compiled:
    """A query's arms, and the ``WITH`` clause (and its parameters) they share."""

    with_sql: str
    with_params: tuple[Any, ...]
    arms: list[Arm]


def compile_arms(query: Query, specs: Sequence[TableSpec], *, split_body: bool = False) -> Compiled:
    """The arms of ``query`` over ``specs``; no arms means nothing can match.

    ``split_body`` gives each table two arms for a ``body`` filter, the body's own items
    and those escalated to it, so that each can walk an index in order (an ``OR`` of
    the two cannot).
    """
    words = query.words
    if not words and query.text is not None and query.text.strip():
        return Compiled("", (), [])  # text with no words at all matches nothing
    builtin = {s.kind for s in specs if s.kind is not None}
    arms = []
    for spec in specs:
        params: list[Any] = []
        where: list[str] = []
        if query.kinds is not None:
            if spec.kind is None:
                # Built-in kinds never live in the plugin kinds' table.
                others = [k for k in query.kinds if k not in builtin]
                if not others:
                    continue
                where.append(_in("t.kind", others, params))
            elif spec.kind not in query.kinds:
                continue
        if query.min_score is not None:
            score = value_expr(spec, "score")
            if score == "NULL":
                continue
            where.append(f"{score} >= ?")
            params.append(query.min_score)
        if query.refs is not None:
            where.append("t.ref IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(query.refs)))
        if query.statuses is not None:
            where.append(_in("t.status", query.statuses, params))
        if query.exclude:
            if spec.kind is None:
                pairs = " OR ".join("(t.kind = ? AND t.status = ?)" for _ in query.exclude)
                where.append(f"NOT coalesce({pairs}, 0)")
                params.extend(v for pair in query.exclude for v in pair)
            else:
                closed = [s for k, s in query.exclude if k == spec.kind]
                if closed:
                    where.append(f"(t.status IS NULL OR NOT {_in('t.status', closed, params)})")
        if query.nodes is not None:
            where.append(_in("t.node", query.nodes, params))
        if query.owner is not None:
            where.append("t.owner = ?")
            params.append(query.owner)
        if query.rags is not None:
            where.append(_in("t.rag", query.rags, params))
        if query.priorities is not None:
            where.append(_in("t.priority", query.priorities, params))
        if query.due_before is not None:
            where.append("t.due < ?")
            params.append(query.due_before.isoformat())
        if query.review_on_or_before is not None:
            where.append("t.next_review <= ?")
            params.append(query.review_on_or_before.isoformat())
        for tag in query.tags:
            where.append("EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ?)")
            params.append(tag)
        if query.objective is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(t.objectives) WHERE value = ?)")
            params.append(query.objective)
        if words:
            where.append("t.id IN fts_hits")
        escalated = "t.ref IN (SELECT e.ref FROM escalations e WHERE e.body = ?)"
        variants: list[tuple[str, tuple[Any, ...]]] = [("", ())]
        if query.body is not None and split_body:
            variants = [
                ("t.body = ?", (query.body,)),
                (f"t.body IS NOT ? AND {escalated}", (query.body, query.body)),
            ]
        elif query.body is not None:
            variants = [(f"(t.body = ? OR {escalated})", (query.body, query.body))]
        for clause, extra in variants:
            conditions = [*where, clause] if clause else where
            arms.append(Arm(spec, " AND ".join(conditions) or "1", (*params, *extra)))
    if not words or not arms:
        return Compiled("", (), arms)
    # One full-text match shared by every arm, instead of one per table.
    match = " AND ".join(f'"{fts_term(w)}"' for w in dict.fromkeys(words))
    with_sql = "WITH fts_hits AS MATERIALIZED (SELECT rowid FROM item_fts WHERE item_fts MATCH ?) "
    return Compiled(with_sql, (match,), arms)


def order_clause(query: Query, expr: dict[str, str], known: frozenset[str] = frozenset()) -> str:
    """``ORDER BY`` text for ``query``; ``expr`` maps each key's name to its SQL;
    ``known`` names keys a condition already requires to be present."""
    # Values a filter already requires, or that are never empty: SQLite can then walk
    # an index in order instead of sorting (an explicit NULLS LAST on an ascending key
    # rules the index out). Descending order puts NULLs last by default.
    present = {"ref", "kind", "title", *known}
    if query.due_before is not None:
        present.add("due")
    if query.review_on_or_before is not None:
        present.add("next_review")
    if query.min_score is not None:
        present.add("score")
    parts = []
    for key in query.order_by:
        name = key.lstrip("-")
        if key.startswith("-"):
            parts.append(f"{expr[name]} DESC")
        elif name in present:
            parts.append(f"{expr[name]} ASC")
        else:
            parts.append(f"{expr[name]} ASC NULLS LAST")
    parts.append(f"{expr['ref']} ASC")
    return ", ".join(parts)


def limit_clause(query: Query) -> tuple[str, tuple[int, ...]]:
    """``LIMIT ... OFFSET ...`` text and parameters (nothing when neither is set)."""
    if query.limit is None and not query.offset:
        return "", ()
    limit = -1 if query.limit is None else query.limit
    return " LIMIT ? OFFSET ?", (limit, query.offset)
