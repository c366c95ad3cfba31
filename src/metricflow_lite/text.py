"""CSV and JSON rows out of mfl, and the display width of text. It imports no compiler, so the
CLI's fast path can use it (see jobs/fastpath.py); tables and numbers as a manager reads them
are report/query_table.py's and report/formatting.py's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from wcwidth import wcswidth


def display_width(text: str) -> int:
    """Terminal columns a string takes (CJK characters take two)."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def plain_value(value: Any) -> Any:
    """A JSON/CSV-ready value: ISO dates, full-precision numbers."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else value


def render_result(columns: Sequence[str], result_rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """Rows as csv or json (machine formats: codes, full precision, ISO dates)."""
    rows = [[plain_value(v) for v in row] for row in result_rows]
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    if fmt != "csv":
        raise ValueError(f"not a row format: {fmt}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue()
