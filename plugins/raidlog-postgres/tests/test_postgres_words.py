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
