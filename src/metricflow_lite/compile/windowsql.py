"""SQL for window frames: the spine of periods, each frame's days, and a group read over them.

A window group joins each period's frame of days to the day table's partials (additive
metrics: a rolling window over day partials) or to the model's rows (distinct counts, medians,
percentiles: recomputed over the frame's rows). Frames reach before --start: only the frame
bounds the rows a window reads.
"""

from __future__ import annotations

from sqlglot import exp

from metricflow_lite.compile.frames import Frame
from metricflow_lite.compile.plan import GroupPlan, QueryPlan, Source, partials_of
from metricflow_lite.compile.sqlgen import (
    BASE_ALIAS,
    GRAIN_STEP,
    add_joins,
    as_date,
    col,
    date_literal,
    days,
    dimension_value,
    ident,
    interval,
    period_start,
    row_aggregate,
    table_ref,
)
from metricflow_lite.spec.expr import column_path, substitute_columns
from metricflow_lite.spec.model import BaseMetric, Grain
from metricflow_lite.spec.windows import Span, WindowKind

SPINE = "window_spine"
FRAME_FIRST = "frame_first"
FRAME_LAST = "frame_last"
FRAME_SECONDS = "frame_seconds"
FRAME_ALIAS = "f"
DAY_SECONDS = 86400
FIXED_SECONDS = {Grain.MIN30: 1800, Grain.HOUR: 3600, Grain.DAY: DAY_SECONDS, Grain.WEEK: 604800}


def frame_name(frame: Frame) -> str:
    """The CTE that lists each period's frame of days."""
    return f"frame__{frame.key}"


def needs_spine(plan: QueryPlan) -> bool:
    """True when some value reads a frame of days, or the length of a range from the data."""
    if any(g.windowed for g in plan.groups) or any(f.steps for f in plan.seconds_frames):
        return True
    open_range = plan.request.start is None or plan.request.end is None
    return plan.request.grain is None and bool(plan.seconds_frames) and open_range


def period_seconds(plan: QueryPlan, period: exp.Expr | None) -> exp.Expr:
    """The length in seconds of the period a row is for (the range's, without a grain)."""
    grain = plan.request.grain
    if grain is None:
        start, end = plan.request.start, plan.request.end
        if start is not None and end is not None:
            return exp.Literal.number(((end - start).days + 1) * DAY_SECONDS)
        length = _frame_seconds(col(FRAME_FIRST), col(FRAME_LAST))
        return exp.Subquery(this=exp.select(length).from_(exp.Table(this=ident(SPINE))))
    if grain in FIXED_SECONDS:
        return exp.Literal.number(FIXED_SECONDS[grain])
    assert period is not None
    return _frame_seconds(period.copy(), period_last(grain, period.copy()))


def _frame_seconds(first: exp.Expr, last: exp.Expr) -> exp.Expr:
    days_between = exp.DateDiff(this=last, expression=first, unit=exp.var("DAY"))
    return exp.Mul(
        this=exp.paren(exp.Add(this=days_between, expression=exp.Literal.number(1)), copy=False),
        expression=exp.Literal.number(DAY_SECONDS),
    )


def period_last(grain: Grain, first: exp.Expr) -> exp.Expr:
    """The last day of the period of `grain` that starts on `first` (a date)."""
    amount, unit = GRAIN_STEP[grain]
    after = as_date(exp.Add(this=first, expression=interval(amount, unit)))
    return as_date(exp.Sub(this=after, expression=days(1)))


