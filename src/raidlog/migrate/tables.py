"""Finding register tables on a sheet: header rows, column spans, kinds and non-item rows.

Nothing here is tuned to one file: header rows are found by scoring rows against the
synonym table (:mod:`raidlog.migrate.headers`), tables end where the next header row
starts, and rows are classified by what they hold.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

import attrs

from raidlog.migrate.headers import KIND_WORDS, candidates, kind_of_word, normalise
from raidlog.migrate.sandbox import Sheet
from raidlog.migrate.values import as_text, is_blank

__all__ = [
    "CellFacts",
    "Column",
    "FactsOf",
    "LineList",
    "Table",
    "cell_facts",
    "column_letter",
    "decide_kind",
    "fill_merged_down",
    "find_kind_column",
    "find_list",
    "find_tables",
    "heading_kind",
    "is_plain",
    "is_plain_text",
    "looks_like_register",
    "row_problem",
    "why_no_table",
    "why_table",
]

#: Rows scanned for the first header (title blocks and instructions sit above it).
HEADER_SCAN = 60
TITLE_KEYS = frozenset({"title", "description"})
#: Columns whose text can name an item when there is no title (a risk register may only
#: have "Risk Event"; a decision log only "Decision").
NAMING_KEYS = TITLE_KEYS | {"event", "decision"}
#: Text columns that can give an item its title when the table has no naming column
#: ("Actions" in an action log is read as a response; "Resolution" in an issue log).
TEXT_KEYS = NAMING_KEYS | {"cause", "effect", "response", "resolution", "rationale"}
#: Headers of the column saying what each item is, in exports with no title column
#: (Monday.com's and Asana's "Name").
NAMING_HEADERS = frozenset({"name", "item name", "task name", "entry", "statement", "text"})


def names_a_kind(header: str) -> bool:
    """Whether a header names a kind ("Decisions", "Agreed action", "Risk"): a text
    column holding the items themselves, in a table with no title column."""
    return any(KIND_WORDS.get(w) and len(w) > 2 for w in normalise(header).split(" "))


def names_the_item(header: str) -> bool:
    """Whether a header names the item without naming a field ("Name", "Statement")."""
    return normalise(header) in NAMING_HEADERS


_KIND_HINTS: dict[str, str] = {
    "probability": "risk",
    "impact": "risk",
    "score": "risk",
    "cause": "risk",
    "event": "risk",
    "effect": "risk",
    "proximity": "risk",
    "response": "risk",
    "response_category": "risk",
    "cost_exposure": "risk",
    "actionee": "risk",
    "inherent_probability": "risk",
    "inherent_impact": "risk",
    "inherent_score": "risk",
    "residual_probability": "risk",
    "residual_impact": "risk",
    "residual_score": "risk",
    "target_probability": "risk",
    "target_impact": "risk",
    "target_score": "risk",
    "issue_type": "issue",
    "resolution": "issue",
    "severity": "issue",
    "progress": "action",
    "completed_on": "action",
    "assignee": "action",
    "decision": "decision",
    "rationale": "decision",
    "decided_by": "decision",
    "decided_on": "decision",
    "options_considered": "decision",
    "validation": "assumption",
    "validated_on": "assumption",
    "counterparty": "dependency",
    "direction": "dependency",
}
_HINT_START = re.compile(
    r"^\s*(select|e\.?g\b|eg[:.]|example\s*:|enter\b|insert\b|type\s+(in|here|the)|describe\b|"
    r"please\b|choose\b|use this|add (your|a|the)\b|click\b|drop ?down|mandatory|optional|"
    r"free text|pick\b|\(e\.?g|\[e\.?g|list\b|provide\b|state\b|include\b|date format|"
    r"dd/mm|mm/dd|yyyy|name of\b|who is\b|what is\b|how\b|brief\b)",
    re.IGNORECASE,
)
_EXAMPLE = frozenset({"example", "e.g.", "eg", "e.g", "sample", "example row"})
_TOTAL = re.compile(r"^\s*(grand\s+)?(total|totals|sub-?total|sum|count|average)\b", re.IGNORECASE)
_LEGEND = re.compile(
    r"^\s*(key\s*[:\-]|legend|notes?\s*:|\*|source\s*:|last updated|rag key|scoring|version\b|"
    r"prepared by|document|template|guidance|instructions?)",
    re.IGNORECASE,
)


def column_letter(index: int) -> str:
    """``0`` -> ``"A"``, ``27`` -> ``"AB"``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@attrs.define(kw_only=True)
class Column:
    """A table column: its position, header as written, and the concept it maps to."""

    index: int
    header: str
    choices: list[tuple[str, float]]
    key: str | None = None
    note: str | None = None
    forced: bool = False


