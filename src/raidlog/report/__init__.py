"""The HTML report: one self-contained page a board member opens from an e-mail."""

from raidlog.report.data import BoardData, HeatMap, ObjectiveRisk, gather, heat_map
from raidlog.report.html import render_html, write_report

__all__ = [
    "BoardData",
    "HeatMap",
    "ObjectiveRisk",
    "gather",
    "heat_map",
    "render_html",
    "write_report",
]
