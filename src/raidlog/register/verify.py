"""Verifying a register: the event chain link by link, then the stored state against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from raidlog.errors import ValidationError
from raidlog.model.events import Event, event_hash
from raidlog.model.governance import Structure
from raidlog.model.items import Item
from raidlog.register import profile
from raidlog.register.history import replay

if TYPE_CHECKING:
    from raidlog.register.facade import Register

__all__ = ["Problem", "VerifyReport", "verify"]


@attrs.frozen(kw_only=True)
class Problem:
    """Something :meth:`Register.verify` found wrong: at event ``seq`` and/or item ``ref``."""

    reason: str
    seq: int | None = None
    ref: str | None = None


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The result of :meth:`Register.verify`."""

    ok: bool
    events_checked: int
    items_checked: int
    head_hash: str
    problems: tuple[Problem, ...] = ()
    #: What is worth knowing but not wrong (a register written before its profile was
    #: recorded in the chain, for instance).
    notes: tuple[str, ...] = ()

    @property
    def first_broken(self) -> Problem | None:
        """The first problem found, in log order (``None`` when ``ok``)."""
        return self.problems[0] if self.problems else None


def verify(register: Register) -> VerifyReport:
    """Check the event chain link by link, then that replaying it gives exactly the
    stored items and structure. The first problem is the first broken event."""
    problems: list[Problem] = []
    notes: list[str] = []
    events: list[Event] = []
    expected_seq, prev = 1, None
    for event in register.backend.events():
        events.append(event)
        prev_hash = prev.hash if prev is not None else "0" * 64
        if event.seq != expected_seq:
            problems.append(
                Problem(
                    seq=event.seq,
                    ref=event.ref,
                    reason=f"expected event {expected_seq}, found {event.seq}: "
                    "events are missing or out of order",
                )
            )
        elif event.prev_hash != prev_hash:
            problems.append(
                Problem(
                    seq=event.seq,
                    ref=event.ref,
                    reason="prev_hash does not match the event before: an event "
                    "before it was changed, removed or inserted",
                )
            )
        elif event_hash(event) != event.hash:
            problems.append(
                Problem(
                    seq=event.seq,
                    ref=event.ref,
                    reason="hash does not match the content: this event was edited",
                )
            )
        if problems:
            break
        expected_seq, prev = event.seq + 1, event
    stored = {item.ref: item for item in register.backend.items() if item.ref is not None}
    if not problems:
        try:
            replayed, structure = replay(register, events)
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(reason=f"the event log cannot be replayed: {exc}"))
            replayed, structure = {}, Structure()
        else:
            for ref in sorted(set(stored) | set(replayed)):
                if ref not in replayed:
                    problems.append(
                        Problem(
                            ref=ref,
                            reason="stored item has no events (written outside raidlog)",
                        )
                    )
                elif ref not in stored:
                    problems.append(
                        Problem(
                            ref=ref,
                            reason="item in the event log is missing from the store "
                            "(deleted outside raidlog)",
                        )
                    )
                elif replayed[ref] != stored[ref]:
                    diff = _diff_fields(register, replayed[ref], stored[ref])
                    problems.append(
                        Problem(
                            ref=ref,
                            reason=f"stored item differs from its history in "
                            f"{', '.join(diff)} (changed outside raidlog)",
                        )
                    )
            profile_problems, notes = profile.check(events, register.backend.get_meta("profile"))
            problems.extend(profile_problems)
            current = register.structure()
            if sorted(map(repr, current.records())) != sorted(map(repr, structure.records())):
                problems.append(
                    Problem(
                        reason="governance structure differs from its history "
                        "(changed outside raidlog)"
                    )
                )
    head = events[-1].hash if events else "0" * 64
    return VerifyReport(
        ok=not problems,
        events_checked=len(events),
        items_checked=len(stored),
        head_hash=head,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _diff_fields(register: Register, a: Item, b: Item) -> list[str]:
    da, db = register.codec.item_to_dict(a), register.codec.item_to_dict(b)
    return sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
