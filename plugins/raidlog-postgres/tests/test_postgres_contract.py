"""The PostgreSQL backend passes raidlog's conformance suite, with 8 writer processes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from raidlog.testing import BackendContract


def _sql(statement: str) -> Callable[[str], None]:
    """A tamper running ``statement`` ({t}: the register's schema) as a psql user would."""

    def tamper(location: str) -> None:
        schema = parse_qs(urlsplit(location).query)["schema"][0]
        server = location.partition("?")[0]
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(s=sql.Identifier(schema)))  # type: ignore[arg-type]  # fixed test SQL

    return tamper


class TestPostgresContract(BackendContract):
    processes: ClassVar[int] = 8

    @pytest.fixture(autouse=True)
    def _server(self, new_location: Callable[[], str]) -> None:
        # Each location is a fresh schema; the fixture drops them after the test.
        self._new_schema = new_location

    def make_location(self, directory: Path) -> str:
        return self._new_schema()

    def derived_tampers(self) -> Mapping[str, Callable[[str], None]]:
        risk = "WHERE ref = 'R-0001'"
        return {
            "items: rag": _sql(f"UPDATE {{s}}.items SET rag = 'green' {risk}"),
            "items: score": _sql(f"UPDATE {{s}}.items SET score = 1 {risk}"),
            "items: status": _sql(f"UPDATE {{s}}.items SET status = 'closed' {risk}"),
            "items: escalated_to": _sql(f"UPDATE {{s}}.items SET escalated_to = '{{{{}}}}' {risk}"),
            "items: words": _sql(f"UPDATE {{s}}.items SET words = 'nothing' {risk}"),
            "items: owner": _sql(f"UPDATE {{s}}.items SET owner = 'mallory' {risk}"),
            "links": _sql("DELETE FROM {s}.links WHERE source = 'A-0001'"),
            "links: one added": _sql(
                "INSERT INTO {s}.links (source, position, relation, target) "
                "VALUES ('R-0001', 0, 'relates_to', 'A-0001')"
            ),
        }
