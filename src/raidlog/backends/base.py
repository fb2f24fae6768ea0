"""The storage contract every backend implements.

A backend stores items, the governance structure, metadata and an append-only event
log. Every change reaches it as one call of :meth:`Backend.atomic`: the register's
work function runs against a :class:`Transaction` that sees the store under the write
lock, and everything it puts commits together or not at all. The backend enforces
the version check itself (``put`` with the version the caller read), so no backend
ever does last-write-wins.

The essential surface is small; what can be built on it (query evaluation, link
look-ups, counting) has a default here that a backend overrides for speed.
"""

from __future__ import annotations

import abc
import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import attrs

from raidlog.convert import Codec
from raidlog.errors import BackendError
from raidlog.model.events import ChainHead, Event, event_from_row
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Item
from raidlog.model.values import Relation
from raidlog.query import Query, evaluate, matches

__all__ = ["Backend", "Capabilities", "Entity", "Finding", "Transaction"]

T = TypeVar("T")
Entity = Node | Body | Objective


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a backend can do. Declare them truthfully: the conformance suite skips the
    tests of what a backend declares it lacks, and nothing else.

    - ``persistent``: the register survives close and reopen.
    - ``concurrent_threads``: one backend object may be used from several threads.
    - ``concurrent_processes``: several processes may open and write the same location.
    - ``full_text_search``: text queries run natively (FTS); otherwise evaluated in Python.
    - ``query_pushdown``: :meth:`Backend.query` is compiled to the store's own language.
    - ``batched_writes``: :meth:`Backend.batch` groups writes so the store saves once
      (a store that rewrites a whole file per change); otherwise ``batch`` changes
      nothing.
    - ``backup``: :meth:`Backend.backup` copies the store, consistent while others
      write; otherwise it raises :class:`~raidlog.errors.BackendError`.
    - ``derived_tables``: the store keeps data derived from the items beside them
      (query columns, link or escalation tables, a search index), which
      :meth:`Backend.audit` checks.
    """

    persistent: bool = False
    concurrent_threads: bool = True
    concurrent_processes: bool = False
    full_text_search: bool = False
    query_pushdown: bool = False
    batched_writes: bool = False
    backup: bool = False
    derived_tables: bool = False


@attrs.frozen(kw_only=True)
class Finding:
    """A row of the store that does not hold what the register's history says (found by
    :meth:`Backend.audit`), or that cannot be read at all (found by
    :meth:`Backend.scan_items` and :meth:`Backend.scan_events`).

    ``table`` names where it is (a table, a sheet, a file), ``ref`` the item it concerns
    and ``seq`` the event, when there is one; ``reason`` says what is wrong.
    """

    table: str
    reason: str
    ref: str | None = None
    seq: int | None = None


class Transaction(abc.ABC):
    """The store as one write sees it, under the backend's write lock."""

    @abc.abstractmethod
    def get(self, ref: str) -> Item | None:
        """The item as stored, including what this transaction already put."""

    @abc.abstractmethod
    def head(self) -> ChainHead:
        """The last event's sequence number and hash, including this transaction's."""

    @abc.abstractmethod
    def allocate(self, prefix: str) -> int:
        """Reserve and return the next free number for refs with this prefix
        (``R`` gives 1, 2, 3... for ``R-0001``...). Must be safe against every other
        writer the backend allows."""

    @abc.abstractmethod
    def reserve(self, prefix: str, number: int) -> None:
        """Make sure :meth:`allocate` never hands out ``number`` or less for ``prefix``
        (used when an item arrives with its ref already set)."""

    @abc.abstractmethod
    def put(self, writes: Sequence[tuple[Item, int]]) -> None:
        """Store new item versions. Each pair is the new version and the version the
        writer read (0 for an item that must not exist yet). Raise
        :class:`~raidlog.errors.ConflictError` when a stored version differs, and
        :class:`~raidlog.errors.DuplicateRefError` when a new item's ref is taken."""

    @abc.abstractmethod
    def append(self, events: Sequence[Event]) -> None:
        """Append sealed events (their ``seq`` continue :meth:`head`)."""

    def append_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append sealed events given as rows, as :meth:`append` does.

        Each row holds one event's values in :data:`~raidlog.model.events.EVENT_FIELDS`
        order: ``at`` a timezone-aware ``datetime`` in UTC (the events of one write share
        one ``datetime`` object), ``changes`` the event's canonical JSON text
        (:func:`~raidlog.model.events.changes_json`, the text its hash was computed
        from). The register's bulk writes seal their events straight into such rows,
        without ``Event`` objects, when the store overrides this method and no notifier
        wants the events. The default rebuilds each :class:`Event`
        (:func:`~raidlog.model.events.event_from_row`) and calls :meth:`append`, so a
        store that keeps events as rows (a SQL table, ``COPY``) overrides it to write
        them as they come.
        """
        self.append([event_from_row(row) for row in rows])

    @abc.abstractmethod
    def get_entity(self, entity: type[Entity], name: str) -> Entity | None:
        """A node, body or objective of the governance structure, by class and name."""

    @abc.abstractmethod
    def put_entity(self, entity: Entity, expected_version: int) -> None:
        """Store a node, body or objective (keyed by class and name); same version rule
        as :meth:`put`. Stores keep them generically: ``raidlog.convert.entity_kind``
        and ``Codec.entity_to_dict`` give a kind name and a JSON document for each."""

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value (profile, schema version...)."""


