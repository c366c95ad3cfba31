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

from metricflow_lite.compile import names
from metricflow_lite.compile.names import (
    CHANGE,
    CHANGE_WEEK,
    CHANGE_YEAR,
    COMPARISON_SUFFIXES,
    PREV,
    PREV_WEEK,
    PREV_YEAR,
    TARGET_MET,
    report_view,
    target_met_column,
)
from metricflow_lite.errors import Location, MflError
from metricflow_lite.report.formatting import (
    Cell,
    TargetFlag,
    as_number,
    flag_of,
)
from metricflow_lite.report.words import DEFAULT_LOCALE, comparison_words, grain_word, word
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
    def from_metric(cls, metric: Metric, locale: str = DEFAULT_LOCALE) -> MetricInfo:
        """The report-facing facts of a spec metric; the description in the locale if given."""
        return cls(
            name=metric.name,
            label=metric.label,
            format=metric.format,
            target=metric.target,
            description=dict(metric.descriptions).get(locale, metric.description),
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


def suffixes(comparison: Comparison) -> tuple[str, str]:
    """The suffixes of a comparison's previous-value and change columns (_prev, _change ...)."""
    return COMPARISON_SUFFIXES[comparison.value]


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
    prev_week: float | None = None
    change_week: float | None = None
    # Broken-down reports without a total row: how many breakdown rows met / missed.
    met: int = 0
    missed: int = 0
    has_total: bool = True

    def compared(self, comparison: Comparison) -> tuple[float | None, float | None]:
        """The compared value and the change of one comparison."""
        if comparison is Comparison.PREVIOUS_PERIOD:
            return self.prev, self.change
        if comparison is Comparison.SAME_PERIOD_LAST_YEAR:
            return self.prev_year, self.change_year
        return self.prev_week, self.change_week


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
    locale: str = DEFAULT_LOCALE
    value_labels: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # dim -> code labels
    incomplete: frozenset[date] = frozenset()  # period starts the data does not cover whole
    data_end: datetime | None = None  # the last time value with data (the earliest model's)
    in_progress: bool = False  # the period in focus is still running (data ends inside it)
    cut_through: date | None = None  # in progress: values and comparisons cut to this day

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
        value_labels: Mapping[str, Mapping[str, str]] | None = None,
        locale: str = DEFAULT_LOCALE,
    ) -> ReportTable:
        """The table of a report's view rows; `period` defaults to the latest one present.

        `columns` name the cells of each row as the view does (any order); changes and target
        flags come from the view (one rule, in SQL), and a metric without a target has no
        target_met column (its flag is NULL). `totals`
        are optional rows of the same view without dimensions (KPI cards and trends of a
        broken-down report); their columns are `columns` minus the dimensions.
        """
        infos = tuple(_metric_info(report, metrics, name) for name in report.metrics)
        wanted = _columns(report, infos, grain, dimension_labels or {}, locale)
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
        incomplete = _incomplete_periods(columns, rows, grain) | (
            _incomplete_periods(total_names, totals, grain) if totals else frozenset()
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
            description=dict(report.descriptions).get(locale, report.description),
            totals=total_rows,
            locale=locale,
            incomplete=incomplete,
            value_labels=tuple(
                (dim, tuple(sorted(labels.items())))
                for dim, labels in sorted((value_labels or {}).items())
            ),
        )

    def column_index(self, name: str) -> int:
        """The position of a column, by machine name."""
        for i, column in enumerate(self.columns):
            if column.name == name:
                return i
        raise KeyError(name)

    def focus_rows(self) -> tuple[Row, ...]:
        """Rows people read: the period in focus by dimension, else recent periods newest first;
        an interval report reads one day, its intervals in the order of the day."""
        if self.grain.intraday:
            return self.recent(self.rows)
        if self.dimensions:
            return tuple(r for r in self.rows if r[0] == self.period)
        return tuple(reversed(self.recent(self.rows)))

    def recent(self, rows: Sequence[Row]) -> tuple[Row, ...]:
        """The rows of the last `periods` periods up to the period in focus, oldest first (for
        an interval report: every interval of the day in focus)."""
        if self.grain.intraday and self.period is not None:
            day = _as_date(self.period)
            return tuple(r for r in rows if isinstance(r[0], date) and _as_date(r[0]) == day)
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
        if self.grain.intraday:  # the day's last interval: the latest the day has to say
            day = self.recent(self.totals if self.dimensions else self.rows)
            total = day[-1] if day else None
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

    def value_label(self, dimension: str, value: Cell) -> str | None:
        """The label `values:` gives a dimension's code, if any; a NULL member (no team in a
        history at the call's time) is a word, never `-`, which reads as a missing number."""
        if value is None:
            return word(self.locale, "no_member")
        labels = dict(dict(self.value_labels).get(dimension, ()))
        return labels.get(str(value))

    def is_partial(self, start: Cell) -> bool:
        """True when the period that starts at `start` is not covered whole by the data."""
        return isinstance(start, date) and start in self.incomplete

    def comparisons(self) -> tuple[Comparison, ...]:
        """The comparisons the table has columns for, in column order."""
        found = {c.comparison for c in self.columns if c.comparison is not None}
        return tuple(c for c in Comparison if c in found)

    def comparison_words(self, comparison: Comparison) -> tuple[str, str]:
        """A comparison's previous-value and change words in the table's locale and grain:
        上期 / 环比; at an interval grain 昨日同时段 / 较昨日 ..."""
        prev, change = comparison_words(comparison, self.grain)
        return word(self.locale, prev), word(self.locale, change)

    def empty_comparisons(self) -> tuple[Comparison, ...]:
        """Comparisons with no previous value in any shown row: nothing to compare with."""
        empty = []
        for comparison in Comparison:
            prev, _ = suffixes(comparison)
            names = [m.name + prev for m in self.metrics]
            idx = [i for i, c in enumerate(self.columns) if c.name in names]
            if not idx:
                continue
            shown = self.focus_rows() + self.trend_rows()
            if all(row[i] is None for row in shown for i in idx):
                empty.append(comparison)
        return tuple(empty)

    def metric(self, name: str) -> MetricInfo:
        """A metric of this report, by name."""
        return next(m for m in self.metrics if m.name == name)

    def _upto(self, start: date) -> bool:
        return self.period is None or not _after(start, self.period)


