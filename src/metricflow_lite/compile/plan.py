"""Request -> plan: a tree of frozen nodes that says *what* answers a query, a table or a view.

sqlgen.py decides how each node is written; it never asks the planner anything. Additivity
(DOMAIN.md): sums and counts roll up from day-level partials; an average is sum/count of
partials; distinct counts, medians and percentiles are recomputed from rows at the requested
grain; a derived metric is recomputed from its parts after they are aggregated, never averaged.

A query is, leaves first::

    ReadSource | ReadIndicator          rows of src.<model>, or of a pre-aggregated ind.<table>
    -> JoinDimensions                   many-to-one LEFT JOINs to reach joined dimensions
    -> FilterRows                       the date range and --where
    -> Aggregate                        partials by period x dimensions (one per model/time)
    -> JoinOnKeys                       the aggregates side by side on period x dimensions
    -> ComputeMetrics                   metric formulas from the partials

Windows, offsets and shares (derived `expr`: rolling, to_date, shift, total, period_seconds):
each base metric a formula reads through window calls is aggregated in that `Frame`::

    PeriodSpine                         every period of the range, with its first and last day
    -> Shift | Rolling | ToDate         one node per call, outermost first: the days it reads
    -> WindowAggregate                  partials of the rows (or day partials) in each frame
    Total(Aggregate without --by)       total(): all members, joined on the period alone
    PeriodSeconds                       period_seconds(): each period's (or frame's) length

A report view continues: -> TimeSpine (every period x combination) -> FillZeros -> Compare
(previous period, same period last year) -> FlagTargets -> Totals (the `_total` view only).
An indicator table of the build is ReadSource | ReadIndicator -> JoinDimensions -> Aggregate.

State metrics and history take their own kinds: JoinVersions (a join into a model with
`valid:`, at each row's time) beside JoinDimensions; ActiveAt (rows open at each period's end,
joined to the period spine), RunningTotal (the same for sums and counts: rows opened minus rows
closed, in one pass) and SnapshotAt (the rows at each period's last or first time) beside
Aggregate, each giving partials by period x dimensions for every period of the range.

Adding a node kind (a window, an offset, `active`, a snapshot, a time-valid join ...):
1. a frozen dataclass here, with `parents` and `describe()`, added to the `PlanNode` union;
2. one branch in the planner (`plan_query` or `plan_report_view`) that wraps its parent in it;
3. one `render_<kind>` function in sqlgen.py, and one `case` in `sqlgen.render`;
4. a row in tests/test_plan.py and a golden SQL case per dialect in tests/test_sqlgen.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.calendar import CalendarJoin, calendar_joins, expand_business_seconds
from metricflow_lite.compile.empty_periods import ZERO_WHEN_EMPTY, NotKnown, empty_period_value
from metricflow_lite.compile.erlang import erlang_calls
from metricflow_lite.compile.frames import PLAIN, Frame, check_grain, usages
from metricflow_lite.compile.periods import whole_periods
from metricflow_lite.errors import MflError, did_you_mean
from metricflow_lite.spec.calendar import Calendar, business_calls
from metricflow_lite.spec.expr import (
    ERLANG_FUNCTIONS,
    column_names,
    dimension_names,
    uses_period_end,
)
from metricflow_lite.spec.graph import base_metrics_of, state_window_errors
from metricflow_lite.spec.joins import (
    ReachableDimension,
    dimension_label_hint,
    label_values,
    reachable_dimensions,
    resolve_dimension,
)
from metricflow_lite.spec.model import (
    TIME_PARTS,
    Agg,
    BaseMetric,
    Between,
    Change,
    Comparison,
    DerivedMetric,
    Grain,
    Metric,
    ProjectSpec,
    Report,
    Snapshot,
    Span,
    change_of,
    metric_time,
)
from metricflow_lite.spec.validate import metric_name_hint
from metricflow_lite.spec.windows import ARGUMENTS as WINDOW_ARGUMENTS
from metricflow_lite.spec.windows import Span as WindowSpan
from metricflow_lite.spec.windows import Unit, WindowKind

# ---------------------------------------------------------------------------------------------
# Values the nodes carry


@dataclass(frozen=True, slots=True)
class Partial:
    """One aggregate column a base metric needs: e.g. aht's sum and count."""

    metric: str
    part: str  # sum | count | min | max | value
    agg: Agg

    @property
    def column(self) -> str:
        return names.partial_column(self.metric, self.part)

    @property
    def reaggregate(self) -> str:
        """How day-level values of this partial combine into a coarser period."""
        return {"sum": "SUM", "count": "SUM", "min": "MIN", "max": "MAX"}[self.part]


def partials_of(metric: BaseMetric) -> tuple[Partial, ...]:
    """The aggregate columns behind a base metric."""
    match metric.agg:
        case Agg.SUM | Agg.SECONDS:
            return (Partial(metric.name, "sum", metric.agg),)
        case Agg.COUNT:
            return (Partial(metric.name, "count", metric.agg),)
        case Agg.AVG:
            return (
                Partial(metric.name, "sum", metric.agg),
                Partial(metric.name, "count", metric.agg),
            )
        case Agg.MIN:
            return (Partial(metric.name, "min", metric.agg),)
        case Agg.MAX:
            return (Partial(metric.name, "max", metric.agg),)
        case Agg.COUNT_DISTINCT | Agg.MEDIAN | Agg.PERCENTILE:
            return (Partial(metric.name, "value", metric.agg),)
    raise AssertionError(metric.agg)


@dataclass(frozen=True, slots=True)
class PlannedDimension:
    """A dimension as one aggregate computes it."""

    name: str  # the output column name, as the user wrote it
    reach: ReachableDimension | None = None  # None for a time part
    time_part: str | None = None
    stored_as: str | None = None  # column name in an indicator table, when stored there


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    """A pre-aggregated table: additive partials of one model by period x dimensions."""

    name: str
    model: str
    grain: Grain
    dimensions: tuple[ReachableDimension, ...]
    time_columns: tuple[str, ...]
    metrics: tuple[str, ...]
    declared: bool = False  # from `indicators:` rather than the model's default day table
    span: Span | None = None  # agg seconds: the seconds of this span by quarter hour

    def period_column(self, time_column: str) -> str:
        return names.period_column(time_column, self.grain.value)

    def stored_name(self, dim: ReachableDimension) -> str:
        return names.stored_dimension(dim.qualified_name)

    def stores(self, dim: ReachableDimension) -> bool:
        return any(d.qualified_name == dim.qualified_name for d in self.dimensions)


@dataclass(frozen=True, slots=True)
class PeriodKey:
    """A period column of an aggregate: `column` = the start of `time_column`'s `grain` period."""

    column: str
    time_column: str  # as the aggregate's input names it
    grain: Grain
    week_start: str = "monday"  # weeks start on monday or sunday
    aligned: bool = False  # the time column already holds period starts (split spans)


@dataclass(frozen=True, slots=True)
class Comparing:
    """One comparison of a report view: the value `back` one step and its change."""

    comparison: Comparison
    prev_suffix: str  # names.PREV | names.PREV_YEAR | names.PREV_WEEK
    change_suffix: str  # names.CHANGE | names.CHANGE_YEAR | names.CHANGE_WEEK
    alias: str  # the table alias of the compared rows
    amount: str  # how far back, as an interval: ("1", "MONTH"), ("364", "DAY") ...
    unit: str


@dataclass(frozen=True, slots=True)
class Flag:
    """A metric's target as the view checks it: min <= value <= max (NULL stays NULL)."""

    metric: str
    low: float | None
    high: float | None


# ---------------------------------------------------------------------------------------------
# The nodes


@dataclass(frozen=True, slots=True)
class ReadSource:
    """Rows of src.<model>, row by row."""

    model: str
    why: str

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return ()

    def describe(self) -> str:
        return f"read rows: {names.SRC}.{self.model} ({self.why})"


@dataclass(frozen=True, slots=True)
class ReadIndicator:
    """Rows of a pre-aggregated indicator table, and why that table."""

    table: IndicatorTable
    why: str

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return ()

    def describe(self) -> str:
        return f"read indicator table: {names.IND}.{self.table.name} ({self.why})"


@dataclass(frozen=True, slots=True)
class JoinDimensions:
    """LEFT JOIN each model on the dimensions' paths once (many-to-one: never fans out)."""

    parent: RowNode
    dimensions: tuple[ReachableDimension, ...]  # each with a join path, sorted by name

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        hops = sorted(
            {f"{h.column} -> {names.SRC}.{h.model}" for d in self.dimensions for h in d.path}
        )
        return f"join on keys: {', '.join(hops)}"


