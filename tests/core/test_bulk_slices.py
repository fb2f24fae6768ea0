"""Bulk writes store their items and events in slices, inside one transaction.

``add_many`` and ``upsert_many`` hand every ``FLUSH_EVERY`` items (in
``raidlog.register.write``) and their sealed events to the backend before building the
next slice. Here the slice is 3 items, so
every behaviour of a bulk write crosses slice boundaries, on every built-in store (and
SQLite stores every slice on its writer thread).
"""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest

import raidlog
from raidlog import Action, Event, Link, Relation, Risk
from raidlog.errors import ConflictError, DuplicateRefError
from raidlog.register import Register
from raidlog.register.write import AddedItems, Write

STORES = ["memory:", "raid.db", "raid.xlsx"]
if importlib.util.find_spec("raidlog_jsonl") is not None:
    STORES.append("raid.jsonl")


class _Listener:
    def __init__(self) -> None:
        self.events: list[Event] = []

    @raidlog.hookimpl
    def notify(self, events: Sequence[Event], register: Register) -> None:
        self.events.extend(events)


def _small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of 3 items; SQLite stores each on its writer thread, a row a statement."""
    monkeypatch.setattr("raidlog.register.write.FLUSH_EVERY", 3)
    monkeypatch.setattr("raidlog.backends.sqlite.writer.ON_THREAD_FROM", 1)
    monkeypatch.setattr("raidlog.backends.sqlite.writer.VALUES_A_STATEMENT", 1)


@pytest.fixture(params=STORES)
def reg(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Register]:
    _small_slices(monkeypatch)
    name = str(request.param)
    location = name if name == "memory:" else str(tmp_path / name)
    with raidlog.open(location, actor="ana") as register:
        yield register


def test_add_many_across_slices_links_and_chains_like_one_write(reg: Register) -> None:
    risks = reg.add_many([Risk(title=f"risk {n}", probability=2, impact=3) for n in range(7)])
    actions = reg.add_many(
        [
            Action(title=f"act {n}", links=(Link(relation=Relation.MITIGATES, target=r.ref or ""),))
            for n, r in enumerate(risks)
        ]
    )
    assert [a.ref for a in actions] == [f"A-{n:04d}" for n in range(1, 8)]
    assert [reg.get(a.ref or "") for a in actions] == actions
    events = list(reg.events())
    assert [e.seq for e in events] == list(range(1, 16))
    assert [e.ref for e in events] == ["profile", *(i.ref for i in (*risks, *actions))]
    assert reg.verify().ok


def test_a_failure_in_the_last_slice_stores_nothing_of_the_earlier_ones(reg: Register) -> None:
    first = reg.add(Risk(title="taken", ref="R-0100"))
    batch = [Risk(title=f"new {n}") for n in range(7)] + [Risk(title="clash", ref="R-0100")]
    with pytest.raises(DuplicateRefError):
        reg.add_many(batch)
    assert list(reg.items()) == [first]
    assert [e.ref for e in reg.events()] == ["profile", "R-0100"]
    assert reg.add(Risk(title="next")).ref == "R-0101"
    assert reg.verify().ok


def test_upsert_many_across_slices_updates_what_an_earlier_slice_added(reg: Register) -> None:
    stored = reg.add_many([Action(title=f"a{n}") for n in range(4)])
    batch = [
        *(attrs.evolve(a, title=f"{a.title} (edited)") for a in stored),
        Action(title="fresh", ref="A-0050"),
        Action(title="fresh again", ref="A-0051"),
        Action(title="fresh, then edited in the same write", ref="A-0052"),
    ]
    done = reg.upsert_many(batch)
    assert [d.version for d in done] == [2, 2, 2, 2, 1, 1, 1]
    again = reg.upsert_many([attrs.evolve(done[-1], title="edited after its slice was stored")])
    assert again[0].version == 2
    with pytest.raises(ConflictError):
        reg.upsert_many([Action(title="stale", ref="A-0001", version=1)] * 1)
    assert reg.get("A-0052").title == "edited after its slice was stored"
    assert len(list(reg.events())) == 1 + 4 + 7 + 1  # the profile, then the items
    assert reg.verify().ok


def test_notifiers_get_every_event_of_a_sliced_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_slices(monkeypatch)
    listener = _Listener()
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana", plugins=[listener]) as reg:
        added = reg.add_many([Risk(title=f"r{n}") for n in range(8)])
    # (the refs: a large batch reads its items from the register, which is closed here)
    assert [e.ref for e in listener.events] == list(added.refs)
    assert [e.seq for e in listener.events] == list(range(2, 10))  # event 1 records the profile


def test_a_batch_larger_than_a_slice_comes_back_as_a_lazy_list_of_the_stored_items(
    reg: Register,
) -> None:
    added = reg.add_many([Risk(title=f"risk {n}", probability=2, impact=3) for n in range(7)])
    assert isinstance(added, AddedItems)
    assert len(added) == 7
    assert added.refs == tuple(f"R-{n:04d}" for n in range(1, 8))
    stored = [reg.get(ref) for ref in added.refs]
    assert added == stored
    assert list(added) == stored
    assert added[0] == stored[0]
    assert added[-1].title == "risk 6"
    assert added[2:4] == stored[2:4]
    assert "7 items" in repr(added)
    # A batch of one slice or less holds its items themselves, equal all the same.
    small = reg.add_many([Action(title="a"), Action(title="b")])
    assert small == [reg.get("A-0001"), reg.get("A-0002")]


def test_a_bulk_write_keeps_no_stored_version_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Memory flat in the batch size: once a slice is stored, neither the write nor what
    # add_many returns holds its items (the SQLite store keeps no item objects either).
    _small_slices(monkeypatch)
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana") as reg:
        added = reg.add_many([Risk(title=f"kept alive? {n}") for n in range(10)])
        gc.collect()
        alive = [
            o
            for o in gc.get_objects()
            if type(o) is Risk and o.ref is not None and o.title.startswith("kept alive? ")
        ]
        assert alive == []
        assert [item.title for item in added] == [f"kept alive? {n}" for n in range(10)]


def test_while_a_bulk_write_runs_it_holds_one_slice_of_stored_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_slices(monkeypatch)
    alive_after_each_flush: list[int] = []
    flush = Write.flush

    def counting(self: Write) -> None:
        flush(self)
        gc.collect()
        alive_after_each_flush.append(
            sum(
                1
                for o in gc.get_objects()
                if type(o) is Risk and o.ref is not None and o.title.startswith("slice probe ")
            )
        )

    monkeypatch.setattr(Write, "flush", counting)
    with raidlog.open(str(tmp_path / "raid.db"), actor="ana") as reg:
        reg.add_many([Risk(title=f"slice probe {n}") for n in range(12)])
    # At most the one version the loop has in hand, not every version staged so far.
    assert len(alive_after_each_flush) >= 4
    assert max(alive_after_each_flush) <= 1
