"""Query results as text: an aligned terminal table, CSV or JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from metricflow_lite.compile.plan import QueryRequest
from metricflow_lite.report.escaping import terminal_text
from metricflow_lite.report.formatting import display_width, format_value
from metricflow_lite.spec.model import Format, ProjectSpec
from metricflow_lite.text import plain_value, render_result
from metricflow_lite.warehouse.base import QueryResult


def pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] = ()
) -> str:
    """An aligned plain-text table; numbers right-aligned, CJK text measured by display width.

    Every cell is made terminal-safe: escape sequences and control characters from the data
    never reach the terminal, and a line break cannot split a row.
    """
    headers = [terminal_text(h) for h in headers]
    rows = [[terminal_text(c) for c in row] for row in rows]
    right = list(numeric) + [False] * (len(headers) - len(numeric))
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    lines = ["  ".join(pad(h, widths[i], right[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(pad(c, widths[i], right[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


def format_number(value: Any, fmt: Format) -> str:
    """A metric value as a manager reads it, exactly as the reports print it; NULL is '-'."""
    if isinstance(value, Decimal):
        value = float(value)
    return format_value(value, fmt)


def render_rows(
    result: QueryResult,
    spec: ProjectSpec,
    request: QueryRequest,
    fmt: str,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    complete: Sequence[bool] | None = None,
) -> str:
    """Query rows as table, csv or json.

    The table shows dimension values by their labels (`values:`) and marks an incomplete period
    with `*`; csv and json keep the codes, and carry `is_complete` when `complete` is given.
    """
    rows = [[plain_value(v) for v in row] for row in result.rows]
    columns = list(result.columns)
    if fmt in ("csv", "json"):
        if complete is not None:
            columns.append("is_complete")
            rows = [[*row, flag] for row, flag in zip(rows, complete, strict=True)]
        return render_result(columns, rows, fmt)
    formats = {m.name: m.format for m in spec.metrics}
    labels = value_labels or {}
    period = request.grain.value if request.grain else None
    cells = []
    for n, row in enumerate(rows):
        line = []
        for name, value in zip(result.columns, row, strict=True):
            if name in formats and name in request.metrics:
                line.append(format_number(value, formats[name]))
            elif value is None:
                line.append("(null)")
            else:
                text = labels.get(name, {}).get(str(value), str(value))
                if name == period and complete is not None and not complete[n]:
                    text += "*"
                line.append(text)
        cells.append(line)
    numeric = [name in request.metrics for name in result.columns]
    return render_table(result.columns, cells, numeric)
