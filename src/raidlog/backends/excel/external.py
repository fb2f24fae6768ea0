"""Hand edits: cells people changed in Excel between two runs.

When a data sheet no longer holds what raidlog last wrote (its digest in ``_meta``
differs), its rows are compared with the register the event log gives when replayed.
Each difference becomes an event with channel ``external`` and actor
``external edit``: a changed cell is an ``update``, a row typed in (with or without a
ref) an ``add``. The edits are checked by the rules every change obeys
(:mod:`raidlog.rules`: the model's checks, the profile's vocabularies and lifecycles,
derived scores, frozen items), exactly as ``Register.update`` and ``Register.add``
apply them; when any is invalid, or a row was deleted (raidlog never deletes an item),
nothing is recorded or written and :class:`HandEditError` lists every problem with its
sheet, row and column, so what the person typed stays in the file to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from raidlog import rules
from raidlog.convert import METADATA_FIELDS, Codec, JsonDict, replay
from raidlog.errors import (
    BackendError,
    ImmutableItemError,
    InvalidTransitionError,
    ValidationError,
)
from raidlog.model.events import Change, Event, EventDraft
from raidlog.model.items import Item
from raidlog.model.profile import Profile
from raidlog.model.values import canonical_ref

from .layout import Column, columns_for, sheet_name
from .workbook import (
    GOVERNANCE_SHEET,
    Entity,
    RawSheet,
    Snapshot,
    decode_rows,
    read_entities,
)

__all__ = ["EXTERNAL_ACTOR", "HandEdit", "HandEditError", "reconcile", "replay_items"]

#: Who hand edits are attributed to in the event log.
EXTERNAL_ACTOR: Final = "external edit"
_REASON: Final = "edited by hand in the workbook"
#: What a hand edit cannot change: raidlog keeps these itself.
_KEPT = METADATA_FIELDS | {"kind", "rag_manual"}


@attrs.frozen
class HandEdit:
    """One problem with a hand edit: where it is and what is wrong."""

    sheet: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"sheet {self.sheet}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.reason}"


class HandEditError(BackendError):
    """The workbook was edited by hand in a way the register cannot take. Nothing was
    recorded or written; ``problems`` lists each one."""

    def __init__(self, location: str, problems: Sequence[HandEdit]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{location} was edited by hand and {len(problems)} edit(s) cannot be taken into "
            f"the register:\n{lines}\nFix these cells in Excel (or undo the edits) and open "
            "the register again; the file was left as it is."
        )
        self.problems = tuple(problems)


def replay_items(events: Iterable[Event], codec: Codec) -> tuple[dict[str, Item], list[JsonDict]]:
    """Items and governance records as the event log says they are; a plugin's kind that
    is not installed is not readable here and is left out."""
    return replay(events, codec, skip_unknown_kinds=True)


class _Reconciler:
    def __init__(
        self, snapshot: Snapshot, codec: Codec, profile: Profile, now: datetime, source: str
    ) -> None:
        self.snapshot = snapshot
        self.codec = codec
        self.profile = profile
        self.now = now
        self.source = source
        self.problems: list[HandEdit] = []
        self.drafts: list[EventDraft] = []
        self.counters = dict(snapshot.counters)
        self.expected, self.expected_entities = replay_items(snapshot.events, codec)
        self.items: dict[str, Item] = {}
        self.pending: list[tuple[str, int, Item]] = []
        self.rows_with_ref: set[str] = set()

    # problems ----------------------------------------------------------------------------
    def problem(self, sheet: str, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(HandEdit(sheet, row, column, reason))

    def _column(self, columns: Sequence[Column], field: str | None) -> str | None:
        for column in columns:
            if column.field == field:
                return column.title
        return None

    # sheets ------------------------------------------------------------------------------
    def run(self) -> None:
        edited = set(self.snapshot.edited_sheets())
        for cls in self.codec.kinds.values():
            name = sheet_name(cls)
            sheet = self.snapshot.sheets.get(name)
            if sheet is None:
                sheet = RawSheet(name, [], [], "")
                if any(i.kind == cls.kind for i in self.expected.values()):
                    edited.add(name)
            self.sheet(sheet, cls, name in edited)
        for ref, item in self.expected.items():
            if ref not in self.rows_with_ref:
                self.problem(
                    sheet_name(type(item)),
                    None,
                    "Ref",
                    f"the row of {ref} was deleted; raidlog never deletes an item (close or "
                    "withdraw it instead): undo the deletion",
                )
        self.governance(GOVERNANCE_SHEET in edited)
        for sheet_title, row, new in self.pending:
            self.add(sheet_title, row, new)

    def sheet(self, sheet: RawSheet, cls: type[Item], edited: bool) -> None:
        columns = columns_for(cls)
        if edited and sheet.rows:
            # A missing column would read as empty and clear that field of every item.
            missing = [
                c.title
                for c in columns
                if c.title not in sheet.header and c.field not in METADATA_FIELDS - {"ref"}
            ]
            for title in missing:
                self.problem(
                    sheet.name, 1, title, "the column is missing: restore it (or its title)"
                )
            if missing:
                # Rows are not read, so none of this kind counts as deleted.
                self.rows_with_ref.update(r for r, i in self.expected.items() if i.kind == cls.kind)
                return
        seen: dict[str, int] = {}
        for number, data, cell_problems in decode_rows(sheet, cls, columns):
            ref = data.get("ref")
            if ref is not None:
                self.rows_with_ref.add(ref)
            for column, reason in cell_problems:
                self.problem(sheet.name, number, column, reason)
            if cell_problems:
                continue
            if ref is not None:
                if ref in seen:
                    reason = f"{ref} is also on row {seen[ref]}: refs are unique"
                    self.problem(sheet.name, number, "Ref", reason)
                    continue
                seen[ref] = number
            old = self.expected.get(ref) if ref is not None else None
            if not edited and old is not None and ref is not None:
                self.items[ref] = self.codec.item_from_dict(data)
                continue
            if old is not None and old.kind != cls.kind:
                self.problem(sheet.name, number, "Ref", f"{ref} is a {old.kind}, not a {cls.kind}")
                continue
            self.row(sheet.name, number, cls, columns, data, old)

    def row(
        self,
        sheet: str,
        number: int,
        cls: type[Item],
        columns: Sequence[Column],
        data: dict[str, Any],
        old: Item | None,
    ) -> None:
        ref = data.get("ref")
        data = {k: v for k, v in data.items() if v is not None and k not in METADATA_FIELDS}
        if ref is not None:
            data["ref"] = ref
        if old is not None:
            keep = self.codec.item_to_dict(old)
            data.update({k: keep[k] for k in METADATA_FIELDS if k in keep})
            data["rag_manual"] = old.rag_manual
        else:
            data["rag_manual"] = False
        try:
            item = self.codec.item_from_dict(data)
            self.check_typed_scores(item, old)
            if old is None:
                self.pending.append((sheet, number, self.derive(item)))
                return
            item = self.edit(old, item)
        except ValidationError as exc:
            self.problem(sheet, number, self._column(columns, exc.field), str(exc))
            return
        except InvalidTransitionError as exc:
            self.problem(sheet, number, self._column(columns, "status"), str(exc))
            return
        except ImmutableItemError as exc:
            assert old is not None  # only an update of a stored item is frozen
            edited = sorted(_differences(old, item))
            column = self._column(columns, next((f for f in edited if f != "status"), None))
            reason = str(exc)
            lifecycle = self.profile.lifecycle(old.kind)
            if any(s not in lifecycle.frozen for s in lifecycle.allowed(old.status or "")):
                # It can be reopened: by hand too, in a save of its own.
                reason += " (in the workbook: save a status change on its own, then edit)"
            self.problem(sheet, number, column, reason)
            return
        assert old is not None
        assert old.ref is not None
        before, after = self.codec.content(old), self.codec.content(item)
        changes = [
            Change(field=k, old=before.get(k), new=v)
            for k, v in after.items()
            if before.get(k) != v
        ]
        if not changes:
            self.items[old.ref] = old
            return
        stored = attrs.evolve(
            item, version=old.version + 1, updated_at=self.now, updated_by=EXTERNAL_ACTOR
        )
        self.items[old.ref] = stored
        self.draft(stored, "update", changes, f"{self.source}: sheet {sheet}, row {number}")

    def add(self, sheet: str, number: int, item: Item) -> None:
        columns = columns_for(type(item))
        ref = item.ref
        if ref is None:
            # A counter behind the stored refs skips them (as the register's writes do).
            while ref is None or ref in self.items:
                number_ = self.counters.get(item.ref_prefix, 0) + 1
                self.counters[item.ref_prefix] = number_
                ref = f"{item.ref_prefix}-{number_:04d}"
        else:
            try:  # a ref typed by hand follows the rules of a ref given through the API
                ref = canonical_ref(ref, prefix=item.ref_prefix, kind=item.kind)
            except ValidationError as exc:
                self.problem(sheet, number, "Ref", str(exc))
                return
            digits = int(ref.rpartition("-")[2])
            self.counters[item.ref_prefix] = max(self.counters.get(item.ref_prefix, 0), digits)
            if ref in self.items:
                self.problem(sheet, number, "Ref", f"{ref} is already used")
                return
        try:
            status = rules.check_status(self.profile, item)
        except ValidationError as exc:
            self.problem(sheet, number, self._column(columns, "status"), str(exc))
            return
        stored = attrs.evolve(
            item,
            ref=ref,
            status=status,
            version=1,
            created_at=self.now,
            created_by=EXTERNAL_ACTOR,
            updated_at=self.now,
            updated_by=EXTERNAL_ACTOR,
        )
        known = self.items.keys() | self.expected.keys()
        for link in stored.links:
            if link.target == ref or link.target not in known:
                title = self._column(columns, "links")
                self.problem(sheet, number, title, f"no item {link.target} to link to")
                return
        defaults = self.codec.content(type(item)(title=stored.title))
        changes = [
            Change(field=k, old=None, new=v)
            for k, v in self.codec.content(stored).items()
            if k == "title" or v != defaults.get(k)
        ]
        self.items[ref] = stored
        self.draft(stored, "add", changes, f"{self.source}: sheet {sheet}, row {number}")

    def governance(self, edited: bool) -> None:
        self.entities = [self.codec.entity_from_dict(e) for e in self.expected_entities]
        sheet = self.snapshot.sheets.get(GOVERNANCE_SHEET)
        if not edited or sheet is None:
            return
        try:
            found = read_entities(sheet, self.codec)
        except (ValidationError, ValueError, TypeError) as exc:
            found = None
            detail = str(exc)
        if found is None or sorted(map(repr, found)) != sorted(map(repr, self.entities)):
            self.problem(
                GOVERNANCE_SHEET,
                None,
                None,
                "the governance structure was edited by hand"
                + (f" ({detail})" if found is None else "")
                + "; change it through raidlog (Register.put_node / put_body / "
                "put_objective) and undo the edit",
            )

    # rules: the register's own, from raidlog.rules ----------------------------------------
    def check_typed_scores(self, item: Item, old: Item | None) -> None:
        """A score typed by hand must be the matrix's (or the one stored): the sheet
        cannot say which of score, probability and impact the person meant."""
        for field, computed in rules.scores(self.profile, item).items():
            typed = getattr(item, field)
            stored = getattr(old, field, None) if old is not None else None
            if typed is not None and typed != computed and typed != stored:
                prefix = field.removesuffix("score")
                raise ValidationError(
                    f"{field} {typed} does not match the matrix, which gives {computed} for "
                    f"probability {getattr(item, prefix + 'probability')} and impact "
                    f"{getattr(item, prefix + 'impact')}: change probability or impact instead",
                    field=field,
                )

    def derive(self, item: Item) -> Item:
        """A new row as the register stores a new item: RAG typed in is manual, the
        profile derives the rest, and the next review follows the cadence."""
        item = attrs.evolve(item, rag_manual=item.rag is not None)
        item = attrs.evolve(item, **rules.derived(self.profile, item))
        if item.next_review is None:
            item = attrs.evolve(
                item, next_review=rules.review_date(self.profile, item, self.now.date())
            )
        return item

    def edit(self, old: Item, typed: Item) -> Item:
        """``old`` with the cells that differ from it applied, as the register's
        :func:`raidlog.rules.edited` applies an update."""
        changes = _differences(old, typed)
        new = rules.edited(self.profile, old, changes, reason=_REASON, today=self.now.date())
        new = attrs.evolve(new, **rules.derived(self.profile, new))
        return attrs.evolve(new, **rules.rescheduled(self.profile, old, new, self.now.date()))

    def draft(self, item: Item, action: str, changes: list[Change], source: str) -> None:
        assert item.ref is not None
        self.drafts.append(
            EventDraft(
                ref=item.ref,
                kind=item.kind,
                action=action,
                version=item.version,
                actor=EXTERNAL_ACTOR,
                at=self.now,
                channel="external",
                changes=tuple(changes),
                reason=_REASON,
                source=source,
            )
        )


@attrs.frozen
class Reconciled:
    """The register after taking the hand edits, and the events that record them."""

    items: dict[str, Item]
    entities: list[Entity]
    counters: dict[str, int]
    drafts: list[EventDraft]


def _differences(old: Item, typed: Item) -> dict[str, Any]:
    """The fields a row's cells change, as an update would pass them."""
    return {
        f.name: getattr(typed, f.name)
        for f in attrs.fields(type(old))
        if f.name not in _KEPT and getattr(typed, f.name) != getattr(old, f.name)
    }


def reconcile(
    snapshot: Snapshot, codec: Codec, profile: Profile, now: datetime, location: str
) -> Reconciled:
    """Check the hand edits of a workbook whose data sheets differ from what raidlog
    wrote. Raises :class:`HandEditError` listing every problem."""
    work = _Reconciler(snapshot, codec, profile, now, f"{location}")
    work.run()
    if work.problems:
        raise HandEditError(location, work.problems)
    return Reconciled(work.items, work.entities, work.counters, work.drafts)
