"""Writers killed with SIGKILL at random points never leave a half-written change.

Each trial starts a writer process (forked by ``postgres_worker.py``, a separate
interpreter that imported raidlog once; see ``raidlog.testing.crash``) that writes
batches through ``COPY``, single adds, updates, transitions, links, escalations and
materialisations, and kills it after a random 0.2 to 1.0 s. Then: the killed
writer's server session goes away and holds no lock; the tables show no half-written
transaction (every item version has its event and the reverse, the chain has no gap,
each batch is whole, each materialised risk has its issue); a fresh register passes
``verify()`` and its next write succeeds.

The random delays come from a seeded generator: the seed is printed, and
``RAIDLOG_KILL_SEED=<seed>`` repeats a run's delays.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

import raidlog
from raidlog import Action
from raidlog.testing.crash import Writers

from .conftest import Probe

WORKER = Path(__file__).with_name("postgres_worker.py")
KILLS = 20
KILLS_PER_REGISTER = 5
BATCH = 32  # postgres_worker.BATCH
SEED = int(os.environ.get("RAIDLOG_KILL_SEED", "20261122"))

#: What a change spanning several rows may never leave half done.
WHOLE = {
    "a batch not whole": f"""SELECT t, count(*) FROM {{s}}.items, unnest(tags) t
        WHERE kind = 'risk' AND t LIKE 'batch-%' GROUP BY t HAVING count(*) <> {BATCH}""",
    "a materialised risk without its issue": """SELECT r.ref FROM {s}.items r
        WHERE r.kind = 'risk' AND r.status = 'materialised' AND NOT EXISTS (
            SELECT 1 FROM {s}.links l JOIN {s}.items i ON i.ref = l.target
            WHERE l.source = r.ref AND l.relation = 'materialised_as' AND i.kind = 'issue')""",
}


def _wait_until_gone(conn: psycopg.Connection[tuple[object, ...]], session: int) -> None:
    """The server ends a killed client's session when it reads the closed socket."""
    deadline = time.monotonic() + 30
    query = "SELECT state, wait_event FROM pg_stat_activity WHERE pid = %s"
    while (row := conn.execute(query, [session]).fetchone()) is not None:
        assert time.monotonic() < deadline, f"the killed writer's session lives on: {row}"
        time.sleep(0.01)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the writers are forked (POSIX)")
def test_writers_killed_at_random_points_leave_a_consistent_register(
    new_location: Callable[[], str], probe: Probe, tmp_path: Path
) -> None:
    print(f"kill -9 loop: seed {SEED} (RAIDLOG_KILL_SEED={SEED} repeats these delays)")
    rng = random.Random(SEED)
    mid_write = committed = 0
    for round_ in range(KILLS // KILLS_PER_REGISTER):  # a new register now and then:
        location = new_location()  # verify() reads the whole register at every trial
        with raidlog.open(location, actor="setup") as reg:
            schema = reg.backend.schema  # type: ignore[attr-defined]  # a PostgresBackend
        writers = Writers(WORKER, location)
        try:
            for trial in range(KILLS_PER_REGISTER):
                kill = round_ * KILLS_PER_REGISTER + trial + 1
                progress = tmp_path / f"writer-{kill}.log"
                trial = writers.trial(kill, progress, rng.uniform(0.2, 1.0))
                mid_write += trial.inside_write
                committed += trial.committed
                where = f"seed {SEED}, kill {kill} after {trial.delay:.3f} s"

                _wait_until_gone(probe.conn, trial.ready[1])  # the writer's server session
                assert probe.locks(schema) == [], f"{where}: locks left on the register"
                assert probe.problems(schema) == [], where
                for name, query in WHOLE.items():
                    assert probe.fetch(query, schema) == [], f"{where}: {name}"
                options = {"statement_timeout": 10}  # a lock left behind fails, never hangs
                with raidlog.open(location, actor="auditor", options=options) as reg:
                    report = reg.verify()
                    assert report.ok, (where, report.problems)
                    reg.add(Action(title=f"after {where}"))  # the writer lock is free
        finally:
            writers.close()
    print(f"{KILLS} kills, {mid_write} inside a write; {committed} writes committed")
    assert mid_write > 0, "no kill landed inside a write: the loop proved nothing"
    assert committed > KILLS, "the writers barely wrote: the loop proved little"
