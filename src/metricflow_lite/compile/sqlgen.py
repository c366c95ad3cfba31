"""Plan nodes -> sqlglot trees -> SQL text per dialect: *how* each node is written.

One `render_<kind>` function per node kind of plan.py; each takes the node and its rendered
parents, never the spec or the planner, and writes the node's `-- <node>` comment (its
`describe()`). A rendered node is a `Rendered`: the FROM/JOIN/WHERE/GROUP BY frame of a SELECT,
its output columns by name, the CTEs it needs, and the comments of the nodes that made it.
A node either extends its parent's SELECT (a filter, a join, the metric formulas, zero
filling, target flags) or wraps it as a CTE and selects from that (an aggregate, the time
spine, comparisons). Trees are DuckDB-flavoured; dialects.py rewrites them per engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.dialects import render as render_dialect
from metricflow_lite.compile.erlang import with_erlang
from metricflow_lite.compile.frames import PLAIN, Frame
from metricflow_lite.compile.joins import typed_join
from metricflow_lite.compile.plan import (
    GRAIN_STEP,
    INTERVAL_COLUMN,
    SPAN_FROM,
    SPAN_UNTIL,
    ActiveAt,
    Aggregate,
    Compare,
    ComputeMetrics,
    FillZeros,
    FilterRows,
    FlagComplete,
    FlagTargets,
    Grouped,
    JoinCalendars,
    JoinDimensions,
    JoinOnKeys,
    JoinVersions,
    Partial,
    PeriodSeconds,
    PeriodSpine,
    PlannedDimension,
    PlanNode,
    QueryPlan,
    ReadIndicator,
    ReadSource,
    Rolling,
    RunningTotal,
    Shift,
    SnapshotAt,
    SplitSpans,
    StateRange,
    TimeSpine,
    ToDate,
    Total,
    Totals,
    WindowAggregate,
)
from metricflow_lite.spec.expr import (
    column_path,
    safe_div,
    substitute_columns,
    substitute_period_end,
    with_safe_division,
)
from metricflow_lite.spec.joins import ReachableDimension
from metricflow_lite.spec.model import (
    Agg,
    BaseMetric,
    DerivedMetric,
    Grain,
    Metric,
    Model,
    Snapshot,
)
from metricflow_lite.spec.windows import PERIOD_SECONDS, Span, call_name, step_of

BASE_ALIAS = "m"


def ident(name: str) -> exp.Identifier:
    """A safely quoted identifier for a user-supplied name."""
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table_ref(schema: str, name: str, alias: str | None = None) -> exp.Table:
    table = exp.Table(this=ident(name), db=ident(schema))
    if alias:
        table.set("alias", exp.TableAlias(this=ident(alias)))
    return table


def date_literal(day: dt.date) -> exp.Expr:
    """A DATE, or a TIMESTAMP for a datetime (a cut inside a day)."""
    if isinstance(day, dt.datetime):
        text = day.replace(tzinfo=None).isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.Type.TIMESTAMP)
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def truncate(unit: str, value: exp.Expr) -> exp.Expr:
    return exp.TimestampTrunc(this=value, unit=exp.var(unit))


def as_date(value: exp.Expr) -> exp.Expr:
    return exp.cast(value, exp.DataType.Type.DATE)


def days(n: int) -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(str(n)), unit=exp.var("DAY"))


def period_start(grain: Grain, value: exp.Expr, week_start: str) -> exp.Expr:
    """The start of the period of `grain` containing a timestamp or date."""
    match grain:
        case Grain.MIN15 | Grain.MIN30:
            step = exp.Literal.number(15 if grain is Grain.MIN15 else 30)
            minute = exp.Extract(this=exp.var("MINUTE"), expression=value.copy())
            half = exp.Mul(
                this=exp.Floor(this=exp.Div(this=minute, expression=step)),
                expression=step.copy(),
            )
            offset = exp.Mul(
                this=exp.cast(half, exp.DataType.Type.INT),
                expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MINUTE")),
            )
            return exp.Add(this=truncate("HOUR", value), expression=offset)
        case Grain.HOUR:
            return truncate("HOUR", value)
        case Grain.DAY:
            return as_date(value)
        case Grain.WEEK:
            if week_start == "sunday":
                # A Sunday week is the ISO (Monday) week of the next day, shifted back a day.
                shifted = exp.Add(this=as_date(value), expression=days(1))
                return as_date(exp.Sub(this=truncate("WEEK", shifted), expression=days(1)))
            return as_date(truncate("WEEK", value))
        case Grain.MONTH | Grain.QUARTER | Grain.YEAR:
            return as_date(truncate(grain.value.upper(), value))
    raise AssertionError(grain)


def time_part(part: str, value: exp.Expr) -> exp.Expr:
    """hour_of_day (0-23) or day_of_week (ISO: 1 = Monday .. 7 = Sunday)."""
    unit = "HOUR" if part == "hour_of_day" else "ISODOW"
    return exp.Extract(this=exp.var(unit), expression=value)


def join_alias(dim: ReachableDimension, depth: int) -> str:
    return "__".join([BASE_ALIAS] + [hop.role for hop in dim.path[:depth]])


def add_joins(
    select: exp.Select, dims: Iterable[ReachableDimension], time_value: exp.Expr | None = None
) -> exp.Select:
    """LEFT JOIN each model on a dimension's path once (many-to-one joins never fan out).

    A model with `valid:` is joined to the version whose [from, until) holds `time_value`, the
    row's metric time; no such version leaves the dimension NULL. A model the select already
    joins (under the same alias) is not joined again.
    """
    seen: set[str] = {j.alias_or_name for j in select.args.get("joins") or []}
    for dim in sorted(dims, key=lambda d: d.qualified_name):
        for depth, hop in enumerate(dim.path, start=1):
            alias = join_alias(dim, depth)
            if alias in seen:
                continue
            seen.add(alias)
            left = join_alias(dim, depth - 1)
            condition: exp.Expr = exp.EQ(
                this=col(hop.column, left), expression=col(hop.primary_key, alias)
            )
            joined: exp.Expr = table_ref(names.SRC, hop.model, alias)
            if hop.valid is not None:
                assert time_value is not None, f"a join into {hop.model} needs the row's time"
                joined = versions_with_end(hop.model, hop.valid.until, alias)
                condition = exp.and_(
                    condition,
                    exp.LTE(this=col(hop.valid.start, alias), expression=time_value.copy()),
                    exp.GT(this=col(names.VERSION_END, alias), expression=time_value.copy()),
                )
            select = select.join(typed_join(joined, "LEFT"), on=condition)
    return select


def versions_with_end(model: str, until: str, alias: str) -> exp.Subquery:
    """(SELECT *, COALESCE(until, +infinity) AS <VERSION_END> FROM src.<model>) AS alias.

    A version holds a row's time t when `from <= t AND end > t`: two plain comparisons, which
    DuckDB evaluates inside its hash join, where `until IS NULL OR until > t` was a residual
    OR that made the time-valid team report 1.7x the plain join (1.5x with this; measured in
    benchmarks/state.py). Only an instant of +infinity itself, not a real event time, finds no
    current version."""
    end_of_time = exp.cast(exp.Literal.string("infinity"), exp.DataType.Type.TIMESTAMP)
    versions = exp.select(
        exp.Star(),
        exp.alias_(
            exp.Coalesce(this=col(until), expressions=[end_of_time]), ident(names.VERSION_END)
        ),
    ).from_(table_ref(names.SRC, model))
    return exp.Subquery(this=versions, alias=exp.TableAlias(this=ident(alias)))


def holds(start: str, until: str, alias: str, instant: exp.Expr) -> exp.Expr:
    """`start <= instant AND (until IS NULL OR until > instant)`: the half-open [start, until)
    of a row (an open ticket, a version of an agent) holds the instant."""
    return exp.and_(
        exp.LTE(this=col(start, alias), expression=instant.copy()),
        exp.Paren(
            this=exp.or_(
                exp.Is(this=col(until, alias), expression=exp.Null()),
                exp.GT(this=col(until, alias), expression=instant.copy()),
            )
        ),
    )


def dimension_value(dim: PlannedDimension, time_value: exp.Expr) -> exp.Expr:
    """The SQL value of a dimension inside a group query (table alias m and join aliases)."""
    if dim.time_part is not None:
        return time_part(dim.time_part, time_value.copy())
    if dim.stored_as is not None:
        return col(dim.stored_as, BASE_ALIAS)
    assert dim.reach is not None
    return col(dim.reach.dimension.name, join_alias(dim.reach, len(dim.reach.path)))


def qualify(tree: exp.Expr, alias: str) -> exp.Expr:
    """Model columns in a metric's SQL, pinned to the model's table (joins add columns)."""
    return substitute_columns(
        tree, lambda c: exp.Column(this=c.this.copy(), table=ident(alias)) if not c.table else None
    )


def row_aggregate(metric: BaseMetric, partial: Partial) -> exp.Expr:
    """The aggregate of a partial over source rows, with the metric's filter applied."""
    value = qualify(metric.expr, BASE_ALIAS) if metric.expr is not None else None
    condition = qualify(metric.filter, BASE_ALIAS) if metric.filter is not None else None
    if partial.part == "count" and value is None:
        if condition is None:
            return exp.Count(this=exp.Star())
        value = exp.Literal.number(1)
    assert value is not None
    if condition is not None:
        # CASE WHEN rather than FILTER: every engine ignores the NULLs it leaves.
        value = exp.Case(ifs=[exp.If(this=condition, true=value)])
    match partial.part:
        case "sum":
            return exp.Sum(this=value)
        case "count":
            return exp.Count(this=value)
        case "min":
            return exp.Min(this=value)
        case "max":
            return exp.Max(this=value)
        case "value":
            if metric.agg is Agg.COUNT_DISTINCT:
                return exp.Count(this=exp.Distinct(expressions=[value]))
            if metric.agg is Agg.MEDIAN:
                return exp.PercentileCont(this=value, expression=exp.Literal.number(0.5))
            return exp.PercentileCont(
                this=value, expression=exp.Literal.number(metric.percentile or 0.5)
            )
    raise AssertionError(partial.part)


