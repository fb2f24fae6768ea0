"""Reading and writing the register's workbook: the sheets as data.

Reading uses python-calamine (a Rust reader, about ten times faster than openpyxl);
writing uses openpyxl's write-only mode, one streaming pass per sheet. What was
written is hashed sheet by sheet from the values themselves, so a later read can tell
whether the sheets still hold exactly what raidlog wrote.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs
import openpyxl
import python_calamine

from raidlog.bulk import bulk
from raidlog.convert import ENTITY_CLASSES, Codec, entity_kind
from raidlog.errors import BackendError, SchemaVersionError, ValidationError
from raidlog.model.events import Event
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Item
from raidlog.model.profile import Profile

from .layout import (
    EVENT_COLUMNS,
    GOVERNANCE_COLUMNS,
    LINK_COLUMNS,
    MAX_CELL_TEXT,
    MAX_COLUMNS,
    MAX_ROWS,
    CellError,
    Column,
    cell_for,
    columns_for,
    decode_cell,
    encode_value,
    header_cells,
    row_key,
    sheet_name,
    style_sheet,
    text_length,
    vocabularies,
)

__all__ = [
    "EVENTS_SHEET",
    "GOVERNANCE_SHEET",
    "LINKS_SHEET",
    "META_SHEET",
    "SCHEMA",
    "RawSheet",
    "Snapshot",
    "read_workbook",
    "render",
]

#: Layout version of the workbook; a newer one is refused with SchemaVersionError.
SCHEMA: Final = 1
LINKS_SHEET: Final = "Links"
GOVERNANCE_SHEET: Final = "Governance"
EVENTS_SHEET: Final = "_events"
META_SHEET: Final = "_meta"
# Internal _meta keys; get_meta/set_meta see the others.
_SCHEMA_KEY, _COUNTERS_KEY, _HASHES_KEY = "raidlog.schema", "raidlog.counters", "raidlog.hashes"
# A piece of a long text in one cell: at most twice as long once "_xHHHH_" runs are
# escaped, so still under Excel's 32,767 characters.
_CHUNK: Final = 16_000
Entity = Node | Body | Objective


@attrs.define
class RawSheet:
    """A sheet as read: its header and data rows with their row numbers (from 1)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    digest: str


@attrs.frozen
class Snapshot:
    """Everything a workbook holds, decoded."""

    items: dict[str, Item]
    events: list[Event]
    entities: dict[tuple[type[Entity], str], Entity]
    counters: dict[str, int]
    meta: dict[str, str]
    #: Digest of each data sheet as raidlog last wrote it (from _meta).
    written: dict[str, str] = attrs.field(factory=dict)
    #: Digest of each data sheet as read now.
    found: dict[str, str] = attrs.field(factory=dict)
    #: Kind and governance sheets as read, for checking hand edits.
    sheets: dict[str, RawSheet] = attrs.field(factory=dict)

    @classmethod
    def empty(cls) -> Snapshot:
        """A register with nothing in it."""
        return cls({}, [], {}, {}, {})

    def edited_sheets(self) -> list[str]:
        """Data sheets whose content differs from what raidlog last wrote."""
        return sorted(n for n, d in self.found.items() if self.written.get(n) != d)


