"""The write engine: what one atomic change of a register stages and stores.

:func:`commit` runs a piece of work inside the backend's write transaction; the work
stages new item versions and their event drafts on a :class:`Write`, which seals the
events onto the chain and stores everything together. Nothing is written without its
event. Bulk writes store their versions and events in slices (:meth:`Write.flush`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from raidlog import rules
from raidlog.backends.base import Entity, Transaction
from raidlog.bulk import bulk, generated
from raidlog.convert import AddPlan, entity_kind
from raidlog.errors import DuplicateRefError, ItemNotFoundError, ReadOnlyError, ValidationError
from raidlog.model.events import (
    Change,
    Event,
    EventDraft,
    NewItem,
    Sealing,
    seal,
    seal_rows,
)
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Item
from raidlog.model.profile import PROFILE_REF, Profile
from raidlog.model.values import canonical_ref
from raidlog.plugins import has_notifiers, notify
from raidlog.register import profile

if TYPE_CHECKING:
    from raidlog.register.facade import Register

__all__ = ["FLUSH_EVERY", "AddedItems", "Write", "assign", "commit", "sources_for"]

T = TypeVar("T")
_Rules = Callable[[Item], tuple[str, dict[str, Any]]]
#: What the write helpers return is what they were given: a Risk in, a Risk out.
ItemT = TypeVar("ItemT", bound=Item)
EntityT = TypeVar("EntityT", Node, Body, Objective)

#: A bulk write stores its new versions and their events in slices of this many.
FLUSH_EVERY = 5000
#: ... after a first, smaller slice, so a store that works beside the caller (the
#: PostgreSQL plugin streams rows on a helper thread) gets its first rows sooner.
FIRST_FLUSH = 1000


class Write:
    """What one atomic change stages: new versions and their event drafts."""

    def __init__(
        self,
        register: Register,
        txn: Transaction,
        reason: str | None,
        keep_events: bool,
        channel: str | None = None,
    ) -> None:
        self.register = register
        self.txn = txn
        self.reason = reason
        # The channel of this change only: another thread's writes keep the register's.
        self.channel = channel or register.channel
        self.now = register._now()
        self.today = self.now.date()
        self.now_text = self.now.isoformat()  # the time new versions record, as text
        self.writes: list[tuple[Item, int]] = []
        # Events to seal at the next flush: drafts, and new items' add events as tuples.
        self.drafts: list[EventDraft | NewItem] = []
        self.staged: dict[str, Item] = {}
        self.entities: list[tuple[Entity, int]] = []
        self.sealed: list[Event] = []  # kept only when notifiers will want them
        self.keep_events = keep_events
        self.flushed = False  # whether flush_if_full stored a first slice
        self.linkable: set[str] = set()  # link targets found stored in this transaction
        # The numbers this write took from the counters, by prefix, as runs: flat
        # [first, last, first, last...] lists (a bulk add takes one run per prefix).
        self.runs: dict[str, list[int]] = {}
        # By class: the profile, what an add checks and derives under it, and what it
        # stores and records.
        self.adders: dict[type[Item], tuple[Profile, _Rules, AddPlan]] = {}
        # Events become rows without Event objects when the store takes rows and no
        # notifier wants them (Transaction.append_rows).
        self.rows = not keep_events and type(txn).append_rows is not Transaction.append_rows

    def current(self, ref: str) -> Item:
        item = self.staged.get(ref) or self.txn.get(ref)
        if item is None:
            raise ItemNotFoundError(ref)
        return item

    def draft(
        self,
        ref: str,
        kind: str,
        action: str,
        version: int,
        changes: Iterable[Change],
        reason: str | None = None,
        source: str | None = None,
    ) -> None:
        reg = self.register
        self.drafts.append(
            EventDraft(
                ref=ref,
                kind=kind,
                action=action,
                version=version,
                actor=reg.actor,
                at=self.now,
                channel=self.channel,
                changes=tuple(changes),
                reason=reason if reason is not None else self.reason,
                source=source if source is not None else reg._source,
            )
        )

    def insert(self, item: ItemT, source: str | None = None) -> ItemT:
        ref = self._allocate(item.ref_prefix) if item.ref is None else self._preset(item)
        reg = self.register
        _, checked, adder = self._adder(type(item))
        status, values = checked(item)  # the next review too, for an item without one
        # The stored version, its dict (kept for the store) and its add event's changes.
        stored: ItemT  # a copy of the item: its class
        stored, changes = adder(item, values, ref, status, self.now, self.now_text, reg.actor)
        if stored.links:
            self._check_links(stored)
        self.writes.append((stored, 0))
        self.staged[ref] = stored
        self.drafts.append(
            (ref, stored.kind, changes, source if source is not None else reg._source)
        )
        return stored

    def _preset(self, item: Item) -> str:
        """The canonical spelling of a new item's own ref, reserved in its counter."""
        assert item.ref is not None
        ref = canonical_ref(item.ref, prefix=item.ref_prefix, kind=item.kind)
        self.txn.reserve(item.ref_prefix, int(ref.rpartition("-")[2]))
        return ref

    def _adder(self, cls: type[Item]) -> tuple[Profile, _Rules, AddPlan]:
        """What an add of a ``cls`` item checks, derives, stores and records, under the
        register's profile (found once per class and profile)."""
        reg = self.register
        found = self.adders.get(cls)
        if found is None or found[0] is not reg.profile:
            derivable = rules.DERIVED_FIELDS | {"next_review"}
            plan = reg.codec.add_plan(cls, reg._defaults(cls), derivable)
            checks = rules.new_item_rules(reg.profile, cls, self.today)
            found = self.adders[cls] = (reg.profile, checks, plan)
        return found

    def insert_many(
        self, items: Iterable[Item], sources: Iterable[str | None], keep: bool
    ) -> tuple[list[str], list[Item] | None]:
        """:meth:`insert` of each item with its source, storing in slices
        (:meth:`flush_if_full`): the refs taken, and the stored items when ``keep``."""
        refs: list[str] = []
        kept: list[Item] | None = [] if keep else None
        for item, source in zip(items, sources, strict=True):
            stored = self.insert(item, source)
            assert stored.ref is not None
            refs.append(stored.ref)
            if kept is not None:
                kept.append(stored)
            self.flush_if_full()
        return refs, kept

    def _allocate(self, prefix: str) -> str:
        """The next ref of ``prefix`` by the store's counter (see :func:`commit` for a
        counter that is behind the stored refs)."""
        number = self.txn.allocate(prefix)
        runs = self.runs.get(prefix)
        if runs is None:
            self.runs[prefix] = [number, number]
        elif runs[-1] == number - 1:
            runs[-1] = number
        else:
            runs += (number, number)
        return f"{prefix}-{number:04d}"

    def allocated(self, ref: str) -> bool:
        """Whether this write took ``ref`` from its prefix's counter."""
        prefix, _, digits = ref.rpartition("-")
        runs = self.runs.get(prefix)
        if runs is None or not (digits.isascii() and digits.isdigit()):
            return False
        number = int(digits)
        if ref != f"{prefix}-{number:04d}":
            return False
        return any(runs[n] <= number <= runs[n + 1] for n in range(0, len(runs), 2))

    def replace(
        self,
        old: ItemT,
        new: ItemT,
        action: str,
        reason: str | None = None,
        source: str | None = None,
    ) -> ItemT:
        reg = self.register
        new = assign(new, rules.derived(reg.profile, new))
        new = assign(new, rules.rescheduled(reg.profile, old, new, self.now.date()))
        self._check_links(new)
        before, after = reg.codec.content(old), reg.codec.content(new)
        changes = [
            Change(field=k, old=before.get(k), new=v)
            for k, v in after.items()
            if before.get(k) != v
        ]
        if not changes:
            return old
        stored = assign(
            new, {"version": old.version + 1, "updated_at": self.now, "updated_by": reg.actor}
        )
        base = next((v for i, v in self.writes if i.ref == old.ref), None)
        self.writes = [(i, v) for i, v in self.writes if i.ref != old.ref]
        self.writes.append((stored, base if base is not None else old.version))
        assert stored.ref is not None
        self.staged[stored.ref] = stored
        self.draft(stored.ref, stored.kind, action, stored.version, changes, reason, source)
        return stored

    def _check_links(self, item: Item) -> None:
        for link in item.links:
            if link.target == item.ref:
                raise ValidationError(f"{item.ref} cannot link to itself", field="links")
            if link.target in self.staged or link.target in self.linkable:
                continue
            if self.txn.get(link.target) is None:
                raise ItemNotFoundError(link.target)
            self.linkable.add(link.target)  # items are never deleted: no need to ask again

    def put_entity(self, old: EntityT | None, new: EntityT, reason: str | None) -> EntityT:
        conv = self.register.codec
        before = {} if old is None else conv.entity_to_dict(old)
        after = conv.entity_to_dict(attrs.evolve(new, version=0))
        before.pop("version", None)
        changes = [
            Change(field=k, old=before.get(k), new=v)
            for k, v in after.items()
            if k != "version" and before.get(k) != v
        ]
        if old is not None and not changes:
            return old
        version = 1 if old is None else old.version + 1
        stored = attrs.evolve(new, version=version)
        self.entities.append((stored, 0 if old is None else old.version))
        kind = entity_kind(type(new))
        self.draft(
            f"{kind}:{new.name}", kind, "add" if old is None else "update", version, changes, reason
        )
        return stored

    def flush(self) -> None:
        """Store what is staged so far, and seal and store its events, inside the
        transaction. A bulk write does this every :data:`FLUSH_EVERY` items, so only one
        slice's change lists and events are alive at a time (unless notifiers want the
        events); a version replaced after its flush is stored as an update of it."""
        if self.writes:
            try:
                self.txn.put(self.writes)
            finally:
                self.register.codec.forget()
            self.writes = []
            # The transaction gives back what it stored (``Transaction.get``), so a bulk
            # write does not keep every version it staged alive to the end.
            self.staged = {}
        for entity, expected in self.entities:
            self.txn.put_entity(entity, expected)
        self.entities = []
        if self.drafts:
            reg = self.register
            sealing = Sealing(reg.actor, self.now, self.channel, self.reason)
            if self.rows:
                self.txn.append_rows(seal_rows(self.drafts, self.txn.head(), sealing))
            else:
                sealed = seal(self.drafts, self.txn.head(), sealing)
                self.txn.append(sealed)
                if self.keep_events:
                    self.sealed.extend(sealed)
            self.drafts = []

    def flush_if_full(self) -> None:
        """:meth:`flush` once a bulk write has staged :data:`FLUSH_EVERY` events
        (:data:`FIRST_FLUSH` for its first slice, when that is fewer)."""
        staged = len(self.drafts)
        if staged >= FLUSH_EVERY or (not self.flushed and staged >= FIRST_FLUSH):
            self.flushed = True
            self.flush()

    def finish(self) -> None:
        self.flush()


