"""A register location holding a hostile file: a clear error, never a crashed interpreter.

Each case runs in a child process, so a parser that aborts cannot take the test run
down with it: the child must exit normally with one raidlog error.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from raidlog.testing.hostile import CASES, generate

OPEN = textwrap.dedent(
    """
    import sys
    import raidlog
    from raidlog.errors import RaidLogError

    try:
        raidlog.open(sys.argv[1], actor="tester").close()
    except RaidLogError as exc:
        print(type(exc).__name__, exc)
        sys.exit(3)
    print("opened")
    """
)
XLSX_CASES = [case for case in CASES if case.suffix == ".xlsx"]


@pytest.mark.parametrize("case", XLSX_CASES, ids=[case.name for case in XLSX_CASES])
def test_a_hostile_file_is_refused_with_one_error(tmp_path: Path, case: object) -> None:
    path = generate(case, tmp_path)  # type: ignore[arg-type]  # parametrised HostileCase
    before = path.read_bytes()
    child = subprocess.run(
        [sys.executable, "-c", OPEN, str(path)], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 3, (child.returncode, child.stdout, child.stderr[-2000:])
    assert child.stdout.split()[0] in {"BackendError", "SchemaVersionError"}
    assert path.read_bytes() == before
