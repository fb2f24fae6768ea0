"""The words the backend stores for text search are exactly the core's words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from raidlog_postgres.compile import lexeme, search_words, tsquery

from raidlog.query import text_words


def _reference(*texts: str) -> str:
    return " ".join(dict.fromkeys(lexeme(w) for text in texts for w in text_words(text)))


@given(st.text(), st.text())
def test_search_words_are_the_reference_words(title: str, description: str) -> None:
    assert search_words(title, description) == _reference(title, description)


@pytest.mark.parametrize(
    "text",
    [
        "Café ÉTÉ naïve",  # precomposed accents
        "Cafe\u0301 e\u0300\u0323",  # combining marks, out of canonical order
        "ΟΔΟΣ ΟΔΟΣΑ",  # final sigma depends on the neighbour
        "ﬁnance ①② x²",  # compatibility decompositions
        "snake_case kebab-case 2026-06-01",  # underscores and hyphens split words
        "한국어 日本語 עִבְרִית",
    ],
)
def test_search_words_on_hard_cases(text: str) -> None:
    assert search_words(text, text[::-1]) == _reference(text, text[::-1])


def test_search_words_join_distinct_lexemes_of_title_and_description() -> None:
    assert search_words("Supplier late", "late supplier, café") == "supplier late cafe"


def test_words_too_long_for_a_lexeme_are_stored_and_searched_as_a_digest() -> None:
    word = "a" * 300
    assert lexeme(word).startswith("#")
    assert len(lexeme(word)) == 65
    assert search_words(word) == lexeme(word)
    assert tsquery([word, "b"]) == f"'{lexeme(word)}' & 'b'"


def test_no_whitespace_folds_to_a_word() -> None:
    # search_words folds one whitespace-separated token at a time: that gives the words
    # of the whole text only if no whitespace character folds to a letter or digit.
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert len(spaces) > 20
    for space in spaces:
        assert text_words(space) == (), hex(ord(space))
        assert search_words(f"a{space}b") == "a b", hex(ord(space))


_HARD = st.text(
    st.sampled_from(
        [
            *("a", "\u03a3", "\u03c3", "\u0391", "\u0301", "\u0323", "\ufb01", "\u00bd"),
            *("\u00b2", "_", "-", "\u00e9", "I", "\u0130"),  # sigmas, marks, ligatures
            *(" ", "\u00a0", "\u2003", "\u3000", "\n", "\x1c", "\u2028"),  # whitespace
            *("\u200b", "\u180e"),  # not whitespace to str.split
        ]
    )
)


@given(_HARD, _HARD)
def test_search_words_of_hard_characters_are_the_reference_words(
    title: str, description: str
) -> None:
    # Twice: the second call finds each token's lexemes in the cache.
    assert search_words(title, description) == _reference(title, description)
    assert search_words(title, description) == _reference(title, description)