def _digest(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    hasher = hashlib.sha256(row_key(header).encode())
    for row in rows:
        hasher.update(b"\n")
        hasher.update(row_key(row).encode())
    return hasher.hexdigest()


def _text_pieces(text: str) -> list[str]:
    return [text[i : i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]


def _optional_text(value: str | None) -> str | None:
    # Excel has no empty string distinct from an empty cell: "" and text that starts
    # with a quote are written as JSON strings so that None, "" and '"x"' stay apart.
    if value is None:
        return None
    if value == "" or value.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    return value


def _read_optional_text(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    text = str(raw)
    return str(json.loads(text)) if text.startswith('"') else text


# reading -------------------------------------------------------------------------------
def _raw_sheet(book: python_calamine.CalamineWorkbook, name: str) -> RawSheet:
    values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    header = [str(v) for v in values[0]] if values else []
    rows = [(n, list(r)) for n, r in enumerate(values[1:], 2) if any(v != "" for v in r)]
    return RawSheet(name, header, rows, _digest(header, (r for _, r in rows)))


def read_raw(path: Path) -> dict[str, RawSheet]:
    """Every sheet of the workbook, as read by python-calamine. Raises
    :class:`~raidlog.errors.BackendError` for a file it cannot read."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return {name: _raw_sheet(book, name) for name in book.sheet_names}
        finally:
            book.close()
    except python_calamine.CalamineError as exc:
        raise BackendError(
            f"{path} cannot be read as a workbook ({type(exc).__name__}: {exc}); restore it "
            "from a backup"
        ) from exc


def _position(sheet: RawSheet, columns: Sequence[Column]) -> list[tuple[Column, int | None]]:
    index = {title: i for i, title in enumerate(sheet.header)}
    return [(c, index.get(c.title)) for c in columns]


def decode_rows(
    sheet: RawSheet, cls: type[Item], columns: Sequence[Column]
) -> Iterable[tuple[int, dict[str, Any], list[tuple[str, str]]]]:
    """Each row as the codec's item dict, with the problems found (column, reason)."""
    positions = _position(sheet, columns)
    for number, row in sheet.rows:
        data: dict[str, Any] = {"kind": cls.kind}
        problems: list[tuple[str, str]] = []
        for column, at in positions:
            raw = row[at] if at is not None and at < len(row) else None
            try:
                data[column.field] = decode_cell(raw, column.encoding)
            except (CellError, ValueError) as exc:
                problems.append((column.title, str(exc)))
        yield number, data, problems


def _events(sheet: RawSheet, codec: Codec) -> list[Event]:
    index = {title: i for i, title in enumerate(sheet.header)}
    first = index["changes"]
    events = []
    for number, row in sheet.rows:
        value = {name: row[index[name]] for name in EVENT_COLUMNS[:-1]}
        changes = "".join(str(v) for v in row[first:] if v != "")
        try:
            events.append(
                codec.event_from_dict(
                    {
                        **value,
                        "seq": int(value["seq"]),
                        "version": int(value["version"]),
                        "reason": _read_optional_text(value["reason"]),
                        "source": _read_optional_text(value["source"]),
                        "changes": json.loads(changes or "[]"),
                    }
                )
            )
        except (ValidationError, ValueError, TypeError) as exc:
            raise SchemaVersionError(
                f"sheet {EVENTS_SHEET} row {number} cannot be read ({exc}): the event log was "
                "edited outside raidlog; restore the workbook from a backup"
            ) from exc
    return events


def _meta(sheet: RawSheet) -> dict[str, str]:
    return {
        str(row[0]): "".join(str(v) for v in row[1:] if v != "")
        for _, row in sheet.rows
        if row and row[0] != ""
    }


def read_workbook(path: Path, codec: Codec, *, trust: bool = True) -> Snapshot:
    """Read a register workbook. Items are decoded from their sheets when those hold
    what raidlog wrote (or when ``trust`` is set); otherwise they are left to
    :mod:`raidlog.backends.excel.external` to check, and ``items`` is empty."""
    # Decoding builds many small objects and none of them cycles: the collector would
    # spend most of the time scanning them (see DESIGN.md), so it waits until the end.
    with bulk():
        return _read_workbook(path, codec, trust=trust)


def _read_workbook(path: Path, codec: Codec, *, trust: bool) -> Snapshot:
    raw = read_raw(path)
    if META_SHEET not in raw or EVENTS_SHEET not in raw:
        raise SchemaVersionError(
            f"{path} is not a raidlog register workbook (it has no {META_SHEET} and "
            f"{EVENTS_SHEET} sheets); import it with `raidlog migrate` instead"
        )
    meta = _meta(raw[META_SHEET])
    try:
        schema = int(meta.pop(_SCHEMA_KEY, "0") or 0)
        counters = {k: int(v) for k, v in json.loads(meta.pop(_COUNTERS_KEY, "{}")).items()}
        written = dict(json.loads(meta.pop(_HASHES_KEY, "{}")))
        if "profile" in meta:
            dict(json.loads(meta["profile"]))  # read again at each save and hand edit
    except (ValueError, TypeError, AttributeError) as exc:
        raise BackendError(
            f"{path}: the hidden {META_SHEET} sheet is damaged ({exc}); it was edited outside "
            "raidlog: restore the workbook from a backup"
        ) from exc
    if schema > SCHEMA:
        raise SchemaVersionError(
            f"{path} was written by a newer raidlog (workbook layout {schema}, this release "
            f"reads {SCHEMA}); upgrade raidlog"
        )
    data_sheets = {sheet_name(cls): cls for cls in codec.kinds.values()}
    found = {n: s.digest for n, s in raw.items() if n in data_sheets or n == GOVERNANCE_SHEET}
    edited = any(written.get(n) != d for n, d in found.items())
    items: dict[str, Item] = {}
    entities: dict[tuple[type[Entity], str], Entity] = {}
    if trust or not edited:
        for name, cls in data_sheets.items():
            if name not in raw:
                continue
            for number, data, problems in decode_rows(raw[name], cls, columns_for(cls)):
                if problems:
                    raise SchemaVersionError(
                        f"sheet {name} row {number}: {problems[0][0]}: {problems[0][1]}"
                    )
                item = codec.item_from_dict(data)
                assert item.ref is not None
                items[item.ref] = item
        if GOVERNANCE_SHEET in raw:
            for entity in read_entities(raw[GOVERNANCE_SHEET], codec):
                entities[(type(entity), entity.name)] = entity
    return Snapshot(
        items=items,
        events=_events(raw[EVENTS_SHEET], codec),
        entities=entities,
        counters=counters,
        meta=meta,
        written=written,
        found=found,
        sheets={n: s for n, s in raw.items() if n in found},
    )


def read_entities(sheet: RawSheet, codec: Codec) -> list[Entity]:
    """The governance records of the Governance sheet."""
    found = []
    positions = _position(sheet, GOVERNANCE_COLUMNS)
    for number, row in sheet.rows:
        data: dict[str, Any] = {}
        for column, at in positions:
            raw = row[at] if at is not None and at < len(row) else None
            data[column.field] = decode_cell(raw, column.encoding)
        kind = data.pop("entity")
        if kind not in ENTITY_CLASSES:
            raise ValidationError(
                f"sheet {sheet.name} row {number}: Entity must be one of "
                f"{', '.join(ENTITY_CLASSES)}, not {kind!r}"
            )
        keep = {f.name for f in attrs.fields(ENTITY_CLASSES[kind])}
        found.append(
            codec.entity_from_dict(
                {"entity": kind, **{k: v for k, v in data.items() if k in keep and v is not None}}
            )
        )
    return found


# writing -------------------------------------------------------------------------------
@attrs.define
class _Sheet:
    name: str
    header: list[str]
    rows: list[list[Any]]
    columns: tuple[Column, ...] = ()
    table: str | None = None
    lists: Mapping[str, Sequence[str]] = attrs.field(factory=dict)
    hidden: bool = False
    protected: bool = False
    max_score: int | None = None


@attrs.frozen
class Rendering:
    """A workbook ready to write, with the digest of each sheet's values."""

    sheets: list[_Sheet]
    digests: dict[str, str]

    def write(self, handle: IO[bytes]) -> None:
        """Write the workbook to an open binary file."""
        book = openpyxl.Workbook(write_only=True)
        for spec in self.sheets:
            sheet = book.create_sheet(spec.name)
            if spec.table is not None:
                style_sheet(
                    sheet,
                    spec.columns,
                    len(spec.rows),
                    spec.table,
                    spec.lists,
                    max_score=spec.max_score,
                )
            if spec.hidden:
                sheet.sheet_state = "hidden"
            if spec.protected:
                sheet.protection.sheet = True
            sheet.append(header_cells(sheet, spec.header))
            for row in spec.rows:
                sheet.append([cell_for(sheet, value) for value in row])
        book.save(handle)


def _check_cells(sheet: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if len(rows) + 1 > MAX_ROWS:
        raise ValidationError(
            f"sheet {sheet} would need {len(rows) + 1} rows; Excel keeps at most {MAX_ROWS}: "
            "move the register to SQLite (`raidlog copy`) or split it"
        )
    width = max([len(header), *(len(r) for r in rows)])
    if width > MAX_COLUMNS:
        raise ValidationError(
            f"sheet {sheet} would need {width} columns; Excel keeps at most {MAX_COLUMNS}"
        )
    for number, row in enumerate(rows, 2):
        for position, value in enumerate(row):
            if not isinstance(value, str):
                continue
            title = header[min(position, len(header) - 1)]
            ref = row[0]
            if "\ufffe" in value or "\uffff" in value:
                raise ValidationError(
                    f"{ref}: the {title!r} cell (sheet {sheet}, row {number}) holds U+FFFE or "
                    "U+FFFF, which an xlsx file cannot contain; remove it: nothing was written",
                    field=title,
                )
            if text_length(value) > MAX_CELL_TEXT:
                raise ValidationError(
                    f"{ref}: the {title!r} cell (sheet {sheet}, row {number}) would hold "
                    f"{text_length(value)} characters; an Excel cell keeps at most "
                    f"{MAX_CELL_TEXT}. Shorten it: nothing was written",
                    field=title,
                )


def render(
    codec: Codec,
    items: Mapping[str, Item],
    events: Sequence[Event],
    entities: Iterable[Entity],
    counters: Mapping[str, int],
    meta: Mapping[str, str],
) -> Rendering:
    """Lay the register out as sheets and check Excel's limits (raises
    :class:`~raidlog.errors.ValidationError`, before anything is written)."""
    profile_json = meta.get("profile")
    profile = Profile.from_mapping(json.loads(profile_json)) if profile_json else None
    by_kind: dict[str, list[Item]] = {kind: [] for kind in codec.kinds}
    for ref in sorted(items):
        by_kind.setdefault(items[ref].kind, []).append(items[ref])
    sheets: list[_Sheet] = []
    digests: dict[str, str] = {}
    for kind, cls in codec.kinds.items():
        columns = columns_for(cls)
        rows: list[list[Any]] = []
        for item in by_kind[kind]:
            try:
                rows.append([encode_value(getattr(item, c.field), c.encoding) for c in columns])
            except CellError as exc:
                raise ValidationError(f"{item.ref}: {exc}") from None
        name = sheet_name(cls)
        sheets.append(
            _Sheet(
                name,
                [c.title for c in columns],
                rows,
                columns,
                name.replace(" ", "_"),
                vocabularies(profile, kind),
                max_score=profile.matrix.max_score if profile is not None else None,
            )
        )
    links = [
        [item.ref, link.relation.value, link.target, item.title]
        for ref in sorted(items)
        for item in (items[ref],)
        for link in item.links
    ]
    link_columns = tuple(Column(t.lower(), t, "opt_text", 30) for t in LINK_COLUMNS)
    sheets.append(_Sheet(LINKS_SHEET, list(LINK_COLUMNS), links, link_columns, "Links"))
    governance = []
    order = list(ENTITY_CLASSES)
    for entity in sorted(entities, key=lambda e: (order.index(entity_kind(type(e))), e.name)):
        data = codec.entity_to_dict(entity)
        governance.append([encode_value(data.get(c.field), c.encoding) for c in GOVERNANCE_COLUMNS])
    sheets.append(
        _Sheet(
            GOVERNANCE_SHEET,
            [c.title for c in GOVERNANCE_COLUMNS],
            governance,
            GOVERNANCE_COLUMNS,
            "Governance",
        )
    )
    event_rows = []
    widest = 1
    for event in events:
        pieces = _text_pieces(
            json.dumps([[c.field, c.old, c.new] for c in event.changes], ensure_ascii=False)
        )
        widest = max(widest, len(pieces))
        event_rows.append(
            [
                event.seq,
                event.ref,
                event.kind,
                event.action,
                event.version,
                event.actor,
                event.at.isoformat(),
                event.channel,
                _optional_text(event.reason),
                _optional_text(event.source),
                event.prev_hash,
                event.hash,
                *pieces,
            ]
        )
    event_header = [*EVENT_COLUMNS, *(f"changes {n}" for n in range(2, widest + 1))]
    sheets.append(_Sheet(EVENTS_SHEET, event_header, event_rows, hidden=True, protected=True))
    for sheet in sheets:
        _check_cells(sheet.name, sheet.header, sheet.rows)
        digests[sheet.name] = _digest(sheet.header, sheet.rows)
    data_sheets = {s.name for s in sheets[: len(codec.kinds)]} | {GOVERNANCE_SHEET}
    internal = {
        _SCHEMA_KEY: str(SCHEMA),
        _COUNTERS_KEY: json.dumps(dict(sorted(counters.items()))),
        _HASHES_KEY: json.dumps({n: d for n, d in digests.items() if n in data_sheets}),
    }
    meta_rows = [[key, *_text_pieces(value)] for key, value in {**internal, **meta}.items()]
    meta_sheet = _Sheet(META_SHEET, ["key", "value"], meta_rows, hidden=True)
    _check_cells(META_SHEET, meta_sheet.header, meta_rows)
    digests[META_SHEET] = _digest(meta_sheet.header, meta_rows)
    sheets.append(meta_sheet)
    return Rendering(sheets, digests)


def check_written(path: Path, rendering: Rendering) -> None:
    """Re-open a written workbook and check every sheet holds what was meant."""
    raw = read_raw(path)
    for name, digest in rendering.digests.items():
        if name not in raw or raw[name].digest != digest:
            raise OSError(f"the saved workbook does not read back as written (sheet {name})")
