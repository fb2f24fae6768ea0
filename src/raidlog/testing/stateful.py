"""A stateful test: random sequences of changes on a backend and on the memory reference.

Every rule runs the same call on both registers (the reference first); they must agree
on the result or on the error raised, and after every step on every item and every
event (the hash chain included), and ``verify()`` must pass on the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

import raidlog
from raidlog.errors import RaidLogError
from raidlog.model.items import Decision, Item
from raidlog.model.values import Relation
from raidlog.register import Register
from raidlog.testing.strategies import BODIES, items, texts

__all__ = ["RegisterMachine", "StepClock", "machine_for"]


class StepClock:
    """A clock both registers share: it moves only when the machine takes a step, so the
    two registers stamp identical times whatever retries a backend makes."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def tick(self) -> None:
        """Move one second on."""
        self.now += timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


class RegisterMachine(RuleBasedStateMachine):
    """Subclass with ``open_subject`` set to a callable opening a new register of the
    backend under test (``open_subject(clock) -> Register``)."""

    open_subject: ClassVar[Callable[[StepClock], Register]]

    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        self.clock = StepClock()
        self.model = raidlog.open("memory:", actor="machine", clock=self.clock)
        self.subject = type(self).open_subject(self.clock)

    def teardown(self) -> None:
        self.subject.close()
        self.model.close()

    def both(self, call: Callable[[Register], Any]) -> Any:
        """Run ``call`` on the reference then the subject: same result or same error."""
        self.clock.tick()
        expected, expected_error = _outcome(call, self.model)
        got, got_error = _outcome(call, self.subject)
        assert type(got_error) is type(expected_error), (
            f"reference raised {expected_error!r}, the backend {got_error!r}"
        )
        assert got == expected
        return got

    @initialize(target=refs, batch=st.lists(items(), min_size=1, max_size=4))
    def start(self, batch: list[Item]) -> Any:
        added = self.both(lambda reg: reg.add_many(batch))
        return multiple(*(i.ref for i in added or ()))

    @rule(target=refs, item=items())
    def add(self, item: Item) -> Any:
        added = self.both(lambda reg: reg.add(item))
        return multiple() if added is None else added.ref

    @rule(ref=refs, title=texts(max_words=4))
    def update(self, ref: str, title: str) -> None:
        self.both(lambda reg: reg.update(reg.get(ref), title=title, reason="edit"))

    @rule(
        ref=refs,
        status=st.sampled_from(
            (
                "open",
                "mitigating",
                "closed",
                "accepted",
                "done",
                "in_progress",
                "resolved",
                "deprecated",
            )
        ),
        reason=st.none() | st.just("because"),
    )
    def transition(self, ref: str, status: str, reason: str | None) -> None:
        self.both(lambda reg: reg.transition(reg.get(ref), status, reason=reason))

    @rule(source=refs, dest=refs, relation=st.sampled_from(list(Relation)))
    def link(self, source: str, dest: str, relation: Relation) -> None:
        self.both(lambda reg: reg.link(source, relation, dest))

    @rule(target=refs, ref=refs)
    def materialise(self, ref: str) -> Any:
        issue = self.both(lambda reg: reg.materialise(ref))
        return multiple() if issue is None else issue.ref

    @rule(target=refs, ref=refs, title=texts(max_words=3))
    def supersede(self, ref: str, title: str) -> Any:
        new = self.both(lambda reg: reg.supersede(ref, Decision(title=title)))
        return multiple() if new is None else new.ref

    @rule(ref=refs, body=st.sampled_from(BODIES))
    def escalate(self, ref: str, body: str) -> None:
        self.both(lambda reg: reg.escalate(ref, body, reason="surface it"))

    @rule(ref=refs, first=texts(max_words=2), second=texts(max_words=2))
    def stale_update(self, ref: str, first: str, second: str) -> None:
        """Two writers read the same version; the second write must raise a conflict."""
        stale = {}

        def read(reg: Register) -> None:
            stale[reg.location] = reg.get(ref)

        self.both(read)
        written = self.both(lambda reg: reg.update(stale[reg.location], title=first))
        # The copy is stale only when the first write landed and moved the version (a
        # refused write, or one that changed nothing, leaves the copy current).
        changed = written is not None and written.version != stale[self.model.location].version
        outcome: list[str] = []

        def second_write(reg: Register) -> None:
            try:
                reg.update(stale[reg.location], title=second)
                outcome.append("written")
            except raidlog.ConflictError:
                outcome.append("conflict")
            except RaidLogError:
                outcome.append("refused")

        self.both(second_write)
        assert outcome[0] == outcome[1]
        if changed and outcome[0] != "refused":
            assert outcome[0] == "conflict", "a stale write must never land"

    @rule(ref=consumes(refs))
    def forget(self, ref: str) -> None:
        """Drop a ref from the bundle (keeps sequences varied); changes nothing."""

    @invariant()
    def agree(self) -> None:
        assert list(self.subject.items()) == list(self.model.items())
        assert list(self.subject.events()) == list(self.model.events())

    @invariant()
    def verifies(self) -> None:
        report = self.subject.verify()
        assert report.ok, report.problems


def _outcome(call: Callable[[Register], Any], reg: Register) -> tuple[Any, RaidLogError | None]:
    try:
        return call(reg), None
    except RaidLogError as exc:
        return None, exc


def machine_for(open_subject: Callable[[StepClock], Register]) -> type[RegisterMachine]:
    """A :class:`RegisterMachine` subclass that opens its subject with ``open_subject``."""
    return type("BackendMachine", (RegisterMachine,), {"open_subject": staticmethod(open_subject)})
