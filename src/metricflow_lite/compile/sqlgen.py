"""Plan -> sqlglot expression trees -> SQL text per dialect; DDL for the generated layers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from sqlglot import exp

from metricflow_lite.compile.dialects import render
from metricflow_lite.compile.frames import PLAIN, Frame
from metricflow_lite.compile.plan import (
    GroupPlan,
    IndicatorTable,
    Partial,
    PlannedDimension,
    QueryPlan,
    Source,
    partials_of,
)
from metricflow_lite.spec.expr import column_path, safe_div, substitute_columns, with_safe_division
from metricflow_lite.spec.joins import ReachableDimension
from metricflow_lite.spec.model import (
    Agg,
    BaseMetric,
    Change,
    DerivedMetric,
    Grain,
    Metric,
    change_of,
)
from metricflow_lite.spec.windows import PERIOD_SECONDS, call_name, step_of

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
    select: exp.Select, dims: list[ReachableDimension], skip_first: int = 0
) -> exp.Select:
    """LEFT JOIN each model on a dimension's path once (many-to-one joins never fan out)."""
    seen: set[str] = set()
    for dim in sorted(dims, key=lambda d: d.qualified_name):
        for depth, hop in enumerate(dim.path, start=1):
            alias = join_alias(dim, depth)
            if alias in seen or depth <= skip_first:
                continue
            seen.add(alias)
            left = join_alias(dim, depth - 1)
            condition = exp.EQ(this=col(hop.column, left), expression=col(hop.primary_key, alias))
            select = select.join(table_ref("src", hop.model, alias), on=condition, join_type="LEFT")
    return select


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
    select = add_joins(select, [d for d in joined if d.path])
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


PartialColumn = Callable[[Partial, Frame], exp.Expr]
SecondsColumn = Callable[[Frame], exp.Expr]


def metric_value(
    name: str,
    metrics: Mapping[str, Metric],
    partial_column: PartialColumn,
    frame: Frame = PLAIN,
    seconds: SecondsColumn | None = None,
) -> exp.Expr:
    """A metric's final value from its aggregated partials; derived metrics recomputed.

    A window call reads its metric's partials in a wider frame: the same formula over the
    window's parts (rolling abandonment = 7 days' abandoned / 7 days' offered)."""
    metric = metrics[name]
    if isinstance(metric, DerivedMetric):
        return _formula_value(metric.expr, metrics, partial_column, frame, seconds)
    parts = {p.part: partial_column(p, frame) for p in partials_of(metric)}
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


def _formula_value(
    tree: exp.Expr,
    metrics: Mapping[str, Metric],
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
            value = _formula_value(node.expressions[0], metrics, partial_column, inner, seconds)
            return exp.Paren(this=value)
        if isinstance(node, exp.Column):
            value = metric_value(node.name, metrics, partial_column, frame, seconds)
            return exp.Paren(this=value)
        return node

    return with_safe_division(tree).transform(swap)


def render_query(plan: QueryPlan) -> exp.Select:
    """The whole query: one CTE per group, joined on the shared period and dimensions."""
    # The window SQL builds on this module's helpers, so it is imported where it is used.
    from metricflow_lite.compile import windowsql

    keys = plan.key_columns
    grain_keys = keys[:1] if plan.request.grain is not None else ()
    owner: dict[tuple[str, Frame], str] = {}
    for group in plan.groups:
        for name in group.metrics:
            owner[(name, group.frame)] = group.name
    frames = sorted({g.frame for g in plan.groups if g.windowed}, key=lambda f: f.key)
    frames += [f for f in plan.seconds_frames if f.steps and f not in frames]
    frame_names = {frame: windowsql.frame_name(frame) for frame in frames}

    # Groups of total() parts join on the period alone; the others make the rows.
    by = bool(plan.request.by)
    members = [g for g in plan.groups if not (g.frame.total and by)]
    totals = [g.name for g in plan.groups if g.frame.total and by]
    first = members[0].name
    union: exp.Query | None = None
    if len(members) == 1:
        select = exp.select(*[exp.alias_(col(k, first), ident(k)) for k in keys]).from_(
            exp.Table(this=ident(first))
        )
        key_table = first
    elif not keys:
        select = exp.select().from_(exp.Table(this=ident(first)))
        for group in members[1:]:
            select = select.join(exp.Table(this=ident(group.name)), join_type="CROSS")
        key_table = first
    else:
        # All period x dimension combinations any group has, so no group's rows are lost
        # and NULL dimension values match (IS NOT DISTINCT FROM) instead of splitting rows.
        union = exp.select(*[col(k) for k in keys]).from_(exp.Table(this=ident(first)))
        for group in members[1:]:
            part = exp.select(*[col(k) for k in keys]).from_(exp.Table(this=ident(group.name)))
            union = exp.union(union, part, distinct=True)
        select = exp.select(*[exp.alias_(col(k, "keys"), ident(k)) for k in keys]).from_(
            exp.Table(this=ident("keys"))
        )
        for group in members:
            condition = exp.and_(
                *[exp.NullSafeEQ(this=col(k, "keys"), expression=col(k, group.name)) for k in keys]
            )
            select = select.join(exp.Table(this=ident(group.name)), on=condition, join_type="LEFT")
        key_table = "keys"
    for name in [*totals, *[frame_names[f] for f in plan.seconds_frames if f.steps]]:
        if grain_keys:
            on = exp.EQ(this=col(keys[0], key_table), expression=col(keys[0], name))
            select = select.join(exp.Table(this=ident(name)), on=on, join_type="LEFT")
        else:
            select = select.join(exp.Table(this=ident(name)), join_type="CROSS")

    def partial_column(partial: Partial, frame: Frame) -> exp.Expr:
        return col(partial.column, owner[(partial.metric, frame)])

    def seconds(frame: Frame) -> exp.Expr:
        if frame.steps:
            return col(windowsql.FRAME_SECONDS, frame_names[frame])
        return windowsql.period_seconds(plan, col(keys[0], key_table) if grain_keys else None)

    for name in plan.request.metrics:
        value = metric_value(name, plan.metrics, partial_column, PLAIN, seconds)
        select = select.select(exp.alias_(value, ident(name)), copy=False)
    if windowsql.needs_spine(plan):
        select = select.with_(ident(windowsql.SPINE), as_=windowsql.spine_query(plan))
    for frame in frames:
        select = select.with_(ident(frame_names[frame]), as_=windowsql.frame_query(plan, frame))
    for group in plan.groups:
        query = (
            windowsql.window_group_query(plan, group)
            if group.windowed
            else group_query(plan, group)
        )
        select = select.with_(ident(group.name), as_=query)
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
    for dim in table.dimensions:
        keys.append(
            (table.stored_name(dim), col(dim.dimension.name, join_alias(dim, len(dim.path))))
        )
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
    select = add_joins(select, [d for d in table.dimensions if d.path])
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


def interval(amount: str, unit: str) -> exp.Expr:
    """INTERVAL 'amount' unit."""
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
        this=exp.GenerateSeries(start=col("lo"), end=col("hi"), step=interval(amount, unit))
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
        comparisons.append(("prev", "", interval(amount, unit)))
    if "same_period_last_year" in compare:
        comparisons.append(("prev_year", "_year", interval(*YEAR_BACK[grain])))
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