def _incomplete_periods(
    columns: Sequence[str], rows: Sequence[Sequence[object]], grain: Grain
) -> frozenset[date]:
    """The periods the view's is_complete column says the data does not cover whole."""
    if names.IS_COMPLETE not in columns:
        return frozenset()
    at = list(columns).index(names.IS_COMPLETE)
    return frozenset(
        start
        for row in rows
        if row[at] is not None
        and not row[at]
        and isinstance(start := _cell(row[0], ColumnRole.PERIOD, grain), date)
    )


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
        prev_week=as_number(cell(PREV_WEEK)),
        change_week=as_number(cell(CHANGE_WEEK)),
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
    report: Report,
    infos: Sequence[MetricInfo],
    grain: Grain,
    dim_labels: Mapping[str, str],
    locale: str,
) -> tuple[Column, ...]:
    """The table's columns in reading order: period, dimensions, then each metric's group."""
    cols = [Column(grain.value, ColumnRole.PERIOD, grain_word(locale, grain))]
    cols += [Column(d, ColumnRole.DIMENSION, dim_labels.get(d, d)) for d in report.by]
    for info in infos:
        fmt, target = info.format, info.target
        cols.append(Column(info.name, ColumnRole.METRIC, info.title, info.name, fmt, target))
        for comparison in Comparison:
            if comparison not in report.compare:
                continue
            prev, change = suffixes(comparison)
            prev_word, change_word = comparison_words(comparison, grain)
            cols.append(
                Column(
                    info.name + prev,
                    ColumnRole.PREV,
                    f"{info.title} {word(locale, prev_word)}",
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
                    f"{info.title} {word(locale, change_word)}",
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
                f"{info.title} {word(locale, 'met')}",
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
    known = {c.name for c in wanted} | {names.IS_COMPLETE}
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
