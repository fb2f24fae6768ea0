"""The importer's knowledge as data: one TOML file per language in this folder.

Every word the importer recognises (column headers, kind words, statuses, probability
and impact levels, RAG colours, vocabulary aliases, month names, the words of a "...
date" header) is here, not in code. :func:`vocabulary` reads the files once, checks them
and merges them; each table of a file is optional:

``[headers]``
    ``field = ["header", ...]``: headers that mean ``field`` (confidence 1).
``[weak]``
    Generic headers ("Date", "Lead"): confidence 0.7, so a specific header wins.
``[ambiguous]``
    ``"header" = { field = confidence, ... }``: a header that may mean several fields,
    tried in the order written; the first is what it means inside a longer header. A
    header claimed by two fields anywhere else is an error.
``fillers``
    Words that join a field to a kind or a date ("of", "du", "de").
``headings``
    Words a section heading may hold besides its kind ("Open Actions", "Risques ouverts").
``[sheets]``
    ``closed = [words]``: a sheet name saying its items are closed ("Closed Risks",
    "Archive"), unless it also holds an ``open`` word ("Open and Closed").
``nobody``
    What people write in a person's column when nobody is named yet ("TBC", "à définir").
``[levels]``
    ``scales`` (word scales, lowest first), ``[levels.aliases]`` (word -> scale word) and
    ``[levels.qualifiers]`` (``inherent``/``residual``/``target``/``current`` -> words
    before or after "probability", "impact" or "score").
``[kinds]``, ``[statuses]``, ``[rag]``
    ``kind = [words]``, ``status concept = [words]``, ``red/amber/green = [words]``.
``[values.<vocabulary>]``
    ``word = profile word`` for ``priority``, ``issue_type`` and ``response_category``.
``[dates]``
    ``words`` (the word "date"), ``fillers`` ("3 de marzo"), ``ordinals`` ("st", "er"),
    ``qualifiers`` ("w/c", "approx."), ``nothing`` (cell texts meaning empty),
    ``[dates.months]`` (``1 = [names]``) and ``[dates.meanings]`` (``field = [words]``:
    the field of a "... date" column).

Each word is written in the form it is compared in (headers and kind words as
:func:`~raidlog.migrate.text.normalise` gives them, values as
:func:`~raidlog.migrate.text.words_key` does), so that it can match at all; a file that
breaks a rule raises :class:`~raidlog.errors.VocabularyError` naming file, table and entry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import attrs

from raidlog.errors import VocabularyError
from raidlog.migrate.text import fold, normalise, phrase_key, value_key, words_key

__all__ = [
    "DATE_FIELDS",
    "FIELDS",
    "KINDS",
    "STATUS_CONCEPTS",
    "VOCABULARIES",
    "Claim",
    "LazyMapping",
    "LazySequence",
    "LazySet",
    "Vocabulary",
    "load_vocabulary",
    "vocabulary",
]

KINDS = ("risk", "action", "issue", "decision", "assumption", "dependency")
#: The concepts a column may hold (what ``[headers]`` keys may name).
FIELDS = frozenset(
    {
        "ref",
        "kind",
        "title",
        "description",
        "owner",
        "raised_by",
        "raised_on",
        "probability",
        "impact",
        "score",
        "rag",
        "status",
        "response",
        "response_category",
        "cause",
        "event",
        "effect",
        "due",
        "next_review",
        "closed_on",
        "resolution",
        "decision",
        "rationale",
        "options_considered",
        "decided_by",
        "decided_on",
        "priority",
        "category",
        "issue_type",
        "severity",
        "proximity",
        "progress",
        "cost_exposure",
        "counterparty",
        "direction",
        "validation",
        "validated_on",
        "tags",
        "links",
        "completed_on",
        "actionee",
        "assignee",
    }
)
DATE_FIELDS = frozenset(
    {"raised_on", "due", "next_review", "closed_on", "decided_on", "validated_on", "completed_on"}
)
#: Status concepts; :mod:`raidlog.migrate.values` places each on a kind's lifecycle.
STATUS_CONCEPTS = (
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
VOCABULARIES = ("priority", "issue_type", "response_category")
_QUALIFIERS = {"inherent": "inherent_", "residual": "residual_", "target": "target_", "current": ""}
_RAG = ("red", "amber", "green")
_TOP = frozenset(
    {
        "language",
        "name",
        "headers",
        "weak",
        "ambiguous",
        "fillers",
        "levels",
        "kinds",
        "statuses",
        "rag",
        "values",
        "dates",
        "nobody",
        "headings",
        "sheets",
    }
)
_WEAK = 0.7

#: A field a header may mean and how sure that is (0 to 1).
Claim = tuple[str, float]


@attrs.frozen(kw_only=True)
class Vocabulary:
    """Every file's words merged; built by :func:`load_vocabulary`."""

    #: The files read, in order (``en.toml``, ``fr.toml``...).
    files: tuple[str, ...]
    #: normal header -> the fields it may mean, in the order tried.
    headers: Mapping[str, tuple[Claim, ...]]
    fillers: frozenset[str]
    #: Words a section heading may hold besides the kind it names.
    headings: frozenset[str]
    #: Words of sheet names holding only closed items, and words that say otherwise.
    closed_sheets: frozenset[str]
    open_sheets: frozenset[str]
    #: Texts naming nobody in a person's column, folded.
    nobody: frozenset[str]
    #: word(s) -> assessment level prefix (``"inherent_"``, ``""``, ``"residual_"``...).
    qualifiers: Mapping[str, str]
    kinds: Mapping[str, str]
    #: status concept -> words.
    statuses: Mapping[str, frozenset[str]]
    scales: tuple[tuple[str, ...], ...]
    level_aliases: Mapping[str, str]
    rag: Mapping[str, str]
    #: vocabulary -> word -> profile word.
    values: Mapping[str, Mapping[str, str]]
    months: Mapping[str, int]
    date_words: frozenset[str]
    #: Words between the day, month and year of a text date ("3 de marzo de 2024").
    date_fillers: frozenset[str]
    ordinals: frozenset[str]
    date_qualifiers: tuple[str, ...]
    nothing: frozenset[str]
    #: word(s) beside "date" in a header -> the field ("extra": none).
    date_meanings: Mapping[str, str]

    def field_of(self, header: str) -> str | None:
        """The field a normal header means inside a longer one (its first claim)."""
        claims = self.headers.get(header)
        return claims[0][0] if claims else None


