"""Exports people and machines read: the xlsx board pack, CSV, JSON and JSON Lines, and
pandas data frames; with the way back (:func:`load_json`, :func:`apply_xlsx`)."""

from typing import TYPE_CHECKING, Any

from raidlog.export.frames import to_dataframe
from raidlog.export.jsonio import JsonExport, load_json, read_json, write_json, write_jsonl
from raidlog.export.rows import columns_for, flatten, parse_cell, select_items
from raidlog.export.tabular import neutralise, write_csv

if TYPE_CHECKING:
    from raidlog.export.xlsx import (
        ApplyResult,
        apply_xlsx,
        safe_hyperlink,
        sheet_names,
        write_board_pack,
    )

__all__ = [
    "ApplyResult",
    "JsonExport",
    "apply_xlsx",
    "columns_for",
    "flatten",
    "load_json",
    "neutralise",
    "parse_cell",
    "read_json",
    "safe_hyperlink",
    "select_items",
    "sheet_names",
    "to_dataframe",
    "write_board_pack",
    "write_csv",
    "write_json",
    "write_jsonl",
]

_XLSX = frozenset(
    {"ApplyResult", "apply_xlsx", "safe_hyperlink", "sheet_names", "write_board_pack"}
)


def __getattr__(name: str) -> Any:
    # The board pack's names load openpyxl (and numpy beneath it) when first used, so a
    # CSV or JSON export, or a CLI command that exports nothing, does not pay for it.
    if name in _XLSX:
        from raidlog.export import xlsx

        return getattr(xlsx, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
