"""A report as a Markdown table: labels as headers, `✗` after a value that missed its target."""

from __future__ import annotations

from metricflow_lite.report.cells import (
    caption,
    display_columns,
    display_row,
    has_missed,
    legend,
    period_notes,
    shown_rows,
)
from metricflow_lite.report.escaping import markdown_text
from metricflow_lite.report.frame import ReportTable


def render_markdown(table: ReportTable) -> str:
    """The table as GitHub-flavoured Markdown, with a caption heading, notes and a legend.

    Every label and value is escaped: no HTML, link or emphasis from the data survives.
    """
    columns = display_columns(table)
    lines = [f"### {_escape(caption(table))}", ""]
    notes = period_notes(table)
    if notes:
        lines += [*(_escape(n) + "  " for n in notes), ""]
    lines.append("| " + " | ".join(_escape(c.label) for c in columns) + " |")
    lines.append("|" + "|".join(_rule(c.role.value) for c in columns) + "|")
    for row, is_total in shown_rows(table):
        cells = [_escape(c.text) for c in display_row(table, row)]
        if is_total:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if has_missed(table, table.focus_rows()):
        lines += ["", _escape(legend(table))]
    return "\n".join(lines) + "\n"


def _rule(role: str) -> str:
    return "---" if role in ("period", "dimension") else "---:"


def _escape(text: str) -> str:
    """Text shown as written inside a table cell: no HTML, link or emphasis, one line."""
    return markdown_text(text)
