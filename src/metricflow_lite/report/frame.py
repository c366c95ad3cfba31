"""A report's rows, typed and labelled: what every renderer reads, independent of the database.

The compiler creates one view `app.<report>_<grain>` per report and grain; its rows, with the
report spec and the metrics' labels, formats and targets, become a `ReportTable`. Renderers take
`ReportTable`s and return `str` or `bytes`.

Which rows a reader sees: people read the period in focus, broken down by the report's
dimensions (`ReportTable.focus_rows`); a report without dimensions shows its recent periods,
newest first. Exports (CSV, XLSX) carry every row; charts draw the recent periods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from metricflow_lite.compile.names import (
    CHANGE,
    CHANGE_YEAR,
    PREV,
    PREV_YEAR,
    TARGET_MET,
    report_view,
    target_met_column,
)
from metricflow_lite.errors import Location, MflError
from metricflow_lite.report.formatting import (
    GRAIN_LABELS,
    Cell,
    TargetFlag,
    as_number,
    flag_of,
)
from metricflow_lite.spec.model import (
    Change,
    Chart,
    ChartKind,
    Comparison,
    Format,
    Grain,
    Metric,
    Report,
    Target,
    resolved_change,
)

REBUILD_HINT = "run `mfl build` so the report views match reports/*.yml"


class ColumnRole(str, Enum):
    PERIOD = "period"
    DIMENSION = "dimension"
    METRIC = "metric"
    PREV = "prev"
    CHANGE = "change"
    TARGET_MET = "target_met"


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """What a report needs to know of a metric: its name, label, format, target and formula."""

    name: str
    label: str | None = None
    format: Format = Format.NUMBER
    target: Target | None = None
    description: str | None = None
    formula: str = ""
    change: Change | None = None  # None: the default for the format (resolved_change)

    @property
    def change_kind(self) -> Change:
        return resolved_change(self.change, self.format)

    @property
    def title(self) -> str:
        """The label when the YAML gives one, else the machine name."""
        return self.label or self.name

    @classmethod
    def from_metric(cls, metric: Metric) -> MetricInfo:
        """The report-facing facts of a spec metric."""
        return cls(
            name=metric.name,
            label=metric.label,
            format=metric.format,
            target=metric.target,
            description=metric.description,
            formula=metric.expr_text,
            change=metric.change,
        )


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a report table: its machine name, role, label and, for metrics, format."""

    name: str
    role: ColumnRole
    label: str
    metric: str | None = None  # the metric a metric/prev/change/target_met column belongs to
    format: Format | None = None
    target: Target | None = None
    comparison: Comparison | None = None  # for prev and change columns
    change: Change | None = None  # None: the default for the format (resolved_change)

    @property
    def change_kind(self) -> Change:
        return resolved_change(self.change, self.format)


# Suffixes of the compiler's comparison columns, and the Chinese words managers use (环比, 同比).
_COMPARISON_COLUMNS: tuple[tuple[Comparison, str, str, str, str], ...] = (
    (Comparison.PREVIOUS_PERIOD, PREV, CHANGE, "上期", "环比"),
    (Comparison.SAME_PERIOD_LAST_YEAR, PREV_YEAR, CHANGE_YEAR, "去年同期", "同比"),
)

Row = tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Kpi:
    """A metric's headline in the period in focus: value, changes and target flag."""

    metric: MetricInfo
    value: float | None
    flag: TargetFlag
    prev: float | None = None
    change: float | None = None
    prev_year: float | None = None
    change_year: float | None = None
    # Broken-down reports without a total row: how many breakdown rows met / missed.
    met: int = 0
    missed: int = 0
    has_total: bool = True