@dataclass(frozen=True, slots=True)
class JoinVersions:
    """LEFT JOIN the paths of dimensions that go through a model with `valid:`: on the key and
    on the version whose [from, until) holds the row's time (no such version: NULL)."""

    parent: RowNode
    dimensions: tuple[ReachableDimension, ...]  # each through history, sorted by name
    time_column: str  # the row's metric time, as the input names it

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        hops = sorted(
            {
                f"{h.column} -> {names.SRC}.{h.model}"
                + (f" valid at {self.time_column}" if h.valid is not None else "")
                for d in self.dimensions
                for h in d.path
            }
        )
        return f"join versions: {', '.join(hops)}"


@dataclass(frozen=True, slots=True)
class JoinCalendars:
    """LEFT JOIN a calendar table on the local date of each end of a business_seconds() call
    (one row per date: never fans out), so the call is arithmetic over the joined columns."""

    parent: RowNode
    joins: tuple[CalendarJoin, ...]  # sorted by alias

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        ends = ", ".join(
            f"{names.CALENDAR_SCHEMA}.{names.calendar_table(j.calendar.name)}"
            f" on date({j.at.sql('duckdb')})"
            for j in self.joins
        )
        return f"join calendars: {ends}"


@dataclass(frozen=True, slots=True)
class SplitSpans:
    """Each row once per `grain` interval its span [start, until) overlaps (a NULL or earlier
    `until`: no interval), with the interval's start; `columns` are carried along."""

    parent: RowNode
    span: Span
    grain: Grain
    columns: tuple[str, ...]  # model columns the aggregate reads (dimensions, filters)

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return (
            f"split spans: [{self.span.start}, {self.span.until}) into the"
            f" {self.grain.value} intervals it overlaps"
        )


@dataclass(frozen=True, slots=True)
class FilterRows:
    """Rows with a time, in [start, before), passing the --where (or a report's filter)."""

    parent: RowNode
    time_column: str  # as the input names it
    start: dt.date | None = None
    before: dt.date | None = None  # exclusive
    where: exp.Expr | None = None
    where_dimensions: tuple[PlannedDimension, ...] = ()

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        parts = [f"{self.time_column} is not null"]
        if self.start is not None:
            parts.append(f"{self.time_column} >= {self.start}")
        if self.before is not None:
            parts.append(f"{self.time_column} < {self.before}")
        if self.where is not None:
            parts.append(self.where.sql("duckdb"))
        return f"filter: {' and '.join(parts)}"


RowNode: TypeAlias = (
    ReadSource
    | ReadIndicator
    | JoinDimensions
    | JoinVersions
    | JoinCalendars
    | SplitSpans
    | FilterRows
)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Partials of base metrics by period x dimensions: from rows, or re-aggregated partials."""

    name: str  # the name its result goes by (a CTE), e.g. calls__offered_ts__ind
    parent: RowNode
    time_column: str  # the input's time column (time parts such as hour_of_day read it)
    periods: tuple[PeriodKey, ...]
    dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]
    partials: tuple[Partial, ...]
    from_rows: bool  # True: aggregate rows; False: re-aggregate stored partials
    frame: Frame = PLAIN  # total(): the partials of all members (the plain frame otherwise)

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.column for p in self.periods) + tuple(d.name for d in self.dimensions)

    def column_of(self, partial: Partial) -> str:
        """The output column of a partial (suffixed by the frame, so frames never collide)."""
        return names.framed_column(partial.column, self.frame.key)

    def describe(self) -> str:
        how = "from rows" if self.from_rows else "re-aggregated partials"
        by = ", ".join(self.keys) or "everything"
        return f"aggregate {self.name}: {', '.join(m.name for m in self.metrics)} by {by} ({how})"


@dataclass(frozen=True, slots=True)
class StateRange:
    """The periods a state metric is read at: every period of `grain` from `start` to `end`
    (inclusive days); a missing end is the first (last) day with a time value in the models of
    `bounds`. Without a grain, one instant: the range's end."""

    grain: Grain | None
    start: dt.date | None
    end: dt.date | None
    bounds: tuple[tuple[str, str], ...]  # (model, time column) pairs
    week_start: str = "monday"
    until: dt.datetime | None = None  # without a grain: this instant, not the range's end

    def describe(self) -> str:
        low = str(self.start) if self.start else "the first day"
        high = str(self.end) if self.end else "the last day"
        data = ", ".join(f"{names.SRC}.{m}.{t}" for m, t in self.bounds)
        at = f"each {self.grain.value}'s end" if self.grain else "the range's end"
        if self.grain is None and self.until is not None:
            at = str(self.until)
        return f"at {at}, {low} .. {high} of {data}"


@dataclass(frozen=True, slots=True)
class ActiveAt:
    """Partials over the rows active at each period's end instant t (from <= t, until NULL or
    > t), by period x dimensions, every period of the range included: rows joined to the
    period spine. period_end() in a metric is t."""

    name: str
    parent: RowNode
    span: Between
    range: StateRange
    time_column: str
    dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]
    partials: tuple[Partial, ...]

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return (
            f"active {self.name}: {', '.join(m.name for m in self.metrics)} over the rows with"
            f" {self.span.start} <= t < {self.span.until}, {self.range.describe()}"
        )


@dataclass(frozen=True, slots=True)
class RunningTotal:
    """ActiveAt for sums and counts of values that do not read period_end(): the rows opened
    up to each period's end minus the rows closed by then, one pass over the rows."""

    name: str
    parent: RowNode
    span: Between
    range: StateRange
    time_column: str
    dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]
    partials: tuple[Partial, ...]

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return (
            f"running total {self.name}: {', '.join(m.name for m in self.metrics)}, rows opened"
            f" at {self.span.start} minus closed at {self.span.until}, {self.range.describe()}"
        )


@dataclass(frozen=True, slots=True)
class SnapshotAt:
    """A metric over the rows at each period's latest (earliest) time value: one time per
    period over the rows passing the filters, then grouped by the dimensions."""

    name: str
    parent: RowNode
    snapshot: Snapshot
    range: StateRange
    time_column: str
    dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]  # one
    partials: tuple[Partial, ...]

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        which = "latest" if self.snapshot is Snapshot.LAST else "earliest"
        return (
            f"snapshot {self.name}: {self.metrics[0].name} at the {which} {self.time_column}"
            f" of each {self.range.grain.value if self.range.grain else 'range'}"
        )


@dataclass(frozen=True, slots=True)
class PeriodSpine:
    """Every period of the query's range with its first and last day; without a grain, one
    row for the whole range. An open end of the range is the data's (the `bounds` tables)."""

    grain: Grain | None
    week_start: str
    start: dt.date | None
    end: dt.date | None
    bounds: tuple[tuple[str, str, str], ...]  # (schema, table, time column), sorted

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return ()

    @property
    def key(self) -> str | None:
        return self.grain.value if self.grain is not None else None

    def describe(self) -> str:
        every = f"every {self.grain.value}" if self.grain is not None else "the whole range"
        first = str(self.start) if self.start is not None else "the first day with data"
        last = str(self.end) if self.end is not None else "the last day with data"
        return f"period spine: {every} from {first} to {last}, with its first and last day"


@dataclass(frozen=True, slots=True)
class Rolling:
    """rolling(m, 'N days'): the N days that end on the frame's last day."""

    parent: FrameNode
    days: int

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return f"rolling: the {self.days} days ending on the last day"


@dataclass(frozen=True, slots=True)
class ToDate:
    """to_date(m, unit): from the start of the unit holding the frame's last day, to it."""

    parent: FrameNode
    unit: Unit
    week_start: str = "monday"

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return f"to date: from the start of the {self.unit.value} holding the last day"


@dataclass(frozen=True, slots=True)
class Shift:
    """shift(m, 'N units'): the frame N units earlier; month arithmetic clamps at month ends,
    and a frame that ends on a month's last day still does (April back 1 month is March)."""

    parent: FrameNode
    span: WindowSpan

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    def describe(self) -> str:
        return f"shift: {self.span} earlier"


FrameNode: TypeAlias = PeriodSpine | Rolling | ToDate | Shift