class Backend(abc.ABC):
    """A store for one register. Subclasses are returned by the ``register_backends``
    hook and chosen by the location's scheme or suffix."""

    #: Unique name of the backend (``memory``, ``sqlite``, ``excel``...).
    name: ClassVar[str]
    #: Location schemes this backend handles (``sqlite`` for ``sqlite:///raid.db``).
    schemes: ClassVar[tuple[str, ...]] = ()
    #: File suffixes this backend handles (``.db``).
    suffixes: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, location: str, codec: Codec) -> None:
        self.location = location
        self.codec = codec

    @classmethod
    @abc.abstractmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> Backend:
        """Open ``location``, creating an empty register when it does not exist.
        Must read nothing but metadata: the cost of opening does not grow with size."""

    # writes ----------------------------------------------------------------------------
    @abc.abstractmethod
    def atomic(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in one write transaction and commit what it put, or nothing if it
        raises. A backend may run ``work`` again from the start on a transient failure
        (busy, serialization failure): ``work`` must do all its reading through the
        transaction."""

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Group writes: ``with backend.batch(): ...`` (what ``Register.batch`` uses).

        A backend declaring ``capabilities.batched_writes`` applies every
        :meth:`atomic` call inside the block in memory and saves once when the block
        ends, nothing if it raises. The default changes nothing: each ``atomic`` call
        is still its own write.
        """
        return contextlib.nullcontext()

    def backup(self, path: str | os.PathLike[str]) -> None:
        """Copy the register, consistent while others write, to a new file at ``path``
        (what ``Register.backup`` uses); refuse to overwrite an existing file.

        Only a backend declaring ``capabilities.backup`` overrides it; the default
        raises :class:`~raidlog.errors.BackendError`.
        """
        raise BackendError(
            f"the {self.name} backend has no backup; copy the register with "
            "copy_to() into a new register instead"
        )

    # reads -----------------------------------------------------------------------------
    @abc.abstractmethod
    def get(self, ref: str) -> Item | None:
        """The stored item with this ref, or ``None``."""

    @abc.abstractmethod
    def items(self, kinds: Iterable[str] | None = None) -> Iterator[Item]:
        """Every stored item (of these kinds), in ref order."""

    @abc.abstractmethod
    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[Event]:
        """Stored events in sequence order (of one ref; after a sequence number)."""

    @abc.abstractmethod
    def entities(self) -> list[Entity]:
        """Every node, body and objective of the governance structure."""

    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None:
        """A metadata value, or ``None``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store (idempotent)."""

    # built on the above; override for speed ---------------------------------------------
    def query(self, query: Query) -> list[Item]:
        """Answer ``query``. The default evaluates it over :meth:`items`."""
        return evaluate(query, self.items(query.kinds))

    def count(self, query: Query) -> int:
        """How many items match the filters of ``query`` (order and limit ignored)."""
        return sum(1 for item in self.items(query.kinds) if matches(query, item))

    def links_to(self, ref: str) -> list[tuple[str, Relation]]:
        """Links pointing at ``ref``: (source ref, relation) pairs."""
        return [
            (item.ref, link.relation)
            for item in self.items()
            for link in item.links
            if link.target == ref and item.ref is not None
        ]

    # verify() reads through these ---------------------------------------------------------
    def scan_items(self) -> Iterator[Item | Finding]:
        """Every stored item, as :meth:`items` gives them, for ``verify()``: an item the
        store holds but cannot decode (a row edited outside raidlog) comes as a
        :class:`Finding` naming its table and ref, and the scan goes on. The default is
        :meth:`items`, for stores that read or fail as a whole."""
        return iter(self.items())

    def scan_events(self) -> Iterator[Event | Finding]:
        """Every stored event in sequence order, as :meth:`events` gives them, except
        that an event that cannot be decoded comes as a :class:`Finding` naming its
        ``seq``, and the scan goes on."""
        return iter(self.events())

    def audit(self, items: Mapping[str, Item]) -> list[Finding]:
        """Check everything the store keeps besides items and events (query columns,
        link and escalation tables, search indexes) against ``items``, the register as
        its event log gives it, by ref. Returns one :class:`Finding` per mismatch
        naming the table and ref, so that no query can answer differently from what
        ``verify()`` approved.

        A store that keeps nothing but its items and events (memory, JSON Lines) has
        nothing to audit: the default finds nothing. A store that keeps more overrides
        this and declares :attr:`Capabilities.derived_tables`."""
        return []

    def head(self) -> ChainHead:
        """The last stored event's sequence number and hash."""
        head = ChainHead()
        for event in self.events():
            head = ChainHead(event.seq, event.hash)
        return head

    def import_verbatim(
        self,
        items: Sequence[Item],
        events: Sequence[Event],
        entities: Sequence[Entity] = (),
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """Load items, structure and sealed events as they are (used to copy a register
        between stores with its history), and set the ``meta`` values, all in one atomic
        write. The store must hold no events yet."""

        def work(txn: Transaction) -> None:
            if txn.head().seq != 0:
                raise ValueError("import_verbatim needs a register with no events")
            txn.put([(item, 0) for item in items])
            for item in items:
                assert item.ref is not None
                prefix, _, number = item.ref.rpartition("-")
                if number.isdigit():
                    txn.reserve(prefix, int(number))
            for entity in entities:
                txn.put_entity(entity, 0)
            for key, value in (meta or {}).items():
                txn.set_meta(key, value)
            txn.append(events)

        self.atomic(work)

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
