"""Reaching the PostgreSQL server the tests run against.

The server's URL comes from ``RAIDLOG_TEST_POSTGRES_URL`` (default: the local server,
database ``test``). Without a reachable server the tests skip, saying so, except when
``CI=true``: CI must never pass because the server was down.
"""

from __future__ import annotations

import functools
import os
import uuid

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


def require_server(url: str | None = None) -> str:
    """The test server's URL; skip (fail under ``CI=true``) when it cannot be reached."""
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


def location_in(url: str, schema: str) -> str:
    """``url`` with ``schema`` as the register's schema parameter."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}schema={schema}"


def new_schema_name() -> str:
    """A fresh schema name for one test."""
    return f"raidlog_test_{uuid.uuid4().hex[:16]}"


def drop_schema(url: str, schema: str) -> None:
    """Drop ``schema`` and everything in it (the triggers do not stop DROP SCHEMA)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
