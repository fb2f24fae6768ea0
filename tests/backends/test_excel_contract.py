"""The Excel workbook backend passes the conformance suite."""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import openpyxl

from raidlog.testing import BackendContract


def _edit_links(change: Callable[[Any], None]) -> Callable[[str], None]:
    """A tamper editing the Links sheet in place, as a person in Excel would."""

    def tamper(location: str) -> None:
        book = openpyxl.load_workbook(location)
        change(book["Links"])
        book.save(location)

    return tamper


def _blank_row(sheet: Any) -> None:
    for cell in sheet[2]:
        cell.value = None


def _retitle(sheet: Any) -> None:
    sheet.cell(2, 4).value = "Nothing to see"


def _add_row(sheet: Any) -> None:
    sheet.append(["R-0001", "relates_to", "A-0001", "Supplier insolvent"])


class TestExcelBackend(BackendContract):
    processes = 4

    def make_location(self, directory: Path) -> str:
        return str(directory / "raid.xlsx")

    def derived_tampers(self) -> Mapping[str, Callable[[str], None]]:
        return {
            "Links: a row removed": _edit_links(_blank_row),
            "Links: a source title changed": _edit_links(_retitle),
            "Links: a row added": _edit_links(_add_row),
        }