@dataclass(frozen=True, slots=True)
class WindowAggregate:
    """Partials of base metrics over each period's frame of days, by period x dimensions:
    additive ones re-aggregated from a day table, the others recomputed from the frame's rows.
    Only the frame bounds the rows (it reaches before --start); --where applies inside it."""

    name: str
    parent: RowNode  # read -> join dimensions -> filter (the --where only)
    frames: FrameNode
    frame: Frame
    time_column: str  # the input's time column (a timestamp, or a day table's day)
    period: str | None  # the grain's key column, None without a grain
    dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]
    partials: tuple[Partial, ...]
    from_rows: bool
    dated: bool = True  # stored partials keyed by date (else by interval start: a timestamp)

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent, self.frames)

    @property
    def keys(self) -> tuple[str, ...]:
        period = (self.period,) if self.period is not None else ()
        return period + tuple(d.name for d in self.dimensions)

    def column_of(self, partial: Partial) -> str:
        return names.framed_column(partial.column, self.frame.key)

    def describe(self) -> str:
        how = "from rows" if self.from_rows else "re-aggregated day partials"
        by = ", ".join(self.keys) or "everything"
        what = ", ".join(m.name for m in self.metrics)
        return f"window aggregate {self.name}: {what} over {self.frame} by {by} ({how})"


@dataclass(frozen=True, slots=True)
class Total:
    """total(m): the aggregate of all members of the --by dimensions, joined on the period."""

    parent: Aggregate | WindowAggregate  # without dimensions

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def name(self) -> str:
        return self.parent.name

    @property
    def partials(self) -> tuple[Partial, ...]:
        return self.parent.partials

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    @property
    def time_column(self) -> str:
        return self.parent.time_column

    def column_of(self, partial: Partial) -> str:
        return self.parent.column_of(partial)

    def describe(self) -> str:
        return f"total: {', '.join(m.name for m in self.parent.metrics)} over all members"


@dataclass(frozen=True, slots=True)
class PeriodSeconds:
    """period_seconds(): the length of each period (or of its frame) in seconds; a fixed
    number where every period has the same length (30min 1800, day 86400)."""

    frame: Frame
    frames: FrameNode | None  # None: `fixed`
    fixed: int | None = None

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.frames,) if self.frames is not None else ()

    @property
    def name(self) -> str:
        return names.seconds_cte(self.frame.key)

    def describe(self) -> str:
        inside = f" of the frame ({self.frame})" if self.frame.steps else ""
        if self.fixed is not None:
            return f"period seconds{inside}: {self.fixed}"
        return f"period seconds{inside}: days from the first to the last day x 86400"


Grouped: TypeAlias = Aggregate | ActiveAt | RunningTotal | SnapshotAt | WindowAggregate | Total


@dataclass(frozen=True, slots=True)
class JoinOnKeys:
    """Aggregates side by side on the shared period and dimensions (NULL matches NULL)."""

    parents: tuple[Grouped, ...]
    keys: tuple[str, ...]

    def describe(self) -> str:
        if len(self.parents) == 1:
            return f"one aggregate: {self.parents[0].name}"
        on = ", ".join(self.keys) if self.keys else "nothing (one row each)"
        return f"join aggregates on {on}"


@dataclass(frozen=True, slots=True)
class ComputeMetrics:
    """The requested metrics from the joined partials; derived metrics recomputed from parts
    (erlang_c_* of a formula: over a series of agent counts joined on the keys)."""

    parent: JoinOnKeys
    outputs: tuple[str, ...]  # the metric columns, in the request's order
    metrics: tuple[Metric, ...]  # every metric the outputs need, base and derived, by name
    # period_seconds() in each frame a formula uses (the plain one too for erlang_c_*)
    seconds: tuple[PeriodSeconds, ...] = ()

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent, *self.seconds)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    def describe(self) -> str:
        return f"compute metrics: {', '.join(self.outputs)}"


@dataclass(frozen=True, slots=True)
class TimeSpine:
    """Every period from the first to the last with data, for every dimension combination."""

    parent: ComputeMetrics
    grain: Grain
    amount: str  # the step between periods, as an interval
    unit: str

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.parent.outputs

    def describe(self) -> str:
        dims = self.keys[1:]
        combos = f" x every combination of {', '.join(dims)}" if dims else ""
        return f"time spine: every {self.grain.value} between the first and the last{combos}"


@dataclass(frozen=True, slots=True)
class FillZeros:
    """Counts and sums of a period without rows are 0, not unknown; ratios stay NULL; a
    derived metric takes its formula's value over those (compile/empty_periods.py)."""

    parent: TimeSpine
    zero: tuple[str, ...]  # the metrics that take 0
    empty: tuple[tuple[str, float], ...] = ()  # derived metrics and their value without rows

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.parent.outputs

    def describe(self) -> str:
        text = f"fill zeros: {', '.join(self.zero) or 'none'}"
        if self.empty:
            text += "; without rows " + ", ".join(f"{n} = {v:g}" for n, v in self.empty)
        return text


@dataclass(frozen=True, slots=True)
class Compare:
    """Each metric next to its value in compared periods, and the change (one rule, in SQL)."""

    parent: FillZeros
    grain: Grain
    comparisons: tuple[Comparing, ...]
    points: tuple[str, ...]  # change in points: cur - prev; the others (cur - prev) / |prev|

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.parent.outputs

    @property
    def columns(self) -> tuple[str, ...]:
        """Each metric, then its prev and change columns per comparison."""
        cols: list[str] = []
        for name in self.outputs:
            cols.append(name)
            for c in self.comparisons:
                cols += [name + c.prev_suffix, name + c.change_suffix]
        return tuple(cols)

    def describe(self) -> str:
        what = ", ".join(
            f"{c.comparison.value} ({c.amount} {c.unit.lower()}{'' if c.amount == '1' else 's'}"
            " back)"
            for c in self.comparisons
        )
        return f"compare: {what or 'none'}"


@dataclass(frozen=True, slots=True)
class FlagTargets:
    """<metric>_target_met: the value within the metric's target (NULL when the value is)."""

    parent: Compare
    flags: tuple[Flag, ...]

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    def describe(self) -> str:
        return f"flag targets: {', '.join(f.metric for f in self.flags) or 'none'}"


@dataclass(frozen=True, slots=True)
class FlagComplete:
    """is_complete (DESIGN-2 §2): every model the view reads covers the period, its first time
    value on the period's first day or earlier, its last at or after the period's end minus the
    project's complete_grace (a DATE column's last day counts whole)."""

    parent: FlagTargets
    grain: Grain
    models: tuple[ModelTime, ...]  # sorted
    grace_seconds: int
    amount: str  # the period's length, as an interval
    unit: str

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    def describe(self) -> str:
        covered = (
            ", ".join(
                f"{names.SRC}.{m}.{first}" + ("" if last == first else f"..{last}")
                for m, first, last in self.models
            )
            or "no model"
        )
        return f"flag complete periods: covered by {covered}, grace {self.grace_seconds} s"


@dataclass(frozen=True, slots=True)
class Totals:
    """The `_total` view: the metrics over all members of `over`, re-aggregated from parts."""

    parent: FlagComplete
    over: tuple[str, ...]

    @property
    def parents(self) -> tuple[PlanNode, ...]:
        return (self.parent,)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.parent.keys

    def describe(self) -> str:
        return f"totals: over all members of {', '.join(self.over)} (sum over sum, not of rows)"


PlanNode: TypeAlias = (
    ReadSource
    | ReadIndicator
    | JoinDimensions
    | JoinVersions
    | JoinCalendars
    | SplitSpans
    | FilterRows
    | Aggregate
    | ActiveAt
    | RunningTotal
    | SnapshotAt
    | JoinOnKeys
    | ComputeMetrics
    | TimeSpine
    | FillZeros
    | Compare
    | FlagTargets
    | FlagComplete
    | Totals
    | PeriodSpine
    | Rolling
    | ToDate
    | Shift
    | WindowAggregate
    | Total
    | PeriodSeconds
)
ViewNode: TypeAlias = FlagComplete | Totals


