"""The column mapper: which column of a table holds which field, decided once per table.

:func:`map_table` looks at a table's headers and data values, the register's profile
and the user's mapping file, and returns a frozen :class:`MappedTable`: the table's
kind (with the votes behind it), and for every column its field, the confidence of
the guess and the reason for it. The row reader (:mod:`raidlog.migrate.rows`) then
reads every row by that mapping, without deciding anything about columns again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping as MappingABC
from itertools import islice
from operator import itemgetter
from typing import Any

import attrs

from raidlog.migrate.headers import attribute, kind_of_word, normalise
from raidlog.migrate.tables import (
    Column,
    Table,
    column_letter,
    decide_kind,
    fill_merged_down,
    find_kind_column,
    is_template_text,
    names_a_kind,
    names_the_item,
)
from raidlog.migrate.values import DateReader, LevelReader, as_text, is_blank, read_rag
from raidlog.model.profile import Profile

__all__ = [
    "DATE_KEYS",
    "LEVEL_KEYS",
    "LONG_TEXT",
    "SCORE_KEYS",
    "SHORT_TEXT",
    "SOURCE_REF",
    "TITLE_SOURCES",
    "MappedColumn",
    "MappedTable",
    "map_table",
]

#: ``extra`` key of an item's id as the file wrote it (what a re-import matches on).
SOURCE_REF = "source_ref"

DATE_KEYS = (
    "raised_on",
    "due",
    "next_review",
    "closed_on",
    "decided_on",
    "validated_on",
    "completed_on",
)
LEVEL_KEYS = tuple(
    p + k for p in ("inherent_", "", "residual_", "target_") for k in ("probability", "impact")
)
SCORE_KEYS = tuple(p + "score" for p in ("inherent_", "", "residual_", "target_"))
LONG_TEXT = (
    "description",
    "cause",
    "event",
    "effect",
    "response",
    "resolution",
    "decision",
    "rationale",
    "validation",
)
SHORT_TEXT = (
    "owner",
    "raised_by",
    "actionee",
    "assignee",
    "decided_by",
    "counterparty",
    "category",
    "proximity",
    "severity",
)
#: The fields that can give an item its title, in the order tried.
TITLE_SOURCES = (
    "title",
    "description",
    "event",
    "decision",
    "cause",
    "effect",
    "response",
    "resolution",
    "rationale",
)
_TEXT_KEYS = frozenset(("title", *LONG_TEXT, *SHORT_TEXT))
#: Header words naming the column that says what each item is ("Name", "Statement").
_NAMING_WORDS = frozenset({"name", "text", "statement", "what", "entry", "subject", "wording"})
#: What an id code looks like ("D-01", "R001", "ISS_12", "7", "2024-003").
_ID_CODE = re.compile(r"^[A-Za-z]{0,6}[-_ ./]?\d{1,6}(?:[-_./]\d{1,4})?[A-Za-z]?$")
#: The suffix a repeated header gets ("Labels (2)").
_REPEAT = re.compile(r" \(\d+\)$")


@attrs.frozen(kw_only=True)
class MappedColumn:
    """One column of a table and what it holds.

    ``key`` is the concept (``owner``, ``due``...; ``None``: kept in ``extra``),
    ``confidence`` how sure the guess is (1.0 for a mapping file's word), ``reason``
    why, in words the report shows.
    """

    index: int
    header: str
    key: str | None
    confidence: float
    reason: str


@attrs.frozen(kw_only=True)
class MappedTable:
    """A table's mapping: its kind and each column's field, decided once."""

    kind: str
    kind_reason: str
    #: (source, kind, weight, evidence) of every vote on the kind
    #: (``("sheet name", "risk", 3.0, "Risks")``).
    kind_votes: tuple[tuple[str, str, float, str], ...]
    kind_column: MappedColumn | None
    columns: tuple[MappedColumn, ...]
    #: Per column index, the date and level readers fitted to the column's values.
    dates: MappingABC[int, DateReader]
    levels: MappingABC[int, LevelReader]
    date_order: str | None
    #: The column whose fill colours hold the RAG when no column is mapped to it.
    colour_column: int | None
    has_title: bool
    has_status: bool
    notes: tuple[str, ...]

    def by_key(self, key: str) -> MappedColumn | None:
        """The column mapped to ``key``, if any."""
        return next((c for c in self.columns if c.key == key), None)

    def shown(self, column: MappedColumn) -> str:
        """The field a column lands in, as the report names it."""
        key = column.key
        if key is None:
            return "extra"
        if key == "ref":
            return f"ref (kept as extra[{SOURCE_REF!r}])"
        if self.kind_column is None and key not in ("kind", "links"):
            return attribute(self.kind, key) or "extra"
        return key


def map_table(
    table: Table, profile: Profile, epoch: int, rule: Any, stem: str
) -> tuple[MappedTable, dict[int, list[object]]]:
    """Map ``table``'s columns; return the mapping and each column's data values.

    ``rule`` is the mapping file's entry for the sheet (or ``None``), ``stem`` the file
    name without suffix (a vote on the kind), ``epoch`` the workbook's date epoch.
    """
    return _Mapper(table, profile, epoch, rule, stem).finish()


class _Mapper:
    def __init__(self, table: Table, profile: Profile, epoch: int, rule: Any, stem: str) -> None:
        self.table = table
        self.profile = profile
        self.epoch = epoch
        self.rule = rule
        self.notes: list[str] = []
        self.reasons: dict[int, str] = {}
        rows = table.sheet.rows
        merged_down = fill_merged_down(table)
        # Each column's data values, to decide once what the column holds.
        data = rows[table.data_start : table.data_end]
        shortest = min(map(len, data), default=0)
        self.values: dict[int, list[object]] = {
            c.index: (
                list(map(itemgetter(c.index), data))  # every row reaches the column
                if c.index < shortest
                else [(row[c.index] if c.index < len(row) else "") for row in data]
            )
            for c in table.columns
        }
        if rule is not None and rule.kind is not None:
            table.kind, table.kind_reason = rule.kind, "from the mapping file"
            table.kind_votes = (("mapping file", rule.kind, 1.0, "kind = " + rule.kind),)
        else:
            decide_kind(table, stem)
        if rule is not None and rule.kind_column:
            for column in table.columns:
                if column.header.casefold() == rule.kind_column.casefold():
                    column.choices = [("kind", 1.0)]
        find_kind_column(table, table.data_start, table.data_end)
        if merged_down:
            self.notes.append(
                f"{merged_down} cell(s) merged down over several items: each item takes the "
                "merged value"
            )
        self._check_values()
        self._assign()

    def _kinds(self) -> set[str]:
        if self.table.kind_column is None:
            return {self.table.kind}
        return {
            k
            for k in (kind_of_word(as_text(v)) for v in self.values[self.table.kind_column.index])
            if k
        }

    def _check_values(self) -> None:
        """Drop the guesses a column's values contradict (a "Date" of text, a score of 99)."""
        levels = len(self.profile.matrix.probability)
        for column in self.table.columns:
            if column.forced or not column.choices:
                continue
            # A thousand values decide what a column holds; more only cost time.
            # Template text ("[YYYY-MM-DD]", "H/M/L") says nothing of what the column holds.
            filled = list(
                islice(
                    (
                        v
                        for v in self.values[column.index]
                        if not is_blank(v) and not is_template_text(v, column.header)
                    ),
                    1000,
                )
            )
            if not filled:
                continue
            numbers = sum(1 for v in filled if isinstance(v, int | float))
            kept: list[tuple[str, float]] = []
            for key, confidence in column.choices:
                if key in _TEXT_KEYS and numbers >= 0.8 * len(filled):
                    self.notes.append(f"{column.header!r} holds numbers, not text: kept in extra")
                    self.reasons[column.index] = "holds numbers, not text"
                    continue
                if key in DATE_KEYS:
                    reader = DateReader(filled, epoch=self.epoch)
                    readings = [reader.read(v) for v in filled]
                    good = sum(
                        1 for d, why in readings if d is not None or "placeholder" in str(why)
                    )
                    if good < 0.5 * len(filled):
                        self.reasons[column.index] = f"headed like {key} but holds no dates"
                        continue
                if key.endswith(("probability", "impact")):
                    reader_l = LevelReader(filled, levels, header=column.header)
                    good = sum(1 for v in filled if reader_l.read(v)[0] is not None)
                    if good < 0.5 * len(filled):
                        if key.endswith("impact") and numbers < 0.5 * len(filled):
                            # Text in an impact column describes the impact: it is the effect.
                            kept.append(("effect", 0.9))
                            self.notes.append(f"{column.header!r} holds text: read as the effect")
                            self.reasons[column.index] = "an impact column holding text"
                        else:
                            self.reasons[column.index] = f"headed like {key} but holds no levels"
                        continue
                if key in SCORE_KEYS:
                    top = self.profile.matrix.max_score
                    good = sum(1 for v in filled if isinstance(v, int | float) and 0 <= v <= top)
                    if good < 0.5 * len(filled):
                        self.notes.append(
                            f"{column.header!r} does not hold scores of this matrix (0 to {top}): "
                            "kept in extra"
                        )
                        self.reasons[column.index] = "not scores of this matrix"
                        continue
                kept.append((key, confidence))
            column.choices = kept

    def _assign(self) -> None:
        """Give each field to the column that claims it most confidently."""
        table = self.table
        kinds = self._kinds()
        overrides = dict(self.rule.columns) if self.rule is not None else {}
        taken: set[str] = set()
        for column in table.columns:
            field = next(
                (f for h, f in overrides.items() if h.casefold() == column.header.casefold()), None
            )
            if field is not None:
                column.key = None if field == "extra" else field
                column.forced = True
                column.note = "from the mapping file"
            if column.key is not None:
                taken.add(column.key)
        offers = sorted(
            (
                (-confidence, position, column.index, key)
                for column in table.columns
                if not column.forced
                for position, (key, confidence) in enumerate(column.choices)
                if key in ("ref", "links") or any(attribute(k, key) for k in kinds)
            ),
        )
        placed: set[int] = set()
        self.confidence: dict[int, float] = {}
        for minus, _, index, key in offers:
            if index in placed or key in taken:
                continue
            column = next(c for c in table.columns if c.index == index)
            column.key = key
            taken.add(key)
            placed.add(index)
            self.confidence[index] = -minus
        tags = table.by_key("tags")
        for column in table.columns:
            if (
                tags is not None
                and column.key is None
                and not column.forced
                and _REPEAT.sub("", column.header) == tags.header
            ):
                column.key = "tags"  # "Labels (2)": another column of the same list
                self.reasons[column.index] = f"another {tags.header!r} column: the same list"
                self.confidence[column.index] = self.confidence.get(tags.index, 1.0)
        status = table.by_key("status")
        if status is not None and not status.forced and table.by_key("rag") is None:
            written = [v for v in self.values[status.index] if not is_blank(v)]
            if written and all(read_rag(v) for v in written):
                # "Status: Red / Amber / Green" is a RAG, not a place in the lifecycle.
                status.key = "rag"
                self.notes.append(f"{status.header!r} holds RAG colours: read as the RAG")
                self.reasons[status.index] = "holds RAG colours"
        self._id_codes(kinds)
        self._text_as_title(kinds)
        self.has_title = table.by_key("title") is not None
        if not self.has_title:
            self.notes.append(
                "no title column: each title is the start of the description, which keeps "
                "the full text"
            )

    def _unmapped(self, kinds: set[str]) -> list[Column]:
        """Columns whose values would land in ``extra`` for every kind of the table."""
        return [
            c
            for c in self.table.columns
            if not c.forced
            and (c.key is None or not any(attribute(k, c.key) for k in kinds))
            and c.key not in ("ref", "kind", "links", "tags")
        ]

    def _id_codes(self, kinds: set[str]) -> None:
        """With no id column, an unmapped column of unique short codes ("D-01", "R001")
        in the table's first two columns holds each item's id."""
        if self.table.by_key("ref") is not None:
            return
        for column in self._unmapped(kinds):
            if column.index > self.table.first_col + 1:
                break
            if column.header == f"Column {column_letter(column.index)}":
                continue  # no header at all: kept under its letter, as written
            filled = [as_text(v) for v in self.values[column.index] if not is_blank(v)]
            if len(filled) < 2 or len(set(filled)) < len(filled):
                continue
            if sum(1 for v in filled if _ID_CODE.match(v)) >= 0.9 * len(filled):
                column.key = "ref"
                self.confidence[column.index] = 0.8
                self.reasons[column.index] = "holds unique id codes"
                return

    def _text_as_title(self, kinds: set[str]) -> None:
        """With no column that can give a title (an id, a decision text, a status and a
        date), the text column is the title: the one whose header names the kind
        ("Decisions", "Agreed action"), else the one holding the longest text."""
        if any(
            c.key is not None and all(attribute(k, c.key) in TITLE_SOURCES for k in kinds)
            for c in self.table.columns
        ):
            return
        best: tuple[bool, bool, int] | None = None
        chosen: Column | None = None
        for column in self._unmapped(kinds):
            texts = [v for v in self.values[column.index] if isinstance(v, str) and v.strip()]
            if not texts or len(texts) < 0.5 * sum(
                1 for v in self.values[column.index] if not is_blank(v)
            ):
                continue
            average = sum(len(v) for v in texts) / len(texts)
            named = names_a_kind(column.header)
            naming = names_the_item(column.header) or bool(
                set(normalise(column.header).split(" ")) & _NAMING_WORDS
            )
            if not named and not naming and average < 12:
                continue
            # The kind's own name first ("Decisions"), then a naming word ("Name"), then
            # the leftmost text: notes and comments come after what they comment on.
            rank = (named, naming, -column.index)
            if best is None or rank > best:
                best, chosen = rank, column
        if chosen is None:
            return
        was = chosen.key
        chosen.key = "title"
        self.confidence[chosen.index] = 0.7 if best and best[0] else 0.5
        self.reasons[chosen.index] = (
            "no title column: "
            + (
                "its header names the kind"
                if best and best[0]
                else "its header names the item"
                if best and best[1]
                else "the first column of text"
            )
            + (f" (not read as {was})" if was else "")
            + "; long text is cut as a title, the full text kept in the description"
        )
        self.notes.append(f"no title column: {chosen.header!r} gives each item its title")

    def _reason(self, column: Column) -> tuple[float, str]:
        """How sure the mapping of ``column`` is, and why, in the report's words."""
        if column.forced and column.key == "kind":
            return 1.0, "its values name kinds: each row's kind"
        if column.forced:
            return 1.0, column.note or "from the mapping file"
        if column.index in self.reasons and column.key in (
            None,
            "rag",
            "tags",
            "effect",
            "ref",
            "title",
        ):
            confidence = self.confidence.get(column.index, 0.0) if column.key else 0.0
            return confidence, self.reasons[column.index]
        if column.key is None:
            if not column.choices:
                return 0.0, "no field has this header"
            claimed = column.choices[0][0]
            owner = self.table.by_key(claimed)
            if owner is not None and owner.index != column.index:
                return 0.0, f"{claimed} is taken by {owner.header!r}"
            return 0.0, f"{claimed} is not a field of this kind"
        confidence = self.confidence.get(column.index, 1.0)
        if confidence >= 0.95:
            how = "the header names it"
        elif confidence >= 0.8:
            how = "a kind word, then the field's name"
        elif confidence >= 0.7:
            how = "a generic header, taken as no other column claims the field"
        else:
            how = "the header's first words name it"
        return confidence, f"{how} ({column.key})"

    def finish(self) -> tuple[MappedTable, dict[int, list[object]]]:
        table = self.table
        matrix = self.profile.matrix
        dates: dict[int, DateReader] = {}
        levels: dict[int, LevelReader] = {}
        order = self.rule.date_order if self.rule is not None else None
        orders: set[str] = set()
        for column in table.columns:
            key = column.key
            if key is None:
                continue
            values = self.values[column.index]
            if key in DATE_KEYS:
                reader = DateReader(values, epoch=self.epoch, order=order)
                dates[column.index] = reader
                if reader.note:
                    self.notes.append(f"{column.header!r}: {reader.note}")
                if reader.saw_ambiguous(values):
                    orders.add(reader.order)
            elif key in LEVEL_KEYS:
                size = len(matrix.probability if key.endswith("probability") else matrix.impact)
                level = LevelReader(values, size, header=column.header)
                levels[column.index] = level
                if level.note:
                    self.notes.append(f"{column.header!r}: {level.note}")
        date_order = None
        if orders:
            date_order = "dmy" if "dmy" in orders else "mdy"
            if not order:
                self.notes.append(
                    "some text dates read either way: read "
                    + ("day-first" if "dmy" in orders else "month-first")
                    + " (set date_order in a mapping file to change it)"
                )
        columns = []
        for column in table.columns:
            confidence, reason = self._reason(column)
            columns.append(
                MappedColumn(
                    index=column.index,
                    header=column.header,
                    key=column.key,
                    confidence=round(confidence, 2),
                    reason=reason,
                )
            )
        kind_column = (
            next(c for c in columns if c.index == table.kind_column.index)
            if table.kind_column is not None
            else None
        )
        colour_column: int | None = None
        fills = table.sheet.fills
        if fills and table.by_key("rag") is None:
            span = range(table.data_start, table.data_end)
            counts = Counter(c for (r, c) in fills if r in span)
            if counts:
                column_index, hits = counts.most_common(1)[0]
                if hits >= max(2, 0.5 * len(span)):
                    colour_column = column_index
                    self.notes.append(
                        f"RAG read from the fill colour of column {column_letter(column_index)}"
                    )
        mapped = MappedTable(
            kind=table.kind,
            kind_reason=table.kind_reason,
            kind_votes=table.kind_votes,
            kind_column=kind_column,
            columns=tuple(columns),
            dates=dates,
            levels=levels,
            date_order=date_order,
            colour_column=colour_column,
            has_title=self.has_title,
            has_status=table.by_key("status") is not None,
            notes=tuple(self.notes),
        )
        return mapped, self.values
