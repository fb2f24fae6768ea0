"""``import_folder``: a folder of MADR or adr-tools decision records into decisions.

Reads the records architects keep in ``docs/decisions`` or ``doc/adr``:

- MADR 3 and 4: YAML front matter (``status``, ``date``, ``decision-makers`` or
  ``deciders``, ``consulted``, ``informed``), ``# Title``, *Context and Problem
  Statement*, *Considered Options*, *Decision Outcome* (``Chosen option: "X", because
  Y``), *Consequences* and any other section;
- MADR 2: the same sections, with ``* Status:``, ``* Deciders:`` and ``* Date:`` lines
  under the title;
- adr-tools: ``# 1. Title``, ``Date:``, ``## Status`` (``Accepted``, ``Superseded by
  [2. ...](0002-....md)``, ``Supersedes [...]``), ``## Context``, ``## Decision``,
  ``## Consequences``;
- the records :func:`raidlog.export.madr.write_madr` writes, whose ``raidlog:`` front
  matter gives every field back.

Supersede links between records become raidlog's ``supersedes`` links (held by the newer
decision) and the older decision's ``superseded_by``. As with spreadsheets, the import is
all or nothing unless ``keep_valid``, every file left out is reported with why, and a
second import of the same folder changes nothing (decisions are matched by
``extra["source_ref"]``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import yaml

from raidlog.errors import ImmutableItemError, ImportRejected, RaidLogError, ValidationError
from raidlog.export.madr import CONSEQUENCES, FRONT_MATTER_KEY, unescape
from raidlog.migrate.importer import SOURCE_REF
from raidlog.migrate.report import ImportReport, RowNote, TableReport
from raidlog.migrate.store import tally, upsert
from raidlog.migrate.values import DateReader, read_status
from raidlog.model.items import Decision, Item, Link
from raidlog.model.values import UNWRITABLE, Relation, canonical_ref
from raidlog.register import Register

__all__ = ["MAX_FILES", "MAX_RECORD_BYTES", "MadrReport", "import_folder"]

#: Largest record read (a decision record is a page or two of text).
MAX_RECORD_BYTES = 1_000_000
#: Most files a folder may hold.
MAX_FILES = 20_000

Progress = Callable[[str, int, int], None]


_NOTE_ROW = re.compile(r"^    (.+?) row (\d+):")


class MadrReport(ImportReport):
    """The :class:`~raidlog.migrate.report.ImportReport` of a folder of records: the
    folder is the "sheet", each record a "row" (the notes name the file and line)."""

    def summary(self, *, details: int = 10) -> str:
        """As the spreadsheet report, with the folder's records instead of tables."""
        lines = super().summary(details=details).split("\n")
        out: list[str] = []
        for line in lines:
            if line.startswith("  sheet ") and "header on row" in line:
                t = self.tables[0]
                line = (
                    f"  folder {t.sheet!r}: {t.rows_read} record(s) read, {t.imported} "
                    f"decisions, {len(t.skipped)} skipped, {len(t.rejected)} rejected, "
                    f"{len(t.flagged)} flagged"
                )
            elif line.startswith("    mapped: "):
                continue
            else:
                # A note names a file and, when known, a line: "0002-x.md (line 4): ...".
                line = _NOTE_ROW.sub(
                    lambda m: f"    {m[1]}{f' (line {m[2]})' if m[2] != '0' else ''}:", line
                )
            out.append(line)
        return "\n".join(out)


@attrs.define(kw_only=True)
class _Record:
    file: str
    sha256: str
    fields: dict[str, Any]
    extra: dict[str, Any]
    source: str
    preset_ref: str | None = None
    #: Targets as written (a file name, a number or a ref), resolved once all are read.
    superseded_by: str | None = None
    supersedes: list[str] = attrs.Factory(list)
    others: list[tuple[str, str]] = attrs.Factory(list)


_SKIP_NAMES = frozenset({"readme.md", "index.md", "summary.md", "_sidebar.md", "toc.md"})