@attrs.define(kw_only=True)
class Table:
    """A table: header row(s), the data rows below, its columns and kind."""

    sheet: Sheet
    header_rows: tuple[int, ...]
    first_col: int
    last_col: int
    data_start: int
    data_end: int
    columns: list[Column]
    kind: str = "risk"
    kind_reason: str = ""
    kind_column: Column | None = None
    #: Where the table before this one on the sheet ends (its title block starts below).
    floor: int = 0
    #: (source, kind, weight) of each vote on the kind, as :func:`decide_kind` counted them.
    kind_votes: tuple[tuple[str, str, float, str], ...] = ()

    @property
    def range(self) -> str:
        """The table's cells in A1 notation."""
        return (
            f"{column_letter(self.first_col)}{self.header_rows[0] + 1}:"
            f"{column_letter(self.last_col)}{max(self.data_end, self.data_start)}"
        )

    def by_key(self, key: str) -> Column | None:
        """The column mapped to ``key``, if any."""
        return next((c for c in self.columns if c.key == key), None)


def fill_merged_down(table: Table) -> int:
    """Give each item under a cell merged down over several items ("Technical" over
    three risks) the merged value; returns how many cells were filled.

    A row takes the value only when it names an item of its own (an id or a title in
    another column): one item written over several rows, its id and title merged down
    the rows beside its second and third mitigation lines, stays one item. Merges in
    the header are left alone."""
    rows = table.sheet.rows
    naming = [c.index for c in table.columns if c.choices and c.choices[0][0] in ("ref", "title")]
    filled = 0
    for r0, c0, r1, _ in table.sheet.merged:
        if r1 <= r0 or not table.data_start <= r0 < table.data_end:
            continue
        if not table.first_col <= c0 <= table.last_col or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if is_blank(value):
            continue
        for r in range(r0 + 1, min(r1 + 1, table.data_end)):
            row = rows[r]
            if not any(c != c0 and c < len(row) and not is_blank(row[c]) for c in naming):
                continue
            if len(row) <= c0:
                row.extend([""] * (c0 + 1 - len(row)))
            if is_blank(row[c0]):
                row[c0] = value
                filled += 1
    return filled


def _cell(rows: Sequence[Sequence[object]], r: int, c: int) -> object:
    if r >= len(rows):
        return ""
    row = rows[r]
    return row[c] if c < len(row) else ""


def _header_score(row: Sequence[object]) -> tuple[float, int, bool, int, int]:
    """(score, matched, has title, texts, non-text values) of a row read as a header."""
    score = 0.0
    matched = texts = others = 0
    title = False
    for value in row:
        if is_blank(value):
            continue
        if not isinstance(value, str):
            others += 1
            continue
        texts += 1
        if len(value) > 80:
            continue
        found = candidates(value)
        if found:
            confidence = found[0][1]
            matched += 1
            score += confidence
            title = title or any(k in TEXT_KEYS for k, _ in found)
        title = title or (len(value) <= 40 and (names_a_kind(value) or names_the_item(value)))
    return score, matched, title, texts, others


def _is_header(row: Sequence[object], *, strict: bool) -> float:
    score, matched, title, texts, others = _header_score(row)
    need = 3 if strict else 2
    if matched < need or not title or others > 1 or matched < 0.34 * texts:
        return 0.0
    return score


def find_tables(sheet: Sheet, *, header_row: int | None = None) -> tuple[list[Table], list[str]]:
    """Every register table on ``sheet`` and notes on what was left aside.

    ``header_row`` (0-based) forces the header of the first table (from a mapping file).
    """
    rows = sheet.rows
    notes: list[str] = []
    starts: list[int] = []
    if header_row is not None:
        starts.append(header_row)
    else:
        best, best_row = 0.0, None
        for r in range(min(HEADER_SCAN, len(rows))):
            score = _is_header(rows[r], strict=False)
            if score > best:
                best, best_row = score, r
        if best_row is None:
            return [], notes
        starts.append(best_row)
    # Further tables: a strong header row after a blank row (several tables on a sheet).
    previous_blank = False
    # A group title on its own line after a blank row, then the header ("Closed" above
    # the second table of a Monday.com export).
    titled = False
    for r in range(len(rows)):
        blank = _blank_row(rows[r])
        if (
            (previous_blank or titled or r == 0)
            and not blank
            and r not in starts
            and _is_header(rows[r], strict=True)
        ):
            starts.append(r)
        titled = previous_blank and sum(1 for v in rows[r] if not is_blank(v)) == 1
        previous_blank = blank
    starts.sort()
    tables: list[Table] = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(rows)
        if tables and start < tables[-1].data_start:
            continue  # a second header row of a two-row header already taken
        found = _table_at(sheet, start, end, notes, forced=start == header_row)
        for table in found:
            table.floor = tables[-1].data_end if tables else 0
        tables.extend(found)
    return tables, notes


def _blank_row(row: Sequence[object]) -> bool:
    """Whether every cell of ``row`` is blank (:func:`is_blank`)."""
    first = row[0] if row else None
    if type(first) is str and first.strip():
        return False  # most rows of a sheet: a filled text first, answered at once
    return not any(not is_blank(v) for v in row)


def _blocks(rows: Sequence[Sequence[object]], header: int, end: int) -> list[tuple[int, int]]:
    """Column spans of the header row; a blank header cell splits them unless its column
    holds data next to a headed column (an unlabelled column is still imported)."""
    width = max((len(rows[r]) for r in range(header, min(end, header + 40))), default=0)
    headed = [not is_blank(_cell(rows, header, c)) for c in range(width)]
    used: list[bool] = []
    for c in range(width):
        if headed[c]:
            used.append(True)
            continue
        below = any(
            not is_blank(_cell(rows, r, c)) for r in range(header + 1, min(end, header + 30))
        )
        beside = (c > 0 and used[c - 1]) or (c + 1 < width and headed[c + 1])
        used.append(below and beside)
    spans: list[tuple[int, int]] = []
    start = None
    for c, on in enumerate([*used, False]):
        if on and start is None:
            start = c
        elif not on and start is not None:
            spans.append((start, c - 1))
            start = None
    return spans


