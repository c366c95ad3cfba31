"""A report as an Excel workbook: a summary sheet first, a sheet per grain with real numbers and
number formats, and a chart sheet per grain with each chart beside the data it draws.

Cells hold numbers, never formatted text, so managers can sort, sum and chart them: percents
are fractions shown `0.0%`, durations are Excel times (seconds / 86400) shown `[m]:ss`, and a
rate's change is stored in percentage points (2.0, shown `+2.0 pp`) so it is never misread as
a relative change. Missed targets are flagged red by conditional formatting, so the flag stays
right when someone edits a value. Target flags read 达标/未达标; every sheet prints on A4
landscape, one page wide, with the header row repeated. Text from data or labels that a
spreadsheet would take for a formula is stored with Excel's quote prefix, and chart titles are
never read as cell references.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from metricflow_lite.report.cells import (
    flag_word,
    format_end,
    period_label,
    period_notes,
)
from metricflow_lite.report.escaping import chart_title, is_formula_like
from metricflow_lite.report.formatting import (
    Cell,
    TargetFlag,
    as_number,
    assert_never,
    display_width,
    format_cell,
    format_target,
)
from metricflow_lite.report.frame import Column, ColumnRole, ReportTable, suffixes
from metricflow_lite.report.words import DEFAULT_LOCALE, grain_word, word
from metricflow_lite.spec.model import Change, Comparison, Format, Grain

SECONDS_PER_DAY = 86400
MAX_CHART_SERIES = 8
RED_FILL = {"bg_color": "#FDECEC", "font_color": "#C62828"}


def sheet_name(grain: Grain, locale: str = DEFAULT_LOCALE) -> str:
    """The sheet of a grain in the report's words: 日报, 周报, 月报 ... (one per grain)."""
    return word(locale, "grain_report", grain=grain_word(locale, grain))


def chart_sheet_name(grain: Grain, locale: str = DEFAULT_LOCALE) -> str:
    """The chart sheet of a grain: 日报 图表."""
    return f"{sheet_name(grain, locale)} {word(locale, 'charts')}"


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
    if tables:
        _write_summary(book, tables)
    for table in tables:
        _write_sheet(book, table)
        _write_chart_sheet(book, table)
    if not tables:
        book.add_worksheet("empty")
    book.close()
    return out.getvalue()


def cell_value(column: Column, value: Cell, locale: str = DEFAULT_LOCALE) -> Any:
    """A cell as Excel stores it: durations as day fractions, rate changes in points, target
    flags as 达标/未达标 (empty without data)."""
    if column.role is ColumnRole.TARGET_MET:
        if value is None or column.target is None:
            return None
        return word(locale, "met" if value else "missed")
    if column.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION):
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


def _print_setup(sheet: Any, title: str) -> None:
    """A4 landscape, one page wide, the header row on every page, the title and page number."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f"&L{_header_text(title)}")
    sheet.set_footer("&R&P / &N")


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # & starts a header code


def _write_text(sheet: Any, row: int, col: int, text: str, fmt: Any, quoted: Any) -> None:
    """A text cell; text a spreadsheet would take for a formula gets Excel's quote prefix."""
    sheet.write_string(row, col, text, quoted if is_formula_like(text) else fmt)


SUMMARY_COMPARISONS = (Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_YEAR)


