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
    "Plan",
    "compile_arms",
    "count_sql",
    "order_clause",
    "plan",
    "select_sql",
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
    if name in _column_names(spec):
        return f"t.{name}"
    if spec.kind is None:
        # Plugin kinds keep their own fields in the JSON column.
        return f"json_extract(t.fields, '$.{name}')"
    return "NULL"


_COLUMN_NAMES: dict[int, tuple[TableSpec, frozenset[str]]] = {}


def _column_names(spec: TableSpec) -> frozenset[str]:
    # The specs live as long as the process (schema.table_specs() is cached): their
    # column names are worked out once, keyed by identity (hashing a spec hashes every
    # column) and checked against the spec kept beside them.
    found = _COLUMN_NAMES.get(id(spec))
    if found is None or found[0] is not spec:
        found = _COLUMN_NAMES[id(spec)] = (spec, frozenset(spec.names))
    return found[1]


def select_sql(spec: TableSpec) -> str:
    """``SELECT`` of every column of ``spec``'s rows (``id`` first) from ``spec`` as ``t``."""
    return f"SELECT id, {', '.join(spec.names)} FROM {spec.name} t"


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


Statement = tuple[str, tuple[Any, ...]]


@attrs.frozen
class Plan:
    """The SQL that answers one query, made once per distinct query.

    A query of one table reads its rows in order (``rows``: the table and statement).
    A query of several reads the (arm number, id) of the matching rows in order
    (``hits``), then each table's rows by id. With a limit and an order key that some
    tables lack, ``first`` reads the hits of the tables that have it: every row lacking
    the key sorts after every row that has it, so when they fill the page (``wanted``
    rows), the others are not read, and the page is those hits after ``offset``. No
    statement at all: nothing can match.
    """

    rows: tuple[TableSpec, str, tuple[Any, ...]] | None = None
    arms: tuple[TableSpec, ...] = ()
    hits: Statement | None = None
    first: Statement | None = None
    wanted: int = 0
    offset: int = 0


def _order_exprs(spec: TableSpec, query: Query) -> dict[str, str]:
    names = {k.lstrip("-") for k in query.order_by} | {"ref"}
    return {name: value_expr(spec, name) for name in names}


def plan(query: Query, specs: Sequence[TableSpec]) -> Plan:
    """The statements that answer ``query`` over the tables ``specs``."""
    if query.limit == 0:
        return Plan()
    compiled = compile_arms(query, specs, split_body=query.limit is not None)
    arms = compiled.arms
    if not arms:
        return Plan()
    if len(arms) == 1:
        arm = arms[0]
        limit, limit_params = limit_clause(query)
        order = order_clause(query, _order_exprs(arm.spec, query))
        sql = f"{compiled.with_sql}{select_sql(arm.spec)} WHERE {arm.where} ORDER BY {order}{limit}"
        return Plan(rows=(arm.spec, sql, (*compiled.with_params, *arm.params, *limit_params)))
    numbered = list(enumerate(arms))
    specs_of = tuple(a.spec for a in arms)
    if query.limit is None:
        hits = _hits(compiled, query, numbered, None, None, -1, query.offset)
        return Plan(arms=specs_of, hits=hits)
    wanted = query.offset + query.limit
    hits = _hits(compiled, query, numbered, None, wanted, query.limit, query.offset)
    key = query.order_by[0].lstrip("-")
    present = [(n, a) for n, a in numbered if value_expr(a.spec, key) != "NULL"]
    first = None
    if 0 < len(present) < len(numbered):
        first = _hits(compiled, query, present, key, wanted, wanted, 0)
    return Plan(arms=specs_of, hits=hits, first=first, wanted=wanted, offset=query.offset)


def _hits(
    compiled: Compiled,
    query: Query,
    arms: Sequence[tuple[int, Arm]],
    not_null: str | None,
    cap: int | None,
    limit: int,
    offset: int,
) -> Statement:
    """The statement of the (arm number, id) of the matching rows of ``arms`` in query
    order. ``not_null`` keeps only rows that have that order key; ``cap`` limits each
    arm to its own first rows before the arms are merged."""
    keys = sorted({k.lstrip("-") for k in query.order_by} | {"ref"})
    alias = {name: f"o_{name}" for name in keys}
    known = frozenset() if not_null is None else frozenset({not_null})
    selects: list[str] = []
    params: list[Any] = list(compiled.with_params)
    for number, arm in arms:
        exprs = _order_exprs(arm.spec, query)
        cols = ", ".join(f"{exprs[k]} AS {alias[k]}" for k in keys)
        where = arm.where
        if not_null is not None:
            where += f" AND {exprs[not_null]} IS NOT NULL"
        select = f"SELECT {number} AS arm, t.id AS id, {cols} FROM {arm.spec.name} t WHERE {where}"
        if cap is not None:
            order = order_clause(query, exprs, known)
            select = f"SELECT * FROM ({select} ORDER BY {order} LIMIT {int(cap)})"
        selects.append(select)
        params.extend(arm.params)
    sql = (
        f"{compiled.with_sql}SELECT arm, id FROM ({' UNION ALL '.join(selects)}) "
        f"ORDER BY {order_clause(query, alias, known)} LIMIT ? OFFSET ?"
    )
    return sql, (*params, limit, offset)


def count_sql(query: Query, specs: Sequence[TableSpec]) -> Statement | None:
    """The statement counting the items that match the filters of ``query`` (``None``:
    none can)."""
    compiled = compile_arms(query, specs)
    if not compiled.arms:
        return None
    parts = [f"(SELECT count(*) FROM {a.spec.name} t WHERE {a.where})" for a in compiled.arms]
    params = (*compiled.with_params, *(p for a in compiled.arms for p in a.params))
    return f"{compiled.with_sql}SELECT {' + '.join(parts)}", params
