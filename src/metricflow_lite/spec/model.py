"""Typed, immutable spec objects: what the YAML says, checked, with where each part came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from sqlglot import exp

from metricflow_lite.errors import Location
from metricflow_lite.spec.calendar import Calendar
from metricflow_lite.spec.kinds import Change as Change
from metricflow_lite.spec.kinds import Format as Format
from metricflow_lite.spec.kinds import Grain as Grain


class Agg(str, Enum):
    SUM = "sum"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    MEDIAN = "median"
    PERCENTILE = "percentile"
    SECONDS = "seconds"  # the seconds of a span [from, until) inside each period

    @property
    def additive(self) -> bool:
        """True when day-level partials re-aggregate exactly to any coarser grain (seconds are
        additive too, but by the span, not the time column: see `span`)."""
        return self in (Agg.SUM, Agg.COUNT, Agg.AVG, Agg.MIN, Agg.MAX)


def default_change(fmt: Format) -> Change:
    """Rates change in points; everything else relatively, unless the metric says otherwise."""
    return Change.POINTS if fmt is Format.PERCENT else Change.RELATIVE


def resolved_change(declared: Change | None, fmt: Format | None) -> Change:
    """How a metric's change between periods is told: its `change:`, else its format's default."""
    return declared or default_change(fmt or Format.NUMBER)


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each value of a spec object is written: 'model', 'expr', 'metrics[2]' -> location."""

    spots: tuple[tuple[str, Location], ...] = ()

    def at(self, key: str, default: Location) -> Location:
        """The location of a key's value (or a list item `key[i]`), else `default`."""
        return next((loc for name, loc in self.spots if name == key), default)


NO_SPOTS = SourceMap()


# Dimensions every metric has, computed from its own time column.
TIME_PARTS = ("hour_of_day", "day_of_week")


@dataclass(frozen=True, slots=True)
class Target:
    """A metric's goal: met when min <= value <= max (either bound optional)."""

    min: float | None = None
    max: float | None = None

    def is_met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        if self.min is not None and value < self.min:
            return False
        if self.max is not None and value > self.max:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Between:
    """`{from: A, until: B}`: two time columns of a row, the half-open time `[A, B)` it holds.

    `until` NULL means it still holds. On a metric (`active:`) a row counts in the periods whose
    end instant lies in it; on a model (`valid:`) it is the time a version of a key is valid.
    """

    start: str  # the `from` column
    until: str
    loc: Location
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # 'from', 'until' -> location


class Snapshot(str, Enum):
    """Which rows a snapshot metric reads in a period: those at its latest or earliest time."""

    LAST = "last"
    FIRST = "first"


@dataclass(frozen=True, slots=True)
class Dimension:
    """A column of a model that metrics can be grouped and filtered by."""

    name: str
    loc: Location
    label: str | None = None
    description: str | None = None
    parent: str | None = None  # hierarchy: call_type_l2 has parent call_type_l1
    joins: str | None = None  # many-to-one: this column is the primary key of that model
    role: str | None = None  # `as:` name of the joined model (role-playing joins)
    values: tuple[tuple[str, str], ...] = ()  # labels of codes: (("hotline", "热线"), ...)
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written


@dataclass(frozen=True, slots=True)
class Model:
    """A source-layer model (src.<name>) that metrics aggregate."""

    name: str
    loc: Location
    primary_key: str | None = None
    time: str | None = None
    dimensions: tuple[Dimension, ...] = ()
    label: str | None = None
    description: str | None = None
    valid: Between | None = None  # one row per version of primary_key, valid over [from, until)
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)


@dataclass(frozen=True, slots=True)
class Span:
    """`span: {from: A, until: B}` of an `agg: seconds` metric: each row's interval [A, B)."""

    start: str  # `from`: a column of the model
    until: str
    loc: Location


@dataclass(frozen=True, slots=True)
class BaseMetric:
    """An aggregation over one model's rows."""

    name: str
    loc: Location
    model: str
    agg: Agg
    expr: exp.Expr | None  # None: count rows
    filter: exp.Expr | None = None
    time: str | None = None  # overrides the model's time column
    percentile: float | None = None
    label: str | None = None
    description: str | None = None
    descriptions: tuple[tuple[str, str], ...] = ()  # per locale: (("en", "..."), ("zh-CN", ...))
    format: Format = Format.NUMBER
    target: Target | None = None
    change: Change | None = None  # None: default_change(format)
    expr_text: str = ""
    filter_text: str = ""
    active: Between | None = None  # rows active at each period's end instant
    snapshot: Snapshot | None = None  # rows at the period's latest (earliest) time
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written
    span: Span | None = None  # agg seconds: the interval whose seconds are counted per period

    @property
    def is_state(self) -> bool:
        """True for `active` and `snapshot` metrics: a state at an instant, never summed over
        periods, so no indicator table holds them."""
        return self.active is not None or self.snapshot is not None

    @property
    def additive(self) -> bool:
        """True when day-level partials of this metric add up to any coarser period."""
        return self.agg.additive and not self.is_state


