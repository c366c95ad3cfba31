"""Calendar periods of a grain: where one starts, where the next starts, which are whole.

The rule of a whole period lives in metricflow_lite/periods.py (the CLI's fast path reads it
without the compiler) and is re-exported here; windows and date ranges are this module's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from metricflow_lite.periods import DEFAULT_COMPLETE_GRACE as DEFAULT_COMPLETE_GRACE
from metricflow_lite.periods import INTERVAL_LENGTH as INTERVAL_LENGTH
from metricflow_lite.periods import DataBounds as DataBounds
from metricflow_lite.periods import as_datetime as as_datetime
from metricflow_lite.periods import is_complete as is_complete
from metricflow_lite.periods import next_period as next_period
from metricflow_lite.periods import period_end as period_end
from metricflow_lite.periods import period_start as period_start
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.windows import Span, WindowKind, WindowStep


def whole_periods(
    start: dt.date | None, end: dt.date | None, grain: Grain | None, week_start: str
) -> tuple[dt.date | None, dt.date | None]:
    """A date range widened to whole periods of the grain, so that the first and last rows are
    not part-periods labelled as whole ones (--start on a Sunday, by week, starts on Monday)."""
    if grain is None:
        return start, end
    first = period_start(start, grain, week_start) if start else None
    last = (
        next_period(period_start(end, grain, week_start), grain) - dt.timedelta(days=1)
        if end
        else None
    )
    return first, last


def latest_complete_start(
    bounds: Sequence[DataBounds], grain: Grain, week_start: str, grace: dt.timedelta
) -> dt.date | None:
    """The start of the latest complete period of `grain` (a day for interval grains: the
    intraday report shows one day of intervals); None when no period is complete."""
    if not bounds:
        return None
    unit = Grain.DAY if grain.intraday else grain
    last = min(b.last for b in bounds)
    first = max(b.first for b in bounds).date()
    start = period_start(last.date(), unit, week_start)
    while start >= period_start(first, unit, week_start):
        if is_complete(start, unit, bounds, grace):
            return start
        start = period_start(start - dt.timedelta(days=1), unit, week_start)
    return None


def elapsed_cut(start: dt.date, grain: Grain, data_end: dt.datetime) -> dt.timedelta | None:
    """How much of a period in progress has data (`data_end` inside it); None if it is over."""
    begin, end = as_datetime(start), period_end(start, grain)
    if begin <= data_end < end:
        return data_end - begin
    return None


def period_last_day(start: dt.date, grain: Grain) -> dt.date:
    """The last day of the period of `grain` that starts on `start`."""
    return next_period(start, grain) - dt.timedelta(days=1)


def minus_months(day: dt.date, months: int) -> dt.date:
    """`day` minus whole months, clamped to the month's end as DuckDB does (03-31 - 1 month
    is 02-29 in a leap year)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def shifted(day: dt.date, span: Span) -> dt.date:
    """`day` moved back by a span (days, weeks or calendar months)."""
    if span.months:
        return minus_months(day, span.months)
    return day - dt.timedelta(days=span.days)


def window_frame(
    steps: tuple[WindowStep, ...], first: dt.date, last: dt.date, week_start: str
) -> tuple[dt.date, dt.date]:
    """The days [lo, hi] that a period [first, last] reads through window steps, the
    outermost step first (shift(to_date(m, 'month'), '1 year'): shift, then to_date)."""
    for step in steps:
        match step.kind:
            case WindowKind.ROLLING:
                assert step.span is not None
                first = last - dt.timedelta(days=step.span.days - 1)
            case WindowKind.TO_DATE:
                assert step.unit is not None
                first = period_start(last, Grain(step.unit.value), week_start)
            case WindowKind.SHIFT:
                assert step.span is not None
                whole_months = first.day == 1 and (last + dt.timedelta(days=1)).day == 1
                first = shifted(first, step.span)
                # Whole months stay whole months (April shifted back 1 month is all of March,
                # not 03-01..03-30); any other frame keeps its length (04-30 is 03-30 alone).
                if step.span.months and whole_months:
                    last = shifted(last + dt.timedelta(days=1), step.span) - dt.timedelta(days=1)
                else:
                    last = shifted(last, step.span)
            case WindowKind.TOTAL:
                pass
    return first, last
