"""Calendar periods of a grain: where one starts, where the next starts, which are whole."""

from __future__ import annotations

import datetime as dt

from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.windows import Span, WindowKind, WindowStep


def period_start(day: dt.date, grain: Grain, week_start: str) -> dt.date:
    """The first day of the period of `grain` that contains `day` (day grain and coarser)."""
    match grain:
        case Grain.DAY | Grain.MIN15 | Grain.MIN30 | Grain.HOUR:
            return day
        case Grain.WEEK:
            first = 0 if week_start == "monday" else 6  # weekday() of the week's first day
            return day - dt.timedelta(days=(day.weekday() - first) % 7)
        case Grain.MONTH:
            return day.replace(day=1)
        case Grain.QUARTER:
            return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        case Grain.YEAR:
            return day.replace(month=1, day=1)
    raise AssertionError(grain)


def next_period(start: dt.date, grain: Grain) -> dt.date:
    """The first day of the following period."""
    match grain:
        case Grain.DAY | Grain.MIN15 | Grain.MIN30 | Grain.HOUR:
            return start + dt.timedelta(days=1)
        case Grain.WEEK:
            return start + dt.timedelta(days=7)
        case Grain.MONTH | Grain.QUARTER | Grain.YEAR:
            months = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}[grain]
            index = start.year * 12 + start.month - 1 + months
            return dt.date(index // 12, index % 12 + 1, 1)
    raise AssertionError(grain)


def latest_complete_period(last_day: dt.date, grain: Grain, week_start: str) -> dt.date:
    """The last period that ends on or before the last day with data."""
    start = period_start(last_day, grain, week_start)
    if next_period(start, grain) - dt.timedelta(days=1) <= last_day:
        return start
    return period_start(start - dt.timedelta(days=1), grain, week_start)


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


def period_end(start: dt.date, grain: Grain) -> dt.date:
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
                month_end = (last + dt.timedelta(days=1)).day == 1
                first = shifted(first, step.span)
                # A period that ends on a month's last day still does, a month earlier
                # (April shifted back 1 month is all of March, not 03-01..03-30).
                if step.span.months and month_end:
                    last = shifted(last + dt.timedelta(days=1), step.span) - dt.timedelta(days=1)
                else:
                    last = shifted(last, step.span)
            case WindowKind.TOTAL:
                pass
    return first, last
