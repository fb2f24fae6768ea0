"""Fixtures reaching the PostgreSQL server the tests run against.

The server's URL comes from ``RAIDLOG_TEST_POSTGRES_URL`` (default: the local server,
database ``test``). Without a reachable server the tests skip, saying so, except when
``CI=true``: CI must never pass because the server was down. Each test works in fresh
schemas (``raidlog_test_<random>``), dropped afterwards.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

URL_VARIABLE = "RAIDLOG_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@functools.cache
def _unreachable(url: str) -> str | None:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def _require_server(url: str | None = None) -> str:
    url = url or os.environ.get(URL_VARIABLE, DEFAULT_URL)
    problem = _unreachable(url)
    if problem is not None:
        message = (
            f"no PostgreSQL server at {url} ({problem}); set {URL_VARIABLE} to the URL of a "
            "server where the tests may create and drop schemas"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def _drop(url: str, location: str) -> None:
    schema = parse_qs(urlsplit(location).query)["schema"][0]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def require_server() -> Callable[[str | None], str]:
    """The check every test runs first: skip without a server, fail under ``CI=true``."""
    return _require_server


@pytest.fixture
def server_url() -> str:
    """The URL of the test server (the test is skipped without one)."""
    return _require_server()


@pytest.fixture
def new_location(server_url: str) -> Iterator[Callable[[], str]]:
    """Make locations of new registers, each in a fresh schema dropped after the test."""
    made: list[str] = []

    def make() -> str:
        separator = "&" if "?" in server_url else "?"
        made.append(f"{server_url}{separator}schema=raidlog_test_{uuid.uuid4().hex[:16]}")
        return made[-1]

    yield make
    for location in made:
        _drop(server_url, location)


@pytest.fixture
def location(new_location: Callable[[], str]) -> str:
    """The location of a new register in a fresh schema."""
    return new_location()


@pytest.fixture
def schema(location: str) -> str:
    """The schema of :func:`location`."""
    return parse_qs(urlsplit(location).query)["schema"][0]


@pytest.fixture
def raw(server_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A plain autocommit connection, as a person with psql would have."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        yield conn


class Probe:
    """Reads a register's tables as a person with psql would, to check what the backend
    left behind after a crash or a failed call, without going through the backend."""

    #: The tables of a register, with the key that orders their rows.
    TABLES: ClassVar[dict[str, str]] = {
        "items": "ref",
        "links": "source, position",
        "events": "seq",
        "entities": "entity, name",
        "counters": "prefix",
        "meta": "key",
    }

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn = conn

    def fetch(self, query: str, schema: str) -> list[tuple[Any, ...]]:
        """The rows of ``query``, with ``{s}`` standing for the schema's identifier."""
        statement = sql.SQL(query).format(s=sql.Identifier(schema))  # type: ignore[arg-type]  # fixed test SQL
        return self.conn.execute(statement).fetchall()

    @staticmethod
    def _digest(table: str, key: str, where: str = "true") -> str:
        return (
            f"SELECT '{table}', count(*), "
            f"coalesce(md5(string_agg(row_to_json(t)::text, '|' ORDER BY {key})), '') "
            f"FROM {{s}}.{table} t WHERE {where}"
        )

    def digest(self, schema: str) -> dict[str, tuple[int, str]]:
        """Each table's row count and the MD5 of all its rows in key order: equal digests,
        equal contents (one round trip)."""
        query = " UNION ALL ".join(self._digest(t, key) for t, key in self.TABLES.items())
        return {str(t): (int(count), str(md5)) for t, count, md5 in self.fetch(query, schema)}

    def events_digest(self, schema: str, upto: int) -> tuple[int, str]:
        """:meth:`digest` of the events up to sequence number ``upto``."""
        query = self._digest("events", "seq", f"seq <= {int(upto)}")
        _, count, md5 = self.fetch(query, schema)[0]
        return int(count), str(md5)

    def events(self, schema: str, after: int = 0) -> list[tuple[str, str, int]]:
        """``(kind, action, version)`` of the events after sequence number ``after``."""
        statement = sql.SQL(
            "SELECT kind, action, version FROM {} WHERE seq > %s ORDER BY seq"
        ).format(sql.Identifier(schema, "events"))
        return [(str(k), str(a), int(v)) for k, a, v in self.conn.execute(statement, [after])]

    #: What no committed transaction can leave: an item version without its event (or
    #: the reverse), a gap or a broken link in the chain, links differing from the
    #: item's document, a ref above its counter.
    CHECKS: ClassVar[dict[str, str]] = {
        "item version without its event": """SELECT i.ref, i.version FROM {s}.items i
            WHERE NOT EXISTS (SELECT 1 FROM {s}.events e
                              WHERE e.ref = i.ref AND e.version = i.version)""",
        "event of an item version not stored": """SELECT e.seq, e.ref FROM {s}.events e
            LEFT JOIN {s}.items i ON i.ref = e.ref
            WHERE position(':' in e.ref) = 0 AND e.kind <> 'profile'
              AND (i.ref IS NULL OR e.version > i.version)""",
        "gap in the event sequence": """SELECT count(*), max(seq) FROM {s}.events
            HAVING count(*) <> coalesce(max(seq), 0)""",
        "broken link in the chain": """SELECT e.seq FROM {s}.events e
            JOIN {s}.events p ON p.seq = e.seq - 1 WHERE e.prev_hash <> p.hash""",
        "links differ from the item": """SELECT i.ref FROM {s}.items i
            WHERE json_array_length(i.doc -> 'links')
                  <> (SELECT count(*) FROM {s}.links l WHERE l.source = i.ref)""",
        "ref above its counter": """SELECT i.ref FROM {s}.items i
            LEFT JOIN {s}.counters c ON c.prefix = substring(i.ref from '^(.*)-[0-9]+$')
            WHERE i.ref ~ '-[0-9]+$'
              AND substring(i.ref from '-([0-9]+)$')::bigint > coalesce(c.value, 0)""",
    }

    def problems(self, schema: str) -> list[str]:
        """The :attr:`CHECKS` that find rows, with the first rows found (one round trip)."""
        query = " UNION ALL ".join(
            f"SELECT '{name}', ARRAY(SELECT row(c.*)::text FROM ({check}) c LIMIT 5)"
            for name, check in self.CHECKS.items()
        )
        return [f"{name}: {rows}" for name, rows in self.fetch(query, schema) if rows]

    def locks(self, schema: str) -> list[tuple[Any, ...]]:
        """Locks other sessions hold on the register's tables (with their state)."""
        return self.conn.execute(
            "SELECT l.pid, l.mode, c.relname, a.state FROM pg_locks l "
            "JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE n.nspname = %s AND l.pid <> pg_backend_pid()",
            [schema],
        ).fetchall()


@pytest.fixture
def probe(raw: psycopg.Connection[tuple[object, ...]]) -> Probe:
    """A :class:`Probe` on its own connection."""
    return Probe(raw)
