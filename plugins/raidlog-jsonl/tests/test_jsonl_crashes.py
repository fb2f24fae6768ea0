"""Failing disks and killed writers never cost the JSON Lines file a change it held.

- Fault injection: during a change, the Nth file operation of its save fails with
  ``ENOSPC``, for every N, on every write path: opening the temporary file, each write
  (which writes half its text first), the flush, the fsync, the close, the rename, and
  the folder's open, fsync and close. A fault up to the rename leaves the file
  byte-for-byte as it was; a fault after it (the folder sync) is reported and leaves the
  change in the file. Either way nothing is left behind (no temporary file, no open
  descriptor), ``verify()`` passes and the next write succeeds.
- A kill -9 loop: writer processes killed at random points; the file always parses,
  holds whole changes only and passes ``verify()``, and the next save clears a killed
  writer's temporary file. The seed is printed; ``RAIDLOG_KILL_SEED`` repeats a run.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import pathlib
import random
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import raidlog
from raidlog import Action, Body, Decision, Node, Risk
from raidlog.errors import BackendError
from raidlog.model.governance import Objective
from raidlog.register import Register
from raidlog.testing.crash import Writers

AFTER_RENAME = ("open folder", "fsync folder", "close folder")


class _Plan:
    """Counts the file operations of a save and fails the ``fail_at``-th."""

    def __init__(self) -> None:
        self.armed = False
        self.fail_at = 0
        self.calls = 0
        self.fired: str | None = None
        self.folders: set[int] = set()  # descriptors of folders opened and not yet closed

    def arm(self, fail_at: int) -> None:
        self.armed, self.fail_at, self.calls, self.fired = True, fail_at, 0, None

    def tick(self, what: str, partial: Callable[[], object] | None = None) -> None:
        if not self.armed:
            return
        self.calls += 1
        if self.calls == self.fail_at:
            self.fired = what
            if partial is not None:
                partial()  # a short write: part of the data reached the file
            raise OSError(errno.ENOSPC, f"No space left on device (injected: {what})")


class _File:
    """A file opened for writing whose operations go through the plan."""

    def __init__(self, file: Any, plan: _Plan) -> None:
        self.file, self.plan = file, plan

    def write(self, text: str) -> int:
        self.plan.tick("write", lambda: self.file.write(text[: len(text) // 2]))
        return int(self.file.write(text))

    def flush(self) -> None:
        self.plan.tick("flush")
        self.file.flush()

    def fileno(self) -> int:
        return int(self.file.fileno())

    def __enter__(self) -> _File:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            if kind is None:
                self.plan.tick("close file")
        finally:
            self.file.close()  # a failing close still releases the descriptor


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> _Plan:
    plan = _Plan()
    path_open, fsync, replace = pathlib.Path.open, os.fsync, os.replace
    os_open, os_close = os.open, os.close

    def counted_path_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if not plan.armed or "w" not in mode:
            return path_open(self, mode, *args, **kwargs)
        plan.tick("open file")
        return _File(path_open(self, mode, *args, **kwargs), plan)

    def counted_fsync(fd: int) -> None:
        plan.tick("fsync folder" if fd in plan.folders else "fsync file")
        fsync(fd)

    def counted_replace(source: Any, target: Any) -> None:
        plan.tick("rename")
        replace(source, target)

    def counted_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if not plan.armed or not os.path.isdir(path):
            return os_open(path, flags, *args, **kwargs)
        plan.tick("open folder")
        fd = os_open(path, flags, *args, **kwargs)
        plan.folders.add(fd)
        return fd

    def counted_os_close(fd: int) -> None:
        if fd not in plan.folders:
            return os_close(fd)
        plan.folders.discard(fd)
        try:
            plan.tick("close folder")
        finally:
            os_close(fd)
        return None

    monkeypatch.setattr(pathlib.Path, "open", counted_path_open)
    monkeypatch.setattr(os, "fsync", counted_fsync)
    monkeypatch.setattr(os, "replace", counted_replace)
    monkeypatch.setattr(os, "open", counted_os_open)
    monkeypatch.setattr(os, "close", counted_os_close)
    return plan


# the write paths -------------------------------------------------------------------------
_names = itertools.count(1)


def _nothing(reg: Register) -> None:
    return None


@attrs.frozen
class _Change:
    """``prep`` sets the scene (no faults) and returns what ``run`` changes; ``file``
    names the file that must survive, in the trial's folder (the target of a copy)."""

    run: Callable[[Register, Any], object]
    prep: Callable[[Register], Any] = _nothing
    file: str = "raid.jsonl"


