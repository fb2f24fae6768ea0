"""The report tests use the same sample register as the export tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import raidlog
from raidlog import Register
from raidlog.testing import FakeClock

from ..export.conftest import build  # noqa: TID252  # one sample register for exports and reports


@pytest.fixture
def board() -> Iterator[Register]:
    clock = FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    with raidlog.open("memory:", actor="ana", clock=clock) as register:
        yield build(register)
