"""The SQLite backend passes the conformance suite."""

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from raidlog.backends.sqlite.words import fts_text
from raidlog.testing import BackendContract


def _sql(*statements: str) -> Callable[[str], None]:
    """A tamper running ``statements`` on the file as a plain SQLite client would."""

    def tamper(location: str) -> None:
        conn = sqlite3.connect(location)
        try:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    return tamper


_RISK_ID = "(SELECT id FROM refs WHERE ref = 'R-0001')"
_WORDS = fts_text("Supplier insolvent", "payroll run")


class TestSQLiteBackend(BackendContract):
    processes = 4

    def make_location(self, directory: Path) -> str:
        return str(directory / "raid.db")

    def derived_tampers(self) -> Mapping[str, Callable[[str], None]]:
        forget = (
            "INSERT INTO item_fts (item_fts, rowid, words) "
            f"VALUES ('delete', {_RISK_ID}, '{_WORDS}')"
        )
        return {
            "links": _sql("DELETE FROM links WHERE source = 'A-0001'"),
            "links: one added": _sql(
                "INSERT INTO links (source, position, relation, target) "
                "VALUES ('R-0001', 0, 'relates_to', 'A-0001')"
            ),
            "links: retargeted": _sql("UPDATE links SET relation = 'relates_to'"),
            "escalations": _sql("DELETE FROM escalations WHERE ref = 'R-0001'"),
            "escalations: one added": _sql(
                "INSERT INTO escalations (body, ref) VALUES ('ExCo', 'A-0001')"
            ),
            "item_fts: entry removed": _sql(forget),
            "item_fts: a word dropped": _sql(
                forget,
                f"INSERT INTO item_fts (rowid, words) VALUES ({_RISK_ID}, 'supplier insolvent')",
            ),
            "item_fts: a word added": _sql(
                f"INSERT INTO item_fts (rowid, words) VALUES ({_RISK_ID}, 'cancelled')"
            ),
            "refs": _sql("UPDATE refs SET kind = 'action' WHERE ref = 'R-0001'"),
        }
