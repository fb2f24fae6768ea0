"""The SVG heat map's geometry: every cell once, highest probability on top, the
report's counts, scores and appetite colours unchanged."""

from __future__ import annotations

from datasette_raidlog.heatmap import CELL, LABEL_WIDTH, layout
from hypothesis import given
from hypothesis import strategies as st

from raidlog.report import HeatGrid


@st.composite
def grids(draw: st.DrawFn) -> HeatGrid:
    rows = draw(st.integers(1, 7))
    cols = draw(st.integers(1, 7))
    counts = tuple(tuple(draw(st.integers(0, 99)) for _ in range(cols)) for _ in range(rows))
    return HeatGrid(
        level=draw(st.sampled_from(["inherent", "residual"])),
        probability=tuple(f"p{p}" for p in range(1, rows + 1)),
        impact=tuple(f"i{i}" for i in range(1, cols + 1)),
        counts=counts,
        scores=tuple(tuple(p * i for i in range(1, cols + 1)) for p in range(1, rows + 1)),
        rags=tuple(
            tuple(draw(st.sampled_from(["red", "amber", "green", "none"])) for _ in range(cols))
            for _ in range(rows)
        ),
        unassessed=draw(st.integers(0, 5)),
    )


@given(grids())
def test_every_cell_is_drawn_once_where_a_board_reads_it(grid: HeatGrid) -> None:
    svg = layout(grid)
    rows, cols = len(grid.probability), len(grid.impact)
    assert len(svg.cells) == rows * cols
    assert len({(c.x, c.y) for c in svg.cells}) == rows * cols
    for cell in svg.cells:
        p, i = cell.probability, cell.impact
        assert cell.count == grid.counts[p - 1][i - 1]
        assert cell.score == grid.scores[p - 1][i - 1]
        assert cell.rag == grid.rags[p - 1][i - 1]
        assert cell.y == (rows - p) * CELL  # probability 1 at the bottom
        assert cell.x == LABEL_WIDTH + (i - 1) * CELL  # impact grows to the right
        assert cell.x >= 0
        assert cell.x + CELL <= svg.width
        assert cell.y >= 0
        assert cell.y + CELL <= svg.height
    assert svg.total == sum(map(sum, grid.counts))
    assert [a.text for a in svg.rows] == list(grid.probability)
    assert [a.text for a in svg.columns] == list(grid.impact)


def test_cells_take_the_reports_appetite_colours() -> None:
    grid = HeatGrid(
        level="residual",
        probability=("low", "high"),
        impact=("small", "big"),
        counts=((1, 0), (0, 2)),
        scores=((1, 2), (2, 4)),
        rags=(("green", "amber"), ("amber", "red")),
        unassessed=0,
    )
    fills = {(c.probability, c.impact): c.fill for c in layout(grid).cells}
    assert fills == {(1, 1): "#bfe3c1", (1, 2): "#fde7a6", (2, 1): "#fde7a6", (2, 2): "#f4b6b6"}
