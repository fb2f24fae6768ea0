"""Reading postgres locations and options (no server needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from raidlog_postgres import (
    DEFAULT_SCHEMA,
    LazyPostgresBackend,
    Options,
    PostgresBackend,
    parse_location,
)
from raidlog_postgres.location import redact

from raidlog.errors import ValidationError
from raidlog.plugins import find_backend, get_plugin_manager


@pytest.mark.parametrize(
    "location",
    ["postgresql://u@h/db?schema=s", "postgres://u@h/db?schema=s", "POSTGRESQL://u@h/db"],
)
def test_both_schemes_open_with_the_postgres_backend(location: str) -> None:
    assert find_backend(get_plugin_manager(), location) is LazyPostgresBackend
    assert issubclass(PostgresBackend, LazyPostgresBackend)


def test_opening_a_sqlite_register_imports_no_driver() -> None:
    # Every open asks each plugin for its backends: the postgres plugin's registered
    # class answers without psycopg, which a SQLite register would import for nothing.
    code = (
        "import sys, raidlog, tempfile, os\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    raidlog.open(os.path.join(d, 'r.db'), actor='a').close()\n"
        "assert 'raidlog_postgres' in sys.modules, 'the plugin is not installed'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_schema_is_taken_out_of_the_url_and_other_parameters_are_kept() -> None:
    found = parse_location("postgresql://ana:pw@db:5433/pmo?sslmode=require&schema=prog_x")
    assert found.schema == "prog_x"
    assert found.conninfo == "postgresql://ana:pw@db:5433/pmo?sslmode=require"


def test_a_location_without_schema_uses_the_default_schema() -> None:
    assert parse_location("postgresql://db/pmo").schema == DEFAULT_SCHEMA


def test_schema_names_are_kept_verbatim_even_with_quotes_and_spaces() -> None:
    found = parse_location("postgresql://db/pmo?schema=a%22%3B%20DROP%20SCHEMA%20x%3B--")
    assert found.schema == 'a"; DROP SCHEMA x;--'
    assert found.conninfo == "postgresql://db/pmo"


def test_the_users_server_options_are_kept_and_spaces_stay_percent_encoded() -> None:
    found = parse_location("postgresql://db/pmo?options=-c%20work_mem%3D64MB&application_name=a b")
    assert found.server_options == "-c work_mem=64MB"
    assert found.conninfo == "postgresql://db/pmo?application_name=a%20b"


@pytest.mark.parametrize(
    ("location", "complaint"),
    [
        ("postgresql://db/pmo?schema=a&schema=b", "2 times"),
        ("postgresql://db/pmo?schema=", "empty"),
        ("postgresql://db/pmo?schema=" + "x" * 64, "longer than 63 bytes"),
        ("postgresql://db/pmo?schema=pg_catalog", "reserved"),
        ("mysql://db/pmo", "not a PostgreSQL location"),
    ],
)
def test_bad_locations_are_refused_with_the_reason(location: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        parse_location(location)


def test_passwords_never_appear_in_messages() -> None:
    assert (
        redact("postgresql://ana:s3cret@db/pmo?schema=x") == "postgresql://ana:***@db/pmo?schema=x"
    )
    with pytest.raises(ValidationError) as caught:
        parse_location("postgresql://ana:s3cret@db/pmo?schema=a&schema=b")
    assert "s3cret" not in str(caught.value)


def test_options_have_safe_defaults_and_reach_the_server_settings() -> None:
    settings = Options.from_mapping({"statement_timeout": 5, "pool_size": 2})
    assert settings.pool_size == 2
    assert "statement_timeout=5000" in settings.server_settings()
    assert "idle_in_transaction_session_timeout=120000" in settings.server_settings()


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"statment_timeout": 5}, "unknown postgres option"),
        ({"pool_size": 0}, "positive"),
        ({"retries": 2.5}, "whole number"),
        ({"statement_timeout": True}, "positive number"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Options.from_mapping(options)