def import_folder(
    folder: str | Path,
    register: Register,
    *,
    dry_run: bool = False,
    keep_valid: bool = False,
    progress: Progress | None = None,
) -> MadrReport:
    """Import the decision records in ``folder`` into ``register``; return the report.

    All or nothing: a record that cannot be read raises
    :class:`~raidlog.errors.ImportRejected` (its ``report`` lists every rejected file) and
    nothing is written, unless ``keep_valid`` imports the others. ``dry_run`` writes
    nothing. Files that are not records (``README.md``, templates, other files, folders,
    symbolic links) are skipped and listed with why.
    """
    tick = progress or (lambda stage, done, total: None)
    root = Path(folder)
    if not root.is_dir():
        raise ImportRejected(str(folder), "not a folder of decision records")
    tick("checking", 0, 1)
    entries = sorted(root.iterdir(), key=lambda p: p.name)
    if len(entries) > MAX_FILES:
        raise ImportRejected(root.name, f"{len(entries)} files, over the {MAX_FILES} read")
    table = TableReport(
        sheet=root.name,
        header_row=0,
        range=f"{len(entries)} files",
        kind="decision",
        kind_reason="MADR and adr-tools records",
    )
    digest = hashlib.sha256()
    records: list[_Record] = []
    for index, path in enumerate(entries):
        tick("reading", index, len(entries))
        why = _not_a_record(path)
        if why is not None:
            table.skipped.append(RowNote(sheet=path.name, row=0, reason=why))
            continue
        table.rows_read += 1
        try:
            size = path.stat().st_size
            if size > MAX_RECORD_BYTES:
                raise _Unreadable(f"{size} bytes, over the {MAX_RECORD_BYTES} a record may hold")
            raw = path.read_bytes()
        except OSError as exc:
            table.rejected.append(
                RowNote(sheet=path.name, row=0, reason=f"cannot be read ({exc.strerror})")
            )
            continue
        except _Unreadable as exc:
            table.rejected.append(RowNote(sheet=path.name, row=0, reason=exc.reason))
            continue
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(raw).digest())
        try:
            records.append(_parse(path.name, raw, register, table))
        except _Unreadable as exc:
            table.rejected.append(RowNote(sheet=path.name, row=exc.line, reason=exc.reason))
    report = MadrReport(
        file=root.name,
        sha256=digest.hexdigest(),
        format="madr",
        dry_run=dry_run,
        keep_valid=keep_valid,
        tables=[table],
    )
    if not records and not table.rejected:
        report.notes.append("no decision record in the folder")
    tick("mapping", 0, 1)
    items, sources, kept = _items(records, register, table)
    if table.rejected and not keep_valid:
        _reject(report, root.name)
    _write(items, sources, kept, register, report, table, root.name, dry_run, keep_valid)
    return report


def _reject(report: ImportReport, name: str) -> None:
    first = report.rejected[0]
    raise ImportRejected(
        name,
        f"{len(report.rejected)} record(s) cannot be imported, first: {first.sheet}: "
        f"{first.reason}; fix them, or import the others with --keep-valid",
        report=report,
    )


def _not_a_record(path: Path) -> str | None:
    name = path.name
    if path.is_symlink():
        return "a symbolic link: not followed"
    if path.is_dir():
        return "a folder: records are read from the folder itself only"
    if name.startswith("."):
        return "a hidden file"
    if not path.is_file():
        return "not a regular file"
    if path.suffix.lower() not in (".md", ".markdown"):
        return "not a Markdown file"
    if name.casefold() in _SKIP_NAMES:
        return "an index page, not a decision record"
    if "template" in name.casefold():
        return "a record template, not a decision"
    return None


class _Unreadable(RaidLogError):
    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# parsing one record -----------------------------------------------------------------------------
