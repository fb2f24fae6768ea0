"""Writer processes for the PostgreSQL kill -9 test.

Run as ``python postgres_worker.py LOCATION``: a small fork server that imports raidlog
once, so each trial gets a fresh writer process in milliseconds. For each line
``go SEED PROGRESS`` read on stdin it forks a writer, which opens the register with one
pooled connection, prints ``ready <its pid> <its server session's pid>`` and then writes
until it is killed: a batch of ``BATCH`` risks (through ``COPY``) tagged
``batch-<seed>.<n>``, an action linked to one of them, an update, a transition, a link,
an escalation and a materialisation. It appends ``write`` to the file PROGRESS before
each write and ``done`` after it, so the test knows whether the kill landed inside one.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import traceback
from collections.abc import Callable
from typing import IO, Any

import raidlog
from raidlog.model.items import Action, Risk
from raidlog.plugins import get_plugin_manager

BATCH = 32  # the smallest batch the backend sends through COPY


def write(location: str, seed: int, progress: IO[str]) -> None:
    def step(change: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        progress.write("write\n")
        result = change(*args, **kwargs)
        progress.write("done\n")
        return result

    rng = random.Random(seed)
    with raidlog.open(location, actor=f"writer-{seed}", options={"pool_size": 1}) as reg:
        session = reg.backend._read(lambda conn: conn.info.backend_pid)  # type: ignore[attr-defined]  # a PostgresBackend
        print("ready", os.getpid(), session, flush=True)
        n = 0
        while True:
            n += 1
            tag = f"batch-{seed}.{n}"
            batch = [
                Risk(title=f"{tag} {k}", probability=2, impact=3, tags=[tag]) for k in range(BATCH)
            ]
            risks = step(reg.add_many, batch)
            action = step(reg.add, Action(title=tag, links=[("mitigates", risks[0].ref)]))
            step(reg.update, risks[1], impact=rng.randint(1, 5), reason="new estimate")
            action = step(reg.transition, action, "in_progress")
            step(reg.link, action, "relates_to", risks[2].ref)
            step(reg.escalate, risks[3], "ExCo", reason="above tolerance")
            step(reg.materialise, risks[4])


def serve(location: str) -> None:
    get_plugin_manager()  # imports every backend (psycopg too) before the first fork
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed writers
    for line in sys.stdin:
        _, seed, path = line.split()
        if os.fork() == 0:  # the writer: it never returns to this loop
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                with open(path, "a", buffering=1, encoding="utf-8") as progress:
                    write(location, int(seed), progress)
            except BaseException:
                print("failed", traceback.format_exc().replace("\n", " | "), flush=True)
            finally:
                os._exit(1)


if __name__ == "__main__":
    serve(sys.argv[1])
