"""Reading a ``postgresql://`` location and the backend's options.

A location is a libpq connection URL plus one parameter of raidlog's own, ``schema``,
which names the PostgreSQL schema holding the register (several registers share one
database, one schema each). libpq refuses parameters it does not know, so ``schema`` is
taken out before the URL reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import attrs

from raidlog.spi import ValidationError

__all__ = ["DEFAULT_SCHEMA", "Options", "PostgresLocation", "parse_location", "redact"]

#: The schema used when the location names none.
DEFAULT_SCHEMA = "raidlog"
SCHEMES = ("postgresql", "postgres")
# PostgreSQL truncates longer identifiers silently: two long names would share a schema.
_MAX_IDENTIFIER_BYTES = 63


@attrs.frozen
class PostgresLocation:
    """Where a register lives: the libpq URL (without ``schema``) and the schema name."""

    conninfo: str
    schema: str
    #: The user's own ``options`` URL parameter (server settings), kept and extended.
    server_options: str = ""


def redact(location: str) -> str:
    """The location with its password hidden, fit for error messages and logs."""
    return re.sub(r"(://[^:/?#@]*:)[^@/?#]*@", r"\1***@", location)


def parse_location(location: str) -> PostgresLocation:
    """Split ``postgresql://...?schema=NAME`` into a libpq URL and a schema name.

    Raises :class:`~raidlog.errors.ValidationError` naming what is wrong: another
    scheme, ``schema`` given twice or empty, or a schema name PostgreSQL would truncate
    or reserves (``pg_...``).
    """
    parts = urlsplit(location)
    if parts.scheme.lower() not in SCHEMES:
        raise ValidationError(
            f"{redact(location)!r} is not a PostgreSQL location; "
            "write postgresql://user@host:port/database?schema=name",
            field="location",
        )
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in pairs if key == "schema"]
    if len(schemas) > 1:
        raise ValidationError(
            f"{redact(location)!r} names the schema {len(schemas)} times; give it once",
            field="location",
        )
    schema = schemas[0] if schemas else DEFAULT_SCHEMA
    check_schema_name(schema)
    server_options = " ".join(value for key, value in pairs if key == "options")
    kept = [(key, value) for key, value in pairs if key not in ("schema", "options")]
    # libpq decodes %20 but not "+" in URLs, so spaces must be quoted, never plussed.
    query = urlencode(kept, quote_via=quote)
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return PostgresLocation(conninfo=conninfo, schema=schema, server_options=server_options)


def check_schema_name(schema: str) -> None:
    """Refuse a schema name PostgreSQL would not keep exactly as written."""
    if not schema:
        raise ValidationError("the schema parameter is empty; write ?schema=name", field="schema")
    if "\x00" in schema:
        raise ValidationError("a schema name cannot contain a NUL character", field="schema")
    if len(schema.encode()) > _MAX_IDENTIFIER_BYTES:
        raise ValidationError(
            f"schema name {schema[:20]!r}... is longer than {_MAX_IDENTIFIER_BYTES} bytes; "
            "PostgreSQL would truncate it, so choose a shorter one",
            field="schema",
        )
    if schema.lower().startswith("pg_"):
        raise ValidationError(
            f"schema names starting with pg_ are reserved by PostgreSQL: {schema!r}",
            field="schema",
        )


@attrs.frozen(kw_only=True)
class Options:
    """What ``raidlog.open(..., options={...})`` may tune for this backend."""

    #: Longest a statement may run (seconds) before the server cancels it.
    statement_timeout: float = 30.0
    #: Longest a session may sit idle inside a transaction (seconds).
    idle_in_transaction_timeout: float = 120.0
    #: Most connections one open register keeps (threads beyond it wait).
    pool_size: int = 4
    #: Attempts of a write transaction on serialization failure or deadlock.
    retries: int = 8
    #: Seconds to wait for the server when connecting.
    connect_timeout: float = 10.0

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> Options:
        """Read options, refusing unknown names and values out of range."""
        known = {f.name: f for f in attrs.fields(cls)}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ValidationError(
                f"unknown postgres option(s) {', '.join(unknown)}; known: {', '.join(known)}",
                field="options",
            )
        values: dict[str, Any] = {}
        for name, value in options.items():
            wanted = int if name in ("pool_size", "retries") else float
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValidationError(f"option {name} must be a positive number", field=name)
            if wanted is int and not isinstance(value, int):
                raise ValidationError(f"option {name} must be a whole number", field=name)
            values[name] = wanted(value)
        return cls(**values)

    def server_settings(self) -> str:
        """Session settings sent at connection (libpq ``options``)."""
        statement = round(self.statement_timeout * 1000)
        idle = round(self.idle_in_transaction_timeout * 1000)
        return (
            f"-c statement_timeout={statement} -c idle_in_transaction_session_timeout={idle} "
            "-c TimeZone=UTC"
        )
