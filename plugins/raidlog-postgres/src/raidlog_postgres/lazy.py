"""The ``postgres`` backend as the plugin registers it: its name, location schemes and
capabilities, with the driver imported on the first open.

Every ``raidlog.open`` asks each installed plugin for its backends, whatever the
location; importing psycopg and its pool costs about 0.15 s, which a register in a
SQLite file (or a CLI command) would pay for nothing. This class answers what choosing a
backend needs, and its :meth:`open` imports :mod:`raidlog_postgres.backend` and returns
that module's :class:`~raidlog_postgres.backend.PostgresBackend` (a subclass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from raidlog.spi import Backend, Capabilities, Codec

__all__ = ["LazyPostgresBackend"]


class LazyPostgresBackend(Backend):
    """A register in a PostgreSQL schema: ``postgresql://user@host/db?schema=name``."""

    name: ClassVar[str] = "postgres"
    schemes: ClassVar[tuple[str, ...]] = ("postgresql", "postgres")
    capabilities: ClassVar[Capabilities] = Capabilities(
        persistent=True,
        concurrent_threads=True,
        concurrent_processes=True,
        full_text_search=True,
        query_pushdown=True,
        derived_tables=True,
    )

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> Backend:
        """:meth:`raidlog_postgres.backend.PostgresBackend.open` (psycopg imported now)."""
        from raidlog_postgres.backend import PostgresBackend

        return PostgresBackend.open(location, codec=codec, options=options)
