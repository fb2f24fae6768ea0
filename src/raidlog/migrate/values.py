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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import date, datetime, timedelta
from functools import cache

from raidlog.migrate.text import fold, phrase_key, value_key, words_key
from raidlog.migrate.vocab import (
    STATUS_CONCEPTS,
    LazyMapping,
    LazySequence,
    LazySet,
    vocabulary,
)
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
    "names_nobody",
    "read_progress",
    "read_rag",
    "read_status",
    "read_vocabulary",
]

# What the model refuses, removed from cells (CR kept: the model canonicalises it).
_CONTROL = UNWRITABLE
#: Cell texts that mean "nothing here" (folded: see :func:`raidlog.migrate.text.fold`).
NULL_WORDS: Set[str] = LazySet(cache(lambda: vocabulary().nothing | {""}))  # one union, kept
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


def names_nobody(text: str) -> bool:
    """Whether a person's cell names nobody yet (``"TBC"``, ``"To be confirmed."``,
    ``"à définir"``, ``"не назначен"``)."""
    return phrase_key(text) in vocabulary().nobody


def clean_text(value: object) -> tuple[str, bool]:
    """Text with control characters removed (CR kept; the model canonicalises it);
    the flag says whether anything was removed."""
    text = as_text(value)
    if text.isprintable():  # no character _CONTROL removes is printable: most texts
        return text, False
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
_NUMERIC = re.compile(r"^(\d{1,4})[/\-. ](\d{1,2})[/\-. ](\d{1,4})(?:[ T].*)?$")
#: Where a text date splits into its words ("3 de marzo de 2024", "Tue, 3rd Sep 2024").
_DATE_SPLIT = re.compile(r"[\s,./\-]+")
_DAY = re.compile(r"^(\d{1,2})([^\W\d_]*)$")
_YEAR = re.compile(r"^\d{2}(?:\d{2})?$")
_LEADING_WORD = re.compile(r"^[^\W\d_]+,?\s")
_EXCEL_1900 = date(1899, 12, 30)
_EXCEL_1904 = date(1904, 1, 1)


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 70 else 1900
    return year


#: Words before a date that qualify it; the date is read and the cell flagged.
@cache
def _qualifier() -> re.Pattern[str]:
    words = sorted(vocabulary().date_qualifiers, key=len, reverse=True)
    return re.compile(
        "^(?:" + "|".join(re.escape(w) for w in words) + r")\s*[:\-]?\s*(?=\d|[^\W\d_]{3})"
    )


def _day(token: str) -> int | None:
    """The day a word gives (``"3"``, ``"3rd"``, ``"1er"``), or ``None``."""
    match = _DAY.match(token)
    if match is None or (match.group(2) and match.group(2) not in vocabulary().ordinals):
        return None
    return int(match.group(1))


def _wordy(text: str) -> date | None:
    """A date written with a month name, day first or month first, in any language the
    word files know: ``"3 mars 2024"``, ``"3. März 2024"``, ``"3 de marzo de 2024"``,
    ``"3 марта 2024"``, ``"March 3rd, 2024"``, ``"Tue 3 Sep 24 10:00"``, ``"Sep 2024"``."""
    words = vocabulary()
    months = words.months
    tokens = [t for t in _DATE_SPLIT.split(text) if t and t not in words.date_fillers]
    if len(tokens) == 2 and tokens[0] in months and _YEAR.match(tokens[1]):
        return date(_year(tokens[1]), months[tokens[0]], 1)
    # A weekday (a word, then a space) may lead; a time or anything else may follow.
    for start in (0, 1) if _LEADING_WORD.match(text) else (0,):
        if len(tokens) < start + 3 or not _YEAR.match(tokens[start + 2]):
            continue
        a, b, year = tokens[start : start + 3]
        day, month = (_day(a), months.get(b)) if a[:1].isdigit() else (_day(b), months.get(a))
        if day is not None and month is not None:
            return date(_year(year), month, day)
    return None


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
        # Each distinct text once, counted as often as the column holds it.
        for value, times in Counter(v for v in values if isinstance(v, str)).items():
            match = _NUMERIC.match(value.strip())
            if match and len(match.group(1)) <= 2:
                a, b = int(match.group(1)), int(match.group(2))
                day_first += (a > 12 >= b) * times
                month_first += (b > 12 >= a) * times
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
        for value in _texts(values):
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
            text = fold(value.strip())
            parsed = self._text(text)
            if parsed is None:
                # "w/c 12/02/2024", "by 31 March 2024", "approx. Jun 2024": the date in it.
                qualified = _qualifier().match(text)
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
            return _wordy(text)
        except ValueError:
            return None


