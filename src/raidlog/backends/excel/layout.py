"""What the workbook looks like: sheets, columns, cell encodings, formats and validations.

Every field of every item has a column, so a workbook holds the register exactly.
Each column has an encoding that says how a value becomes a cell and back:

- text is a string cell (never a formula, whatever it starts with); empty text and
  ``None`` are an empty cell;
- whole numbers and numbers are number cells, written with every digit they need;
- dates are date cells (``yyyy-mm-dd``); dates before 1900-03-01, which Excel cannot
  hold as dates, are ISO text;
- ``created_at`` and ``updated_at`` are ISO 8601 text in UTC, to the microsecond;
- lists of names are one name per line (JSON when a name holds a line break);
- links are one ``relation target`` per line; ``extra`` is a JSON object.

Columns are found by their title when reading, never by position, so a person may
reorder or widen them in Excel.
"""

from __future__ import annotations

import json
import math
import re
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import attrs
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from raidlog.errors import RaidLogError
from raidlog.model.items import Item, Link
from raidlog.model.profile import Profile
from raidlog.model.values import Rag, Relation

__all__ = [
    "EVENT_COLUMNS",
    "GOVERNANCE_COLUMNS",
    "LINK_COLUMNS",
    "MAX_CELL_TEXT",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_SHEET_NAME",
    "CellError",
    "Column",
    "columns_for",
    "decode_cell",
    "encode_value",
    "normalise",
    "sheet_name",
]

#: Excel's limits (Microsoft: "Excel specifications and limits").
MAX_CELL_TEXT: Final = 32_767
MAX_ROWS: Final = 1_048_576
MAX_COLUMNS: Final = 16_384
MAX_SHEET_NAME: Final = 31
#: Excel keeps 15 significant digits; whole numbers beyond this would change.
MAX_WHOLE: Final = 10**15

_SHEETS = {
    "risk": "Risks",
    "action": "Actions",
    "issue": "Issues",
    "decision": "Decisions",
    "assumption": "Assumptions",
    "dependency": "Dependencies",
}
_TITLES = {
    "ref": "Ref",
    "rag": "RAG",
    "rag_manual": "RAG set by hand",
    "extra": "Extra (JSON)",
    "created_at": "Created at (UTC)",
    "updated_at": "Updated at (UTC)",
}
_WIDTHS = {"text": 40, "names": 24, "links": 26, "extra": 30, "datetime": 30, "date": 12}
# The first columns a reader needs; the rest follow in the model's field order.
_LEAD = ("ref", "title", "status", "priority", "rag", "owner", "due")
_TAIL = ("version", "created_at", "created_by", "updated_at", "updated_by")
# An underscore that starts Excel's "_xHHHH_" escape (runs may share an underscore).
_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_FIRST_DATE = date(1900, 3, 1)


class CellError(RaidLogError, ValueError):
    """A cell holds a value its column cannot take."""


@attrs.frozen
class Column:
    """One column of a sheet: the field it holds, its title and its encoding."""

    field: str
    title: str
    encoding: str
    width: float = 14


def _plural(label: str) -> str:
    if label.endswith("y") and label[-2:-1] not in tuple("aeiou"):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def sheet_name(cls: type[Item]) -> str:
    """The sheet of a kind (``Risks``...); plugin kinds use their label."""
    name = _SHEETS.get(cls.kind) or _plural(cls.label or cls.kind.replace("_", " ").title())
    if len(name) > MAX_SHEET_NAME:
        raise ValueError(
            f"the sheet name {name!r} of kind {cls.kind!r} is longer than Excel's "
            f"{MAX_SHEET_NAME} characters; give the kind a shorter label"
        )
    return name


def _encoding(hint: Any) -> str:
    args = set(typing.get_args(hint))
    optional = type(None) in args
    base = {a for a in args if a is not type(None)} if args else {hint}
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "links" if typing.get_args(hint)[0] is Link else "names"
    if origin is dict:
        return "extra"
    table: list[tuple[object, str]] = [
        (str, "opt_text" if optional else "text"),
        (bool, "bool"),
        (int, "opt_int" if optional else "int"),
        (float, "float"),
        (datetime, "datetime"),
        (date, "date"),
        (Rag, "opt_text"),
    ]
    for python_type, encoding in table:
        if base == {python_type}:
            return encoding
    return "json"


