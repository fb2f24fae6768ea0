"""How the importer compares words: one folding for headers, statuses, levels and dates.

Text is compared case-insensitively and accent-insensitively, in any script: ``"Élevé"``,
``"ELEVE"`` and ``"élevé"`` are one word, Cyrillic stays Cyrillic (``"Высокий"`` is
``"высокий"``), and ``"Maßnahme"`` is ``"massnahme"``. The word lists in
:mod:`raidlog.migrate.vocab` are written in this folded form, so a word from a cell and
a word from the lists meet in the same shape.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "normalise", "phrase_key", "value_key", "words_key"]

# Letters that carry their accent in themselves (NFD does not split them), and the
# Russian yo that people type as ye. Escapes: the letters look like Latin ones.
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "æ": "ae",
        "œ": "oe",
        "\u0451": "\u0435",  # Cyrillic yo -> ye
    }
)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_NOT_WORDS = re.compile(r"[\W_]+")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """``text`` case-folded with its accents removed: ``"Échéance"`` -> ``"echeance"``.

    Only marks on Latin letters go (the Cyrillic й keeps its breve); punctuation,
    digits and spacing are left as they are."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    if text.isascii():
        return text
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue  # a mark on a Latin base letter: é -> e, ñ -> n
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


_CUSTOM_FIELD = re.compile(r"^custom ?field\s*\((.+)\)$")
_HINT = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_MONEY = re.compile(r"monetary|cost|[$£€]|financial|\bgbp\b|\busd\b|\beur\b")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^\w#%$£€]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalise(header: str) -> str:
    """A header as compared with synonyms: ``"Impact\\n(H/M/L)"`` -> ``"impact"``,
    ``"Date d'échéance"`` -> ``"date d echeance"``.

    Case, accents, spacing, punctuation, camelCase and snake_case go, and so do hints in
    brackets (``"(H/M/L)"``, ``"(dd/mm/yyyy)"``); a money hint on an impact is kept as the
    word ``monetary`` (``"Impact (£k)"`` -> ``"impact monetary"``). A normal header is its
    own normal form."""
    text = unicodedata.normalize("NFKC", header).replace("\u00a0", " ")
    lowered = fold(_CAMEL.sub(" ", text.strip()))
    custom = _CUSTOM_FIELD.match(lowered)
    if custom:  # Jira's "Custom field (Risk Probability)" is the field in brackets
        lowered = custom.group(1)
    hinted = _MONEY.search(lowered) is not None and "impact" in lowered
    lowered = _HINT.sub(" ", lowered)
    money = hinted and _MONEY.search(lowered) is None  # the money was in the hint
    lowered = lowered.replace("_", " ").replace("&", " and ").replace("/", " ")
    lowered = _NON_WORD.sub(" ", lowered)
    lowered = _SPACES.sub(" ", lowered).strip()
    if lowered in ("#", "no"):
        return lowered
    lowered = lowered.strip("# ").strip() or lowered
    return f"{lowered} monetary" if money else lowered


def words_key(text: str) -> str:
    """The letters of ``text``, folded, one space between words: how statuses, levels
    and RAG words are compared (``"3 - Clos(e)"`` -> ``"clos e"``)."""
    return " ".join(_NOT_LETTERS.sub(" ", fold(text)).split())


def value_key(text: str) -> str:
    """Like :func:`words_key`, digits kept: how vocabulary words such as ``"P1"`` compare."""
    return " ".join(_NOT_WORDS.sub(" ", fold(text)).split())


def phrase_key(text: str) -> str:
    """``text`` folded, single-spaced, without closing punctuation: how a whole cell is
    compared with a phrase (``"To be confirmed."`` -> ``"to be confirmed"``)."""
    return " ".join(fold(text).strip().rstrip(".?! ").split())
