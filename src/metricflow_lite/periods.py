"""Calendar periods of a grain and whether the data covers them whole (DESIGN-2 §2).

It imports no compiler, so the CLI's fast path (jobs/fastpath.py) marks incomplete periods with
the same rule as the full path; compile/periods.py re-exports it and adds windows and ranges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from metricflow_lite.spec.kinds import Grain


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


# DESIGN-2 §2: data through 23:10 completes a day; a center that closes early sets a longer grace.
DEFAULT_COMPLETE_GRACE = dt.timedelta(hours=1)
INTERVAL_LENGTH = {
    Grain.MIN15: dt.timedelta(minutes=15),
    Grain.MIN30: dt.timedelta(minutes=30),
    Grain.HOUR: dt.timedelta(hours=1),
}


@dataclass(frozen=True, slots=True)
class DataBounds:
    """The first and last time value of one model's rows (local wall time)."""

    model: str
    first: dt.datetime
    last: dt.datetime


def as_datetime(value: dt.date) -> dt.datetime:
    """A date as its midnight; a datetime unchanged."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def period_end(start: dt.date, grain: Grain) -> dt.datetime:
    """The instant the period that starts at `start` ends (the next period's start)."""
    if grain.intraday:
        return as_datetime(start) + INTERVAL_LENGTH[grain]
    return as_datetime(next_period(day_of(start), grain))


def is_complete(
    start: dt.date, grain: Grain, bounds: Sequence[DataBounds], grace: dt.timedelta
) -> bool:
    """True when every model covers the period: its first time value falls on the period's
    first day or earlier, and its last is at or after the period's end minus `grace`."""
    end = period_end(start, grain)
    return bool(bounds) and all(
        b.first.date() <= day_of(start) and b.last >= end - grace for b in bounds
    )


def day_of(value: dt.date) -> dt.date:
    """The day of a date or a datetime."""
    return value.date() if isinstance(value, dt.datetime) else value


def model_bounds(model: str, first: object, last: object) -> DataBounds | None:
    """A model's bounds from MIN and MAX of its time column; None when it has no rows.

    A DATE column's last day is covered whole (a daily schedule for 01-13 covers 01-13), a
    timestamp up to itself; time zones are dropped (the columns hold local wall time)."""
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        return None
    if isinstance(last, dt.datetime):
        until = last.replace(tzinfo=None)
    else:
        until = dt.datetime(last.year, last.month, last.day) + dt.timedelta(days=1)
    if isinstance(first, dt.datetime):
        begin = first.replace(tzinfo=None)
    else:
        begin = dt.datetime(first.year, first.month, first.day)
    return DataBounds(model, begin, until)


def rows_complete(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    grain: Grain | None,
    bounds: Sequence[DataBounds],
    grace: dt.timedelta,
) -> tuple[bool, ...] | None:
    """Whether each query row's period is complete; None without a grain column."""
    if grain is None or grain.value not in columns:
        return None
    at = list(columns).index(grain.value)
    flags = []
    for row in rows:
        value = row[at]
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        flags.append(isinstance(value, dt.date) and is_complete(value, grain, bounds, grace))
    return tuple(flags)
