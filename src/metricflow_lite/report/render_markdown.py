"""A report as a Markdown table: labels as headers, `✗` after a value that missed its target."""

from __future__ import annotations

from metricflow_lite.report.cells import LEGEND, caption, display_columns, display_row, has_missed
from metricflow_lite.report.frame import ReportTable


def render_markdown(table: ReportTable) -> str:
    """The table as GitHub-flavoured Markdown, with a caption heading and a legend."""
    columns = display_columns(table)
    rows = table.focus_rows()
    lines = [f"### {_escape(caption(table))}", ""]
    lines.append("| " + " | ".join(_escape(c.label) for c in columns) + " |")
    lines.append("|" + "|".join(_rule(c.role.value) for c in columns) + "|")
    for row in rows:
        cells = display_row(table, row)
        lines.append("| " + " | ".join(_escape(c.text) for c in cells) + " |")
    if has_missed(table, rows):
        lines += ["", LEGEND]
    return "\n".join(lines) + "\n"


def _rule(role: str) -> str:
    return "---" if role in ("period", "dimension") else "---:"


def _escape(text: str) -> str:
    """Text safe inside a table cell: pipes and line breaks would split the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
