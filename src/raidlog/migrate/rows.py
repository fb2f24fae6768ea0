"""The row reader: each data row of a mapped table into a draft item.

A row is read cell by cell through :data:`CELL_READERS`, one small reader per kind of
field (title, text, person, date, level, score, status, RAG, vocabulary, progress,
money, list, direction); what a reader cannot read is kept as written in ``extra`` and
flagged. Rows that are not items (hints, examples, totals, section headings, wrapped
lines continuing the row above) are skipped with their reason.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

import attrs

from raidlog.migrate.columns import (
    DATE_KEYS,
    LEVEL_KEYS,
    LONG_TEXT,
    SCORE_KEYS,
    SHORT_TEXT,
    SOURCE_REF,
    TITLE_SOURCES,
    MappedColumn,
    MappedTable,
)
from raidlog.migrate.headers import (
    HEADING_WORDS,
    KIND_WORDS,
    attribute,
    closed_sheet,
    kind_of_word,
    normalise,
)
from raidlog.migrate.report import RowNote, TableReport
from raidlog.migrate.tables import (
    TITLE_KEYS,
    CellFacts,
    FactsOf,
    LineList,
    Table,
    cell_facts,
    heading_kind,
    is_plain,
    is_plain_text,
    row_problem,
)
from raidlog.migrate.values import (
    NULL_WORDS,
    as_text,
    clean_text,
    extra_value,
    is_blank,
    names_nobody,
    read_progress,
    read_rag,
    read_status,
    read_vocabulary,
)
from raidlog.model.profile import Lifecycle, Profile
from raidlog.model.values import DESCRIPTION_MAX, TITLE_MAX, ExtraValue
from raidlog.rules import implied_status, on_enter_dated

__all__ = [
    "CELL_READERS",
    "SOURCE_ROW",
    "Draft",
    "RowReader",
    "cut_title",
    "field_type",
    "read_list",
]

#: ``extra`` key tying an item without an id to its sheet and row.
SOURCE_ROW = "source_row"

#: Fields naming a person (what people write there when nobody is named yet: names_nobody).
_PEOPLE = frozenset({"owner", "raised_by", "actionee", "assignee", "decided_by"})
_VOCAB = {
    "priority": "priority",
    "issue_type": "issue_type",
    "response_category": "response_category",
}
_MONEY = re.compile(r"^[\s$£€]*(-?[\d,]+(?:\.\d+)?)\s*([kKmM]?)\s*$")


@attrs.define(kw_only=True)
class Draft:
    """An item read from one row, before the register checks it."""

    kind: str
    fields: dict[str, Any]
    extra: dict[str, ExtraValue]
    sheet: str
    row: int
    key: tuple[str, str, str]
    report: TableReport
    #: (header, text) of linked-item cells, resolved to refs once every item is known.
    links: list[tuple[str, str]] = attrs.Factory(list)
    #: The item fields the file's columns give (a re-import replaces only these).
    mapped: frozenset[str] = frozenset()


@attrs.define(kw_only=True)
class _Row:
    """What the cell readers gather from one row."""

    r: int
    kind: str
    lifecycle: Lifecycle
    fields: dict[str, Any] = attrs.Factory(dict)
    extra: dict[str, ExtraValue] = attrs.Factory(dict)
    source_ref: str | None = None
    raw_scores: dict[str, tuple[str, object]] = attrs.Factory(dict)
    links: list[tuple[str, str]] = attrs.Factory(list)


CellReader = Callable[["RowReader", _Row, MappedColumn, str, object], None]


@attrs.frozen(kw_only=True)
class _Reading:
    """What a cell reader made of one value: given to each row holding that value."""

    #: The value says "nothing here" (``n/a``, ``-``): the cell is read as empty.
    nothing: bool
    fields: Mapping[str, Any] = attrs.Factory(dict)
    extra: Mapping[str, ExtraValue] = attrs.Factory(dict)
    #: (column, reason) of each flag the reading raised.
    notes: tuple[tuple[str, str], ...] = ()
    #: The reading gives its target field this value and nothing else (no extra, no
    #: flag): ``(value,)``, else ``None``.
    only: tuple[Any] | None = None


@cache
def field_type(target: str) -> str:
    """Which cell reader reads values for the model attribute ``target``."""
    if target == "title":
        return "title"
    if target in LONG_TEXT:
        return "long text"
    if target in _PEOPLE:
        return "person"
    if target in SHORT_TEXT:
        return "short text"
    if target in DATE_KEYS:
        return "date"
    if target in LEVEL_KEYS:
        return "level"
    if target in SCORE_KEYS:
        return "score"
    if target in _VOCAB:
        return "vocabulary"
    if target == "cost_exposure":
        return "money"
    if target in ("tags", "options_considered"):
        return "list"
    if target in ("status", "rag", "progress", "direction"):
        return target
    return "other"


# cell readers ----------------------------------------------------------------------------------
def _text(reader: RowReader, row: _Row, column: MappedColumn, value: object) -> str:
    text, cleaned = clean_text(value)
    if cleaned:
        reader.flag(row.r, column.header, "control characters removed")
    return text


def _read_title(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    # Cut to length later, once every column that could give the title is read.
    row.fields[target] = _text(reader, row, column, v)


def _read_long_text(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    text = _text(reader, row, column, v)
    if len(text) > DESCRIPTION_MAX:
        parts = [text[i : i + DESCRIPTION_MAX] for i in range(0, len(text), DESCRIPTION_MAX)]
        text = parts[0]
        for number, part in enumerate(parts[1:], start=2):
            row.extra[f"{column.header} (part {number})"] = part
        reader.flag(
            row.r, column.header, f"longer than {DESCRIPTION_MAX} characters: the rest is in extra"
        )
    row.fields[target] = text


def _read_short_text(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    text = _text(reader, row, column, v)
    if len(text) > TITLE_MAX:
        reader.keep(row, column.header, text, f"longer than {TITLE_MAX} characters for {target}")
        return
    row.fields[target] = text


def _read_person(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    text = _text(reader, row, column, v)
    if names_nobody(text):
        reader.keep(row, column.header, text, f"{text!r} names nobody: {target} left empty")
        return
    if len(text) > TITLE_MAX:
        reader.keep(row, column.header, text, f"longer than {TITLE_MAX} characters for {target}")
        return
    row.fields[target] = text


def _read_date(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    day, why = reader.mapping.dates[column.index].read(v)
    if day is not None:
        row.fields[target] = day
        if why:  # read out of qualifying words: the text is kept too
            reader.keep(row, column.header, v, why)
    elif why and why.startswith("placeholder"):
        reader.flag(row.r, column.header, why)
    else:
        reader.keep(row, column.header, v, why)


def _read_level(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    level, why = reader.mapping.levels[column.index].read(v)
    if level is not None:
        row.fields[target] = level
        if why:
            reader.flag(row.r, column.header, why)
    elif why and "read as empty" in why:
        reader.flag(row.r, column.header, why)
    else:
        reader.keep(row, column.header, v, why)


def _read_score(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    # A score is checked against probability and impact once the whole row is read.
    row.raw_scores[target] = (column.header, v)


def _read_status(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    status = reader.status(row.kind, v)
    if status is None:
        reader.keep(
            row,
            column.header,
            v,
            f"status {as_text(v)!r} is not a {row.kind} status; left {row.lifecycle.initial!r}",
        )
    else:
        row.fields["status"] = status


def _read_rag(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    rag = read_rag(v) or reader.table.sheet.fills.get((row.r, column.index))
    if rag is None:
        reader.keep(row, column.header, v, f"{as_text(v)!r} is not red, amber or green")
    else:
        row.fields["rag"] = rag


def _read_vocabulary(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    words = reader.profile.vocabulary(_VOCAB[target])
    if not words:
        row.fields[target] = clean_text(v)[0]
        return
    word = read_vocabulary(v, words, _VOCAB[target])
    if word is None:
        reader.keep(row, column.header, v, f"{as_text(v)!r} is not in the profile's {target} list")
        return
    row.fields[target] = word
    if word.casefold() != as_text(v).casefold():
        row.extra[column.header] = extra_value(v)


def _read_progress(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    percent, why = read_progress(v)
    if percent is None:
        reader.keep(row, column.header, v, why)
    else:
        row.fields["progress"] = percent


def _read_money(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    amount = _money(v)
    if amount is None:
        reader.keep(row, column.header, v, "not an amount")
    else:
        row.fields["cost_exposure"] = amount


def _read_list(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    text = clean_text(v)[0]
    pieces = tuple(
        p.strip() for p in re.split(r"[;,\n]" if target == "tags" else r"\n", text) if p.strip()
    )
    # Repeated "Labels" columns (as Jira exports them) add to one list.
    known = row.fields.get(target, ())
    row.fields[target] = known + tuple(p for p in pieces if p not in known)


def _read_direction(
    reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object
) -> None:
    word = as_text(v).casefold()
    if word in ("inbound", "in", "incoming", "we need", "from"):
        row.fields["direction"] = "inbound"
    elif word in ("outbound", "out", "outgoing", "we provide", "to"):
        row.fields["direction"] = "outbound"
    else:
        reader.keep(row, column.header, v, "direction is not inbound or outbound")


def _read_other(reader: RowReader, row: _Row, column: MappedColumn, target: str, v: object) -> None:
    reader.keep(row, column.header, v, None)


#: One reader per field type (see :func:`field_type`).
CELL_READERS: dict[str, CellReader] = {
    "title": _read_title,
    "long text": _read_long_text,
    "short text": _read_short_text,
    "person": _read_person,
    "date": _read_date,
    "level": _read_level,
    "score": _read_score,
    "status": _read_status,
    "rag": _read_rag,
    "vocabulary": _read_vocabulary,
    "progress": _read_progress,
    "money": _read_money,
    "list": _read_list,
    "direction": _read_direction,
    "other": _read_other,
}


def _money(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    match = _MONEY.match(as_text(value))
    if match is None:
        return None
    number = float(match.group(1).replace(",", ""))
    return number * {"k": 1e3, "m": 1e6}.get(match.group(2).lower(), 1)


def _section(values: Sequence[object]) -> str | None:
    """The kind a lone heading row names ("RISKS", "Open Actions"), if it is one."""
    lone: object = None
    for value in values:
        if not is_blank(value):
            if lone is not None:
                return None  # a second filled cell: most rows stop here
            lone = value
    if not isinstance(lone, str) or len(lone) > 40:
        return None
    words = [w for w in normalise(lone).split(" ") if w not in HEADING_WORDS]
    if len(words) != 1 or len(words[0]) < 4:
        return None
    return KIND_WORDS.get(words[0])


#: Field types whose reading of a cell depends on its value (and the row's kind) only: a
#: row reader reads each value of such a column once. A RAG also reads the cell's fill, a
#: list adds to what the row has, a score waits for the row's levels.
_VALUE_ONLY = frozenset(CELL_READERS) - {"rag", "list", "score"}

#: Distinct values of a column past which a row reader stops remembering their
#: :class:`~raidlog.migrate.tables.CellFacts`: owners, statuses and levels repeat within
#: the first rows; ids and titles never repeat, and are worked out cell by cell.
_FACTS_KEPT = 4096


def _facts_by_column(headers: Sequence[str], ref_col: int | None) -> FactsOf:
    """``facts(position, value)`` for the rows of one table, worked out once per column
    and value (a value's type is part of its key: ``1.0``, ``1`` and ``True`` are equal
    but read differently); ``ref_col`` is the position of the id column, if any."""
    kept: list[dict[tuple[type, object], CellFacts] | None] = [{} for _ in headers]

    def facts(position: int, value: object) -> CellFacts:
        memo = kept[position]
        if memo is None:  # a column of ids or titles: nothing to remember
            return cell_facts(value, headers[position], id_column=position == ref_col)
        key = (type(value), value)
        found = memo.get(key)
        if found is None:
            found = memo[key] = cell_facts(value, headers[position], id_column=position == ref_col)
            if len(memo) >= _FACTS_KEPT:
                kept[position] = None
        return found

    return facts


#: What :func:`_row_sums` counts in a row, each count in its own 20 bits of one number (a
#: sheet has at most 16,384 columns): filled cells, cells that are not plain
#: (:func:`~raidlog.migrate.tables.is_plain`), filled cells of title columns (the id
#: column left out) and cells holding their column's header text again.
_FILLED, _ODD, _TITLED, _HEADED = 1, 1 << 20, 1 << 40, 1 << 60
_COUNT = (1 << 20) - 1


def _row_sums(
    height: int,
    columns: Sequence[Sequence[object]],
    facts: FactsOf,
    titled: frozenset[int],
    header_texts: Sequence[str],
    plain: Callable[[int, str], bool] | None = None,
) -> list[int]:
    """Per data row, what :data:`_FILLED`, :data:`_ODD`, :data:`_TITLED` and
    :data:`_HEADED` count in it, worked out column by column: each column's cells are
    coded once per distinct value (ids and titles cell by cell), and the codes are added
    up row by row in one pass a column; ``height`` is the number of rows. ``plain(position,
    text)`` says ``is_plain(facts(position, text))`` without building the facts, for the
    texts of a column past :data:`_FACTS_KEPT` distinct values."""
    sums: list[int] = [0] * height
    for position, values in enumerate(columns):
        header = header_texts[position]
        in_title = position in titled
        # A column of texts only (most columns), with few distinct ones: coded once each,
        # then looked up in C; the loop below does the same for any other column.
        distinct = dict.fromkeys(values) if set(map(type, values)) == {str} else None
        if distinct is not None and len(distinct) <= _FACTS_KEPT:
            coding = {text: _code(text, position, facts, in_title, header) for text in distinct}
            sums = list(map(operator.add, sums, map(coding.__getitem__, values)))
            continue
        memo: dict[object, int] = {}  # keyed as RowReader._draft keys its readings
        codes: list[int] = []
        for value in values:
            key = value if type(value) is str else (type(value), value)
            code = memo.get(key)
            if code is None:
                if (
                    plain is not None
                    and type(value) is str
                    and len(memo) >= _FACTS_KEPT
                    and value.strip()
                ):
                    # A column of ids or titles: most rows ask nothing more of its cells.
                    code = _FILLED if plain(position, value) else _FILLED + _ODD
                    if in_title:
                        code += _TITLED
                    if header and value.strip() == header:
                        code += _HEADED
                else:
                    code = _code(value, position, facts, in_title, header)
                if len(memo) < _FACTS_KEPT:
                    memo[key] = code
            codes.append(code)
        sums = list(map(operator.add, sums, codes))
    return sums


def _code(value: object, position: int, facts: FactsOf, in_title: bool, header: str) -> int:
    """What :func:`_row_sums` counts of one cell at ``position`` (0 for a blank one), from
    its :class:`~raidlog.migrate.tables.CellFacts`."""
    if value == "" or value is None or (type(value) is str and not value.strip()):
        return 0
    found = facts(position, value)
    code = _FILLED
    if not is_plain(found):
        code += _ODD
    if in_title:
        code += _TITLED
    if header and found.text == header:
        code += _HEADED
    return code


#: How a row reader reads the cells of a column (see ``RowReader._plan``).
_SKIP, _KEEP, _BY_VALUE, _BY_CELL = range(4)
#: A kind's plan: (position, column, target, way) of each cell to look at, the fields
#: the columns give, the kind's lifecycle.
_Plan = tuple[list[tuple[int, MappedColumn, str | None, int]], frozenset[str], Lifecycle]


# the row reader --------------------------------------------------------------------------------
class RowReader:
    """Reads every row of one mapped table into drafts, recording what it skipped."""

    def __init__(
        self,
        table: Table,
        mapping: MappedTable,
        values: dict[int, list[object]],
        profile: Profile,
        report: TableReport,
    ) -> None:
        self.table = table
        self.mapping = mapping
        self.values = values
        self.profile = profile
        self.report = report
        self.notes = report.notes
        self.section: str | None = None
        #: Per kind: each position's target, how its cells are read, the fields mapped.
        self._plans: dict[str, _Plan] = {}
        self._statuses: dict[tuple[str, object], str | None] = {}
        #: Per kind and column position, each value's reading; None for a column read
        #: cell by cell (its field type reads more than the value, or its values vary).
        #: A text value is its own key, any other is keyed with its type.
        self._readings: dict[str, dict[int, dict[object, _Reading] | None]] = {}
        name = table.sheet.name
        self._closed_sheet = closed_sheet(name)
        #: The column whose fill colour gives a row's RAG when no cell does.
        self._rag_column = mapping.colour_column
        if self._rag_column is None:
            rag = mapping.by_key("rag")
            self._rag_column = rag.index if rag is not None else None

    def flag(self, row: int, column: str, reason: str) -> None:
        """Note a cell kept as written or changed on the way (``row`` 0-based)."""
        self.report.flagged.append(
            RowNote(sheet=self.table.sheet.name, row=row + 1, column=column, reason=reason)
        )

    def keep(self, row: _Row, header: str, value: object, reason: str | None) -> None:
        """Keep ``value`` as written in ``extra`` under its header; flag why, if a reason."""
        row.extra[header] = extra_value(value)
        if reason:
            self.flag(row.r, header, reason + "; kept as written in extra")

    def status(self, kind: str, value: object) -> str | None:
        """The lifecycle status ``value`` names for ``kind`` (worked out once per value)."""
        memo = (kind, value)
        status = self._statuses.get(memo, "")
        if status == "":
            status = self._statuses[memo] = read_status(value, self.profile.lifecycle(kind))
        return status

    def _skip(self, r: int, reason: str) -> None:
        self.report.skipped.append(RowNote(sheet=self.table.sheet.name, row=r + 1, reason=reason))

    def read(self) -> list[Draft]:
        """Every item of the table, in row order."""
        table = self.table
        mapping = self.mapping
        sheet = table.sheet
        rows = sheet.rows
        first, last = table.first_col, table.last_col
        width = last - first + 1
        keyed = {c.index - first: c for c in mapping.columns}
        title_cols = [
            c.index - first for c in mapping.columns if c.key in TITLE_KEYS or c.key in LONG_TEXT
        ]
        ref_column = mapping.by_key("ref")
        ref_col = ref_column.index - first if ref_column is not None else None
        # When (nearly) every row has an id, a row without one and without a title
        # continues the item above it (text wrapped onto a second row).
        title_column = mapping.by_key("title")
        numbered = False
        if ref_column is not None:
            ids = self.values[ref_column.index]
            filled_rows = sum(1 for v in ids if not is_blank(v))
            # Without a title column a row lacking an id may be an item of its own: be strict.
            share = 0.5 if title_column is not None else 0.8
            numbered = filled_rows >= 3 and filled_rows >= share * sum(
                1 for r in range(table.data_start, table.data_end) if any(rows[r])
            )
        last_row = -2
        formulas = sheet.formulas
        seen: dict[tuple[object, ...], int] = {}
        header_row = rows[table.header_rows[-1]]
        header_texts = [
            as_text(header_row[c]) if c < len(header_row) else "" for c in range(first, last + 1)
        ]
        # A row holding most of the header's texts again is the header repeated.
        headed = [(p, h) for p, h in enumerate(header_texts) if h]
        repeats_header = max(2, 0.6 * len(headed))
        headers = [keyed[p].header if p in keyed else "" for p in range(width)]
        facts = _facts_by_column(headers, ref_col)

        def plain(position: int, text: str) -> bool:
            return is_plain_text(text, headers[position], id_column=position == ref_col)

        span = range(table.data_start, table.data_end)
        # Each row's counts, column by column: a row of plain cells with a title is an
        # item without asking row_problem, and a blank row is passed over at once.
        sums = _row_sums(
            len(span),
            [self._column(p + first, span) for p in range(width)],
            facts,
            frozenset(p for p in title_cols if p != ref_col),
            header_texts,
            plain,
        )
        formula_at: dict[int, set[int]] = {}
        for fr, fc in formulas:
            if first <= fc <= last and fr in span:
                formula_at.setdefault(fr, set()).add(fc - first)
        no_formulas: frozenset[int] = frozenset()
        drafts: list[Draft] = []
        report = self.report
        for offset, r in enumerate(span):
            counts = sums[offset]
            if not counts:
                continue  # blank (row_problem's "blank")
            raw = rows[r]
            values = raw[first : last + 1]
            if len(values) < width:
                values = [*values, *([""] * (width - len(values)))]
            at = formula_at.get(r)
            formula_cols = frozenset(at) if at else no_formulas
            if header_texts and counts >> 60 >= repeats_header:
                report.rows_read += 1
                self._skip(r, "the header row repeated")
                continue
            if not (counts >> 20) & _COUNT and (counts >> 40) & _COUNT:
                problem = None  # what row_problem says of a row of plain cells with a title
            else:
                problem = row_problem(
                    values,
                    title_cols=title_cols,
                    ref_col=ref_col,
                    formula_cols=formula_cols,
                    offset=offset,
                    headers=headers,
                    facts=facts,
                )
            if problem == "blank":
                continue
            report.rows_read += 1
            section = (
                _section(values) if mapping.kind_column is None and counts & _COUNT == 1 else None
            )
            if section is not None:
                self.section = section
                self._skip(r, f"section heading: the rows below are {section} items")
                continue
            if (
                numbered
                and problem in (None, "no title or description")
                and drafts
                and last_row == r - 1
                and is_blank(values[ref_col])  # type: ignore[index]  # numbered implies a ref column
                and (title_column is None or is_blank(values[title_column.index - first]))
            ):
                self._continue(drafts[-1], r, values, keyed)
                last_row = r
                continue
            if problem is not None:
                self._skip(r, problem)
                continue
            identity = tuple(values)
            if identity in seen:
                self._skip(r, f"exact duplicate of row {seen[identity]}")
                continue
            seen[identity] = r + 1
            draft = self._draft(r, values, keyed, formula_cols)
            if draft is not None:
                drafts.append(draft)
                last_row = r
        if r_hidden := len(sheet.hidden_rows & set(range(table.data_start, table.data_end))):
            self.notes.append(f"{r_hidden} hidden row(s) imported like the others")
        return drafts

    def _continue(
        self, draft: Draft, r: int, values: Sequence[object], keyed: dict[int, MappedColumn]
    ) -> None:
        """Add a continuation row's text to the item above it, field by field."""
        for position, value in enumerate(values):
            if is_blank(value):
                continue
            column = keyed[position]
            text = clean_text(value)[0]
            target = attribute(draft.kind, column.key) if column.key is not None else None
            if target in LONG_TEXT or target == "title":
                current = draft.fields.get(target)
                draft.fields[target] = f"{current}\n{text}" if current else text
            else:
                current_extra = draft.extra.get(column.header)
                draft.extra[column.header] = (
                    f"{current_extra}\n{text}" if current_extra not in (None, "") else text
                )
        self._skip(r, f"continues row {draft.row}: its text was added to that item")

    def _kind(self, r: int, values: Sequence[object]) -> str:
        """The row's kind: its type column's word, else the section's, else the table's."""
        kind = self.section or self.mapping.kind
        column = self.mapping.kind_column
        if column is None:
            return kind
        cell = values[column.index - self.table.first_col]
        if is_blank(cell):
            return kind
        named = kind_of_word(as_text(cell))
        if named is None:
            self.flag(r, column.header, f"type {as_text(cell)!r} is not a kind: read as {kind}")
        return named or kind

    def _column(self, index: int, span: range) -> Sequence[object]:
        """The data values of the sheet's column ``index`` over the rows ``span``."""
        given = self.values.get(index)
        if given is not None and len(given) == len(span):
            return given
        rows = self.table.sheet.rows
        return [rows[r][index] if index < len(rows[r]) else "" for r in span]

    def _plan(self, kind: str, keyed: dict[int, MappedColumn]) -> _Plan:
        """How a row of ``kind`` reads each position (column, target, way), and the
        fields the columns give; the per-value readings of the kind start empty."""
        targets = {
            p: (attribute(kind, c.key) if c.key is not None else None) for p, c in keyed.items()
        }
        self._readings[kind] = {
            p: {} if t is not None and field_type(t) in _VALUE_ONLY else None
            for p, t in targets.items()
        }
        steps: list[tuple[int, MappedColumn, str | None, int]] = []
        for position in sorted(keyed):
            column, target = keyed[position], targets[position]
            if column.key == "kind":
                way = _SKIP
            elif column.key in ("ref", "links"):
                way = _BY_CELL
            elif target is None:
                way = _KEEP
            elif self._readings[kind][position] is not None:
                way = _BY_VALUE
            else:
                way = _BY_CELL
            if way != _SKIP or self.table.sheet.formulas:  # a skipped cell may hold a formula
                steps.append((position, column, target, way))
        mapped = frozenset(t for t in targets.values() if t is not None)
        return steps, mapped, self.profile.lifecycle(kind)

    def _draft(
        self,
        r: int,
        values: Sequence[object],
        keyed: dict[int, MappedColumn],
        formula_cols: frozenset[int],
    ) -> Draft | None:
        kind = self._kind(r, values)
        plan = self._plans.get(kind)
        if plan is None:
            plan = self._plans[kind] = self._plan(kind, keyed)
        steps, mapped, lifecycle = plan
        readings = self._readings[kind]
        row = _Row(r=r, kind=kind, lifecycle=lifecycle)
        fields, extra = row.fields, row.extra
        for position, column, target, way in steps:
            value = values[position]
            # A text is its own key (no other value equals it); other values are told
            # apart by type too: 1.0, 1 and True are equal but read differently.
            if type(value) is str:
                blank = not value.strip()
                cell: object = value
            else:
                blank = value is None or value == ""
                cell = (type(value), value)
            if blank:
                if position in formula_cols:
                    self.flag(r, column.header, "formula without a saved value: read as empty")
                continue
            if way == _BY_VALUE:
                kept = readings[position]
                if kept is not None:
                    reading = kept.get(cell)
                    if reading is None:
                        assert target is not None  # a column read by value has a target
                        reading = kept[cell] = self._reading(row, column, target, value)
                        # Past this many values the column is one of ids or free text:
                        # read on cell by cell.
                        if len(kept) >= _FACTS_KEPT:
                            readings[position] = None
                    if reading.nothing:
                        continue
                    if target in fields:
                        extra[column.header] = extra_value(value)
                        continue
                    only = reading.only
                    if only is not None:  # what the update below would do, the common case
                        fields[target] = only[0]  # type: ignore[index]  # read by value: a target
                        continue
                    fields.update(reading.fields)
                    if reading.extra:
                        extra.update(reading.extra)
                    for header, reason in reading.notes:
                        self.flag(r, header, reason)
                    continue
            elif way == _KEEP:
                extra[column.header] = extra_value(value)
                continue
            elif way == _SKIP:
                continue
            self._cell(row, column, target, value, readings, position)
        self._rag_from_colour(r, fields)
        if row.raw_scores:  # without a score cell, _scores has nothing to check
            self._scores(row)
        self._dates_in_order(row)
        if not self._title(r, fields, extra):
            self._skip(r, "no title or description")
            return None
        if "status" not in fields and not self.mapping.has_status:
            self._status_without_column(kind, fields)
        if "closed_on" in fields:
            # The dates the lifecycle fills when an item enters its status (an action
            # done is completed on its closing date), unless the file gives them.
            for name in on_enter_dated(self.profile, kind, fields.get("status")):
                fields.setdefault(name, fields["closed_on"])
        sheet = self.table.sheet.name
        if row.source_ref:
            extra[SOURCE_REF] = row.source_ref
            key = (kind, "ref", row.source_ref)
        else:
            extra[SOURCE_ROW] = f"{sheet}!{r + 1}"
            key = (kind, "row", f"{sheet}!{r + 1}")
        return Draft(
            kind=kind,
            fields=fields,
            extra=extra,
            sheet=sheet,
            row=r + 1,
            key=key,
            report=self.report,
            links=row.links,
            mapped=mapped,
        )

    def _cell(
        self,
        row: _Row,
        column: MappedColumn,
        target: str | None,
        value: object,
        readings: dict[int, dict[object, _Reading] | None],
        position: int,
    ) -> None:
        """Read one non-blank cell into ``row``; ``readings[position]`` keeps what the
        column's values were read as (``None``: the column is read cell by cell)."""
        key = column.key
        if key == "kind":
            return
        if key == "ref":
            row.source_ref = clean_text(value)[0]
            if isinstance(value, float) and abs(value) >= 2**53:
                self.flag(row.r, column.header, "a long number id lost digits in the file itself")
            return
        if key == "links":
            self.keep(row, column.header, value, None)  # typed links are added when resolved
            row.links.append((column.header, clean_text(value)[0]))
            return
        if target is None:
            self.keep(row, column.header, value, None)
            return
        kept = readings[position]
        if kept is None:
            if (
                isinstance(value, str)
                and value.strip().casefold() in NULL_WORDS
                and target != "title"
            ):
                return
            if target in row.fields and target != "tags":
                self.keep(row, column.header, value, None)
                return
            CELL_READERS[field_type(target)](self, row, column, target, value)
            return
        cell = value if type(value) is str else (type(value), value)  # keyed as _draft keys
        reading = kept.get(cell)
        if reading is None:
            reading = kept[cell] = self._reading(row, column, target, value)
            # Past this many values the column is one of ids or free text: read on cell by cell.
            if len(kept) >= _FACTS_KEPT:
                readings[position] = None
        if reading.nothing:
            return
        if target in row.fields:
            self.keep(row, column.header, value, None)
            return
        row.fields.update(reading.fields)
        row.extra.update(reading.extra)
        for header, reason in reading.notes:
            self.flag(row.r, header, reason)

    def _reading(self, row: _Row, column: MappedColumn, target: str, value: object) -> _Reading:
        """What the cell reader makes of ``value`` in ``column`` for a row of ``row.kind``,
        read once into a blank row and kept, to be given to every row holding it."""
        if isinstance(value, str) and value.strip().casefold() in NULL_WORDS and target != "title":
            return _Reading(nothing=True)
        blank = _Row(r=row.r, kind=row.kind, lifecycle=row.lifecycle)
        flagged = self.report.flagged
        before = len(flagged)
        CELL_READERS[field_type(target)](self, blank, column, target, value)
        notes = tuple((str(n.column), n.reason) for n in flagged[before:])
        del flagged[before:]
        found = blank.fields
        only = (
            (found[target],)
            if not notes and not blank.extra and len(found) == 1 and target in found
            else None
        )
        return _Reading(nothing=False, fields=found, extra=blank.extra, notes=notes, only=only)

    def _rag_from_colour(self, r: int, fields: dict[str, Any]) -> None:
        rag_column = self._rag_column
        if rag_column is not None and "rag" not in fields:
            colour = self.table.sheet.fills.get((r, rag_column))
            if colour is not None:
                fields["rag"] = colour
        if "rag" in fields:
            fields["rag_manual"] = True

    def _status_without_column(self, kind: str, fields: dict[str, Any]) -> None:
        """With no status column: a closing date, or a sheet named for closed items
        ("Closed Risks", "Completed Actions", "Archive"), closes the item, and a row that
        holds what entering a status sets (the lifecycle's ``on_enter``: an action 100%
        complete is done) is in that status. The table's notes say which rule applied."""
        status: str | None = None
        if "closed_on" in fields or "completed_on" in fields:
            why = "items with a closing date are"
        elif self._closed_sheet:
            why = "the sheet's name says its items are"
        elif (status := implied_status(self.profile, kind, fields)) is not None:
            values = self.profile.lifecycle(kind).on_enter[status].values
            said = ", ".join(f"{v}%" if k == "progress" else f"{k} {v}" for k, v in values.items())
            why = f"{kind}s at {said} are"
        else:
            return
        if status is None:
            status = self.status(kind, "done" if kind == "action" else "closed")
        if status is None:
            return
        fields["status"] = status
        note = f"no status column: {why} {status!r}"
        if note not in self.notes:
            self.notes.append(note)

    def _scores(self, row: _Row) -> None:
        matrix = self.profile.matrix
        fields, extra, r = row.fields, row.extra, row.r
        for prefix in ("inherent_", "", "residual_", "target_"):
            p, i = fields.get(prefix + "probability"), fields.get(prefix + "impact")
            found = row.raw_scores.get(prefix + "score")
            if (p is None) != (i is None):
                # The register refuses a score with half an assessment: keep the half as text.
                name = prefix + ("impact" if i is None else "probability")
                if found is not None:
                    extra[found[0]] = extra_value(found[1])
                    self.flag(r, found[0], f"score without {name}: kept as written in extra")
                continue
            if found is None:
                continue
            header, value = found
            number = (
                value if isinstance(value, int | float) and not isinstance(value, bool) else None
            )
            if p is not None and i is not None:
                derived = matrix.score(p, i)
                if number is None or number != derived:
                    extra[header] = extra_value(value)
                    self.flag(
                        r,
                        header,
                        f"score {as_text(value)} differs from the matrix ({derived}); "
                        "kept in extra",
                    )
            elif (
                number is not None
                and float(number).is_integer()
                and 0 <= number <= matrix.max_score
            ):
                fields[prefix + "score"] = int(number)
            else:
                extra[header] = extra_value(value)
                self.flag(
                    r, header, f"{as_text(value)!r} is not a score of this matrix; kept in extra"
                )

    def _dates_in_order(self, row: _Row) -> None:
        fields, extra = row.fields, row.extra
        raised = fields.get("raised_on")
        if raised is None:
            return
        for name in ("due", "closed_on", "completed_on"):
            value = fields.get(name)
            if isinstance(value, date) and value < raised:
                del fields[name]
                column = self.mapping.by_key(name)
                header = column.header if column is not None else name
                extra[header] = value.isoformat()
                self.flag(
                    row.r,
                    header,
                    f"{name} {value.isoformat()} is before the raised date "
                    f"{raised.isoformat()}; kept in extra",
                )

    def _title(self, r: int, fields: dict[str, Any], extra: dict[str, ExtraValue]) -> bool:
        """Set the title, from the title column or the first text that can give one, cut to
        :data:`TITLE_MAX` at a word; ``False`` when the row has no text to name it."""
        title = fields.get("title", "")
        source = "title"
        if not title.strip():
            for name in TITLE_SOURCES[1:]:
                if str(fields.get(name, "")).strip():
                    title, source = fields[name], name
                    break
            else:
                return False
            if self.mapping.has_title:
                self.flag(r, source, f"no title: the {source} gives it")
        title = title.strip()
        if len(title) > TITLE_MAX:
            full = fields.get("title", "")
            if source == "title" and not fields.get("description"):
                fields["description"] = full
                where = "the description"
            elif source == "title":
                extra["title (full)"] = full
                where = "extra"
            else:
                where = f"the {source}"
            self.flag(
                r,
                source,
                f"title longer than {TITLE_MAX} characters: shortened; the full text is in {where}",
            )
            title = cut_title(title)
        fields["title"] = title
        return True


