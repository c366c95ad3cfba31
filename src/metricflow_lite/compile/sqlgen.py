"""Plan -> sqlglot expression trees -> SQL text per dialect; DDL for the generated layers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

from sqlglot import exp

from metricflow_lite.compile.dialects import render
from metricflow_lite.compile.plan import (
    GroupPlan,
    IndicatorTable,
    Partial,
    PlannedDimension,
    QueryPlan,
    Source,
    partials_of,
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
    Change,
    DerivedMetric,
    Grain,
    Metric,
    Model,
    Snapshot,
    change_of,
)

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
        case Grain.MIN30:
            minute = exp.Extract(this=exp.var("MINUTE"), expression=value.copy())
            half = exp.Mul(
                this=exp.Floor(this=exp.Div(this=minute, expression=exp.Literal.number(30))),
                expression=exp.Literal.number(30),
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
    select: exp.Select,
    dims: list[ReachableDimension],
    skip_first: int = 0,
    time_value: exp.Expr | None = None,
) -> exp.Select:
    """LEFT JOIN each model on a dimension's path once (many-to-one joins never fan out).

    A model with `valid:` is joined to the version whose [from, until) holds `time_value`, the
    row's metric time; no such version leaves the dimension NULL.
    """
    seen: set[str] = set()
    for dim in sorted(dims, key=lambda d: d.qualified_name):
        for depth, hop in enumerate(dim.path, start=1):
            alias = join_alias(dim, depth)
            if alias in seen or depth <= skip_first:
                continue
            seen.add(alias)
            left = join_alias(dim, depth - 1)
            condition: exp.Expr = exp.EQ(
                this=col(hop.column, left), expression=col(hop.primary_key, alias)
            )
            if hop.valid is not None:
                assert time_value is not None, f"a join into {hop.model} needs the row's time"
                condition = exp.and_(
                    condition, holds(hop.valid.start, hop.valid.until, alias, time_value)
                )
            select = select.join(table_ref("src", hop.model, alias), on=condition, join_type="LEFT")
    return select


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


def group_query(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """SELECT period, dimensions, partial aggregates FROM one table GROUP BY period, dimensions."""
    if group.source is Source.ACTIVE:
        return active_query(plan, group)
    if group.source is Source.ACTIVE_RUNNING:
        return running_query(plan, group)
    if group.source is Source.SNAPSHOT:
        return snapshot_query(plan, group)
    request = plan.request
    is_rows = group.source is Source.ROWS
    if is_rows:
        time_value: exp.Expr = col(group.time_column, BASE_ALIAS)
        source = table_ref("src", group.model, BASE_ALIAS)
    else:
        assert group.table is not None
        time_value = col(group.table.period_column(group.time_column), BASE_ALIAS)
        source = table_ref("ind", group.table.name, BASE_ALIAS)
    select = exp.select().from_(source)
    keys: list[tuple[str, exp.Expr]] = []
    if request.grain is not None:
        keys.append(
            (request.grain.value, period_start(request.grain, time_value.copy(), plan.week_start))
        )
    for dim in group.dimensions:
        keys.append((dim.name, dimension_value(dim, time_value)))
    # copy=False: appending to our own fresh tree; a copy per column is quadratic in metrics
    for name, value in keys:
        select = select.select(exp.alias_(value, ident(name)), copy=False)
    for name in group.metrics:
        metric = plan.metrics[name]
        assert isinstance(metric, BaseMetric)
        for partial in partials_of(metric):
            if is_rows:
                value = row_aggregate(metric, partial)
            else:
                stored = col(partial.column, BASE_ALIAS)
                value = exp.func(partial.reaggregate, stored)
            select = select.select(exp.alias_(value, ident(partial.column)), copy=False)
    joined = [
        d.reach
        for d in (*group.dimensions, *group.where_dimensions)
        if d.reach and d.stored_as is None
    ]
    select = add_joins(select, [d for d in joined if d.path], time_value=time_value)
    conditions: list[exp.Expr] = [
        exp.Not(this=exp.Is(this=time_value.copy(), expression=exp.Null()))
    ]
    if request.start is not None:
        conditions.append(exp.GTE(this=time_value.copy(), expression=date_literal(request.start)))
    if request.end is not None:
        if is_rows:
            # Inclusive end date on a timestamp: everything before the next midnight.
            after = request.end + dt.timedelta(days=1)
            conditions.append(exp.LT(this=time_value.copy(), expression=date_literal(after)))
        else:
            conditions.append(exp.LTE(this=time_value.copy(), expression=date_literal(request.end)))
    if request.where is not None:
        values = {d.name: dimension_value(d, time_value) for d in group.where_dimensions}
        conditions.append(
            exp.Paren(this=substitute_columns(request.where, lambda c: values.get(column_path(c))))
        )
    select = select.where(exp.and_(*conditions))
    if keys:
        select = select.group_by(*[value.copy() for _, value in keys])
    origin = f"ind.{group.table.name}" if group.table is not None else f"src.{group.model}"
    select.add_comments(
        [f"{group.name}: {', '.join(group.metrics)} by {group.time_column} from {origin}"]
    )
    return select


PERIOD = "__period"  # a period's start in the time spine of a state group
PERIOD_END_COLUMN = "__end"  # the period's end instant: the next period's start
SPINE_ALIAS = "p"


def _day_bounds(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """SELECT lo, hi: the first and last day of the range (--start/--end, else the first and
    last day with a time value in the models of the group's bounds)."""
    request = plan.request
    parts: list[exp.Select] = []
    for model, time_column in group.bounds or ((group.model, group.time_column),):
        time_value = col(time_column)
        parts.append(
            exp.select(
                exp.alias_(as_date(exp.Min(this=time_value.copy())), "lo"),
                exp.alias_(as_date(exp.Max(this=time_value.copy())), "hi"),
            )
            .from_(table_ref("src", model))
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
    if request.start is None and request.end is None:
        return data
    low = date_literal(request.start) if request.start is not None else col("lo", "data")
    high = date_literal(request.end) if request.end is not None else col("hi", "data")
    select = exp.select(exp.alias_(low, "lo"), exp.alias_(high, "hi"))
    if request.start is None or request.end is None:
        select = select.from_(exp.Subquery(this=data, alias=exp.TableAlias(this=ident("data"))))
    return select


def period_spine(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """(__period, __end) for every period of the query's grain in the range; without a grain
    one row: the range's end instant (the midnight after its last day)."""
    grain = plan.request.grain
    bounds = exp.Subquery(this=_day_bounds(plan, group), alias=exp.TableAlias(this=ident("bounds")))
    if grain is None:
        end = exp.cast(
            exp.Add(this=col("hi", "bounds"), expression=days(1)), exp.DataType.Type.TIMESTAMP
        )
        return exp.select(exp.alias_(end, ident(PERIOD_END_COLUMN))).from_(bounds)
    step = _interval(*GRAIN_STEP[grain])
    low: exp.Expr = col("lo", "bounds")
    high: exp.Expr = col("hi", "bounds")
    if grain.intraday:
        low = exp.cast(low, exp.DataType.Type.TIMESTAMP)
        high = exp.Sub(
            this=exp.cast(exp.Add(this=high, expression=days(1)), exp.DataType.Type.TIMESTAMP),
            expression=step.copy(),
        )
    else:
        low = period_start(grain, low, plan.week_start)
        high = period_start(grain, high, plan.week_start)
    series = exp.Explode(this=exp.GenerateSeries(start=low, end=high, step=step.copy()))
    starts = exp.select(exp.alias_(_as_period(series, grain), ident(PERIOD))).from_(bounds)
    end = exp.cast(exp.Add(this=col(PERIOD), expression=step.copy()), exp.DataType.Type.TIMESTAMP)
    return exp.select(col(PERIOD), exp.alias_(end, ident(PERIOD_END_COLUMN))).from_(
        exp.Subquery(this=starts, alias=exp.TableAlias(this=ident("starts")))
    )


def periods_name(group: GroupPlan) -> str:
    """The CTE of a state group's time spine (named for the group: Spark lifts nested CTEs
    to the top, where two groups' names would clash)."""
    return f"{group.name}__periods"


def rows_name(group: GroupPlan) -> str:
    """The CTE of a state group's aggregated rows, before every period gets one."""
    return f"{group.name}__rows"


def periods_table(group: GroupPlan) -> exp.Table:
    """The time spine of a state group, AS p."""
    return exp.Table(this=ident(periods_name(group)), alias=exp.TableAlias(this=ident(SPINE_ALIAS)))


def _partial_columns(plan: QueryPlan, group: GroupPlan) -> list[str]:
    names: list[str] = []
    for name in group.metrics:
        metric = plan.metrics[name]
        assert isinstance(metric, BaseMetric)
        names.extend(p.column for p in partials_of(metric))
    return names


def _where(plan: QueryPlan, group: GroupPlan, time_value: exp.Expr) -> exp.Expr | None:
    where = plan.request.where
    if where is None:
        return None
    values = {d.name: dimension_value(d, time_value) for d in group.where_dimensions}
    return exp.Paren(this=substitute_columns(where, lambda c: values.get(column_path(c))))


def every_period(
    plan: QueryPlan, group: GroupPlan, inner: exp.Select, spine: exp.Select
) -> exp.Select:
    """The group's rows for every period of the spine: a period without rows still gets one
    (for each dimension combination the group has), its counts 0."""
    grain = plan.request.grain
    if grain is None:
        return inner  # one row (or one per combination) at the range's end already
    period = grain.value
    dims = [d.name for d in group.dimensions]
    select = exp.select(exp.alias_(col(PERIOD, SPINE_ALIAS), ident(period))).from_(
        periods_table(group)
    )
    conditions: list[exp.Expr] = [
        exp.EQ(this=col(period, "rows"), expression=col(PERIOD, SPINE_ALIAS))
    ]
    if dims:
        combos = (
            exp.select(*[col(d) for d in dims])
            .distinct()
            .from_(exp.Table(this=ident(rows_name(group))))
        )
        select = select.join(
            exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))),
            join_type="CROSS",
        )
        for dim in dims:
            select = select.select(exp.alias_(col(dim, "combos"), ident(dim)), copy=False)
            conditions.append(exp.NullSafeEQ(this=col(dim, "rows"), expression=col(dim, "combos")))
    for name in _partial_columns(plan, group):
        select = select.select(exp.alias_(col(name, "rows"), ident(name)), copy=False)
    rows = exp.Table(this=ident(rows_name(group)), alias=exp.TableAlias(this=ident("rows")))
    select = select.join(rows, on=exp.and_(*conditions), join_type="LEFT")
    return select.with_(ident(periods_name(group)), as_=spine).with_(
        ident(rows_name(group)), as_=inner
    )


