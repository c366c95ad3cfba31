"""A report as an Excel workbook: a sheet per grain, real numbers with number formats, charts.

Cells hold numbers, never formatted text, so managers can sort, sum and chart them: percents
are fractions shown `0.0%`, durations are Excel times (seconds / 86400) shown `[m]:ss`, and a
rate's change is stored in percentage points (2.0, shown `+2.0 pp`) so it is never misread as
a relative change. Missed targets are flagged red by conditional formatting, so the flag stays
right when someone edits a value.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from metricflow_lite.report.formatting import (
    GRAIN_LABELS,
    Cell,
    as_number,
    assert_never,
    display_width,
    format_cell,
)
from metricflow_lite.report.frame import Column, ColumnRole, ReportTable
from metricflow_lite.spec.model import Change, Format, Grain

SECONDS_PER_DAY = 86400
MAX_CHART_SERIES = 8
RED_FILL = {"bg_color": "#FDECEC", "font_color": "#C62828"}


def sheet_name(grain: Grain) -> str:
    """The sheet of a grain: 日报 day, 周报 week, 月报 month ..."""
    return f"{GRAIN_LABELS[grain]}报 {grain.value}"


def number_format(column: Column, max_seconds: float = 0.0) -> str:
    """The Excel number format of a column, matching the metric's Format."""
    fmt = column.format or Format.NUMBER
    if column.role is ColumnRole.CHANGE:
        if column.change_kind is Change.RELATIVE:
            return "+0.0%;-0.0%;0.0%"
        if fmt is Format.PERCENT:
            return '+0.0" pp";-0.0" pp";0.0" pp"'
        # points of a score or a duration: signed, in the value's own format
        plain = number_format(replace(column, role=ColumnRole.METRIC), max_seconds)
        return f"+{plain};-{plain};{plain}"
    match fmt:
        case Format.PERCENT:
            return "0.0%"
        case Format.DURATION:
            return "[h]:mm:ss" if max_seconds >= 3600 else "[m]:ss"
        case Format.INTEGER:
            return "#,##0"
        case Format.NUMBER:
            return "#,##0.00"
        case Format.CURRENCY:
            return '"¥"#,##0.00'
        case _:
            assert_never(fmt)


