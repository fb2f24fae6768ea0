"""The PostgreSQL backend passes raidlog's conformance suite, with 8 writer processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from raidlog.testing import BackendContract


class TestPostgresContract(BackendContract):
    processes: ClassVar[int] = 8

    @pytest.fixture(autouse=True)
    def _server(self, new_location: Callable[[], str]) -> None:
        # Each location is a fresh schema; the fixture drops them after the test.
        self._new_schema = new_location

    def make_location(self, directory: Path) -> str:
        return self._new_schema()
