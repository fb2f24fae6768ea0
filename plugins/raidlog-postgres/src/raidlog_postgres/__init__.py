"""raidlog-postgres: PostgreSQL storage for raidlog registers.

Installed, it registers the ``postgres`` backend through the ``raidlog`` entry point,
and ``raidlog.open("postgresql://user@host/db?schema=name", actor=...)`` opens (or
creates) a register in that schema. See ``docs/plugins/postgres.md``.
"""

from __future__ import annotations

from raidlog.spi import Backend, hookimpl
from raidlog_postgres.backend import PostgresBackend
from raidlog_postgres.location import DEFAULT_SCHEMA, Options, parse_location
from raidlog_postgres.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_SCHEMA",
    "SCHEMA_VERSION",
    "Options",
    "PostgresBackend",
    "parse_location",
    "register_backends",
]


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The ``postgres`` backend, for ``postgresql://`` and ``postgres://`` locations."""
    return [PostgresBackend]
