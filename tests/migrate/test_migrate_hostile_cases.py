"""Every case of the shared hostile-file generator (raidlog.testing.hostile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from raidlog import ImportRejected, Risk
from raidlog.migrate import import_file
from raidlog.register import Register
from raidlog.testing.hostile import CASES, HostileCase, generate


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(tmp_path: Path, reg: Register, case: HostileCase) -> None:
    reg.add(Risk(title="Already here"))
    path = generate(case, tmp_path)
    try:
        report = import_file(path, reg)
    except ImportRejected as exc:
        assert case.expect in ("reject", "either"), f"rejected: {exc}"
        assert exc.file == path.name
        if case.reasons:
            assert any(word in exc.reason.casefold() for word in case.reasons), exc.reason
        assert [i.title for i in reg.items()] == ["Already here"]
        return
    assert case.expect in ("import", "either"), f"imported: {report.summary()}"
    if case.items is not None:
        assert report.added == case.items, report.summary()
