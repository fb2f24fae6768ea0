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