def active_query(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """The group's partials over the rows active at each period's end instant t (from <= t and
    until NULL or > t), by period and dimensions, every period of the range included."""
    grain = plan.request.grain
    first = plan.metrics[group.metrics[0]]
    assert isinstance(first, BaseMetric) and first.active is not None
    span = first.active
    spine = period_spine(plan, group)
    instant = col(PERIOD_END_COLUMN, SPINE_ALIAS)
    time_value = col(group.time_column, BASE_ALIAS)
    keys: list[tuple[str, exp.Expr]] = []
    if grain is not None:
        keys.append((grain.value, col(PERIOD, SPINE_ALIAS)))
    keys.extend((d.name, dimension_value(d, time_value)) for d in group.dimensions)
    inner = exp.select().from_(periods_table(group))
    for name, value in keys:
        inner = inner.select(exp.alias_(value, ident(name)), copy=False)
    for name in group.metrics:
        metric = plan.metrics[name]
        assert isinstance(metric, BaseMetric)
        at_instant = replace(
            metric,
            expr=substitute_period_end(metric.expr, instant) if metric.expr else None,
            filter=substitute_period_end(metric.filter, instant) if metric.filter else None,
        )
        for partial in partials_of(metric):
            value = row_aggregate(at_instant, partial)
            inner = inner.select(exp.alias_(value, ident(partial.column)), copy=False)
    inner = inner.join(
        table_ref("src", group.model, BASE_ALIAS),
        on=holds(span.start, span.until, BASE_ALIAS, instant),
        join_type="INNER",
    )
    joined = [d.reach for d in (*group.dimensions, *group.where_dimensions) if d.reach]
    inner = add_joins(inner, [d for d in joined if d.path], time_value=time_value)
    where = _where(plan, group, time_value)
    if where is not None:
        inner = inner.where(where)
    if keys:
        inner = inner.group_by(*[value.copy() for _, value in keys])
    select = every_period(plan, group, inner, spine)
    if grain is None:
        select = select.with_(ident(periods_name(group)), as_=spine)
    what = "the range's end" if grain is None else f"each {grain.value}'s end"
    select.add_comments(
        [
            f"{group.name}: {', '.join(group.metrics)} over the rows of src.{group.model}"
            f" active at {what} ({span.start} <= t < {span.until})"
        ]
    )
    return select


ROWS_PARTIAL = "__rows"  # how many rows a running total holds at a period's end


def _signed(value: exp.Expr, sign: int) -> exp.Expr:
    return value if sign > 0 else exp.Neg(this=exp.Paren(this=value))


def _change_rows(plan: QueryPlan, group: GroupPlan, sign: int) -> exp.Select:
    """One change per row: +value when it opens (`from`), -value when it closes (`until`; a
    row closed before it opened is closed when it opens), with the row's dimensions."""
    first = plan.metrics[group.metrics[0]]
    assert isinstance(first, BaseMetric) and first.active is not None
    span = first.active
    start = col(span.start, BASE_ALIAS)
    until = col(span.until, BASE_ALIAS)
    at = start if sign > 0 else exp.Greatest(this=start.copy(), expressions=[until.copy()])
    time_value = col(group.time_column, BASE_ALIAS)
    select = exp.select(exp.alias_(at, ident("__at"))).from_(
        table_ref("src", group.model, BASE_ALIAS)
    )
    for dim in group.dimensions:
        select = select.select(exp.alias_(dimension_value(dim, time_value), ident(dim.name)))
    select = select.select(exp.alias_(exp.Literal.number(sign), ident(ROWS_PARTIAL)))
    for name in group.metrics:
        metric = plan.metrics[name]
        assert isinstance(metric, BaseMetric)
        value = qualify(metric.expr, BASE_ALIAS) if metric.expr is not None else None
        condition = qualify(metric.filter, BASE_ALIAS) if metric.filter is not None else None
        for partial in partials_of(metric):
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
    joined = [d.reach for d in (*group.dimensions, *group.where_dimensions) if d.reach]
    select = add_joins(select, [d for d in joined if d.path], time_value=time_value)
    conditions: list[exp.Expr] = [exp.Not(this=exp.Is(this=start.copy(), expression=exp.Null()))]
    if sign < 0:
        conditions.append(exp.Not(this=exp.Is(this=until.copy(), expression=exp.Null())))
    where = _where(plan, group, time_value)
    if where is not None:
        conditions.append(where)
    return select.where(exp.and_(*conditions))


def running_query(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """A sum, count or mean over the rows active at each period's end instant t, as the
    running total of the rows opened up to t minus the rows closed up to t: what a join of
    every period with every open row gives, in one pass over the rows."""
    grain = plan.request.grain
    spine = period_spine(plan, group)
    dims = [d.name for d in group.dimensions]
    partials = [ROWS_PARTIAL, *_partial_columns(plan, group)]
    changes = exp.union(_change_rows(plan, group, 1), _change_rows(plan, group, -1), distinct=False)
    changes_name = f"{group.name}__changes"
    source = exp.Table(this=ident(changes_name), alias=exp.TableAlias(this=ident("c")))
    if grain is None:
        # at the range's end: everything that changed up to that instant
        end = exp.select(col(PERIOD_END_COLUMN)).from_(exp.Table(this=ident(periods_name(group))))
        select = exp.select(*[exp.alias_(col(d, "c"), ident(d)) for d in dims]).from_(source)
        for name in partials[1:]:
            select = select.select(exp.alias_(exp.Sum(this=col(name, "c")), ident(name)))
        select = select.where(exp.LTE(this=col("__at", "c"), expression=exp.Subquery(this=end)))
        if dims:
            select = select.group_by(*[col(d, "c") for d in dims])
        select = select.with_(ident(periods_name(group)), as_=spine)
        return select.with_(ident(changes_name), as_=changes)
    # a change at t counts from the period that ends at t or later: the period of t - 1 us
    before = exp.Sub(
        this=exp.cast(col("__at", "c"), exp.DataType.Type.TIMESTAMP),
        expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MICROSECOND")),
    )
    bucket = period_start(grain, before, plan.week_start)
    bounds = exp.select(
        exp.alias_(exp.Min(this=col(PERIOD)), "first_period"),
        exp.alias_(exp.Max(this=col(PERIOD)), "last_period"),
    ).from_(exp.Table(this=ident(periods_name(group))))
    # changes before the range add up into its first period; later ones are not read
    clamped = exp.Greatest(this=bucket, expressions=[col("first_period", "b")])
    deltas = (
        exp.select(exp.alias_(clamped, ident(PERIOD)))
        .from_(source)
        .join(exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("b"))), join_type="CROSS")
    )
    for dim in dims:
        deltas = deltas.select(exp.alias_(col(dim, "c"), ident(dim)), copy=False)
    for name in partials:
        deltas = deltas.select(exp.alias_(exp.Sum(this=col(name, "c")), ident(name)), copy=False)
    deltas = deltas.where(exp.LTE(this=bucket.copy(), expression=col("last_period", "b"))).group_by(
        clamped.copy(), *[col(d, "c") for d in dims]
    )
    deltas_name = f"{group.name}__deltas"
    order = exp.Order(expressions=[exp.Ordered(this=col(PERIOD, SPINE_ALIAS))])
    partition = [col(d, "combos") for d in dims]

    def running(name: str) -> exp.Expr:
        return exp.Window(
            this=exp.Sum(this=col(name, "d")),
            partition_by=[c.copy() for c in partition],
            order=order.copy(),
            spec=exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
            ),
        )

    totals = exp.select(exp.alias_(col(PERIOD, SPINE_ALIAS), ident(grain.value))).from_(
        periods_table(group)
    )
    conditions: list[exp.Expr] = [
        exp.EQ(this=col(PERIOD, "d"), expression=col(PERIOD, SPINE_ALIAS))
    ]
    if dims:
        combos = (
            exp.select(*[col(d) for d in dims]).distinct().from_(exp.Table(this=ident(deltas_name)))
        )
        totals = totals.join(
            exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))),
            join_type="CROSS",
        )
        for dim in dims:
            totals = totals.select(exp.alias_(col(dim, "combos"), ident(dim)), copy=False)
            conditions.append(exp.NullSafeEQ(this=col(dim, "d"), expression=col(dim, "combos")))
    for name in partials:
        totals = totals.select(exp.alias_(running(name), ident(name)), copy=False)
    totals = totals.join(
        exp.Table(this=ident(deltas_name), alias=exp.TableAlias(this=ident("d"))),
        on=exp.and_(*conditions),
        join_type="LEFT",
    )
    # a sum over no open rows is NULL, as over no rows at all; a combination never open in
    # the range (its rows opened and closed before it) has no rows, as in a join
    keys = [grain.value, *dims]
    open_rows = col(ROWS_PARTIAL, "t")
    select = exp.select(*[exp.alias_(col(k, "t"), ident(k)) for k in keys]).from_(
        exp.Subquery(this=totals, alias=exp.TableAlias(this=ident("t")))
    )
    for name in partials[1:]:
        value: exp.Expr = col(name, "t")
        if name.endswith("__sum"):
            value = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.GT(this=open_rows.copy(), expression=exp.Literal.number(0)),
                        true=value,
                    )
                ]
            )
        select = select.select(exp.alias_(value, ident(name)), copy=False)
    if dims:
        ever = exp.Window(
            this=exp.Max(this=open_rows.copy()), partition_by=[col(d, "t") for d in dims]
        )
        select = select.select(exp.alias_(ever, ident("__ever")), copy=False)
        select = (
            exp.select(*[col(k) for k in keys], *[col(n) for n in partials[1:]])
            .from_(exp.Subquery(this=select, alias=exp.TableAlias(this=ident("t"))))
            .where(exp.GT(this=col("__ever"), expression=exp.Literal.number(0)))
        )
    select = (
        select.with_(ident(periods_name(group)), as_=spine)
        .with_(ident(changes_name), as_=changes)
        .with_(ident(deltas_name), as_=deltas)
    )
    select.add_comments(
        [
            f"{group.name}: {', '.join(group.metrics)} over the rows of src.{group.model}"
            f" open at each {grain.value}'s end: a running total of rows opened minus closed"
        ]
    )
    return select


