"""Value types, limits and the text rules every item field follows.

Pure functions: no I/O, no knowledge of storage or profiles.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TypeAlias

from raidlog.errors import ValidationError

__all__ = [
    "DESCRIPTION_MAX",
    "REF_DIGITS_MAX",
    "TITLE_MAX",
    "UNWRITABLE",
    "ExtraValue",
    "Rag",
    "Relation",
    "canonical_ref",
    "canonical_text",
    "clean_extra",
    "clean_names",
    "optional_text",
    "utc",
]

#: Longest title accepted. Long enough for any real title, short enough for a table cell.
TITLE_MAX = 300
#: Longest free text accepted in one field: Excel keeps 32,767 characters in a cell, and an
#: export must never truncate silently, so the model refuses longer text up front.
DESCRIPTION_MAX = 32_000

#: Most digits a ref's number may have: ``R-999999999`` fits every store's counter.
REF_DIGITS_MAX = 9

#: Dashes people type or paste for the hyphen of a ref (NFKC leaves them alone).
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58"), "-")

#: What ``extra`` may hold: values as a user typed them, JSON-ready.
ExtraValue: TypeAlias = str | int | float | bool | None

#: What no text may hold: C0 controls except TAB and LF (CR is canonicalised to LF
#: first), DEL and C1 controls (xlsx is XML and cannot hold them), lone surrogates (no
#: UTF-8 file can) and U+FFFE, U+FFFF (not characters in XML: a workbook holding them
#: does not open). Importers remove them with this pattern and note it.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Rag(enum.StrEnum):
    """Red, amber, green status as boards read it."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Relation(enum.StrEnum):
    """Typed links between items. Stored on the source item; queryable from both ends."""

    MITIGATES = "mitigates"
    RESOLVES = "resolves"
    MATERIALISED_AS = "materialised_as"
    SUPERSEDES = "supersedes"
    DEPENDS_ON = "depends_on"
    RELATES_TO = "relates_to"


def canonical_text(value: str, *, field: str, limit: int = DESCRIPTION_MAX) -> str:
    """Return ``value`` with newlines made canonical, or raise for what cannot be kept.

    ``\\r\\n`` and a lone ``\\r`` become ``\\n`` (a spreadsheet round trip turns them into
    ``\\n`` anyway, and export then import must be exact). Other control characters, lone
    surrogates and U+FFFE, U+FFFF are refused (:data:`UNWRITABLE`): they break XML-based
    formats such as xlsx, or any UTF-8 file.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text, not {type(value).__name__}", field=field)
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    bad = UNWRITABLE.search(text)
    if bad is not None:
        what = "the control character" if bad.group() <= "\x9f" else "the character"
        raise ValidationError(
            f"{field} contains {what} U+{ord(bad.group()):04X} at position {bad.start()}, "
            "which exports cannot hold; remove it (importers clean such characters and note it)",
            field=field,
        )
    if len(text) > limit:
        raise ValidationError(
            f"{field} is {len(text)} characters long; the limit is {limit}", field=field
        )
    return text


def canonical_ref(value: str, *, prefix: str, kind: str) -> str:
    """The one spelling of a ref given for a new item of ``kind``, or a ValidationError.

    Look-alikes of a ref must not become refs of their own (``R-0001`` spoofed by a
    zero-width space, full-width digits or lower case), so the text is normalised first:
    NFKC (full-width and other compatibility forms become ASCII, NFC and NFD agree),
    format characters (zero-width spaces and joiners, the byte-order mark, soft hyphens)
    removed, typographic dashes made ``-``, surrounding space stripped, the prefix upper
    cased. What is left must be ``kind``'s prefix, a dash and 1 to
    :data:`REF_DIGITS_MAX` ASCII digits, not all zero; the number is written with at
    least four digits as allocation writes it (``r-7`` is ``R-0007``), so one number has
    one ref.
    """
    if not isinstance(value, str):
        raise ValidationError(f"ref must be text, not {type(value).__name__}", field="ref")
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").translate(_DASHES)
    head, dash, digits = text.strip().rpartition("-")
    example = f"a {kind} ref is {prefix}- and a number, such as {prefix}-0042"
    if not dash or not head.isascii() or head.upper() != prefix:
        raise ValidationError(
            f"ref {value!r} does not start with {prefix}-: {example}; leave ref unset to have "
            "one allocated",
            field="ref",
        )
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(
            f"ref {value!r} has no number (ASCII digits) after {prefix}-: {example}",
            field="ref",
        )
    significant = digits.lstrip("0")
    if not significant:
        raise ValidationError(f"ref {value!r}: ref numbers start at 1", field="ref")
    if len(significant) > REF_DIGITS_MAX:
        raise ValidationError(
            f"ref {value!r} has a number of {len(significant)} digits; at most "
            f"{REF_DIGITS_MAX} are allowed",
            field="ref",
        )
    return f"{prefix}-{int(significant):04d}"


def optional_text(value: str | None, *, field: str, limit: int = TITLE_MAX) -> str | None:
    """Like :func:`canonical_text` for optional short fields; blank text becomes ``None``."""
    if value is None:
        return None
    text = canonical_text(value, field=field, limit=limit).strip()
    return text or None


def clean_names(values: Iterable[str], *, field: str) -> tuple[str, ...]:
    """Return a tuple of stripped, non-empty, unique names in their first order."""
    if isinstance(values, str):
        raise ValidationError(f"{field} must be a list of names, not one string", field=field)
    seen: dict[str, None] = {}
    for value in values:
        text = optional_text(value, field=field)
        if text is not None:
            seen.setdefault(text, None)
    return tuple(seen)


def clean_extra(values: Mapping[str, ExtraValue]) -> dict[str, ExtraValue]:
    """Validate the ``extra`` mapping: text keys, JSON-ready values, canonical text."""
    cleaned: dict[str, ExtraValue] = {}
    for key, value in values.items():
        name = canonical_text(key, field="extra key", limit=TITLE_MAX)
        if isinstance(value, str):
            cleaned[name] = canonical_text(value, field=f"extra[{name!r}]")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(f"extra[{name!r}] is not a finite number", field="extra")
        elif value is None or isinstance(value, bool | int | float):
            cleaned[name] = value
        else:
            raise ValidationError(
                f"extra[{name!r}] holds a {type(value).__name__}; extra keeps text, numbers, "
                "booleans and empty values only",
                field="extra",
            )
    return cleaned


def utc(value: datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime; naive datetimes are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_date(value: date | None, *, field: str) -> date | None:
    """Refuse datetimes where a calendar date is meant (a time would be silently dropped)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        raise ValidationError(f"{field} must be a date, not a datetime", field=field)
    if not isinstance(value, date):
        raise ValidationError(f"{field} must be a date, not {type(value).__name__}", field=field)
    return value
