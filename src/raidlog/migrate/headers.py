"""Column headers: what each may mean, by the rules over the synonym data.

A header is normalised (:func:`normalise`: case, accents, spaces, punctuation, camelCase
and snake_case, hints such as "(H/M/L)") and looked up in the word files of
:mod:`raidlog.migrate.vocab`; the rules here read longer headers ("Residual Likelihood",
"Risk Owner", "Propriétaire du risque", "Assessment date") from those words. Each field
key names a concept (``owner``, ``due``...); which model attribute it lands in depends on
the kind (see :func:`attribute`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from functools import cache

from raidlog.migrate.text import normalise, words_key
from raidlog.migrate.vocab import LazyMapping, LazySet, Vocabulary, vocabulary

__all__ = [
    "HEADING_WORDS",
    "KIND_WORDS",
    "LEVEL_PREFIXES",
    "SYNONYMS",
    "attribute",
    "candidates",
    "closed_sheet",
    "kind_of_word",
    "normalise",
]

# Where each concept lives per kind; absent means "keep it in extra".
_COMMON = (
    "title",
    "description",
    "owner",
    "raised_by",
    "raised_on",
    "status",
    "priority",
    "rag",
    "due",
    "next_review",
    "closed_on",
    "tags",
)
_ATTRIBUTES: dict[str, dict[str, str]] = {
    "risk": {
        **{k: k for k in _COMMON},
        **{
            k: k
            for k in (
                "cause",
                "event",
                "effect",
                "category",
                "proximity",
                "response",
                "response_category",
                "probability",
                "impact",
                "score",
                "cost_exposure",
            )
        },
        "actionee": "actionee",
        "type": "category",
    },
    "action": {
        **{k: k for k in _COMMON},
        "progress": "progress",
        "completed_on": "completed_on",
        "assignee": "assignee",
    },
    "issue": {
        **{k: k for k in _COMMON},
        "issue_type": "issue_type",
        "type": "issue_type",
        "severity": "severity",
        "resolution": "resolution",
        "decision": "resolution",
        "response": "resolution",
    },
    "decision": {
        **{k: k for k in _COMMON},
        "decision": "decision",
        "rationale": "rationale",
        "options_considered": "options_considered",
        "decided_by": "decided_by",
        "decided_on": "decided_on",
    },
    "assumption": {
        **{k: k for k in _COMMON},
        "validation": "validation",
        "validated_on": "validated_on",
    },
    "dependency": {
        **{k: k for k in _COMMON},
        "counterparty": "counterparty",
        "direction": "direction",
    },
}


@cache
def _synonyms() -> dict[str, tuple[str, ...]]:
    synonyms: dict[str, list[str]] = {}
    for header, claims in vocabulary().headers.items():
        for field, _ in claims:
            synonyms.setdefault(field, []).append(header)
    return {field: tuple(headers) for field, headers in synonyms.items()}


#: field key -> normal headers that may mean it (from :mod:`raidlog.migrate.vocab`).
SYNONYMS: Mapping[str, tuple[str, ...]] = LazyMapping(_synonyms)
#: Qualifiers that put probability, impact and score on another assessment level.
LEVEL_PREFIXES: Mapping[str, str] = LazyMapping(lambda: vocabulary().qualifiers)
#: Words naming a kind (``"risk"``, ``"r"``, ``"risque"``, ``"риск"``...).
KIND_WORDS: Mapping[str, str] = LazyMapping(lambda: vocabulary().kinds)
#: Words a section heading may hold besides its kind ("Open Actions", "Risques ouverts").
HEADING_WORDS: Set[str] = LazySet(lambda: vocabulary().headings)
_LEVELS = ("probability", "impact", "score")


def candidates(header: str) -> list[tuple[str, float]]:
    """Field keys ``header`` may mean, best first, with a confidence from 0 to 1."""
    norm = normalise(header)
    if not norm:
        return []
    words = vocabulary()
    meaning = words.field_of
    if "#" in header and meaning(f"{norm} no") == "ref":
        return [("ref", 1.0)]  # "Risk #", "Item #": the sign means "number"
    found: list[tuple[str, float]] = list(words.headers.get(norm, ()))
    parts = norm.split(" ")
    for size in (2, 1):
        # "Residual Likelihood", "Pre-mitigation Impact"; "Impact résiduel" after.
        for qualifier, rest in (
            (" ".join(parts[:size]), " ".join(parts[size:])),
            (" ".join(parts[-size:]), " ".join(parts[:-size])),
        ):
            if rest and qualifier in words.qualifiers:
                base = meaning(_strip_kind(rest, words.kinds, words.fillers))
                level = (words.qualifiers[qualifier] + base, 1.0) if base in _LEVELS else None
                if level is not None and level not in found:
                    found.insert(0, level)
    if found:
        return found
    if len(parts) > 1:
        # "Risk Owner", "Action Due Date", "Propriétaire du risque": a kind word, a field.
        rest = _strip_kind(norm, words.kinds, words.fillers)
        key = meaning(rest) if rest != norm else None
        if key is not None:
            found.append((key, 0.85))
    if not found:
        # "Assessment date", "Date de revue", "Prüfdatum": a date, by the words beside it.
        dated = _dated(parts, words)
        if dated == "extra":
            return []  # a date raidlog keeps no field for ("Last updated")
        if dated is not None:
            found.append((dated, 0.8))
    # "Owner (name)", "Due date dd/mm": the first words carry the meaning.
    for size in range(len(parts) - 1, 0, -1):
        key = meaning(" ".join(parts[:size]))
        if key is not None and key not in ("ref", "kind"):
            if all(known != key for known, _ in found):
                found.append((key, 0.6))
            break
    return found


def _strip_kind(text: str, kinds: Mapping[str, str], fillers: frozenset[str]) -> str:
    """``text`` without a kind word before it or (with its filler words) after it:
    ``"risk owner"`` and ``"proprietaire du risque"`` -> ``"owner"``, ``"proprietaire"``."""
    parts = text.split(" ")
    if len(parts) > 1 and parts[0] in kinds and len(parts[0]) > 2:
        return " ".join(parts[1:])
    if len(parts) > 1 and parts[-1] in kinds and len(parts[-1]) > 2:
        parts = parts[:-1]
        while len(parts) > 1 and parts[-1] in fillers:
            parts.pop()
        return " ".join(parts)
    return text


def _dated(parts: Sequence[str], words: Vocabulary) -> str | None:
    """The date field a header with a date word means, from the words nearest that
    word; ``"extra"`` for a date raidlog has no field for, ``None`` when it says none."""
    split: list[str] = []
    at = None
    for part in parts:
        if part in words.date_words:
            at = len(split) if at is None else at
            split.append(part)
            continue
        stem = next(
            (part[: -len(w)] for w in words.date_words if part.endswith(w) and len(part) > len(w)),
            None,
        )
        if stem is not None and at is None and len(stem) > 2:
            # A compound ("Prüfdatum", "Einddatum"): the stem, then the date word.
            split.append(stem if stem in words.date_meanings else stem.removesuffix("s"))
            at = len(split)
            split.append("date")
            continue
        if part not in words.fillers:
            split.append(part)
    if at is None:
        return None
    best: tuple[int, int, str] | None = None
    for first in range(len(split)):
        for last in range(first + 1, len(split) + 1):
            if first <= at < last:
                continue
            field = words.date_meanings.get(" ".join(split[first:last]))
            if field is None:
                continue
            distance = at - last if last <= at else first - at - 1
            rank = (distance, first - last, field)
            if best is None or rank < best:
                best = rank
    return best[2] if best is not None else None


def attribute(kind: str, key: str) -> str | None:
    """The model attribute of ``kind`` that concept ``key`` lands in (None: extra)."""
    for prefix in ("inherent_", "residual_", "target_"):
        if key.startswith(prefix):
            return key if kind == "risk" else None
    if key in ("ref", "kind", "links"):
        return key
    return _ATTRIBUTES.get(kind, {}).get(key)


def kind_of_word(value: str) -> str | None:
    """The kind a type-column value names (``"R"``, ``"Risks"``, ``"ACTION"``, ``"Risque"``)."""
    return vocabulary().kinds.get(normalise(value))


def closed_sheet(name: str) -> bool:
    """Whether a sheet's name says all its items are closed (``"Closed Risks"``,
    ``"Archive"``, ``"Risques clôturés"``; not ``"Open and Closed"``)."""
    words = set(words_key(name).split(" "))  # "Risks (Closed)": the brackets count here
    found = vocabulary()
    return bool(words & found.closed_sheets) and not words & found.open_sheets