def snapshot_query(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """The metric over the rows at each period's latest (earliest) time value, that time taken
    over every row passing --where and the filter, then grouped by the query's dimensions."""
    request = plan.request
    grain = request.grain
    [name] = group.metrics
    metric = plan.metrics[name]
    assert isinstance(metric, BaseMetric) and metric.snapshot is not None
    time_value = col(group.time_column, BASE_ALIAS)
    period = period_start(grain, time_value.copy(), plan.week_start) if grain else None
    pick_of = exp.Max if metric.snapshot is Snapshot.LAST else exp.Min
    pick = exp.Window(
        this=pick_of(this=time_value.copy()),
        partition_by=[period.copy()] if period is not None else [],
    )
    rows = exp.select(exp.Column(this=exp.Star(), table=ident(BASE_ALIAS))).from_(
        table_ref("src", group.model, BASE_ALIAS)
    )
    if period is not None:
        rows = rows.select(exp.alias_(period, ident(PERIOD)), copy=False)
    dim_columns = [f"__d{i}" for i in range(len(group.dimensions))]
    for column, dim in zip(dim_columns, group.dimensions, strict=True):
        rows = rows.select(exp.alias_(dimension_value(dim, time_value), ident(column)), copy=False)
    rows = rows.select(exp.alias_(pick, ident("__pick")), copy=False)
    joined = [d.reach for d in (*group.dimensions, *group.where_dimensions) if d.reach]
    rows = add_joins(rows, [d for d in joined if d.path], time_value=time_value)
    conditions: list[exp.Expr] = [
        exp.Not(this=exp.Is(this=time_value.copy(), expression=exp.Null()))
    ]
    if request.start is not None:
        conditions.append(exp.GTE(this=time_value.copy(), expression=date_literal(request.start)))
    if request.end is not None:
        after = request.end + dt.timedelta(days=1)
        conditions.append(exp.LT(this=time_value.copy(), expression=date_literal(after)))
    where = _where(plan, group, time_value)
    if where is not None:
        conditions.append(where)
    if metric.filter is not None:
        conditions.append(exp.Paren(this=qualify(metric.filter, BASE_ALIAS)))
    rows = rows.where(exp.and_(*conditions))
    keys: list[tuple[str, exp.Expr]] = []
    if grain is not None:
        keys.append((grain.value, col(PERIOD, BASE_ALIAS)))
    keys.extend(
        (dim.name, col(column, BASE_ALIAS))
        for column, dim in zip(dim_columns, group.dimensions, strict=True)
    )
    inner = exp.select().from_(
        exp.Subquery(this=rows, alias=exp.TableAlias(this=ident(BASE_ALIAS)))
    )
    for key, value in keys:
        inner = inner.select(exp.alias_(value, ident(key)), copy=False)
    for partial in partials_of(metric):
        value = row_aggregate(replace(metric, filter=None), partial)
        inner = inner.select(exp.alias_(value, ident(partial.column)), copy=False)
    inner = inner.where(
        exp.EQ(this=col(group.time_column, BASE_ALIAS), expression=col("__pick", BASE_ALIAS))
    )
    if keys:
        inner = inner.group_by(*[value.copy() for _, value in keys])
    select = every_period(plan, group, inner, period_spine(plan, group))
    which = "latest" if metric.snapshot is Snapshot.LAST else "earliest"
    select.add_comments(
        [
            f"{group.name}: {name} over the rows of src.{group.model} at the {which}"
            f" {group.time_column} of each {grain.value if grain else 'range'}"
        ]
    )
    return select


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
        .from_(table_ref("src", model.name))
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


def metric_value(
    name: str, metrics: Mapping[str, Metric], partial_column: Callable[[Partial], exp.Expr]
) -> exp.Expr:
    """A metric's final value from its aggregated partials; derived metrics recomputed."""
    metric = metrics[name]
    if isinstance(metric, DerivedMetric):

        def swap(column: exp.Column) -> exp.Expr:
            return exp.Paren(this=metric_value(column.name, metrics, partial_column))

        return substitute_columns(with_safe_division(metric.expr), swap)
    parts = {p.part: partial_column(p) for p in partials_of(metric)}
    match metric.agg:
        case Agg.COUNT | Agg.COUNT_DISTINCT:
            # No rows in a period is zero calls, not unknown.
            key = "count" if metric.agg is Agg.COUNT else "value"
            return exp.Coalesce(this=parts[key], expressions=[exp.Literal.number(0)])
        case Agg.SUM:
            return parts["sum"]
        case Agg.AVG:
            return safe_div(parts["sum"], parts["count"])
        case Agg.MIN:
            return parts["min"]
        case Agg.MAX:
            return parts["max"]
        case Agg.MEDIAN | Agg.PERCENTILE:
            return parts["value"]
    raise AssertionError(metric.agg)


def render_query(plan: QueryPlan) -> exp.Select:
    """The whole query: one CTE per group, joined on the shared period and dimensions."""
    keys = plan.key_columns
    owner: dict[str, str] = {}
    for group in plan.groups:
        for name in group.metrics:
            owner[name] = group.name

    def partial_column(partial: Partial) -> exp.Expr:
        return col(partial.column, owner[partial.metric])

    outputs = [
        exp.alias_(metric_value(name, plan.metrics, partial_column), ident(name))
        for name in plan.request.metrics
    ]
    first = plan.groups[0].name
    union: exp.Query | None = None
    if len(plan.groups) == 1:
        select = exp.select(*[exp.alias_(col(k, first), ident(k)) for k in keys]).from_(
            exp.Table(this=ident(first))
        )
        key_table = first
    elif not keys:
        select = exp.select().from_(exp.Table(this=ident(first)))
        for group in plan.groups[1:]:
            select = select.join(exp.Table(this=ident(group.name)), join_type="CROSS")
        key_table = first
    else:
        # All period x dimension combinations any group has, so no group's rows are lost
        # and NULL dimension values match (IS NOT DISTINCT FROM) instead of splitting rows.
        union = exp.select(*[col(k) for k in keys]).from_(exp.Table(this=ident(first)))
        for group in plan.groups[1:]:
            part = exp.select(*[col(k) for k in keys]).from_(exp.Table(this=ident(group.name)))
            union = exp.union(union, part, distinct=True)
        select = exp.select(*[exp.alias_(col(k, "keys"), ident(k)) for k in keys]).from_(
            exp.Table(this=ident("keys"))
        )
        for group in plan.groups:
            condition = exp.and_(
                *[exp.NullSafeEQ(this=col(k, "keys"), expression=col(k, group.name)) for k in keys]
            )
            select = select.join(exp.Table(this=ident(group.name)), on=condition, join_type="LEFT")
        key_table = "keys"
    for output in outputs:
        select = select.select(output, copy=False)
    for group in plan.groups:
        select = select.with_(ident(group.name), as_=group_query(plan, group))
    if union is not None:
        select = select.with_(ident("keys"), as_=union)
    if keys:
        select = select.order_by(
            *[exp.Ordered(this=col(k, key_table), nulls_first=False) for k in keys]
        )
    return select


def indicator_table_query(
    table: IndicatorTable,
    metrics: Mapping[str, Metric],
    week_start: str = "monday",
    day_table: IndicatorTable | None = None,
) -> exp.Select:
    """CREATE TABLE ind.<name> AS this: additive partials by period x dimensions.

    With `day_table`, a rollup re-aggregates that table's partials instead of scanning the
    source rows again: the same numbers (sums of sums, min of mins), a fraction of the work.
    """
    source = "ind" if day_table is not None else "src"
    origin = day_table.name if day_table is not None else table.model
    select = exp.select().from_(table_ref(source, origin, BASE_ALIAS))
    keys: list[tuple[str, exp.Expr]] = []
    for time_column in table.time_columns:
        stored = day_table.period_column(time_column) if day_table is not None else time_column
        time_value = col(stored, BASE_ALIAS)
        keys.append(
            (table.period_column(time_column), period_start(table.grain, time_value, week_start))
        )
    joined: list[ReachableDimension] = []
    for dim in table.dimensions:
        if day_table is not None and dim.path and day_table.stores(dim):
            # stored by the day table as it was at each row's time: never joined again
            keys.append((table.stored_name(dim), col(day_table.stored_name(dim), BASE_ALIAS)))
            continue
        keys.append(
            (table.stored_name(dim), col(dim.dimension.name, join_alias(dim, len(dim.path))))
        )
        if dim.path:
            joined.append(dim)
    # copy=False: appending to our own fresh tree; a copy per column is quadratic in metrics
    for name, value in keys:
        select = select.select(exp.alias_(value, ident(name)), copy=False)
    for name in table.metrics:
        metric = metrics[name]
        assert isinstance(metric, BaseMetric)
        for partial in partials_of(metric):
            value = (
                exp.func(partial.reaggregate, col(partial.column, BASE_ALIAS))
                if day_table is not None
                else row_aggregate(metric, partial)
            )
            select = select.select(exp.alias_(value, ident(partial.column)), copy=False)
    # a history join needs the row's time: a table that stores such a dimension has one
    row_time = col(table.time_columns[0], BASE_ALIAS) if len(table.time_columns) == 1 else None
    select = add_joins(select, joined, time_value=row_time)
    return select.group_by(*[value.copy() for _, value in keys])


def to_sql(tree: exp.Expr, dialect: str = "duckdb") -> str:
    """Deterministic, pretty SQL text for a dialect (rewritten by dialects.RULES)."""
    return render(tree, dialect, "query")


GRAIN_STEP = {
    Grain.MIN30: ("30", "MINUTE"),
    Grain.HOUR: ("1", "HOUR"),
    Grain.DAY: ("1", "DAY"),
    Grain.WEEK: ("1", "WEEK"),
    Grain.MONTH: ("1", "MONTH"),
    Grain.QUARTER: ("3", "MONTH"),
    Grain.YEAR: ("1", "YEAR"),
}
# Same period last year: the same date for days and months, the same ISO week (52 weeks back).
YEAR_BACK = {
    Grain.MIN30: ("364", "DAY"),
    Grain.HOUR: ("364", "DAY"),
    Grain.DAY: ("1", "YEAR"),
    Grain.WEEK: ("364", "DAY"),
    Grain.MONTH: ("1", "YEAR"),
    Grain.QUARTER: ("1", "YEAR"),
    Grain.YEAR: ("1", "YEAR"),
}


def _interval(amount: str, unit: str) -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(amount), unit=exp.var(unit))