PartialColumn = Callable[[Partial, Frame], exp.Expr]
SecondsColumn = Callable[[Frame], exp.Expr]


def metric_value(
    name: str,
    metrics: Mapping[str, Metric],
    parts_of: Mapping[str, tuple[Partial, ...]],
    partial_column: PartialColumn,
    frame: Frame = PLAIN,
    seconds: SecondsColumn | None = None,
) -> exp.Expr:
    """A metric's final value from its aggregated partials; derived metrics recomputed.

    A window call reads its metric's partials in a wider frame: the same formula over the
    window's parts (rolling abandonment = 7 days' abandoned / 7 days' offered)."""
    metric = metrics[name]
    if isinstance(metric, DerivedMetric):
        return _formula_value(metric.expr, metrics, parts_of, partial_column, frame, seconds)
    parts = {p.part: partial_column(p, frame) for p in parts_of[name]}
    match metric.agg:
        case Agg.COUNT | Agg.COUNT_DISTINCT:
            # No rows in a period is zero calls, not unknown.
            key = "count" if metric.agg is Agg.COUNT else "value"
            return exp.Coalesce(this=parts[key], expressions=[exp.Literal.number(0)])
        case Agg.SUM:
            return parts["sum"]
        case Agg.SECONDS:
            # a period no span reaches has 0 s, not an unknown number
            return exp.Coalesce(this=parts["sum"], expressions=[exp.Literal.number(0)])
        case Agg.AVG:
            return safe_div(parts["sum"], parts["count"])
        case Agg.MIN:
            return parts["min"]
        case Agg.MAX:
            return parts["max"]
        case Agg.MEDIAN | Agg.PERCENTILE:
            return parts["value"]
    raise AssertionError(metric.agg)


def _formula_value(
    tree: exp.Expr,
    metrics: Mapping[str, Metric],
    parts_of: Mapping[str, tuple[Partial, ...]],
    partial_column: PartialColumn,
    frame: Frame,
    seconds: SecondsColumn | None,
) -> exp.Expr:
    def swap(node: exp.Expr) -> exp.Expr:
        name = call_name(node)
        if name == PERIOD_SECONDS:
            assert seconds is not None
            return seconds(frame)
        if name is not None:
            inner = frame.then(step_of(node))
            arg = node.expressions[0]
            value = _formula_value(arg, metrics, parts_of, partial_column, inner, seconds)
            return exp.Paren(this=value)
        if isinstance(node, exp.Column):
            value = metric_value(node.name, metrics, parts_of, partial_column, frame, seconds)
            return exp.Paren(this=value)
        return node

    return with_safe_division(tree).transform(swap)


# ---------------------------------------------------------------------------------------------
# Rendering nodes


@dataclass(frozen=True, slots=True)
class Rendered:
    """A node as SQL: `frame` (FROM ... WHERE ... GROUP BY, no select list) and `columns`."""

    frame: exp.Select
    columns: tuple[tuple[str, exp.Expr], ...] = ()  # output name -> value in the frame's scope
    ctes: tuple[tuple[str, exp.Query], ...] = ()  # named queries the frame reads, in order
    comments: tuple[str, ...] = ()  # one per node that shaped this SELECT, leaves first
    order: tuple[exp.Expr, ...] = ()  # how the final query is ordered (the keys)

    def column(self, name: str) -> exp.Expr:
        return dict(self.columns)[name].copy()

    def select(self) -> exp.Select:
        """The frame with its select list and comments: one SELECT."""
        select = self.frame.copy()
        # copy=False: appending to our own fresh tree; a copy per column is quadratic in metrics
        for name, value in self.columns:
            select = select.select(exp.alias_(value.copy(), ident(name)), copy=False)
        if self.comments:
            select.add_comments(list(self.comments))
        return select

    def with_comment(self, node: PlanNode) -> Rendered:
        return replace(self, comments=(*self.comments, node.describe()))

    def as_cte(self, name: str) -> tuple[tuple[str, exp.Query], ...]:
        """The CTEs a reader of this node needs, this node's SELECT last under `name`."""
        return (*self.ctes, (name, self.select()))


def named(name: str, alias: str | None = None) -> exp.Table:
    """A CTE by name (optionally under an alias)."""
    table = exp.Table(this=ident(name))
    if alias:
        table.set("alias", exp.TableAlias(this=ident(alias)))
    return table


def render_read_source(node: ReadSource) -> Rendered:
    frame = exp.select().from_(table_ref(names.SRC, node.model, BASE_ALIAS))
    return Rendered(frame).with_comment(node)


def render_read_indicator(node: ReadIndicator) -> Rendered:
    frame = exp.select().from_(table_ref(names.IND, node.table.name, BASE_ALIAS))
    return Rendered(frame).with_comment(node)


def render_join_dimensions(node: JoinDimensions, parent: Rendered) -> Rendered:
    return replace(parent, frame=add_joins(parent.frame, node.dimensions)).with_comment(node)


def render_join_versions(node: JoinVersions, parent: Rendered) -> Rendered:
    time_value = col(node.time_column, BASE_ALIAS)
    frame = add_joins(parent.frame, node.dimensions, time_value)
    return replace(parent, frame=frame).with_comment(node)


def render_join_calendars(node: JoinCalendars, parent: Rendered) -> Rendered:
    """(SELECT m.*, <end> in seconds from the calendar's first day per join FROM ...) AS m,
    LEFT JOIN each calendar on the end's date: business_seconds() arithmetic reads each end's
    seconds as a column, computed once per row."""
    inner = parent.frame.copy().select(
        exp.Column(this=exp.Star(), table=ident(BASE_ALIAS)), copy=False
    )
    for join in node.joins:
        seconds = qualify(join.seconds(), BASE_ALIAS)
        inner = inner.select(exp.alias_(seconds, ident(join.seconds_column)), copy=False)
    frame = exp.select().from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(BASE_ALIAS)))
    )
    for join in node.joins:
        on = join.join_on(qualify(join.at, BASE_ALIAS))
        frame = frame.join(typed_join(join.table(), "LEFT"), on=on)
    return replace(parent, frame=frame).with_comment(node)


