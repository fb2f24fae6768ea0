"""The reference plugin passes raidlog's conformance suite."""

from __future__ import annotations

from pathlib import Path

from raidlog.testing import BackendContract


class TestJsonlContract(BackendContract):
    def make_location(self, directory: Path) -> str:
        return str(directory / "raid.jsonl")
