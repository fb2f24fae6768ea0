"""Checking what queries read against the register's history.

``items()`` and ``get()`` read the ``doc`` column, which ``verify()`` compares with the
event log; queries filter, order and search on the readable columns of ``items``
(``rag``, ``score``, ``status``, ``escalated_to``, ``words``...) and on ``links``. An
``UPDATE`` of those columns alone would make a dashboard hide a red risk while the
documents stay right, so each column is compared with what the item the history gives
would store there, and every ``links`` row with the item's links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from raidlog.spi import Finding, Item
from raidlog_postgres.compile import ITEM_COLUMNS

__all__ = ["audit_tables"]

_PAGE = 2000


def audit_tables(
    conn: psycopg.Connection[TupleRow],
    schema: str,
    expected: Mapping[str, Item],
    row_of: Callable[[Item], tuple[Any, ...]],
) -> list[Finding]:
    """Every column of ``items`` and row of ``links`` that differs from ``expected``;
    ``row_of`` gives the row the backend writes for an item (``doc`` last)."""
    items, links = sql.Identifier(schema, "items"), sql.Identifier(schema, "links")
    columns = ITEM_COLUMNS[1:]
    page = sql.SQL(
        "SELECT ref, {}, search IS NOT DISTINCT FROM "
        "array_to_tsvector(string_to_array(words, ' ')) FROM {} WHERE ref > %s "
        "ORDER BY ref LIMIT %s"
    ).format(sql.SQL(", ").join(map(sql.Identifier, columns)), items)
    findings: list[Finding] = []
    after = ""
    while True:
        rows = conn.execute(page, [after, _PAGE]).fetchall()
        for ref, *values, search_ok in rows:
            item = expected.get(ref)
            if item is None:
                continue  # verify() reports an item the history does not have
            wanted = dict(zip(ITEM_COLUMNS, row_of(item)[:-1], strict=True))
            wrong = [
                f"{name} is {found!r}, its history says {wanted[name]!r}"
                for name, found in zip(columns, values, strict=True)
                if found != wanted[name]
            ]
            if not search_ok:
                wrong.append("search does not hold the words of words")
            if wrong:
                findings.append(
                    Finding(
                        table="items",
                        ref=str(ref),
                        reason=f"query columns differ from the item ({'; '.join(wrong)}): "
                        "changed outside raidlog",
                    )
                )
        if len(rows) < _PAGE:
            break
        after = rows[-1][0]
    wanted_links = {
        (item.ref, n, link.relation.value, link.target)
        for item in expected.values()
        for n, link in enumerate(item.links)
    }
    stored = {
        tuple(row)
        for row in conn.execute(
            sql.SQL("SELECT source, position, relation, target FROM {}").format(links)
        )
    }
    for source, position, relation, target in sorted(wanted_links - stored, key=repr):
        findings.append(
            Finding(
                table="links",
                ref=source,
                reason=f"link {position} ({relation} {target}) is missing: the item's "
                "history has it",
            )
        )
    for source, position, relation, target in sorted(stored - wanted_links, key=repr):
        findings.append(
            Finding(
                table="links",
                ref=str(source),
                reason=f"link {position} ({relation} {target}) is not in the item's history "
                "(added outside raidlog)",
            )
        )
    return findings
