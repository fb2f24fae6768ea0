"""Cell values to model values: text, dates, levels, statuses, RAG and vocabularies.

Every reader returns the value or ``None`` plus, when it could not read the cell as
written, a short note; the importer keeps such cells as written in ``extra`` and flags
them. Decisions taken per column (day-first or month-first dates, a word scale) are
made once from all the column's values and reported.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from raidlog.model.profile import Lifecycle
from raidlog.model.values import UNWRITABLE, ExtraValue

__all__ = [
    "PLACEHOLDER_DATES",
    "DateReader",
    "LevelReader",
    "as_text",
    "clean_text",
    "extra_value",
    "is_blank",
    "read_progress",
    "read_rag",
    "read_status",
    "read_vocabulary",
]

# What the model refuses, removed from cells (CR kept: the model canonicalises it).
_CONTROL = UNWRITABLE
#: Cell texts that mean "nothing here".
NULL_WORDS = frozenset(
    {
        "",
        "-",
        "--",
        "\u2014",
        "\u2013",
        "n/a",
        "na",
        "n.a.",
        "none",
        "nil",
        "null",
        "#n/a",
        "tbc?",
        "?",
    }
)
#: Dates spreadsheets show for an empty or zero date cell.
PLACEHOLDER_DATES = frozenset(
    {date(1900, 1, 1), date(1899, 12, 30), date(1899, 12, 31), date(1904, 1, 1)}
)


def as_text(value: object) -> str:
    """A cell as text the way a person reads it: ``1.0`` -> ``"1"``, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def clean_text(value: object) -> tuple[str, bool]:
    """Text with control characters removed (CR kept; the model canonicalises it);
    the flag says whether anything was removed."""
    text = as_text(value)
    cleaned = _CONTROL.sub("", text)
    return cleaned, cleaned != text