class _Merger:
    """Collects the files' entries, refusing any word claimed twice in different ways."""

    def __init__(self) -> None:
        self.headers: dict[str, tuple[tuple[Claim, ...], str]] = {}
        self.words: dict[str, dict[str, tuple[object, str]]] = {}
        self.scales: list[tuple[str, ...]] = []
        self.lists: dict[str, list[str]] = {}

    def claim_header(self, file: str, table: str, header: str, claims: tuple[Claim, ...]) -> None:
        where = f"{file} [{table}]"
        known = self.headers.get(header)
        if known is not None and known[0] != claims:
            raise VocabularyError(
                file,
                table,
                header,
                f"also claimed as {_shown(known[0])} in {known[1]}, here as {_shown(claims)}: "
                "list it once, in [ambiguous] if it may mean several fields",
            )
        self.headers.setdefault(header, (claims, where))

    def claim(self, file: str, table: str, word: str, meaning: object) -> None:
        known = self.words.setdefault(table, {}).get(word)
        if known is not None and known[0] != meaning:
            raise VocabularyError(
                file, table, word, f"means {known[0]!r} in {known[1]} and {meaning!r} here"
            )
        self.words[table].setdefault(word, (meaning, f"{file} [{table}]"))

    def add(self, name: str, words: Iterable[str]) -> None:
        items = self.lists.setdefault(name, [])
        items.extend(w for w in words if w not in items)

    def table(self, name: str) -> dict[str, Any]:
        return {word: meaning for word, (meaning, _) in self.words.get(name, {}).items()}


def _shown(claims: tuple[Claim, ...]) -> str:
    return ", ".join(f"{field} ({confidence:g})" for field, confidence in claims)


