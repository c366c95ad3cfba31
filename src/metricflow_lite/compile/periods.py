"""Calendar periods of a grain: where one starts, where the next starts, which are whole."""

from __future__ import annotations

import datetime as dt

from metricflow_lite.spec.model import Grain


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