def render_split_spans(node: SplitSpans, parent: Rendered) -> Rendered:
    """SELECT columns, from, until, each interval start FROM (...) WHERE until > from, as m."""
    start, until = col(node.span.start, BASE_ALIAS), col(node.span.until, BASE_ALIAS)
    amount, unit = GRAIN_STEP[node.grain]
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=period_start(node.grain, start.copy(), "monday"),
            end=until.copy(),
            step=interval(amount, unit),
        )
    )
    inner = parent.frame.copy()
    for name in node.columns:
        inner = inner.select(exp.alias_(col(name, BASE_ALIAS), ident(name)), copy=False)
    inner = inner.select(
        exp.alias_(start.copy(), ident(SPAN_FROM)),
        exp.alias_(until.copy(), ident(SPAN_UNTIL)),
        exp.alias_(series, ident(INTERVAL_COLUMN)),
        copy=False,
    )
    inner = inner.where(exp.GT(this=until.copy(), expression=start.copy()))
    if parent.comments:
        inner.add_comments(list(parent.comments))
    # the series ends at `until` itself: an interval starting there holds 0 s of the span
    frame = (
        exp.select()
        .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(BASE_ALIAS))))
        .where(
            exp.LT(this=col(INTERVAL_COLUMN, BASE_ALIAS), expression=col(SPAN_UNTIL, BASE_ALIAS))
        )
    )
    return Rendered(frame, (), parent.ctes, (node.describe(),))


def render_filter_rows(node: FilterRows, parent: Rendered) -> Rendered:
    time_value = col(node.time_column, BASE_ALIAS)
    conditions: list[exp.Expr] = [
        exp.Not(this=exp.Is(this=time_value.copy(), expression=exp.Null()))
    ]
    if node.start is not None:
        conditions.append(exp.GTE(this=time_value.copy(), expression=date_literal(node.start)))
    if node.before is not None:
        conditions.append(exp.LT(this=time_value.copy(), expression=date_literal(node.before)))
    if node.where is not None:
        values = {d.name: dimension_value(d, time_value) for d in node.where_dimensions}
        conditions.append(
            exp.Paren(this=substitute_columns(node.where, lambda c: values.get(column_path(c))))
        )
    frame = parent.frame.where(exp.and_(*conditions))
    return replace(parent, frame=frame).with_comment(node)


def render_aggregate(node: Aggregate, parent: Rendered) -> Rendered:
    time_value = col(node.time_column, BASE_ALIAS)
    keys: list[tuple[str, exp.Expr]] = [
        (
            p.column,
            col(p.time_column, BASE_ALIAS)
            if p.aligned
            else period_start(p.grain, col(p.time_column, BASE_ALIAS), p.week_start),
        )
        for p in node.periods
    ]
    keys += [(d.name, dimension_value(d, time_value)) for d in node.dimensions]
    metrics = {m.name: m for m in node.metrics}
    values: list[tuple[str, exp.Expr]] = []
    for partial in node.partials:
        if node.from_rows:
            value = row_aggregate(metrics[partial.metric], partial)
        else:
            value = exp.func(partial.reaggregate, col(partial.column, BASE_ALIAS))
        values.append((node.column_of(partial), value))
    frame = parent.frame
    if keys:
        frame = frame.group_by(*[value.copy() for _, value in keys])
    return replace(parent, frame=frame, columns=(*keys, *values)).with_comment(node)


# --- state metrics: every period of a range, read at its end or at its last snapshot ---------

PERIOD = "__period"  # a period's start in the time spine of a state node
PERIOD_END = "__end"  # the period's end instant: the next period's start
SPINE_ALIAS = "p"
ROWS_PARTIAL = "__rows"  # how many rows a running total holds at a period's end


def _day_bounds(span: StateRange) -> exp.Select:
    """SELECT lo, hi: the first and last day of the range (the given days, else the first and
    last day with a time value in the models of its bounds)."""
    parts: list[exp.Select] = []
    for model, time_column in span.bounds:
        time_value = col(time_column)
        parts.append(
            exp.select(
                exp.alias_(as_date(exp.Min(this=time_value.copy())), "lo"),
                exp.alias_(as_date(exp.Max(this=time_value.copy())), "hi"),
            )
            .from_(table_ref(names.SRC, model))
            .where(exp.Not(this=exp.Is(this=time_value.copy(), expression=exp.Null())))
        )
    data = parts[0]
    if len(parts) > 1:
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        data = exp.select(
            exp.alias_(exp.Min(this=col("lo")), "lo"), exp.alias_(exp.Max(this=col("hi")), "hi")
        ).from_(exp.Subquery(this=union, alias=exp.TableAlias(this=ident("models"))))
    if span.start is None and span.end is None:
        return data
    low = date_literal(span.start) if span.start is not None else col("lo", "data")
    high = date_literal(span.end) if span.end is not None else col("hi", "data")
    select = exp.select(exp.alias_(low, "lo"), exp.alias_(high, "hi"))
    if span.start is None or span.end is None:
        select = select.from_(exp.Subquery(this=data, alias=exp.TableAlias(this=ident("data"))))
    return select


def period_spine(span: StateRange) -> exp.Select:
    """(__period, __end) for every period of the range; without a grain one row, the range's
    end instant (the midnight after its last day)."""
    grain = span.grain
    bounds = exp.Subquery(this=_day_bounds(span), alias=exp.TableAlias(this=ident("bounds")))
    if grain is None:
        end: exp.Expr = exp.cast(
            exp.Add(this=col("hi", "bounds"), expression=days(1)), exp.DataType.Type.TIMESTAMP
        )
        if span.until is not None:  # a period in progress, cut at the time its data ends
            end = date_literal(span.until)
        return exp.select(exp.alias_(end, ident(PERIOD_END))).from_(bounds)
    step = interval(*GRAIN_STEP[grain])
    low: exp.Expr = col("lo", "bounds")
    high: exp.Expr = col("hi", "bounds")
    if grain.intraday:
        low = exp.cast(low, exp.DataType.Type.TIMESTAMP)
        high = exp.Sub(
            this=exp.cast(exp.Add(this=high, expression=days(1)), exp.DataType.Type.TIMESTAMP),
            expression=step.copy(),
        )
    else:
        low = period_start(grain, low, span.week_start)
        high = period_start(grain, high, span.week_start)
    series = exp.Explode(this=exp.GenerateSeries(start=low, end=high, step=step.copy()))
    starts = exp.select(exp.alias_(as_period(series, grain), ident(PERIOD))).from_(bounds)
    end = exp.cast(exp.Add(this=col(PERIOD), expression=step.copy()), exp.DataType.Type.TIMESTAMP)
    return exp.select(col(PERIOD), exp.alias_(end, ident(PERIOD_END))).from_(
        exp.Subquery(this=starts, alias=exp.TableAlias(this=ident("starts")))
    )


def _cte_name(node: ActiveAt | RunningTotal | SnapshotAt, part: str) -> str:
    # named for the node: Spark lifts nested CTEs to the top, where two nodes' would clash
    return f"{node.name}__{part}"


def _spine_table(node: ActiveAt | RunningTotal | SnapshotAt) -> exp.Table:
    return named(_cte_name(node, "periods"), SPINE_ALIAS)


