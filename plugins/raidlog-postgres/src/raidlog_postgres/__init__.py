"""raidlog-postgres: PostgreSQL storage for raidlog registers.

Installed, it registers the ``postgres`` backend through the ``raidlog`` entry point,
and ``raidlog.open("postgresql://user@host/db?schema=name", actor=...)`` opens (or
creates) a register in that schema. See ``docs/plugins/postgres.md``.

Importing the package imports no driver: the registered class
(:class:`~raidlog_postgres.lazy.LazyPostgresBackend`) imports psycopg when it first
opens a register, and :class:`PostgresBackend` and :data:`SCHEMA_VERSION` are imported
from their modules when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from raidlog.spi import Backend, hookimpl
from raidlog_postgres.lazy import LazyPostgresBackend
from raidlog_postgres.location import DEFAULT_SCHEMA, Options, parse_location

if TYPE_CHECKING:
    from raidlog_postgres.backend import PostgresBackend
    from raidlog_postgres.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_SCHEMA",
    "SCHEMA_VERSION",
    "LazyPostgresBackend",
    "Options",
    "PostgresBackend",
    "parse_location",
    "register_backends",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresBackend":
        from raidlog_postgres.backend import PostgresBackend

        return PostgresBackend
    if name == "SCHEMA_VERSION":
        from raidlog_postgres.schema import SCHEMA_VERSION

        return SCHEMA_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The ``postgres`` backend, for ``postgresql://`` and ``postgres://`` locations."""
    # Abstract: only its name, schemes, capabilities and open() are asked for before
    # open() returns the concrete subclass.
    return [LazyPostgresBackend]  # type: ignore[type-abstract]