def _table_at(
    sheet: Sheet, header: int, end: int, notes: list[str], *, forced: bool = False
) -> list[Table]:
    rows = sheet.rows
    tables: list[Table] = []
    header_rows = [header]
    # A group row below (merged cells over sub-headers such as P / I / Score)?
    sub = header + 1
    merged_here = [m for m in sheet.merged if m[0] == header and m[2] == header and m[3] > m[1]]
    if merged_here and sub < end:
        sub_row = rows[sub] if sub < len(rows) else []
        under = [
            c
            for m in merged_here
            for c in range(m[1], m[3] + 1)
            if isinstance(_cell(rows, sub, c), str) and not is_blank(_cell(rows, sub, c))
        ]
        if under and not any(not isinstance(v, str) and not is_blank(v) for v in sub_row):
            header_rows.append(sub)
    data_start = header_rows[-1] + 1
    blocks = _blocks(rows, header, end)
    if forced and blocks:
        blocks = [(blocks[0][0], blocks[-1][1])]  # the mapping file names this header row
    for first, last in blocks:
        columns = _columns(sheet, header_rows, first, last)
        matched = sum(1 for c in columns if c.choices)
        title = any(k in TEXT_KEYS for c in columns for k, _ in c.choices) or any(
            names_a_kind(c.header) or names_the_item(c.header) for c in columns
        )
        if not forced and (matched < 2 or not title):
            if any(
                not is_blank(_cell(rows, r, c))
                for r in range(header, end)
                for c in range(first, last + 1)
            ):
                notes.append(
                    f"{column_letter(first)}{header + 1}:{column_letter(last)}{end}: "
                    "not a register table (a lookup list or notes beside it), not imported"
                )
            continue
        data_end = _data_end(rows, data_start, end, first, last)
        if end < len(rows) and data_end - data_start >= 3:
            # A lone line after a blank row, right above the next table's header, is that
            # table's title (a group name in a Monday.com export), not an item of this one.
            filled = [
                c for c in range(first, last + 1) if not is_blank(_cell(rows, data_end - 1, c))
            ]
            blank_before = not any(
                not is_blank(_cell(rows, data_end - 2, c)) for c in range(first, last + 1)
            )
            if len(filled) == 1 and blank_before:
                data_end = _data_end(rows, data_start, data_end - 1, first, last)
        tables.append(
            Table(
                sheet=sheet,
                header_rows=tuple(header_rows),
                first_col=first,
                last_col=last,
                data_start=data_start,
                data_end=data_end,
                columns=columns,
            )
        )
    return tables


def _data_end(rows: Sequence[Sequence[object]], start: int, end: int, first: int, last: int) -> int:
    """``end`` moved up over the blank rows that close a table."""
    while end > start and not any(
        not is_blank(_cell(rows, end - 1, c)) for c in range(first, last + 1)
    ):
        end -= 1
    return end


def _group_labels(sheet: Sheet, row: int, first: int, last: int) -> dict[int, str]:
    """Group labels over each column: merged cells, else carried right over blank cells."""
    labels: dict[int, str] = {}
    for r0, c0, r1, c1 in sheet.merged:
        if r0 <= row <= r1:
            text = as_text(_cell(sheet.rows, r0, c0))
            for c in range(max(c0, first), min(c1, last) + 1):
                labels[c] = text
    return labels


def _columns(sheet: Sheet, header_rows: Sequence[int], first: int, last: int) -> list[Column]:
    rows = sheet.rows
    top = header_rows[0]
    above = _group_labels(sheet, top - 1, first, last) if top > 0 else {}
    groups = _group_labels(sheet, top, first, last) if len(header_rows) > 1 else {}
    columns: list[Column] = []
    seen: Counter[str] = Counter()
    for c in range(first, last + 1):
        if len(header_rows) > 1:
            sub = as_text(_cell(rows, header_rows[1], c))
            group = groups.get(c) or as_text(_cell(rows, top, c))
            header = f"{group} {sub}".strip() if sub and group != sub else (sub or group)
            plain = sub or group
        else:
            header = plain = as_text(_cell(rows, top, c))
        header = " ".join(header.split())
        choices = candidates(header) if header else []
        if len(header_rows) > 1 and plain and plain != header:
            # "Inherent P" beats "P"; otherwise the sub-header alone is what it means.
            level = [k for k in choices if k[0].startswith(("inherent_", "residual_", "target_"))]
            choices = level or candidates(plain) or choices
        group_above = above.get(c)
        if group_above and group_above != header:
            combined = candidates(f"{group_above} {header}")
            level = [k for k in combined if k[0].startswith(("inherent_", "residual_", "target_"))]
            if level:
                choices = level + choices
                header = f"{group_above} {header}"
        name = header or f"Column {column_letter(c)}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        columns.append(Column(index=c, header=name, choices=list(choices)))
    return columns