def _every_period(
    node: ActiveAt | SnapshotAt, rows: Rendered, spine: exp.Select, comments: tuple[str, ...]
) -> Rendered:
    """The node's rows for every period of the spine: a period without rows still gets one
    (for each dimension combination the node has), its counts 0."""
    rows_name = _cte_name(node, "rows")
    periods = (_cte_name(node, "periods"), spine)
    grain = node.range.grain
    if grain is None:
        # one row (or one per combination) at the range's end already
        return replace(rows, ctes=(periods, *rows.ctes), comments=comments)
    dims = [d.name for d in node.dimensions]
    frame = exp.select().from_(_spine_table(node))
    columns: list[tuple[str, exp.Expr]] = [(grain.value, col(PERIOD, SPINE_ALIAS))]
    conditions: list[exp.Expr] = [
        exp.EQ(this=col(grain.value, "rows"), expression=col(PERIOD, SPINE_ALIAS))
    ]
    if dims:
        combos = exp.select(*[col(d) for d in dims]).distinct().from_(named(rows_name))
        frame = frame.join(
            typed_join(
                exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))), "CROSS"
            ),
        )
        columns += [(d, col(d, "combos")) for d in dims]
        conditions += [
            exp.NullSafeEQ(this=col(d, "rows"), expression=col(d, "combos")) for d in dims
        ]
    columns += [(p.column, col(p.column, "rows")) for p in node.partials]
    frame = frame.join(typed_join(named(rows_name, "rows"), "LEFT"), on=exp.and_(*conditions))
    ctes = (periods, *rows.ctes, (rows_name, rows.select()))
    return Rendered(frame, tuple(columns), ctes, comments)


def render_active_at(node: ActiveAt, parent: Rendered) -> Rendered:
    """periods p JOIN rows open at p's end; partials by period x dimensions; every period."""
    instant = col(PERIOD_END, SPINE_ALIAS)
    time_value = col(node.time_column, BASE_ALIAS)
    keys: list[tuple[str, exp.Expr]] = []
    if node.range.grain is not None:
        keys.append((node.range.grain.value, col(PERIOD, SPINE_ALIAS)))
    keys += [(d.name, dimension_value(d, time_value)) for d in node.dimensions]
    metrics = {m.name: m for m in node.metrics}
    values: list[tuple[str, exp.Expr]] = []
    for partial in node.partials:
        metric = metrics[partial.metric]
        at_instant = replace(
            metric,
            expr=substitute_period_end(metric.expr, instant) if metric.expr else None,
            filter=substitute_period_end(metric.filter, instant) if metric.filter else None,
        )
        values.append((partial.column, row_aggregate(at_instant, partial)))
    frame = parent.frame.join(
        typed_join(_spine_table(node), "INNER"),
        on=holds(node.span.start, node.span.until, BASE_ALIAS, instant),
    )
    if keys:
        frame = frame.group_by(*[value.copy() for _, value in keys])
    rows = replace(parent, frame=frame, columns=(*keys, *values))
    return _every_period(node, rows, period_spine(node.range), (node.describe(),))


def render_snapshot_at(node: SnapshotAt, parent: Rendered) -> Rendered:
    """Rows passing the filters, each with its period's latest (earliest) time (a window);
    the metric over the rows at that time by period x dimensions; every period."""
    grain = node.range.grain
    [metric] = node.metrics
    time_value = col(node.time_column, BASE_ALIAS)
    period = period_start(grain, time_value.copy(), node.range.week_start) if grain else None
    pick_of = exp.Max if node.snapshot is Snapshot.LAST else exp.Min
    pick = exp.Window(
        this=pick_of(this=time_value.copy()),
        partition_by=[period.copy()] if period is not None else [],
    )
    frame = parent.frame
    if metric.filter is not None:
        frame = frame.where(exp.Paren(this=qualify(metric.filter, BASE_ALIAS)))
    picked: list[tuple[str, exp.Expr]] = []
    if period is not None:
        picked.append((PERIOD, period))
    dim_columns = [f"__d{i}" for i in range(len(node.dimensions))]
    picked += [
        (c, dimension_value(d, time_value))
        for c, d in zip(dim_columns, node.dimensions, strict=True)
    ]
    picked.append(("__pick", pick))
    rows = frame.select(exp.Column(this=exp.Star(), table=ident(BASE_ALIAS)))
    for name, value in picked:
        rows = rows.select(exp.alias_(value, ident(name)), copy=False)
    rows.add_comments(list(parent.comments))
    keys: list[tuple[str, exp.Expr]] = []
    if grain is not None:
        keys.append((grain.value, col(PERIOD, BASE_ALIAS)))
    keys += [
        (d.name, col(c, BASE_ALIAS)) for c, d in zip(dim_columns, node.dimensions, strict=True)
    ]
    values = [(p.column, row_aggregate(replace(metric, filter=None), p)) for p in node.partials]
    at_pick = (
        exp.select()
        .from_(exp.Subquery(this=rows, alias=exp.TableAlias(this=ident(BASE_ALIAS))))
        .where(exp.EQ(this=col(node.time_column, BASE_ALIAS), expression=col("__pick", BASE_ALIAS)))
    )
    if keys:
        at_pick = at_pick.group_by(*[value.copy() for _, value in keys])
    grouped = Rendered(at_pick, (*keys, *values), parent.ctes)
    return _every_period(node, grouped, period_spine(node.range), (node.describe(),))


def _signed(value: exp.Expr, sign: int) -> exp.Expr:
    return value if sign > 0 else exp.Neg(this=exp.Paren(this=value))


