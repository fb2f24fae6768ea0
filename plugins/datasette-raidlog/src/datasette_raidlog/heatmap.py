"""Heat maps as inline SVG: the geometry of a :class:`~raidlog.report.HeatGrid`.

The counts, matrix scores and appetite RAGs come from the HTML report's data
(:func:`raidlog.report.gather`), so the web pages and the board report never
disagree; this module only places them on a grid. The template draws the result, so
every label (profile text) goes through Jinja's autoescape like the rest of the page.
"""

from __future__ import annotations

import attrs

from raidlog.report import HeatGrid

__all__ = ["CELL", "LABEL_HEIGHT", "LABEL_WIDTH", "Axis", "Cell", "HeatMapSvg", "layout"]

#: Side of one cell, and the room kept for the axis labels, in SVG user units.
CELL = 48
LABEL_WIDTH = 96
LABEL_HEIGHT = 40
# The same appetite colours as the HTML report's heat-map cells.
_FILL = {"red": "#f4b6b6", "amber": "#fde7a6", "green": "#bfe3c1"}
_NO_BAND = "#eceff1"


@attrs.frozen
class Cell:
    """One probability x impact cell, where it is drawn and what it holds."""

    probability: int
    impact: int
    count: int
    score: int
    rag: str
    x: int
    y: int
    fill: str


@attrs.frozen
class Axis:
    """A label beside a row (probability) or under a column (impact)."""

    text: str
    x: int
    y: int


@attrs.frozen
class HeatMapSvg:
    """Everything the template needs to draw one heat map."""

    level: str
    width: int
    height: int
    cells: tuple[Cell, ...]
    rows: tuple[Axis, ...]
    columns: tuple[Axis, ...]
    total: int
    unassessed: int


def layout(grid: HeatGrid) -> HeatMapSvg:
    """Place ``grid`` on an SVG canvas: highest probability on top, as boards read a
    heat map; impact grows to the right."""
    rows, cols = len(grid.probability), len(grid.impact)
    cells = []
    for p in range(1, rows + 1):
        y = (rows - p) * CELL
        for i in range(1, cols + 1):
            rag = grid.rags[p - 1][i - 1]
            cells.append(
                Cell(
                    probability=p,
                    impact=i,
                    count=grid.counts[p - 1][i - 1],
                    score=grid.scores[p - 1][i - 1],
                    rag=rag,
                    x=LABEL_WIDTH + (i - 1) * CELL,
                    y=y,
                    fill=_FILL.get(rag, _NO_BAND),
                )
            )
    row_labels = tuple(
        Axis(grid.probability[p - 1], LABEL_WIDTH - 6, (rows - p) * CELL + CELL // 2 + 4)
        for p in range(1, rows + 1)
    )
    column_labels = tuple(
        Axis(grid.impact[i - 1], LABEL_WIDTH + (i - 1) * CELL + CELL // 2, rows * CELL + 16)
        for i in range(1, cols + 1)
    )
    return HeatMapSvg(
        level=grid.level,
        width=LABEL_WIDTH + cols * CELL + 2,
        height=rows * CELL + LABEL_HEIGHT,
        cells=tuple(cells),
        rows=row_labels,
        columns=column_labels,
        total=grid.total,
        unassessed=grid.unassessed,
    )
