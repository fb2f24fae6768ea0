"""MADR decision records: one Markdown file per decision, as architects keep them.

Each record follows MADR 3 and 4 (https://adr.github.io/madr/): YAML front matter with
``status``, ``date`` and ``decision-makers``, the title as ``# ...``, then *Context and
Problem Statement*, *Considered Options*, *Decision Outcome* (``Chosen option: "...",
because ...``) with its *Consequences*, and *More Information* holding the supersede
chain as relative links to the other records' files. What MADR has no place for (the
ref, owner, body, tags, extra fields...) sits under one ``raidlog:`` key of the front
matter, so :func:`raidlog.migrate.madr.import_folder` gives the same decisions back.

File names are ``NNNN-slug.md`` (the number from the ref, the slug from the title), made
of letters, digits and dashes only. Text from the register is escaped so that Markdown
and HTML in it show as written and cannot change the record's structure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from raidlog.files import write_text
from raidlog.model.items import Decision, Item
from raidlog.model.values import Relation

__all__ = [
    "CONSEQUENCES",
    "FRONT_MATTER_KEY",
    "escape",
    "record_names",
    "render_record",
    "unescape",
    "write_madr",
]

#: The front matter key holding what MADR has no place for.
FRONT_MATTER_KEY = "raidlog"
#: The ``extra`` key that holds a record's Consequences section.
CONSEQUENCES = "Consequences"

Progress = Callable[[int], None]

# Escaped wherever they stand: they start emphasis, code, links, HTML, entities, tables,
# strikethrough and headings, or they are the escape itself.
_ALWAYS = re.compile(r'([\\`*_\[\]<>#|~&"])')
# Escaped only first on a line: they start lists, block quotes and setext underlines.
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
# CommonMark lets a backslash escape any ASCII punctuation character.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape(text: str) -> str:
    """``text`` as Markdown that shows it literally: no markup or HTML in it takes effect,
    and no line of it can start a heading, list, quote or thematic break.
    :func:`unescape` gives ``text`` back exactly."""
    out = _ALWAYS.sub(r"\\\1", text)
    out = _LINE_START.sub(r"\1\\\2", out)
    return _ORDERED.sub(r"\1\\\2", out)


def unescape(text: str) -> str:
    """Undo Markdown backslash escapes (the inverse of :func:`escape`)."""
    return _ESCAPED.sub(r"\1", text)


_SLUG_MAX = 50
_NUMBER = re.compile(r"^[A-Za-z]+-0*(\d+)$")


def _slug(title: str) -> str:
    # Accents go (é -> e); letters of other scripts stay, lower-cased; the rest is a dash.
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = unicodedata.normalize("NFKC", plain).casefold()
    slug = re.sub(r"[^\w]+|_+", "-", plain).strip("-")
    if len(slug) > _SLUG_MAX:
        cut = slug[:_SLUG_MAX]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[_SLUG_MAX // 2 :] else cut
    return slug.strip("-") or "decision"


def record_names(decisions: Iterable[Decision]) -> dict[str, str]:
    """The file name of each decision's record, by ref: ``0042-use-postgresql.md``.

    The number comes from the ref (``D-0042``), so a record keeps its number whatever
    happens to the title; a ref without a number, or two refs with the same number,
    give ``<ref>-slug.md`` instead. Names hold letters, digits and dashes only: no path
    separator, no leading dot, no name Windows reserves.
    """
    wanted: dict[str, str] = {}
    for decision in decisions:
        assert decision.ref is not None, "only stored decisions have records"
        match = _NUMBER.match(decision.ref)
        stem = f"{int(match.group(1)):04d}" if match else _slug(decision.ref)
        wanted[decision.ref] = f"{stem}-{_slug(decision.title)}"
    counts: dict[str, int] = {}
    for name in wanted.values():
        counts[name.split("-", 1)[0]] = counts.get(name.split("-", 1)[0], 0) + 1
    names: dict[str, str] = {}
    for ref, name in wanted.items():
        if counts[name.split("-", 1)[0]] > 1:
            name = f"{_slug(ref)}-{name.split('-', 1)[1]}"
        names[ref] = f"{name}.md"
    return names


class _Dumper(yaml.SafeDumper):
    """Strings that are not plain one-liners are written double-quoted, with every line
    break and unusual character escaped: the front matter stays one line per value."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    simple = value.isprintable() and value.isascii() and value == value.strip()
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style=None if simple and value else '"'
    )


_Dumper.add_representer(str, _represent_str)


