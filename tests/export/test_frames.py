"""to_dataframe (raidlog.export.frames): the CSV columns in a
pandas DataFrame (pandas is in the dev extra)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from raidlog import RaidLogError, Register
from raidlog.export.frames import to_dataframe


def test_one_row_per_item_indexed_by_ref(board: Register) -> None:
    frame = to_dataframe(board)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == [i.ref for i in board.items()]
    assert frame.loc["R-0001", "score"] == 16
    assert frame.loc["R-0001", "tags"] == "supply; vendor"
    assert frame.loc["A-0001", "due"] == date(2026, 5, 1)
    assert frame.loc["R-0001", "extra.cost centre"] == "-CC12"


def test_filters_are_those_of_query(board: Register) -> None:
    frame = to_dataframe(board, kind="risk", min_score=10)
    assert list(frame.index) == ["R-0001"]


def test_without_pandas_the_error_names_the_extra(
    board: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(RaidLogError, match=r"pip install 'raidlog\[pandas\]'"):
        to_dataframe(board)


def test_the_export_function_takes_a_register_or_items_already_chosen(board: Register) -> None:
    everything = to_dataframe(board)
    assert everything.equals(to_dataframe(board.items()))
    chosen = to_dataframe(board.query(kind="action"))
    assert list(chosen.index) == [i.ref for i in board.items("action")]


def test_filters_apply_to_a_register_not_to_items_already_chosen(board: Register) -> None:
    with pytest.raises(RaidLogError, match="filters a register"):
        to_dataframe(list(board.items()), kind="risk")