def _data_bounds(plan: QueryPlan) -> exp.Select:
    """The first and last day of the range: --start/--end, else of the data the groups read."""
    sources: set[tuple[str, str, str]] = set()
    for group in plan.groups:
        if group.source is Source.INDICATOR and group.table is not None:
            sources.add(("ind", group.table.name, group.table.period_column(group.time_column)))
        else:
            sources.add(("src", group.model, group.time_column))
    parts: exp.Query | None = None
    for schema, table, column in sorted(sources):
        day = as_date(col(column))
        part = exp.select(
            exp.alias_(exp.Min(this=day), ident("lo")),
            exp.alias_(exp.Max(this=day.copy()), ident("hi")),
        ).from_(table_ref(schema, table))
        parts = part if parts is None else exp.union(parts, part, distinct=False)
    assert parts is not None
    lo: exp.Expr = exp.Min(this=col("lo"))
    hi: exp.Expr = exp.Max(this=col("hi"))
    # COALESCE keeps one aggregated row however many tables the data comes from.
    if plan.request.start is not None:
        lo = exp.Coalesce(this=date_literal(plan.request.start), expressions=[lo])
    if plan.request.end is not None:
        hi = exp.Coalesce(this=date_literal(plan.request.end), expressions=[hi])
    return exp.select(exp.alias_(lo, ident("lo")), exp.alias_(hi, ident("hi"))).from_(
        exp.Subquery(this=parts, alias=exp.TableAlias(this=ident("data")))
    )


def spine_query(plan: QueryPlan) -> exp.Select:
    """Every period of the query's range at its grain with its first and last day; without a
    grain, one row for the whole range (the data's first and last day where not given)."""
    bounds = exp.Subquery(this=_data_bounds(plan), alias=exp.TableAlias(this=ident("bounds")))
    grain = plan.request.grain
    if grain is None:
        select = exp.select(
            exp.alias_(col("lo"), ident(FRAME_FIRST)), exp.alias_(col("hi"), ident(FRAME_LAST))
        ).from_(bounds)
        select.add_comments(["spine: the whole range"])
        return select
    amount, unit = GRAIN_STEP[grain]
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=period_start(grain, col("lo"), plan.week_start),
            end=period_start(grain, col("hi"), plan.week_start),
            step=interval(amount, unit),
        )
    )
    periods = exp.select(exp.alias_(as_date(series), ident(grain.value))).from_(bounds)
    select = exp.select(
        col(grain.value),
        exp.alias_(col(grain.value), ident(FRAME_FIRST)),
        exp.alias_(period_last(grain, col(grain.value)), ident(FRAME_LAST)),
    ).from_(exp.Subquery(this=periods, alias=exp.TableAlias(this=ident("periods"))))
    select.add_comments([f"spine: every {grain.value} of the range"])
    return select


def frame_bounds(
    frame: Frame, first: exp.Expr, last: exp.Expr, week_start: str
) -> tuple[exp.Expr, exp.Expr]:
    """The first and last day a period [first, last] reads through a frame's steps, outermost
    step first (periods.window_frame is the same arithmetic on dates)."""
    for step in frame.steps:
        match step.kind:
            case WindowKind.ROLLING:
                assert step.span is not None
                first = as_date(exp.Sub(this=last.copy(), expression=days(step.span.days - 1)))
            case WindowKind.TO_DATE:
                assert step.unit is not None
                first = period_start(Grain(step.unit.value), last.copy(), week_start)
            case WindowKind.SHIFT:
                assert step.span is not None
                first = _shifted(first, step.span)
                if step.span.months:
                    # A period that ends on a month's last day still does a month earlier.
                    after = as_date(exp.Add(this=last.copy(), expression=days(1)))
                    month_end = exp.EQ(
                        this=exp.Extract(this=exp.var("DAY"), expression=after.copy()),
                        expression=exp.Literal.number(1),
                    )
                    shifted_end = as_date(
                        exp.Sub(this=_shifted(after, step.span), expression=days(1))
                    )
                    last = exp.Case(
                        ifs=[exp.If(this=month_end, true=shifted_end)],
                        default=_shifted(last, step.span),
                    )
                else:
                    last = _shifted(last, step.span)
            case WindowKind.TOTAL:
                pass
    return first, last


