"""A report as a terminal table, aligned by display width (a Chinese character takes two cells).

Borders are ASCII: box-drawing characters are East Asian "ambiguous" width and render two cells
wide in many Chinese terminals, which would break every line's alignment.
"""

from __future__ import annotations

from collections.abc import Sequence

from metricflow_lite.report.cells import (
    LEGEND,
    DisplayCell,
    caption,
    display_columns,
    display_row,
    has_missed,
)
from metricflow_lite.report.formatting import TargetFlag, display_width
from metricflow_lite.report.frame import ReportTable

RED = "\x1b[31m"
RESET = "\x1b[0m"


def render_terminal(table: ReportTable, color: bool = False) -> str:
    """The table as text: caption, header, one line per row, a legend when a target is missed."""
    headers = [c.label for c in display_columns(table)]
    rows = table.focus_rows()
    body = [display_row(table, row) for row in rows]
    widths = [display_width(h) for h in headers]
    for cells in body:
        widths = [max(w, display_width(c.text)) for w, c in zip(widths, cells, strict=True)]
    inner = sum(widths) + 3 * (len(widths) - 1)
    top = [caption(table)]
    if has_missed(table, rows):
        bottom = [LEGEND]
    elif not rows:
        bottom = ["(no rows)"]
    else:
        bottom = []
    inner = max([inner, *(display_width(t) for t in top + bottom)])
    # The last column absorbs any extra width a long caption needs.
    widths[-1] += inner - (sum(widths) + 3 * (len(widths) - 1))

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    full_rule = "+" + "-" * (inner + 2) + "+"
    lines = [full_rule, *(_wide_line(t, inner) for t in top), rule]
    lines.append(_line([DisplayCell(h, numeric=False) for h in headers], widths, color=False))
    if body:
        lines.append(rule)
    lines.extend(_line(cells, widths, color) for cells in body)
    if bottom:
        lines += [full_rule, *(_wide_line(t, inner) for t in bottom)]
        lines.append(full_rule)
    else:
        lines.append(rule)
    return "\n".join(lines) + "\n"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _line(cells: Sequence[DisplayCell], widths: Sequence[int], color: bool) -> str:
    parts = []
    for cell, width in zip(cells, widths, strict=True):
        text = _pad(cell.text, width, cell.numeric)
        if color and cell.flag is TargetFlag.MISSED:
            text = f"{RED}{text}{RESET}"
        parts.append(text)
    return "| " + " | ".join(parts) + " |"


def _wide_line(text: str, inner: int) -> str:
    return "| " + _pad(text, inner, right=False) + " |"
