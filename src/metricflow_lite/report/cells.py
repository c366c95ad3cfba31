"""A report table as display text: the columns people read and each cell formatted.

Shared by the terminal, Markdown and HTML renderers, so all three say the same thing: target_met
columns fold into a marker on the metric value, changes read `+2.0 pp` for rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from metricflow_lite.compile.names import target_met_column
from metricflow_lite.report.formatting import (
    MISSED_MARK,
    Cell,
    TargetFlag,
    assert_never,
    change_direction,
    flag_of,
    format_cell,
    format_change,
    format_period,
    format_value,
)
from metricflow_lite.report.frame import Column, ColumnRole, ReportTable, Row
from metricflow_lite.report.words import grain_word, word
from metricflow_lite.spec.model import Format, Grain


def legend(table: ReportTable) -> str:
    """`✗ 未达标`: the legend under a table in which a target is missed."""
    return word(table.locale, "legend_missed")


def no_rows_text(table: ReportTable) -> str:
    """What an empty table says."""
    return word(table.locale, "no_rows")


def format_end(value: datetime | None) -> str:
    """The last data time as people read it: `2025-01-14 07:52`."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def period_notes(table: ReportTable) -> list[str]:
    """Lines under the caption: a period in progress (with its cut comparisons), partial
    periods among the rows, comparisons hidden for want of data."""
    notes = []
    end = format_end(table.data_end)
    shown = [r[0] for r in (*table.focus_rows(), *table.trend_rows())]
    empty = table.empty_comparisons()
    shown_comparisons = [c for c in table.comparisons() if c not in empty]
    if table.in_progress and table.grain.intraday:  # intervals are compared whole: no cut
        notes.append(word(table.locale, "day_note", end=end))
    elif table.in_progress and shown_comparisons:
        # the comparisons the report shows (上期, 去年同期 ...), cut to the same length or whole
        compared = word(table.locale, "and").join(
            table.comparison_words(c)[0] for c in shown_comparisons
        )
        cut = table.cut_through
        if isinstance(cut, datetime):  # cut at the time of day its data ends
            notes.append(word(table.locale, "cut_note", end=end, compared=compared))
        elif cut is not None:  # its whole days: the values stop before the last morning
            through = cut.isoformat()
            notes.append(
                word(table.locale, "days_cut_note", end=end, through=through, compared=compared)
            )
        else:
            notes.append(word(table.locale, "whole_note", end=end, compared=compared))
    elif (
        table.in_progress
        and table.cut_through is not None
        and not isinstance(table.cut_through, datetime)
    ):  # no comparison shown, but the values still stop at the last whole day
        through = table.cut_through.isoformat()
        notes.append(word(table.locale, "days_note", end=end, through=through))
    elif table.in_progress:
        notes.append(word(table.locale, "progress_note", end=end))
    elif any(table.is_partial(start) for start in shown):
        notes.append(word(table.locale, "partial_note", end=end))
    for comparison in empty:
        _, what = table.comparison_words(comparison)
        notes.append(word(table.locale, "no_compare", what=what))
    return notes


def total_row(table: ReportTable) -> Row | None:
    """The 合计 row of the period in focus (from the `_total` view): the metric over all
    members, never a sum or mean of the rows' rates; None without dimensions or totals."""
    if not table.dimensions:
        return None
    total = next((r for r in table.totals if r[0] == table.period), None)
    if total is None:
        return None
    dims: tuple[Cell, ...] = (word(table.locale, "total"), *([""] * (len(table.dimensions) - 1)))
    return (total[0], *dims, *total[1:])


def shown_rows(table: ReportTable) -> tuple[tuple[Row, bool], ...]:
    """The rows people read, each with whether it is the total row (last)."""
    rows: list[tuple[Row, bool]] = [(r, False) for r in table.focus_rows()]
    total = total_row(table)
    if total is not None:
        rows.append((total, True))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class DisplayCell:
    """One formatted cell: its text, whether it is numeric (right-aligned) and its flag."""

    text: str
    numeric: bool
    flag: TargetFlag = TargetFlag.NO_TARGET
    tone: str = ""  # for change cells: up / down / flat


