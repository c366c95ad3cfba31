"""A report table as display text: the columns people read and each cell formatted.

Shared by the terminal, Markdown and HTML renderers, so all three say the same thing: target_met
columns fold into a marker on the metric value, changes read `+2.0 pp` for rates.
"""

from __future__ import annotations

from dataclasses import dataclass

from metricflow_lite.compile.names import target_met_column
from metricflow_lite.report.formatting import (
    GRAIN_LABELS,
    MISSED_MARK,
    Cell,
    TargetFlag,
    assert_never,
    flag_of,
    format_cell,
    format_change,
    format_period,
    format_value,
)
from metricflow_lite.report.frame import Column, ColumnRole, ReportTable, Row
from metricflow_lite.spec.model import Format

LEGEND = f"{MISSED_MARK} 未达标 (missed target)"


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
    return tuple(c for c in table.columns if c.role not in hidden)


def display_row(table: ReportTable, row: Row, mark: bool = True) -> tuple[DisplayCell, ...]:
    """A row's display cells; a missed target adds the ✗ marker when `mark` is set."""
    names = [c.name for c in table.columns]
    cells = []
    for column in display_columns(table):
        value = row[names.index(column.name)]
        cells.append(display_cell(table, column, value, row, names, mark))
    return tuple(cells)


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
            return DisplayCell(format_period(value, table.grain), numeric=False)
        case ColumnRole.DIMENSION:
            return DisplayCell(format_cell(value), numeric=False)
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
            tone = "flat"
            if isinstance(value, int | float) and not isinstance(value, bool) and value:
                tone = "up" if value > 0 else "down"
            return DisplayCell(
                format_change(value, fmt, column.change_kind), numeric=True, tone=tone
            )
        case ColumnRole.TARGET_MET:
            return DisplayCell(flag_of(column.target, value).label, numeric=False)
        case _:
            assert_never(column.role)


def caption(table: ReportTable) -> str:
    """`班组运营报表 (team_overview) · 周 2026-11-16 ~ 11-22`, the line above every table."""
    name = f"{table.label} ({table.name})" if table.label != table.name else table.name
    period = "" if table.period is None else " " + format_period(table.period, table.grain)
    return f"{name} - {GRAIN_LABELS[table.grain]}{period}"


def has_missed(table: ReportTable, rows: tuple[Row, ...]) -> bool:
    """True when any shown row misses a target (the legend is shown only then)."""
    return any(table.flag(row, info) is TargetFlag.MISSED for row in rows for info in table.metrics)