# An ATX heading; a closing run of # counts only after a space (CommonMark), so an
# escaped "\#" ending the text stays.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ADR_TOOLS_TITLE = re.compile(r"^\d+\.\s+")
_META_LINE = re.compile(r"^[*-]?\s*([A-Za-z][A-Za-z -]*?)\s*:\s*(.*)$")
_META_KEYS = {
    "status": "status",
    "deciders": "deciders",
    "decision-makers": "deciders",
    "decision makers": "deciders",
    "date": "date",
    "technical story": "Technical Story",
    "consulted": "consulted",
    "informed": "informed",
}
_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(([^)\s]*)\)")
_CHAIN = re.compile(r"^\s*(superseded by|supersedes)\b\s*:?\s*(.*)$", re.IGNORECASE)
_CHOSEN = re.compile(r'^chosen option:\s*"', re.IGNORECASE)
_BULLET = re.compile(r"^[*+-][ \t]+")
_STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")


def _parse(name: str, raw: bytes, register: Register, table: TableReport) -> _Record:
    if len(raw) > MAX_RECORD_BYTES:
        raise _Unreadable(f"{len(raw)} bytes, over the {MAX_RECORD_BYTES} a record may hold")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"not UTF-8 text (byte {exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = UNWRITABLE.sub("", text)
    if cleaned != text:
        table.flagged.append(
            RowNote(
                sheet=name, row=0, reason="control characters removed (exports cannot hold them)"
            )
        )
        text = cleaned
    lines = text.split("\n")
    front: dict[str, Any] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            raise _Unreadable("the front matter (from the first ---) never ends", 1)
        front = _front_matter("\n".join(lines[1:end]))
        start = end + 1
    title_at = next((i for i in range(start, len(lines)) if lines[i].startswith("# ")), None)
    if title_at is None:
        raise _Unreadable("no '# Title' line: not a decision record")
    heading = _HEADING.match(lines[title_at])
    title = heading.group(2) if heading else lines[title_at][2:]
    title = unescape(_ADR_TOOLS_TITLE.sub("", title)).strip()
    if not title:
        raise _Unreadable("the title line is empty", title_at + 1)
    meta, sections = _sections(lines[title_at + 1 :], title_at + 2)
    own = front.pop(FRONT_MATTER_KEY, None)
    if own is not None and not isinstance(own, dict):
        raise _Unreadable(f"the front matter's {FRONT_MATTER_KEY!r} is not a mapping", 1)
    record = _Record(
        file=name,
        sha256=hashlib.sha256(raw).hexdigest(),
        fields={"title": title},
        extra={},
        source=name,
    )
    _read_meta(
        record,
        {**meta, **{k.casefold(): v for k, v in front.items() if isinstance(k, str)}},
        register,
        table,
    )
    _read_sections(record, sections, register, table)
    if own is not None:
        _read_own(record, own)
    return record