def commit(
    register: Register,
    work: Callable[[Write], T],
    reason: str | None = None,
    *,
    channel: str | None = None,
) -> T:
    """Run ``work`` on a :class:`Write` inside one backend transaction, store what it
    staged with its sealed events, then hand the events to the notifiers. ``channel``
    overrides the register's for the events of this change."""
    if register.read_only:
        raise ReadOnlyError(
            f"{register.location} is open read-only; open the register to change it"
        )

    committed: list[Write] = []
    notifiers = has_notifiers(register.plugin_manager)

    started: list[Write] = []

    chain = register.profile_chain
    record_profile = chain.pending(register.profile)

    def run(txn: Transaction) -> T:
        write = Write(register, txn, reason, keep_events=notifiers, channel=channel)
        started[:] = [write]
        if record_profile:
            profile.stage(write)  # first, so the rules are chained before what obeys them
        result = work(write)
        write.finish()
        committed[:] = [write]  # a retried transaction replaces the failed attempt
        return result

    # A bulk write builds many objects and no cycles worth collecting, so the cyclic
    # collector waits until it is over; the write's scaffolding (drafts, staged
    # versions) is dropped first, so it does not walk them.
    with bulk():
        try:
            result = _run_past_taken_refs(register, run, started)
            if record_profile:
                profile.staged(chain, register.profile)
            sealed = committed[0].sealed if committed else []
            committed.clear()
        finally:
            register.codec.forget()  # dicts kept for a write that failed before storing them
    # Notifiers hear of changes to items and structure; a profile event is the
    # register's own bookkeeping, and its ref names no item a notifier could look up.
    sealed = [e for e in sealed if e.kind != PROFILE_REF]
    if sealed and register.plugin_manager is not None:
        notify(register.plugin_manager, sealed, register)
    return result