def _title(field: str) -> str:
    return _TITLES.get(field) or field.replace("_", " ").capitalize()


def columns_for(cls: type[Item]) -> tuple[Column, ...]:
    """The columns of a kind's sheet, in their stable order."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in attrs.fields(cls)]
    ordered = [n for n in _LEAD if n in names]
    ordered += [n for n in names if n not in _LEAD and n not in _TAIL]
    ordered += [n for n in _TAIL if n in names]
    columns = []
    for name in ordered:
        encoding = _encoding(hints[name])
        width = 60 if name == "description" else _WIDTHS.get(encoding, 14)
        if name == "title":
            width = 48
        columns.append(Column(name, _title(name), encoding, width))
    return tuple(columns)


#: The hidden event log: every field of an event; ``changes`` is JSON, continued in
#: further cells when it is longer than one cell holds.
EVENT_COLUMNS: Final = (
    "seq",
    "ref",
    "kind",
    "action",
    "version",
    "actor",
    "at",
    "channel",
    "reason",
    "source",
    "prev_hash",
    "hash",
    "changes",
)
GOVERNANCE_COLUMNS: Final = (
    Column("entity", "Entity", "opt_text", 10),
    Column("name", "Name", "opt_text", 28),
    Column("title", "Title", "opt_text", 36),
    Column("level", "Level", "opt_text"),
    Column("parent", "Parent", "opt_text", 24),
    Column("node", "Node", "opt_text", 24),
    Column("body", "Body", "opt_text", 24),
    Column("owner", "Owner", "opt_text", 20),
    Column("key_results", "Key results", "names", 36),
    Column("score_tolerance", "Score tolerance", "opt_int"),
    Column("cost_tolerance", "Cost tolerance", "float"),
    Column("slip_tolerance_days", "Slip tolerance days", "opt_int"),
    Column("review_cadence_days", "Review cadence days", "opt_int"),
    Column("version", "Version", "int", 10),
)
LINK_COLUMNS: Final = ("Source", "Relation", "Target", "Source title")


# encoding ------------------------------------------------------------------------------
def _names_text(values: Sequence[str]) -> str:
    text = "\n".join(values)
    if any(not v or "\n" in v for v in values) or text.startswith("["):
        return json.dumps(list(values), ensure_ascii=False)
    return text


def _links_text(links: Sequence[Link]) -> str:
    lines = [f"{link.relation.value} {link.target}" for link in links]
    if any("\n" in link.target for link in links):
        return json.dumps([[link.relation.value, link.target] for link in links])
    return "\n".join(lines)


def encode_value(value: Any, encoding: str) -> Any:
    """The plain cell value of a field (``None`` for an empty cell)."""
    if value is None:
        return None
    if encoding in ("text", "opt_text"):
        return str(value) or None
    if encoding == "names":
        return _names_text(value) if value else None
    if encoding == "links":
        return _links_text(value) if value else None
    if encoding == "extra":
        return json.dumps(value, ensure_ascii=False) if value else None
    if encoding == "date":
        return value if value >= _FIRST_DATE else value.isoformat()
    if encoding == "datetime":
        return str(value.astimezone(UTC).isoformat())
    if encoding in ("int", "opt_int"):
        if abs(value) >= MAX_WHOLE:
            raise CellError(f"{value} has more digits than Excel keeps (15)")
        return value
    if encoding == "json":
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def cell_for(sheet: Any, value: Any) -> Any:
    """What to append for ``value``: the value itself, or a cell that keeps it exact.

    openpyxl turns a string starting with ``=`` into a formula and ``#N/A`` into an
    error, and writes numbers with 16 significant digits: those get a cell with the
    type forced back. Text matching Excel's ``_xHHHH_`` escape is escaped itself, so
    Excel and every reader show it as typed; so is whitespace-only text.
    """
    if isinstance(value, str):
        if value and value.isspace():
            # openpyxl writes whitespace-only text without xml:space="preserve", and
            # readers then drop it: spell each character as an escape instead.
            return "".join(f"_x{ord(ch):04X}_" for ch in value)
        if "_x" in value:
            value = _ESCAPE.sub("_x005F_", value)
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value
    if type(value) is float and float(f"{value:.16g}") != value:
        cell = WriteOnlyCell(sheet, value=repr(value))
        cell.data_type = "n"
        return cell
    return value


def text_length(value: Any) -> int:
    """How many characters a cell holds once written (escapes included)."""
    if not isinstance(value, str):
        return 0
    if value and value.isspace():
        return 7 * len(value)
    return len(value) + 6 * len(_ESCAPE.findall(value)) if "_x" in value else len(value)


# decoding ------------------------------------------------------------------------------
def _whole(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError(f"{raw} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise CellError(f"{raw!r} is not a whole number")


def _to_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


def _names(raw: str) -> list[str]:
    if raw.startswith("["):
        try:
            values = json.loads(raw)
        except json.JSONDecodeError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return values
    return [line for line in raw.split("\n") if line.strip()]


def _links(raw: str) -> list[dict[str, str]]:
    if raw.startswith("["):
        try:
            pairs = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CellError(f"links are not valid JSON: {exc}") from None
        return [{"relation": str(r), "target": str(t)} for r, t in pairs]
    links = []
    relations = {r.value for r in Relation}
    for line in raw.split("\n"):
        if not line.strip():
            continue
        relation, _, target = line.strip().partition(" ")
        if relation not in relations or not target.strip():
            raise CellError(
                f"{line!r} is not 'relation target' (relations: {', '.join(sorted(relations))})"
            )
        links.append({"relation": relation, "target": target.strip()})
    return links


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise CellError(f"{raw} has a time of day; a date is expected")
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            pass
    raise CellError(f"{raw!r} is not a date (use yyyy-mm-dd)")


def _datetime(raw: Any) -> str:
    if isinstance(raw, datetime):
        moment = raw if raw.tzinfo else raw.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            pass
        else:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC).isoformat()
    raise CellError(f"{raw!r} is not an ISO date-time")


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise CellError(f"{raw} is not a number")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise CellError(f"{raw} is not a finite number")
        return float(raw)
    if isinstance(raw, str):
        try:
            return _number(float(raw.strip()))
        except ValueError:
            pass
    raise CellError(f"{raw!r} is not a number")


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().upper() in ("TRUE", "FALSE"):
        return raw.strip().upper() == "TRUE"
    raise CellError(f"{raw!r} is not TRUE or FALSE")


def _extra(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CellError(f"extra is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CellError("extra must be a JSON object ({...})")
    return value


_DECODERS: Mapping[str, Callable[[Any], Any]] = {
    "text": _to_text,
    "opt_text": _to_text,
    "int": _whole,
    "opt_int": _whole,
    "float": _number,
    "bool": _bool,
    "date": _date,
    "datetime": _datetime,
    "names": lambda raw: _names(_to_text(raw)),
    "links": lambda raw: _links(_to_text(raw)),
    "extra": lambda raw: _extra(_to_text(raw)),
    "json": lambda raw: json.loads(_to_text(raw)),
}
_EMPTY: Mapping[str, Any] = {
    "text": "",
    "int": 0,
    "bool": False,
    "names": [],
    "links": [],
    "extra": {},
}


def decode_cell(raw: Any, encoding: str) -> Any:
    """A cell value read back as the JSON-ready value the codec takes; raises
    :class:`CellError` for a value the column cannot take."""
    if raw is None or raw == "":
        return _EMPTY.get(encoding)
    return _DECODERS[encoding](raw)


def normalise(value: Any) -> Any:
    """One form for a cell value, whichever reader or writer produced it (for hashing)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_key(values: Sequence[Any]) -> str:
    """A canonical text of one row for the content hash (trailing empty cells ignored)."""
    normal = [v if type(v) is str and v else normalise(v) for v in values]
    while normal and normal[-1] is None:
        normal.pop()
    return json.dumps(normal, ensure_ascii=False, separators=(",", ":"))


