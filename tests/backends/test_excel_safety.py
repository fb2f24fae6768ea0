"""Crashes, full disks and other processes never cost the workbook a change it held."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import raidlog
from raidlog.backends.excel import workbook
from raidlog.errors import BackendError
from raidlog.model.items import Action

WRITER = textwrap.dedent(
    """
    import sys
    import raidlog
    from raidlog.errors import ConflictError
    from raidlog.model.items import Action

    location, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with raidlog.open(location, actor=name) as register:
        n = 0
        while count < 0 or n < count:
            register.add(Action(title=f"{name} {n}"))
            n += 1
            print(n, flush=True)
    """
)


def run_writer(location: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(location), name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    location = tmp_path / "raid.xlsx"
    with raidlog.open(str(location), actor="alice") as register:
        register.add_many([Action(title=f"existing {n}") for n in range(30)])
    return location


def fail_on_call(n: int, real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """A stand-in for ``real`` whose ``n``-th call raises ``error``."""
    calls = [0]

    def maybe_fail(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise error
        return real(*args, **kwargs)

    return maybe_fail


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def partial_write_then_fail(real: Callable[..., Any], n: int) -> Callable[..., Any]:
    calls = [0]

    def write(self: Any, handle: Any) -> None:
        calls[0] += 1
        if calls[0] == n:
            handle.write(b"PK\x03\x04 half a workbook")
            raise disk_full()
        real(self, handle)

    return write


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("target", ["write", "fsync", "replace"])
def test_the_nth_save_failing_leaves_the_previous_workbook(
    path: Path, monkeypatch: pytest.MonkeyPatch, target: str, n: int
) -> None:
    register = raidlog.open(str(path), actor="bob")
    # Each save calls fsync twice (the file, then its folder): the n-th save's file sync.
    patches = {
        "write": lambda: monkeypatch.setattr(
            workbook.Rendering, "write", partial_write_then_fail(workbook.Rendering.write, n)
        ),
        "fsync": lambda: monkeypatch.setattr(
            os, "fsync", fail_on_call(2 * n - 1, os.fsync, disk_full())
        ),
        "replace": lambda: monkeypatch.setattr(
            os, "replace", fail_on_call(n, os.replace, disk_full())
        ),
    }
    with register:
        patches[target]()
        for k in range(1, n):
            register.add(Action(title=f"saved {k}"))
        before = path.read_bytes()
        with pytest.raises(BackendError, match=r"raid\.xlsx: No space left"):
            register.add(Action(title="lost"))
        monkeypatch.undo()
        assert path.read_bytes() == before
        assert "lost" not in {i.title for i in register.items()}
        assert not list(path.parent.glob("*.tmp"))
        register.add(Action(title="after the failure"))
    with raidlog.open(str(path), actor="carol") as reopened:
        titles = [i.title for i in reopened.items()]
        assert titles[-n:] == [*(f"saved {k}" for k in range(1, n)), "after the failure"]
        assert reopened.verify().ok


def test_a_failed_folder_sync_is_reported_and_the_save_kept(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with raidlog.open(str(path), actor="bob") as register:
        monkeypatch.setattr(os, "fsync", fail_on_call(2, os.fsync, disk_full()))
        with pytest.raises(BackendError, match="syncing its folder failed"):
            register.add(Action(title="saved, not synced"))
        monkeypatch.undo()
        register.add(Action(title="next"))
    with raidlog.open(str(path), actor="carol") as reopened:
        assert [i.title for i in reopened.items()][-2:] == ["saved, not synced", "next"]
        assert reopened.verify().ok


@pytest.mark.slow
def test_killing_writers_never_leaves_a_broken_workbook(path: Path) -> None:
    shuffle = random.Random(4)
    kills = 0
    seen = 30
    mid_save = 0  # kills that caught a writer between creating and moving its temp file
    while kills < 20:
        writer = run_writer(path, f"w{kills}", -1)
        assert writer.stdout is not None
        writer.stdout.readline()  # it has saved at least once: now kill it at any moment
        time.sleep(shuffle.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.communicate()
        kills += 1
        mid_save += bool(list(path.parent.glob("*.tmp")))
        with raidlog.open(str(path), actor="checker") as register:
            report = register.verify()
            assert report.ok, report.problems
            count = len(register)
            assert count > seen
            seen = count
    assert mid_save > 0, "no kill landed during a save: the loop proved nothing"
    # A killed writer may leave its temporary file; the next save clears it.
    with raidlog.open(str(path), actor="checker") as register:
        register.add(Action(title="after the kills"))
    assert not list(path.parent.glob("*.tmp"))


def test_several_processes_writing_lose_nothing(path: Path) -> None:
    writers = [run_writer(path, f"p{n}", 8) for n in range(4)]
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    with raidlog.open(str(path), actor="checker") as register:
        titles = [i.title for i in register.items()]
        assert len(titles) == 30 + 4 * 8
        assert {f"p{n} {k}" for n in range(4) for k in range(8)} <= set(titles)
        assert register.verify().ok
