"""Profiles are data: lifecycles, matrix, bands and vocabularies."""

from pathlib import Path

import pytest

from raidlog import ProfileError, Rag
from raidlog.model.profile import Matrix
from raidlog.profiles import available_profiles, load_profile


def test_shipped_profiles_load() -> None:
    assert set(available_profiles()) >= {"default", "prince2", "pmi", "iso31000"}
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.name == name
        for kind in ("risk", "action", "issue", "decision", "assumption", "dependency"):
            lifecycle = profile.lifecycle(kind)
            assert lifecycle.initial in lifecycle.statuses


def test_default_lifecycles_are_the_documented_ones() -> None:
    profile = load_profile("default")
    risk = profile.lifecycle("risk")
    assert risk.allowed("open") == ("mitigating", "accepted", "materialised", "closed")
    assert risk.allowed("materialised") == ()
    assert ("closed", "open") in risk.reason_required
    decision = profile.lifecycle("decision")
    assert decision.allowed("proposed") == ("accepted", "rejected")
    assert decision.allowed("accepted") == ("deprecated", "superseded")
    action = profile.lifecycle("action")
    assert action.allowed("blocked") == ("in_progress", "cancelled")
    assert profile.lifecycle("issue").allowed("resolved") == ("closed", "open")


@pytest.mark.parametrize(
    ("method", "table", "cell", "score"),
    [
        ("multiplicative", (), (4, 3), 12),
        ("additive", (), (4, 3), 7),
        ("lookup", ((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12)), (4, 3), 12),
    ],
)
def test_any_matrix_scores(
    method: str, table: tuple[tuple[int, ...], ...], cell: tuple[int, int], score: int
) -> None:
    matrix = Matrix(
        probability=("a", "b", "c", "d"), impact=("x", "y", "z"), method=method, table=table
    )
    assert matrix.score(*cell) == score
    with pytest.raises(ValueError, match="outside the matrix"):
        matrix.score(5, 1)


def test_lookup_table_must_fit_the_levels() -> None:
    with pytest.raises(ProfileError, match="4 x 3 table"):
        Matrix(
            probability=("a", "b", "c", "d"), impact=("x", "y", "z"), method="lookup", table=((1,),)
        )


def test_bands_map_scores_to_rag() -> None:
    profile = load_profile("default")
    assert profile.band(4).rag is Rag.GREEN
    assert profile.band(5).rag is Rag.AMBER
    assert profile.band(25).name == "critical"
    assert load_profile("pmi").matrix.score(5, 5) == 72


def test_profile_files_extend_and_fail_clearly(tmp_path: Path) -> None:
    custom = tmp_path / "ours.toml"
    custom.write_text('name = "ours"\nextends = "default"\n[matrix]\nmethod = "additive"\n')
    profile = load_profile(str(custom))
    assert profile.matrix.score(5, 5) == 10
    assert profile.lifecycle("risk").initial == "open"
    with pytest.raises(ProfileError, match="no profile 'nope'"):
        load_profile("nope")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(str(broken))
    loop = tmp_path / "loop.toml"
    loop.write_text(f'name = "loop"\nextends = "{loop}"\n')
    with pytest.raises(ProfileError, match="extends itself"):
        load_profile(str(loop))
