"""The importer's word files: every word can match, means what its file says, and a
broken file is refused with a message naming file, table and entry."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raidlog.errors import VocabularyError
from raidlog.migrate.headers import candidates, kind_of_word, normalise
from raidlog.migrate.mapping import FIELDS as MAPPABLE
from raidlog.migrate.text import fold, words_key
from raidlog.migrate.values import _FALLBACK, DateReader, LevelReader, read_rag, read_status
from raidlog.migrate.vocab import (
    FIELDS,
    KINDS,
    STATUS_CONCEPTS,
    load_vocabulary,
    vocabulary,
)
from raidlog.profiles import load_profile

WORDS = vocabulary()
LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "nl", "pl", "ru")


def test_every_language_ships_and_is_read_once() -> None:
    assert {f.removesuffix(".toml") for f in WORDS.files} >= set(LANGUAGES)
    assert vocabulary() is WORDS


def test_every_header_is_in_normal_form_and_means_its_own_field() -> None:
    wrong = []
    for header, claims in WORDS.headers.items():
        found = candidates(header)
        if normalise(header) != header or not found or found[0] != claims[0]:
            wrong.append((header, claims[0], found[:1]))
    assert wrong == []
    assert len(WORDS.headers) > 1500


def test_every_ambiguous_header_offers_each_of_its_fields_in_order() -> None:
    for header, claims in WORDS.headers.items():
        if len(claims) > 1:
            assert candidates(header)[: len(claims)] == list(claims), header


def test_header_fields_are_mapping_file_fields() -> None:
    assert {field for claims in WORDS.headers.values() for field, _ in claims} <= FIELDS
    assert FIELDS <= MAPPABLE


def test_every_kind_word_names_its_kind() -> None:
    assert set(WORDS.kinds.values()) == set(KINDS)
    for word, kind in WORDS.kinds.items():
        assert kind_of_word(word) == kind, word


def test_every_status_word_reaches_a_lifecycle_status() -> None:
    profile = load_profile("default")
    assert set(_FALLBACK) == set(STATUS_CONCEPTS)
    for concept, words in WORDS.statuses.items():
        for word in words:
            assert words_key(word) == word
            reached = {read_status(word, profile.lifecycle(kind)) for kind in KINDS}
            assert reached - {None}, (concept, word)


def test_every_level_word_is_read_as_a_level() -> None:
    for word in [*WORDS.level_aliases, *(w for scale in WORDS.scales for w in scale)]:
        level, why = LevelReader([word], 5).read(word)
        assert level is not None, word
        assert why is None, word


def test_every_month_name_reads_a_date() -> None:
    for name, month in WORDS.months.items():
        assert DateReader([]).read(f"3 {name} 2024") == (date(2024, month, 3), None), name


def test_every_rag_word_reads_its_colour() -> None:
    for word, colour in WORDS.rag.items():
        assert read_rag(word) == colour


@given(st.text(max_size=40))
def test_a_normal_header_is_its_own_normal_form(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(max_size=40))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Élevé", "eleve"),
        ("Maßnahme", "massnahme"),
        ("Właściciel", "wlasciciel"),
        ("Высокий", "высокий"),
        ("Жёлтый", "желтый"),
        ("Май", "май"),  # the Cyrillic short i keeps its breve
        ("Œuvre", "oeuvre"),
    ],
)
def test_accents_fold_and_cyrillic_stays(written: str, folded: str) -> None:
    assert fold(written) == folded


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("Date d'échéance", "date d echeance"),
        ("Fälligkeitsdatum", "falligkeitsdatum"),
        ("Владелец риска", "владелец риска"),
        ("Impact (£k)", "impact monetary"),
        ("Cost impact", "cost impact"),
    ],
)
def test_headers_normalise_in_any_language(header: str, normal: str) -> None:
    assert normalise(header) == normal


# A broken file is refused ----------------------------------------------------------------
def _load(tmp_path: Path, *texts: str) -> None:
    paths = []
    for number, text in enumerate(texts):
        path = tmp_path / f"lang{number}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    en = Path(__file__).resolve().parents[2] / "src/raidlog/migrate/vocab/en.toml"
    load_vocabulary([en, *paths])


@pytest.mark.parametrize(
    ("text", "table", "entry", "says"),
    [
        ('[headers]\nowner = ["Propriétaire"]', "headers", "owner", "write 'proprietaire'"),
        ('[headers]\nownr = ["x"]', "headers", "ownr", "no such field"),
        ('[headers]\ntitle = ["owner"]', "headers", "owner", "also claimed as owner (1)"),
        ('[weak]\nowner = ["owner"]', "weak", "owner", "also claimed"),
        ('[ambiguous]\n"zz" = { owner = 1.0 }', "ambiguous", "zz", "names one field"),
        ('[ambiguous]\n"zz" = { owner = 1.5, title = 1 }', "ambiguous", "zz", "confidence"),
        ('[kinds]\nissue = ["risk"]', "kinds", "risk", "means 'risk'"),
        ('[kinds]\nrisks = ["x"]', "kinds", "risks", "use one of"),
        ('[statuses]\nopen = ["closed"]', "statuses", "closed", "means 'closed'"),
        ('[levels.aliases]\n"hoog" = "tall"', "levels.aliases", "hoog", "on no scale"),
        ('[dates.months]\n13 = ["x"]', "dates.months", "13", "1 to 12"),
        ('[dates.months]\n5 = ["march"]', "dates.months", "march", "means 3"),
        ('[dates.meanings]\nowner = ["x"]', "dates.meanings", "owner", "date field"),
        ('[header]\nowner = ["x"]', "header", "", "unknown table"),
        ('[headers]\nowner = "x"', "headers", "owner", "list of strings"),
    ],
)
def test_a_broken_file_is_refused_naming_file_table_and_entry(
    tmp_path: Path, text: str, table: str, entry: str, says: str
) -> None:
    with pytest.raises(VocabularyError) as caught:
        _load(tmp_path, text)
    error = caught.value
    assert (error.file, error.table, error.entry) == ("lang0.toml", table, entry)
    assert says in str(error)
    assert str(error).startswith(f"lang0.toml, table [{table}], entry {entry!r}")


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"lang0\.toml.*not valid TOML"):
        _load(tmp_path, "[headers\n")


def test_two_files_claiming_a_header_differently_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"also claimed as owner \(1\) in lang0\.toml"):
        _load(tmp_path, '[headers]\nowner = ["zz"]', '[headers]\ntitle = ["zz"]')


def test_a_new_language_file_adds_its_words(tmp_path: Path) -> None:
    path = tmp_path / "sv.toml"
    path.write_text(
        'language = "sv"\n[headers]\nowner = ["agare"]\n[kinds]\nrisk = ["risk", "risker"]\n'
        '[levels.aliases]\n"hog" = "high"\n',
        encoding="utf-8",
    )
    en = Path(__file__).resolve().parents[2] / "src/raidlog/migrate/vocab/en.toml"
    words = load_vocabulary([en, path])
    assert words.headers["agare"] == (("owner", 1.0),)
    assert (words.kinds["risker"], words.level_aliases["hog"]) == ("risk", "high")


def test_the_word_files_are_read_on_first_use_not_when_the_cli_loads() -> None:
    code = (
        "import raidlog.cli.main, raidlog.migrate.vocab as v; "
        "print(v.vocabulary.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
