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


# A query without a grain: its --start and --end days, either left open.
Span = tuple[dt.date | None, dt.date | None]


def span_days(span: Span, bounds: Sequence[DataBounds]) -> tuple[dt.date, dt.date] | None:
    """The days a query without a grain covers: --start..--end, an open side taken from the
    data (the first day any model has data, the last day any has); None when a side is open
    and no model has rows."""
    start, end = span
    if start is None:
        if not bounds:
            return None
        start = min(b.first.date() for b in bounds)
    if end is None:
        if not bounds:
            return None
        # `last` is the instant the data reaches: a DATE column's is the next midnight
        end = max(start, max((b.last - dt.timedelta(microseconds=1)).date() for b in bounds))
    return start, end


def span_complete(span: Span, bounds: Sequence[DataBounds], grace: dt.timedelta) -> bool:
    """The rule of a period (is_complete), over the whole range of a query without a grain."""
    days = span_days(span, bounds)
    if days is None or not bounds:
        return False
    until = as_datetime(days[1] + dt.timedelta(days=1))
    return all(b.first.date() <= days[0] and b.last >= until - grace for b in bounds)


def span_label(span: Span, bounds: Sequence[DataBounds]) -> str:
    """The range as the incomplete note names it: 2024-11-01..2025-02-28."""
    days = span_days(span, bounds)
    if days is None:
        start, end = span
        return f"{start or ''}..{end or ''}"  # an open side without data stays open
    return f"{days[0]}..{days[1]}"


def rows_complete(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    grain: Grain | None,
    bounds: Sequence[DataBounds],
    grace: dt.timedelta,
    span: Span | None = None,
) -> tuple[bool, ...] | None:
    """Whether each query row's period is complete; without a grain, whether the data covers
    the query's range (`span`), the same for every row. None without a grain column, and
    without a grain when `span` is None (no model the query reads has a time column)."""
    if grain is None:
        if span is None:
            return None
        return (span_complete(span, bounds, grace),) * len(rows)
    if grain.value not in columns:
        return None
    at = list(columns).index(grain.value)
    flags = []
    for row in rows:
        value = row[at]
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        flags.append(isinstance(value, dt.date) and is_complete(value, grain, bounds, grace))
    return tuple(flags)


@dataclass(frozen=True, slots=True)
class Completeness:
    """Which rows of a query the data covers whole: `flags` per row, and for a query without a
    grain the range the flags speak of, as the incomplete note names it."""

    flags: tuple[bool, ...]
    range_label: str | None = None


def query_completeness(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    grain: Grain | None,
    bounds: Sequence[DataBounds],
    grace: dt.timedelta,
    span: Span | None,
) -> Completeness | None:
    """rows_complete, with the range's label when there is no grain."""
    flags = rows_complete(columns, rows, grain, bounds, grace, span)
    if flags is None:
        return None
    label = span_label(span, bounds) if grain is None and span is not None else None
    return Completeness(flags, label)