def plan_tree(node: PlanNode, indent: str = "") -> str:
    """The plan as an indented tree, the result at the top and what it reads below."""
    lines = [indent + node.describe()]
    for parent in node.parents:
        lines.append(plan_tree(parent, indent + "  "))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """What a user asks: metrics by dimensions at a grain, over a date range, filtered."""

    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    grain: Grain | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    where: exp.Expr | None = None
    use_indicators: bool = True
    # Rows before this instant only, without a grain: a report's period in progress compared
    # like for like cuts the previous period at the same elapsed time (jobs/reports.py).
    until: dt.datetime | None = None
    # Indicator tables whose definition changed since the last build (a metric edited in the
    # YAML without `mfl build`): they hold the old one, so the rows answer instead.
    unbuilt: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How to answer a request: the request (with whole periods) and the tree's root."""

    request: QueryRequest
    root: ComputeMetrics
    week_start: str = "monday"
    note: str = ""  # what widening the date range to whole periods did, in a sentence

    @property
    def aggregates(self) -> tuple[Grouped, ...]:
        return self.root.parent.parents

    @property
    def reads(self) -> tuple[ReadSource | ReadIndicator, ...]:
        """The leaf of each aggregate: which table it reads, and why."""
        found: list[ReadSource | ReadIndicator] = []
        for aggregate in self.aggregates:
            node: PlanNode = aggregate.parent
            while not isinstance(node, ReadSource | ReadIndicator):
                node = node.parents[0]
            found.append(node)
        return tuple(found)

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.root.keys


def unknown_metric(spec: ProjectSpec, name: str) -> MflError:
    """E211 for a metric name the spec lacks, with the closest names (or the label's metric)."""
    return MflError(
        "E211",
        f"unknown metric '{name}'",
        None,
        metric_name_hint(name, spec.metrics, "list the metrics with 'mfl list metrics'"),
    )


def _lookup_metrics(spec: ProjectSpec, wanted: tuple[str, ...]) -> dict[str, Metric]:
    by_name = {m.name: m for m in spec.metrics}
    for name in wanted:
        if name not in by_name:
            raise unknown_metric(spec, name)
    return by_name


def _check_where_values(spec: ProjectSpec, where: exp.Expr, models: Sequence[str]) -> None:
    """MflError (E224) for a value label compared where its code belongs (channel = '热线'):
    tables show the labels of `values:`, filters compare the codes, so it would match nothing."""
    for misuse in label_values(spec, where, models):
        raise MflError("E224", misuse.message, None, misuse.hint)


def _needed(name: str, metrics: Mapping[str, Metric], into: dict[str, Metric]) -> None:
    metric = metrics[name]
    into[name] = metric
    if isinstance(metric, DerivedMetric):
        for dep in metric.depends_on:
            _needed(dep, metrics, into)


def plan_query(spec: ProjectSpec, request: QueryRequest, week_start: str = "monday") -> QueryPlan:
    """A plan for the request, or MflError saying which metric, model or dimension is wrong."""
    if not request.metrics:
        raise MflError("E250", "no metrics requested", None, "pass --metrics a,b")
    if request.start and request.end and request.start > request.end:
        raise MflError("E251", f"--start {request.start} is after --end {request.end}", None)
    if request.until is not None:  # an API of reports, not of the CLI: their own checks
        assert request.grain is None, "a cut at an instant is one period, without a grain"
        assert cut_metrics(spec, request.metrics) == request.metrics, request.metrics
    start, end = whole_periods(request.start, request.end, request.grain, week_start)
    note = _widened(request, start, end)
    request = replace(request, start=start, end=end)
    twice = [name for i, name in enumerate(request.metrics) if name in request.metrics[:i]]
    if twice:
        # two columns of one name: the json format (and the API's rows) kept one of them
        raise MflError("E252", f"metric '{twice[0]}' is listed twice in --metrics", None)
    metrics = _lookup_metrics(spec, request.metrics)
    needed: dict[str, Metric] = {}
    for name in request.metrics:
        _needed(name, metrics, needed)
    if not any(isinstance(m, BaseMetric) for m in needed.values()):
        # only constants (expr: 100, erlang_c_agents(120, 300, 20, 0.8)): no rows say which
        # periods or members there are, nor how long the period is
        base = sorted(m.name for m in spec.metrics if isinstance(m, BaseMetric))
        raise MflError(
            "E250",
            f"{', '.join(request.metrics)} read no model: there are no rows to show them for",
            None,
            "ask for them next to a metric of a model"
            + (f", e.g. --metrics {request.metrics[0]},{base[0]}" if base else ""),
        )
    if over_states := state_window_errors(metrics, needed):
        raise over_states[0]  # at the call, not at the state metric's own definition
    if len(set(request.by)) != len(request.by):
        raise MflError("E252", "a dimension is listed twice in --by", None)
    where_dims = dimension_names(request.where) if request.where is not None else ()
    if request.where is not None:
        models = {m.model for m in needed.values() if isinstance(m, BaseMetric)}
        _check_where_values(spec, request.where, sorted(models))
    check_grain(request.metrics, metrics, request.grain)
    used = frozenset(u for name in request.metrics for u in usages(name, metrics))
    frames = sorted({u.frame for u in used if u.metric is not None}, key=lambda f: f.key)
    if frames and all(f.total for f in frames) and request.by:
        # total() alone names no --by members: the plain aggregates say which there are.
        frames.insert(0, PLAIN)
    tables = indicator_tables(spec)
    parts: list[_Part] = []
    states: list[_State] = []
    for frame in frames:
        bases = sorted(
            {u.metric for u in used if u.metric is not None and u.frame == frame}
            or {u.metric for u in used if u.metric is not None}
        )
        found, frame_states = _plan_frame(spec, request, metrics, tables, bases, frame, where_dims)
        parts += found
        states += frame_states
    # One spine for every window and period length: an open range ends where the data does.
    closed = request.start is not None and request.end is not None
    bounds = () if closed else tuple(sorted({p.bounds for p in parts}))
    spine = PeriodSpine(request.grain, week_start, request.start, request.end, bounds)
    aggregates: list[Grouped] = [_grouped(part, request, week_start, spine) for part in parts]
    # State metrics are read at the periods the query's event metrics span (a roster counted
    # over the days of the calls it is reported with), or, alone, their own model's.
    events = tuple(sorted({(a.parent_model, a.time_column) for a in _event_reads(aggregates)}))
    for model_name, time_column, state, dims, wdims in states:
        span = StateRange(
            request.grain,
            request.start,
            request.end,
            events or ((model_name, time_column),),
            week_start,
            request.until,
        )
        aggregates.extend(_state_nodes(model_name, time_column, state, dims, wdims, span, request))
    grain = (request.grain.value,) if request.grain else ()
    joined = JoinOnKeys(tuple(aggregates), grain + request.by)
    # Erlang C divides each period's traffic by its length: the plain frame's period_seconds().
    length_frames = {u.frame for u in used if u.metric is None}
    if any(isinstance(m, DerivedMetric) and erlang_calls(m.expr) for m in needed.values()):
        length_frames.add(PLAIN)
    seconds = tuple(
        _period_seconds(frame, request, week_start, spine)
        for frame in sorted(length_frames, key=lambda f: f.key)
    )
    root = ComputeMetrics(
        joined, request.metrics, tuple(needed[n] for n in sorted(needed)), seconds
    )
    return QueryPlan(request=request, root=root, week_start=week_start, note=note)


# A model's state metrics (active, snapshot) of one time column: model, time column, metrics,
# dimensions, where dimensions.
_State: TypeAlias = tuple[
    str, str, list[BaseMetric], tuple[PlannedDimension, ...], tuple[PlannedDimension, ...]
]


@dataclass(frozen=True, slots=True)
class _Part:
    """What one aggregate of a query reads, before it is made a node."""

    name: str
    read: ReadSource | ReadIndicator
    time_column: str
    dimensions: tuple[PlannedDimension, ...]
    where_dimensions: tuple[PlannedDimension, ...]
    metrics: tuple[BaseMetric, ...]
    from_rows: bool
    frame: Frame
    calendars: tuple[Calendar, ...] = ()  # business_seconds() of rows: the calendars joined

    @property
    def bounds(self) -> tuple[str, str, str]:
        """(schema, table, time column) whose first and last day bound an open range."""
        if isinstance(self.read, ReadIndicator):
            return (names.IND, self.read.table.name, self.time_column)
        return (names.SRC, self.read.model, self.time_column)


