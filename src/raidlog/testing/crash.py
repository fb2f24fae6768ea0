"""A kill -9 harness for persistent backends: writers killed with SIGKILL mid-change.

A backend's test starts a fork server (a small script of its own that calls
:func:`serve`), then for each trial asks it for a fresh writer, sleeps a random while and
kills the writer with :func:`kill`; then it checks that the store holds no half-written
change. The fork server imports raidlog once, so a writer starts in milliseconds.

Each writer opens the register, prints ``ready <pid> [<more>]`` and writes until it is
killed: a batch of risks tagged ``batch-<seed>.<n>`` (``add_many``), an action linked to
one of them, an update, a transition, a link, an escalation and a materialisation. It
appends ``write`` to its progress file before each change and ``done`` after it, so the
test knows whether the kill landed inside one and how many changes were committed.
POSIX only (the writers are forked).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

import raidlog
from raidlog.model.items import Action, Link, Risk
from raidlog.model.values import Relation
from raidlog.plugins import get_plugin_manager
from raidlog.register import Register

__all__ = ["Trial", "Writers", "kill", "serve", "write"]


def write(
    location: str,
    seed: int,
    progress: IO[str],
    *,
    batch: int,
    options: Mapping[str, Any] | None = None,
    ready: Callable[[Register], object] | None = None,
) -> None:
    """Open the register at ``location`` and write until killed (see the module)."""

    def step(change: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        progress.write("write\n")
        result = change(*args, **kwargs)
        progress.write("done\n")
        return result

    rng = random.Random(seed)  # the writer's choices, not security
    with raidlog.open(location, actor=f"writer-{seed}", options=options) as reg:
        more = [] if ready is None else [str(ready(reg))]
        print("ready", os.getpid(), *more, flush=True)
        n = 0
        while True:
            n += 1
            tag = f"batch-{seed}.{n}"
            risks = step(
                reg.add_many,
                [
                    Risk(title=f"{tag} {k}", probability=2, impact=3, tags=(tag,))
                    for k in range(batch)
                ],
            )
            mitigates = Link(relation=Relation.MITIGATES, target=str(risks[0].ref))
            action = step(reg.add, Action(title=tag, links=(mitigates,)))
            step(reg.update, risks[1], impact=rng.randint(1, 5), reason="new estimate")
            action = step(reg.transition, action, "in_progress")
            step(reg.link, action, "relates_to", risks[2].ref)
            step(reg.escalate, risks[3], "ExCo", reason="above tolerance")
            step(reg.materialise, risks[4])


def serve(location: str, **writer: Any) -> None:
    """The fork server: for each line ``go SEED PROGRESS`` on stdin, fork a writer
    (:func:`write` with ``writer``'s keyword arguments) that never returns here."""
    get_plugin_manager()  # imports every backend before the first fork
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed writers
    for line in sys.stdin:
        _, seed, path = line.split()
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                with open(path, "a", buffering=1, encoding="utf-8") as progress:
                    write(location, int(seed), progress, **writer)
            except BaseException:
                print("failed", traceback.format_exc().replace("\n", " | "), flush=True)
            finally:
                os._exit(1)


class Writers:
    """The test's side of a fork server: ``script`` is run with ``location``."""

    def __init__(self, script: Path, location: str) -> None:
        self.server = subprocess.Popen(
            [sys.executable, str(script), location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, seed: int, progress: Path) -> list[int]:
        """Fork a writer; once it has opened the register, its ``ready`` numbers (its
        pid first)."""
        assert self.server.stdin is not None
        assert self.server.stdout is not None
        self.server.stdin.write(f"go {seed} {progress}\n")
        self.server.stdin.flush()
        line = self.server.stdout.readline().split()
        assert line[:1] == ["ready"], f"the writer did not start: {' '.join(line)}"
        return [int(n) for n in line[1:]]

    def trial(self, seed: int, progress: Path, delay: float) -> Trial:
        """Start a writer, let it write for ``delay`` seconds, kill it: what it did."""
        ready = self.start(seed, progress)
        time.sleep(delay)
        kill(ready[0])
        lines = progress.read_text(encoding="utf-8").split()
        return Trial(
            ready=ready,
            delay=delay,
            inside_write=lines[-1:] == ["write"],
            committed=lines.count("done"),
        )

    def close(self) -> None:
        self.server.communicate(timeout=30)  # closes stdin: the server ends


@attrs.frozen
class Trial:
    """One killed writer: its ``ready`` numbers (pid first), how long it wrote, whether
    the kill landed inside a change, and how many changes it had committed."""

    ready: list[int]
    delay: float
    inside_write: bool
    committed: int


def kill(pid: int) -> None:
    """SIGKILL ``pid`` and wait until it is gone (the kernel reaps it)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"writer {pid} survived SIGKILL"
        time.sleep(0.005)
