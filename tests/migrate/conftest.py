"""Shared fixtures for the importer's tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import raidlog
from raidlog.register import Register

# The fixture generator sits beside the tests (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).resolve().parent))

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.fixture
def reg() -> Iterator[Register]:
    with raidlog.open("memory:", actor="migrator") as register:
        yield register


@pytest.fixture
def corpus() -> Path:
    for candidate in (CORPUS, Path("/work/shared/corpus")):
        if candidate.is_dir():
            return candidate
    pytest.skip("the shared corpus of real spreadsheets is not available here")