def _shifted(value: exp.Expr, span: Span) -> exp.Expr:
    amount, unit = (span.months, "MONTH") if span.months else (span.days, "DAY")
    return as_date(exp.Sub(this=value.copy(), expression=interval(str(amount), unit)))


def frame_query(plan: QueryPlan, frame: Frame) -> exp.Select:
    """Each period of the spine with the first and last day its frame reads, and its length."""
    first, last = frame_bounds(frame, col(FRAME_FIRST), col(FRAME_LAST), plan.week_start)
    keys = [col(plan.request.grain.value)] if plan.request.grain is not None else []
    inner = exp.select(
        *keys, exp.alias_(first, ident(FRAME_FIRST)), exp.alias_(last, ident(FRAME_LAST))
    ).from_(exp.Table(this=ident(SPINE)))
    select = exp.select(
        *[k.copy() for k in keys],
        col(FRAME_FIRST),
        col(FRAME_LAST),
        exp.alias_(_frame_seconds(col(FRAME_FIRST), col(FRAME_LAST)), ident(FRAME_SECONDS)),
    ).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=ident("bounds"))))
    select.add_comments([f"frame: {frame}"])
    return select


def window_group_query(plan: QueryPlan, group: GroupPlan) -> exp.Select:
    """SELECT period, dimensions, partials over each period's frame of days: additive parts
    from the day table's partials, the others recomputed from the frame's rows."""
    request = plan.request
    if group.source is Source.ROWS:
        time_value: exp.Expr = col(group.time_column, BASE_ALIAS)
        source = table_ref("src", group.model, BASE_ALIAS)
        # Inclusive last day on a timestamp: everything before the next midnight.
        after = as_date(exp.Add(this=col(FRAME_LAST, FRAME_ALIAS), expression=days(1)))
        upper: exp.Expr = exp.LT(this=time_value.copy(), expression=after)
    else:
        assert group.table is not None
        time_value = col(group.table.period_column(group.time_column), BASE_ALIAS)
        source = table_ref("ind", group.table.name, BASE_ALIAS)
        upper = exp.LTE(this=time_value.copy(), expression=col(FRAME_LAST, FRAME_ALIAS))
    lower = exp.GTE(this=time_value.copy(), expression=col(FRAME_FIRST, FRAME_ALIAS))
    frame_table = exp.Table(
        this=ident(frame_name(group.frame)), alias=exp.TableAlias(this=ident(FRAME_ALIAS))
    )
    select = exp.select().from_(frame_table).join(source, on=exp.and_(lower, upper))
    keys: list[tuple[str, exp.Expr]] = []
    if request.grain is not None:
        keys.append((request.grain.value, col(request.grain.value, FRAME_ALIAS)))
    for dim in group.dimensions:
        keys.append((dim.name, dimension_value(dim, time_value)))
    for name, value in keys:
        select = select.select(exp.alias_(value, ident(name)), copy=False)
    for name in group.metrics:
        metric = plan.metrics[name]
        assert isinstance(metric, BaseMetric)
        for partial in partials_of(metric):
            if group.source is Source.ROWS:
                value = row_aggregate(metric, partial)
            else:
                value = exp.func(partial.reaggregate, col(partial.column, BASE_ALIAS))
            select = select.select(exp.alias_(value, ident(partial.column)), copy=False)
    joined = [
        d.reach
        for d in (*group.dimensions, *group.where_dimensions)
        if d.reach and d.stored_as is None
    ]
    select = add_joins(select, [d for d in joined if d.path])
    if request.where is not None:
        values = {d.name: dimension_value(d, time_value) for d in group.where_dimensions}
        where = substitute_columns(request.where, lambda c: values.get(column_path(c)))
        select = select.where(exp.Paren(this=where))
    if keys:
        select = select.group_by(*[value.copy() for _, value in keys])
    origin = f"ind.{group.table.name}" if group.table is not None else f"src.{group.model}"
    select.add_comments(
        [f"{group.name}: {', '.join(group.metrics)} over {group.frame} from {origin}"]
    )
    return select