def _write_summary(book: Any, tables: Sequence[ReportTable]) -> None:
    """The sheet the workbook opens on: each grain's period in focus and its headline values."""
    first = tables[0]
    loc = first.locale
    sheet = book.add_worksheet(word(loc, "summary"))
    sheet.activate()
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    muted = book.add_format({"font_color": "#6B7280"})
    quoted = book.add_format({"quote_prefix": True})
    quoted_title = book.add_format({"bold": True, "font_size": 14, "quote_prefix": True})
    head = book.add_format({"bold": True, "bg_color": "#1F2A44", "font_color": "#FFFFFF"})
    red = book.add_format(RED_FILL)
    _write_text(sheet, 0, 0, first.label, title, quoted_title)
    row = 1
    if first.data_end is not None:
        sheet.write_string(row, 0, word(loc, "data_end", end=format_end(first.data_end)), muted)
        row += 1
    fixed = [word(loc, "metric"), word(loc, "current"), word(loc, "target"), word(loc, "met")]
    widest = len(fixed) + 2
    for table in tables:
        # 环比 and 同比 (empty when the report does not compare), then any other comparison
        # (较上周同日); an interval report's 环比 is 较昨日, the same interval the day before
        comparisons = SUMMARY_COMPARISONS + tuple(
            c for c in table.comparisons() if c not in SUMMARY_COMPARISONS
        )
        headers = fixed + [table.comparison_words(c)[1] for c in comparisons]
        widest = max(widest, len(headers))
        row += 1
        grain = grain_word(loc, table.grain)
        period = "" if table.period is None else period_label(table)
        sheet.write_string(row, 0, f"{grain} · {period}", bold)
        row += 1
        for note in period_notes(table):
            sheet.write_string(row, 0, note, muted)
            row += 1
        for c, text in enumerate(headers):
            sheet.write_string(row, c, text, head)
        row += 1
        for kpi in table.kpis():
            info = kpi.metric
            column = Column(info.name, ColumnRole.METRIC, info.title, info.name, info.format)
            fmt = book.add_format({"num_format": number_format(column, kpi.value or 0.0)})
            _write_text(sheet, row, 0, info.title, None, quoted)
            value = cell_value(column, kpi.value)
            if value is None:
                sheet.write_blank(row, 1, None, fmt)
            else:
                sheet.write_number(row, 1, value, fmt)
            sheet.write_string(row, 2, format_target(info.target, info.format))
            if kpi.flag in (TargetFlag.MET, TargetFlag.MISSED):
                missed = kpi.flag is TargetFlag.MISSED
                sheet.write_string(row, 3, flag_word(table, kpi.flag), red if missed else None)
            for c, comparison in enumerate(comparisons, start=len(fixed)):
                change, suffix = kpi.compared(comparison)[1], suffixes(comparison)[1]
                change_column = Column(
                    info.name + suffix,
                    ColumnRole.CHANGE,
                    "",
                    info.name,
                    info.format,
                    change=info.change,
                )
                number = cell_value(change_column, change)
                if number is not None:
                    change_fmt = book.add_format({"num_format": number_format(change_column)})
                    sheet.write_number(row, c, number, change_fmt)
            row += 1
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, widest - 1, 14)
    _print_setup(sheet, first.label)


def _write_sheet(book: Any, table: ReportTable) -> None:
    loc = table.locale
    sheet = book.add_worksheet(sheet_name(table.grain, loc))
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
    quoted_header = book.add_format(
        {"bold": True, "bg_color": "#1F2A44", "font_color": "#FFFFFF", "quote_prefix": True}
    )
    quoted = book.add_format({"quote_prefix": True})
    bold = book.add_format({"bold": True, "top": 1})
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

    complete_col = len(table.columns)
    for c, column in enumerate(table.columns):
        _write_text(sheet, 0, c, column.label, header, quoted_header)
        width = max([display_width(column.label)] + [_width(r[c]) for r in table.rows[:500]])
        sheet.set_column(c, c, min(max(width + 2, 10), 40), formats[c])
    sheet.write_string(0, complete_col, word(loc, "complete"), header)
    sheet.set_column(complete_col, complete_col, 8)
    sheet.set_row(0, 32)
    rows = list(table.rows)
    total_from = len(rows) + 1
    if table.dimensions:
        dims: tuple[Cell, ...] = (word(loc, "total"),) + ("",) * (len(table.dimensions) - 1)
        rows += [(t[0], *dims, *t[1:]) for t in table.totals]
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(table.columns):
            value = cell_value(column, row[c], loc)
            if value is None:
                sheet.write_blank(r, c, None, formats[c])
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value, formats[c])
            elif isinstance(value, date):
                sheet.write_datetime(r, c, _as_datetime(value), formats[c])
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value, formats[c])
            elif r >= total_from and column.role is ColumnRole.DIMENSION:
                sheet.write_string(r, c, format_cell(value), bold)
            else:
                text = format_cell(table.value_label(column.name, value) or value)
                _write_text(sheet, r, c, text, formats[c], quoted)
        sheet.write_string(
            r, complete_col, word(loc, "no" if table.is_partial(row[0]) else "yes"), flag_fmt
        )
    keys = 1 + len(table.dimensions)
    sheet.freeze_panes(1, keys)
    last = len(table.rows)
    if last:
        sheet.autofilter(0, 0, last, len(table.columns) - 1)
        _flag_misses(sheet, table, red, len(rows))
    sheet.repeat_rows(0)
    _print_setup(sheet, f"{table.label} · {grain_word(loc, table.grain)}")


