"""The ``*.xlsx`` backend: the workbook itself is the store.

The register is read into memory when opened (python-calamine) and written back
whole, with openpyxl, once per :meth:`ExcelBackend.atomic` call or once per
:meth:`ExcelBackend.batch` block. Every write holds the inter-process lock, first
checks that the file is still the one this process read (re-reading it when another
raidlog process wrote it since, refusing with
:class:`~raidlog.backends.excel.safety.WorkbookChangedError` when a person edited it),
runs the transaction against that state, and saves atomically.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from raidlog.backends.base import Backend, Capabilities, Entity, Finding, Transaction
from raidlog.backends.staging import StagingTransaction, State
from raidlog.bulk import bulk
from raidlog.convert import ENTITY_CLASSES, Codec
from raidlog.errors import BackendError
from raidlog.hookspecs import hookimpl
from raidlog.model.events import ChainHead, Event, seal
from raidlog.model.items import Item
from raidlog.model.profile import PROFILE_REF, Profile, chained_profile

from .safety import (
    UnsafeWorkbookError,
    WorkbookChangedError,
    atomic_write,
    file_digest,
    file_errors,
    locked,
    preflight,
    unsafe_parts,
)

if TYPE_CHECKING:
    from .workbook import Snapshot

__all__ = ["ExcelBackend"]

T = TypeVar("T")


def _state_of(snapshot: Snapshot) -> State:
    """The register as a workbook holds it, as a staging state."""
    return State(
        dict(snapshot.items),
        list(snapshot.events),
        dict(snapshot.entities),
        dict(snapshot.counters),
        dict(snapshot.meta),
    )


class _ExcelTransaction(StagingTransaction):
    """Stages writes over the workbook's state; reserves ``raidlog.`` metadata keys."""

    def set_meta(self, key: str, value: str) -> None:
        if key.startswith("raidlog."):
            raise ValueError(f"metadata keys starting with 'raidlog.' are reserved: {key!r}")
        super().set_meta(key, value)


