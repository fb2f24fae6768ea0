"""The memory backend passes the conformance suite."""

from pathlib import Path

from raidlog.testing import BackendContract


class TestMemoryBackend(BackendContract):
    def make_location(self, directory: Path) -> str:
        return "memory:"