def _plan_frame(
    spec: ProjectSpec,
    request: QueryRequest,
    metrics: Mapping[str, Metric],
    tables: tuple[IndicatorTable, ...],
    bases: list[str],
    frame: Frame,
    where_dims: tuple[str, ...],
) -> tuple[list[_Part], list[_State]]:
    """What the base metrics read in one frame come from (one or two parts per model and time
    column; span seconds from their quarter-hour table), and the state metrics (of the plain
    frame: a window of one is refused)."""
    by_key: dict[tuple[str, str], list[BaseMetric]] = {}
    by_span: dict[tuple[str, str, str], list[BaseMetric]] = {}
    for name in bases:
        metric = metrics[name]
        assert isinstance(metric, BaseMetric)
        model = spec.model(metric.model)
        if model is None:
            raise MflError("E210", f"unknown model '{metric.model}' in metric '{name}'", metric.loc)
        if metric.span is not None:
            by_span.setdefault((model.name, *_span_key(metric.span)), []).append(metric)
            continue
        time_column = metric_time(metric, model)
        if time_column is None:
            raise MflError("E202", f"metric '{name}' has no time column", metric.loc)
        if metric.is_state and not frame.plain:
            raise MflError(
                "E233",
                f"a window or total() over '{name}', an `active` or `snapshot` metric, is not"
                f" supported ({frame})",
                metric.loc,
                "window an event metric (a count or sum of the rows of each period) instead",
            )
        by_key.setdefault((model.name, time_column), []).append(metric)
    # A window reads whole days around each period: only day tables hold those.
    choice = replace(request, grain=Grain.DAY) if frame.steps else request
    by = () if frame.total else request.by
    suffix = f"__{frame.key}" if frame.key else ""
    found: list[_Part] = []
    states: list[_State] = []
    for (model_name, start_column, until_column), spans in sorted(by_span.items()):
        found.append(
            _span_part(
                spec, tables, model_name, (start_column, until_column), spans, by, where_dims,
                frame,
            )
        )  # fmt: skip
    for (model_name, time_column), members in sorted(by_key.items()):
        dims = tuple(_plan_dimension(spec, model_name, d, members[0].name) for d in by)
        wdims = tuple(_plan_dimension(spec, model_name, d, members[0].name) for d in where_dims)
        state = [m for m in members if m.is_state]
        if state:
            states.append((model_name, time_column, state, dims, wdims))
        members = [m for m in members if not m.is_state]
        if not members:
            continue
        additive = [m for m in members if m.additive]
        rows = [m for m in members if not m.additive]
        table, why = _choose_table(tables, model_name, time_column, additive, dims + wdims, choice)
        if table is None:
            rows, additive = members, []
        base_name = f"{model_name}__{time_column}"
        if additive and table is not None:
            found.append(
                _Part(
                    f"{base_name}__ind{suffix}",
                    ReadIndicator(table, why),
                    table.period_column(time_column),
                    tuple(_stored(table, d) for d in dims),
                    tuple(_stored(table, d) for d in wdims),
                    tuple(additive),
                    False,
                    frame,
                )
            )
        if rows:
            found.append(
                _Part(
                    f"{base_name}__src{suffix}",
                    ReadSource(model_name, _rows_why(rows, why)),
                    time_column,
                    dims,
                    wdims,
                    tuple(rows),
                    True,
                    frame,
                    spec.calendars,
                )
            )
    return found, states


def _grouped(part: _Part, request: QueryRequest, week_start: str, spine: PeriodSpine) -> Grouped:
    """A part as the node JoinOnKeys reads: an aggregate, over frames when it has window
    steps, under Total when total() drops the --by dimensions."""
    node: Aggregate | WindowAggregate
    if part.frame.steps:
        node = _window_aggregate(part, request, frame_nodes(part.frame, spine, week_start))
    else:
        node = _aggregate(
            part.name,
            part.read,
            part.time_column,
            part.dimensions,
            part.where_dimensions,
            list(part.metrics),
            request,
            week_start,
            from_rows=part.from_rows,
            calendars=part.calendars,
            frame=part.frame,
        )
    return Total(node) if part.frame.total and request.by else node


def frame_nodes(frame: Frame, spine: PeriodSpine, week_start: str) -> FrameNode:
    """The spine, then one node per window call of the frame, outermost first."""
    node: FrameNode = spine
    for step in frame.steps:
        match step.kind:
            case WindowKind.ROLLING:
                assert step.span is not None
                node = Rolling(node, step.span.days)
            case WindowKind.TO_DATE:
                assert step.unit is not None
                node = ToDate(node, step.unit, week_start)
            case WindowKind.SHIFT:
                assert step.span is not None
                node = Shift(node, step.span)
            case WindowKind.TOTAL:
                pass
    return node


def _window_aggregate(part: _Part, request: QueryRequest, frames: FrameNode) -> WindowAggregate:
    """read [-> join calendars] -> join dimensions -> filter (--where only) -> aggregate over
    each frame."""
    node: RowNode = part.read
    members = list(part.metrics)
    if part.from_rows:
        node, members = _with_calendars(node, members, part.calendars)
    node = _joined(node, part.dimensions, part.where_dimensions, part.time_column)
    # no date range: only the frame bounds the rows, so a window reaches before --start
    node = FilterRows(node, part.time_column, None, None, request.where, part.where_dimensions)
    return WindowAggregate(
        name=part.name,
        parent=node,
        frames=frames,
        frame=part.frame,
        time_column=part.time_column,
        period=request.grain.value if request.grain else None,
        dimensions=part.dimensions,
        metrics=tuple(members),
        partials=tuple(p for m in members for p in partials_of(m)),
        from_rows=part.from_rows,
        # a span table's quarter hours are timestamps, a day table's days dates
        dated=not (isinstance(part.read, ReadIndicator) and part.read.table.grain.intraday),
    )


# Periods of these grains all last the same: period_seconds() is a number.
FIXED_SECONDS = {
    Grain.MIN15: 900,
    Grain.MIN30: 1800,
    Grain.HOUR: 3600,
    Grain.DAY: 86400,
    Grain.WEEK: 604800,
}


def _period_seconds(
    frame: Frame, request: QueryRequest, week_start: str, spine: PeriodSpine
) -> PeriodSeconds:
    if not frame.steps:
        if request.grain in FIXED_SECONDS:
            return PeriodSeconds(frame, None, FIXED_SECONDS[request.grain])
        if request.grain is None and request.start is not None and request.end is not None:
            return PeriodSeconds(frame, None, ((request.end - request.start).days + 1) * 86400)
    return PeriodSeconds(frame, frame_nodes(frame, spine, week_start))


def _widened(request: QueryRequest, start: dt.date | None, end: dt.date | None) -> str:
    """What widening --start/--end to whole periods did ('' when they were whole already)."""
    moved = [
        f"{option} {given} is widened to {whole}"
        for option, given, whole in (("--start", request.start, start), ("--end", request.end, end))
        if given != whole
    ]
    if not moved or request.grain is None:
        return ""
    return f"{' and '.join(moved)}, so every {request.grain.value} shown is whole"


@dataclass(frozen=True, slots=True)
class _EventRead:
    parent_model: str
    time_column: str


def _event_reads(aggregates: list[Grouped]) -> list[_EventRead]:
    """The model and time column each event aggregate reads (its rows' data bounds)."""
    found = []
    for aggregate in aggregates:
        node: PlanNode = aggregate.parent
        while not isinstance(node, ReadSource | ReadIndicator):
            node = node.parents[0]
        model = node.model if isinstance(node, ReadSource) else node.table.model
        time_column = aggregate.time_column
        if isinstance(node, ReadIndicator):
            time_column = next(
                t for t in node.table.time_columns if node.table.period_column(t) == time_column
            )
        found.append(_EventRead(model, time_column))
    return found


def runs_on(metric: BaseMetric) -> bool:
    """True when an `active` metric is a running total: a sum, count or mean of values that do
    not depend on the instant (no period_end()), so its value at t is what the rows opened up
    to t add minus what the rows closed by t take away: one pass over the rows instead of a
    join of every period with every open row."""
    return metric.agg in (Agg.SUM, Agg.COUNT, Agg.AVG) and not any(
        uses_period_end(tree) for tree in (metric.expr, metric.filter)
    )