def metric_time(metric: BaseMetric, model: Model) -> str | None:
    """The time column a base metric's rows are placed by: its own `time`, the model's, else
    (for an `active` metric) its `from` column."""
    return metric.time or model.time or (metric.active.start if metric.active else None)


@dataclass(frozen=True, slots=True)
class DerivedMetric:
    """Arithmetic over other metrics, re-computed from its parts at every grain."""

    name: str
    loc: Location
    expr: exp.Expr  # parsed and whitelisted; identifiers are metric names
    depends_on: tuple[str, ...]  # metric names, sorted
    label: str | None = None
    description: str | None = None
    descriptions: tuple[tuple[str, str], ...] = ()  # per locale: (("en", "..."), ("zh-CN", ...))
    format: Format = Format.NUMBER
    target: Target | None = None
    change: Change | None = None  # None: default_change(format)
    expr_text: str = ""
    expr_loc: Location | None = None
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written
    # no `format` in the YAML: a window over one metric shows that metric's (inherit_formats)
    format_given: bool = True

    def name_loc(self, name: str) -> Location:
        """Where a metric name appears in the formula (for pointing at a typo)."""
        base = self.expr_loc or self.loc
        match = re.search(rf"\b{re.escape(name)}\b", self.expr_text)
        if match is None:
            return base
        before = self.expr_text[: match.start()]
        return base.shifted(before.count("\n"), len(before) - (before.rfind("\n") + 1), len(name))


Metric = BaseMetric | DerivedMetric


def change_of(metric: Metric) -> Change:
    """The metric's declared `change:`, else the default for its format."""
    return resolved_change(metric.change, metric.format)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """An extra pre-aggregated rollup of one model at a dimension subset and grain."""

    model: str
    dimensions: tuple[str, ...]
    grain: Grain
    loc: Location
    name: str | None = None
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written

    @property
    def table_name(self) -> str:
        return (
            self.name
            or f"{self.model}_by_{'_'.join(self.dimensions) or 'total'}_{self.grain.value}"
        )


class Comparison(str, Enum):
    """What a report view compares each period with. At interval grains (15min, 30min, hour)
    the previous period is the same interval of the previous day, and the same period last
    week the same interval of the same weekday a week earlier; at day grain last week is the
    same weekday a week earlier (a week or coarser grain has no such period: E206)."""

    PREVIOUS_PERIOD = "previous_period"
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"
    SAME_PERIOD_LAST_WEEK = "same_period_last_week"


class ChartKind(str, Enum):
    LINE = "line"
    BAR = "bar"
    PIE = "pie"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Chart:
    kind: ChartKind
    metrics: tuple[str, ...]
    loc: Location
    by: str | None = None
    title: str | None = None
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written


@dataclass(frozen=True, slots=True)
class Report:
    """A report: metrics by dimensions at one or more grains, with comparisons and charts."""

    name: str
    loc: Location
    metrics: tuple[str, ...]
    grains: tuple[Grain, ...] = (Grain.DAY, Grain.WEEK, Grain.MONTH)
    by: tuple[str, ...] = ()
    label: str | None = None
    description: str | None = None
    descriptions: tuple[tuple[str, str], ...] = ()  # per locale, as for metrics
    filter: exp.Expr | None = None
    filter_text: str = ""
    compare: tuple[Comparison, ...] = ()
    periods: int = 8
    charts: tuple[Chart, ...] = ()
    spots: SourceMap = field(default=NO_SPOTS, compare=False)  # where each value is written


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """Everything the metrics and reports YAML define, checked and cross-referenced."""

    models: tuple[Model, ...] = ()
    metrics: tuple[Metric, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    reports: tuple[Report, ...] = ()
    calendars: tuple[Calendar, ...] = ()  # from metricflow_lite.yml

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def report(self, name: str) -> Report | None:
        return next((r for r in self.reports if r.name == name), None)