def cut_title(text: str) -> str:
    """``text`` shortened to :data:`TITLE_MAX` characters at a word, with an ellipsis."""
    text = text.strip()
    if len(text) <= TITLE_MAX:
        return text
    cut = text[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") or text[: TITLE_MAX - 1]
    return cut + "…"


def read_list(found: LineList, report: TableReport) -> list[Draft]:
    """Each line of a list under section headings as an item of the list's kind, its
    heading kept as a tag; the title line and the headings are skipped with why."""
    sheet = found.sheet.name
    if found.title_row is not None:
        report.skipped.append(
            RowNote(sheet=sheet, row=found.title_row + 1, reason="the sheet's title line")
        )
    for r, heading in found.headings.items():
        named = heading_kind(heading)
        reason = (
            f"section heading: the lines below are {named} items"
            if named is not None
            else f"section heading: the lines below are tagged {heading!r}"
        )
        report.skipped.append(RowNote(sheet=sheet, row=r + 1, reason=reason))
    drafts: list[Draft] = []
    heads = sorted(found.headings)
    for r, line in found.lines:
        report.rows_read += 1
        text, cleaned = clean_text(line)
        fields: dict[str, Any] = {"title": cut_title(text)}
        above = [h for h in heads if h < r]
        kind = found.kind
        if above:
            heading = found.headings[above[-1]]
            named = heading_kind(heading)
            if named is not None:
                kind = named  # "Issues": the lines below are issues
            else:
                fields["tags"] = (heading,)
        if fields["title"] != text:
            fields["description"] = text
            report.flagged.append(
                RowNote(
                    sheet=sheet,
                    row=r + 1,
                    reason=f"title longer than {TITLE_MAX} characters: shortened; the full "
                    "text is in the description",
                )
            )
        if cleaned:
            report.flagged.append(
                RowNote(sheet=sheet, row=r + 1, reason="control characters removed")
            )
        where = f"{sheet}!{r + 1}"
        drafts.append(
            Draft(
                kind=kind,
                fields=fields,
                extra={SOURCE_ROW: where},
                sheet=sheet,
                row=r + 1,
                key=(kind, "row", where),
                report=report,
                mapped=frozenset(fields),
            )
        )
    report.skipped.sort(key=lambda note: note.row)
    return drafts
