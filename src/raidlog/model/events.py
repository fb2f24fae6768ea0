"""Events: the append-only, hash-chained record of every change.

An event says who (``actor``), when (``at``, UTC), what (``changes``: field, old, new),
why (``reason``) and through which channel (``api``, ``cli``, ``import``; ``source``
names the file, its hash, sheet and row for imports). Each event carries the hash
of the one before it, so editing, deleting or reordering any stored event breaks
the chain at that point.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import attrs
import orjson

from raidlog.errors import ValidationError

__all__ = [
    "EVENT_FIELDS",
    "GENESIS_HASH",
    "ChainHead",
    "Change",
    "Event",
    "EventDraft",
    "JsonValue",
    "NewItem",
    "Sealing",
    "canonical_json",
    "changes_json",
    "changes_text",
    "event_from_row",
    "event_hash",
    "event_row",
    "plain_value",
    "seal",
    "seal_rows",
]

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"

#: The ``prev_hash`` of the first event of every register.
GENESIS_HASH = "0" * 64


@attrs.frozen(kw_only=True)
class Change:
    """One field's move from ``old`` to ``new`` (JSON-ready values)."""

    field: str
    old: JsonValue
    new: JsonValue


@attrs.frozen(kw_only=True)
class EventDraft:
    """An event before it takes its place in the chain (no sequence number or hash yet)."""

    ref: str
    kind: str
    action: str
    version: int
    actor: str
    at: datetime
    channel: str
    changes: tuple[Change, ...] = ()
    reason: str | None = None
    source: str | None = None


@attrs.frozen(kw_only=True)
class Event:
    """A sealed event: its place in the log (``seq``, from 1) and its chain hashes."""

    seq: int
    ref: str
    kind: str
    action: str
    version: int
    actor: str
    at: datetime
    channel: str
    changes: tuple[Change, ...] = ()
    reason: str | None = None
    source: str | None = None
    prev_hash: str
    hash: str
    # The canonical JSON of ``changes`` when this process sealed the event (see
    # :func:`changes_json`): not part of the event's value.
    _changes_json: str | None = attrs.field(default=None, init=False, eq=False, repr=False)


@attrs.frozen
class ChainHead:
    """Where the log ends: the last sequence number and its hash (0 and genesis when empty)."""

    seq: int = 0
    hash: str = GENESIS_HASH


_STDLIB = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
).encode
_ORJSON = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS
_STRING = json.encoder.encode_basestring  # what the stdlib encoder does to a str (C)
_FLOAT = float.__repr__  # what the stdlib encoder does to a finite float
_LEAVES = frozenset({str, bool, type(None)})
_SIMPLE = _LEAVES | {int}  # orjson refuses integers beyond 64 bits itself
_SMALLEST, _LARGEST = -(1 << 63), (1 << 64) - 1  # the integers orjson writes
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INF = float("inf")


def _plain(value: object) -> bool:
    """Whether orjson writes ``value`` exactly as the stdlib encoder does: text, booleans,
    None, integers of at most 64 bits, and lists, tuples and str-keyed dicts of those.
    Floats are not (orjson writes ``1e-7`` where the stdlib wrote ``1e-07``, and NaN as
    ``null``), nor is any other type (orjson writes datetimes, UUIDs and dataclasses,
    which the stdlib refuses)."""
    kind = type(value)
    if kind in _LEAVES:
        return True
    if isinstance(value, int):  # an int itself: bool was a leaf, subclasses fail below
        return kind is int and _SMALLEST <= value <= _LARGEST
    if kind is list or kind is tuple:
        assert isinstance(value, list | tuple)
        return all(type(e) is str or _plain(e) for e in value)
    if kind is dict:
        assert isinstance(value, dict)
        return all(type(k) is str and (type(e) is str or _plain(e)) for k, e in value.items())
    return False


