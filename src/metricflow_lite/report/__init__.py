"""Report tables and their renderings: terminal, Markdown, CSV, HTML, XLSX and a dashboard.

`render_report` and `render_dashboard` are the entry points; each returns `str` or `bytes` and
never prints or writes files (the CLI does).
"""

from __future__ import annotations

from collections.abc import Sequence

from metricflow_lite.errors import MflError
from metricflow_lite.report.frame import Column, ColumnRole, Kpi, MetricInfo, ReportTable
from metricflow_lite.spec.model import Grain

FORMATS = ("table", "md", "csv", "html", "xlsx")

__all__ = [
    "FORMATS",
    "Column",
    "ColumnRole",
    "Kpi",
    "MetricInfo",
    "ReportTable",
    "html_filename",
    "render_dashboard",
    "render_report",
    "render_workbook",
]


def render_report(
    table: ReportTable, fmt: str, *, color: bool = False, width: int | None = None
) -> str | bytes:
    """The table rendered as `table`, `md`, `csv`, `html` (str) or `xlsx` (bytes).

    `color` adds ANSI red to missed targets in the terminal table (for a tty); `width` is the
    terminal's width, which no line of the table exceeds.
    """
    if fmt == "table":
        from metricflow_lite.report.render_terminal import render_terminal

        return render_terminal(table, color=color, width=width)
    if fmt == "md":
        from metricflow_lite.report.render_markdown import render_markdown

        return render_markdown(table)
    if fmt == "csv":
        from metricflow_lite.report.render_csv import render_csv

        return render_csv(table)
    if fmt == "html":
        from metricflow_lite.report.render_html import render_html

        return render_html(table)
    if fmt == "xlsx":
        from metricflow_lite.report.render_xlsx import render_xlsx

        return render_xlsx((table,))
    from metricflow_lite.errors import did_you_mean

    raise MflError(
        "E603",
        f"unknown report format {fmt!r}",
        hint=did_you_mean(fmt, FORMATS) or "use one of " + ", ".join(FORMATS),
    )


def render_dashboard(tables: Sequence[ReportTable]) -> str:
    """index.html: one tab per report with its KPI cards and charts, links to each grain's page."""
    from metricflow_lite.report.render_html import render_dashboard as render

    return render(tables)


def render_workbook(tables: Sequence[ReportTable]) -> bytes:
    """One report's Excel workbook with a sheet per table (grain), in the order given."""
    from metricflow_lite.report.render_xlsx import render_xlsx

    return render_xlsx(tables)


def html_filename(report: str, grain: Grain) -> str:
    """`<report>_<grain>.html`: the name the dashboard links each report page by."""
    return f"{report}_{grain.value}.html"