def _changes(node: RunningTotal, parent: Rendered, sign: int) -> exp.Select:
    """One change per row: +value when it opens (`from`), -value when it closes (`until`; a
    row closed before it opened is closed when it opens), with the row's dimensions."""
    start = col(node.span.start, BASE_ALIAS)
    until = col(node.span.until, BASE_ALIAS)
    at = start if sign > 0 else exp.Greatest(this=start.copy(), expressions=[until.copy()])
    time_value = col(node.time_column, BASE_ALIAS)
    select = parent.frame.where(exp.Not(this=exp.Is(this=start.copy(), expression=exp.Null())))
    if sign < 0:
        select = select.where(exp.Not(this=exp.Is(this=until.copy(), expression=exp.Null())))
    select = select.select(exp.alias_(at, ident("__at")))
    for dim in node.dimensions:
        select = select.select(exp.alias_(dimension_value(dim, time_value), ident(dim.name)))
    select = select.select(exp.alias_(exp.Literal.number(sign), ident(ROWS_PARTIAL)))
    metrics = {m.name: m for m in node.metrics}
    for partial in node.partials:
        metric = metrics[partial.metric]
        value = qualify(metric.expr, BASE_ALIAS) if metric.expr is not None else None
        condition = qualify(metric.filter, BASE_ALIAS) if metric.filter is not None else None
        if partial.part == "count":
            counted: exp.Expr = exp.Literal.number(1)
            checks = [c for c in (condition,) if c is not None]
            if value is not None:
                checks.append(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
            if checks:
                counted = exp.Case(
                    ifs=[exp.If(this=exp.and_(*checks), true=counted)],
                    default=exp.Literal.number(0),
                )
            change = _signed(counted, sign)
        else:
            assert value is not None and partial.part == "sum"
            summed = value.copy()
            if condition is not None:
                summed = exp.Case(ifs=[exp.If(this=condition.copy(), true=summed)])
            change = _signed(summed, sign)
        select = select.select(exp.alias_(change, ident(partial.column)), copy=False)
    return select


def render_running_total(node: RunningTotal, parent: Rendered) -> Rendered:
    """changes (+ at from, - at until) -> deltas per period x dimensions -> the running sum
    over the periods in order, for every period x combination."""
    grain = node.range.grain
    spine = period_spine(node.range)
    dims = [d.name for d in node.dimensions]
    partials = [ROWS_PARTIAL, *(p.column for p in node.partials)]
    changes = exp.union(_changes(node, parent, 1), _changes(node, parent, -1), distinct=False)
    changes.add_comments(list(parent.comments))
    changes_name = _cte_name(node, "changes")
    periods = (_cte_name(node, "periods"), spine)
    if grain is None:
        # at the range's end: everything that changed up to that instant
        end = exp.select(col(PERIOD_END)).from_(named(periods[0]))
        at_end = exp.select().from_(named(changes_name, "c"))
        at_end = at_end.where(exp.LTE(this=col("__at", "c"), expression=exp.Subquery(this=end)))
        held = exp.Sum(this=col(ROWS_PARTIAL, "c"))
        if dims:
            # a combination with no row open at the end has no row, as in a join
            at_end = at_end.group_by(*[col(d, "c") for d in dims]).having(
                exp.GT(this=held.copy(), expression=exp.Literal.number(0))
            )
        ended: list[tuple[str, exp.Expr]] = [(d, col(d, "c")) for d in dims]
        for name in partials[1:]:
            total: exp.Expr = exp.Sum(this=col(name, "c"))
            if name.endswith("__sum"):
                opened = exp.GT(this=held.copy(), expression=exp.Literal.number(0))
                total = exp.Case(ifs=[exp.If(this=opened, true=total)])
            ended.append((name, total))
        ctes = (periods, *parent.ctes, (changes_name, changes))
        return Rendered(at_end, tuple(ended), ctes, (node.describe(),))
    # a change at instant x counts from the period that ends at x or later: the period of x - 1us
    before = exp.Sub(
        this=exp.cast(col("__at", "c"), exp.DataType.Type.TIMESTAMP),
        expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MICROSECOND")),
    )
    bucket = period_start(grain, before, node.range.week_start)
    bounds = exp.select(
        exp.alias_(exp.Min(this=col(PERIOD)), "first_period"),
        exp.alias_(exp.Max(this=col(PERIOD)), "last_period"),
    ).from_(named(periods[0]))
    # changes before the range add up into its first period; later ones are not read
    clamped = exp.Greatest(this=bucket, expressions=[col("first_period", "b")])
    deltas = (
        exp.select(exp.alias_(clamped, ident(PERIOD)))
        .from_(named(changes_name, "c"))
        .join(typed_join(exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("b"))), "CROSS"))
    )
    for dim in dims:
        deltas = deltas.select(exp.alias_(col(dim, "c"), ident(dim)), copy=False)
    for name in partials:
        deltas = deltas.select(exp.alias_(exp.Sum(this=col(name, "c")), ident(name)), copy=False)
    deltas = deltas.where(exp.LTE(this=bucket.copy(), expression=col("last_period", "b")))
    deltas = deltas.group_by(clamped.copy(), *[col(d, "c") for d in dims])
    deltas_name = _cte_name(node, "deltas")
    order = exp.Order(expressions=[exp.Ordered(this=col(PERIOD, SPINE_ALIAS))])

    def running(name: str) -> exp.Expr:
        return exp.Window(
            this=exp.Sum(this=col(name, "d")),
            partition_by=[col(d, "combos") for d in dims],
            order=order.copy(),
            spec=exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
            ),
        )

    totals = exp.select(exp.alias_(col(PERIOD, SPINE_ALIAS), ident(grain.value))).from_(
        _spine_table(node)
    )
    conditions: list[exp.Expr] = [
        exp.EQ(this=col(PERIOD, "d"), expression=col(PERIOD, SPINE_ALIAS))
    ]
    if dims:
        combos = exp.select(*[col(d) for d in dims]).distinct().from_(named(deltas_name))
        totals = totals.join(
            typed_join(
                exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))), "CROSS"
            ),
        )
        for dim in dims:
            totals = totals.select(exp.alias_(col(dim, "combos"), ident(dim)), copy=False)
            conditions.append(exp.NullSafeEQ(this=col(dim, "d"), expression=col(dim, "combos")))
    for name in partials:
        totals = totals.select(exp.alias_(running(name), ident(name)), copy=False)
    totals = totals.join(typed_join(named(deltas_name, "d"), "LEFT"), on=exp.and_(*conditions))
    # a sum over no open rows is NULL, as over no rows at all; a combination never open in the
    # range (its rows opened and closed before it) has no rows, as in a join of periods and rows
    keys = [grain.value, *dims]
    open_rows = col(ROWS_PARTIAL, "t")
    inner = exp.select(*[exp.alias_(col(k, "t"), ident(k)) for k in keys]).from_(
        exp.Subquery(this=totals, alias=exp.TableAlias(this=ident("t")))
    )
    for name in partials[1:]:
        value: exp.Expr = col(name, "t")
        if name.endswith("__sum"):
            opened = exp.GT(this=open_rows.copy(), expression=exp.Literal.number(0))
            value = exp.Case(ifs=[exp.If(this=opened, true=value)])
        inner = inner.select(exp.alias_(value, ident(name)), copy=False)
    frame: exp.Select
    if dims:
        ever = exp.Window(
            this=exp.Max(this=open_rows.copy()), partition_by=[col(d, "t") for d in dims]
        )
        inner = inner.select(exp.alias_(ever, ident("__ever")), copy=False)
        frame = (
            exp.select()
            .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=ident("t"))))
            .where(exp.GT(this=col("__ever", "t"), expression=exp.Literal.number(0)))
        )
        columns: list[tuple[str, exp.Expr]] = [(k, col(k, "t")) for k in keys]
        columns += [(n, col(n, "t")) for n in partials[1:]]
    else:
        frame = exp.select().from_(exp.Subquery(this=totals, alias=exp.TableAlias(this=ident("t"))))
        columns = [(k, col(k, "t")) for k in keys]
        for name in partials[1:]:
            value = col(name, "t")
            if name.endswith("__sum"):
                opened = exp.GT(this=open_rows.copy(), expression=exp.Literal.number(0))
                value = exp.Case(ifs=[exp.If(this=opened, true=value)])
            columns.append((name, value))
    ctes = (periods, *parent.ctes, (changes_name, changes), (deltas_name, deltas))
    return Rendered(frame, tuple(columns), ctes, (node.describe(),))


def overlap_query(model: Model) -> exp.Select:
    """The first pair of versions of one key of a `valid` model that overlap (a version
    starting before the previous one ends), and how many such pairs there are."""
    assert model.valid is not None and model.primary_key is not None
    key, start, until = model.primary_key, model.valid.start, model.valid.until
    following = exp.Window(
        this=exp.func("LEAD", col(start)),
        partition_by=[col(key)],
        order=exp.Order(expressions=[exp.Ordered(this=col(start)), exp.Ordered(this=col(until))]),
    )
    versions = (
        exp.select(col(key), col(start), col(until), exp.alias_(following, ident("next_from")))
        .from_(table_ref(names.SRC, model.name))
        .where(
            exp.and_(
                exp.Not(this=exp.Is(this=col(key), expression=exp.Null())),
                exp.Not(this=exp.Is(this=col(start), expression=exp.Null())),
            )
        )
    )
    overlapping = exp.or_(
        exp.Is(this=col(until), expression=exp.Null()),
        exp.GT(this=col(until), expression=col("next_from")),
    )
    return (
        exp.select(
            col(key),
            col(start),
            col(until),
            col("next_from"),
            exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), ident("overlaps")),
        )
        .from_(exp.Subquery(this=versions, alias=exp.TableAlias(this=ident("versions"))))
        .where(
            exp.and_(
                exp.Not(this=exp.Is(this=col("next_from"), expression=exp.Null())),
                exp.Paren(this=overlapping),
            )
        )
        .order_by(exp.Ordered(this=col(key)), exp.Ordered(this=col(start)))
        .limit(1)
    )


def output_column(node: Grouped, partial: Partial) -> str:
    """The column a grouped node writes a partial to (window and total partials are suffixed
    by their frame: offered_calls__count__rolling_7_days)."""
    if isinstance(node, Aggregate | WindowAggregate | Total):
        return node.column_of(partial)
    return partial.column


