"""Verifying a register: the event chain link by link, then the stored state against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from raidlog.backends.base import Finding
from raidlog.errors import ValidationError
from raidlog.model.events import Event, event_hash
from raidlog.model.items import Item
from raidlog.model.profile import PROFILE_REF
from raidlog.register import profile
from raidlog.register.history import replay

if TYPE_CHECKING:
    from raidlog.register.facade import Register

__all__ = ["AnchorCheck", "Problem", "VerifyReport", "verify"]

_NO_HASH = "0" * 64


@attrs.frozen(kw_only=True)
class Problem:
    """Something :meth:`Register.verify` found wrong: at event ``seq`` and/or item ``ref``,
    in the store's ``table`` (a table, sheet or file) when the store said where."""

    reason: str
    seq: int | None = None
    ref: str | None = None
    table: str | None = None


@attrs.frozen(kw_only=True)
class AnchorCheck:
    """The chain against an anchor recorded earlier (:attr:`VerifyReport.anchor`).

    ``intact``: the anchored event is still in the chain with the hash recorded, so
    every event up to it is as it was (each carries the hash of the one before).
    ``grown_by``: events appended since (0: the head is the anchored event).
    ``reason`` says what was found, for people.
    """

    anchor: str
    intact: bool
    grown_by: int
    reason: str


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The result of :meth:`Register.verify`."""

    ok: bool
    events_checked: int
    items_checked: int
    head_hash: str
    problems: tuple[Problem, ...] = ()
    #: The last event's sequence number (0 for an empty log).
    head_seq: int = 0
    #: How the chain stands against the anchor passed to ``verify(expect=...)``.
    anchor_check: AnchorCheck | None = None
    #: What is worth knowing but not wrong (a register written before its profile was
    #: recorded in the chain, for instance).
    notes: tuple[str, ...] = ()

    @property
    def first_broken(self) -> Problem | None:
        """The first problem found, in log order (``None`` when ``ok``)."""
        return self.problems[0] if self.problems else None

    @property
    def anchor(self) -> str:
        """What to keep elsewhere to detect a rewritten history later: the head's
        sequence number and hash, as ``SEQ:HASH``."""
        return f"{self.head_seq}:{self.head_hash}"


def check_anchor(anchor: str, events: list[Event]) -> AnchorCheck:
    """Compare ``anchor`` (``SEQ:HASH``, or a bare head hash as anchors were recorded
    before they carried the sequence number) with the verified ``events``."""
    text = anchor.strip().lower()
    seq_text, _, digest = text.rpartition(":")
    head = events[-1].seq if events else 0
    if digest == _NO_HASH and head:
        return AnchorCheck(
            anchor=anchor,
            intact=False,
            grown_by=0,
            reason=f"the anchor names no event (it was taken of an empty register), and the "
            f"chain now ends at event {head}: the chain was rebuilt or changed since it was "
            "anchored",
        )
    if seq_text:
        if not seq_text.isdigit():
            raise ValidationError(f"an anchor is SEQ:HASH or a hash, not {anchor!r}")
        seq = int(seq_text)
        found = next((e for e in events if e.seq == seq), None)
        at = found.hash if found is not None else (_NO_HASH if seq == head == 0 else None)
        if at is None:
            return AnchorCheck(
                anchor=anchor,
                intact=False,
                grown_by=0,
                reason=f"the chain ends at event {head}, before the anchored event {seq}: "
                "events were removed, the chain was rebuilt or changed since it was anchored",
            )
        if at != digest:
            return AnchorCheck(
                anchor=anchor,
                intact=False,
                grown_by=0,
                reason=f"event {seq} has hash {at}, the anchor recorded {digest}: the history "
                "up to the anchor was rewritten (the chain was rebuilt or changed since it "
                "was anchored)",
            )
    else:
        match = next((e for e in events if e.hash == digest), None)
        if match is None and digest != _NO_HASH:
            return AnchorCheck(
                anchor=anchor,
                intact=False,
                grown_by=0,
                reason=f"no event of the chain has hash {digest}: the chain was rebuilt or "
                "changed since it was anchored",
            )
        seq = 0 if match is None else match.seq
    grown = head - seq
    return AnchorCheck(
        anchor=anchor,
        intact=True,
        grown_by=grown,
        reason=f"the anchored event {seq} is intact"
        + (f"; the chain grew by {grown} event(s) since" if grown else " and is the head"),
    )


def verify(register: Register, *, expect: str | None = None) -> VerifyReport:
    """Check the event chain link by link, then that replaying it gives exactly the
    stored items and structure, then the store's derived data (:meth:`Backend.audit`).
    The first problem is the first broken event. A row the store cannot decode is a
    problem too, and the check goes on. ``expect`` is an anchor to check the chain
    against (see :class:`AnchorCheck`)."""
    problems: list[Problem] = []
    notes: list[str] = []
    events: list[Event] = []
    expected_seq, prev = 1, None
    for event in register.backend.scan_events():
        if isinstance(event, Finding):
            problems.append(_problem(event))
            break
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
    chain_whole = not problems
    stored: dict[str, Item] = {}
    damaged: set[str] = set()
    for item in register.backend.scan_items():
        if isinstance(item, Finding):
            problems.append(_problem(item))
            damaged.add(item.ref or "")
        elif item.ref is not None:
            stored[item.ref] = item
    replayed: dict[str, Item] | None = None
    if chain_whole:
        try:
            replayed, structure = replay(register, events)
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(reason=f"the event log cannot be replayed: {exc}"))
            replayed = None
        else:
            for ref in sorted((set(stored) | set(replayed)) - damaged):
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
            wrong, notes = profile.check(events, register.backend.get_meta("profile"))
            problems.extend(Problem(ref=PROFILE_REF, reason=reason) for reason in wrong)
            current = register.structure()
            if sorted(map(repr, current.records())) != sorted(map(repr, structure.records())):
                problems.append(
                    Problem(
                        reason="governance structure differs from its history "
                        "(changed outside raidlog)"
                    )
                )
    # What queries read besides the items: against the history when it could be
    # replayed, else against the items as stored.
    for finding in register.backend.audit(stored if replayed is None else replayed):
        problems.append(_problem(finding))
    return VerifyReport(
        ok=not problems,
        events_checked=len(events),
        items_checked=len(stored) + len(damaged),
        head_hash=events[-1].hash if events else _NO_HASH,
        head_seq=events[-1].seq if events else 0,
        problems=tuple(problems),
        anchor_check=None if expect is None else check_anchor(expect, events),
        notes=tuple(notes),
    )


def _problem(finding: Finding) -> Problem:
    where = f"{finding.table}: " if finding.table else ""
    return Problem(
        seq=finding.seq, ref=finding.ref, table=finding.table, reason=where + finding.reason
    )


def _diff_fields(register: Register, a: Item, b: Item) -> list[str]:
    da, db = register.codec.item_to_dict(a), register.codec.item_to_dict(b)
    return sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