def _top(votes: dict[str, float]) -> str:
    return max(votes, key=lambda kind: votes[kind])


def _add(votes: dict[str, float], more: dict[str, float]) -> None:
    for kind, weight in more.items():
        votes[kind] = votes.get(kind, 0.0) + weight


def sheet_kind_votes(name: str, weight: float) -> dict[str, float]:
    """Kind votes from words in a sheet or file name (``"Risk Register"`` -> risk)."""
    votes: dict[str, float] = {}
    for word in normalise(name).split(" "):
        kind = KIND_WORDS.get(word)
        if kind is not None and len(word) > 2:
            votes[kind] = votes.get(kind, 0.0) + weight
    return votes


#: Columns only a register has (a legend or lookup list has none of them).
_REGISTER_KEYS = frozenset(
    {
        "ref",
        "owner",
        "raised_by",
        "raised_on",
        "due",
        "closed_on",
        "next_review",
        "decided_by",
        "decided_on",
        "actionee",
        "kind",
    }
)


def looks_like_register(table: Table, file_stem: str) -> bool:
    """A register table, not a scoring legend or a list of statuses with descriptions.

    It has an id, owner or date column, or both probability and impact, or the sheet name,
    the title block above it or the file name names a kind.
    """
    keys = {c.choices[0][0] for c in table.columns if c.choices}
    if keys & _REGISTER_KEYS or {"probability", "impact"} <= keys:
        return True
    block = _title_block(table)
    return bool(
        sheet_kind_votes(table.sheet.name, 1.0)
        or sheet_kind_votes(block[:500], 1.0)
        or sheet_kind_votes(file_stem, 1.0)
    )


def _title_block(table: Table) -> str:
    """The text of the (up to six) rows above the table's header: its title block."""
    rows = table.sheet.rows
    return " ".join(
        as_text(v)
        for r in range(max(table.floor, table.header_rows[0] - 6), table.header_rows[0])
        for v in rows[r]
        if isinstance(v, str)
    )


#: Headers that say which kind a table holds though their field says nothing of it
#: (an issue log's "Opened" and "Resolved" dates; a risk's "Mitigation" is a response).
_HEADER_KIND_HINTS: dict[str, str] = {
    "opened": "issue",
    "date opened": "issue",
    "opened on": "issue",
    "resolved": "issue",
    "date resolved": "issue",
    "resolved on": "issue",
    "resolution date": "issue",
    "workaround": "issue",
    "root cause": "issue",
    "decided": "decision",
}


