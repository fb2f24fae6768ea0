"""Hand edits: cells people changed in Excel between two runs.

When a data sheet no longer holds what raidlog last wrote (its digest in ``_meta``
differs), its rows are compared with the register the event log gives when replayed.
Each difference becomes an event with channel ``external`` and actor
``external edit``: a changed cell is an ``update``, a row typed in (with or without a
ref) an ``add``. The edits are checked like any change (the model's rules, the
profile's vocabularies and lifecycles, derived scores); when any is invalid, or a row
was deleted (raidlog never deletes an item), nothing is recorded or written and
:class:`HandEditError` lists every problem with its sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from raidlog.convert import METADATA_FIELDS, Codec, JsonDict, replay
from raidlog.errors import BackendError, ValidationError
from raidlog.model.events import Change, Event, EventDraft
from raidlog.model.items import Item, Risk
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
_PREFIXES = ("inherent_", "", "residual_", "target_")
_MOVE_FIELDS = frozenset({"status", "closed_on", "progress", "completed_on"})


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
            item = self.derive(item, old)
        except ValidationError as exc:
            self.problem(sheet, number, self._column(columns, exc.field), str(exc))
            return
        if old is None:
            self.pending.append((sheet, number, item))
            return
        assert old.ref is not None
        try:
            item = self.lifecycle(old, item)
        except ValidationError as exc:
            self.problem(sheet, number, self._column(columns, exc.field), str(exc))
            return
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
        lifecycle = self.profile.lifecycle(item.kind)
        status = item.status or lifecycle.initial
        if status not in lifecycle.statuses:
            self.problem(
                sheet,
                number,
                "Status",
                f"{status!r} is not a {item.kind} status: {', '.join(lifecycle.statuses)}",
            )
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

    # rules (the same as the register's) ---------------------------------------------------
    def derive(self, item: Item, old: Item | None) -> Item:
        changes: dict[str, Any] = {}
        for field in ("priority", "issue_type", "response_category"):
            value = getattr(item, field, None)
            words = self.profile.vocabulary(field)
            if value is None or not words:
                continue
            match = next((w for w in words if w.casefold() == str(value).casefold()), None)
            if match is None:
                raise ValidationError(
                    f"{value!r} is not in profile {self.profile.name!r}: {', '.join(words)}",
                    field=field,
                )
            changes[field] = match
        if isinstance(item, Risk):
            for prefix in _PREFIXES:
                p, i = getattr(item, prefix + "probability"), getattr(item, prefix + "impact")
                score = getattr(item, prefix + "score")
                if (p is None) != (i is None) and score is not None:
                    missing = prefix + ("impact" if i is None else "probability")
                    raise ValidationError(f"{missing} is needed with a score set", field=missing)
                if p is None or i is None:
                    continue
                try:
                    computed = self.profile.matrix.score(p, i)
                except ValueError as exc:
                    raise ValidationError(f"{exc}", field=prefix + "probability") from None
                stored = getattr(old, prefix + "score", None) if old is not None else None
                if score is not None and score != computed and score != stored:
                    raise ValidationError(
                        f"{prefix}score {score} does not match the matrix, which gives "
                        f"{computed} for probability {p} and impact {i}: change probability "
                        "or impact instead",
                        field=prefix + "score",
                    )
                changes[prefix + "score"] = computed
        rag_manual = item.rag_manual
        if (old is None and item.rag is not None) or (old is not None and item.rag != old.rag):
            rag_manual = item.rag is not None
        changes["rag_manual"] = rag_manual
        if not rag_manual:
            score = changes.get("score", getattr(item, "score", None))
            if isinstance(item, Risk) and score is not None:
                changes["rag"] = self.profile.band(score).rag
            elif item.priority is not None:
                priority = changes.get("priority", item.priority)
                changes["rag"] = self.profile.rag_by_priority.get(priority)
            else:
                changes["rag"] = None
        return attrs.evolve(item, **changes)

    def lifecycle(self, old: Item, new: Item) -> Item:
        lifecycle = self.profile.lifecycle(old.kind)
        old_status = old.status or lifecycle.initial
        if new.status != old.status:
            target = new.status or ""
            if target not in lifecycle.allowed(old_status):
                allowed = ", ".join(lifecycle.allowed(old_status)) or "none"
                raise ValidationError(
                    f"a {old.kind} cannot move from {old_status!r} to {target!r} "
                    f"(allowed: {allowed})",
                    field="status",
                )
            if (old.kind, target) in (("risk", "materialised"), ("decision", "superseded")):
                raise ValidationError(
                    f"moving a {old.kind} to {target} needs raidlog (materialise / supersede), "
                    "which records the new item too",
                    field="status",
                )
            changes: dict[str, Any] = {}
            today = self.now.date()
            if target in lifecycle.closed and new.closed_on is None:
                changes["closed_on"] = max(today, new.raised_on or today)
            elif target not in lifecycle.closed and new.closed_on is not None:
                changes["closed_on"] = None
            if old.kind == "action" and target == "done":
                changes["progress"] = 100
                if getattr(new, "completed_on", None) is None:
                    changes["completed_on"] = changes.get("closed_on", new.closed_on)
            new = attrs.evolve(new, **changes)
        if old_status in lifecycle.frozen:
            before, after = self.codec.content(old), self.codec.content(new)
            edited = sorted(k for k in after if before.get(k) != after[k] and k not in _MOVE_FIELDS)
            if edited and new.status == old.status:
                raise ValidationError(
                    f"{old.ref} is {old_status} and cannot be edited (changed: "
                    f"{', '.join(edited)}); reopen it first",
                    field=edited[0],
                )
        return new

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