# formatting ------------------------------------------------------------------------------
_HEADER_FONT = Font(bold=True)
# Shown by programs that ignore Excel table styles (LibreOffice), so the header stands out.
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_RAG_FILLS = {
    "red": PatternFill("solid", bgColor="FFC7CE"),
    "amber": PatternFill("solid", bgColor="FFEB9C"),
    "green": PatternFill("solid", bgColor="C6EFCE"),
}


def header_cells(sheet: Any, titles: Sequence[str]) -> list[Any]:
    """Bold header cells (string cells whatever the title)."""
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


def _list_validation(values: Sequence[str]) -> DataValidation | None:
    # An inline list holds at most 255 characters and no commas or quotes; a longer
    # vocabulary stays free text rather than becoming a broken dropdown.
    text = ",".join(values)
    if not values or len(text) > 250 or any("," in v or '"' in v for v in values):
        return None
    return DataValidation(
        type="list",
        formula1=f'"{text}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not in the profile",
        error=f"Choose one of: {', '.join(values)}",
    )


def vocabularies(profile: Profile | None, kind: str) -> dict[str, tuple[str, ...]]:
    """The dropdown values of a kind's columns, from the register's profile."""
    if profile is None:
        return {"rag": tuple(r.value for r in Rag)}
    found: dict[str, tuple[str, ...]] = {"rag": tuple(r.value for r in Rag)}
    if kind in profile.lifecycles:
        found["status"] = profile.lifecycle(kind).statuses
    for field in ("priority", "response_category", "issue_type", "severity", "proximity"):
        if profile.vocabulary(field):
            found[field] = profile.vocabulary(field)
    if kind == "risk" and profile.vocabulary("risk_category"):
        found["category"] = profile.vocabulary("risk_category")
    return found