def _column_votes(table: Table) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Kind votes from the columns: the fields they hold (probability says risk, severity
    and resolution say issue, progress says action) and the kinds their headers name."""
    votes: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}

    def vote(kind: str, weight: float, header: str, shown: bool = True) -> None:
        votes[kind] = votes.get(kind, 0.0) + weight
        if shown:
            evidence.setdefault(kind, []).append(header)

    for column in table.columns:
        norm = normalise(column.header)
        words = norm.split(" ")
        if len(words) == 1 and KIND_WORDS.get(norm) and len(norm) > 2:
            # "Actions", "Decisions": the column holds the items themselves.
            vote(KIND_WORDS[norm], 1.5, column.header)
            continue
        best = max(column.choices[:2], key=lambda choice: choice[1], default=None)
        hinted = _KIND_HINTS.get(best[0]) if best is not None and best[1] >= 0.7 else None
        if hinted is not None:
            vote(hinted, 1.5, column.header)
        elif norm in _HEADER_KIND_HINTS:
            vote(_HEADER_KIND_HINTS[norm], 1.0, column.header)
        if words[0] in KIND_WORDS and len(words[0]) > 2:
            vote(KIND_WORDS[words[0]], 1.0, column.header, shown=False)
    return votes, evidence


def decide_kind(table: Table, file_stem: str) -> None:
    """Set the table's kind, the reason, and the votes behind it, from the sheet name,
    the title block, the columns and the file name.

    A generic sheet name ("Sheet1", "Log", "Tracker", "Data") gives no vote, so the
    columns decide: Severity, Opened and Resolved make an issue log.
    """
    votes: dict[str, float] = {}
    reasons: list[str] = []
    ledger: list[tuple[str, str, float, str]] = []

    def count(source: str, more: dict[str, float], detail: dict[str, list[str]]) -> None:
        _add(votes, more)
        ledger.extend(
            (source, kind, weight, ", ".join(detail.get(kind, []))) for kind, weight in more.items()
        )

    sheet_votes = sheet_kind_votes(table.sheet.name, 3.0)
    if sheet_votes:
        count("sheet name", sheet_votes, {k: [table.sheet.name] for k in sheet_votes})
        reasons.append(f"sheet name says {_top(sheet_votes)}")
    else:  # a generic name ("Sheet1", "Log", "Tracker", "Data") says nothing
        ledger.append(("sheet name", "", 0.0, table.sheet.name))
    block = _title_block(table)
    title_votes = sheet_kind_votes(block[:500], 2.0)
    if title_votes:
        count("title block", title_votes, {k: [block[:60]] for k in title_votes})
        reasons.append(f"title block says {_top(title_votes)}")
    elif block.strip():
        ledger.append(("title block", "", 0.0, block[:60]))
    column_votes, evidence = _column_votes(table)
    if column_votes:
        count("columns", column_votes, evidence)
        top = _top(column_votes)
        shown = evidence.get(top, [])[:4]
        reasons.append(f"columns suggest {top}" + (f" ({', '.join(shown)})" if shown else ""))
    file_votes = sheet_kind_votes(file_stem, 1.0)
    count("file name", file_votes, {k: [file_stem] for k in file_votes})
    if file_votes:
        reasons.append(f"file name says {_top(file_votes)}")
    table.kind_votes = tuple(ledger)
    if not votes:
        table.kind, table.kind_reason = "risk", "no evidence of the kind: read as risks"
        return
    table.kind = _top(votes)
    table.kind_reason = "; ".join(reasons)


_TYPE_WORDS = frozenset(
    {"type", "category", "raid", "kind", "item", "log", "class", "risk", "issue"}
)


def find_kind_column(table: Table, start: int, end: int) -> None:
    """A type column whose values name kinds (Risk, R, Action...) decides each row's kind.

    A column headed like a type (``Type``, ``Risk/Issue``, ``RAID Category``) qualifies when
    most of its values are kind words; the values must name at least two kinds unless the
    header itself is a type header.
    """
    for column in table.columns:
        typed = bool(column.choices) and column.choices[0][0] == "kind"
        words = set(normalise(column.header).split(" "))
        if not typed and (
            not words & _TYPE_WORDS
            or any(k in ("rag", "status", "priority", "title") for k, _ in column.choices)
        ):
            continue
        values = [
            _cell(table.sheet.rows, r, column.index)
            for r in range(start, min(end, start + 2000))
            if not is_blank(_cell(table.sheet.rows, r, column.index))
        ]
        named = [kind_of_word(as_text(v)) for v in values]
        share = sum(1 for k in named if k) / len(values) if values else 0.0
        distinct = len({k for k in named if k})
        if share >= (0.6 if typed else 0.8) and (typed or distinct >= 2):
            table.kind_column = column
            column.key = "kind"
            column.forced = True
            kinds = Counter(k for k in named if k)
            table.kind = kinds.most_common(1)[0][0]
            table.kind_reason = "each row's kind from the type column"
            table.kind_votes = (
                *table.kind_votes,
                *(
                    ("type column", kind, float(rows), f"{column.header}: {rows} row(s)")
                    for kind, rows in kinds.most_common()
                ),
            )
            return
        if typed:
            column.choices = [("type", 0.8)]


#: Template text standing in for a value: "<describe the risk>", "[Owner name]",
#: "Enter text here", "Click to add", "...".
_PLACEHOLDER = re.compile(
    r"^\s*(?:<[^<>]{1,80}>|\[[^\[\]]{1,80}\]|\{[^{}]{1,80}\}|\.{3,}|…|_{3,}|-{3,}|"
    r"(?:enter|insert|type|add|write|put)\b.{0,60}\bhere\b.*|.{0,40}\btext here\b.*|"
    r"click (?:here|to)\b.*|tap to\b.*)\s*$",
    re.IGNORECASE,
)
#: An example row marked as such anywhere in it ("Example 1: ...", "(example)", "Delete
#: this row"), beyond the cells that only say "Example". A title that merely starts with
#: the word ("Example Risk") may be a real item: it is not enough.
_EXAMPLE_MARK = re.compile(
    r"^\s*(?:example|sample)\s*(?:\d+|risk|issue|action|decision|entry|item|row|only)?"
    r"\s*[:\-\u2013\u2014.)]|"
    r"[(\[]\s*(?:example|sample)\s*(?:only|row|entry)?\s*[)\]]|"
    r"\b(?:delete|remove|overwrite|replace) (?:this|these|the example) "
    r"(?:rows?|examples?|entr(?:y|ies))\b",
    re.IGNORECASE,
)


# What an ASCII text must hold for the two patterns above to match it, asked first (most
# texts are ASCII and hold none of it; a pattern search costs about ten of these tests).
# For ASCII text, ignoring case is ASCII case folding: each test below is what some
# branch of the pattern needs. Keep them in step with the patterns.
def _may_be_placeholder(text: str) -> bool:
    """Whether :data:`_PLACEHOLDER` may match ``text`` (stripped): ``False`` means it
    cannot (an ASCII text starting with no bracket, dot, ``_`` or ``-``, without
    ``here``, not starting ``click `` or ``tap to``)."""
    return not text.isascii() or _may_be_placeholder_ascii(text.lower())


def _may_be_placeholder_ascii(low: str) -> bool:
    """:func:`_may_be_placeholder` of an ASCII text, given lower-cased."""
    return low[:1] in _PLACEHOLDER_STARTS or "here" in low or low.startswith(("click ", "tap to"))


_PLACEHOLDER_STARTS = frozenset("<[{._-")


def _may_be_marked(text: str) -> bool:
    """Whether :data:`_EXAMPLE_MARK` may find a mark in ``text``: ``False`` means it
    cannot (an ASCII text without ``example``, ``sample`` or ``delete ``, ``remove ``,
    ``overwrite ``, ``replace ``)."""
    return not text.isascii() or _may_be_marked_ascii(text.lower())


def _may_be_marked_ascii(low: str) -> bool:
    """:func:`_may_be_marked` of an ASCII text, given lower-cased."""
    return (
        "ample" in low
        or "delete " in low
        or "remove " in low
        or "overwrite " in low
        or "replace " in low
    )


#: A list of choices shown as a hint ("H/M/L", "Open / Closed / On hold", "1-5").
_CHOICES = re.compile(
    r"^\s*[^\W\d_][\w%]{0,11}(?:\s*/\s*[^\W\d_][\w%]{0,11}){2,}\s*$|"
    r"^\s*\d\s*(?:-|to)\s*\d{1,2}\s*$"
)


def _may_be_choices(text: str) -> bool:
    """Whether :data:`_CHOICES` may match ``text`` (stripped): its first branch needs a
    ``/``, its second a leading digit (``isdigit`` holds for every ``\\d``). Asked first:
    the pattern costs about twenty of these tests. Keep it in step with the pattern."""
    return "/" in text or text[:1].isdigit()


def is_template_text(value: object, header: str = "") -> bool:
    """Whether a cell holds template text, not a value: a placeholder ("<describe the
    risk>", "Enter text here"), the column's own header or hint written again, or a list
    of choices ("H/M/L")."""
    if type(value) is not str:
        return False
    text = value.strip()
    return _is_template_stripped(text, text.lower() if text.isascii() else None, header)


def _is_template_stripped(text: str, low: str | None, header: str) -> bool:
    """:func:`is_template_text` of a text already stripped; ``low`` is the text
    lower-cased if it is ASCII (its case folding then), else ``None``."""
    if not text or len(text) > 200:
        return False
    may_be_placeholder = _may_be_placeholder_ascii(low) if low is not None else True
    if (may_be_placeholder and _PLACEHOLDER.match(text)) or (
        _may_be_choices(text) and _CHOICES.match(text)
    ):
        return True
    if not header:
        return False
    plain, hints = _header_forms(header)
    folded = low if low is not None else text.casefold()
    if folded in hints:
        return True
    # Cheap test first: most values share nothing with their header.
    return folded[:1] == plain[:1] and normalise(text) == plain


@lru_cache(maxsize=1024)
def _header_forms(header: str) -> tuple[str, frozenset[str]]:
    """A header normalised, and the hints in its brackets ("H/M/L"), case-folded."""
    hints = frozenset(
        h.strip().casefold() for pair in _HEADER_HINT.findall(header) for h in pair if h.strip()
    )
    return normalise(header), hints


_HEADER_HINT = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")


class CellFacts(NamedTuple):
    """What :func:`row_problem` asks of one filled cell: the same for every cell of a
    column holding the same value, so a row reader works it out once per value."""

    #: The cell as text (:func:`~raidlog.migrate.values.as_text`).
    text: str
    #: It starts like a hint or instruction ("Enter...", "Note:").
    hint: bool
    #: The whole cell says "Example", "e.g.", "Sample".
    example: bool
    #: It marks its row as a template's example ("Example 1:", "(sample)").
    marked: bool
    #: It is template text for its column (:func:`is_template_text`).
    template: bool


def cell_facts(value: object, header: str = "", *, id_column: bool = False) -> CellFacts:
    """The :class:`CellFacts` of a filled cell holding ``value`` under ``header``.

    An ``id_column``'s cells are never asked whether they are template text (an id is
    not content: :func:`row_problem` leaves it out), so ``template`` is ``False``."""
    text = as_text(value)
    return CellFacts(
        text=text,
        hint=_HINT_START.match(text) is not None,
        example=type(value) is str and value.strip().casefold() in _EXAMPLE,
        marked=_may_be_marked(text) and _EXAMPLE_MARK.search(text) is not None,
        template=not id_column and is_template_text(value, header),
    )


#: ``facts(position, value)``: the :class:`CellFacts` of a filled cell of a row.
FactsOf = Callable[[int, object], CellFacts]


#: How the first cells of an example row start.
_EXAMPLE_STARTS = ("example:", "example -", "e.g.", "eg:", "sample:")


def is_plain(found: CellFacts) -> bool:
    """Whether a filled cell with these facts gives :func:`row_problem` nothing to find
    in it: no hint, example or example mark, template text, total or legend word. A row
    whose filled cells are all plain and one of them in a title column is an item
    (``row_problem`` says ``None``), so a reader of many rows need not ask for it."""
    text = found.text
    return not (
        found.hint
        or found.example
        or found.marked
        or found.template
        or _TOTAL.match(text)
        or _LEGEND.match(text)
        or text.casefold().startswith(_EXAMPLE_STARTS)
    )


#: :data:`_HINT_START`, :data:`_TOTAL` and :data:`_LEGEND` as one pattern (all three match
#: at the start, ignoring case): it matches a text exactly when one of them does.
_HINT_TOTAL_LEGEND = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_HINT_START, _TOTAL, _LEGEND)), re.IGNORECASE
)


#: :data:`_HINT_TOTAL_LEGEND` without ``IGNORECASE``, for ASCII texts lower-cased: every
#: letter of the three patterns is lower case, and for an ASCII text ignoring case is
#: lower-casing it. About three times faster than ignoring case (a test keeps them equal).
_HINT_TOTAL_LEGEND_LOWER = re.compile(_HINT_TOTAL_LEGEND.pattern)


def is_plain_text(text: str, header: str = "", *, id_column: bool = False) -> bool:
    """``is_plain(cell_facts(text, header, id_column=id_column))`` for a filled text cell,
    without building its facts (a reader of many rows asks it of each id and title)."""
    stripped = text.strip()
    # Most texts are ASCII: lower-cased once, that is also their case folding.
    low = stripped.lower() if stripped.isascii() else None
    if low is not None:
        if _HINT_TOTAL_LEGEND_LOWER.match(low) or (
            _may_be_marked_ascii(low) and _EXAMPLE_MARK.search(stripped)
        ):
            return False
        folded = low
    else:
        if _HINT_TOTAL_LEGEND.match(stripped) or _EXAMPLE_MARK.search(stripped):
            return False
        folded = stripped.casefold()
    if folded in _EXAMPLE or folded.startswith(_EXAMPLE_STARTS):
        return False
    return id_column or not _is_template_stripped(stripped, low, header)


def _facts_under(headers: Sequence[str]) -> FactsOf:
    return lambda i, v: cell_facts(v, headers[i] if i < len(headers) else "")


def row_problem(
    values: Sequence[object],
    *,
    title_cols: Sequence[int],
    ref_col: int | None,
    formula_cols: frozenset[int],
    offset: int,
    headers: Sequence[str] = (),
    facts: FactsOf | None = None,
) -> str | None:
    """Why a data row is not an item (positions relative to the table), or ``None``.

    ``headers`` are the table's header texts by position (a template's hint row writes
    them, or their hints, again). ``facts`` gives a filled cell's :class:`CellFacts`
    (a reader of many rows passes one that remembers them per column and value); by
    default they are worked out from the cell and its header."""
    filled = [
        i
        for i, v in enumerate(values)
        if not (v is None or v == "" or (type(v) is str and not v.strip()))
    ]
    if not filled:
        return "blank"
    look = facts if facts is not None else _facts_under(headers)
    known = {i: look(i, values[i]) for i in filled}
    first = known[filled[0]].text
    if (
        _TOTAL.match(first)
        and len(filled) > 1
        and all(isinstance(values[i], int | float) for i in filled[1:])
    ):
        return "totals row"
    # Hints and example markers sit in the first cells; look further only when they do.
    lead = [known[i] for i in filled[:2]]
    if any(f.hint for f in lead):
        hints = sum(1 for f in known.values() if f.hint)
        if hints * 2 >= len(filled) or (offset < 3 and len(filled) <= 3):
            return "hint or instruction row"
    if any(f.text.casefold().startswith(_EXAMPLE_STARTS) for f in lead) or any(
        f.example for f in known.values()
    ):
        return "example row"
    marked = next((f.text for f in known.values() if f.marked), None)
    if marked is not None:
        return f"example row ({_shorten(marked)!r} marks it as a template's example)"
    if _LEGEND.match(first) and len(filled) <= 3:
        return "legend or note row"
    content = [i for i in filled if i != ref_col]
    template = [i for i in content if known[i].template]
    if template and (
        len(template) * 2 >= len(content) or all(i in template for i in content if i in title_cols)
    ):
        shown = _shorten(known[template[0]].text)
        return f"template placeholder row ({shown!r} is template text, not a value)"
    if not any(i in title_cols for i in content):
        if content and all(i in formula_cols for i in content):
            return "holds only formulas (no content typed)"
        if not content:
            if len(first) > 20 or " " in first:
                return "legend or note row"
            return "numbered row with no content"
        if (
            ref_col is not None
            and ref_col in filled
            and len(content) <= 2
            and all(i not in formula_cols and len(known[i].text) <= 15 for i in content)
        ):
            # A pre-numbered template row with its defaults filled in ("Open", 0).
            shown = ", ".join(repr(known[i].text) for i in content)
            return f"numbered row with no content (only the defaults {shown})"
        return "no title or description"
    return None


def _shorten(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


#: Sheets that explain a template rather than hold items, whatever their headings say.
_NOT_ITEMS_SHEET = re.compile(
    r"\b(instructions?|guidance|guide|help|read ?me|notes?|about|cover|contents|lists?|"
    r"lookups?|definitions?|key|legend|scoring|matrix|version|document control|change log)\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7\u25aa\u25e6\u2023\u2013]|\d{1,3}[.)])\s+")


@attrs.define(kw_only=True)
class LineList:
    """A sheet holding one column of lines under section headings: each line an item."""

    sheet: Sheet
    column: int
    #: The row of the sheet's own title line, if it has one (0-based).
    title_row: int | None
    #: Section heading rows and their text (the lines below carry it as a tag, or take
    #: the kind it names: "Risks", "Issues").
    headings: dict[int, str]
    #: The item lines: (row, text without its bullet).
    lines: list[tuple[int, str]]
    kind: str
    kind_reason: str
    kind_votes: tuple[tuple[str, str, float, str], ...]

    @property
    def range(self) -> str:
        """The list's cells in A1 notation."""
        rows = [r for r, _ in self.lines] + list(self.headings)
        if self.title_row is not None:
            rows.append(self.title_row)
        letter = column_letter(self.column)
        return f"{letter}{min(rows) + 1}:{letter}{max(rows) + 1}"


