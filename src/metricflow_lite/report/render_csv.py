"""A report as CSV for machines: machine names as headers, raw full-precision numbers, ISO dates.

UTF-8 with a byte-order mark: Excel, which opens a CSV in the system's code page otherwise (GBK on
zh-CN Windows), then shows Chinese labels and values as they are, and other readers skip it."""

from __future__ import annotations

import csv
import io
from datetime import date

from metricflow_lite.report.formatting import Cell
from metricflow_lite.report.frame import ReportTable


def render_csv(table: ReportTable) -> str:
    """Every row of the table (all periods), target flags as true/false, NULL as empty."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    writer.writerows([_raw(v) for v in row] for row in table.rows)
    return out.getvalue()


def _raw(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