def _state_nodes(
    model: str,
    time_column: str,
    metrics: list[BaseMetric],
    dims: tuple[PlannedDimension, ...],
    wdims: tuple[PlannedDimension, ...],
    span: StateRange,
    request: QueryRequest,
) -> list[Grouped]:
    """A node per `active` span and kind (its metrics read the same open rows), and one per
    `snapshot` metric (its filter chooses the snapshot time)."""
    nodes: list[Grouped] = []
    spans: dict[tuple[str, str, bool], list[BaseMetric]] = {}
    for metric in metrics:
        if metric.active is not None:
            key = (metric.active.start, metric.active.until, runs_on(metric))
            spans.setdefault(key, []).append(metric)
            continue
        assert metric.snapshot is not None
        before = rows_before(request)
        read = _joined(
            ReadSource(model, f"snapshot {metric.snapshot.value}"), dims, wdims, time_column
        )
        rows = FilterRows(read, time_column, request.start, before, request.where, wdims)
        nodes.append(
            SnapshotAt(
                name=f"{model}__{metric.name}__snapshot",
                parent=rows,
                snapshot=metric.snapshot,
                range=span,
                time_column=time_column,
                dimensions=dims,
                metrics=(metric,),
                partials=partials_of(metric),
            )
        )
    for number, ((_, _, running), members) in enumerate(sorted(spans.items(), key=lambda i: i[0])):
        active = members[0].active
        assert active is not None
        read = _joined(
            ReadSource(model, "rows open at each period's end"), dims, wdims, time_column
        )
        # no date range: a ticket opened before --start and still open counts
        rows = FilterRows(read, time_column, None, None, request.where, wdims)
        kind = RunningTotal if running else ActiveAt
        nodes.append(
            kind(
                name=f"{model}__{time_column}__active" + (f"{number + 1}" if number else ""),
                parent=rows,
                span=active,
                range=span,
                time_column=time_column,
                dimensions=dims,
                metrics=tuple(members),
                partials=tuple(p for m in members for p in partials_of(m)),
            )
        )
    return nodes


def _joined(
    read: RowNode,
    dims: tuple[PlannedDimension, ...],
    wdims: tuple[PlannedDimension, ...],
    time_column: str,
) -> RowNode:
    """The joins the dimensions need: versions by time first, then plain keys."""
    reach = {
        d.reach.qualified_name: d.reach
        for d in (*dims, *wdims)
        if d.reach is not None and d.stored_as is None and d.reach.path
    }
    history = tuple(r for _, r in sorted(reach.items()) if r.through_history)
    plain = tuple(r for _, r in sorted(reach.items()) if not r.through_history)
    node = read
    if history:
        node = JoinVersions(node, history, time_column)
    if plain:
        node = JoinDimensions(node, plain)
    return node


def _with_calendars(
    node: RowNode, members: list[BaseMetric], calendars: tuple[Calendar, ...]
) -> tuple[RowNode, list[BaseMetric]]:
    """The calendar joins business_seconds() calls need, and the metrics with each call as
    arithmetic over the joined columns (compile/calendar.py). An end that is a plain column
    needs no join: the source table carries its open seconds."""
    trees = [t for m in members for t in (m.expr, m.filter) if t is not None]
    ends = calendar_joins(trees, calendars)
    if not ends:
        return node, members

    def expanded(tree: exp.Expr | None) -> exp.Expr | None:
        return expand_business_seconds(tree, calendars) if tree is not None else None

    members = [replace(m, expr=expanded(m.expr), filter=expanded(m.filter)) for m in members]
    joins = tuple(j for j in ends if not j.stored)
    return (JoinCalendars(node, joins) if joins else node), members


def _span_key(span: Span) -> tuple[str, str]:
    return (span.start, span.until)


def _span_part(
    spec: ProjectSpec,
    tables: tuple[IndicatorTable, ...],
    model: str,
    span: tuple[str, str],
    members: list[BaseMetric],
    by: tuple[str, ...],
    where_dims: tuple[str, ...],
    frame: Frame,
) -> _Part:
    """Span seconds re-aggregated from the span's quarter-hour table (they add up), in a
    frame as any other stored partials."""
    table = next(t for t in tables if t.model == model and t.span and _span_key(t.span) == span)
    dims = tuple(_plan_dimension(spec, model, d, members[0].name) for d in by)
    wdims = tuple(_plan_dimension(spec, model, d, members[0].name) for d in where_dims)
    # the table keeps every own dimension (so every join's key) and intervals have time parts
    assert all(_covers(table, d) for d in dims + wdims), (table.name, dims, wdims)
    suffix = f"__{frame.key}" if frame.key else ""
    return _Part(
        f"{table.name}__ind{suffix}",
        ReadIndicator(table, "span seconds are summed from quarter hours, at every grain"),
        table.period_column(span[0]),
        tuple(_stored(table, d) for d in dims),
        tuple(_stored(table, d) for d in wdims),
        tuple(members),
        False,
        frame,
    )


def _rows_why(rows: list[BaseMetric], table_why: str) -> str:
    recomputed = [m for m in rows if not m.agg.additive]
    if recomputed:
        listed = ", ".join(f"{m.name} ({m.agg.value})" for m in recomputed)
        return f"{listed}: recomputed from rows, never added up"
    return table_why


def rows_before(request: QueryRequest) -> dt.date | None:
    """The exclusive end of the rows a request reads: its cut instant, else the midnight after
    its inclusive end day (a day table's dates compare the same)."""
    if request.until is not None:
        return request.until
    return request.end + dt.timedelta(days=1) if request.end is not None else None


def cut_metrics(spec: ProjectSpec, metrics: Sequence[str]) -> tuple[str, ...]:
    """The metrics a request cut at an instant (`until`) can compute: those whose rows are
    counted at their own time (events, `active`, `snapshot`). The seconds of spans, windows
    over days and a period's length in seconds do not stop at an instant inside a day."""
    by_name = {m.name: m for m in spec.metrics}

    def whole_days_only(metric: Metric) -> bool:
        if isinstance(metric, BaseMetric):
            return metric.span is not None
        return any(
            isinstance(node, exp.Anonymous)
            and str(node.name).lower() in (*WINDOW_ARGUMENTS, *ERLANG_FUNCTIONS)
            for node in metric.expr.walk()
        )

    def cut(name: str) -> bool:
        metric = by_name.get(name)
        if metric is None or whole_days_only(metric):
            return False
        if isinstance(metric, BaseMetric):
            return True
        return all(cut(ref) for ref in column_names(metric.expr) if ref != name)

    return tuple(name for name in metrics if cut(name))


def _aggregate(
    name: str,
    read: ReadSource | ReadIndicator,
    time_column: str,
    dims: tuple[PlannedDimension, ...],
    wdims: tuple[PlannedDimension, ...],
    members: list[BaseMetric],
    request: QueryRequest,
    week_start: str,
    *,
    from_rows: bool,
    calendars: tuple[Calendar, ...] = (),
    frame: Frame = PLAIN,
) -> Aggregate:
    """read [-> join calendars] -> join dimensions -> filter -> aggregate, for one model and
    time column."""
    node: RowNode = read
    if from_rows:
        node, members = _with_calendars(node, members, calendars)
    node = _joined(node, dims, wdims, time_column)
    node = FilterRows(node, time_column, request.start, rows_before(request), request.where, wdims)
    periods = (
        (PeriodKey(request.grain.value, time_column, request.grain, week_start),)
        if request.grain
        else ()
    )
    return Aggregate(
        name=name,
        parent=node,
        time_column=time_column,
        periods=periods,
        dimensions=dims,
        metrics=tuple(members),
        partials=tuple(p for m in members for p in partials_of(m)),
        from_rows=from_rows,
        frame=frame,
    )


def _plan_dimension(spec: ProjectSpec, model: str, name: str, metric: str) -> PlannedDimension:
    if name in TIME_PARTS:
        return PlannedDimension(name=name, time_part=name)
    found = resolve_dimension(spec, model, name)
    if found.found is not None:
        return PlannedDimension(name=name, reach=found.found)
    if found.ambiguous:
        raise MflError(
            "E213",
            f"dimension '{name}' is ambiguous for model '{model}' (metric '{metric}')",
            None,
            f"name one of: {', '.join(found.ambiguous)}",
        )
    raise MflError(
        "E212",
        f"dimension '{name}' cannot be reached from model '{model}' (metric '{metric}')",
        None,
        dimension_label_hint(spec, model, name)
        or did_you_mean(name, [*found.known, *TIME_PARTS])
        or f"dimensions reachable from '{model}': {', '.join(found.known) or 'none'}",
    )


def _stored(table: IndicatorTable, dim: PlannedDimension) -> PlannedDimension:
    if dim.reach is not None and table.stores(dim.reach):
        return PlannedDimension(dim.name, dim.reach, None, table.stored_name(dim.reach))
    return dim


def _covers(table: IndicatorTable, dim: PlannedDimension) -> bool:
    if dim.time_part is not None:
        if table.grain.intraday:
            return True  # the interval's own hour and weekday
        return dim.time_part == "day_of_week" and table.grain is Grain.DAY
    assert dim.reach is not None
    if table.stores(dim.reach):
        return True
    if dim.reach.through_history:
        return False  # the version depends on each row's time, which a table has summed away
    # A joined dimension is reachable when the table keeps the first foreign key of its path.
    path = dim.reach.path
    return bool(path) and any(
        not d.path and d.dimension.name == path[0].column for d in table.dimensions
    )