@dataclass(frozen=True, slots=True)
class ReportTable:
    """The rows of one report at one grain, with every column typed and labelled."""

    name: str
    label: str
    grain: Grain
    period: date | None  # the period in focus; None when there are no rows
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]  # sorted by period, then dimensions
    metrics: tuple[MetricInfo, ...]
    dimensions: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    grains: tuple[Grain, ...] = ()  # every grain of the report, for links between files
    periods: int = 8  # how many recent periods charts draw
    description: str | None = None
    totals: tuple[Row, ...] = ()  # rows without dimensions, same columns minus dims

    @classmethod
    def from_rows(
        cls,
        report: Report,
        metrics: Mapping[str, MetricInfo],
        grain: Grain,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        period: date | None = None,
        *,
        dimension_labels: Mapping[str, str] | None = None,
        totals: Sequence[Sequence[object]] = (),
    ) -> ReportTable:
        """The table of a report's view rows; `period` defaults to the latest one present.

        `columns` name the cells of each row as the view does (any order); changes and target
        flags come from the view (one rule, in SQL), and a metric without a target has no
        target_met column (its flag is NULL). `totals`
        are optional rows of the same view without dimensions (KPI cards and trends of a
        broken-down report); their columns are `columns` minus the dimensions.
        """
        infos = tuple(_metric_info(report, metrics, name) for name in report.metrics)
        wanted = _columns(report, infos, grain, dimension_labels or {})
        index = _index_columns(report, grain, columns, wanted)
        keys = 1 + len(report.by)
        body = tuple(
            sorted((_row(r, index, wanted, grain) for r in rows), key=lambda r: _sort_key(r, keys))
        )
        total_wanted = tuple(c for c in wanted if c.role is not ColumnRole.DIMENSION)
        total_names = [c for c in columns if c not in report.by]
        total_index = _index_columns(report, grain, total_names, total_wanted) if totals else {}
        total_rows = tuple(
            sorted((_row(r, total_index, total_wanted, grain) for r in totals), key=_sort_key)
        )
        periods = [r[0] for r in body + total_rows if isinstance(r[0], date)]
        shown = period if period is not None else max(periods, default=None)
        if shown is not None:
            # A report as of a date shows nothing after it, in any rendering.
            body = tuple(r for r in body if not _after(r[0], shown))
            total_rows = tuple(r for r in total_rows if not _after(r[0], shown))
        return cls(
            name=report.name,
            label=report.label or report.name,
            grain=grain,
            period=shown,
            columns=wanted,
            rows=body,
            metrics=infos,
            dimensions=report.by,
            charts=report.charts,
            grains=report.grains,
            periods=report.periods,
            description=report.description,
            totals=total_rows,
        )

    def column_index(self, name: str) -> int:
        """The position of a column, by machine name."""
        for i, column in enumerate(self.columns):
            if column.name == name:
                return i
        raise KeyError(name)

    def focus_rows(self) -> tuple[Row, ...]:
        """Rows people read: the period in focus by dimension, else recent periods newest first."""
        if self.dimensions:
            return tuple(r for r in self.rows if r[0] == self.period)
        return tuple(reversed(self.recent(self.rows)))

    def recent(self, rows: Sequence[Row]) -> tuple[Row, ...]:
        """The rows of the last `periods` periods up to the period in focus, oldest first."""
        starts = sorted({r[0] for r in rows if isinstance(r[0], date) and self._upto(r[0])})
        keep = set(starts[-self.periods :]) if self.periods > 0 else set(starts)
        return tuple(r for r in rows if r[0] in keep)

    def trend_rows(self) -> tuple[Row, ...]:
        """One row per recent period: the totals, or the rows of a report without dimensions."""
        if self.totals:
            return self.recent(self.totals)
        if not self.dimensions:
            return self.recent(self.rows)
        return ()

    def total_columns(self) -> tuple[Column, ...]:
        """The columns of `totals` rows (no dimensions)."""
        return tuple(c for c in self.columns if c.role is not ColumnRole.DIMENSION)

    def flag(self, row: Row, metric: MetricInfo) -> TargetFlag:
        """How a row's value of a metric stands against the metric's target."""
        return flag_of(metric.target, row[self.column_index(target_met_column(metric.name))])

    def kpis(self) -> tuple[Kpi, ...]:
        """One headline per metric for the period in focus."""
        if self.dimensions:
            names = tuple(c.name for c in self.total_columns())
            total = next((r for r in self.totals if r[0] == self.period), None)
        else:
            names = tuple(c.name for c in self.columns)
            total = next((r for r in self.rows if r[0] == self.period), None)
        if total is None and self.dimensions:
            return tuple(self._breakdown_kpi(info) for info in self.metrics)
        return tuple(_kpi(info, total, names) for info in self.metrics)

    def _breakdown_kpi(self, info: MetricInfo) -> Kpi:
        """Without a total row a rate cannot be summed: count the breakdown rows that met."""
        flags = [self.flag(r, info) for r in self.focus_rows()]
        met = sum(f is TargetFlag.MET for f in flags)
        missed = sum(f is TargetFlag.MISSED for f in flags)
        if info.target is None:
            flag = TargetFlag.NO_TARGET
        elif missed:
            flag = TargetFlag.MISSED
        else:
            flag = TargetFlag.MET if met else TargetFlag.NO_DATA
        return Kpi(info, None, flag, met=met, missed=missed, has_total=False)

    def chart_specs(self) -> tuple[Chart, ...]:
        """The report's charts, or a trend line (and a bar by dimension) when it names none."""
        if self.charts:
            return self.charts
        here = Location(f"reports/{self.name}")
        first = tuple(m.name for m in self.metrics[:2])
        charts = [Chart(ChartKind.LINE, first, here)]
        if self.dimensions:
            charts.append(Chart(ChartKind.BAR, first[:1], here, by=self.dimensions[0]))
        return tuple(charts)

    def dimension_title(self, name: str | None = None) -> str:
        """The label of one dimension, or of all of them (`班组 / 队列`)."""
        labels = {c.name: c.label for c in self.columns if c.role is ColumnRole.DIMENSION}
        if name is not None and name in labels:
            return labels[name]
        return " / ".join(labels[d] for d in self.dimensions)

    def metric(self, name: str) -> MetricInfo:
        """A metric of this report, by name."""
        return next(m for m in self.metrics if m.name == name)

    def _upto(self, start: date) -> bool:
        return self.period is None or not _after(start, self.period)


