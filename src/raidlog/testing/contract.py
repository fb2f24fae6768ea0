"""The conformance suite every backend passes.

A backend's test module subclasses :class:`BackendContract` and supplies a location
factory; pytest collects the subclass (the base is not collected: its name does not
start with ``Test``)::

    from raidlog.testing import BackendContract

    class TestMyBackend(BackendContract):
        def make_location(self, directory):
            return str(directory / "raid.mine")

Tests of what a backend declares it lacks (``Capabilities``) are skipped, and nothing
else.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import methodcaller
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

import raidlog
from raidlog.backends.base import Backend
from raidlog.errors import BackendError
from raidlog.model.events import ChainHead, event_hash, event_row
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Action, Decision, Issue, Item, Link, Risk
from raidlog.model.profile import PROFILE_REF
from raidlog.model.values import Relation
from raidlog.plugins import find_backend, get_plugin_manager
from raidlog.query import Query, evaluate
from raidlog.register import Register
from raidlog.testing.stateful import StepClock, machine_for
from raidlog.testing.strategies import items, queries

__all__ = ["BackendContract", "FakeClock"]

_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    # Each backend's subclass runs the same inherited test, so the same test function
    # meets several executors in one session by design.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)


class FakeClock:
    """A clock that moves one second forward at every reading."""

    def __init__(self, start: datetime = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=1)
            return self.now


def _child_add(location: str, plugins: Sequence[str], worker: int, count: int) -> list[str]:
    import importlib

    extra = [importlib.import_module(name) for name in plugins]
    with raidlog.open(location, actor=f"worker-{worker}", plugins=extra) as reg:
        return [
            reg.add(Action(title=f"worker {worker} action {n}")).ref or "" for n in range(count)
        ]


def _child_increment(
    location: str, plugins: Sequence[str], worker: int, ref: str, count: int
) -> tuple[int, int]:
    """Tag an item ``count`` times, re-reading after each conflict. Returns (writes, conflicts)."""
    import importlib

    extra = [importlib.import_module(name) for name in plugins]
    conflicts = 0
    with raidlog.open(location, actor=f"worker-{worker}", plugins=extra) as reg:
        for n in range(count):
            while True:
                item = reg.get(ref)
                try:
                    reg.update(item, tags=(*item.tags, f"w{worker}-{n}"))
                    break
                except raidlog.ConflictError:
                    conflicts += 1
    return count, conflicts


class BackendContract:
    """The conformance suite. Subclass it and implement :meth:`make_location`."""

    #: Extra plugin objects to register (for a backend that is not installed).
    plugins: ClassVar[Sequence[object]] = ()
    #: Importable module names of those plugins, for child processes.
    plugin_modules: ClassVar[Sequence[str]] = ()
    #: Options passed to the backend on open.
    open_options: ClassVar[Mapping[str, Any]] = {}
    #: Writer processes in the multi-process tests.
    processes: ClassVar[int] = 4
    #: Threads in the multi-thread tests.
    threads: ClassVar[int] = 4
    #: Random sequences the stateful test runs (each up to 15 steps).
    stateful_examples: ClassVar[int] = 20

    def make_location(self, directory: Path) -> str:
        """Return the location of a new, empty register (a new one at each call)."""
        raise NotImplementedError("a BackendContract subclass must implement make_location")

    def derived_tampers(self) -> Mapping[str, Callable[[str], None]]:
        """Ways to change what the backend keeps besides its items and events, for a
        backend that declares ``derived_tables``: each takes the location of a closed
        register holding a risk R-0001 (red, escalated to the body ExCo, titled "Supplier
        insolvent", described as "payroll run") and an action A-0001 that mitigates it,
        and changes one table directly, as someone with write access to the store would.
        Keys are ``"table"`` or ``"table: what"``; ``verify()`` must then report a
        problem in that table naming R-0001 or A-0001."""
        return {}

    def drop_location(self, location: str) -> None:
        """Remove what :meth:`make_location` created, when the test is over. Files under
        ``directory`` go with pytest's temporary directories; servers may need more."""

    # fixtures and helpers ------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _contract_setup(self, tmp_path: Path) -> Iterator[None]:
        self._tmp = tmp_path
        self._opened: list[Register] = []
        self._locations: list[str] = []
        yield
        for register in self._opened:
            register.close()
        for location in self._locations:
            self.drop_location(location)

    def new_location(self) -> str:
        """A new location in its own folder."""
        folder = self._tmp / uuid.uuid4().hex[:12]
        folder.mkdir()
        location = self.make_location(folder)
        self._locations.append(location)
        return location

    def open(self, location: str | None = None, **kwargs: Any) -> Register:
        """Open a register (a new one by default); closed after the test."""
        kwargs.setdefault("actor", "tester")
        register = raidlog.open(
            location or self.new_location(),
            plugins=self.plugins,
            options=self.open_options,
            **kwargs,
        )
        self._opened.append(register)
        return register

    def backend_class(self) -> type[Backend]:
        """The backend class that opens this suite's locations."""
        return find_backend(get_plugin_manager(self.plugins), self.new_location())

    def needs(self, capability: str) -> None:
        """Skip unless the backend declares ``capability``."""
        if not getattr(self.backend_class().capabilities, capability):
            pytest.skip(f"the backend does not declare {capability}")

    # registration ----------------------------------------------------------------------
    def test_backend_is_registered_through_the_hook(self) -> None:
        cls = self.backend_class()
        assert cls.name, "a backend needs a unique name"
        names = [
            c.name
            for batch in get_plugin_manager(self.plugins).hook.register_backends()
            for c in batch
        ]
        assert names.count(cls.name) == 1

    def test_new_register_is_empty_and_verifies(self) -> None:
        reg = self.open()
        assert list(reg.items()) == []
        assert list(reg.events()) == []
        report = reg.verify()
        assert report.ok, report.problems

    # round trips -------------------------------------------------------------------------
    @_SETTINGS
    @given(item=items())
    def test_any_item_round_trips(self, item: Item) -> None:
        reg = self.open()
        stored = reg.add(item)
        assert stored.ref is not None
        assert stored.version == 1
        assert reg.get(stored.ref) == stored
        assert list(reg.items()) == [stored]
        content = reg.codec.content(stored)
        original = reg.codec.content(item)
        derived = {
            "rag",
            "score",
            "inherent_score",
            "residual_score",
            "target_score",
            "status",
            "next_review",
        }
        assert {k: v for k, v in content.items() if k not in derived} == {
            k: v for k, v in original.items() if k not in derived
        }

    def test_add_many_is_all_or_nothing(self) -> None:
        reg = self.open()
        good = Risk(title="fine")
        bad = Action(
            title="links to nothing", links=(Link(relation=Relation.MITIGATES, target="R-9999"),)
        )
        with pytest.raises(raidlog.ItemNotFoundError):
            reg.add_many([good, bad])
        assert list(reg.items()) == []
        assert list(reg.events()) == []
        added = reg.add_many([good, Action(title="second")])
        assert [i.ref for i in added] == ["R-0001", "A-0001"]

    def test_refs_are_allocated_per_kind(self) -> None:
        reg = self.open()
        refs = [reg.add(cls(title="x")).ref for cls in (Risk, Risk, Action, Issue, Decision)]
        assert refs == ["R-0001", "R-0002", "A-0001", "I-0001", "D-0001"]
        preset = reg.add(Risk(title="imported", ref="R-0040"))
        assert preset.ref == "R-0040"
        assert reg.add(Risk(title="next")).ref == "R-0041"
        with pytest.raises(raidlog.DuplicateRefError):
            reg.add(Risk(title="again", ref="R-0040"))

    def test_a_ref_takes_its_kinds_prefix_and_one_spelling(self) -> None:
        reg = self.open()
        with pytest.raises(raidlog.ValidationError, match="does not start with R-"):
            reg.add(Risk(title="spoof", ref="D-0001"))
        with pytest.raises(raidlog.ValidationError, match="at most"):
            reg.add(Risk(title="huge", ref="R-99999999999999999999"))
        assert reg.add(Decision(title="first")).ref == "D-0001"
        assert reg.add(Risk(title="look-alike", ref="r\u200b-\uff10\uff10\uff11")).ref == "R-0001"
        with pytest.raises(raidlog.DuplicateRefError):
            reg.add(Risk(title="again", ref="R-1"))
        assert [i.ref for i in reg.items()] == ["D-0001", "R-0001"]

    def test_allocation_skips_refs_already_stored(self) -> None:
        """Refs the counter does not know (a rolled-back counter, a risk ``D-0001`` an
        earlier release accepted) must not make every later add of the kind fail."""
        reg = self.open()
        with raidlog.open("memory:", actor="tester") as source:
            made = [source.add(Risk(title=f"stored {n}")) for n in range(3)]
        behind = [*made[:2], attrs.evolve(made[2], ref="D-0001")]
        reg.backend.atomic(lambda txn: txn.put([(item, 0) for item in behind]))
        assert reg.add(Risk(title="next")).ref == "R-0003"
        assert [d.ref for d in reg.add_many([Decision(title="a"), Decision(title="b")])] == [
            "D-0002",
            "D-0003",
        ]
        with pytest.raises(raidlog.DuplicateRefError):
            reg.add(Risk(title="chosen by the caller", ref="R-0001"))

    # concurrency ---------------------------------------------------------------------------
    def test_refs_unique_under_concurrent_threads(self) -> None:
        self.needs("concurrent_threads")
        reg = self.open()
        refs: list[str] = []
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for k in range(10):
                    refs.append(reg.add(Action(title=f"thread {n} item {k}")).ref or "")
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(self.threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert errors == []
        assert len(refs) == len(set(refs)) == 10 * self.threads
        assert reg.verify().ok

    def _pool(self) -> Any:
        return multiprocessing.get_context("spawn").Pool(self.processes)

    def test_refs_unique_under_concurrent_processes(self) -> None:
        self.needs("concurrent_processes")
        location = self.new_location()
        self.open(location).close()
        with self._pool() as pool:
            results = pool.starmap(
                _child_add,
                [(location, tuple(self.plugin_modules), n, 5) for n in range(self.processes)],
            )
        refs = list(itertools.chain.from_iterable(results))
        assert len(refs) == len(set(refs)) == 5 * self.processes
        reg = self.open(location)
        assert sorted(i.ref or "" for i in reg.items()) == sorted(refs)
        assert reg.verify().ok

    def test_no_lost_update_with_concurrent_processes(self) -> None:
        self.needs("concurrent_processes")
        location = self.new_location()
        with raidlog.open(
            location, actor="setup", plugins=self.plugins, options=self.open_options
        ) as reg:
            ref = reg.add(Risk(title="contended")).ref or ""
        per_worker = 5
        with self._pool() as pool:
            results = pool.starmap(
                _child_increment,
                [
                    (location, tuple(self.plugin_modules), n, ref, per_worker)
                    for n in range(self.processes)
                ],
            )
        reg = self.open(location)
        item = reg.get(ref)
        expected = {f"w{n}-{k}" for n in range(self.processes) for k in range(per_worker)}
        assert set(item.tags) == expected, "an accepted write is missing from the final state"
        assert item.version == 1 + len(expected)
        assert len(reg.history(ref)) == 1 + len(expected)
        assert sum(writes for writes, _ in results) == len(expected)
        assert reg.verify().ok

    def test_updates_from_concurrent_threads_are_not_lost(self) -> None:
        self.needs("concurrent_threads")
        reg = self.open()
        ref = reg.add(Risk(title="contended")).ref or ""

        def work(n: int) -> None:
            for k in range(5):
                while True:
                    item = reg.get(ref)
                    try:
                        reg.update(item, tags=(*item.tags, f"t{n}-{k}"))
                        break
                    except raidlog.ConflictError:
                        continue

        workers = [threading.Thread(target=work, args=(n,)) for n in range(self.threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert len(reg.get(ref).tags) == 5 * self.threads
        assert reg.verify().ok

    # versions and conflicts ------------------------------------------------------------------
    def test_stale_update_raises_conflict_and_changes_nothing(self) -> None:
        reg = self.open()
        first = reg.add(Risk(title="Supplier late", probability=2, impact=2))
        second = reg.update(first, title="Supplier very late")
        events_before = list(reg.events())
        with pytest.raises(raidlog.ConflictError) as caught:
            reg.update(first, probability=5)
        assert caught.value.current == second
        assert reg.get(second.ref or "") == second
        assert list(reg.events()) == events_before
        with pytest.raises(raidlog.ConflictError):
            reg.transition(first, "closed")

    def test_store_enforces_the_version_check(self) -> None:
        reg = self.open()
        item = reg.add(Risk(title="x"))
        newer = attrs.evolve(item, title="y", version=2)

        def stale(txn: Any) -> None:
            txn.put([(newer, 7)])

        with pytest.raises(raidlog.ConflictError):
            reg.backend.atomic(stale)
        assert reg.get(item.ref or "") == item

    def test_failed_work_writes_nothing(self) -> None:
        reg = self.open()
        item = reg.add(Risk(title="x"))

        def boom(txn: Any) -> None:
            txn.put([(attrs.evolve(item, title="changed", version=2), 1)])
            raise RuntimeError("fails after a put")

        events = list(reg.events())
        with pytest.raises(RuntimeError):
            reg.backend.atomic(boom)
        assert reg.get(item.ref or "") == item
        assert list(reg.events()) == events

    # events, verify, history -------------------------------------------------------------------
    def _exercise(self, reg: Register) -> None:
        reg.put_node(Node(name="corporate", level="corporate", body="ExCo"))
        reg.put_node(
            Node(name="programme", level="programme", parent="corporate", body="Programme board")
        )
        reg.put_body(Body(name="ExCo", node="corporate", score_tolerance=15))
        reg.put_body(Body(name="Programme board", node="programme", score_tolerance=10))
        reg.put_objective(
            Objective(
                name="O-1", title="Go live by Q3", node="programme", key_results=("CRM live",)
            )
        )
        risk = reg.add(
            Risk(
                objectives=("O-1",),
                title="Supplier late",
                probability=3,
                impact=4,
                node="programme",
                body="Programme board",
            )
        )
        action = reg.add(Action(title="Chase supplier", owner="ana", due=date(2026, 1, 10)))
        reg.link(action, "mitigates", risk)
        ref = risk.ref or ""
        reg.transition(reg.get(ref), "mitigating")
        reg.escalate(ref, "ExCo", reason="score above programme tolerance")
        reg.update(reg.get(ref), impact=5, reason="worse news")
        reg.materialise(ref, severity="high")
        decision = reg.add(Decision(title="Second supplier", decision="Dual source"))
        decision = reg.transition(decision, "accepted")
        reg.supersede(decision, Decision(title="Single supplier after all", rationale="cost"))
        done = reg.transition(reg.get(action.ref or ""), "done")
        reg.transition(done, "open", reason="supplier slipped again")

    def test_every_change_has_an_event_and_the_chain_verifies(self) -> None:
        reg = self.open()
        self._exercise(reg)
        events = list(reg.events())
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for item in reg.items():
            history = reg.history(item)
            assert history[0].action == "add"
            assert history[-1].version == item.version
            assert [e.version for e in history] == list(range(1, item.version + 1))
        assert all(e.actor == "tester" and e.at.tzinfo is not None for e in events)
        report = reg.verify()
        assert report.ok, report.problems
        assert report.head_hash == events[-1].hash

    def test_event_rows_are_stored_as_the_events_they_hold(self) -> None:
        # Transaction.append_rows: what the register's bulk writes hand a store that
        # implements it (the default rebuilds the events and appends them).
        source = raidlog.open("memory:", actor="tester")
        self._opened.append(source)
        self._exercise(source)
        source.add(
            Risk(title="Zürich \u00e9t\u00e9", extra={"cost": 1e16, "big": 2**70, "x": "\u00df"})
        )
        events = list(source.events())
        reg = self.open()
        half = len(events) // 2
        for part in (events[:half], events[half:]):
            rows = [event_row(e, e.at) for e in part]
            # Through the store's own method (its override, or the default).
            reg.backend.atomic(methodcaller("append_rows", rows))
        stored = list(reg.events())
        assert stored == events
        assert all(event_hash(e) == e.hash for e in stored)
        assert reg.backend.head() == ChainHead(events[-1].seq, events[-1].hash)

    def test_immutable_items_refuse_edits(self) -> None:
        reg = self.open()
        decision = reg.transition(reg.add(Decision(title="Go")), "accepted")
        with pytest.raises(raidlog.ImmutableItemError):
            reg.update(decision, rationale="rewritten")
        risk = reg.transition(reg.add(Risk(title="x")), "closed")
        with pytest.raises(raidlog.ImmutableItemError):
            reg.update(risk, title="y")
        with pytest.raises(raidlog.ValidationError):
            reg.transition(risk, "open")  # reopening needs a reason
        assert reg.transition(risk, "open", reason="back").status == "open"

    def test_as_of_equals_replay_at_every_step(self) -> None:
        clock = FakeClock()
        reg = self.open(clock=clock)
        snapshots: list[tuple[datetime, dict[str, Item]]] = []

        def snap() -> None:
            snapshots.append((clock.now, {i.ref or "": i for i in reg.items()}))

        steps: list[Callable[[], object]] = [
            lambda: reg.add(Risk(title="a", probability=1, impact=2)),
            lambda: reg.add(Action(title="b")),
            lambda: reg.update(reg.get("R-0001"), impact=5),
            lambda: reg.link("A-0001", "mitigates", "R-0001"),
            lambda: reg.transition(reg.get("A-0001"), "done"),
        ]
        for step in steps:
            step()
            snap()
        for moment, expected in snapshots:
            past = reg.as_of(moment)
            assert {i.ref or "": i for i in past.items()} == expected
            with pytest.raises(raidlog.ReadOnlyError):
                past.add(Risk(title="no"))

    # queries ---------------------------------------------------------------------------------
    @_SETTINGS
    @given(
        batch=st.lists(items(), min_size=0, max_size=25),
        asked=st.lists(queries(), min_size=1, max_size=8),
    )
    def test_query_results_equal_the_reference_evaluator(
        self, batch: list[Item], asked: list[Query]
    ) -> None:
        reg = self.open()
        reg.add_many(batch)
        stored = list(reg.items())
        assert len(stored) == len(batch)
        for query in asked:
            assert reg.query(query) == evaluate(query, stored), query
            assert reg.count(query) == len(
                evaluate(attrs.evolve(query, limit=None, offset=0), stored)
            )

    def test_keyword_queries(self) -> None:
        reg = self.open(clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        self._exercise(reg)
        assert [i.ref for i in reg.query(kind="risk")] == ["R-0001"]
        assert [i.ref for i in reg.query(body="ExCo")] == ["I-0001", "R-0001"]
        assert {i.ref for i in reg.query(node="corporate")} == {"R-0001", "I-0001"}
        assert [i.ref for i in reg.query(overdue=True)] == ["A-0001"]
        assert [i.ref for i in reg.query(text="SUPPLIER", kind="decision")] == ["D-0001", "D-0002"]
        assert [i.ref for i in reg.query(text="single supplier")] == ["D-0002"]
        top = reg.query(order_by="-score", limit=1)
        assert top[0].ref == "R-0001"
        assert sorted(reg.links("R-0001")) == [
            ("A-0001", raidlog.Relation.MITIGATES, "R-0001"),
            ("I-0001", raidlog.Relation.RELATES_TO, "R-0001"),
            ("R-0001", raidlog.Relation.MATERIALISED_AS, "I-0001"),
        ]

    # random sequences ----------------------------------------------------------------------
    def test_random_changes_agree_with_the_memory_reference(self) -> None:
        def open_subject(clock: StepClock) -> Register:
            return raidlog.open(
                self.new_location(),
                actor="machine",
                clock=clock,
                plugins=self.plugins,
                options=self.open_options,
            )

        run_state_machine_as_test(
            machine_for(open_subject),
            settings=settings(
                max_examples=self.stateful_examples,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )

    # governance ------------------------------------------------------------------------------
    def test_governance_answers_equal_the_memory_reference(self) -> None:
        reg = self.open(clock=FakeClock())
        self._exercise(reg)
        reg.add(
            Risk(title="Data loss", node="programme", probability=4, impact=4, cost_exposure=5e5)
        )
        reg.add(Action(title="Late", node="programme", due=date(2026, 1, 2), objectives=("O-1",)))
        reference = self.open("memory:", clock=FakeClock())
        reg.copy_to(reference)
        day = date(2026, 6, 1)
        for body in reg.structure().bodies:
            assert reg.view(body, today=day) == reference.view(body, today=day), body
            assert reg.agenda(body, day) == reference.agenda(body, day), body
            assert reg.rollup(body=body) == reference.rollup(body=body), body
        assert reg.escalations_due(today=day) == reference.escalations_due(today=day)
        for level in ("inherent", "current", "residual"):
            assert reg.heatmap(level=level) == reference.heatmap(level=level)
        assert reg.objectives_at_risk() == reference.objectives_at_risk()
        assert reg.view("Programme board", today=day), "the exercise puts items in this view"

    # derived data --------------------------------------------------------------------------
    def _tamper_subject(self) -> str:
        location = self.new_location()
        reg = raidlog.open(
            location, actor="tester", plugins=self.plugins, options=self.open_options
        )
        try:
            reg.put_body(Body(name="ExCo"))
            risk = reg.add(
                Risk(title="Supplier insolvent", description="payroll run", probability=5, impact=5)
            )
            reg.escalate(risk, "ExCo", reason="red")
            reg.link(reg.add(Action(title="Find a second supplier")), "mitigates", risk)
            assert reg.verify().ok
        finally:
            reg.close()
        return location

    def test_verify_checks_every_derived_table(self) -> None:
        self.needs("derived_tables")
        tampers = self.derived_tampers()
        assert tampers, (
            "the backend declares derived_tables: its contract test must supply "
            "derived_tampers(), one tamper per table verify() checks"
        )
        for name, tamper in tampers.items():
            table = name.partition(":")[0]
            location = self._tamper_subject()
            tamper(location)
            report = self.open(location, actor="auditor").verify()
            assert not report.ok, f"{name}: verify() passed a tampered {table}"
            assert any(
                p.table == table and p.ref in ("R-0001", "A-0001") for p in report.problems
            ), f"{name}: no problem names {table} and the item: {report.problems}"

    # persistence -----------------------------------------------------------------------------
    def test_everything_survives_close_and_reopen(self) -> None:
        self.needs("persistent")
        location = self.new_location()
        reg = raidlog.open(
            location,
            actor="tester",
            profile="prince2",
            plugins=self.plugins,
            options=self.open_options,
        )
        try:
            self._exercise(reg)
            items_before = list(reg.items())
            events_before = list(reg.events())
            structure_before = reg.structure()
        finally:
            reg.close()
        again = self.open(location)
        assert again.profile.name == "prince2"
        assert list(again.items()) == items_before
        assert list(again.events()) == events_before
        assert again.structure() == structure_before
        assert again.verify().ok
        assert again.add(Risk(title="after reopen")).ref == "R-0002"

    # optional surface -------------------------------------------------------------------------
    def test_a_batch_commits_every_change_of_the_block(self) -> None:
        # Every backend has batch(): with batched_writes it saves once, otherwise each
        # change is still its own write; either way the block's changes are all there.
        reg = self.open()
        with reg.batch():
            risk = reg.add(Risk(title="in a batch"))
            reg.update(risk, title="changed in the batch")
        assert [r.title for r in reg.items()] == ["changed in the batch"]
        assert reg.verify().ok

    def test_a_batch_that_raises_saves_nothing(self) -> None:
        self.needs("batched_writes")
        reg = self.open()
        kept = reg.add(Risk(title="before the batch"))

        def abandoned() -> None:
            with reg.batch():
                reg.add(Risk(title="in a batch"))
                raise RuntimeError("abandoned")

        with pytest.raises(RuntimeError, match="abandoned"):
            abandoned()
        assert list(reg.items()) == [kept]
        assert reg.verify().ok

    def test_backup_copies_the_register_or_says_it_cannot(self) -> None:
        reg = self.open()
        reg.add(Risk(title="backed up"))
        cls = self.backend_class()
        target = self._tmp / f"backup-copy{cls.suffixes[0] if cls.suffixes else ''}"
        if not cls.capabilities.backup:
            with pytest.raises(BackendError, match="no backup; copy the register"):
                reg.backup(target)
            return
        reg.backup(target)
        with pytest.raises(BackendError, match="exists"):
            reg.backup(target)
        copy = self.open(str(target) if cls.suffixes else f"{cls.schemes[0]}:{target}")
        assert [i.title for i in copy.items()] == ["backed up"]
        assert copy.verify().ok

    # the profile is chained ---------------------------------------------------------------
    def test_the_profile_is_an_event_and_a_forged_stored_copy_is_not_obeyed(self) -> None:
        """Frozen statuses, bands and required reasons are the register's rules: editing
        the stored copy out of band must neither bend later writes nor pass verify."""
        self.needs("persistent")
        location = self.new_location()
        first = self.open(location)
        decision = first.transition(first.add(Decision(title="Dual source")), "accepted")
        profile_events = [e for e in first.events() if e.ref == PROFILE_REF]
        assert [(e.seq, e.action) for e in profile_events] == [(1, "add")]
        rules = dict(first.profile.source)
        forged = json.loads(json.dumps(rules))
        forged["lifecycle"]["decision"]["frozen"] = []
        for band in forged["bands"]:
            band["rag"] = "green"
        # What someone with write access to the store does: the stored copy changes, no
        # event does.
        first.backend.atomic(lambda txn: txn.set_meta("profile", json.dumps(forged)))
        first.close()
        again = self.open(location)
        assert again.profile.source == rules
        report = again.verify()
        assert not report.ok
        assert [p.ref for p in report.problems] == [PROFILE_REF]
        assert "stored profile differs" in report.problems[0].reason
        with pytest.raises(raidlog.ImmutableItemError):
            again.update(again.get(decision.ref or ""), decision="rewritten")
        assert again.add(Risk(title="Severe", probability=5, impact=5)).rag == "red"
        assert again.verify().ok  # that write restored the stored copy from the chain
        assert json.loads(again.backend.get_meta("profile") or "{}") == rules

    def test_copy_to_memory_keeps_history(self) -> None:
        reg = self.open()
        self._exercise(reg)
        target = self.open("memory:", actor="copier")
        reg.copy_to(target)
        assert list(target.items()) == list(reg.items())
        assert list(target.events()) == list(reg.events())
        assert target.verify().ok
