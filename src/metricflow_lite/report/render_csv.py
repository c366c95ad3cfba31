"""A report as CSV for machines: machine names as headers, raw full-precision numbers, ISO dates.

UTF-8 with a byte-order mark: Excel, which opens a CSV in the system's code page otherwise (GBK on
zh-CN Windows), then shows Chinese labels and values as they are, and other readers skip it."""

from __future__ import annotations

import csv
import io
from datetime import date

from metricflow_lite.report.escaping import spreadsheet_text
from metricflow_lite.report.formatting import Cell
from metricflow_lite.report.frame import ReportTable
from metricflow_lite.report.words import word

COMPLETE_COLUMN = "is_complete"


def render_csv(table: ReportTable) -> str:
    """Every row of the table (all periods), then the 合计 rows of a report with dimensions;
    target flags as true/false, NULL as empty, `is_complete` last.

    Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
    leading `'`, as OWASP recommends for CSV injection; numbers are written as numbers.
    """
    out = io.StringIO()
    out.write("\ufeff")  # a BOM: Excel opens the Chinese text correctly (DESIGN-2 §6)
    # CRLF as RFC 4180 and Excel write it: the csv module then quotes a field holding a CR or
    # LF, so a value with a line break cannot start a new row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(c.name) for c in table.columns] + [COMPLETE_COLUMN])
    for row in table.rows:
        writer.writerow([_raw(v) for v in row] + [_raw(not table.is_partial(row[0]))])
    if table.dimensions:
        dims: tuple[Cell, ...] = (word(table.locale, "total"),) + ("",) * (
            len(table.dimensions) - 1
        )
        for total in table.totals:
            row = (total[0], *dims, *total[1:])
            writer.writerow([_raw(v) for v in row] + [_raw(not table.is_partial(row[0]))])
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
    if isinstance(value, int):
        return str(value)
    return spreadsheet_text(str(value))  # numbers stay numbers; text never runs as a formula