def _words(
    file: str, table: str, entry: str, value: object, key: Callable[[str], str]
) -> list[str]:
    """``value`` as a list of words each in its normal form ``key``, else an error."""
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise VocabularyError(file, table, entry, "must be a list of strings")
    for word in value:
        normal = key(word)
        if not normal:
            raise VocabularyError(file, table, entry, f"{word!r} is empty once normalised")
        if normal != word:
            raise VocabularyError(
                file,
                table,
                entry,
                f"{word!r} is not in normal form, so it can never match: write {normal!r}",
            )
    return list(value)


def _mapping(file: str, table: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise VocabularyError(file, table, "", "must be a table")
    return value


def _single(file: str, table: str, entry: str, words: list[str]) -> list[str]:
    """``words``, refusing any of more than one word (dates are read word by word)."""
    for word in words:
        if " " in word:
            raise VocabularyError(file, table, entry, f"{word!r}: one word each")
    return words


def _read_headers(file: str, data: Mapping[str, Any], merger: _Merger) -> None:
    for table, confidence in (("headers", 1.0), ("weak", _WEAK)):
        for field, words in _mapping(file, table, data.get(table, {})).items():
            if field not in FIELDS:
                raise VocabularyError(file, table, field, f"no such field: use one of {_fields()}")
            for word in _words(file, table, field, words, normalise):
                merger.claim_header(file, table, word, ((field, confidence),))
    for header, fields in _mapping(file, "ambiguous", data.get("ambiguous", {})).items():
        _words(file, "ambiguous", header, [header], normalise)
        fields = _mapping(file, "ambiguous", fields)
        if len(fields) < 2:
            raise VocabularyError(
                file, "ambiguous", header, "names one field: list it in [headers] instead"
            )
        claims: list[Claim] = []
        for field, confidence in fields.items():
            if field not in FIELDS:
                raise VocabularyError(file, "ambiguous", header, f"no such field {field!r}")
            if not isinstance(confidence, int | float) or not 0 < confidence <= 1:
                raise VocabularyError(
                    file, "ambiguous", header, f"{field}: the confidence must be above 0, at most 1"
                )
            claims.append((field, float(confidence)))
        merger.claim_header(file, "ambiguous", header, tuple(claims))
    merger.add("fillers", _words(file, "fillers", "fillers", data.get("fillers", []), normalise))
    sheets = _mapping(file, "sheets", data.get("sheets", {}))
    for name, words in sheets.items():
        if name not in ("closed", "open"):
            raise VocabularyError(file, "sheets", name, "use closed or open")
        found = _single(file, "sheets", name, _words(file, "sheets", name, words, words_key))
        merger.add(f"{name}_sheets", found)
    headings = _words(file, "headings", "headings", data.get("headings", []), normalise)
    merger.add("headings", _single(file, "headings", "headings", headings))
    merger.add(
        "nobody",
        _words(file, "nobody", "nobody", data.get("nobody", []), phrase_key),
    )


def _read_levels(file: str, data: Mapping[str, Any], merger: _Merger) -> None:
    levels = _mapping(file, "levels", data.get("levels", {}))
    unknown = set(levels) - {"scales", "aliases", "qualifiers"}
    if unknown:
        raise VocabularyError(file, "levels", sorted(unknown)[0], "unknown entry")
    scales = levels.get("scales", [])
    if not isinstance(scales, list):
        raise VocabularyError(file, "levels", "scales", "must be a list of lists")
    for scale in scales:
        words = _words(file, "levels", "scales", scale, words_key)
        if len(words) < 3 or len(set(words)) != len(words):
            raise VocabularyError(
                file, "levels", "scales", f"{words}: a scale has three or more distinct words"
            )
        merger.scales.append(tuple(words))
    for alias, target in _mapping(file, "levels.aliases", levels.get("aliases", {})).items():
        _words(file, "levels.aliases", alias, [alias, target], words_key)
        merger.claim(file, "levels.aliases", alias, target)
    qualifiers = _mapping(file, "levels.qualifiers", levels.get("qualifiers", {}))
    for level, words in qualifiers.items():
        if level not in _QUALIFIERS:
            raise VocabularyError(
                file, "levels.qualifiers", level, f"use one of {', '.join(_QUALIFIERS)}"
            )
        for word in _words(file, "levels.qualifiers", level, words, normalise):
            merger.claim(file, "levels.qualifiers", word, _QUALIFIERS[level])


def _read_words(file: str, data: Mapping[str, Any], merger: _Merger) -> None:
    tables: tuple[tuple[str, tuple[str, ...], Callable[[str], str]], ...] = (
        ("kinds", KINDS, normalise),
        ("statuses", STATUS_CONCEPTS, words_key),
        ("rag", _RAG, words_key),
    )
    for table, allowed, key in tables:
        for meaning, words in _mapping(file, table, data.get(table, {})).items():
            if meaning not in allowed:
                raise VocabularyError(file, table, meaning, f"use one of {', '.join(allowed)}")
            for word in _words(file, table, meaning, words, key):
                merger.claim(file, table, word, meaning)
    for name, aliases in _mapping(file, "values", data.get("values", {})).items():
        if name not in VOCABULARIES:
            raise VocabularyError(file, "values", name, f"use one of {', '.join(VOCABULARIES)}")
        for alias, word in _mapping(file, f"values.{name}", aliases).items():
            _words(file, f"values.{name}", alias, [alias], value_key)
            if not isinstance(word, str):
                raise VocabularyError(file, f"values.{name}", alias, "must name a profile word")
            merger.claim(file, f"values.{name}", alias, word)


def _read_dates(file: str, data: Mapping[str, Any], merger: _Merger) -> None:
    dates = _mapping(file, "dates", data.get("dates", {}))
    unknown = set(dates) - {
        "words",
        "fillers",
        "ordinals",
        "qualifiers",
        "nothing",
        "months",
        "meanings",
    }
    if unknown:
        raise VocabularyError(file, "dates", sorted(unknown)[0], "unknown entry")
    words = _words(file, "dates", "words", dates.get("words", []), words_key)
    merger.add("date_words", _single(file, "dates", "words", words))
    fillers = _words(file, "dates", "fillers", dates.get("fillers", []), words_key)
    merger.add("date_fillers", _single(file, "dates", "fillers", fillers))
    ordinals = _words(file, "dates", "ordinals", dates.get("ordinals", []), words_key)
    merger.add("ordinals", _single(file, "dates", "ordinals", ordinals))
    merger.add(
        "date_qualifiers",
        _words(file, "dates", "qualifiers", dates.get("qualifiers", []), lambda w: fold(w.strip())),
    )
    merger.add(
        "nothing",
        _words(file, "dates", "nothing", dates.get("nothing", []), lambda w: fold(w.strip())),
    )
    for month, names in _mapping(file, "dates.months", dates.get("months", {})).items():
        if month not in {str(m) for m in range(1, 13)}:
            raise VocabularyError(file, "dates.months", month, "months are numbered 1 to 12")
        for name in _single(
            file, "dates.months", month, _words(file, "dates.months", month, names, words_key)
        ):
            merger.claim(file, "dates.months", name, int(month))
    for field, words in _mapping(file, "dates.meanings", dates.get("meanings", {})).items():
        if field not in DATE_FIELDS | {"extra"}:
            raise VocabularyError(
                file,
                "dates.meanings",
                field,
                f"use a date field ({', '.join(sorted(DATE_FIELDS))}) or extra",
            )
        for word in _words(file, "dates.meanings", field, words, normalise):
            merger.claim(file, "dates.meanings", word, field)


def _fields() -> str:
    return ", ".join(sorted(FIELDS))


def _check_scales(merger: _Merger, files: tuple[str, ...]) -> None:
    scale_words = {w for scale in merger.scales for w in scale}
    for alias, (target, where) in merger.words.get("levels.aliases", {}).items():
        if target not in scale_words:
            raise VocabularyError(
                where.split(" ")[0], "levels.aliases", alias, f"{target!r} is on no scale"
            )
    if not merger.scales:
        raise VocabularyError(", ".join(files), "levels", "scales", "no file gives a scale")


def load_vocabulary(paths: Iterable[Path | str] | None = None) -> Vocabulary:
    """Read, check and merge word files: ``paths``, or else every file shipped here.

    Raises :class:`~raidlog.errors.VocabularyError` naming the file, table and entry of
    the first rule broken."""
    sources: list[tuple[str, str]] = []
    if paths is None:
        folder = resources.files(__name__)
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))
        # English first: its scales and words are the ones other languages alias.
        names.sort(key=lambda n: n != "en.toml")
        sources = [(n, folder.joinpath(n).read_text("utf-8")) for n in names]
    else:
        sources = [(Path(p).name, Path(p).read_text("utf-8")) for p in paths]
    merger = _Merger()
    for file, text in sources:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise VocabularyError(file, "", "", f"not valid TOML: {exc}") from exc
        unknown = set(data) - _TOP
        if unknown:
            raise VocabularyError(
                file, sorted(unknown)[0], "", f"unknown table: use {', '.join(sorted(_TOP))}"
            )
        _read_headers(file, data, merger)
        _read_levels(file, data, merger)
        _read_words(file, data, merger)
        _read_dates(file, data, merger)
    files = tuple(file for file, _ in sources)
    _check_scales(merger, files)
    statuses: dict[str, set[str]] = {concept: set() for concept in STATUS_CONCEPTS}
    for word, concept in merger.table("statuses").items():
        statuses[concept].add(word)
    values: dict[str, dict[str, str]] = {name: {} for name in VOCABULARIES}
    for name in VOCABULARIES:
        values[name] = merger.table(f"values.{name}")
    return Vocabulary(
        files=files,
        headers={header: claims for header, (claims, _) in merger.headers.items()},
        fillers=frozenset(merger.lists.get("fillers", ())),
        headings=frozenset(merger.lists.get("headings", ())),
        nobody=frozenset(merger.lists.get("nobody", ())),
        closed_sheets=frozenset(merger.lists.get("closed_sheets", ())),
        open_sheets=frozenset(merger.lists.get("open_sheets", ())),
        qualifiers=merger.table("levels.qualifiers"),
        kinds=merger.table("kinds"),
        statuses={concept: frozenset(words) for concept, words in statuses.items()},
        scales=tuple(merger.scales),
        level_aliases=merger.table("levels.aliases"),
        rag=merger.table("rag"),
        values=values,
        months=merger.table("dates.months"),
        date_words=frozenset(merger.lists.get("date_words", ())),
        date_fillers=frozenset(merger.lists.get("date_fillers", ())),
        ordinals=frozenset(merger.lists.get("ordinals", ())),
        date_qualifiers=tuple(merger.lists.get("date_qualifiers", ())),
        nothing=frozenset(merger.lists.get("nothing", ())),
        date_meanings=merger.table("dates.meanings"),
    )


