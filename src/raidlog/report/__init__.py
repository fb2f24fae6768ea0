"""The HTML report: one self-contained page a board member opens from an e-mail."""

from raidlog.boardpack import BoardData, HeatGrid, gather
from raidlog.report.html import render_html, write_report

__all__ = ["BoardData", "HeatGrid", "gather", "render_html", "write_report"]
