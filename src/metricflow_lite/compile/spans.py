"""`agg: seconds` with `span: {from: A, until: B}`: the seconds of [A, B) inside each period.

The build writes one indicator table per model and span at the finest interval grain, 15min: a
row of the model is expanded into the quarter hours its span overlaps (a set-returning series
per row, so a span of any length works), each quarter hour gets the seconds of [A, B) inside it,
and the seconds are summed by quarter hour x the model's dimensions. Seconds add up, so every
coarser grain (30min, hour, day, week, month ...) and every range is a sum over that table. A
login 08:50-17:10 is 600 s in the 08:30 half hour and 8 h 20 min in the day; a NULL `until` or an
`until` at or before `from` counts 0 s.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from metricflow_lite.compile.plan import IndicatorTable, partials_of
from metricflow_lite.compile.sqlgen import (
    BASE_ALIAS,
    add_calendar_joins,
    col,
    ident,
    period_start,
    row_sql,
    table_ref,
)
from metricflow_lite.spec.calendar import Calendar
from metricflow_lite.spec.model import BaseMetric, Grain, Metric

SPAN_GRAIN = Grain.MIN15
STEP = ("15", "MINUTE")
EXPANDED = "s"
INTERVAL = "__interval"
SPAN_FROM = "__from"
SPAN_UNTIL = "__until"


def _step() -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(STEP[0]), unit=exp.var(STEP[1]))


def filter_column(metric: str) -> str:
    return f"__filter__{metric}"


def span_table_query(
    table: IndicatorTable,
    metrics: Mapping[str, Metric],
    week_start: str = "monday",
    calendars: tuple[Calendar, ...] = (),
) -> exp.Select:
    """CREATE TABLE ind.<model>_<from>_<until>_15min AS this: span seconds by quarter hour."""
    span = table.span
    assert span is not None and table.grain is SPAN_GRAIN
    start, until = col(span.start, BASE_ALIAS), col(span.until, BASE_ALIAS)
    members = [m for name in table.metrics if isinstance(m := metrics[name], BaseMetric)]
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=period_start(SPAN_GRAIN, start.copy(), week_start),
            end=until.copy(),
            step=_step(),
        )
    )
    inner = exp.select().from_(table_ref("src", table.model, BASE_ALIAS))
    for dim in table.dimensions:
        value = col(dim.dimension.name, BASE_ALIAS)
        inner = inner.select(exp.alias_(value, ident(table.stored_name(dim))), copy=False)
    for metric in members:
        condition = row_sql(metric.filter, calendars)
        if condition is not None:
            inner = inner.select(
                exp.alias_(condition, ident(filter_column(metric.name))), copy=False
            )
    inner = inner.select(
        exp.alias_(start.copy(), ident(SPAN_FROM)),
        exp.alias_(until.copy(), ident(SPAN_UNTIL)),
        exp.alias_(series, ident(INTERVAL)),
        copy=False,
    )
    inner = add_calendar_joins(inner, members, calendars)
    inner = inner.where(exp.GT(this=until.copy(), expression=start.copy()))
    interval: exp.Expr = col(INTERVAL, EXPANDED)
    inside = exp.DateDiff(
        this=exp.Least(
            this=col(SPAN_UNTIL, EXPANDED),
            expressions=[exp.Add(this=interval.copy(), expression=_step())],
        ),
        expression=exp.Greatest(this=col(SPAN_FROM, EXPANDED), expressions=[interval.copy()]),
        unit=exp.var("SECOND"),
        date_part_boundary=True,
    )
    keys: list[tuple[str, exp.Expr]] = [(table.period_column(span.start), interval)]
    keys.extend(
        (table.stored_name(d), col(table.stored_name(d), EXPANDED)) for d in table.dimensions
    )
    select = exp.select().from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(EXPANDED)))
    )
    for name, key in keys:
        select = select.select(exp.alias_(key, ident(name)), copy=False)
    for metric in members:
        [partial] = partials_of(metric)
        seconds: exp.Expr = inside.copy()
        if metric.filter is not None:
            seconds = exp.Case(
                ifs=[exp.If(this=col(filter_column(metric.name), EXPANDED), true=seconds)]
            )
        total = exp.Sum(this=seconds)
        select = select.select(exp.alias_(total, ident(partial.column)), copy=False)
    # the series ends at `until` itself: a span ending on a quarter hour adds that quarter at 0 s
    select = select.where(exp.LT(this=interval.copy(), expression=col(SPAN_UNTIL, EXPANDED)))
    return select.group_by(*[key.copy() for _, key in keys])