def render_join_on_keys(node: JoinOnKeys, parents: tuple[Rendered, ...]) -> Rendered:
    """One aggregate as it is; several side by side on the keys any of them has; total()
    aggregates beside them on the period alone."""
    keys = node.keys
    ctes: tuple[tuple[str, exp.Query], ...] = ()
    for aggregate, rendered in zip(node.parents, parents, strict=True):
        ctes += rendered.as_cte(aggregate.name)
    seen: set[str] = set()
    unique = []
    for name, query in ctes:  # two windows over one frame read the same frame CTE
        if name not in seen:
            seen.add(name)
            unique.append((name, query))
    ctes = tuple(unique)
    members = [a for a in node.parents if not isinstance(a, Total)]
    first = members[0].name
    if len(members) == 1:
        frame = exp.select().from_(named(first))
        key_table = first
    elif not keys:
        frame = exp.select().from_(named(first))
        for aggregate in members[1:]:
            frame = frame.join(typed_join(named(aggregate.name), "CROSS"))
        key_table = first
    else:
        # All period x dimension combinations any aggregate has, so no aggregate's rows are
        # lost, and NULL dimension values match (IS NOT DISTINCT FROM) instead of splitting.
        union: exp.Query = exp.select(*[col(k) for k in keys]).from_(named(first))
        for aggregate in members[1:]:
            part = exp.select(*[col(k) for k in keys]).from_(named(aggregate.name))
            union = exp.union(union, part, distinct=True)
        ctes += (("keys", union),)
        frame = exp.select().from_(named("keys"))
        for aggregate in members:
            condition = exp.and_(
                *[
                    exp.NullSafeEQ(this=col(k, "keys"), expression=col(k, aggregate.name))
                    for k in keys
                ]
            )
            frame = frame.join(typed_join(named(aggregate.name), "LEFT"), on=condition)
        key_table = "keys"
    for total in (a for a in node.parents if isinstance(a, Total)):
        if total.keys:
            on = exp.and_(
                *[exp.EQ(this=col(k, key_table), expression=col(k, total.name)) for k in total.keys]
            )
            frame = frame.join(typed_join(named(total.name), "LEFT"), on=on)
        else:
            frame = frame.join(typed_join(named(total.name), "CROSS"))
    columns: list[tuple[str, exp.Expr]] = [(k, col(k, key_table)) for k in keys]
    for aggregate in node.parents:
        columns += [
            (output_column(aggregate, p), col(output_column(aggregate, p), aggregate.name))
            for p in aggregate.partials
        ]
    order = tuple(col(k, key_table) for k in keys)
    return Rendered(frame, tuple(columns), ctes, (node.describe(),), order)


def render_compute_metrics(
    node: ComputeMetrics, parent: Rendered, seconds: tuple[Rendered, ...] = ()
) -> Rendered:
    parts_of: dict[str, tuple[Partial, ...]] = {}
    for aggregate in node.parent.parents:
        for partial in aggregate.partials:
            if partial not in parts_of.get(partial.metric, ()):
                parts_of[partial.metric] = (*parts_of.get(partial.metric, ()), partial)
    metrics = {m.name: m for m in node.metrics}

    def partial_column(partial: Partial, frame: Frame) -> exp.Expr:
        return parent.column(names.framed_column(partial.column, frame.key))

    frame, ctes = parent.frame, parent.ctes
    lengths: dict[Frame, exp.Expr] = {}
    for length, rendered in zip(node.seconds, seconds, strict=True):
        if length.fixed is not None:
            lengths[length.frame] = exp.Literal.number(length.fixed)
            continue
        ctes += rendered.as_cte(length.name)
        period = [k for k, _ in rendered.columns if k != names.FRAME_SECONDS]
        if period:
            on = exp.EQ(this=parent.column(period[0]), expression=col(period[0], length.name))
            frame = frame.join(typed_join(named(length.name), "LEFT"), on=on)
        else:
            frame = frame.join(typed_join(named(length.name), "CROSS"))
        lengths[length.frame] = col(names.FRAME_SECONDS, length.name)

    def period_seconds(frame: Frame) -> exp.Expr:
        return lengths[frame].copy()

    keys = [(k, parent.column(k)) for k in node.keys]
    outputs = [
        (n, metric_value(n, metrics, parts_of, partial_column, PLAIN, period_seconds))
        for n in node.outputs
    ]
    # erlang_c_*() reads its arguments from the same FROM, per key, in CTEs joined back on
    plain = lengths[PLAIN].copy() if PLAIN in lengths else exp.Null()
    select = with_erlang(frame.select(*[exp.alias_(v, ident(n)) for n, v in outputs]), keys, plain)
    erlang_ctes = tuple(
        (cte.alias_or_name, cte.this)
        for cte in (select.args.get("with_") or exp.With()).expressions
    )
    columns = tuple(
        (e.alias_or_name, e.this if isinstance(e, exp.Alias) else e) for e in select.expressions
    )
    select.set("with_", None)
    select.set("expressions", [])
    return replace(
        parent, frame=select, columns=(*keys, *columns), ctes=(*ctes, *erlang_ctes)
    ).with_comment(node)


# ---------------------------------------------------------------------------------------------
# Window frames: each period of the range and the days it reads


def render_period_spine(node: PeriodSpine) -> Rendered:
    """Each period with its first and last day, from --start/--end or the data's bounds."""
    sources: exp.Query | None = None
    for schema, table, column in node.bounds:
        day = as_date(col(column))
        part = exp.select(
            exp.alias_(exp.Min(this=day), ident("lo")),
            exp.alias_(exp.Max(this=day.copy()), ident("hi")),
        ).from_(table_ref(schema, table))
        sources = part if sources is None else exp.union(sources, part, distinct=False)
    lo: exp.Expr = exp.Min(this=col("lo"))
    hi: exp.Expr = exp.Max(this=col("hi"))
    # COALESCE keeps one aggregated row however many tables bound the data.
    if node.start is not None:
        start = date_literal(node.start)
        lo = exp.Coalesce(this=start, expressions=[lo]) if sources is not None else start
    if node.end is not None:
        end = date_literal(node.end)
        hi = exp.Coalesce(this=end, expressions=[hi]) if sources is not None else end
    bounds = exp.select(exp.alias_(lo, ident("lo")), exp.alias_(hi, ident("hi")))
    if sources is not None:
        bounds = bounds.from_(exp.Subquery(this=sources, alias=exp.TableAlias(this=ident("data"))))
    bounds_table = exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("bounds")))
    if node.grain is None:
        frame = exp.select().from_(bounds_table)
        whole = ((names.FRAME_FIRST, col("lo")), (names.FRAME_LAST, col("hi")))
        return Rendered(frame, whole).with_comment(node)
    amount, unit = GRAIN_STEP[node.grain]
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=period_start(node.grain, col("lo"), node.week_start),
            end=period_start(node.grain, col("hi"), node.week_start),
            step=interval(amount, unit),
        )
    )
    key = node.grain.value
    periods = exp.select(exp.alias_(as_date(series), ident(key))).from_(bounds_table)
    frame = exp.select().from_(
        exp.Subquery(this=periods, alias=exp.TableAlias(this=ident("periods")))
    )
    after = as_date(exp.Add(this=col(key), expression=interval(amount, unit)))
    last = col(key) if node.grain is Grain.DAY else as_date(exp.Sub(this=after, expression=days(1)))
    columns: tuple[tuple[str, exp.Expr], ...] = (
        (key, col(key)),
        (names.FRAME_FIRST, col(key)),
        (names.FRAME_LAST, last),
    )
    return Rendered(frame, columns).with_comment(node)


def _with_frame(parent: Rendered, first: exp.Expr, last: exp.Expr) -> Rendered:
    columns = tuple(
        (name, first if name == names.FRAME_FIRST else last if name == names.FRAME_LAST else value)
        for name, value in parent.columns
    )
    return replace(parent, columns=columns)


def render_rolling(node: Rolling, parent: Rendered) -> Rendered:
    last = parent.column(names.FRAME_LAST)
    first = as_date(exp.Sub(this=last.copy(), expression=days(node.days - 1)))
    return _with_frame(parent, first, last).with_comment(node)


def render_to_date(node: ToDate, parent: Rendered) -> Rendered:
    last = parent.column(names.FRAME_LAST)
    first = period_start(Grain(node.unit.value), last.copy(), node.week_start)
    return _with_frame(parent, first, last).with_comment(node)


def _back(value: exp.Expr, span: Span) -> exp.Expr:
    amount, unit = (span.months, "MONTH") if span.months else (span.days, "DAY")
    return as_date(exp.Sub(this=value.copy(), expression=interval(str(amount), unit)))