def _as_period(value: exp.Expr, grain: Grain) -> exp.Expr:
    return value if grain.intraday else as_date(value)


def report_query(
    plan: QueryPlan,
    compare: tuple[str, ...],
    targets: Mapping[str, tuple[float | None, float | None]],
) -> exp.Select:
    """A report view: metrics on a time spine, with comparison and target columns.

    Every period between the first and the last one with data appears for every dimension
    combination (counts 0, ratios NULL), so a quiet day is a row, not a gap.
    `compare` holds 'previous_period' and/or 'same_period_last_year'.
    """
    grain = plan.request.grain
    assert grain is not None
    period = grain.value
    dims = list(plan.request.by)
    metrics = list(plan.request.metrics)
    base = render_query(plan)
    ctes = base.args.get("with_")
    base.set("with_", None)
    base.set("order", None)
    amount, unit = GRAIN_STEP[grain]
    bounds = exp.select(
        exp.alias_(exp.Min(this=col(period)), "lo"), exp.alias_(exp.Max(this=col(period)), "hi")
    ).from_(exp.Table(this=ident("base")))
    series = exp.Explode(
        this=exp.GenerateSeries(start=col("lo"), end=col("hi"), step=_interval(amount, unit))
    )
    periods = exp.select(exp.alias_(_as_period(series, grain), ident(period))).from_(
        exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("bounds")))
    )
    spine = exp.select(col(period, "periods"), *[col(d, "combos") for d in dims]).from_(
        exp.Subquery(this=periods, alias=exp.TableAlias(this=ident("periods")))
    )
    if dims:
        combos = exp.select(*[col(d) for d in dims]).distinct().from_(exp.Table(this=ident("base")))
        spine = spine.join(
            exp.Subquery(this=combos, alias=exp.TableAlias(this=ident("combos"))), join_type="CROSS"
        )
    keys = [period, *dims]
    additive = {
        name
        for name in metrics
        if isinstance(plan.metrics[name], BaseMetric)
        and plan.metrics[name].agg in (Agg.COUNT, Agg.SUM, Agg.COUNT_DISTINCT)  # type: ignore[union-attr]
    }
    filled = exp.select(*[col(k, "spine") for k in keys]).from_(exp.Table(this=ident("spine")))
    for name in metrics:
        value: exp.Expr = col(name, "base")
        if name in additive:
            value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        filled = filled.select(exp.alias_(value, ident(name)), copy=False)
    filled = filled.join(
        exp.Table(this=ident("base")),
        on=exp.and_(
            *[exp.NullSafeEQ(this=col(k, "spine"), expression=col(k, "base")) for k in keys]
        ),
        join_type="LEFT",
    )
    final = exp.select(*[exp.alias_(col(k, "cur"), ident(k)) for k in keys]).from_(
        exp.Table(this=ident("filled"), alias=exp.TableAlias(this=ident("cur")))
    )
    comparisons = []
    if "previous_period" in compare:
        comparisons.append(("prev", "", _interval(amount, unit)))
    if "same_period_last_year" in compare:
        comparisons.append(("prev_year", "_year", _interval(*YEAR_BACK[grain])))
    for alias, _, back in comparisons:
        shifted = _as_period(exp.Sub(this=col(period, "cur"), expression=back), grain)
        condition = exp.and_(
            exp.EQ(this=col(period, alias), expression=shifted),
            *[exp.NullSafeEQ(this=col(d, alias), expression=col(d, "cur")) for d in dims],
        )
        final = final.join(
            exp.Table(this=ident("filled"), alias=exp.TableAlias(this=ident(alias))),
            on=condition,
            join_type="LEFT",
        )
    for name in metrics:
        metric = plan.metrics[name]
        current = col(name, "cur")
        final = final.select(exp.alias_(current.copy(), ident(name)))
        for alias, suffix, _ in comparisons:
            previous = col(name, alias)
            final = final.select(exp.alias_(previous.copy(), ident(f"{name}_{alias}")))
            if change_of(metric) is Change.POINTS:
                # Rates change in percentage points: 5 % -> 7 % is +0.02, not +40 %; so do
                # scores that cross zero, such as NPS (-5 -> 5 is +10, not -200 %).
                change: exp.Expr = exp.Sub(this=current.copy(), expression=previous.copy())
            else:
                change = exp.Sub(
                    this=safe_div(current.copy(), previous.copy()), expression=exp.Literal.number(1)
                )
            final = final.select(exp.alias_(change, ident(f"{name}_change{suffix}")))
        if name in targets:
            low, high = targets[name]
            checks: list[exp.Expr] = []
            if low is not None:
                checks.append(exp.GTE(this=current.copy(), expression=exp.Literal.number(low)))
            if high is not None:
                checks.append(exp.LTE(this=current.copy(), expression=exp.Literal.number(high)))
            met = exp.Case(
                ifs=[
                    exp.If(this=exp.Is(this=current.copy(), expression=exp.Null()), true=exp.Null())
                ],
                default=exp.and_(*checks),
            )
            final = final.select(exp.alias_(met, ident(f"{name}_target_met")))
    for cte in ctes.expressions if ctes is not None else []:
        final = final.with_(cte.alias_or_name and ident(cte.alias_or_name), as_=cte.this)
    final = final.with_(ident("base"), as_=base)
    final = final.with_(ident("spine"), as_=spine)
    final = final.with_(ident("filled"), as_=filled)
    return final.order_by(*[exp.Ordered(this=col(k, "cur"), nulls_first=False) for k in keys])
