"""The PostgreSQL backend passes raidlog's conformance suite, with 8 writer processes."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from postgres_server import drop_schema, location_in, new_schema_name, require_server

from raidlog.testing import BackendContract


class TestPostgresContract(BackendContract):
    processes: ClassVar[int] = 8

    def make_location(self, directory: Path) -> str:
        return location_in(require_server(), new_schema_name())

    def drop_location(self, location: str) -> None:
        schema = parse_qs(urlsplit(location).query)["schema"][0]
        drop_schema(require_server(), schema)