def render_shift(node: Shift, parent: Rendered) -> Rendered:
    """Both ends moved back; months clamp at month ends (DuckDB's 03-31 - 1 month = 02-29),
    and a frame of whole months stays whole months (April -> all of March); any other frame
    keeps its length (the day 04-30 -> the day 03-30, never 03-30..03-31)."""
    first = _back(parent.column(names.FRAME_FIRST), node.span)
    last = parent.column(names.FRAME_LAST)
    if node.span.months:
        after = as_date(exp.Add(this=last.copy(), expression=days(1)))

        def first_of_month(day: exp.Expr) -> exp.Expr:
            return exp.EQ(
                this=exp.Extract(this=exp.var("DAY"), expression=day),
                expression=exp.Literal.number(1),
            )

        whole_months = exp.and_(
            first_of_month(parent.column(names.FRAME_FIRST).copy()), first_of_month(after.copy())
        )
        shifted_end = as_date(exp.Sub(this=_back(after, node.span), expression=days(1)))
        last = exp.Case(
            ifs=[exp.If(this=whole_months, true=shifted_end)], default=_back(last, node.span)
        )
    else:
        last = _back(last, node.span)
    return _with_frame(parent, first, last).with_comment(node)


FRAME_ALIAS = "f"


def render_window_aggregate(node: WindowAggregate, parent: Rendered, frames: Rendered) -> Rendered:
    """The rows (or day partials) in each period's frame, joined to the frame list, grouped by
    period x dimensions: a rolling distinct count is recomputed from the window's rows."""
    frame_name = names.frame_cte(node.frame.key)
    time_value = col(node.time_column, BASE_ALIAS)
    first = col(names.FRAME_FIRST, FRAME_ALIAS)
    last = col(names.FRAME_LAST, FRAME_ALIAS)
    upper: exp.Expr
    if node.from_rows or not node.dated:
        # An inclusive last day on a timestamp: everything before the next midnight.
        after = as_date(exp.Add(this=last, expression=days(1)))
        upper = exp.LT(this=time_value.copy(), expression=after)
    else:
        upper = exp.LTE(this=time_value.copy(), expression=last)
    within = exp.and_(exp.GTE(this=time_value.copy(), expression=first), upper)
    frame = parent.frame.join(named(frame_name, FRAME_ALIAS), on=within)
    keys: list[tuple[str, exp.Expr]] = []
    if node.period is not None:
        keys.append((node.period, col(node.period, FRAME_ALIAS)))
    keys += [(d.name, dimension_value(d, time_value)) for d in node.dimensions]
    metrics = {m.name: m for m in node.metrics}
    values: list[tuple[str, exp.Expr]] = []
    for partial in node.partials:
        if node.from_rows:
            value = row_aggregate(metrics[partial.metric], partial)
        else:
            value = exp.func(partial.reaggregate, col(partial.column, BASE_ALIAS))
        values.append((node.column_of(partial), value))
    if keys:
        frame = frame.group_by(*[value.copy() for _, value in keys])
    ctes = (*parent.ctes, *frames.as_cte(frame_name))
    return replace(parent, frame=frame, columns=(*keys, *values), ctes=ctes).with_comment(node)


def render_total(node: Total, parent: Rendered) -> Rendered:
    return parent.with_comment(node)


def render_period_seconds(node: PeriodSeconds, frames: Rendered | None) -> Rendered:
    """Each period's (or frame's) length: (last - first + 1) days x 86400."""
    if frames is None:
        assert node.fixed is not None
        return Rendered(exp.select(), ((names.FRAME_SECONDS, exp.Literal.number(node.fixed)),))
    first, last = frames.column(names.FRAME_FIRST), frames.column(names.FRAME_LAST)
    days_between = exp.DateDiff(this=last, expression=first, unit=exp.var("DAY"))
    length = exp.Mul(
        this=exp.paren(exp.Add(this=days_between, expression=exp.Literal.number(1)), copy=False),
        expression=exp.Literal.number(86400),
    )
    keys = [(k, v) for k, v in frames.columns if k not in (names.FRAME_FIRST, names.FRAME_LAST)]
    return replace(frames, columns=(*keys, (names.FRAME_SECONDS, length))).with_comment(node)


def render_time_spine(node: TimeSpine, parent: Rendered) -> Rendered:
    """spine: every period from the first to the last, x every combination; LEFT JOIN base."""
    period, dims = node.keys[0], node.keys[1:]
    bounds = exp.select(
        exp.alias_(exp.Min(this=col(period)), "lo"), exp.alias_(exp.Max(this=col(period)), "hi")
    ).from_(named("base"))
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=col("lo"), end=col("hi"), step=interval(node.amount, node.unit)
        )
    )
    periods = exp.select(exp.alias_(as_period(series, node.grain), ident(period))).from_(
        exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("bounds")))
    )
    spine = exp.select(col(period, "periods"), *[col(d, "combos") for d in dims]).from_(
        exp.Subquery(this=periods, alias=exp.TableAlias(this=ident("periods")))
    )
    if dims:
        combos = exp.select(*[col(d) for d in dims]).distinct().from_(named("base"))
        spine = spine.join(
            typed_join(
                exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))), "CROSS"
            )
        )
    spine.add_comments([node.describe()])
    frame = exp.select().from_(named("spine"))
    frame = frame.join(
        typed_join(named("base"), "LEFT"),
        on=exp.and_(
            *[exp.NullSafeEQ(this=col(k, "spine"), expression=col(k, "base")) for k in node.keys]
        ),
    )
    columns = [(k, col(k, "spine")) for k in node.keys]
    columns += [(m, col(m, "base")) for m in node.outputs]
    ctes = (*parent.as_cte("base"), ("spine", spine))
    order = tuple(col(k, "spine") for k in node.keys)
    return Rendered(frame, tuple(columns), ctes, (), order)


def render_fill_zeros(node: FillZeros, parent: Rendered) -> Rendered:
    zero = set(node.zero)
    empty = dict(node.empty)
    # a period the spine added has no base row; a base row's own NULL (no aht) stays NULL
    added = exp.Is(this=col(node.keys[0], "base"), expression=exp.Null())
    columns = []
    for name, value in parent.columns:
        if name in zero:
            value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        elif name in empty:
            number = empty[name]
            literal = exp.Literal.number(int(number) if number.is_integer() else number)
            value = exp.Case(ifs=[exp.If(this=added.copy(), true=literal)], default=value)
        columns.append((name, value))
    return replace(parent, columns=tuple(columns)).with_comment(node)


def render_compare(node: Compare, parent: Rendered) -> Rendered:
    """cur LEFT JOIN each compared period (same dimensions, the period `back` earlier)."""
    period, dims = node.keys[0], node.keys[1:]
    frame = exp.select().from_(named("filled", "cur"))
    for c in node.comparisons:
        back = interval(c.amount, c.unit)
        shifted = as_period(exp.Sub(this=col(period, "cur"), expression=back), node.grain)
        condition = exp.and_(
            exp.EQ(this=col(period, c.alias), expression=shifted),
            *[exp.NullSafeEQ(this=col(d, c.alias), expression=col(d, "cur")) for d in dims],
        )
        frame = frame.join(typed_join(named("filled", c.alias), "LEFT"), on=condition)
    columns: list[tuple[str, exp.Expr]] = [(k, col(k, "cur")) for k in node.keys]
    for name in node.outputs:
        current = col(name, "cur")
        columns.append((name, current))
        for c in node.comparisons:
            previous = col(name, c.alias)
            columns.append((name + c.prev_suffix, previous))
            change: exp.Expr
            if name in node.points:
                change = exp.Sub(this=current.copy(), expression=previous.copy())
            else:
                # (cur - prev) / |prev|: -100 -> -50 went up, +50 %; NULL when prev is 0
                change = safe_div(
                    exp.Sub(this=current.copy(), expression=previous.copy()),
                    exp.Abs(this=previous.copy()),
                )
            columns.append((name + c.change_suffix, change))
    order = tuple(col(k, "cur") for k in node.keys)
    return Rendered(frame, tuple(columns), parent.as_cte("filled"), (node.describe(),), order)


