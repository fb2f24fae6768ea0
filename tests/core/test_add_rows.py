"""The bulk add path gives exactly what the object path gave: events and item rows.

``Write.insert`` drafts an add event as a tuple (changes as ``[field, None, new]`` lists
and their canonical JSON from per-class generated code) and, when the store takes rows
(``Transaction.append_rows``) and no notifier listens, seals it straight into an event
row; SQLite builds each item row from per-table generated code. The reference here is
the object path, spelt out: a ``Change`` for the title and for each field that differs
from its class's default (the cattrs converter's dict), an ``EventDraft``, ``seal``,
``event_row``; an item row from the converter's dict and each column's codec.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Event, Item, Link, Relation, rules
from raidlog.backends.sqlite.backend import _to_sql
from raidlog.backends.sqlite.schema import table_for_kind, table_specs
from raidlog.convert import METADATA_FIELDS, Codec
from raidlog.model.events import (
    EVENT_FIELDS,
    ChainHead,
    Change,
    EventDraft,
    changes_json,
    event_row,
    seal,
)
from raidlog.register import Register
from raidlog.register.write import Write, assign
from raidlog.testing.strategies import items

_AT = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


class _Listener:
    @raidlog.hookimpl
    def notify(self, events: Sequence[Event], register: Register) -> None:
        pass


def _content(codec: Codec, item: Item) -> dict[str, Any]:
    data = codec.item_to_dict_slow(item)
    for name in (*METADATA_FIELDS, "kind"):
        data.pop(name, None)
    return data


def _reference_changes(codec: Codec, item: Item) -> list[Change]:
    """An add event's changes as the object path makes them: the title, then each
    content field not at its default."""
    content = _content(codec, item)
    defaults = _content(codec, type(item)(title="-"))
    changes = [Change(field="title", old=None, new=content["title"])]
    changes += [
        Change(field=k, old=None, new=v)
        for k, v in content.items()
        if k != "title" and v != defaults[k]
    ]
    return changes


def _reference_events(reg: Register, stored: Sequence[Item], head: ChainHead) -> list[Event]:
    """The add events of ``stored`` as the object path sealed them."""
    codec = reg.codec
    drafts = []
    for item in stored:
        changes = _reference_changes(codec, item)
        assert item.ref is not None
        drafts.append(
            EventDraft(
                ref=item.ref,
                kind=item.kind,
                action="add",
                version=1,
                actor="ana",
                at=_AT,
                channel="api",
                changes=tuple(changes),
                reason="bulk",
                source=None,
            )
        )
    return seal(drafts, head)


def _reference_row(codec: Codec, ident: int, item: Item) -> tuple[Any, ...]:
    spec = table_specs()[table_for_kind(item.kind)]
    data = codec.item_to_dict_slow(item)
    return (ident, *(_to_sql(column, data.get(column.name)) for column in spec.columns))


def _batches() -> st.SearchStrategy[list[Item]]:
    return st.lists(items(), min_size=1, max_size=8)


_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _add(location: str, batch: list[Item], plugins: Sequence[object] = ()) -> tuple[Any, ...]:
    """Add ``batch`` in two writes: its first item, then the rest, where the second item
    links to the first (stored by the earlier write), the third takes a ref of its own
    and the fourth links to it (staged in the same write)."""
    reg = raidlog.open(location, actor="ana", clock=lambda: _AT, plugins=plugins)
    first = reg.add_many(batch[:1], reason="bulk")
    rest = list(batch[1:])
    if len(rest) > 0:
        target = first[0].ref or ""
        rest[0] = attrs.evolve(rest[0], links=(Link(relation=Relation.RELATES_TO, target=target),))
    if len(rest) > 2:
        preset = f"{rest[1].ref_prefix}-0900"
        rest[1] = attrs.evolve(rest[1], ref=preset)
        rest[2] = attrs.evolve(rest[2], links=(Link(relation=Relation.DEPENDS_ON, target=preset),))
    return reg, [*first, *reg.add_many(rest, reason="bulk")]


@pytest.mark.parametrize("store", ["raid.db", "memory:", "raid.db with a notifier"])
@_SETTINGS
@given(batch=_batches())
def test_bulk_add_events_are_those_of_the_object_path(store: str, batch: list[Item]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        location = "memory:" if store == "memory:" else str(Path(folder) / "raid.db")
        plugins = [_Listener()] if "notifier" in store else []
        reg, stored = _add(location, batch, plugins)
        try:
            events = list(reg.events())
            assert events[0].kind == "profile"  # the profile is chained first
            expected = _reference_events(reg, stored[:1], ChainHead(1, events[0].hash))
            expected += _reference_events(reg, stored[1:], ChainHead(2, expected[0].hash))
            assert events[1:] == expected
            if location != "memory:":
                with sqlite3.connect(location) as conn:
                    rows = conn.execute(
                        f"SELECT {', '.join(EVENT_FIELDS)} FROM events WHERE seq > 1 ORDER BY seq"
                    ).fetchall()
                conn.close()
                assert rows == [event_row(e, e.at.isoformat()) for e in expected]
            assert reg.verify().ok
        finally:
            reg.close()


@_SETTINGS
@given(batch=_batches())
def test_bulk_item_rows_are_those_of_the_object_path(batch: list[Item]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        location = str(Path(folder) / "raid.db")
        reg, stored = _add(location, batch)
        reg.close()
        codec = Codec()
        with sqlite3.connect(location) as conn:
            ids = dict(conn.execute("SELECT ref, id FROM refs"))
            found = {}
            for name in {table_for_kind(i.kind) for i in stored}:
                for row in conn.execute(
                    f"SELECT id, {', '.join(table_specs()[name].names)} FROM {name}"
                ):
                    found[row[0]] = row
        conn.close()
        for item in stored:
            ident = ids[item.ref]
            assert found[ident] == _reference_row(codec, ident, item)


def test_refs_a_write_allocated_are_known_by_their_runs() -> None:
    with raidlog.open("memory:", actor="ana") as reg:

        def work(w: Write) -> None:
            w.insert(raidlog.Risk(title="one"))
            w.insert(raidlog.Risk(title="two"))
            w.insert(raidlog.Risk(title="preset", ref="R-0010"))  # the counter jumps past
            w.insert(raidlog.Risk(title="three"))
            w.insert(raidlog.Action(title="act"))
            assert [w.allocated(r) for r in ("R-0001", "R-0002", "R-0011", "A-0001")] == [True] * 4
            assert not any(w.allocated(r) for r in ("R-0010", "R-0003", "A-0002", "I-0001"))
            assert not w.allocated("R-1")  # not the spelling the counter gives

        reg._commit(work)


@pytest.mark.parametrize("store", ["raid.db", "memory:"])
def test_adding_items_does_not_grow_the_callers_strings(store: str, tmp_path: Path) -> None:
    # sqlite3 and orjson attach the UTF-8 form of a non-ASCII string to the string
    # itself: handed the caller's own text, every item added would grow by it.
    batch = [
        raidlog.Risk(title=f"Café {n} délai", description="Zürich straße " * 20, cause="naïve")
        for n in range(50)
    ]
    texts = [t for i in batch for t in (i.title, i.description, i.cause)]
    sizes = [sys.getsizeof(t) for t in texts]
    location = store if store == "memory:" else str(tmp_path / store)
    with raidlog.open(location, actor="ana") as reg:
        stored = reg.add_many(batch)
        assert [i.title for i in stored] == [i.title for i in batch]
    assert [sys.getsizeof(t) for t in texts] == sizes


def test_a_bulk_write_stores_a_smaller_first_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    # A store working beside the caller (PostgreSQL's helper thread) gets rows sooner.
    monkeypatch.setattr("raidlog.register.write.FLUSH_EVERY", 10)
    monkeypatch.setattr("raidlog.register.write.FIRST_FLUSH", 4)
    sizes: list[int] = []
    flush = Write.flush

    def counting(self: Write) -> None:
        sizes.append(len(self.drafts))
        flush(self)

    monkeypatch.setattr(Write, "flush", counting)
    with raidlog.open("memory:", actor="ana") as reg:
        reg.add_many([raidlog.Action(title=f"act {n}") for n in range(25)])
        assert len(reg) == 25
    assert sizes == [4, 10, 10, 2]  # the profile's event and 3 items first


@settings(max_examples=200, deadline=None)
@given(item=items(), derive=st.booleans())
def test_the_one_pass_add_plan_gives_what_assign_and_to_dict_give(item: Item, derive: bool) -> None:
    # Codec.add_plan makes the stored version, its dict and its changes in one pass: the
    # version must be assign()'s copy, the dict the converter's, the copy its own.
    reg = raidlog.open("memory:", actor="ana")
    try:
        codec = reg.codec
        cls = type(item)
        values: dict[str, Any] = rules.derived(reg.profile, item) if derive else {}
        plan = codec.add_plan(cls, reg._defaults(cls), rules.DERIVED_FIELDS | {"next_review"})
        ref = f"{item.ref_prefix}-0001"
        stored, text = plan(item, values, ref, "open", _AT, _AT.isoformat(), "ana")
        expected = assign(
            item,
            {
                **values,
                "ref": ref,
                "status": "open",
                "version": 1,
                "created_at": _AT,
                "created_by": "ana",
                "updated_at": _AT,
                "updated_by": "ana",
            },
        )
        assert type(stored) is cls
        assert stored == expected
        assert stored.extra is not item.extra
        data = codec.item_to_dict(stored)  # the kept dict
        assert data == codec.item_to_dict_slow(stored)
        assert list(data) == list(codec.item_to_dict_slow(stored))  # in the same order
        # The changes: the title and each content field not at its default, as the
        # object path's Change objects and changes_json give them.
        changes = _reference_changes(codec, stored)
        assert text == changes_json(
            EventDraft(
                ref=ref,
                kind=item.kind,
                action="add",
                version=1,
                actor="ana",
                at=_AT,
                channel="api",
                changes=tuple(changes),
            )
        )
        with pytest.raises(TypeError, match="not derived"):
            plan(item, {"title": "x"}, ref, "open", _AT, _AT.isoformat(), "ana")
    finally:
        codec.forget()
        reg.close()
