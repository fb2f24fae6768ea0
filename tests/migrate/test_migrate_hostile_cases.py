"""Every case of the shared hostile-file generator (raidlog.testing.hostile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from raidlog import ImportRejected, Risk
from raidlog.migrate import ImportReport, import_file
from raidlog.register import Register
from raidlog.testing.hostile import CASES, HostileCase, generate


def attempt(path: Path, reg: Register) -> ImportReport | ImportRejected:
    try:
        return import_file(path, reg)
    except ImportRejected as exc:
        return exc


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(tmp_path: Path, reg: Register, case: HostileCase) -> None:
    reg.add(Risk(title="Already here"))
    path = generate(case, tmp_path)
    outcome = attempt(path, reg)
    if isinstance(outcome, ImportRejected):
        assert case.expect in ("reject", "either"), f"rejected: {outcome}"
        assert outcome.file == path.name
        if case.reasons:
            assert any(word in outcome.reason.casefold() for word in case.reasons), outcome
        assert [i.title for i in reg.items()] == ["Already here"]
    else:
        assert case.expect in ("import", "either"), f"imported: {outcome.summary()}"
        if case.items is not None:
            assert outcome.added == case.items, outcome.summary()
