"""Several processes writing one SQLite register, and writers killed mid-change.

Writers run as separate interpreters (``sys.executable``), never forked from pytest.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import raidlog
from raidlog.model.items import Risk

WORKER = Path(__file__).with_name("sqlite_worker.py")
PROCESSES = 4
ROUNDS = 25
KILLS = 20


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_writer_processes_lose_no_update(tmp_path: Path) -> None:
    location = str(tmp_path / "raid.db")
    with raidlog.open(location, actor="setup") as reg:
        refs = [r.ref or "" for r in reg.add_many([Risk(title=f"shared {n}") for n in range(3)])]
    workers = [_spawn("contend", location, str(n), str(ROUNDS), *refs) for n in range(PROCESSES)]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))
    accepted = [tuple(write) for report in reports for write in report["accepted"]]
    conflicts = sum(report["conflicts"] for report in reports)
    assert len(accepted) == PROCESSES * ROUNDS
    # Each conflict was a stale read that wrote nothing; say how many the run saw.
    print(f"{len(accepted)} accepted writes, {conflicts} ConflictErrors")

    with raidlog.open(location, actor="auditor") as reg:
        for ref in refs:
            mine = sorted((v, t) for r, v, t in accepted if r == ref)
            item = reg.get(ref)
            # Versions 2..n were each accepted exactly once: nothing overwritten silently.
            assert [v for v, _ in mine] == list(range(2, item.version + 1))
            if mine:
                assert item.title == mine[-1][1]
            history = {e.version: e for e in reg.history(ref)}
            for version, title in mine:
                changes = {c.field: c.new for c in history[version].changes}
                assert changes["title"] == title
        report = reg.verify()
        assert report.ok, report.problems


def _check_after_crash(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT count(*) FROM register r WHERE NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.ref = r.ref AND e.version = r.version)"
        ).fetchone()[0]
        assert orphans == 0, "a stored item version has no event"
    conn.close()
    with raidlog.open(str(path), actor="auditor") as reg:
        report = reg.verify()
        assert report.ok, report.problems
        return report.items_checked, report.events_checked


def test_writers_killed_at_random_points_leave_a_consistent_register(tmp_path: Path) -> None:
    path = tmp_path / "raid.db"
    raidlog.open(str(path), actor="setup").close()
    rng = random.Random(20261122)
    sizes = []
    for kill in range(KILLS):
        writer = _spawn("churn", str(path), str(kill))
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(writer.pid, signal.SIGKILL)
        writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        sizes.append(_check_after_crash(path))
    items, events = sizes[-1]
    assert items > 0
    assert events > 0
    # The register grew across kills: each writer committed work before it died.
    assert len(set(sizes)) > 1


def test_processes_creating_one_new_register_at_once_create_it_once(tmp_path: Path) -> None:
    location = str(tmp_path / "new.db")
    openers = [_spawn("contend", location, str(n), "0") for n in range(PROCESSES)]
    for opener in openers:
        _, err = opener.communicate(timeout=60)
        assert opener.returncode == 0, err
    with sqlite3.connect(tmp_path / "new.db") as conn:
        meta = conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
    conn.close()
    assert ("application", "raidlog") in meta
    assert [k for k, _ in meta].count("schema_version") == 1
    with raidlog.open(location, actor="auditor") as reg:
        assert reg.verify().ok
