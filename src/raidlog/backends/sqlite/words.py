"""The words the ``item_fts`` index holds for an item (see :func:`fts_text`).

The index is contentless: SQLite keeps no copy of the documents, so removing an item's
entry means handing SQLite the very document it was given. Documents are therefore a
pure function of the title and description, and :data:`WORDS_FORMAT` names that
function (with the Unicode version its folding follows): a register whose index was
built under another format is re-indexed when it is opened.
"""

from __future__ import annotations

import re
import unicodedata

from raidlog.query import split_folded, unaccented

__all__ = ["WORDS_FORMAT", "fts_term", "fts_text"]

#: What :func:`fts_text` makes of text: bump the number when it changes.
WORDS_FORMAT = f"1; unicode {unicodedata.unidata_version}"

_PLAIN = re.compile(r"[a-z0-9]+")


def fts_term(word: str) -> str:
    """How a word (of :func:`~raidlog.query.text_words`) is stored in ``item_fts``."""
    if _PLAIN.fullmatch(word):
        return word
    return "_" + word.encode("utf-8").hex()


def fts_text(title: str, description: str) -> str:
    """The ``item_fts`` text of an item with this title and description.

    When the text, lowered and unaccented as :func:`~raidlog.query.text_words` does it,
    is ASCII without capitals, it is handed to SQLite as it is: the table's ``ascii``
    tokenizer splits it into runs of letters and digits, exactly as ``text_words``
    does, once ``_`` (a token character there, for encoded words) becomes a space.
    Other text is split here, in Python, and its odd words encoded.

    The unaccenting is done character by character (:func:`_folding`): NFKD decomposes
    each character on its own and only reorders combining marks, which it then drops,
    so each distinct non-ASCII character of the text is folded once (and remembered)
    and replaced, and the text is the one :func:`~raidlog.query.unaccented` gives.
    """
    lowered = f"{title} {description}".lower()
    if lowered.isascii():
        return lowered.replace("_", " ")
    text = lowered
    simple = True  # whether every character folds to ASCII without capitals
    for char in _non_ascii(lowered):
        found = _FOLDINGS.get(char)
        if found is None:
            found = _folding(char)
        folded, plain = found
        if folded != char:
            text = text.replace(char, folded)
        simple = simple and plain
    if simple:
        return text.replace("_", " ")
    return _document(text)


def _non_ascii(text: str) -> set[str]:
    """The distinct non-ASCII characters of ``text``: its UTF-8 form without the ASCII
    bytes, read back (a regular expression takes about ten times longer, character by
    character); ``surrogatepass`` keeps a lone surrogate a character like any other."""
    return set(
        text.encode("utf-8", "surrogatepass")
        .translate(None, _ASCII_BYTES)
        .decode("utf-8", "surrogatepass")
    )


def _folding(char: str) -> tuple[str, bool]:
    """What :func:`~raidlog.query.unaccented` makes of ``char``, and whether that is
    ASCII without capitals; remembered (a few thousand characters at most, bounded)."""
    folded = unaccented(char)
    found = folded, folded.isascii() and not _CAPITAL.search(folded)
    if len(_FOLDINGS) >= _KEPT:
        _FOLDINGS.clear()
    _FOLDINGS[char] = found
    return found


class _Terms(dict[str, str]):
    """The stored terms of a whitespace-separated token of folded text, joined by
    spaces ("" when it holds no word), made when first asked for; bounded."""

    def __missing__(self, token: str) -> str:
        if token.isascii() and token.isalnum() and (token.islower() or token.isdigit()):
            terms = token  # one word, [a-z0-9]+: its own term
        else:
            terms = " ".join(
                [
                    w if _PLAIN.fullmatch(w) else "_" + w.encode("utf-8").hex()
                    for w in split_folded(token)
                ]
            )
        if len(self) >= _KEPT:
            self.clear()
        self[token] = terms
        return terms


def _document(text: str) -> str:
    """The words of folded ``text`` (:func:`~raidlog.query.split_folded`), joined by
    spaces, each stored as :func:`fts_term` stores it: token by token over the text's
    whitespace-separated tokens (a word never spans whitespace), each token's terms
    looked up in a bounded map (words repeat: most are found there)."""
    return " ".join(filter(None, map(_TERMS.__getitem__, text.split())))


_ASCII_BYTES = bytes(range(128))
# NFKD can turn a lower-case letter into a capital (U+210C, black-letter H, becomes "H");
# text_words keeps such a capital, which the ascii tokenizer would fold.
_CAPITAL = re.compile("[A-Z]")
#: How many characters, and tokens, the maps keep before starting again.
_KEPT = 50_000
_FOLDINGS: dict[str, tuple[str, bool]] = {}
_TERMS = _Terms()