def _choose_table(
    tables: tuple[IndicatorTable, ...],
    model: str,
    time_column: str,
    metrics: list[BaseMetric],
    dims: tuple[PlannedDimension, ...],
    request: QueryRequest,
) -> tuple[IndicatorTable | None, str]:
    """The indicator table that answers these additive metrics, and why (or why none does)."""
    if not metrics:
        return None, "no additive metric"
    if not request.use_indicators:
        return None, "--no-indicators"
    if request.until is not None:
        return None, f"cut at {request.until}, inside a day"
    grain = request.grain
    if grain is not None and grain.intraday:
        return None, f"{grain.value} is finer than the day that indicator tables start at"
    mine = [
        t for t in tables if t.model == model and time_column in t.time_columns and t.span is None
    ]
    if request.unbuilt and mine and all(t.name in request.unbuilt for t in mine):
        return None, "its indicator tables changed since the last build"
    mine = [t for t in mine if t.name not in request.unbuilt]
    candidates = []
    missing: list[str] = []
    for table in mine:
        if not all(m.name in table.metrics for m in metrics):
            continue
        if not all(_covers(table, d) for d in dims):
            missing += [d.name for d in dims if not _covers(table, d)]
            continue
        if table.grain is not Grain.DAY:
            if grain is None or not grain.covers(table.grain):
                continue
            if request.start is not None or request.end is not None:
                continue  # a date range may cut a coarse period in half
        candidates.append(table)
    if not candidates:
        if missing:
            shown = ", ".join(sorted(set(missing)))
            return None, f"no indicator table of {model} by {time_column} stores {shown}"
        return None, f"no indicator table of {model} holds these metrics by {time_column}"
    # The smallest table that covers the query: fewest dimensions, coarsest grain.
    order = list(Grain)
    best = min(candidates, key=lambda t: (len(t.dimensions), -order.index(t.grain), t.name))
    count = len(best.dimensions)
    size = f"{count} dimension{'s' * (count != 1)} by {best.grain.value}"
    if len(candidates) == 1:
        return best, f"{size}: the only table that holds these metrics, dimensions and grain"
    return best, f"{size}: the smallest of {len(candidates)} tables that hold them"


def indicator_tables(spec: ProjectSpec) -> tuple[IndicatorTable, ...]:
    """Every indicator table the build materialises: each model's day table, then rollups."""
    tables: list[IndicatorTable] = []
    for model in sorted(spec.models, key=lambda m: m.name):
        additive = [
            m
            for m in spec.metrics
            if isinstance(m, BaseMetric) and m.model == model.name and m.additive
        ]
        if not additive:
            continue
        times = tuple(sorted({t for m in additive if (t := metric_time(m, model)) is not None}))
        reachable = reachable_dimensions(spec, model.name)
        # A dimension through a history join is stored as it was at each row's time: a query
        # cannot join it to a day later. With two time columns that time would be ambiguous.
        kept = [d for d in reachable if d.through_history] if len(times) == 1 else []
        own = tuple(d for d in reachable if not d.path) + tuple(kept)
        metric_names = tuple(sorted(m.name for m in additive))
        tables.append(
            IndicatorTable(
                names.day_table(model.name), model.name, Grain.DAY, own, times, metric_names
            )
        )
        for declared in spec.indicators:
            if declared.model != model.name:
                continue
            dims = []
            for name in declared.dimensions:
                found = resolve_dimension(spec, model.name, name).found
                if found is not None and (len(times) == 1 or not found.through_history):
                    dims.append(found)
            tables.append(
                IndicatorTable(
                    declared.table_name,
                    model.name,
                    declared.grain,
                    tuple(dims),
                    times,
                    metric_names,
                    declared=True,
                )
            )
    for model in sorted(spec.models, key=lambda m: m.name):
        reachable = reachable_dimensions(spec, model.name)
        # a dimension through a history join is kept as it was at each interval's start
        own = tuple(d for d in reachable if not d.path) + tuple(
            d for d in reachable if d.through_history
        )
        spans: dict[tuple[str, str], list[str]] = {}
        for m in spec.metrics:
            if isinstance(m, BaseMetric) and m.model == model.name and m.span is not None:
                spans.setdefault(_span_key(m.span), []).append(m.name)
        for (start, until), members in sorted(spans.items()):
            span = next(
                m.span
                for m in spec.metrics
                if isinstance(m, BaseMetric)
                and m.model == model.name
                and m.span
                and _span_key(m.span) == (start, until)
            )
            tables.append(
                IndicatorTable(
                    names.span_table(model.name, start, until, SPAN_GRAIN.value),
                    model.name,
                    SPAN_GRAIN,
                    own,
                    (start,),
                    tuple(sorted(members)),
                    span=span,
                )
            )
    return tuple(tables)


# Span seconds are kept by quarter hour, the finest interval: every grain is a sum of them.
SPAN_GRAIN = Grain.MIN15
INTERVAL_COLUMN = "__interval"  # SplitSpans: the start of the interval a row is split into
SPAN_FROM = "__from"
SPAN_UNTIL = "__until"


# ---------------------------------------------------------------------------------------------
# The build: indicator tables and report views


def plan_indicator_table(
    table: IndicatorTable,
    spec: ProjectSpec,
    day_table: IndicatorTable | None = None,
    week_start: str = "monday",
) -> Aggregate:
    """CREATE TABLE ind.<name> AS this: additive partials by period x dimensions.

    With `day_table`, a rollup re-aggregates that table's partials instead of scanning the
    source rows again: the same numbers (sums of sums, min of mins), a fraction of the work.
    """
    metrics = {m.name: m for m in spec.metrics}
    if table.span is not None:
        return _plan_span_table(table, spec)
    read: ReadSource | ReadIndicator
    if day_table is not None:
        read = ReadIndicator(day_table, f"the rollup {table.name} re-aggregates the day table")
    else:
        read = ReadSource(table.model, f"the rows behind {table.name}")
    # a rollup takes a dimension through history as the day table stored it, never joined again
    stored = {
        d.qualified_name
        for d in table.dimensions
        if day_table is not None and d.path and day_table.stores(d)
    }
    planned = tuple(
        PlannedDimension(table.stored_name(d), d, None, table.stored_name(d))
        if d.qualified_name in stored
        else PlannedDimension(table.stored_name(d), reach=d)
        for d in table.dimensions
    )
    row_time = table.time_columns[0] if len(table.time_columns) == 1 else ""
    node = _joined(read, planned, (), row_time)
    periods = tuple(
        PeriodKey(
            table.period_column(tc),
            day_table.period_column(tc) if day_table is not None else tc,
            table.grain,
            week_start,
        )
        for tc in table.time_columns
    )
    members = []
    for name in table.metrics:
        metric = metrics[name]
        assert isinstance(metric, BaseMetric)
        members.append(metric)
    if day_table is None:
        node, members = _with_calendars(node, members, spec.calendars)
    return Aggregate(
        name=table.name,
        parent=node,
        time_column=periods[0].time_column,
        periods=periods,
        dimensions=planned,
        metrics=tuple(members),
        partials=tuple(p for m in members for p in partials_of(m)),
        from_rows=day_table is None,
    )


def span_seconds(step: tuple[str, str]) -> exp.Expr:
    """The seconds of [__from, __until) inside the interval [__interval, + step)."""
    start, until, at = (exp.column(c) for c in (SPAN_FROM, SPAN_UNTIL, INTERVAL_COLUMN))
    end = exp.Add(
        this=at.copy(),
        expression=exp.Interval(this=exp.Literal.string(step[0]), unit=exp.var(step[1])),
    )
    partial = exp.DateDiff(
        this=exp.Least(this=until.copy(), expressions=[end.copy()], ignore_nulls=True),
        expression=exp.Greatest(this=start.copy(), expressions=[at.copy()], ignore_nulls=True),
        unit=exp.var("SECOND"),
        date_part_boundary=True,
    )
    # most intervals of a span lie wholly inside it: their length, without the arithmetic
    whole = exp.and_(
        exp.LTE(this=start.copy(), expression=at.copy()),
        exp.GTE(this=until.copy(), expression=end.copy()),
    )
    seconds = _STEP_SECONDS[step]
    return exp.Case(ifs=[exp.If(this=whole, true=exp.Literal.number(seconds))], default=partial)