def render_xlsx(tables: Sequence[ReportTable]) -> bytes:
    """One workbook for one report: a sheet per table (grain), in the order given."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    book.set_properties({"title": tables[0].label if tables else "", "creator": "metricflow-lite"})
    for table in tables:
        _write_sheet(book, table)
    if not tables:
        book.add_worksheet("empty")
    book.close()
    return out.getvalue()


def cell_value(column: Column, value: Cell) -> Any:
    """A cell as Excel stores it: durations as day fractions, rate changes in points."""
    if column.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION, ColumnRole.TARGET_MET):
        return value
    number = as_number(value)
    if number is None:
        return None
    fmt = column.format or Format.NUMBER
    if column.role is ColumnRole.CHANGE and column.change_kind is Change.RELATIVE:
        return number
    if column.role is ColumnRole.CHANGE and fmt is Format.PERCENT:
        return number * 100  # shown with a " pp" suffix
    if fmt is Format.DURATION:
        return number / SECONDS_PER_DAY
    return number


def _write_sheet(book: Any, table: ReportTable) -> None:
    sheet = book.add_worksheet(sheet_name(table.grain))
    header = book.add_format(
        {
            "bold": True,
            "bg_color": "#1F2A44",
            "font_color": "#FFFFFF",
            "text_wrap": True,
            "valign": "vcenter",
            "border": 1,
            "border_color": "#D0D5DD",
        }
    )
    date_fmt = book.add_format({"num_format": _date_format(table.grain)})
    flag_fmt = book.add_format({"align": "center"})
    red = book.add_format(RED_FILL)
    formats = []
    for i, column in enumerate(table.columns):
        seconds = [as_number(r[i]) or 0.0 for r in table.rows if column.format is Format.DURATION]
        if column.role is ColumnRole.PERIOD:
            formats.append(date_fmt)
        elif column.role is ColumnRole.DIMENSION:
            formats.append(None)
        elif column.role is ColumnRole.TARGET_MET:
            formats.append(flag_fmt)
        else:
            formats.append(
                book.add_format({"num_format": number_format(column, max(seconds, default=0))})
            )

    for c, column in enumerate(table.columns):
        sheet.write_string(0, c, column.label, header)
        width = max([display_width(column.label)] + [_width(r[c]) for r in table.rows[:500]])
        sheet.set_column(c, c, min(max(width + 2, 10), 40), formats[c])
    sheet.set_row(0, 32)
    for r, row in enumerate(table.rows, start=1):
        for c, column in enumerate(table.columns):
            value = cell_value(column, row[c])
            if value is None:
                sheet.write_blank(r, c, None, formats[c])
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value, formats[c])
            elif isinstance(value, date):
                sheet.write_datetime(r, c, _as_datetime(value), formats[c])
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value, formats[c])
            else:
                sheet.write_string(r, c, format_cell(value), formats[c])
    keys = 1 + len(table.dimensions)
    sheet.freeze_panes(1, keys)
    last = len(table.rows)
    if last:
        sheet.autofilter(0, 0, last, len(table.columns) - 1)
        _flag_misses(sheet, table, red, last)
    _add_charts(book, sheet, table)


def _flag_misses(sheet: Any, table: ReportTable, red: Any, last: int) -> None:
    """Red where a value misses its target (a formula, so an edited value re-flags itself)."""
    for c, column in enumerate(table.columns):
        target = column.target
        if column.role is ColumnRole.TARGET_MET and target is not None:
            sheet.conditional_format(
                1, c, last, c, {"type": "cell", "criteria": "==", "value": "FALSE", "format": red}
            )
        if column.role is not ColumnRole.METRIC or target is None:
            continue
        scale = 1 / SECONDS_PER_DAY if column.format is Format.DURATION else 1
        cell = xl_rowcol_to_cell(1, c, row_abs=False, col_abs=True)
        tests = []
        if target.min is not None:
            tests.append(f"{cell}<{target.min * scale!r}")
        if target.max is not None:
            tests.append(f"{cell}>{target.max * scale!r}")
        if not tests:
            continue
        missed = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
        sheet.conditional_format(
            1,
            c,
            last,
            c,
            {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{missed})", "format": red},
        )


def _add_charts(book: Any, sheet: Any, table: ReportTable) -> None:
    """A native line chart of the trend of the first metrics; bars by dimension if any."""
    if not table.rows or not table.metrics:
        return
    name = sheet.get_name()
    ncols = len(table.columns)
    anchor_col = ncols + 1
    first = table.metrics[0]
    first_col = table.column_index(first.name)
    if not table.dimensions:
        line = book.add_chart({"type": "line"})
        second = next((m for m in table.metrics[1:2]), None)
        last = len(table.rows)
        for info, y2 in (
            (first, False),
            (second, second is not None and second.format is not first.format),
        ):
            if info is None:
                continue
            col = table.column_index(info.name)
            line.add_series(
                {
                    "name": [name, 0, col],
                    "categories": [name, 1, 0, last, 0],
                    "values": [name, 1, col, last, col],
                    "marker": {"type": "circle", "size": 5},
                    "y2_axis": y2,
                }
            )
        _style_line(line, table, first)
        sheet.insert_chart(1, anchor_col, line, {"x_scale": 1.4, "y_scale": 1.2})
        return

    # With dimensions, a member's periods are not contiguous rows: pivot them beside the data.
    members = _members(table)[:MAX_CHART_SERIES]
    periods = sorted({r[0] for r in table.rows if isinstance(r[0], date)})
    dims = len(table.dimensions)
    title = book.add_format({"bold": True})
    pivot_fmt = book.add_format({"num_format": number_format(table.columns[first_col])})
    date_fmt = book.add_format({"num_format": _date_format(table.grain), "bold": True})
    sheet.write_string(0, anchor_col, f"{first.title} 趋势", title)
    lookup = {(r[0], r[1 : 1 + dims]): r[first_col] for r in table.rows}
    for m, member in enumerate(members, start=1):
        sheet.write_string(0, anchor_col + m, " / ".join(format_cell(v) for v in member), title)
    for p, period in enumerate(periods, start=1):
        sheet.write_datetime(p, anchor_col, _as_datetime(period), date_fmt)
        for m, member in enumerate(members, start=1):
            value = cell_value(table.columns[first_col], lookup.get((period, member)))
            if value is None:
                sheet.write_blank(p, anchor_col + m, None, pivot_fmt)
            else:
                sheet.write_number(p, anchor_col + m, value, pivot_fmt)
    sheet.set_column(anchor_col, anchor_col, 12)
    line = book.add_chart({"type": "line"})
    for m in range(1, len(members) + 1):
        line.add_series(
            {
                "name": [name, 0, anchor_col + m],
                "categories": [name, 1, anchor_col, len(periods), anchor_col],
                "values": [name, 1, anchor_col + m, len(periods), anchor_col + m],
                "marker": {"type": "circle", "size": 5},
            }
        )
    _style_line(line, table, first)
    chart_row = len(periods) + 3
    sheet.insert_chart(chart_row, anchor_col, line, {"x_scale": 1.4, "y_scale": 1.2})

    focus = [i for i, r in enumerate(table.rows, start=1) if r[0] == table.period]
    if focus and focus == list(range(focus[0], focus[-1] + 1)):
        bar = book.add_chart({"type": "bar"})
        by = xl_col_to_name(dims)  # the last dimension column labels the bars
        bar.add_series(
            {
                "name": [name, 0, first_col],
                "categories": f"='{name}'!${by}${focus[0] + 1}:${by}${focus[-1] + 1}",
                "values": [name, focus[0], first_col, focus[-1], first_col],
                "data_labels": {"value": True},
                "fill": {"color": "#2F6FDE"},
            }
        )
        bar.set_title({"name": f"{first.title} · {table.dimension_title()}"})
        bar.set_legend({"none": True})
        bar.set_y_axis({"reverse": True})
        sheet.insert_chart(chart_row + 20, anchor_col, bar, {"x_scale": 1.4, "y_scale": 1.2})


def _style_line(chart: Any, table: ReportTable, first: Any) -> None:
    chart.set_title({"name": f"{first.title} 趋势 ({GRAIN_LABELS[table.grain]})"})
    chart.set_x_axis({"date_axis": True, "num_format": _date_format(table.grain)})
    chart.set_legend({"position": "bottom"})


def _members(table: ReportTable) -> list[tuple[Cell, ...]]:
    """Dimension members, largest first by the first metric in the period in focus."""
    dims = len(table.dimensions)
    col = table.column_index(table.metrics[0].name)
    latest: dict[tuple[Cell, ...], float] = {}
    for row in table.rows:
        key = row[1 : 1 + dims]
        latest.setdefault(key, 0.0)
        if row[0] == table.period:
            latest[key] = as_number(row[col]) or 0.0
    return sorted(latest, key=lambda k: (-latest[k], str(k)))


def _date_format(grain: Grain) -> str:
    if grain.intraday:
        return "yyyy-mm-dd hh:mm"
    return "yyyy-mm" if grain in (Grain.MONTH, Grain.QUARTER, Grain.YEAR) else "yyyy-mm-dd"


def _as_datetime(value: date) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return 12
    return display_width(str(value))
