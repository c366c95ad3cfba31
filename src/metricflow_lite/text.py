"""Plain text out of mfl: aligned tables (CJK measured by display width), numbers as a
manager reads them, CSV and JSON rows. It imports no compiler, so the CLI's fast path can use
it (see jobs/fastpath.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from wcwidth import wcswidth

if TYPE_CHECKING:
    from metricflow_lite.spec.model import Format


def display_width(text: str) -> int:
    """Terminal columns a string takes (CJK characters take two)."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] = ()
) -> str:
    """An aligned plain-text table; numbers right-aligned, CJK text measured by display width."""
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


def format_number(value: Any, fmt: Format | str) -> str:
    """A metric value as a manager reads it; NULL is '-'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    number = float(value)
    match fmt:
        case "percent":  # Format.PERCENT (a str enum)
            return f"{number * 100:.1f}%"
        case "integer":  # Format.INTEGER (a str enum)
            return f"{round(number):,}"
        case "duration":  # Format.DURATION (a str enum)
            total = round(number)
            sign = "-" if total < 0 else ""
            hours, rest = divmod(abs(total), 3600)
            minutes, seconds = divmod(rest, 60)
            if hours:
                return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
            return f"{sign}{minutes}:{seconds:02d}"
        case "currency":  # Format.CURRENCY (a str enum)
            return f"¥{number:,.2f}"
        case "number":  # Format.NUMBER (a str enum)
            return f"{number:,.2f}"
    raise AssertionError(fmt)


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


def render_result(
    columns: Sequence[str],
    result_rows: Sequence[Sequence[Any]],
    formats: Mapping[str, str],
    fmt: str,
) -> str:
    """Rows as table, csv or json; formats: the format of each metric the query asked for."""
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
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(
            ["" if v is None else repr(v) if isinstance(v, float) else v for v in row]
            for row in rows
        )
        return buffer.getvalue()
    cells = []
    for row in rows:
        line = []
        for name, value in zip(columns, row, strict=True):
            if name in formats:
                line.append(format_number(value, formats[name]))
            else:
                line.append("(null)" if value is None else str(value))
        cells.append(line)
    numeric = [name in formats for name in columns]
    return render_table(columns, cells, numeric)
