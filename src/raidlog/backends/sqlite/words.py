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
    """
    lowered = f"{title} {description}".lower()
    if lowered.isascii():
        return lowered.replace("_", " ")
    text = unaccented(lowered)
    if text.isascii() and not _CAPITAL.search(text):
        return text.replace("_", " ")
    return _document(text)


def _document(text: str) -> str:
    """The words of folded ``text`` (:func:`~raidlog.query.split_folded`), joined by
    spaces, each stored as :func:`fts_term` stores it: word by word over the text's
    whitespace-separated tokens (a word never spans whitespace), so the common token,
    lower-case ASCII letters and digits, is kept as it is without a regular expression."""
    out: list[str] = []
    append = out.append
    for token in text.split():
        if token.isascii() and token.isalnum() and (token.islower() or token.isdigit()):
            append(token)  # one word, [a-z0-9]+: its own term
            continue
        for word in split_folded(token):
            append(word if _PLAIN.fullmatch(word) else "_" + word.encode("utf-8").hex())
    return " ".join(out)


# NFKD can turn a lower-case letter into a capital (U+210C, black-letter H, becomes "H");
# text_words keeps such a capital, which the ascii tokenizer would fold.
_CAPITAL = re.compile("[A-Z]")