class ExcelBackend(Backend):
    """A register stored in an Excel workbook (``raid.xlsx``).

    Options: ``clock`` (a callable giving the time hand edits are recorded at; the
    current UTC time by default).
    """

    name: ClassVar[str] = "excel"
    suffixes: ClassVar[tuple[str, ...]] = (".xlsx", ".xlsm")
    capabilities: ClassVar[Capabilities] = Capabilities(
        persistent=True,
        concurrent_threads=True,
        concurrent_processes=True,
        batched_writes=True,
        derived_tables=True,
    )

    def __init__(self, location: str, codec: Codec, options: Mapping[str, Any]) -> None:
        super().__init__(location, codec)
        self.path = Path(location).expanduser().absolute()
        self._lock = threading.RLock()
        self._state = State()
        self._digest: str | None = None
        self._signature: tuple[int, int, int] | None = None
        # A file version a read found edited by hand: not re-read on every read.
        self._refused: tuple[int, int, int] | None = None
        self._batch_depth = 0
        self._unsafe: str | None = None
        self._clock: Callable[[], datetime] = options.get("clock") or (lambda: datetime.now(UTC))
        self._closed = False

    # opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> ExcelBackend:
        """Open the workbook (or prepare a new one, written on the first change). Hand
        edits made since raidlog last wrote it are checked and recorded as events;
        raises :class:`~raidlog.backends.excel.external.HandEditError` when one is
        invalid, leaving the file untouched."""
        backend = cls(location, codec, options)
        if not backend.path.parent.is_dir():
            raise BackendError(f"the folder of {location} does not exist; create it first")
        if backend.path.suffix.lower() == ".xlsm":
            backend._unsafe = (
                "it is a macro-enabled workbook (.xlsm): saving it with openpyxl would lose "
                "its macros; keep the register in a .xlsx file"
            )
        backend._load(record=True)
        return backend

    def _signature_now(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def _load(self, *, record: bool) -> None:
        """Read the file into memory (under the caller's thread lock)."""
        with file_errors(self.path):
            self._read_file(record=record)

    def _read_file(self, *, record: bool) -> None:
        signature = self._signature_now()
        if signature is None:
            self._state, self._digest, self._signature = State(), None, None
            return
        preflight(self.path)
        parts = unsafe_parts(self.path)
        if parts and self._unsafe is None:
            self._unsafe = (
                f"it holds {', '.join(parts)}, which openpyxl would drop when saving; "
                "remove them or keep them in another workbook"
            )
        digest = file_digest(self.path)
        from .workbook import read_workbook  # openpyxl loads with the first workbook

        snapshot = read_workbook(self.path, self.codec, trust=False)
        unknown = sorted(
            {e.kind for e in snapshot.events}
            - set(self.codec.kinds)
            - set(ENTITY_CLASSES)
            - {PROFILE_REF}
        )
        if unknown and self._unsafe is None:
            # Their sheets would not be written back: the items would be lost.
            self._unsafe = (
                f"it holds items of kinds no installed plugin provides ({', '.join(unknown)}); "
                "install the plugin that adds them"
            )
        if snapshot.edited_sheets():
            if not record:
                raise WorkbookChangedError(
                    self.location, f"sheets edited: {', '.join(snapshot.edited_sheets())}"
                )
            self._take_hand_edits(snapshot, digest)
            return
        self._state, self._digest, self._signature = _state_of(snapshot), digest, signature

    def _take_hand_edits(self, snapshot: Snapshot, digest: str | None) -> None:
        # Hand edits obey the rules the chain records, not a _meta sheet anyone can edit;
        # _meta is the only copy in a workbook written before profiles were chained.
        chained = chained_profile(snapshot.events)
        profile_json = snapshot.meta.get("profile")
        if chained is None and profile_json is None:
            raise BackendError(f"{self.location} has no profile in its _meta sheet")
        profile = Profile.from_mapping(
            chained if chained is not None else json.loads(profile_json or "{}")
        )
        from .external import reconcile

        result = reconcile(snapshot, self.codec, profile, self._now(), self.path.name)
        events = seal(
            result.drafts,
            ChainHead(snapshot.events[-1].seq, snapshot.events[-1].hash)
            if snapshot.events
            else ChainHead(),
        )
        state = State(
            result.items,
            [*snapshot.events, *events],
            {(type(e), e.name): e for e in result.entities},
            result.counters,
            dict(snapshot.meta),
        )
        if self._unsafe is not None:
            # Cannot write: serve the edited register as read, without recording it.
            self._state, self._digest = state, digest
            self._signature = self._signature_now()
            return
        with locked(self.path):
            if file_digest(self.path) != digest:
                raise WorkbookChangedError(self.location, "it changed while being read")
            self._save(state, digest)

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    # writing ----------------------------------------------------------------------------
    def _refuse_if_unsafe(self) -> None:
        if self._unsafe is not None:
            raise UnsafeWorkbookError(f"raidlog will not write {self.location}: {self._unsafe}")

    def _catch_up(self) -> None:
        """Under the file lock: make the in-memory state the file's current state."""
        with file_errors(self.path):
            self._catch_up_with_file()

    def _catch_up_with_file(self) -> None:
        signature = self._signature_now()
        if signature == self._signature:
            return
        if file_digest(self.path) == self._digest:
            self._signature = signature
            return
        if signature is None:
            # Writing now would start a new register holding only this change.
            raise WorkbookChangedError(self.location, "it was deleted or moved")
        # Another raidlog process saved since: read its state. A person's edit is refused.
        self._load(record=False)
        self._refuse_if_unsafe()

    def _save(self, state: State, expected: str | None) -> None:
        """Write ``state`` over the file whose SHA-256 is ``expected`` (the one it was
        made from: refused if the file is no longer that one when the replace comes)."""
        # Writing builds hundreds of thousands of short-lived cells and none cycles.
        with bulk(), file_errors(self.path):
            self._write(state, expected)

    def _write(self, state: State, expected: str | None) -> None:
        from .workbook import check_written, render

        rendering = render(
            self.codec,
            state.items,
            state.events,
            state.entities.values(),
            state.counters,
            state.meta,
        )
        digest = atomic_write(
            self.path,
            rendering.write,
            lambda temporary: check_written(temporary, rendering),
            expected=expected,
        )
        self._state, self._digest = state, digest
        self._signature = self._signature_now()

    def atomic(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` against the current register and save the workbook once (or
        at the end of the enclosing :meth:`batch`)."""
        with self._lock:
            self._refuse_if_unsafe()
            if self._batch_depth:
                txn = _ExcelTransaction(self._state)
                result = work(txn)
                if txn.changed():
                    self._state = txn.applied()
                return result
            with locked(self.path):
                self._catch_up()
                txn = _ExcelTransaction(self._state)
                result = work(txn)
                if txn.changed():
                    self._save(txn.applied(), self._digest)
                return result

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes: every :meth:`atomic` call inside the block changes the
        register in memory, and the workbook is saved once when the block ends. If the
        block raises, nothing is saved and the register is as it was before it. Holds
        the inter-process lock for the whole block."""
        with self._lock:
            if self._batch_depth:
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
                return
            self._refuse_if_unsafe()
            with locked(self.path):
                self._catch_up()
                before = self._state
                self._batch_depth = 1
                try:
                    yield
                except BaseException:
                    self._state = before
                    raise
                finally:
                    self._batch_depth = 0
                if self._state is not before:
                    after, self._state = self._state, before
                    self._save(after, self._digest)

    # reading ----------------------------------------------------------------------------
    def _current(self) -> State:
        """The state to read from: reloaded when another raidlog process saved."""
        with self._lock, file_errors(self.path):
            signature = self._signature_now()
            if (
                not self._batch_depth
                and signature is not None
                and signature != self._signature
                and signature != self._refused
                and file_digest(self.path) != self._digest
            ):
                try:
                    self._load(record=False)
                except WorkbookChangedError:
                    # A person's edit is not taken by a read (a read does not write);
                    # the next write refuses it, and reopening records it.
                    self._refused = signature
            return self._state

    def get(self, ref: str) -> Item | None:
        return self._current().items.get(ref)

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        wanted = None if kinds is None else set(kinds)
        state = self._current()
        chosen = sorted(
            (i for i in state.items.values() if wanted is None or i.kind in wanted),
            key=lambda i: i.ref or "",
        )
        return iter(chosen)

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        events = self._current().events
        return (e for e in events[after:] if ref is None or e.ref == ref)

    def entities(self) -> list[Entity]:
        return list(self._current().entities.values())

    def get_meta(self, key: str) -> str | None:
        return self._current().meta.get(key)

    def head(self) -> ChainHead:
        events = self._current().events
        return ChainHead(events[-1].seq, events[-1].hash) if events else ChainHead()

    def audit(self, items: Mapping[str, Item]) -> list[Finding]:
        """Check the Links sheet against ``items``: it is written for people (a board
        reads it) and never read back, so a hand edit there changes nothing raidlog
        sees. The kind and Governance sheets are the items and structure themselves,
        checked as hand edits when the workbook is opened."""
        from .workbook import LINKS_SHEET, read_raw

        with self._lock, file_errors(self.path):
            sheet = read_raw(self.path).get(LINKS_SHEET) if self.path.exists() else None
        found: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
        for _, row in sheet.rows if sheet is not None else ():
            source, relation, target, title = (str(v) for v in [*row, "", "", "", ""][:4])
            found[source, relation, target, title] += 1
        wanted = collections.Counter(
            (str(item.ref), link.relation.value, link.target, item.title)
            for item in items.values()
            for link in item.links
        )
        findings = [
            Finding(
                table=LINKS_SHEET,
                ref=row[0],
                reason=f"the row {' | '.join(row)!r} is missing: the item's history has it",
            )
            for row in sorted(wanted - found)
        ]
        findings += [
            Finding(
                table=LINKS_SHEET,
                ref=row[0],
                reason=f"the row {' | '.join(row)!r} is not in the item's history (edited "
                "outside raidlog)",
            )
            for row in sorted(found - wanted)
        ]
        return findings

    def close(self) -> None:
        """Nothing stays open between calls: the workbook is read and written whole."""
        self._closed = True


@hookimpl
def register_backends() -> list[type[Backend]]:
    """The built-in Excel workbook backend, registered like any plugin's."""
    return [ExcelBackend]