#: How many times a write is run again after its counter handed out a taken ref.
_COUNTER_REPAIRS = 8


def _run_past_taken_refs(
    register: Register, run: Callable[[Transaction], T], attempts: list[Write]
) -> T:
    """Run the write; when a ref the counter allocated is already stored, move that
    prefix's counter past every stored ref and run the write again.

    A counter behind the stored refs (restored from a backup, edited by hand, or a ref
    an earlier release let another kind take, such as a risk ``D-0001``) would otherwise
    make every later add of the kind fail. Checking each allocated ref before storing it
    would cost a read per item in bulk adds; the store's own uniqueness check catches the
    rare taken ref instead, and one scan of the stored refs repairs the counter.
    """
    for _ in range(_COUNTER_REPAIRS):
        try:
            return register.backend.atomic(run)
        except DuplicateRefError as exc:
            if not attempts or not attempts[-1].allocated(exc.ref):
                raise  # a ref the caller chose: theirs to change
            prefix = exc.ref.rpartition("-")[0]
            highest = max(_numbers(register, prefix), default=0)
            register.backend.atomic(partial(_reserve, prefix=prefix, number=highest))
    return register.backend.atomic(run)


def _reserve(txn: Transaction, *, prefix: str, number: int) -> None:
    txn.reserve(prefix, number)