# levels (probability, impact) ----------------------------------------------------------------
#: Word scales, lowest first, and words read as a scale word (``"élevé"`` -> ``"high"``).
_SCALES: Sequence[tuple[str, ...]] = LazySequence(lambda: vocabulary().scales)
_ALIASES: Mapping[str, str] = LazyMapping(lambda: vocabulary().level_aliases)
_BAND = re.compile(
    r"^\s*[<>≤≥]?\s*(\d+(?:\.\d+)?)\s*%?\s*(?:(?:to|-|\u2013|\u2014)\s*(\d+(?:\.\d+)?)\s*%)?\s*$"
)
_OUT_OF_TEN = re.compile(r"\b[01]\s*(?:-|to|\u2013)\s*10\b|/\s*10\b")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)\s*(?:[-:.)=]|\s)\s*\D")


def _texts(values: Iterable[object]) -> set[str]:
    """The distinct texts among ``values``; a column of texts only is taken as it is (in
    C, not cell by cell: a column of a large sheet is 100,000 cells)."""
    values = values if isinstance(values, Sequence) else list(values)
    if set(map(type, values)) == {str}:
        return set(values)
    return {v for v in values if isinstance(v, str)}


class LevelReader:
    """Reads probability or impact into the profile's levels (1 to ``levels``).

    Numbers within the scale are kept; words are placed on the word scale the column
    uses (Rare..Almost Certain, Very Low..Very High, H/M/L...) and spread over the
    matrix; percentages and percentage bands use their midpoint.
    """

    def __init__(self, values: Sequence[object], levels: int, *, header: str = "") -> None:
        self.levels = levels
        self._memo: dict[tuple[type, object], tuple[int | None, str | None]] = {}
        # A word depends on the text only: each distinct text of the column once.
        words = {w for w in map(self._word, _texts(values)) if w}
        self.scale: tuple[str, ...] | None = None
        best = 0
        for scale in _SCALES:
            hits = len(words & set(scale))
            if hits > best or (
                hits == best and hits and self.scale and len(scale) < len(self.scale)
            ):
                best, self.scale = hits, scale
        extremes = words & {"very low", "very high"}
        if self.scale is not None and extremes and not extremes & set(self.scale):
            # "Very High" beside High / Medium / Low: the five-word scale it belongs to.
            wider = [c for c in _SCALES if extremes <= set(c) and set(self.scale) <= set(c)]
            self.scale = wider[0] if wider else self.scale
        numbers = (
            [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            if any(issubclass(t, int | float) for t in set(map(type, values)))
            else []  # a column of words: no need to look at each cell
        )
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
        word = words_key(value)
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
        if is_blank(value) or (isinstance(value, str) and fold(value.strip()) in NULL_WORDS):
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
# A status concept (from the word files) is placed on a lifecycle through _FALLBACK: the
# first of its statuses the lifecycle has.
_STATUS_WORDS: Mapping[str, frozenset[str]] = LazyMapping(lambda: vocabulary().statuses)
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
#: The order concepts are tried in when a cell's words name several ("closed - done").
_CONCEPT_ORDER = STATUS_CONCEPTS


def _status_key(text: str) -> str:
    text = re.sub(r"^\s*\d+\s*[-.:)]\s*", "", text)  # "3 - Closed"
    return words_key(text)


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
_RAG: Mapping[str, str] = LazyMapping(lambda: vocabulary().rag)


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
    key = words_key(text)
    return _RAG.get(key) or _RAG.get(key.split(" ")[0] if key else "")


#: vocabulary -> word -> the profile word it means.
_VOCAB_ALIASES: Mapping[str, Mapping[str, str]] = LazyMapping(lambda: vocabulary().values)


def read_vocabulary(value: object, words: Sequence[str], vocabulary: str) -> str | None:
    """The profile word a cell names (case, spacing and common synonyms forgiven)."""
    text = as_text(value)
    key = re.sub(r"[\s_\-]+", " ", text.casefold()).strip()
    for word in words:
        if key == re.sub(r"[\s_\-]+", " ", word.casefold()).strip():
            return word
    alias = _VOCAB_ALIASES.get(vocabulary, {}).get(value_key(key))
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