def _flag_misses(sheet: Any, table: ReportTable, red: Any, last: int) -> None:
    """Red where a value misses its target (a formula, so an edited value re-flags itself)."""
    for c, column in enumerate(table.columns):
        target = column.target
        if column.role is ColumnRole.TARGET_MET and target is not None:
            missed = '"' + word(table.locale, "missed") + '"'
            sheet.conditional_format(
                1, c, last, c, {"type": "cell", "criteria": "==", "value": missed, "format": red}
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


def _write_chart_sheet(book: Any, table: ReportTable) -> None:
    """The grain's charts, each beside the data it draws: the trend of the first metrics
    (a column per dimension member), then bars of the period in focus."""
    if not table.rows or not table.metrics:
        return
    loc = table.locale
    sheet = book.add_worksheet(chart_sheet_name(table.grain, loc))
    name = sheet.get_name()
    title = book.add_format({"bold": True})
    quoted = book.add_format({"bold": True, "quote_prefix": True})
    date_fmt = book.add_format({"num_format": _date_format(table.grain), "bold": True})
    first = table.metrics[0]
    first_col = table.column_index(first.name)
    trend = table.recent(table.rows) if not table.dimensions else table.rows
    periods = sorted({r[0] for r in trend if isinstance(r[0], date)})
    if not table.dimensions:
        series = [m for m in table.metrics[:2]]
        labels = [m.title for m in series]
        cols = [table.column_index(m.name) for m in series]
        lookup = {(r[0], i): r[c] for r in trend for i, c in enumerate(cols)}
    else:
        members = _members(table)[:MAX_CHART_SERIES]
        labels = [
            " / ".join(
                format_cell(table.value_label(d, v) or v)
                for d, v in zip(table.dimensions, m, strict=True)
            )
            for m in members
        ]
        dims = len(table.dimensions)
        by_member = {(r[0], r[1 : 1 + dims]): r[first_col] for r in table.rows}
        lookup = {(p, i): by_member.get((p, m)) for p in periods for i, m in enumerate(members)}
        series = [first] * len(members)
    sheet.write_string(0, 0, word(loc, "period"), title)
    for i, label in enumerate(labels, start=1):
        _write_text(sheet, 0, i, label, title, quoted)
    for p, period in enumerate(periods, start=1):
        sheet.write_datetime(p, 0, _as_datetime(period), date_fmt)
        for i, info in enumerate(series, start=1):
            column = table.columns[table.column_index(info.name)]
            value = cell_value(column, lookup.get((period, i - 1)))
            fmt = book.add_format({"num_format": number_format(column)})
            if value is None:
                sheet.write_blank(p, i, None, fmt)
            else:
                sheet.write_number(p, i, value, fmt)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, len(labels), 12)
    line = book.add_chart({"type": "line"})
    for i, info in enumerate(series, start=1):
        line.add_series(
            {
                "name": [name, 0, i],
                "categories": [name, 1, 0, len(periods), 0],
                "values": [name, 1, i, len(periods), i],
                "marker": {"type": "circle", "size": 5},
                "y2_axis": not table.dimensions and i == 2 and info.format is not first.format,
            }
        )
    _style_line(line, table, first)
    beside = len(labels) + 2  # the chart starts two columns right of its data
    sheet.insert_chart(1, beside, line, {"x_scale": 1.4, "y_scale": 1.2})

    if table.dimensions:
        # Bars of the period in focus, with their data beside them below the trend's chart.
        focus = table.focus_rows()
        top = max(len(periods) + 3, 22)
        sheet.write_string(top, 0, table.dimension_title(), title)
        _write_text(sheet, top, 1, first.title, title, quoted)
        column = table.columns[first_col]
        fmt = book.add_format({"num_format": number_format(column)})
        for r, row in enumerate(focus, start=top + 1):
            label = " / ".join(
                format_cell(table.value_label(d, v) or v)
                for d, v in zip(table.dimensions, row[1 : 1 + len(table.dimensions)], strict=True)
            )
            _write_text(sheet, r, 0, label, None, book.add_format({"quote_prefix": True}))
            value = cell_value(column, row[first_col])
            if value is None:
                sheet.write_blank(r, 1, None, fmt)
            else:
                sheet.write_number(r, 1, value, fmt)
        if focus:
            bar = book.add_chart({"type": "bar"})
            bar.add_series(
                {
                    "name": [name, top, 1],
                    "categories": [name, top + 1, 0, top + len(focus), 0],
                    "values": [name, top + 1, 1, top + len(focus), 1],
                    "data_labels": {"value": True},
                    "fill": {"color": "#2F6FDE"},
                }
            )
            bar.set_title({"name": chart_title(f"{first.title} · {table.dimension_title()}")})
            bar.set_legend({"none": True})
            bar.set_y_axis({"reverse": True})
            sheet.insert_chart(top, beside, bar, {"x_scale": 1.4, "y_scale": 1.2})
    _print_setup(sheet, f"{table.label} · {grain_word(loc, table.grain)}")


def _style_line(chart: Any, table: ReportTable, first: Any) -> None:
    trend = word(table.locale, "trend")
    grain = grain_word(table.locale, table.grain)
    chart.set_title({"name": chart_title(f"{first.title} {trend} ({grain})")})
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
