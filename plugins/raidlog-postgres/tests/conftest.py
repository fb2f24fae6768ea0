"""Fixtures: a fresh schema per test on the server named by ``RAIDLOG_TEST_POSTGRES_URL``."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from postgres_server import drop_schema, location_in, new_schema_name, require_server


@pytest.fixture
def server_url() -> str:
    """The URL of the test server (the test is skipped without one)."""
    return require_server()


@pytest.fixture
def schema(server_url: str) -> Iterator[str]:
    """A fresh schema name, dropped after the test."""
    name = new_schema_name()
    yield name
    drop_schema(server_url, name)


@pytest.fixture
def location(server_url: str, schema: str) -> str:
    """The location of a new register in a fresh schema."""
    return location_in(server_url, schema)


@pytest.fixture
def raw(server_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A plain autocommit connection, as a person with psql would have."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        yield conn