def display_columns(table: ReportTable) -> tuple[Column, ...]:
    """The columns people read: each metric's value and changes.

    target_met shows as a marker on the value; previous values are left to the exports (CSV,
    XLSX) and the KPI cards, as with both comparisons they would triple the table's width; a
    broken-down report shows one period (named in the caption), so its period column goes too.
    """
    hidden = {ColumnRole.TARGET_MET, ColumnRole.PREV}
    if table.dimensions:
        hidden.add(ColumnRole.PERIOD)
    empty = table.empty_comparisons()
    return tuple(
        c
        for c in table.columns
        if c.role not in hidden and not (c.role is ColumnRole.CHANGE and c.comparison in empty)
    )


def display_row(table: ReportTable, row: Row, mark: bool = True) -> tuple[DisplayCell, ...]:
    """A row's display cells; a missed target adds the ✗ marker when `mark` is set."""
    names = [c.name for c in table.columns]
    cells = []
    for column in display_columns(table):
        value = row[names.index(column.name)]
        cells.append(display_cell(table, column, value, row, names, mark))
    return tuple(cells)


def period_text(table: ReportTable, value: Cell) -> str:
    """A period as text, with `*` when the data does not cover it whole."""
    if table.grain.intraday and isinstance(value, datetime):
        text = f"{value:%H:%M}"  # the day is in the caption: an interval reads as its time
    else:
        text = format_period(value, table.grain)
    return text + word(table.locale, "partial_mark") if table.is_partial(value) else text


def display_cell(
    table: ReportTable,
    column: Column,
    value: Cell,
    row: Row,
    names: list[str],
    mark: bool,
) -> DisplayCell:
    """One cell as text, by its column's role and format."""
    fmt = column.format or Format.NUMBER
    match column.role:
        case ColumnRole.PERIOD:
            return DisplayCell(period_text(table, value), numeric=False)
        case ColumnRole.DIMENSION:
            label = table.value_label(column.name, value)
            return DisplayCell(label or format_cell(value), numeric=False)
        case ColumnRole.METRIC:
            met = row[names.index(target_met_column(column.name))]
            flag = flag_of(column.target, met)
            text = format_value(value, fmt)
            if mark and flag is TargetFlag.MISSED:
                text = f"{text} {MISSED_MARK}"
            return DisplayCell(text, numeric=True, flag=flag)
        case ColumnRole.PREV:
            return DisplayCell(format_value(value, fmt), numeric=True)
        case ColumnRole.CHANGE:
            tone = change_direction(value)
            return DisplayCell(
                format_change(value, fmt, column.change_kind), numeric=True, tone=tone
            )
        case ColumnRole.TARGET_MET:
            return DisplayCell(flag_word(table, flag_of(column.target, value)), numeric=False)
        case _:
            assert_never(column.role)


def caption(table: ReportTable) -> str:
    """`班组运营报表 (team_overview) · 周 2026-11-16 ~ 11-22`, the line above every table."""
    name = f"{table.label} ({table.name})" if table.label != table.name else table.name
    period = "" if table.period is None else " " + period_label(table)
    return f"{name} - {grain_word(table.locale, table.grain)}{period}"


def period_label(table: ReportTable) -> str:
    """The period in focus as text; an interval report's focus is a day; a period in
    progress says `截至 <last data time>`."""
    grain = Grain.DAY if table.grain.intraday else table.grain
    text = format_period(table.period, grain)
    if table.in_progress:
        text += " (" + word(table.locale, "as_of", end=format_end(table.data_end)) + ")"
    elif table.period is not None and not table.grain.intraday and table.is_partial(table.period):
        text += word(table.locale, "partial_mark")
    return text


def flag_word(table: ReportTable, flag: TargetFlag) -> str:
    """A target flag in the table's locale: 达标 / 未达标 / 无数据 / 无目标."""
    keys = {
        TargetFlag.MET: "met",
        TargetFlag.MISSED: "missed",
        TargetFlag.NO_DATA: "no_data",
        TargetFlag.NO_TARGET: "no_target",
    }
    return word(table.locale, keys[flag])


def has_missed(table: ReportTable, rows: tuple[Row, ...]) -> bool:
    """True when any shown row misses a target (the legend is shown only then)."""
    return any(table.flag(row, info) is TargetFlag.MISSED for row in rows for info in table.metrics)