def _is_heading(sheet: Sheet, r: int, c: int, text: str) -> bool:
    if (r, c) in sheet.bold:
        return True
    return text.endswith(":") and len(text) <= 60


def heading_kind(text: str) -> str | None:
    """The kind a section heading names by itself ("Risks", "Open issues"), if any."""
    words = [w for w in normalise(text).split(" ") if w not in ("open", "closed", "key", "top")]
    return KIND_WORDS.get(words[0]) if len(words) == 1 and len(words[0]) > 2 else None


def find_list(sheet: Sheet, file_stem: str) -> LineList | None:
    """A list of items that is not a table: one column of lines under (bold) section
    headings, on a sheet whose name or title line names a kind ("Risks", "Project
    risks"). Each line is an item; its heading is kept as a tag. ``None`` otherwise."""
    if _NOT_ITEMS_SHEET.search(sheet.name):
        return None
    cells = [
        (r, c, v) for r, row in enumerate(sheet.rows) for c, v in enumerate(row) if not is_blank(v)
    ]
    if len(cells) < 3:
        return None
    column, count = Counter(c for _, c, _ in cells).most_common(1)[0]
    if count < len(cells) or any(not isinstance(v, str) for _, _, v in cells):
        return None  # a second column, or numbers and dates: a table, not a list
    texts = [(r, as_text(v)) for r, _, v in cells]
    heads = [r for r, text in texts if _is_heading(sheet, r, column, text)]
    if not heads:
        return None
    title_row: int | None = None
    first = texts[0][0]
    following = texts[1][0] if len(texts) > 1 else None
    if first in heads and following in heads:
        title_row = first  # a heading right above another heading: the sheet's title
    headings = {r: text.rstrip(":").strip() for r, text in texts if r in heads and r != title_row}
    lines = [
        (r, _BULLET.sub("", text).strip())
        for r, text in texts
        if r not in headings and r != title_row
    ]
    if not headings or len(lines) < 2:
        return None
    title = as_text(sheet.rows[title_row][column]) if title_row is not None else ""
    votes: dict[str, float] = {}
    ledger: list[tuple[str, str, float, str]] = []
    reasons: list[str] = []
    for source, text, weight in (("sheet name", sheet.name, 3.0), ("title line", title, 2.0)):
        found = sheet_kind_votes(text, weight)
        _add(votes, found)
        ledger.extend((source, k, w, text) for k, w in found.items())
        if found:
            reasons.append(f"{source} says {_top(found)}")
    named = {r: heading_kind(text) for r, text in headings.items()}
    if not votes and all(named.values()):
        # "Risks", "Issues", "Actions" as the headings: each section is its own kind.
        found = {k: 1.0 for k in named.values() if k}
        _add(votes, found)
        ledger.extend(("headings", k, 1.0, "section headings name kinds") for k in found)
        reasons.append("the headings name the kinds")
    if not votes:
        return None  # a list of notes: nothing names the kind of its lines
    file_votes = sheet_kind_votes(file_stem, 1.0)
    _add(votes, file_votes)
    ledger.extend(("file name", k, w, file_stem) for k, w in file_votes.items())
    kind = _top(votes)
    return LineList(
        sheet=sheet,
        column=column,
        title_row=title_row,
        headings=headings,
        lines=lines,
        kind=kind,
        kind_reason="a list of lines under section headings, not a table; " + "; ".join(reasons),
        kind_votes=tuple(ledger),
    )