def _after(start: Cell, period: date) -> bool:
    """True when a period starts after the period in focus (dates and timestamps compared)."""
    if not isinstance(start, date):
        return False
    if isinstance(start, datetime) != isinstance(period, datetime):
        return _as_date(start) > _as_date(period)
    return start > period


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _kpi(info: MetricInfo, row: Row | None, names: Sequence[str]) -> Kpi:
    """A metric's headline from one row (None: no data in the period in focus)."""

    def cell(suffix: str) -> Cell:
        name = info.name + suffix
        return None if row is None or name not in names else row[names.index(name)]

    return Kpi(
        metric=info,
        value=as_number(cell("")),
        flag=flag_of(info.target, cell(TARGET_MET)),
        prev=as_number(cell(PREV)),
        change=as_number(cell(CHANGE)),
        prev_year=as_number(cell(PREV_YEAR)),
        change_year=as_number(cell(CHANGE_YEAR)),
    )


def _metric_info(report: Report, metrics: Mapping[str, MetricInfo], name: str) -> MetricInfo:
    if name not in metrics:
        raise MflError(
            "E601",
            f"report '{report.name}' names metric '{name}', which has no definition",
            report.loc,
            "define the metric in metrics/*.yml or remove it from the report",
        )
    return metrics[name]


def _columns(
    report: Report, infos: Sequence[MetricInfo], grain: Grain, dim_labels: Mapping[str, str]
) -> tuple[Column, ...]:
    """The table's columns in reading order: period, dimensions, then each metric's group."""
    cols = [Column(grain.value, ColumnRole.PERIOD, GRAIN_LABELS[grain])]
    cols += [Column(d, ColumnRole.DIMENSION, dim_labels.get(d, d)) for d in report.by]
    for info in infos:
        fmt, target = info.format, info.target
        cols.append(Column(info.name, ColumnRole.METRIC, info.title, info.name, fmt, target))
        for comparison, prev, change, prev_word, change_word in _COMPARISON_COLUMNS:
            if comparison not in report.compare:
                continue
            cols.append(
                Column(
                    info.name + prev,
                    ColumnRole.PREV,
                    f"{info.title} {prev_word}",
                    info.name,
                    fmt,
                    target,
                    comparison,
                )
            )
            cols.append(
                Column(
                    info.name + change,
                    ColumnRole.CHANGE,
                    f"{info.title} {change_word}",
                    info.name,
                    fmt,
                    target,
                    comparison,
                    info.change_kind,
                )
            )
        cols.append(
            Column(
                target_met_column(info.name),
                ColumnRole.TARGET_MET,
                f"{info.title} 达标",
                info.name,
                fmt,
                target,
            )
        )
    return tuple(cols)


def _index_columns(
    report: Report, grain: Grain, given: Sequence[str], wanted: Sequence[Column]
) -> dict[str, int]:
    """Where each wanted column is in the view's rows; only a target-less flag may be missing."""
    index = {name: i for i, name in enumerate(given)}
    known = {c.name for c in wanted}
    unknown = [name for name in given if name not in known]
    required = [
        c.name
        for c in wanted
        if (c.role is not ColumnRole.TARGET_MET or c.target is not None) and c.name not in index
    ]
    if unknown or required:
        parts = []
        if required:
            parts.append("lacks " + ", ".join(repr(n) for n in required))
        if unknown:
            parts.append("has unexpected " + ", ".join(repr(n) for n in unknown))
        raise MflError(
            "E602",
            f"view app.{report_view(report.name, grain.value)} {' and '.join(parts)}",
            report.loc,
            REBUILD_HINT,
        )
    return index


def _row(
    raw: Sequence[object], index: Mapping[str, int], wanted: Sequence[Column], grain: Grain
) -> Row:
    """One view row in the table's column order (a target-less metric's flag: None)."""
    return tuple(
        _cell(raw[index[c.name]], c.role, grain) if c.name in index else None for c in wanted
    )


def _cell(value: object, role: ColumnRole, grain: Grain) -> Cell:
    """A database value as a report cell: Decimal -> float, a daily-or-coarser period -> a date."""
    if value is None:
        return None
    if role is ColumnRole.PERIOD:
        if grain.intraday:
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if role is ColumnRole.TARGET_MET:
        return bool(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | str | date):
        return value
    return str(value)


def _sort_key(row: Row, keys: int = 1) -> tuple[tuple[bool, int, float, str], ...]:
    """Period first, then dimensions: numbers as numbers, NULL last."""
    key = []
    for value in row[:keys]:
        if value is None:
            key.append((True, 0, 0.0, ""))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            key.append((False, 0, float(value), ""))
        elif isinstance(value, date):
            key.append((False, 1, 0.0, value.isoformat()))
        else:
            key.append((False, 1, 0.0, str(value)))
    return tuple(key)
