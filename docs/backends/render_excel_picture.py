"""Render the picture of a register workbook used in docs/backends/excel.md.

    python docs/backends/render_excel_picture.py

Needs LibreOffice (``libreoffice-calc-nogui``) and ``pdftoppm`` (``poppler-utils``).
The picture shows the Risks sheet with its first columns (the others hidden to fit).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import openpyxl

import raidlog
from raidlog.model.items import Action, Decision, Risk

SHOWN = {
    "Ref",
    "Title",
    "Status",
    "Priority",
    "RAG",
    "Owner",
    "Due",
    "Probability",
    "Impact",
    "Score",
}
OUT = Path(__file__).parent.parent / "img" / "excel-workbook.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "raid.xlsx"
        with raidlog.open(str(path), actor="pmo@example.org") as register:
            supplier = register.add(
                Risk(
                    title="Key supplier cannot deliver the new platform on time",
                    owner="Ann Lee",
                    probability=4,
                    impact=5,
                    due=date(2027, 3, 31),
                    priority="high",
                    tags=("supply", "platform"),
                )
            )
            register.add(
                Risk(
                    title="Budget overrun on data migration",
                    owner="Bo Chen",
                    probability=3,
                    impact=3,
                    due=date(2027, 1, 15),
                    priority="medium",
                )
            )
            register.add(
                Risk(
                    title="=Looks like a formula, stays text",
                    owner="Dee Roy",
                    probability=1,
                    impact=2,
                    priority="low",
                )
            )
            action = register.add(
                Action(title="Agree a fallback supplier", owner="Ann Lee", due=date(2027, 1, 31))
            )
            register.link(action, "mitigates", supplier)
            register.add(Decision(title="Adopt the cloud platform", decided_by="Programme board"))
        # A copy for the picture: only the Risks sheet's first columns, so they fit a page.
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets[1:]:
            sheet.sheet_state = "hidden"
        risks = book["Risks"]
        for cell in risks[1]:
            if cell.value not in SHOWN:
                risks.column_dimensions[cell.column_letter].hidden = True
        risks.column_dimensions["B"].width = 44
        risks.sheet_properties.pageSetUpPr.fitToPage = True
        risks.page_setup.fitToWidth = 1
        risks.page_setup.fitToHeight = 0
        picture = Path(folder) / "picture.xlsx"
        book.save(picture)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", folder, str(picture)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "160",
                "-f",
                "1",
                "-l",
                "1",
                "-x",
                "100",
                "-y",
                "150",
                "-W",
                "1560",
                "-H",
                "110",
                str(picture.with_suffix(".pdf")),
                str(Path(folder) / "page"),
            ],
            check=True,
        )
        page = next(Path(folder).glob("page*.png"))
        shutil.copy(page, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
