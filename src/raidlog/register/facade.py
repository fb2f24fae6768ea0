"""The Register: the one public facade over a store.

Every change goes through :meth:`Register._commit`, which runs inside the backend's
write transaction (see :mod:`raidlog.register.write`): it reads the current versions,
applies the profile's rules (:mod:`raidlog.rules`), and writes the new
item versions and their hash-chained events together. Nothing is ever written
without its event. Verifying lives in :mod:`raidlog.register.verify`, history and
copies in :mod:`raidlog.register.history`, opening in :mod:`raidlog.register.opening`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pluggy

from raidlog import boards, plugins, rules
from raidlog.backends.base import Backend, Capabilities
from raidlog.boards import (
    Agenda,
    EscalationDue,
    HeatMap,
    ObjectiveRisk,
    Reminder,
    Rollup,
    ViewEntry,
    escalation_allowed,
)
from raidlog.convert import METADATA_FIELDS, Codec, entity_kind
from raidlog.errors import (
    ConflictError,
    ItemNotFoundError,
    ValidationError,
)
from raidlog.model.events import ChainHead, Event
from raidlog.model.governance import Body, Node, Objective, Structure
from raidlog.model.items import Decision, Issue, Item, Link, Risk
from raidlog.model.profile import Profile
from raidlog.model.values import Relation
from raidlog.query import Query, _names
from raidlog.register import history
from raidlog.register.history import profile_payload
from raidlog.register.profile import ProfileChain
from raidlog.register.verify import VerifyReport, verify
from raidlog.register.write import AddedItems, Write, assign, commit, sources_for

__all__ = ["CHANNELS", "Register"]

T = TypeVar("T")
ItemT = TypeVar("ItemT", bound=Item)
EntityT = TypeVar("EntityT", Node, Body, Objective)

_READ_ONLY_FIELDS = METADATA_FIELDS | {"kind", "rag_manual"}
CHANNELS = ("api", "cli", "import", "external", "copy")
#: Distinct keyword queries whose resolved ``Query`` a register keeps.
_QUERIES_KEPT = 256


class Register:
    """A RAID register over one store. Open one with :func:`raidlog.open`.

    Thread-safe when the backend declares ``concurrent_threads``. Use it as a context
    manager, or call :meth:`close`.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        actor: str,
        profile: Profile,
        codec: Codec,
        plugin_manager: pluggy.PluginManager | None = None,
        channel: str = "api",
        clock: Callable[[], datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        if not actor or not actor.strip():
            raise ValidationError(
                "an actor is needed: say who is making the changes", field="actor"
            )
        if channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        self.backend = backend
        self.actor = actor.strip()
        self.profile = profile
        self.codec = codec
        self.plugin_manager = plugin_manager
        self.channel = channel
        self.read_only = read_only
        self._clock = clock or (lambda: datetime.now(UTC))
        self._source: str | None = None
        #: The profile's place in the event chain (set by :func:`raidlog.open`; a
        #: register made directly records its profile with its first write).
        self.profile_chain = ProfileChain()
        self._default_content: dict[type[Item], list[tuple[str, Any]]] = {}
        # The structure as of a head of the log: every change of it is an event.
        self._structure_at: tuple[ChainHead, Structure] | None = None
        # Resolved keyword queries: (filters, day) -> (profile, structure, query).
        self._queries: dict[Any, tuple[Profile, Structure | None, Query]] = {}

    # life cycle ------------------------------------------------------------------------
    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the store."""
        self.backend.close()

    def __repr__(self) -> str:
        return f"<Register {self.location!r} backend={self.backend.name} actor={self.actor!r}>"

    @property
    def location(self) -> str:
        """Where the register is stored."""
        return self.backend.location

    @property
    def capabilities(self) -> Capabilities:
        """What the backend can do."""
        return self.backend.capabilities

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def _defaults(self, cls: type[Item]) -> list[tuple[str, Any]]:
        """The content fields of a new ``cls`` but its title, each with its default
        (what an add event leaves out)."""
        found = self._default_content.get(cls)
        if found is None:
            content = self.codec.content(cls(title="-"))
            found = [(k, v) for k, v in content.items() if k != "title"]
            self._default_content[cls] = found
        return found

    def today(self) -> date:
        """Today's date in UTC (what "overdue" and "review due" compare with)."""
        return self._now().date()

    # reads -----------------------------------------------------------------------------
    def get(self, ref: str) -> Item:
        """The item with ``ref``. Raises :class:`~raidlog.errors.ItemNotFoundError`."""
        item = self.backend.get(ref)
        if item is None:
            raise ItemNotFoundError(ref)
        return item

    def items(self, kind: str | Iterable[str] | None = None) -> Iterator[Item]:
        """Every item (of a kind), in ref order."""
        kinds = [kind] if isinstance(kind, str) else kind
        return self.backend.items(kinds)

    def __len__(self) -> int:
        return self.backend.count(Query())

    def structure(self) -> Structure:
        """The governance structure: nodes and bodies.

        Read once per version of the register: every change of the structure is an
        event, so while the head of the log stays the same (one cheap read) the snapshot
        read before is still the structure. Do not change the snapshot's mappings."""
        head = self.backend.head()
        cached = self._structure_at
        if cached is not None and cached[0] == head:
            return cached[1]
        structure = Structure.of(self.backend.entities())
        self._structure_at = (head, structure)
        return structure

    def closed_statuses(self) -> tuple[tuple[str, str], ...]:
        """(kind, status) pairs in which an item no longer counts as open."""
        return tuple(
            (kind, status)
            for kind, lifecycle in self.profile.lifecycles.items()
            for status in sorted(lifecycle.closed)
        )

    def build_query(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        ref: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        body: str | None = None,
        node: str | None = None,
        owner: str | None = None,
        rag: str | Iterable[str] | None = None,
        priority: str | Iterable[str] | None = None,
        open: bool | None = None,  # the natural name of the filter
        overdue: bool | None = None,
        review_due: bool | None = None,
        min_score: int | None = None,
        text: str | None = None,
        tags: str | Iterable[str] | None = None,
        objective: str | None = None,
        due_within: int | None = None,
        view: str | None = None,
        order_by: str | Iterable[str] = "ref",
        limit: int | None = None,
        offset: int = 0,
        today: date | None = None,
    ) -> Query:
        """Resolve keyword filters into a backend-neutral :class:`~raidlog.query.Query`.

        ``node`` includes its descendants; ``body`` includes items escalated to it;
        ``overdue`` means due before today and not closed; ``review_due`` means next
        review today or earlier and not closed; ``open`` leaves closed items out;
        ``due_within`` keeps open items due within that many days (overdue ones too);
        ``view`` keeps the items in that body's view (see :meth:`view`).
        """
        day = today or self.today()
        for name, flag in (("open", open), ("overdue", overdue), ("review_due", review_due)):
            if flag is False:
                raise ValidationError(f"{name}=False is not a filter; leave it unset", field=name)
        exclude = self.closed_statuses() if (open or overdue or review_due or due_within) else ()
        due_before = day if overdue else None
        if due_within is not None:
            horizon = day + timedelta(days=due_within + 1)
            due_before = horizon if due_before is None else min(due_before, horizon)
        if view is not None:
            in_view = tuple(sorted(e.item.ref or "" for e in self.view(view, today=day)))
            ref = in_view if ref is None else tuple(r for r in _names(ref) if r in in_view)
        return Query(
            kinds=kind,
            refs=ref,
            statuses=status,
            exclude=exclude,
            body=body,
            nodes=None if node is None else tuple(sorted(self.structure().descendants(node))),
            owner=owner,
            rags=rag,
            priorities=priority,
            due_before=due_before,
            review_on_or_before=day if review_due else None,
            min_score=min_score,
            text=text,
            tags=tags,
            objective=objective,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def _resolve(self, filters: dict[str, Any]) -> Query:
        """:meth:`build_query` of ``filters``, kept for the next time they are asked for
        on the same day, under the same profile and (with ``node``) the same structure:
        a dashboard asks the same questions again and again."""
        if filters.get("view") is not None:
            return self.build_query(**filters)  # a body's view depends on the items
        day = filters.get("today") or self.today()
        key = (tuple(sorted(filters.items())), day)
        try:
            hash(key)
        except TypeError:  # a list of kinds, say: resolved every time
            return self.build_query(**filters)
        structure = self.structure() if filters.get("node") is not None else None
        found = self._queries.get(key)
        if found is not None and found[0] is self.profile and found[1] is structure:
            return found[2]
        resolved = self.build_query(**{**filters, "today": day})
        if len(self._queries) >= _QUERIES_KEPT:
            self._queries.clear()
        self._queries[key] = (self.profile, structure, resolved)
        return resolved

    def query(self, query: Query | None = None, /, **filters: Any) -> list[Item]:
        """Items matching the filters of :meth:`build_query` (or a ready ``Query``)."""
        resolved = query if query is not None else self._resolve(filters)
        return self.backend.query(resolved)

    def count(self, query: Query | None = None, /, **filters: Any) -> int:
        """How many items match (order and limit ignored)."""
        resolved = query if query is not None else self._resolve(filters)
        return self.backend.count(resolved)

    def links(self, item: Item | str) -> list[tuple[str, Relation, str]]:
        """Every link touching an item, both directions: (source, relation, target)."""
        ref = _ref(item)
        own = [(ref, link.relation, link.target) for link in self.get(ref).links]
        incoming = [(source, relation, ref) for source, relation in self.backend.links_to(ref)]
        return own + incoming

    def history(self, item: Item | str) -> list[Event]:
        """Every event of an item, oldest first."""
        return list(self.backend.events(ref=_ref(item)))

    def events(self, *, after: int = 0) -> Iterator[Event]:
        """The whole event log in order (after a sequence number)."""
        return self.backend.events(after=after)

    # writes ------------------------------------------------------------------------------
    def _commit(
        self, work: Callable[[Write], T], reason: str | None = None, channel: str | None = None
    ) -> T:
        return commit(self, work, reason, channel=channel)

    def add(self, item: ItemT, *, reason: str | None = None) -> ItemT:
        """Store a new item; returns it with its ``ref``, ``version`` 1 and derived fields.

        Raises :class:`~raidlog.errors.ValidationError` when the item breaks the
        profile, :class:`~raidlog.errors.DuplicateRefError` when its preset ref is taken.
        """
        return self._commit(lambda w: w.insert(item), reason)

    def add_many(
        self,
        items: Iterable[Item],
        *,
        reason: str | None = None,
        sources: Sequence[str | None] | None = None,
        channel: str | None = None,
    ) -> AddedItems:
        """Store several new items in one atomic write (all or none).

        ``sources`` (one per item, ``None`` for none) is recorded as the ``source`` of each
        item's event, for importers whose items come from different rows of a file.
        ``channel`` records this write's events under another channel than the
        register's, as in :meth:`upsert_many`.

        Returns the stored items as an :class:`~raidlog.register.write.AddedItems`, a
        list-like sequence: a batch larger than one slice (5,000 items) keeps only the
        refs and reads an item when it is asked for, so the write's memory stays flat.
        """
        if channel is not None and channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        batch = items if isinstance(items, Sequence) else list(items)
        where = sources_for(batch, sources)

        def work(w: Write) -> AddedItems:
            refs, kept = w.insert_many(batch, where, AddedItems.keeps_items(len(batch)))
            return AddedItems(self, refs, kept)

        return self._commit(work, reason, channel)

    def upsert_many(
        self,
        items: Iterable[Item],
        *,
        reason: str | None = None,
        sources: Sequence[str | None] | None = None,
        channel: str | None = None,
    ) -> list[Item]:
        """Add or replace several items in one atomic write (all or none): re-imports.

        An item whose ``ref`` is unset or not stored is added. An item whose ``ref`` is
        stored replaces the stored content as a whole (metadata aside) and must carry the
        ``version`` it was read at, else :class:`~raidlog.errors.ConflictError`; identical
        content writes nothing, so repeating an upsert changes nothing. The source of record
        decides the status, so lifecycle moves are not checked, but the status must be one
        of the kind's, and a frozen item (closed, accepted) whose content would change
        raises :class:`~raidlog.errors.ImmutableItemError` naming it in ``ref``.
        ``sources`` as in :meth:`add_many`. ``channel`` records this write's events under
        another channel than the register's (``"import"`` for an import), without changing
        the register's for other threads.
        """
        if channel is not None and channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        batch = list(items)
        where = sources_for(batch, sources)

        def work(w: Write) -> list[Item]:
            done: list[Item] = []
            for item, source in zip(batch, where, strict=True):
                w.flush_if_full()
                current = None
                if item.ref is not None:
                    current = w.staged.get(item.ref) or w.txn.get(item.ref)
                if current is None:
                    done.append(w.insert(item, source))
                    continue
                if item.version != current.version:
                    raise ConflictError(current.ref or "", item.version, current)
                if type(item) is not type(current):
                    raise ValidationError(f"{current.ref} is a {current.kind}, not a {item.kind}")
                new = attrs.evolve(
                    item,
                    status=item.status or current.status,
                    created_at=current.created_at,
                    created_by=current.created_by,
                )
                rules.check_status(self.profile, new)
                before = self.codec.content(current)
                after = self.codec.content(assign(new, rules.derived(self.profile, new)))
                rules.check_editable(
                    self.profile, current, (k for k, v in after.items() if before.get(k) != v)
                )
                done.append(w.replace(current, new, "update", source=source))
            return done

        return self._commit(work, reason, channel)

    def update(self, item: ItemT, /, *, reason: str | None = None, **changes: Any) -> ItemT:
        """Change fields of ``item`` (as it was read), in one atomic write.

        Differences between ``item`` and the stored version it was read from are applied
        too, so ``update(attrs.evolve(item, title="New"))`` works. A status change is
        checked like :meth:`transition`. Raises :class:`~raidlog.errors.ConflictError`
        (carrying the current item) when the stored version moved since ``item`` was
        read, and :class:`~raidlog.errors.ImmutableItemError` for a closed item or an
        accepted decision.
        """
        bad = set(changes) & _READ_ONLY_FIELDS
        if bad:
            raise ValidationError(
                f"{', '.join(sorted(bad))} cannot be changed by update", field=sorted(bad)[0]
            )

        def work(w: Write) -> ItemT:
            current = self._read_same(w, item)
            wanted = self._differences(current, item)
            wanted.update(changes)
            new = rules.edited(self.profile, current, wanted, reason=reason, today=self.today())
            return w.replace(current, new, "update")

        return self._commit(work, reason)

    def transition(self, item: ItemT, status: str, *, reason: str | None = None) -> ItemT:
        """Move ``item`` to ``status`` as the profile's lifecycle allows.

        Raises :class:`~raidlog.errors.InvalidTransitionError` for a move the lifecycle
        does not allow, :class:`~raidlog.errors.ValidationError` when the move needs a
        reason (reopening) and none is given.
        """

        def work(w: Write) -> ItemT:
            current = self._read_same(w, item)
            rules.check_transition(self.profile, current, status, reason)
            moved = rules.moved(self.profile, current, status, self.today())
            return w.replace(current, moved, "transition")

        return self._commit(work, reason)

    def link(
        self,
        source: Item | str,
        relation: Relation | str,
        target: Item | str,
        *,
        reason: str | None = None,
    ) -> Item:
        """Link ``source`` to ``target`` (items or refs); the link is held by the source.

        Both directions are queryable through :meth:`links`. Linking again is a no-op.
        """
        rel = Relation(relation)

        def work(w: Write) -> Item:
            current = w.current(_ref(source))
            if isinstance(source, Item) and source.version and source.version != current.version:
                raise ConflictError(current.ref or "", source.version, current)
            w.current(_ref(target))
            rules.check_editable(self.profile, current, ["links"])
            new = attrs.evolve(
                current, links=(*current.links, Link(relation=rel, target=_ref(target)))
            )
            return w.replace(current, new, "link")

        return self._commit(work, reason)

    def escalate(self, item: Item | str, to_body: str, *, reason: str, force: bool = False) -> Item:
        """Surface ``item`` to the governance body ``to_body`` (recorded with ``reason``).

        When the register's structure names bodies, ``to_body`` must be one of them, and
        escalation goes upwards only: to the body of the item's node or of a node above
        it, unless ``force`` is true.
        """
        if not reason or not reason.strip():
            raise ValidationError("an escalation needs a reason", field="reason")
        bodies = self.structure().bodies
        if bodies and to_body not in bodies:
            raise ValidationError(
                f"no body named {to_body!r}; known bodies: {', '.join(sorted(bodies))}",
                field="escalated_to",
            )

        structure = self.structure()

        def work(w: Write) -> Item:
            current = self._read_for_write(w, item)
            if not force and not escalation_allowed(structure, current, to_body):
                raise ValidationError(
                    f"{to_body} is not above {current.ref}'s node {current.node!r}: escalation "
                    "goes upwards along the tree (pass force=True to override)",
                    field="escalated_to",
                )
            if current.status in self.profile.lifecycle(current.kind).closed:
                raise ValidationError(
                    f"{current.ref} is {current.status}; reopen it before escalating it"
                )
            if to_body in current.escalated_to:
                return current
            new = attrs.evolve(current, escalated_to=(*current.escalated_to, to_body))
            return w.replace(current, new, "escalate")

        return self._commit(work, reason)

    def deescalate(self, item: Item | str, from_body: str, *, reason: str) -> Item:
        """Stop surfacing ``item`` to ``from_body`` (recorded with ``reason``)."""
        if not reason or not reason.strip():
            raise ValidationError("a de-escalation needs a reason", field="reason")

        def work(w: Write) -> Item:
            current = self._read_for_write(w, item)
            if from_body not in current.escalated_to:
                return current
            rules.check_editable(self.profile, current, ["escalated_to"])
            kept = tuple(b for b in current.escalated_to if b != from_body)
            return w.replace(current, attrs.evolve(current, escalated_to=kept), "deescalate")

        return self._commit(work, reason)

    def materialise(
        self, risk: Risk | str, *, reason: str | None = None, **issue_fields: Any
    ) -> Issue:
        """The risk happened: add an issue carrying the risk's fields, link the risk
        ``materialised_as`` the issue, and move the risk to ``materialised``, in one
        atomic write. ``issue_fields`` override what the issue takes from the risk."""

        def work(w: Write) -> Issue:
            current = self._read_for_write(w, risk)
            if not isinstance(current, Risk):
                raise ValidationError(f"{current.ref} is a {current.kind}; only risks materialise")
            rules.check_transition(self.profile, current, "materialised", reason, internal=True)
            fields: dict[str, Any] = {
                "title": current.title,
                "description": current.description or current.event,
                "owner": current.owner,
                "node": current.node,
                "body": current.body,
                "escalated_to": current.escalated_to,
                "objectives": current.objectives,
                "tags": current.tags,
                "priority": current.priority,
                "raised_on": self.today(),
                "raised_by": self.actor,
                "links": (Link(relation=Relation.RELATES_TO, target=current.ref or ""),),
            }
            fields.update(issue_fields)
            issue = w.insert(Issue(**fields))
            assert isinstance(issue, Issue)
            assert issue.ref is not None
            moved = attrs.evolve(
                rules.moved(self.profile, current, "materialised", self.today()),
                links=(*current.links, Link(relation=Relation.MATERIALISED_AS, target=issue.ref)),
            )
            w.replace(current, moved, "materialise")
            return issue

        return self._commit(work, reason)

    def supersede(
        self, decision: Decision | str, new_decision: Decision, *, reason: str | None = None
    ) -> Decision:
        """Replace an accepted decision: add ``new_decision`` (accepted unless it says
        otherwise) linked ``supersedes`` the old one, and move the old one to
        ``superseded`` with ``superseded_by`` set, in one atomic write. This is the only
        way an accepted decision changes."""

        def work(w: Write) -> Decision:
            old = self._read_for_write(w, decision)
            if not isinstance(old, Decision):
                raise ValidationError(f"{old.ref} is a {old.kind}; only decisions are superseded")
            rules.check_transition(self.profile, old, "superseded", reason, internal=True)
            assert old.ref is not None
            new = attrs.evolve(
                new_decision,
                status=new_decision.status or "accepted",
                links=(*new_decision.links, Link(relation=Relation.SUPERSEDES, target=old.ref)),
            )
            added = w.insert(new)
            moved = rules.moved(self.profile, old, "superseded", self.today())
            replaced = attrs.evolve(moved, superseded_by=added.ref)
            w.replace(old, replaced, "supersede")
            return added

        return self._commit(work, reason)

    def put_node(self, node: Node, *, reason: str | None = None) -> Node:
        """Add or change an accountability node (by name); recorded as an event."""
        return self._put_entity(node, reason)

    def put_body(self, body: Body, *, reason: str | None = None) -> Body:
        """Add or change a governance body (by name); recorded as an event."""
        return self._put_entity(body, reason)

    def put_objective(self, objective: Objective, *, reason: str | None = None) -> Objective:
        """Add or change an objective (by name); recorded as an event."""
        return self._put_entity(objective, reason)

    def _put_entity(self, entity: EntityT, reason: str | None) -> EntityT:
        def work(w: Write) -> EntityT:
            found = w.txn.get_entity(type(entity), entity.name)
            old = found if isinstance(found, type(entity)) else None
            if entity.version and old is not None and old.version != entity.version:
                raise ConflictError(
                    f"{entity_kind(type(entity))}:{entity.name}", entity.version, None
                )
            if isinstance(entity, Node) and entity.parent is not None:
                self._check_no_cycle(w, entity)
            return w.put_entity(old, entity, reason)

        return self._commit(work, reason)

    def _check_no_cycle(self, w: Write, node: Node) -> None:
        seen = {node.name}
        parent = node.parent
        while parent is not None:
            if parent in seen:
                raise ValidationError(
                    f"making {parent!r} the parent of {node.name!r} would make a cycle",
                    field="parent",
                )
            seen.add(parent)
            found = w.txn.get_entity(Node, parent)
            parent = found.parent if isinstance(found, Node) else None

    # rules ------------------------------------------------------------------------------
    def _read_for_write(self, w: Write, item: Item | str) -> Item:
        current = w.current(_ref(item))
        if isinstance(item, Item) and item.version != current.version:
            raise ConflictError(current.ref or "", item.version, current)
        return current

    def _read_same(self, w: Write, item: ItemT) -> ItemT:
        """:meth:`_read_for_write` for an item read before: the stored one is of its class."""
        current = self._read_for_write(w, item)
        if not isinstance(current, type(item)):
            raise ValidationError(f"{current.ref} is a {current.kind}, not a {item.kind}")
        return current

    def _differences(self, current: Item, item: Item) -> dict[str, Any]:
        if type(item) is not type(current):
            raise ValidationError(f"{current.ref} is a {current.kind}, not a {item.kind}")
        return {
            f.name: getattr(item, f.name)
            for f in attrs.fields(type(item))
            if f.name not in _READ_ONLY_FIELDS and getattr(item, f.name) != getattr(current, f.name)
        }

    # history ---------------------------------------------------------------------------
    def replay(self, events: Iterable[Event]) -> tuple[dict[str, Item], Structure]:
        """Rebuild items and structure from events alone (see :func:`raidlog.convert.replay`)."""
        return history.replay(self, events)

    def as_of(self, when: datetime) -> Register:
        """A read-only register as this one stood at ``when`` (rebuilt from the events)."""
        return history.as_of(self, when)

    def verify(self, *, expect: str | None = None) -> VerifyReport:
        """Check the event chain link by link, then that replaying it gives exactly the
        stored items and structure, and that what the store keeps for queries (search
        index, link and escalation tables, query columns) agrees with it. The first
        problem is the first broken event; a row the store cannot read is a problem, not
        an error. ``expect`` is an anchor kept from an earlier ``verify().anchor``: the
        report's ``anchor_check`` then tells a chain that grew from one rewritten."""
        return verify(self, expect=expect)

    # governance ----------------------------------------------------------------------------
    def view(self, body: str, *, today: date | None = None) -> list[ViewEntry]:
        """The open items ``body`` sees (owned, escalated to it, or breaching its
        tolerances under its node), each with why; see :mod:`raidlog.boards`."""
        return boards.view(self, body, today=today)

    def rollup(self, *, body: str | None = None, node: str | None = None) -> Rollup:
        """Counts by kind, status and RAG, and open risks' exposure, over a body's view,
        a node's subtree or the whole register."""
        return boards.rollup(self, body=body, node=node)

    def heatmap(
        self, *, body: str | None = None, node: str | None = None, level: str = "current"
    ) -> HeatMap:
        """Open risks on the probability x impact matrix at ``level``."""
        return boards.heatmap(self, body=body, node=node, level=level)

    def objectives_at_risk(
        self, *, body: str | None = None, node: str | None = None
    ) -> list[ObjectiveRisk]:
        """Objectives with the open items linked to them, exposure and worst RAG."""
        return boards.objectives_at_risk(self, body=body, node=node)

    def escalations_due(self, *, today: date | None = None) -> list[EscalationDue]:
        """Items breaching a body's tolerance that are not yet escalated to it."""
        return boards.escalations_due(self, today=today)

    def apply_escalations(
        self, due: Sequence[EscalationDue] | None = None, *, reason: str | None = None
    ) -> list[Item]:
        """Escalate every due item (default: :meth:`escalations_due`) in one atomic
        write, each with an event giving the breach as reason."""
        pending = list(self.escalations_due() if due is None else due)

        def work(w: Write) -> list[Item]:
            changed: dict[str, Item] = {}
            for entry in pending:
                current = w.current(entry.item.ref or "")
                if entry.body in current.escalated_to:
                    continue
                new = attrs.evolve(current, escalated_to=(*current.escalated_to, entry.body))
                why = reason or f"tolerance of {entry.body} breached: {'; '.join(entry.reasons)}"
                changed[current.ref or ""] = w.replace(current, new, "escalate", why)
            return list(changed.values())

        return self._commit(work, reason)

    def agenda(self, body: str, meeting_date: date, *, since: date | None = None) -> Agenda:
        """What ``body`` must look at in its meeting on ``meeting_date``."""
        return boards.agenda(self, body, meeting_date, since=since)

    def reminders(self, *, today: date | None = None, within_days: int = 7) -> list[Reminder]:
        """Items due soon, overdue, due for review, and escalations due."""
        return boards.reminders(self, today=today, within_days=within_days)

    def send_reminders(self, reminders: Sequence[Reminder] | None = None) -> list[Reminder]:
        """Hand reminders (default: :meth:`reminders`) to every installed notifier."""
        found = list(self.reminders() if reminders is None else reminders)
        if self.plugin_manager is not None:
            plugins.remind(self.plugin_manager, found, self)
        return found

    def stale(self, *, today: date | None = None) -> list[Item]:
        """Open items not updated within their review cadence."""
        return boards.stale(self, today=today)

    def ageing(self, *, today: date | None = None) -> dict[str, dict[str, int]]:
        """Open items by kind and age bucket."""
        return boards.ageing(self, today=today)

    # moving between stores -----------------------------------------------------------------
    def copy_to(self, target: Register) -> None:
        """Copy every item, the structure, the full event history and the profile into
        ``target``, which must be empty, in one atomic write. ``target.verify()`` passes
        afterwards."""
        history.copy_to(self, target)

    def _store_profile(self, profile: Profile) -> None:
        payload = profile_payload(profile)
        self.backend.atomic(lambda txn: txn.set_meta("profile", payload))

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Group changes so the store writes once: ``with register.batch(): ...``.

        Backends that save a whole file per change (the Excel workbook, declaring
        ``capabilities.batched_writes``) save once when the block ends, and nothing if it
        raises; for the others it changes nothing (each change is still its own atomic
        write). See :meth:`Backend.batch <raidlog.backends.base.Backend.batch>`.
        """
        return self.backend.batch()

    def backup(self, path: str | os.PathLike[str]) -> None:
        """Copy the register, consistent while others write, to a new file at ``path``.

        Raises :class:`~raidlog.errors.BackendError` when the backend cannot back up (it
        does not declare ``capabilities.backup``; use :meth:`copy_to` into a new register
        instead).
        """
        self.backend.backup(path)


def _ref(item: Item | str) -> str:
    if isinstance(item, str):
        return item
    if item.ref is None:
        raise ValidationError(f"{item.title!r} has no ref: add it to the register first")
    return item.ref