def extra_value(value: object) -> ExtraValue:
    """A cell as ``extra`` keeps it: text, whole numbers as int, dates as ISO text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, str):
        return _CONTROL.sub("", value.strip())
    return as_text(value)


# dates -------------------------------------------------------------------------------------
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_NUMERIC = re.compile(r"^(\d{1,4})[/\-. ](\d{1,2})[/\-. ](\d{1,4})(?:[ T].*)?$")
_WORDY = re.compile(
    r"^(?:[a-z]+,? )?(\d{1,2})(?:st|nd|rd|th)?[ \-/.]([a-z]+)\.?,?[ \-/.](\d{2,4})(?:[ T].*)?$"
)
_WORDY_US = re.compile(
    r"^(?:[a-z]+,? )?([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{2,4})(?:[ T].*)?$"
)
_MONTH_YEAR = re.compile(r"^([a-z]+)[ \-/.](\d{2,4})$")
_EXCEL_1900 = date(1899, 12, 30)
_EXCEL_1904 = date(1904, 1, 1)


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 70 else 1900
    return year


#: Words before a date that qualify it; the date is read and the cell flagged.
_QUALIFIER = re.compile(
    r"^(?:w/c|w/e|w\.c\.|w\.e\.|wc|we|week commencing|week ending|week of|w/b|"
    r"on or before|no later than|nlt|not before|by|before|after|from|approx\.?|"
    r"approximately|circa|c\.|ca\.|est\.?|estimated|around|expected|planned|target)"
    r"\s*[:\-]?\s*(?=\d|[a-z]{3})"
)


class DateReader:
    """Reads one column's dates; the day/month order is decided from all its values."""

    def __init__(self, values: Iterable[object], *, epoch: int = 1900, order: str | None = None):
        self.epoch = epoch
        self.note: str | None = None
        self._memo: dict[tuple[type, object], tuple[date | None, str | None]] = {}
        if order is not None:
            self.order = order
            return
        day_first = month_first = 0
        for value in values:
            if isinstance(value, str):
                match = _NUMERIC.match(value.strip())
                if match and len(match.group(1)) <= 2:
                    a, b = int(match.group(1)), int(match.group(2))
                    day_first += a > 12 >= b
                    month_first += b > 12 >= a
        if month_first > day_first:
            self.order = "mdy"
            self.note = "text dates read month-first (values such as 12/31 prove it)"
        elif day_first:
            self.order = "dmy"
            self.note = "text dates read day-first (values such as 31/12 prove it)"
        else:
            self.order = "dmy"
            self.note = None

    def saw_ambiguous(self, values: Iterable[object]) -> bool:
        """Whether some text dates could be read either way (reported with the order)."""
        for value in values:
            if isinstance(value, str):
                match = _NUMERIC.match(value.strip())
                if match and len(match.group(1)) <= 2:
                    a, b = int(match.group(1)), int(match.group(2))
                    if a <= 12 and b <= 12 and a != b:
                        return True
        return False

    def read(self, value: object) -> tuple[date | None, str | None]:
        """``(date, None)``, ``(None, None)`` for empty, ``(None, why)``, or ``(date,
        why)`` for a date read out of qualifying words (``"w/c 12/02/2024"``)."""
        key = (type(value), value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._read(value)
        return found

    def _read(self, value: object) -> tuple[date | None, str | None]:
        if is_blank(value):
            return None, None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or not 1 <= value < 2958466:
                return None, f"{as_text(value)} is not a date"
            base = _EXCEL_1904 if self.epoch == 1904 else _EXCEL_1900
            day = base + timedelta(days=int(value))
            if value < 61 and self.epoch == 1900:
                day += timedelta(days=1)  # Excel's phantom 29 Feb 1900
        elif isinstance(value, str):
            text = value.strip().casefold()
            parsed = self._text(text)
            if parsed is None:
                # "w/c 12/02/2024", "by 31 March 2024", "approx. Jun 2024": the date in it.
                qualified = _QUALIFIER.match(text)
                parsed = self._text(text[qualified.end() :]) if qualified else None
                if parsed is None or parsed in PLACEHOLDER_DATES or parsed.year < 1901:
                    return None, f"{value.strip()!r} is not a date raidlog can read"
                return parsed, f"{value.strip()!r} read as {parsed.isoformat()}"
            day = parsed
        else:
            return None, f"{as_text(value)!r} is not a date"
        if day in PLACEHOLDER_DATES or day.year < 1901:
            return None, f"placeholder date {day.isoformat()} read as empty"
        return day, None

    def _text(self, text: str) -> date | None:
        if text in NULL_WORDS:
            return None
        try:
            if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
                return datetime.fromisoformat(text.replace(" ", "T").upper()).date()
        except ValueError:
            pass
        match = _NUMERIC.match(text)
        try:
            if match:
                a, b, c = match.groups()
                if len(a) == 4:
                    return date(int(a), int(b), int(c))
                if self.order == "mdy":
                    return date(_year(c), int(a), int(b))
                return date(_year(c), int(b), int(a))
            match = _WORDY.match(text)
            if match and match.group(2) in _MONTHS:
                return date(_year(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
            match = _WORDY_US.match(text)
            if match and match.group(1) in _MONTHS:
                return date(_year(match.group(3)), _MONTHS[match.group(1)], int(match.group(2)))
            match = _MONTH_YEAR.match(text)
            if match and match.group(1) in _MONTHS:
                return date(_year(match.group(2)), _MONTHS[match.group(1)], 1)
        except ValueError:
            return None
        return None


# levels (probability, impact) ----------------------------------------------------------------
_SCALES: tuple[tuple[str, ...], ...] = (
    ("rare", "unlikely", "possible", "likely", "almost certain"),
    ("insignificant", "minor", "moderate", "major", "severe"),
    ("negligible", "minor", "moderate", "significant", "severe"),
    ("very low", "low", "medium", "high", "very high"),
    ("low", "medium", "high"),
)
_ALIASES = {
    "l": "low",
    "m": "medium",
    "h": "high",
    "med": "medium",
    "lo": "low",
    "hi": "high",
    "vl": "very low",
    "vh": "very high",
    "moderate": "medium",
    "mod": "medium",
    "certain": "almost certain",
    "very likely": "almost certain",
    "highly likely": "almost certain",
    "very unlikely": "rare",
    "remote": "rare",
    "improbable": "rare",
    "probable": "likely",
    "catastrophic": "severe",
    "critical": "very high",
    "extreme": "very high",
    "minimal": "insignificant",
    "serious": "major",
    "medium high": "high",
    "medium low": "low",
    "low medium": "low",
    "high medium": "high",
}
_BAND = re.compile(
    r"^\s*[<>≤≥]?\s*(\d+(?:\.\d+)?)\s*%?\s*(?:(?:to|-|\u2013|\u2014)\s*(\d+(?:\.\d+)?)\s*%)?\s*$"
)
_OUT_OF_TEN = re.compile(r"\b[01]\s*(?:-|to|\u2013)\s*10\b|/\s*10\b")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)\s*(?:[-:.)=]|\s)\s*\D")


def _words(text: str) -> str:
    return re.sub(r"[^a-z ]+", " ", text.casefold()).strip().replace("  ", " ")


class LevelReader:
    """Reads probability or impact into the profile's levels (1 to ``levels``).

    Numbers within the scale are kept; words are placed on the word scale the column
    uses (Rare..Almost Certain, Very Low..Very High, H/M/L...) and spread over the
    matrix; percentages and percentage bands use their midpoint.
    """

    def __init__(self, values: Sequence[object], levels: int, *, header: str = "") -> None:
        self.levels = levels
        self._memo: dict[tuple[type, object], tuple[int | None, str | None]] = {}
        words = {w for w in (self._word(v) for v in values) if w}
        self.scale: tuple[str, ...] | None = None
        best = 0
        for scale in _SCALES:
            hits = len(words & set(scale))
            if hits > best or (
                hits == best and hits and self.scale and len(scale) < len(self.scale)
            ):
                best, self.scale = hits, scale
        if self.scale == _SCALES[4] and words & {"very low", "very high"}:
            self.scale = _SCALES[3]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        self.percent = (
            bool(numbers) and all(0 <= v <= 1 for v in numbers) and any(0 < v < 1 for v in numbers)
        )
        # A 1 to 10 scale on a smaller matrix: spread, as words are.
        said = _OUT_OF_TEN.search(header) is not None  # "Impact (1-10)"
        self.ten = (
            bool(numbers)
            and levels < 10
            and all(float(v).is_integer() and 0 <= v <= 10 for v in numbers)
            and (said or max(numbers) > levels)
        )
        self.note = (
            f"words read on the scale {' / '.join(self.scale)}" if self.scale and best else None
        )
        if self.ten:
            self.note = f"numbers on a 1 to 10 scale spread over 1 to {levels}"

    def _word(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        word = _words(value)
        return _ALIASES.get(word, word)

    def _spread(self, position: int, size: int) -> int:
        return min(self.levels, math.floor((position - 0.5) * self.levels / size) + 1)

    def read(self, value: object) -> tuple[int | None, str | None]:
        """``(level, None)``, ``(None, None)`` for empty, or ``(None, why)``."""
        key = (type(value), value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._read(value)
        return found

    def _read(self, value: object) -> tuple[int | None, str | None]:
        if is_blank(value) or (isinstance(value, str) and value.strip().casefold() in NULL_WORDS):
            return None, None
        if isinstance(value, bool):
            return None, f"{value!r} is not a level"
        if isinstance(value, int | float):
            if self.percent:
                return self._fraction(float(value)), None
            if self.ten and 1 <= value <= 10 and float(value).is_integer():
                return self._spread(int(value), 10), None
            if float(value).is_integer() and 1 <= value <= self.levels:
                return int(value), None
            if value == 0:
                return None, "0 (unassessed) read as empty"
            return None, f"{as_text(value)} is outside the scale 1 to {self.levels}"
        text = str(value).strip()
        band = _BAND.match(text)
        if band and "%" in text:
            low = float(band.group(1))
            high = float(band.group(2)) if band.group(2) else low
            return self._fraction((low + high) / 200), None
        if text.isdigit():
            number = int(text)
            if 1 <= number <= self.levels:
                return number, None
            return None, f"{text} is outside the scale 1 to {self.levels}"
        lead = _LEADING_NUMBER.match(text)
        if lead and 1 <= int(lead.group(1)) <= self.levels:
            return int(lead.group(1)), None
        word = self._word(text) or ""
        for scale in ([self.scale] if self.scale else []) + list(_SCALES):
            if word in scale:
                return self._spread(scale.index(word) + 1, len(scale)), None
        known = sorted({w for s in _SCALES for w in s} | set(_ALIASES))
        close = difflib.get_close_matches(word, known, n=1, cutoff=0.8)
        if close:
            level, _ = self._read(_ALIASES.get(close[0], close[0]))
            if level is not None:
                return level, f"{text!r} read as {close[0]!r}"
        return None, f"{text!r} is not a level raidlog can read"

    def _fraction(self, fraction: float) -> int | None:
        if not 0 <= fraction <= 1:
            return None
        return min(self.levels, math.floor(fraction * self.levels) + 1)


# statuses ------------------------------------------------------------------------------------
# concept -> words; concepts are tried against each lifecycle through _FALLBACK.
_STATUS_WORDS: dict[str, frozenset[str]] = {
    concept: frozenset(p.strip() for p in phrases.split(","))
    for concept, phrases in {
        "open": "open, new, active, live, current, raised, identified, submitted, not started, "
        "to do, todo, pending, outstanding, in clarification, awaiting, reopened, re opened, "
        "registered, logged, monitor, monitoring, monitored, watch, watching, red, amber, green, "
        "overdue, past due",
        "in_progress": "in progress, inprogress, ongoing, on going, wip, started, underway, "
        "under way, working, in hand, being worked on, investigating, under investigation, "
        "in review, under review, assigned",
        "mitigating": "mitigate, mitigating, mitigation in progress, being mitigated, treat, "
        "treating, reduce, reducing, avoid, avoiding, transfer, transferring, transferred, "
        "share, sharing",
        "accepted": "accept, accepted, tolerate, tolerated, approved, agreed, decided, retain, "
        "retained, made, taken",
        "blocked": "blocked, on hold, onhold, hold, paused, stalled, waiting, deferred",
        "done": "done, complete, completed, finished, achieved, delivered, actioned, fixed",
        "resolved": "resolved, fixed, answered",
        "closed": "closed, close, archived, retired, expired, mitigated, no longer relevant, "
        "obsolete, resolved, complete, completed, done, inactive",
        "cancelled": "cancelled, canceled, withdrawn, abandoned, dropped, not required, void, "
        "duplicate",
        "rejected": "rejected, declined, refused, not approved, denied",
        "materialised": "materialised, materialized, occurred, happened, realised, realized, "
        "became issue, escalated to issue, converted to issue, triggered",
        "validated": "validated, confirmed, true, proven, valid, verified",
        "invalidated": "invalidated, invalid, false, disproven, not valid",
        "at_risk": "at risk, atrisk, delayed, late, slipping",
        "proposed": "proposed, draft, for decision, awaiting decision, pending decision, "
        "under consideration, open, new",
        "deprecated": "deprecated",
        "superseded": "superseded, replaced",
    }.items()
}
_FALLBACK = {
    "open": ("open", "proposed"),
    "in_progress": ("in_progress", "investigating", "mitigating", "agreed", "open"),
    "mitigating": ("mitigating", "in_progress", "open"),
    "accepted": ("accepted", "agreed", "validated"),
    "blocked": ("blocked", "at_risk", "open"),
    "done": ("done", "resolved", "delivered", "closed", "accepted", "validated"),
    "resolved": ("resolved", "done", "closed", "delivered"),
    "closed": ("closed", "done", "resolved", "delivered", "cancelled"),
    "cancelled": ("cancelled", "closed", "rejected", "deprecated"),
    "rejected": ("rejected", "cancelled", "closed", "invalidated"),
    "materialised": ("materialised", "closed"),
    "validated": ("validated", "closed", "accepted"),
    "invalidated": ("invalidated", "rejected", "closed"),
    "at_risk": ("at_risk", "blocked", "open"),
    "proposed": ("proposed", "open"),
    "deprecated": ("deprecated", "closed"),
    "superseded": ("superseded", "closed"),
}
_CONCEPT_ORDER = (
    "materialised",
    "rejected",
    "cancelled",
    "superseded",
    "deprecated",
    "invalidated",
    "validated",
    "blocked",
    "at_risk",
    "in_progress",
    "mitigating",
    "accepted",
    "resolved",
    "done",
    "closed",
    "proposed",
    "open",
)


def _status_key(text: str) -> str:
    text = re.sub(r"^\s*\d+\s*[-.:)]\s*", "", text)  # "3 - Closed"
    return re.sub(r"[^a-z]+", " ", text.casefold()).strip()


def read_status(value: object, lifecycle: Lifecycle) -> str | None:
    """The lifecycle status a cell names, or ``None`` when it names none."""
    key = _status_key(as_text(value))
    if not key:
        return None
    for status in lifecycle.statuses:
        if key == status.replace("_", " "):
            return status
    for phrase in (key, key.split(" ")[0], key.rsplit(" ", 1)[-1]):
        for concept in _CONCEPT_ORDER:
            if phrase in _STATUS_WORDS[concept]:
                for status in _FALLBACK[concept]:
                    if status in lifecycle.statuses:
                        return status
    return None


# RAG, vocabularies, progress -------------------------------------------------------------------
_RAG = {
    "r": "red",
    "red": "red",
    "a": "amber",
    "amber": "amber",
    "yellow": "amber",
    "orange": "amber",
    "y": "amber",
    "g": "green",
    "green": "green",
    "on track": "green",
    "off track": "red",
    "at risk": "amber",
}


#: Coloured circles and squares people type (or paste from Jira and Confluence) for RAG.
_RAG_SYMBOLS = {
    "\U0001f534": "red",  # red circle
    "\U0001f7e5": "red",  # red square
    "\U0001f7e0": "amber",  # orange circle
    "\U0001f7e1": "amber",  # yellow circle
    "\U0001f7e7": "amber",  # orange square
    "\U0001f7e8": "amber",  # yellow square
    "\U0001f7e2": "green",  # green circle
    "\U0001f7e9": "green",  # green square
}


def read_rag(value: object) -> str | None:
    """``"red"``, ``"amber"`` or ``"green"`` for a RAG cell (a word, a letter, or a
    coloured circle or square emoji), else ``None``."""
    text = as_text(value)
    for char in text:
        if char in _RAG_SYMBOLS:
            return _RAG_SYMBOLS[char]
    key = re.sub(r"[^a-z ]+", " ", text.casefold()).strip()
    return _RAG.get(key) or _RAG.get(key.split(" ")[0] if key else "")


_VOCAB_ALIASES = {
    "priority": {
        "very high": "critical",
        "urgent": "critical",
        "highest": "critical",
        "p1": "critical",
        "p2": "high",
        "p3": "medium",
        "p4": "low",
        "med": "medium",
        "normal": "medium",
        "moderate": "medium",
        "very low": "low",
        "lowest": "low",
        "minor": "low",
        "major": "high",
        "h": "high",
        "m": "medium",
        "l": "low",
        "1": "critical",
        "2": "high",
        "3": "medium",
        "4": "low",
    },
    "issue_type": {
        "rfc": "request for change",
        "change request": "request for change",
        "change": "request for change",
        "cr": "request for change",
        "off spec": "off-specification",
        "off specification": "off-specification",
        "problem": "problem/concern",
        "concern": "problem/concern",
        "problem concern": "problem/concern",
    },
    "response_category": {
        "mitigate": "reduce",
        "mitigation": "reduce",
        "treat": "reduce",
        "reduction": "reduce",
        "tolerate": "accept",
        "retain": "accept",
        "acceptance": "accept",
        "accepted": "accept",
        "insure": "transfer",
        "transferred": "transfer",
        "terminate": "avoid",
        "avoidance": "avoid",
        "contingency": "fallback",
        "shared": "share",
    },
}


def read_vocabulary(value: object, words: Sequence[str], vocabulary: str) -> str | None:
    """The profile word a cell names (case, spacing and common synonyms forgiven)."""
    text = as_text(value)
    key = re.sub(r"[\s_\-]+", " ", text.casefold()).strip()
    for word in words:
        if key == re.sub(r"[\s_\-]+", " ", word.casefold()).strip():
            return word
    alias = _VOCAB_ALIASES.get(vocabulary, {}).get(re.sub(r"[^a-z0-9 ]+", " ", key).strip())
    if alias is not None and alias in words:
        return alias
    return None


def read_progress(value: object) -> tuple[int | None, str | None]:
    """Percent complete from ``50%`` (read as 0.5), ``"50%"``, ``0.5`` or ``50``."""
    if is_blank(value):
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if 0 <= number <= 1:
            number *= 100
    else:
        text = as_text(value)
        try:
            number = float(text.rstrip("%").strip())
        except ValueError:
            return None, f"{text!r} is not a percentage"
        if "%" not in text and 0 < number < 1:
            number *= 100
    if not 0 <= number <= 100:
        return None, f"{as_text(value)} is not between 0 and 100%"
    return round(number), None