def _numbers(register: Register, prefix: str) -> Iterator[int]:
    """The numbers of every stored ref written ``prefix-digits``, whatever its kind."""
    for item in register.backend.items():
        head, _, digits = (item.ref or "").rpartition("-")
        if head == prefix and digits.isascii() and digits.isdigit():
            yield int(digits)


def assign(item: ItemT, values: Mapping[str, Any]) -> ItemT:
    """A copy of a validated ``item`` with register-computed ``values`` set.

    The register derives these values itself (refs, versions, UTC timestamps, statuses
    checked against the lifecycle, scores from the matrix), so running every validator
    again through ``attrs.evolve`` would only cost time: three validations per item were
    most of a bulk add's cost. ``extra`` is copied so the caller's dict is never shared.
    """
    cls = type(item)
    copier = _COPIERS.get(cls)
    if copier is None:
        copier = _COPIERS[cls] = _copier(cls)
    return copier(item, values)  # type: ignore[no-any-return]  # a copy of the same class


_COPIERS: dict[type[Item], Callable[[Any, Mapping[str, Any]], Any]] = {}


def _copier(cls: type[Item]) -> Callable[[Any, Mapping[str, Any]], Any]:
    """``assign`` for one class, written out field by field (no loop, no getattr)."""
    lines = ["def assign(item, values):", "    new = make(cls)"]
    for field in attrs.fields(cls):
        name = field.name
        if name == "extra":
            value = "values['extra'] if 'extra' in values else dict(item.extra)"
        else:
            value = f"values[{name!r}] if {name!r} in values else item.{name}"
        lines.append(f"    put(new, {name!r}, {value})")
    lines.append("    return new")
    namespace: dict[str, Any] = {"make": object.__new__, "put": object.__setattr__, "cls": cls}
    # Code built from the class's own field names.
    label = f"raidlog.register.write assign {cls.__name__}"
    return generated("\n".join(lines), "assign", namespace, label)


def sources_for(
    items: Sequence[Item], sources: Sequence[str | None] | None
) -> Sequence[str | None]:
    if sources is None:
        return [None] * len(items)
    if len(sources) != len(items):
        raise ValidationError(
            f"{len(sources)} sources for {len(items)} items: give one source per item",
            field="sources",
        )
    return sources


class AddedItems(Sequence[Item]):
    """What :meth:`Register.add_many` returns: the stored items, in the order given.

    A list-like sequence (``len``, indexing, slicing, iteration, ``==`` with a list) that
    holds the items themselves for a batch of up to :data:`FLUSH_EVERY` and only their
    refs for a larger one, reading each item from the register when it is asked for, so
    a bulk write's memory does not grow with the batch. ``refs`` costs nothing."""

    def __init__(self, register: Register, refs: list[str], items: list[Item] | None) -> None:
        self._register = register
        self._items = items
        self.refs: Sequence[str] = tuple(refs)

    @staticmethod
    def keeps_items(count: int) -> bool:
        """Whether a batch of ``count`` items is returned as the items themselves."""
        return count <= FLUSH_EVERY

    def __len__(self) -> int:
        return len(self.refs)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        if self._items is not None:
            return self._items[index]
        if isinstance(index, slice):
            return [self._register.get(ref) for ref in self.refs[index]]
        return self._register.get(self.refs[index])

    def __iter__(self) -> Iterator[Item]:
        if self._items is not None:
            return iter(self._items)
        return (self._register.get(ref) for ref in self.refs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AddedItems | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking like a list: unhashable

    def __repr__(self) -> str:
        shown = ", ".join(self.refs[:3]) + (", ..." if len(self.refs) > 3 else "")
        return f"AddedItems({len(self.refs)} items: {shown})"