def plain_value(value: object) -> bool:
    """Whether :func:`changes_text` may hand ``value`` to orjson with the rest of its
    list: a type in ``_SIMPLE`` (orjson refuses what it cannot write as the stdlib did,
    and the list then falls back value by value) or a plain container (``_plain``)."""
    return type(value) in _SIMPLE or _plain(value)


def _refused(text: str) -> ValidationError:
    return ValidationError(f"{text[:60]!r} holds a lone surrogate, which no register can store")


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON: keys sorted, compact separators, no ASCII escaping.

    The text is, by definition, what the stdlib encoder every earlier release hashed
    gave (``json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",",
    ":"))``), so stored hashes keep verifying: text goes through that encoder's own C
    string function, a finite float is its ``repr``, plain containers go to orjson
    (which writes them the same way, a property test holds them equal) and anything
    else to the stdlib encoder itself. What no register can hold is refused with a
    :class:`~raidlog.errors.ValidationError`: a lone surrogate (it has no UTF-8 form, so
    it could never be hashed) and NaN or infinity (not JSON; the model refuses them)."""
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        text = _STRING(value)
        if not text.isascii() and _LONE_SURROGATE.search(text) is not None:
            raise _refused(text)
        return text
    if kind is int:
        assert isinstance(value, int)
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        if value != value or value in (_INF, -_INF):
            raise ValidationError(f"{value!r} is not a finite number; JSON has no form for it")
        assert isinstance(value, float)
        return _FLOAT(value)
    if _plain(value):
        try:
            return _ORJSON(value, option=_SORTED).decode()
        except orjson.JSONEncodeError:  # a lone surrogate: orjson refuses it
            raise _refused(_STDLIB(value)) from None
    try:
        text = _STDLIB(value)
    except ValueError as error:  # NaN or infinity inside (or a cycle)
        raise ValidationError(
            f"{str(value)[:60]} cannot be written as JSON ({error}); a register keeps "
            "finite numbers only"
        ) from None
    if not text.isascii() and _LONE_SURROGATE.search(text) is not None:
        raise _refused(text)
    return text


def changes_json(event: EventDraft | Event) -> str:
    """``event.changes`` as canonical JSON (``[[field, old, new], ...]``, keys sorted).

    One orjson call for the whole list when every value is plain (text, booleans, None,
    integers, containers of those: nearly every change); otherwise one
    :func:`canonical_json` call a value. A sealed event keeps the text its hash was
    computed from, so a backend storing it does not encode the changes a second time."""
    cached: str | None = getattr(event, "_changes_json", None)
    if cached is not None:
        return cached
    rows = []
    plain = True
    simple = _SIMPLE
    for change in event.changes:
        old, new = change.old, change.new
        if plain and not (
            (type(old) in simple or _plain(old)) and (type(new) in simple or _plain(new))
        ):
            plain = False
        rows.append([change.field, old, new])
    return changes_text(rows, plain)


def changes_text(rows: list[list[Any]], plain: bool) -> str:
    """``rows`` (``[field, old, new]`` lists) as the canonical JSON :func:`changes_json`
    writes: one orjson call when ``plain`` (every value passed :func:`_plain` or is of a
    type orjson writes as the stdlib did, see ``_SIMPLE``), else one
    :func:`canonical_json` call a value."""
    if plain:
        try:
            return _ORJSON(rows, option=_SORTED).decode()
        except orjson.JSONEncodeError:  # a lone surrogate or a huge integer: below
            pass
    encode = canonical_json
    return "[" + ",".join([f"[{encode(f)},{encode(o)},{encode(n)}]" for f, o, n in rows]) + "]"


#: The fields of a stored event, in the order stores keep them (columns, rows).
EVENT_FIELDS = (
    "seq",
    "ref",
    "kind",
    "action",
    "version",
    "actor",
    "at",
    "channel",
    "changes",
    "reason",
    "source",
    "prev_hash",
    "hash",
)


def event_row(event: Event, at: object) -> tuple[Any, ...]:
    """``event`` as a row of :data:`EVENT_FIELDS` for a store: its changes as their
    canonical JSON (:func:`changes_json`), its time as ``at``, the form the store keeps
    (ISO text, or the ``datetime`` itself)."""
    return (
        event.seq,
        event.ref,
        event.kind,
        event.action,
        event.version,
        event.actor,
        at,
        event.channel,
        changes_json(event),
        event.reason,
        event.source,
        event.prev_hash,
        event.hash,
    )


def event_from_row(row: Sequence[Any]) -> Event:
    """The :class:`Event` a row of :data:`EVENT_FIELDS` holds, as
    :meth:`Transaction.append_rows <raidlog.backends.base.Transaction.append_rows>` hands
    them: ``at`` a ``datetime``, ``changes`` the canonical JSON text its hash was
    computed from (kept on the event, so a store writing it does not encode it again)."""
    seq, ref, kind, action, version, actor, at, channel, changes, reason, source, prev, digest = row
    event = Event(
        seq=seq,
        ref=ref,
        kind=kind,
        action=action,
        version=version,
        actor=actor,
        at=at,
        channel=channel,
        changes=tuple(Change(field=f, old=o, new=n) for f, o, n in json.loads(changes)),
        reason=reason,
        source=source,
        prev_hash=prev,
        hash=digest,
    )
    object.__setattr__(event, "_changes_json", changes)
    return event


def _text(value: str | None) -> str:
    return "null" if value is None else _STRING(value)


def _canonical(draft: EventDraft | Event, seq: int, prev_hash: str, changes: str) -> bytes:
    # The event as JSON with sorted keys, compact separators and no ASCII escaping,
    # assembled in key order (``changes`` is already encoded). A lone surrogate has no
    # UTF-8 form: the text cannot be hashed, and is refused as canonical_json does.
    text = (
        f'{{"action":{_text(draft.action)},"actor":{_text(draft.actor)},'
        f'"at":"{draft.at.isoformat()}","changes":{changes},'
        f'"channel":{_text(draft.channel)},"kind":{_text(draft.kind)},'
        f'"prev_hash":{_text(prev_hash)},"reason":{_text(draft.reason)},'
        f'"ref":{_text(draft.ref)},"seq":{int(seq)},"source":{_text(draft.source)},'
        f'"version":{int(draft.version)}}}'
    )
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise _refused(text) from None


def event_hash(event: Event) -> str:
    """Recompute the hash an event should carry from its content and ``prev_hash``."""
    canonical = _canonical(event, event.seq, event.prev_hash, changes_json(event))
    return hashlib.sha256(canonical).hexdigest()


#: An add event as the register's bulk path drafts it, before it is sealed: ``(ref,
#: kind, changes, source)``, ``changes`` the canonical JSON text of its ``[field, None,
#: new]`` lists (what :func:`changes_text` writes; an :class:`Event` made of it reads
#: them back from the text, as a store's reader does). Its action is ``add``, its version
#: 1; who, when, through which channel and why come from the write (:class:`Sealing`).
NewItem: TypeAlias = tuple[str, str, str, "str | None"]


@attrs.frozen
class Sealing:
    """What the :data:`NewItem` drafts of one write share: actor, time, channel, reason."""

    actor: str
    at: datetime
    channel: str
    reason: str | None = None


def _new_event(draft: NewItem, sealing: Sealing, seq: int, prev: str, digest: str) -> Event:
    ref, kind, changes, source = draft
    event = Event(
        seq=seq,
        ref=ref,
        kind=kind,
        action="add",
        version=1,
        actor=sealing.actor,
        at=sealing.at,
        channel=sealing.channel,
        changes=tuple([Change(field=f, old=o, new=n) for f, o, n in json.loads(changes)]),
        reason=sealing.reason,
        source=source,
        prev_hash=prev,
        hash=digest,
    )
    object.__setattr__(event, "_changes_json", changes)
    return event


def _sealed(
    drafts: Sequence[EventDraft | NewItem], head: ChainHead, sealing: Sealing | None
) -> Iterator[tuple[EventDraft | NewItem, int, str, str, str]]:
    """Each draft with its ``seq``, ``prev_hash``, changes text and hash, chained after
    ``head``. A :data:`NewItem`'s canonical text is assembled from the parts every add
    of the write shares (the same text :func:`_canonical` gives, key by key)."""
    seq, prev = head.seq, head.hash
    sha256 = hashlib.sha256
    if sealing is not None:
        start = (
            f'{{"action":"add","actor":{_text(sealing.actor)},'
            f'"at":"{sealing.at.isoformat()}","changes":'
        )
        channel = f',"channel":{_text(sealing.channel)},"kind":'
        reason = f',"reason":{_text(sealing.reason)},"ref":'
    for draft in drafts:
        seq += 1
        if type(draft) is tuple:
            if sealing is None:
                raise TypeError("sealing new-item drafts needs the write's Sealing")
            ref, kind, changes, source = draft
            text = (
                f'{start}{changes}{channel}{_STRING(kind)},"prev_hash":{_STRING(prev)}'
                f'{reason}{_STRING(ref)},"seq":{seq},"source":{_text(source)},"version":1}}'
            )
            try:
                canonical = text.encode()
            except UnicodeEncodeError:
                raise _refused(text) from None
        else:
            assert isinstance(draft, EventDraft)
            changes = changes_json(draft)
            canonical = _canonical(draft, seq, prev, changes)
        digest = sha256(canonical).hexdigest()
        yield draft, seq, prev, changes, digest
        prev = digest


def seal(
    drafts: Sequence[EventDraft | NewItem], head: ChainHead, sealing: Sealing | None = None
) -> list[Event]:
    """Chain ``drafts`` after ``head``. Backends call this inside their write transaction,
    under the same lock that makes the head current. :data:`NewItem` drafts take what
    they share from ``sealing``."""
    sealed: list[Event] = []
    for draft, seq, prev, changes, digest in _sealed(drafts, head, sealing):
        if type(draft) is tuple:
            assert sealing is not None
            sealed.append(_new_event(draft, sealing, seq, prev, digest))
            continue
        assert isinstance(draft, EventDraft)
        event = Event(
            seq=seq,
            ref=draft.ref,
            kind=draft.kind,
            action=draft.action,
            version=draft.version,
            actor=draft.actor,
            at=draft.at,
            channel=draft.channel,
            changes=draft.changes,
            reason=draft.reason,
            source=draft.source,
            prev_hash=prev,
            hash=digest,
        )
        object.__setattr__(event, "_changes_json", changes)
        sealed.append(event)
    return sealed


def seal_rows(
    drafts: Sequence[EventDraft | NewItem], head: ChainHead, sealing: Sealing | None = None
) -> list[tuple[Any, ...]]:
    """What :func:`seal` gives, as the rows
    :meth:`Transaction.append_rows <raidlog.backends.base.Transaction.append_rows>`
    takes (``event_row(event, event.at)`` of each event), without making any
    :class:`Event`."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for draft, seq, prev, changes, digest in _sealed(drafts, head, sealing):
        if type(draft) is tuple:
            assert sealing is not None
            ref, kind, _, source = draft
            append(
                (
                    seq,
                    ref,
                    kind,
                    "add",
                    1,
                    sealing.actor,
                    sealing.at,
                    sealing.channel,
                    changes,
                    sealing.reason,
                    source,
                    prev,
                    digest,
                )
            )
            continue
        assert isinstance(draft, EventDraft)
        append(
            (
                seq,
                draft.ref,
                draft.kind,
                draft.action,
                draft.version,
                draft.actor,
                draft.at,
                draft.channel,
                changes,
                draft.reason,
                draft.source,
                prev,
                digest,
            )
        )
    return rows