_STEP_SECONDS = {("15", "MINUTE"): 900, ("30", "MINUTE"): 1800, ("1", "HOUR"): 3600}


def _plan_span_table(table: IndicatorTable, spec: ProjectSpec) -> Aggregate:
    """ind.<model>_<from>_<until>_15min: rows split into quarter hours, the seconds of each."""
    span = table.span
    assert span is not None
    metrics = {m.name: m for m in spec.metrics}
    members: list[BaseMetric] = []
    columns = {d.dimension.name for d in table.dimensions if not d.path}
    for name in table.metrics:
        metric = metrics[name]
        assert isinstance(metric, BaseMetric)
        if metric.filter is not None:
            if business_calls(metric.filter):
                raise MflError(
                    "E277",
                    f"business_seconds() cannot choose the rows of seconds metric '{name}'",
                    metric.loc,
                    "filter the span's rows by their columns; business hours belong in a"
                    " sum metric",
                )
            columns |= set(column_names(metric.filter))
        members.append(replace(metric, expr=span_seconds(GRAIN_STEP[SPAN_GRAIN])))
    read = ReadSource(table.model, f"the spans behind {table.name}")
    split = SplitSpans(read, span, SPAN_GRAIN, tuple(sorted(columns)))
    dims = tuple(PlannedDimension(table.stored_name(d), reach=d) for d in table.dimensions)
    node = _joined(split, dims, (), INTERVAL_COLUMN)
    period = PeriodKey(table.period_column(span.start), INTERVAL_COLUMN, SPAN_GRAIN, aligned=True)
    return Aggregate(
        name=table.name,
        parent=node,
        time_column=INTERVAL_COLUMN,
        periods=(period,),
        dimensions=dims,
        metrics=tuple(members),
        partials=tuple(p for m in members for p in partials_of(m)),
        from_rows=True,
    )


# The step between two periods, and the way back to the same period last year: the same date
# for days and months, the same ISO week (52 weeks back) for weeks and intervals.
GRAIN_STEP = {
    Grain.MIN15: ("15", "MINUTE"),
    Grain.MIN30: ("30", "MINUTE"),
    Grain.HOUR: ("1", "HOUR"),
    Grain.DAY: ("1", "DAY"),
    Grain.WEEK: ("1", "WEEK"),
    Grain.MONTH: ("1", "MONTH"),
    Grain.QUARTER: ("3", "MONTH"),
    Grain.YEAR: ("1", "YEAR"),
}
YEAR_BACK = {
    Grain.MIN15: ("364", "DAY"),
    Grain.MIN30: ("364", "DAY"),
    Grain.HOUR: ("364", "DAY"),
    Grain.DAY: ("1", "YEAR"),
    Grain.WEEK: ("364", "DAY"),
    Grain.MONTH: ("1", "YEAR"),
    Grain.QUARTER: ("1", "YEAR"),
    Grain.YEAR: ("1", "YEAR"),
}
# How far back each comparison reaches. An interval (15min, 30min, hour) is compared with the
# same interval of the previous day, not the interval before it: 10:00 today against 10:00
# yesterday, the way a contact center's day repeats; the same period last week is 7 days back
# (the same weekday; at interval grains the same interval of it).
DAY_BACK = ("1", "DAY")
WEEK_BACK = ("7", "DAY")
COMPARISON_ALIASES = {
    Comparison.PREVIOUS_PERIOD: "prev",
    Comparison.SAME_PERIOD_LAST_YEAR: "prev_year",
    Comparison.SAME_PERIOD_LAST_WEEK: "prev_week",
}


def compared(report: Report) -> tuple[Comparison, ...]:
    """A report's comparisons in view-column order (previous period, last year, last week)."""
    return tuple(c for c in Comparison if c in report.compare)


def comparison_step(comparison: Comparison, grain: Grain) -> tuple[str, str]:
    """How far back a comparison looks at a grain, as an interval ("1", "DAY") ..."""
    if comparison is Comparison.PREVIOUS_PERIOD:
        return DAY_BACK if grain.intraday else GRAIN_STEP[grain]
    if comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        return YEAR_BACK[grain]
    return WEEK_BACK


def comparing(comparison: Comparison, grain: Grain) -> Comparing:
    """One comparison of a report view at a grain: its columns' suffixes, alias and step."""
    prev, change = names.COMPARISON_SUFFIXES[comparison.value]
    return Comparing(
        comparison,
        prev,
        change,
        COMPARISON_ALIASES[comparison],
        *comparison_step(comparison, grain),
    )


def _empty_value(name: str, metrics: Mapping[str, Metric]) -> float | None:
    """A derived metric's value in a period the spine adds; None when NULL or not known."""
    try:
        return empty_period_value(name, metrics)
    except NotKnown:
        return None


@dataclass(frozen=True, slots=True)
class ReportView:
    """One app.<report>_<grain>[_total] view: its name and its plan."""

    name: str
    report: Report
    grain: Grain
    total: bool
    plan: QueryPlan
    root: ViewNode


def plan_report_view(
    spec: ProjectSpec,
    report: Report,
    grain: Grain,
    total: bool = False,
    week_start: str = "monday",
    complete_grace_seconds: int = 3600,
) -> ReportView:
    """The plan of a report's view at a grain: metrics -> spine -> zeros -> compare -> flags
    -> complete periods (-> totals)."""
    request = QueryRequest(
        metrics=report.metrics, by=() if total else report.by, grain=grain, where=report.filter
    )
    plan = plan_query(spec, request, week_start)
    metrics = {m.name: m for m in spec.metrics}
    spine = TimeSpine(plan.root, grain, *GRAIN_STEP[grain])
    zero = tuple(
        name
        for name in report.metrics
        if isinstance(m := metrics[name], BaseMetric) and m.agg in ZERO_WHEN_EMPTY
    )
    empty = tuple(
        (name, value)
        for name in report.metrics
        if isinstance(metrics[name], DerivedMetric)
        and (value := _empty_value(name, metrics)) is not None
    )
    comparisons = tuple(comparing(c, grain) for c in compared(report))
    # Rates change in percentage points: 5 % -> 7 % is +0.02, not +40 %; so do scores that
    # cross zero, such as NPS (-5 -> 5 is +10, not -200 %).
    points = tuple(n for n in report.metrics if change_of(metrics[n]) is Change.POINTS)
    compare = Compare(FillZeros(spine, zero, empty), grain, comparisons, points)
    flags = tuple(
        Flag(name, target.min, target.max)
        for name in report.metrics
        if (target := metrics[name].target) is not None
    )
    flagged = FlagTargets(compare, flags)
    complete = FlagComplete(
        flagged,
        grain,
        model_times(spec, report.metrics),
        complete_grace_seconds,
        *GRAIN_STEP[grain],
    )
    root: ViewNode = Totals(complete, report.by) if total else complete
    return ReportView(
        names.report_view(report.name, grain.value, total), report, grain, total, plan, root
    )


def plan_report_views(
    spec: ProjectSpec,
    report: Report,
    week_start: str = "monday",
    complete_grace_seconds: int = 3600,
) -> tuple[ReportView, ...]:
    """app.<report>_<grain> for each grain of a report; with dimensions, the _total view too."""
    views = []
    for grain in report.grains:
        views.append(
            plan_report_view(spec, report, grain, False, week_start, complete_grace_seconds)
        )
        if report.by:
            views.append(
                plan_report_view(spec, report, grain, True, week_start, complete_grace_seconds)
            )
    return tuple(views)


# The data of one model whose bounds say whether a period is complete: (model, the column of
# its first time value, the column of its last); one time column twice, or a span's ends.
ModelTime: TypeAlias = tuple[str, str, str]


def model_times(spec: ProjectSpec, metrics: Sequence[str]) -> tuple[ModelTime, ...]:
    """What the metrics read, through derived metrics, sorted: the data whose bounds say
    whether a period is complete. A seconds metric's data runs from its first `from` to its
    last `until` (its seconds lie there, not at the model's time column)."""
    by_name = {m.name: m for m in spec.metrics}
    found: set[ModelTime] = set()
    for name in metrics:
        for base in base_metrics_of(name, by_name):
            metric = by_name[base]
            assert isinstance(metric, BaseMetric)
            if metric.span is not None:
                found.add((metric.model, metric.span.start, metric.span.until))
                continue
            model = spec.model(metric.model)
            time = metric.time or (model.time if model else None)
            if time:
                found.add((metric.model, time, time))
    return tuple(sorted(found))