def _accepted_decision(reg: Register) -> Any:
    return reg.transition(reg.add(Decision(title=f"Go {next(_names)}")), "accepted")


def _target(reg: Register) -> Register:
    return raidlog.open(str(Path(reg.location).with_name("copy.jsonl")), actor="ana")


CHANGES: dict[str, _Change] = {
    "add": _Change(lambda reg, _: reg.add(Action(title="one", links=[("mitigates", "R-0001")]))),
    "add_many": _Change(lambda reg, _: reg.add_many([Risk(title=f"r{n}") for n in range(3)])),
    "update": _Change(lambda reg, _: reg.update(reg.get("R-0001"), impact=5, reason="worse")),
    "transition": _Change(lambda reg, _: reg.transition(reg.get("A-0001"), "done")),
    "link": _Change(lambda reg, _: reg.link("A-0001", "relates_to", "D-0001")),
    "escalate": _Change(lambda reg, _: reg.escalate("R-0001", "ExCo", reason="too big")),
    "materialise": _Change(lambda reg, _: reg.materialise("R-0001")),
    "supersede": _Change(lambda reg, _: reg.supersede("D-0001", Decision(title="Go, later"))),
    "upsert_many": _Change(
        lambda reg, _: reg.upsert_many(
            [attrs.evolve(reg.get("R-0001"), title="re-imported"), Risk(title="new")]
        )
    ),
    "put_body": _Change(lambda reg, _: reg.put_body(Body(name="Board"))),
    "put_node_update": _Change(
        lambda reg, _: reg.put_node(Node(name="corp", level="portfolio", version=1))
    ),
    "put_objective": _Change(lambda reg, _: reg.put_objective(Objective(name="O-1", title="Grow"))),
    "copy_to": _Change(lambda reg, into: reg.copy_to(into), _target, "copy.jsonl"),
}


def _base(path: Path) -> None:
    with raidlog.open(str(path), actor="ana") as reg:
        reg.put_node(Node(name="corp", level="corporate"))
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.add(Action(title="Chase", links=[("mitigates", risk.ref)]))
        _accepted_decision(reg)


def _events(content: bytes) -> list[tuple[str, str, int]]:
    """``(kind, action, version)`` of every event in a file's content."""
    docs = [json.loads(line) for line in content.decode("utf-8").splitlines()]
    return [
        (d["event"]["kind"], d["event"]["action"], d["event"]["version"])
        for d in docs
        if "event" in d
    ]


@attrs.frozen
class _Outcome:
    fired: str | None  # the operation that failed
    failed: BaseException | None  # what the change raised
    before: bytes  # the watched file before the change
    file: Path  # the watched file
    register: Register  # the open register of that file


@contextlib.contextmanager
def _trial(
    template: Path, folder: Path, change: _Change, plan: _Plan, fail_at: int
) -> Iterator[_Outcome]:
    """Run ``change`` on a copy of ``template`` in ``folder``, failing operation
    ``fail_at`` of its save (none for 0). The registers stay open inside the block: a
    JSON Lines backend keeps nothing between calls, so they read the file afresh."""
    folder.mkdir()
    shutil.copy(template, folder / "raid.jsonl")
    with raidlog.open(str(folder / "raid.jsonl"), actor="ana") as reg:
        arg = change.prep(reg)
        watched = arg if isinstance(arg, Register) else reg
        try:
            before = (folder / change.file).read_bytes()
            failed: BaseException | None = None
            plan.arm(fail_at)
            try:
                change.run(reg, arg)
            except BackendError as exc:  # the file's failure, naming the file
                failed = exc
            finally:
                plan.armed = False
            yield _Outcome(plan.fired, failed, before, folder / change.file, watched)
        finally:
            watched.close()


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_failing_file_operation_of_a_save_leaves_a_whole_file(
    tmp_path: Path, plan: _Plan, name: str
) -> None:
    change = CHANGES[name]
    template = tmp_path / "template.jsonl"
    _base(template)
    with _trial(template, tmp_path / "count", change, plan, 0) as run:
        total = plan.calls
        added = _events(run.file.read_bytes())[len(_events(run.before)) :]
    for fail_at in range(1, total + 1):
        folder = tmp_path / str(fail_at)
        with _trial(template, folder, change, plan, fail_at) as run:
            where = f"{name}: operation {fail_at} of {total} ({run.fired})"
            assert run.fired is not None, f"{where}: the save stopped before the fault"
            assert run.failed is not None, f"{where}: the failure was swallowed"
            assert "injected" in str(run.failed), where
            assert str(run.file) in str(run.failed), where
            assert plan.folders == set(), f"{where}: a folder descriptor was left open"
            litter = [p.name for p in folder.iterdir() if p.suffix not in (".jsonl", ".lock")]
            assert litter == [], f"{where}: left {litter}"
            if run.fired in AFTER_RENAME:  # reported, and the change is in the file
                assert _events(run.file.read_bytes())[len(_events(run.before)) :] == added
            else:
                assert run.file.read_bytes() == run.before, f"{where}: the file changed"
            report = run.register.verify()
            assert report.ok, (where, report.problems)
            run.register.add(Action(title="the next write"))
    with raidlog.open(str(run.file), actor="bob") as reopened:
        assert reopened.verify().ok
    print(f"{name}: {total} faults injected")
    assert total >= 10, f"{name}: only {total} file operations"