@cache
def vocabulary() -> Vocabulary:
    """The shipped word files, read and checked once."""
    return load_vocabulary()


_K = TypeVar("_K")
_V = TypeVar("_V")


# Module constants built from the word files (``KIND_WORDS``, ``NULL_WORDS``...) read them
# on first use, so that importing the CLI does not parse every file (0.1 s and more).
class LazyMapping(Mapping[_K, _V]):
    """A mapping read from the word files when first used."""

    def __init__(self, load: Callable[[], Mapping[_K, _V]]) -> None:
        self._load = load

    def __getitem__(self, key: _K) -> _V:
        return self._load()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._load()

    def __iter__(self) -> Iterator[_K]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class LazySet(Set[_K]):
    """A set read from the word files when first used."""

    def __init__(self, load: Callable[[], Set[_K]]) -> None:
        self._load = load

    def __contains__(self, item: object) -> bool:
        return item in self._load()

    def __iter__(self) -> Iterator[_K]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class LazySequence(Sequence[_V], Generic[_V]):
    """A sequence read from the word files when first used."""

    def __init__(self, load: Callable[[], Sequence[_V]]) -> None:
        self._load = load

    @overload
    def __getitem__(self, index: int) -> _V: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[_V]: ...
    def __getitem__(self, index: int | slice) -> _V | Sequence[_V]:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())
