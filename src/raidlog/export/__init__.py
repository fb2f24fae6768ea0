"""Exports people and machines read: the xlsx board pack, CSV, JSON and JSON Lines, and
pandas data frames; with the way back (:func:`load_json`, :func:`apply_xlsx`)."""

from raidlog.export.frames import to_dataframe
from raidlog.export.jsonio import JsonExport, load_json, read_json, write_json, write_jsonl
from raidlog.export.rows import columns_for, flatten, parse_cell, select_items
from raidlog.export.tabular import neutralise, write_csv
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