def _front_matter(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = where.line + 2 if where is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        raise _Unreadable(f"the front matter is not valid YAML: {problem}", line) from None
    except RecursionError:
        raise _Unreadable("the front matter nests too deep", 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _Unreadable("the front matter is not a list of key: value lines", 1)
    return data


def _sections(
    lines: list[str], first_line: int
) -> tuple[dict[str, Any], list[tuple[str, int, str]]]:
    """MADR 2 and adr-tools metadata lines under the title, then (heading, line, text)."""
    meta: dict[str, Any] = {}
    sections: list[tuple[str, int, str]] = []
    current: str | None = None
    at = first_line
    body: list[str] = []
    fence = False

    def close() -> None:
        content = _COMMENT.sub("", "\n".join(body)).strip("\n")
        if current is not None:
            sections.append((current, at, content))
        elif content.strip():
            # Text between the title and the first section: kept, not dropped.
            sections.append(("Notes", at, content))

    for offset, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        match = None if fence else _HEADING.match(line)
        if match is not None and len(match.group(1)) >= 2:
            close()
            current = _COMMENT.sub("", match.group(2)).strip()
            at = first_line + offset
            body = []
            continue
        if current is None:
            found = _META_LINE.match(line.strip())
            key = _META_KEYS.get(found.group(1).casefold()) if found else None
            if found is not None and key is not None:
                meta.setdefault(key, _COMMENT.sub("", found.group(2)).strip())
                continue
            if line.strip():
                body.append(line)
            continue
        body.append(line)
    close()
    return meta, sections


_SCALARS = (str, int, float, bool, date)


def _text(value: object) -> str | None:
    """A front matter value as text; a list's scalar items joined by commas. Nested
    lists and mappings give nothing: YAML aliases can make them huge when written out
    (a "billion laughs" record), so they are never turned into text."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value if isinstance(v, _SCALARS)) if t]
        return ", ".join(parts) or None
    if not isinstance(value, _SCALARS):
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _read_meta(
    record: _Record, meta: Mapping[str, Any], register: Register, table: TableReport
) -> None:
    for key, value in meta.items():
        field = _META_KEYS.get(key, key)
        if field == "status":
            _read_status(record, value, register, table)
        elif field == "date":
            day = _day(value)
            if day is None and _text(value) is not None:
                table.flagged.append(
                    RowNote(
                        sheet=record.file,
                        row=0,
                        reason=f"date {_text(value)!r} is not a date: kept in extra",
                    )
                )
                record.extra["date"] = _text(value)
            record.fields["decided_on"] = day
        elif field == "deciders":
            record.fields["decided_by"] = _text(value)
        else:
            text = _text(value)
            if text is not None:
                record.extra[field] = text
            elif value is not None and not isinstance(value, str):
                table.flagged.append(
                    RowNote(
                        sheet=record.file,
                        row=0,
                        reason=f"front matter {key!r} holds a mapping or nested lists: not read",
                    )
                )


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    found, _ = DateReader([text]).read(text)
    return found


def _read_status(record: _Record, value: object, register: Register, table: TableReport) -> None:
    text = unescape(_text(value) or "")
    first = text.split("\n", 1)[0].strip()
    chain = _CHAIN.match(first)
    if chain is not None:
        if chain.group(1).casefold() == "superseded by":
            record.fields["status"] = "superseded"
            record.superseded_by = _target(chain.group(2))
        return
    words = re.sub(r"[^a-z ]+", " ", first.casefold()).split()
    status = next((w for w in words if w in _STATUSES), None)
    if status is None and first:
        status = read_status(first, register.profile.lifecycle("decision"))
        if status is None or first.startswith(("{", "[")):
            table.flagged.append(
                RowNote(
                    sheet=record.file,
                    row=0,
                    reason=f"status {first!r} is not a decision status: read as proposed, "
                    "kept in extra",
                )
            )
            record.extra["status"] = first
            status = "proposed"
        elif status != first.casefold():
            table.flagged.append(
                RowNote(sheet=record.file, row=0, reason=f"status {first!r} read as {status}")
            )
    if status is not None:
        record.fields["status"] = status


def _target(text: str) -> str:
    """What a supersede line points at: a link's file, else the text (a number, a ref)."""
    link = _LINK.search(text)
    if link is not None:
        return link.group(2)
    return unescape(text).strip()


def _read_sections(
    record: _Record, sections: list[tuple[str, int, str]], register: Register, table: TableReport
) -> None:
    for heading, line, content in sections:
        key = unescape(heading).strip()
        folded = re.sub(r"\s+", " ", key.casefold())
        if folded in ("context and problem statement", "context", "context and problem"):
            record.fields["description"] = unescape(content).strip()
        elif folded in ("considered options", "options", "options considered"):
            record.fields["options_considered"] = tuple(_options(content))
        elif folded == "decision outcome":
            _outcome(record, content)
        elif folded == "decision":
            record.fields["decision"] = unescape(content).strip()
        elif folded == "status":
            _status_section(record, content, register, table)
        elif folded == "consequences":
            if content.strip():
                record.extra[CONSEQUENCES] = unescape(content).strip()
        elif folded in ("more information", "links"):
            rest = _chain_lines(record, content)
            if rest.strip():
                record.extra[key] = unescape(rest).strip()
        elif content.strip():
            name = key if key not in record.extra else f"{key} (line {line})"
            record.extra[name] = unescape(content).strip()


def _options(content: str) -> list[str]:
    options: list[list[str]] = []
    for line in content.split("\n"):
        bullet = _BULLET.match(line)
        if bullet is not None:
            options.append([line[bullet.end() :]])
        elif options and (line.startswith("  ") or not line.strip()):
            options[-1].append(line[2:] if line.startswith("  ") else "")
        elif options and line.strip():
            options[-1].append(line.strip())
    texts = [unescape("\n".join(o)).strip() for o in options]
    return [t for t in texts if t]


def _closing_quote(text: str) -> int:
    index = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        index += 1
    return -1


def _outcome(record: _Record, content: str) -> None:
    stripped = content.strip()
    chosen = _CHOSEN.match(stripped)
    if chosen is None:
        if stripped:
            record.fields["decision"] = unescape(stripped)
        return
    rest = stripped[chosen.end() :]
    end = _closing_quote(rest)
    if end < 0:
        record.fields["decision"] = unescape(stripped)
        return
    record.fields["decision"] = unescape(rest[:end]).strip()
    after = rest[end + 1 :]
    because = re.match(r"^\s*,?\s*because\b[ \t]*", after, re.IGNORECASE)
    tail = after[because.end() :] if because else after.lstrip(" ,.")
    if tail.strip():
        record.fields["rationale"] = unescape(tail).strip()


def _chain_lines(record: _Record, content: str) -> str:
    """Read "Supersedes"/"Superseded by" lines out of ``content``; return the rest."""
    rest: list[str] = []
    for line in content.split("\n"):
        chain = _CHAIN.match(line)
        if chain is None:
            rest.append(line)
            continue
        target = _target(chain.group(2))
        if chain.group(1).casefold() == "supersedes":
            if target not in record.supersedes:
                record.supersedes.append(target)
        else:
            record.superseded_by = target
            record.fields["status"] = "superseded"
    return "\n".join(rest)


def _status_section(record: _Record, content: str, register: Register, table: TableReport) -> None:
    rest = _chain_lines(record, content)
    if record.fields.get("status") == "superseded":
        return
    first = next((line for line in rest.split("\n") if line.strip()), "")
    if first:
        _read_status(record, first, register, table)


_OWN_TEXT = ("owner", "raised_by", "node", "body", "priority", "rag")
_OWN_DATES = ("raised_on", "due", "next_review", "closed_on")
_OWN_LISTS = ("escalated_to", "objectives", "tags")


def _read_own(record: _Record, own: Mapping[str, Any]) -> None:
    """The ``raidlog:`` front matter of a record raidlog wrote: every other field."""
    ref = own.get("ref")
    if isinstance(ref, str) and ref.strip():
        record.preset_ref = ref.strip()
        record.source = ref.strip()
    for name in _OWN_TEXT:
        if isinstance(own.get(name), str):
            record.fields[name] = own[name]
    if "rag" in record.fields:
        record.fields["rag_manual"] = True
    for name in _OWN_DATES:
        value = own.get(name)
        if isinstance(value, date) and not isinstance(value, datetime):
            record.fields[name] = value
        elif isinstance(value, str):
            record.fields[name] = _day(value)
    for name in _OWN_LISTS:
        value = own.get(name)
        if isinstance(value, list):
            record.fields[name] = tuple(str(v) for v in value if isinstance(v, _SCALARS))
    if isinstance(own.get("superseded_by"), str):
        record.fields["superseded_by"] = own["superseded_by"]
    links = own.get("links")
    for entry in links if isinstance(links, list) else ():
        if not isinstance(entry, str):
            continue
        relation, _, target = entry.partition(" ")
        if relation and target:
            record.others.append((relation, target.strip()))
    extra = own.get("extra")
    if isinstance(extra, dict):
        for key, value in extra.items():
            if not isinstance(key, str):
                continue
            if isinstance(value, date):
                value = value.isoformat()
            if value is None or isinstance(value, str | int | float | bool):
                record.extra[key] = value
    source = record.extra.get(SOURCE_REF)
    if isinstance(source, str):
        record.source = source


# items, links and writing ---------------------------------------------------------------------
_REF = re.compile(r"^D-(\d+)$")
_NUMBER_IN = re.compile(r"(\d+)")


def _preset(ref: str) -> str | None:
    """A record's own ref in the one spelling the register gives refs (``d-7`` and
    full-width digits are ``D-0007``), or ``None`` when it is no decision ref at all (the
    decision then takes a new number, and the report says so)."""
    try:
        return canonical_ref(ref, prefix=Decision.ref_prefix, kind=Decision.kind)
    except ValidationError:
        return None


def _items(
    records: list[_Record], register: Register, table: TableReport
) -> tuple[list[Item], list[str], list[_Record]]:
    existing: dict[str, Item] = {}
    numbers = 0
    taken: set[str] = set()
    for item in register.items():
        assert item.ref is not None
        taken.add(item.ref)
        source = item.extra.get(SOURCE_REF)
        if item.kind == "decision" and isinstance(source, str):
            existing.setdefault(source, item)
        numbered = _REF.match(item.ref)
        if numbered is not None:
            numbers = max(numbers, int(numbered.group(1)))
    refs: dict[int, str] = {}
    # Preset refs (from records raidlog wrote) first, so new numbers never take them.
    for index, record in enumerate(records):
        earlier = existing.get(record.source)
        if earlier is not None:
            refs[index] = str(earlier.ref)
        elif record.preset_ref is not None:
            preset = _preset(record.preset_ref)
            if preset is not None and preset not in taken:
                refs[index] = preset
                taken.add(preset)
                numbers = max(numbers, int(preset.rpartition("-")[2]))
    for index in range(len(records)):
        if index not in refs:
            numbers += 1
            while f"D-{numbers:04d}" in taken:
                numbers += 1
            refs[index] = f"D-{numbers:04d}"
            taken.add(refs[index])
            preset_ref = records[index].preset_ref
            if preset_ref is not None:
                why = "is taken here" if _preset(preset_ref) else "is not a decision ref"
                _flag(table, records[index], f"ref {preset_ref} {why}: imported as {refs[index]}")
    by_file = {r.file.casefold(): refs[i] for i, r in enumerate(records)}
    by_number: dict[int, str] = {}
    for index, record in enumerate(records):
        lead = re.match(r"^(\d+)", record.file)
        if lead is not None:
            by_number.setdefault(int(lead.group(1)), refs[index])
    known = {ref.casefold(): ref for ref in taken}

    def resolve(target: str) -> str | None:
        name = target.rsplit("/", 1)[-1].split("#", 1)[0].casefold()
        if name in by_file and ".." not in target.split("/"):
            return by_file[name]
        if target.casefold() in known:
            return known[target.casefold()]
        number = _NUMBER_IN.search(name)
        if number is not None and int(number.group(1)) in by_number:
            return by_number[int(number.group(1))]
        return None

    supersedes: dict[int, set[str]] = {i: set() for i in range(len(records))}
    superseded_by: dict[int, str] = {}
    index_of = {ref: i for i, ref in refs.items()}
    for index, record in enumerate(records):
        for target in record.supersedes:
            ref = resolve(target)
            if ref is None or ref == refs[index]:
                _flag(table, record, f"supersedes {target!r}, which names no record: kept in extra")
                record.extra["supersedes"] = target
                continue
            supersedes[index].add(ref)
            if ref in index_of:
                superseded_by.setdefault(index_of[ref], refs[index])
        if record.superseded_by is not None:
            ref = resolve(record.superseded_by)
            if ref is None or ref == refs[index]:
                _flag(
                    table,
                    record,
                    f"superseded by {record.superseded_by!r}, which names no record: kept in extra",
                )
                record.extra["superseded_by"] = record.superseded_by
                continue
            superseded_by[index] = ref
            if ref in index_of:
                supersedes[index_of[ref]].add(refs[index])
    items: list[Item] = []
    kept: list[_Record] = []
    wanted: list[set[str]] = []
    for index, record in enumerate(records):
        links = [Link(relation=Relation.SUPERSEDES, target=t) for t in sorted(supersedes[index])]
        for relation, target in record.others:
            if target.casefold() not in known or relation not in {r.value for r in Relation}:
                _flag(table, record, f"link {relation} {target}: no such item here, kept in extra")
                record.extra[f"link {relation}"] = target
                continue
            links.append(Link(relation=relation, target=known[target.casefold()]))  # type: ignore[arg-type]  # Link converts the text
        fields = dict(record.fields)
        if index in superseded_by:
            fields["superseded_by"] = superseded_by[index]
            fields["status"] = "superseded"
        fields.setdefault("status", "proposed")
        extra = {**record.extra, SOURCE_REF: record.source}
        try:
            decision: Item = Decision(ref=refs[index], links=tuple(links), extra=extra, **fields)
        except (ValidationError, TypeError, ValueError) as exc:
            table.rejected.append(RowNote(sheet=record.file, row=0, reason=str(exc)))
            continue
        earlier = existing.get(record.source)
        if earlier is not None:
            decision = _over(earlier, decision, frozenset(fields))
        items.append(decision)
        kept.append(record)
        wanted.append({link.target for link in links})
    # Older decisions first: a supersedes link must name a stored item.
    position = {str(item.ref): i for i, item in enumerate(items)}
    order: list[int] = []
    placed: set[int] = set()
    pending = list(range(len(items)))
    while pending:
        ready = [
            i
            for i in pending
            if not ({position[t] for t in wanted[i] if t in position} - placed - {i})
        ]
        if not ready:
            index = pending[0]
            _flag(table, kept[index], "supersede links in a cycle: the last link is left out")
            cut = tuple(
                link
                for link in items[index].links
                if position.get(link.target) in placed or link.target not in position
            )
            items[index] = attrs.evolve(items[index], links=cut)
            wanted[index] = {link.target for link in cut}
            continue
        for i in ready:
            order.append(i)
            placed.add(i)
            pending.remove(i)
    items = [items[i] for i in order]
    kept = [kept[i] for i in order]
    sources = [f"{r.file} sha256:{r.sha256}" for r in kept]
    return items, sources, kept


def _over(current: Item, new: Item, mapped: frozenset[str]) -> Item:
    """``new`` as an update of ``current``: what the record gives replaces, what it has
    no place for (a review date raidlog set, fields of a foreign record) is kept."""
    keep = {
        f.name: getattr(current, f.name)
        for f in attrs.fields(type(current))
        if f.name not in mapped
        and f.name not in ("extra", "links", "ref", "version", "title", "rag", "rag_manual")
        and not f.name.startswith(("created_", "updated_"))
    }
    return attrs.evolve(new, version=current.version, extra={**current.extra, **new.extra}, **keep)


def _flag(table: TableReport, record: _Record, reason: str) -> None:
    table.flagged.append(RowNote(sheet=record.file, row=0, reason=reason))


def _write(
    items: list[Item],
    sources: list[str],
    records: list[_Record],
    register: Register,
    report: ImportReport,
    table: TableReport,
    name: str,
    dry_run: bool,
    keep_valid: bool,
) -> None:
    stored_refs = {item.ref for item in register.items()}
    before = {item.ref: item.version for item in items if item.ref in stored_refs}
    if dry_run:
        report.added = sum(1 for i in items if i.ref not in before)
        report.updated = len(items) - report.added
        table.imported = len(items)
        report.refs = [str(i.ref) for i in items]
        return

    def frozen(index: int, exc: ImmutableItemError) -> None:
        # An accepted decision that the record changes: only a superseding record may
        # change it. That record is rejected.
        reason = f"{exc}; the record changes it"
        table.rejected.append(RowNote(sheet=records[index].file, row=0, reason=reason))
        if not keep_valid:
            _reject(report, name)
        del records[index]

    stored = upsert(register, items, sources, name, frozen)
    table.imported += len(stored)
    tally(report, stored, before)
