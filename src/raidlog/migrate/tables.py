"""Finding register tables on a sheet: header rows, column spans, kinds and non-item rows.

Nothing here is tuned to one file: header rows are found by scoring rows against the
synonym table (:mod:`raidlog.migrate.headers`), tables end where the next header row
starts, and rows are classified by what they hold.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import attrs

from raidlog.migrate.headers import KIND_WORDS, candidates, kind_of_word, normalise
from raidlog.migrate.sandbox import Sheet
from raidlog.migrate.values import as_text, is_blank

__all__ = [
    "Column",
    "Table",
    "column_letter",
    "decide_kind",
    "fill_merged_down",
    "find_kind_column",
    "find_tables",
    "looks_like_register",
    "row_problem",
]

#: Rows scanned for the first header (title blocks and instructions sit above it).
HEADER_SCAN = 60
TITLE_KEYS = frozenset({"title", "description"})
#: Columns whose text can name an item when there is no title (a risk register may only
#: have "Risk Event"; a decision log only "Decision").
NAMING_KEYS = TITLE_KEYS | {"event", "decision"}
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
    kind_votes: tuple[tuple[str, str, float], ...] = ()

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
            title = title or any(k in NAMING_KEYS for k, _ in found)
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
    for r in range(len(rows)):
        blank = not any(not is_blank(v) for v in rows[r])
        if (
            (previous_blank or r == 0)
            and not blank
            and r not in starts
            and _is_header(rows[r], strict=True)
        ):
            starts.append(r)
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
        title = any(k in NAMING_KEYS for c in columns for k, _ in c.choices)
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
        data_end = end
        while data_end > data_start and not any(
            not is_blank(_cell(rows, data_end - 1, c)) for c in range(first, last + 1)
        ):
            data_end -= 1
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


def decide_kind(table: Table, file_stem: str) -> None:
    """Set the table's kind (and reason) from sheet name, title block, columns and file name."""
    votes: dict[str, float] = {}
    reasons: list[str] = []
    ledger: list[tuple[str, str, float]] = []

    def count(source: str, more: dict[str, float]) -> None:
        _add(votes, more)
        ledger.extend((source, kind, weight) for kind, weight in more.items())

    sheet_votes = sheet_kind_votes(table.sheet.name, 3.0)
    if sheet_votes:
        count("sheet name", sheet_votes)
        reasons.append(f"sheet name says {_top(sheet_votes)}")
    block = _title_block(table)
    title_votes = sheet_kind_votes(block[:500], 2.0)
    if title_votes:
        count("title block", title_votes)
        reasons.append(f"title block says {_top(title_votes)}")
    column_votes: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}
    for column in table.columns:
        for key, confidence in column.choices[:1]:
            kind = _KIND_HINTS.get(key)
            if kind is not None and confidence >= 0.7:
                column_votes[kind] = column_votes.get(kind, 0.0) + 1.5
                evidence.setdefault(kind, []).append(column.header)
        words = normalise(column.header).split(" ")
        if words[0] in KIND_WORDS and len(words[0]) > 2:
            column_votes[KIND_WORDS[words[0]]] = column_votes.get(KIND_WORDS[words[0]], 0.0) + 1.0
    if column_votes:
        count("columns", column_votes)
        top = _top(column_votes)
        shown = evidence.get(top, [])[:4]
        reasons.append(f"columns suggest {top}" + (f" ({', '.join(shown)})" if shown else ""))
    file_votes = sheet_kind_votes(file_stem, 1.0)
    count("file name", file_votes)
    if file_votes:
        reasons.append(f"file name says {_top(file_votes)}")
    if not votes:
        table.kind, table.kind_reason = "risk", "no evidence of the kind: read as risks"
        return
    table.kind = _top(votes)
    table.kind_reason = "; ".join(reasons)
    table.kind_votes = tuple(ledger)


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
            return
        if typed:
            column.choices = [("type", 0.8)]


def row_problem(
    values: Sequence[object],
    *,
    title_cols: Sequence[int],
    ref_col: int | None,
    formula_cols: frozenset[int],
    offset: int,
) -> str | None:
    """Why a data row is not an item (positions relative to the table), or ``None``."""
    filled = [
        i
        for i, v in enumerate(values)
        if not (v is None or v == "" or (type(v) is str and not v.strip()))
    ]
    if not filled:
        return "blank"
    first = as_text(values[filled[0]])
    if (
        _TOTAL.match(first)
        and len(filled) > 1
        and all(isinstance(values[i], int | float) for i in filled[1:])
    ):
        return "totals row"
    # Hints and example markers sit in the first cells; look further only when they do.
    lead = [as_text(values[i]) for i in filled[:2]]
    if any(_HINT_START.match(t) for t in lead):
        hints = sum(1 for i in filled if _HINT_START.match(as_text(values[i])) is not None)
        if hints * 2 >= len(filled) or (offset < 3 and len(filled) <= 3):
            return "hint or instruction row"
    if any(
        t.casefold().startswith(("example:", "example -", "e.g.", "eg:", "sample:")) for t in lead
    ) or any(type(v) is str and v.strip().casefold() in _EXAMPLE for v in values):
        return "example row"
    if _LEGEND.match(first) and len(filled) <= 3:
        return "legend or note row"
    content = [i for i in filled if i != ref_col]
    if not any(i in title_cols for i in content):
        if content and all(i in formula_cols for i in content):
            return "holds only formulas (no content typed)"
        if not content:
            if len(first) > 20 or " " in first:
                return "legend or note row"
            return "numbered row with no content"
        return "no title or description"
    return None