def _front_matter(decision: Decision, names: Mapping[str, str]) -> dict[str, Any]:
    status = decision.status or "proposed"
    if status == "superseded" and decision.superseded_by:
        target = decision.superseded_by
        status = (
            f"superseded by [{target}]({names[target]})"
            if target in names
            else f"superseded by {target}"
        )
    data: dict[str, Any] = {"status": status}
    if decision.decided_on is not None:
        data["date"] = decision.decided_on
    if decision.decided_by:
        data["decision-makers"] = decision.decided_by
    own: dict[str, Any] = {"ref": decision.ref}
    for name in ("owner", "raised_by", "raised_on", "node", "body", "priority"):
        value = getattr(decision, name)
        if value is not None:
            own[name] = value
    for name in ("escalated_to", "objectives", "tags"):
        value = getattr(decision, name)
        if value:
            own[name] = list(value)
    if decision.rag_manual and decision.rag is not None:
        own["rag"] = str(decision.rag)
    for name in ("due", "next_review", "closed_on"):
        value = getattr(decision, name)
        if value is not None:
            own[name] = value
    if decision.superseded_by and status == decision.status:
        own["superseded_by"] = decision.superseded_by  # a status other than "superseded"
    others = [
        f"{link.relation} {link.target}"
        for link in decision.links
        if link.relation != Relation.SUPERSEDES or link.target not in names
    ]
    if others:
        own["links"] = others
    extra = {k: v for k, v in decision.extra.items() if k != CONSEQUENCES}
    if extra:
        own["extra"] = extra
    data[FRONT_MATTER_KEY] = own
    return data


def _lines(text: str) -> str:
    return escape(text.strip())


def _bullet(text: str) -> str:
    first, *rest = escape(text.strip()).split("\n")
    return "\n".join([f"* {first}", *(f"  {line}" if line else "" for line in rest)])


def _reference(ref: str, names: Mapping[str, str], titles: Mapping[str, str]) -> str:
    title = titles.get(ref)
    label = escape(f"{ref} {title}".replace("\n", " ")) if title else escape(ref)
    return f"[{label}]({names[ref]})"


def render_record(
    decision: Decision, names: Mapping[str, str], titles: Mapping[str, str] | None = None
) -> str:
    """One decision as a MADR record. ``names`` maps refs to record file names (the
    supersede links point at them); ``titles`` maps refs to titles for the link text."""
    titles = titles or {}
    head = yaml.dump(
        _front_matter(decision, names),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**30,
        default_flow_style=False,
    )
    parts = [f"---\n{head}---", f"# {escape(decision.title.replace(chr(10), ' '))}"]
    if decision.description.strip():
        parts += ["## Context and Problem Statement", _lines(decision.description)]
    options = [o for o in decision.options_considered if o.strip()]
    if options:
        parts += ["## Considered Options", "\n".join(_bullet(o) for o in options)]
    outcome = decision.decision.strip()
    rationale = decision.rationale.strip()
    if outcome or rationale:
        chosen = f'Chosen option: "{escape(outcome)}"'
        parts += [
            "## Decision Outcome",
            f"{chosen}, because {_lines(rationale)}" if rationale else chosen,
        ]
    consequences = decision.extra.get(CONSEQUENCES)
    if isinstance(consequences, str) and consequences.strip():
        parts += ["### Consequences", _lines(consequences)]
    chain = [
        f"Supersedes {_reference(link.target, names, titles)}"
        for link in decision.links
        if link.relation == Relation.SUPERSEDES and link.target in names
    ]
    newer = decision.superseded_by
    if newer is not None and newer in names:
        chain.append(f"Superseded by {_reference(newer, names, titles)}")
    if chain:
        parts += ["## More Information", "\n\n".join(chain)]
    return "\n\n".join(parts) + "\n"


def write_madr(
    items: Iterable[Item], folder: str | Path, *, advance: Progress | None = None
) -> int:
    """Write a MADR record for every decision among ``items`` into ``folder`` (created
    when missing); returns how many were written.

    Each file is replaced atomically. A record this export wrote earlier for the same
    decision under another name (its title changed) is removed; no other file in the
    folder is touched.
    """
    chosen = list(items)
    decisions = [i for i in chosen if isinstance(i, Decision)]
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    names = record_names(decisions)
    titles = {str(d.ref): d.title for d in decisions}
    for count, decision in enumerate(decisions, start=1):
        assert decision.ref is not None
        name = names[decision.ref]
        write_text(out / name, render_record(decision, names, titles))
        _remove_renamed(out, name, decision.ref)
        if advance is not None and count % 100 == 0:
            advance(100)
    if advance is not None:
        advance(len(decisions) % 100 + len(chosen) - len(decisions))  # the rest: not records
    return len(decisions)


def _remove_renamed(folder: Path, name: str, ref: str) -> None:
    number = name.split("-", 1)[0]
    marker = f"\n  ref: {ref}\n"
    for old in folder.glob(f"{number}-*.md"):
        if old.name == name or not old.is_file() or old.is_symlink():
            continue
        try:
            head = old.read_text(encoding="utf-8")[:4096]
        except (OSError, UnicodeDecodeError):
            continue
        if head.startswith("---\n") and f"\n{FRONT_MATTER_KEY}:" in head and marker in head:
            old.unlink()