def style_sheet(
    sheet: Any,
    columns: Sequence[Column],
    rows: int,
    table_name: str,
    lists: Mapping[str, Sequence[str]] | None = None,
    max_score: int | None = None,
) -> None:
    """Freeze the header, size the columns, make the range an Excel table with its
    autofilter, and add dropdowns and conditional formats. Call before appending rows
    (a write-only sheet writes its settings first)."""
    sheet.freeze_panes = "C2"
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = "1:1"
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    last = get_column_letter(len(columns))
    table = Table(displayName=table_name, ref=f"A1:{last}{max(rows, 1) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # A write-only sheet cannot read the header back, so the table columns are named here.
    table.tableColumns = [TableColumn(id=i, name=c.title) for i, c in enumerate(columns, 1)]
    table.autoFilter = AutoFilter(ref=table.ref)
    with warnings.catch_warnings():
        # openpyxl warns that write-only tables need their columns named: they are.
        warnings.filterwarnings("ignore", "In write-only mode", UserWarning)
        sheet.add_table(table)
    positions = {c.field: get_column_letter(i) for i, c in enumerate(columns, 1)}
    for field, values in (lists or {}).items():
        if field not in positions:
            continue
        validation = _list_validation(values)
        if validation is not None:
            validation.add(f"{positions[field]}2:{positions[field]}{MAX_ROWS}")
            sheet.data_validations.append(validation)
    if "rag" in positions:
        area = f"{positions['rag']}2:{positions['rag']}{MAX_ROWS}"
        for word, fill in _RAG_FILLS.items():
            rule = CellIsRule(  # type: ignore[no-untyped-call]  # unannotated in types-openpyxl
                operator="equal", formula=[f'"{word}"'], fill=fill
            )
            sheet.conditional_formatting.add(area, rule)
    if "score" in positions and max_score:
        area = f"{positions['score']}2:{positions['score']}{MAX_ROWS}"
        sheet.conditional_formatting.add(
            area,
            ColorScaleRule(  # type: ignore[no-untyped-call]  # unannotated in types-openpyxl
                start_type="num",
                start_value=0,
                start_color="63BE7B",
                mid_type="num",
                mid_value=max_score / 2,
                mid_color="FFEB84",
                end_type="num",
                end_value=max_score,
                end_color="F8696B",
            ),
        )