# kill -9 ---------------------------------------------------------------------------------
WORKER = Path(__file__).with_name("jsonl_worker.py")
KILLS = 20
BATCH = 5  # jsonl_worker.BATCH
SEED = int(os.environ.get("RAIDLOG_KILL_SEED", "20261122"))


def _whole(path: Path) -> list[str]:
    """What no save may leave: a line that is not whole JSON, an item version without its
    event (or the reverse), a gap in the events, a ref above its counter, a batch not
    whole, a materialised risk without its issue."""
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    header, problems = docs[0], []
    items = {d["item"]["ref"]: d["item"] for d in docs if "item" in d}
    events = [d["event"] for d in docs if "event" in d]
    if [e["seq"] for e in events] != list(range(1, len(events) + 1)):
        problems.append("a gap in the events")
    latest = {
        e["ref"]: e["version"] for e in events if ":" not in e["ref"] and e["kind"] != "profile"
    }
    if latest != {ref: item["version"] for ref, item in items.items()}:
        problems.append("item versions and events disagree")
    for ref in items:
        prefix, _, number = ref.rpartition("-")
        if int(number) > header["counters"].get(prefix, 0):
            problems.append(f"{ref} is above its counter")
    batches = Counter(t for i in items.values() if i["kind"] == "risk" for t in i["tags"])
    problems += [f"{tag} has {n} risks" for tag, n in batches.items() if n != BATCH]
    for ref, item in items.items():
        issues = [link["target"] for link in item["links"] if link["relation"] == "materialised_as"]
        if item["status"] == "materialised" and not (issues and issues[0] in items):
            problems.append(f"{ref} materialised without its issue")
    return problems


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the writers are forked (POSIX)")
def test_writers_killed_at_random_points_leave_a_whole_file(tmp_path: Path) -> None:
    print(f"kill -9 loop: seed {SEED} (RAIDLOG_KILL_SEED={SEED} repeats these delays)")
    rng = random.Random(SEED)
    path = tmp_path / "raid.jsonl"
    raidlog.open(str(path), actor="setup").close()
    writers = Writers(WORKER, str(path))
    mid_write = mid_save = committed = 0
    try:
        for kill in range(1, KILLS + 1):
            progress = tmp_path / f"writer-{kill}.log"
            trial = writers.trial(kill, progress, rng.uniform(0.2, 1.0))
            mid_write += trial.inside_write
            committed += trial.committed
            mid_save += (tmp_path / ".raid.jsonl.tmp").exists()
            where = f"seed {SEED}, kill {kill} after {trial.delay:.3f} s"

            assert _whole(path) == [], where
            with raidlog.open(str(path), actor="auditor") as reg:
                report = reg.verify()
                assert report.ok, (where, report.problems)
                reg.add(Action(title=f"after {where}"))  # the lock is free
            temporary = sorted(p.name for p in tmp_path.glob(".*.tmp"))
            assert temporary == [], f"{where}: the next save left {temporary}"
    finally:
        writers.close()
    print(
        f"{KILLS} kills, {mid_write} inside a write, {mid_save} inside a save; "
        f"{committed} writes committed, {report.events_checked} events in the end"
    )
    assert mid_write > 0, "no kill landed inside a write: the loop proved nothing"
    assert committed > KILLS, "the writers barely wrote: the loop proved little"