def render_flag_targets(node: FlagTargets, parent: Rendered) -> Rendered:
    """<metric>_target_met after the metric's last comparison column."""
    flags = {f.metric: f for f in node.flags}
    last_of: dict[str, str] = {}
    for name in node.parent.outputs:
        group = [name] + [
            name + suffix
            for c in node.parent.comparisons
            for suffix in (c.prev_suffix, c.change_suffix)
        ]
        last_of[group[-1]] = name
    columns: list[tuple[str, exp.Expr]] = []
    for name, value in parent.columns:
        columns.append((name, value))
        metric = last_of.get(name)
        if metric is None or metric not in flags:
            continue
        flag = flags[metric]
        current = parent.column(metric)
        checks: list[exp.Expr] = []
        if flag.low is not None:
            checks.append(exp.GTE(this=current.copy(), expression=exp.Literal.number(flag.low)))
        if flag.high is not None:
            checks.append(exp.LTE(this=current.copy(), expression=exp.Literal.number(flag.high)))
        met = exp.Case(
            ifs=[exp.If(this=exp.Is(this=current.copy(), expression=exp.Null()), true=exp.Null())],
            default=exp.and_(*checks),
        )
        columns.append((names.target_met_column(metric), met))
    return replace(parent, columns=tuple(columns)).with_comment(node)


def data_bounds_select(models: Sequence[tuple[str, str, str]]) -> exp.Select:
    """One row: per (model, first column, last column) i, `first_i` (the first value of the
    one) and `last_i`, the instant its data reaches: the last value of the other, or the end of
    the last day for a column that holds dates (every value at midnight), whose last day is
    covered whole."""
    select = exp.select()
    for i, (model, first_column, time) in enumerate(models):
        ts = exp.cast(col(time), exp.DataType.Type.TIMESTAMP)
        at_midnight = exp.EQ(
            this=ts.copy(), expression=exp.cast(as_date(ts.copy()), exp.DataType.Type.TIMESTAMP)
        )
        timed = exp.Max(
            this=exp.Case(
                ifs=[exp.If(this=at_midnight, true=exp.Literal.number(0))],
                default=exp.Literal.number(1),
            )
        )
        last = exp.Max(this=ts.copy())
        covered = exp.Case(
            ifs=[
                exp.If(
                    this=exp.EQ(this=timed, expression=exp.Literal.number(0)),
                    true=exp.Add(this=last.copy(), expression=days(1)),
                )
            ],
            default=last,
        )
        source = table_ref(names.SRC, model)
        begin = exp.cast(col(first_column), exp.DataType.Type.TIMESTAMP)
        first = exp.select(exp.Min(this=begin)).from_(source.copy())
        until = exp.select(covered).from_(source.copy())
        select = select.select(
            exp.alias_(exp.Subquery(this=first), ident(f"first_{i}")),
            exp.alias_(exp.Subquery(this=until), ident(f"last_{i}")),
            copy=False,
        )
    return select


def render_flag_complete(node: FlagComplete, parent: Rendered) -> Rendered:
    """is_complete: every model's data covers the period (a CROSS JOIN to one bounds row)."""
    period = node.keys[0]
    start = exp.cast(col(period, "flagged"), exp.DataType.Type.TIMESTAMP)
    end = exp.Add(this=start, expression=interval(node.amount, node.unit))
    due = exp.Sub(this=end, expression=interval(str(node.grace_seconds), "SECOND"))
    checks: list[exp.Expr] = []
    for i in range(len(node.models)):
        checks.append(
            exp.LTE(
                this=as_date(col(f"first_{i}", "data_bounds")),
                expression=as_date(col(period, "flagged")),
            )
        )
        checks.append(exp.GTE(this=col(f"last_{i}", "data_bounds"), expression=due.copy()))
    complete = exp.Coalesce(
        this=exp.and_(*checks) if checks else exp.false(), expressions=[exp.false()]
    )
    frame = exp.select().from_(named("flagged"))
    if node.models:
        frame = frame.join(typed_join(named("data_bounds"), "CROSS"))
    columns: list[tuple[str, exp.Expr]] = [(n, col(n, "flagged")) for n, _ in parent.columns]
    columns.append((names.IS_COMPLETE, complete))
    ctes = parent.as_cte("flagged")
    if node.models:
        ctes = (*ctes, ("data_bounds", data_bounds_select(node.models)))
    order = tuple(col(k, "flagged") for k in node.keys)
    return Rendered(frame, tuple(columns), ctes, (node.describe(),), order)


def render_totals(node: Totals, parent: Rendered) -> Rendered:
    return parent.with_comment(node)


def render(node: PlanNode) -> Rendered:
    """A node and everything it reads, rendered leaves first."""
    match node:
        case ReadSource():
            return render_read_source(node)
        case ReadIndicator():
            return render_read_indicator(node)
        case JoinDimensions():
            return render_join_dimensions(node, render(node.parent))
        case JoinVersions():
            return render_join_versions(node, render(node.parent))
        case JoinCalendars():
            return render_join_calendars(node, render(node.parent))
        case SplitSpans():
            return render_split_spans(node, render(node.parent))
        case FilterRows():
            return render_filter_rows(node, render(node.parent))
        case Aggregate():
            return render_aggregate(node, render(node.parent))
        case ActiveAt():
            return render_active_at(node, render(node.parent))
        case RunningTotal():
            return render_running_total(node, render(node.parent))
        case SnapshotAt():
            return render_snapshot_at(node, render(node.parent))
        case JoinOnKeys():
            return render_join_on_keys(node, tuple(render(p) for p in node.parents))
        case ComputeMetrics():
            seconds = tuple(render(s) for s in node.seconds)
            return render_compute_metrics(node, render(node.parent), seconds)
        case PeriodSpine():
            return render_period_spine(node)
        case Rolling():
            return render_rolling(node, render(node.parent))
        case ToDate():
            return render_to_date(node, render(node.parent))
        case Shift():
            return render_shift(node, render(node.parent))
        case WindowAggregate():
            return render_window_aggregate(node, render(node.parent), render(node.frames))
        case Total():
            return render_total(node, render(node.parent))
        case PeriodSeconds():
            frames = render(node.frames) if node.frames is not None else None
            return render_period_seconds(node, frames)
        case TimeSpine():
            return render_time_spine(node, render(node.parent))
        case FillZeros():
            return render_fill_zeros(node, render(node.parent))
        case Compare():
            return render_compare(node, render(node.parent))
        case FlagTargets():
            return render_flag_targets(node, render(node.parent))
        case FlagComplete():
            return render_flag_complete(node, render(node.parent))
        case Totals():
            return render_totals(node, render(node.parent))
        case _:
            unreachable(node)


def unreachable(node: NoReturn) -> NoReturn:
    """A node kind `render` has no case for (mypy checks that none is left out)."""
    raise AssertionError(f"no renderer for {node!r}")


def query_of(node: PlanNode) -> exp.Select:
    """A whole query: the node's SELECT with its CTEs, ordered by its keys (NULLs last)."""
    rendered = render(node)
    select = rendered.select()
    for name, query in rendered.ctes:
        select = select.with_(ident(name), as_=query, copy=False)
    if rendered.order:
        select = select.order_by(
            *[exp.Ordered(this=key.copy(), nulls_first=False) for key in rendered.order]
        )
    return select


def render_query(plan: QueryPlan) -> exp.Select:
    """The whole query of a plan."""
    return query_of(plan.root)


def to_sql(tree: exp.Expr, dialect: str = "duckdb") -> str:
    """Deterministic, pretty SQL text for a dialect (rewritten by dialects.RULES)."""
    return render_dialect(tree, dialect, "query")


def interval(amount: str, unit: str) -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(amount), unit=exp.var(unit))


def as_period(value: exp.Expr, grain: Grain) -> exp.Expr:
    return value if grain.intraday else as_date(value)
