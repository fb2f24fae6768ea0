"""The SQLite backend passes the conformance suite."""

from pathlib import Path

from raidlog.testing import BackendContract


class TestSQLiteBackend(BackendContract):
    processes = 4

    def make_location(self, directory: Path) -> str:
        return str(directory / "raid.db")