def why_no_table(sheet: Sheet) -> str:
    """Why no row of ``sheet`` reads as a register table's header, in words."""
    rows = sheet.rows
    if not any(any(not is_blank(v) for v in row) for row in rows):
        return "the sheet is empty"
    best: tuple[int, int, bool, list[str]] | None = None
    for r in range(min(HEADER_SCAN, len(rows))):
        _, matched, title, _, _ = _header_score(rows[r])
        known = [as_text(v) for v in rows[r] if isinstance(v, str) and candidates(v)]
        if best is None or (matched, title) > (best[1], best[2]):
            best = (r, matched, title, known)
    if best is None or best[1] == 0:
        return f"no row in the first {HEADER_SCAN} holds a header raidlog knows"
    r, matched, title, known = best
    shown = ", ".join(repr(k) for k in known[:5])
    if not title:
        return (
            f"the best header candidate, row {r + 1} ({shown}), has no text column "
            "(title, description, decision, risk, issue, action) to name the items"
        )
    return (
        f"the best header candidate, row {r + 1} ({shown}), names only {matched} field(s); "
        "a header needs two, with a text column"
    )


def why_table(table: Table) -> str:
    """Why ``table``'s header row was taken as one, in words."""
    known = [c.header for c in table.columns if c.choices]
    shown = ", ".join(repr(k) for k in known[:6]) + (", ..." if len(known) > 6 else "")
    return (
        f"row {table.header_rows[-1] + 1} reads as a header: {len(known)} of "
        f"{len(table.columns)} headers name fields ({shown})"
    )
