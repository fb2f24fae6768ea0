"""Checking the SQLite side tables against the register's history.

Queries read more than the item tables: ``refs`` finds an item's table, ``links`` and
``escalations`` answer link look-ups and a body's view, ``item_fts`` answers text
search. Each is a function of the items, so each is rebuilt here from the items the
event log gives (``expected``) and compared with what the file holds; every
difference is a :class:`~raidlog.backends.base.Finding` naming the table and the ref.
Nothing is written to the register: the rebuilt search index lives in the
connection's ``temp`` schema and is dropped at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping

from raidlog.backends.base import Finding
from raidlog.backends.sqlite.schema import TableSpec
from raidlog.backends.sqlite.words import fts_text
from raidlog.model.items import Item

__all__ = ["audit_side_tables"]

Row = tuple[object, ...]
#: Words of the search index whose documents are compared one by one (a tampered
#: index differs in a few words; a rebuilt one in all of them, and a few suffice).
MAX_WORDS = 200


def audit_side_tables(
    conn: sqlite3.Connection, specs: Iterable[TableSpec], expected: Mapping[str, Item]
) -> list[Finding]:
    """Every difference between the side tables and what ``expected`` makes of them."""
    ids: dict[int, str] = {}
    findings: list[Finding] = []
    for spec in specs:
        kind = "t.kind" if spec.kind is None else f"'{spec.kind}'"
        for ident, ref, kind_of, r_ref, r_kind in conn.execute(
            f"SELECT t.id, t.ref, {kind}, r.ref, r.kind FROM {spec.name} t "
            "LEFT JOIN refs r ON r.id = t.id"
        ):
            ids[int(ident)] = str(ref)
            if (r_ref, r_kind) != (ref, kind_of):
                findings.append(
                    Finding(
                        table="refs",
                        ref=str(ref),
                        reason=f"the item's row in {spec.name} is not indexed as "
                        f"{ref} ({kind_of}) but as {r_ref} ({r_kind})",
                    )
                )
    for ident, ref in conn.execute("SELECT id, ref FROM refs ORDER BY ref"):
        if int(ident) not in ids:
            findings.append(
                Finding(table="refs", ref=str(ref), reason="names an item that no table holds")
            )
    findings += _compare(
        "links",
        {
            (item.ref, n, link.relation.value, link.target): str(item.ref)
            for item in expected.values()
            for n, link in enumerate(item.links)
        },
        conn.execute("SELECT source, position, relation, target FROM links"),
        lambda row: f"link {row[1]} ({row[2]} {row[3]})",
    )
    findings += _compare(
        "escalations",
        {
            (body, item.ref): str(item.ref)
            for item in expected.values()
            for body in item.escalated_to
        },
        conn.execute("SELECT body, ref FROM escalations"),
        lambda row: f"escalation to {row[0]}",
        ref_at=1,
    )
    by_ref = {ref: ident for ident, ref in ids.items()}
    documents = [
        (by_ref[ref], fts_text(item.title, item.description))
        for ref, item in expected.items()
        if ref in by_ref
    ]
    findings += _audit_words(conn, documents, ids)
    return findings


def _compare(
    table: str,
    wanted: Mapping[Row, str],
    rows: Iterable[Row],
    describe: Callable[[Row], str],
    ref_at: int = 0,
) -> list[Finding]:
    found = {tuple(row) for row in rows}
    findings = [
        Finding(
            table=table,
            ref=ref,
            reason=f"{describe(row)} is missing: the item's history has it",
        )
        for row, ref in sorted(wanted.items(), key=lambda pair: repr(pair[0]))
        if row not in found
    ]
    findings += [
        Finding(
            table=table,
            ref=str(row[ref_at]),
            reason=f"{describe(row)} is not in the item's history (added outside raidlog)",
        )
        for row in sorted(found - set(wanted), key=repr)
    ]
    return findings


def _word(term: str) -> str:
    """A stored term as the word it stands for (odd words are stored hex-encoded)."""
    if term.startswith("_"):
        try:
            return bytes.fromhex(term[1:]).decode("utf-8")
        except ValueError:
            return term
    return term


def _audit_words(
    conn: sqlite3.Connection, documents: list[tuple[int, str]], ids: Mapping[int, str]
) -> list[Finding]:
    """Rebuild the search index in ``temp`` and compare it with ``item_fts``: first the
    vocabularies (each word with how many items it finds), then, for the words that
    differ, which items each index finds."""
    conn.execute("DROP TABLE IF EXISTS temp.audit_fts")
    conn.execute("DROP TABLE IF EXISTS temp.audit_fts_words")
    conn.execute("DROP TABLE IF EXISTS temp.stored_fts_words")
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE temp.audit_fts USING fts5(words, content = '', "
            "tokenize = \"ascii tokenchars '_'\", detail = none, columnsize = 0)"
        )
        conn.executemany("INSERT INTO temp.audit_fts (rowid, words) VALUES (?, ?)", documents)
        conn.execute(
            "CREATE VIRTUAL TABLE temp.audit_fts_words USING fts5vocab(temp, audit_fts, row)"
        )
        conn.execute(
            "CREATE VIRTUAL TABLE temp.stored_fts_words USING fts5vocab(main, item_fts, row)"
        )
        terms = [
            str(term)
            for (term,) in conn.execute(
                "SELECT term FROM (SELECT term, doc FROM temp.stored_fts_words EXCEPT "
                "SELECT term, doc FROM temp.audit_fts_words) UNION SELECT term FROM ("
                "SELECT term, doc FROM temp.audit_fts_words EXCEPT "
                "SELECT term, doc FROM temp.stored_fts_words) ORDER BY term LIMIT ?",
                (MAX_WORDS,),
            )
        ]
        findings: list[Finding] = []
        for term in terms:
            phrase = f'"{term}"'
            stored = _rowids(conn, "main.item_fts", phrase)
            rebuilt = _rowids(conn, "temp.audit_fts", phrase)
            for ident in sorted(rebuilt - stored):
                findings.append(
                    Finding(
                        table="item_fts",
                        ref=ids.get(ident),
                        reason=f"a search for {_word(term)!r} does not find the item, "
                        "although its title or description has the word",
                    )
                )
            for ident in sorted(stored - rebuilt):
                findings.append(
                    Finding(
                        table="item_fts",
                        ref=ids.get(ident),
                        reason=f"a search for {_word(term)!r} finds the item, although "
                        "its title and description do not have the word",
                    )
                )
        return findings
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.stored_fts_words")
        conn.execute("DROP TABLE IF EXISTS temp.audit_fts_words")
        conn.execute("DROP TABLE IF EXISTS temp.audit_fts")


def _rowids(conn: sqlite3.Connection, table: str, phrase: str) -> set[int]:
    name = table.rpartition(".")[2]
    return {
        int(rowid)
        for (rowid,) in conn.execute(f"SELECT rowid FROM {table} WHERE {name} MATCH ?", (phrase,))
    }
