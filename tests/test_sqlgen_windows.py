"""Golden SQL of each window node kind (rolling, to_date, shift, total, period_seconds) on the
three dialects, and the plan tree that says which node reads what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import pytest
from conftest import FIXTURES

from metricflow_lite.compile.frames import Frame
from metricflow_lite.compile.periods import next_period, period_last_day, period_start, window_frame
from metricflow_lite.compile.plan import (
    PeriodSpine,
    QueryRequest,
    frame_nodes,
    plan_query,
    plan_tree,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec
from metricflow_lite.spec.windows import Span, Unit, WindowKind, WindowStep

MARCH = {"start": dt.date(2024, 3, 1), "end": dt.date(2024, 3, 31)}
CASES = {
    # Rolling over rows: a distinct count is recomputed from the window's rows.
    "rolling_distinct_from_rows": QueryRequest(
        metrics=("rolling_callers_7d",), grain=Grain.DAY, **MARCH
    ),
    # Rolling over day partials, by queue, the --where inside the window.
    "rolling_ratio_from_day_partials": QueryRequest(
        metrics=("rolling_abandonment_7d",),
        by=("queue",),
        grain=Grain.DAY,
        where=parse_where("queue = 'A'", Location("--where"), "--where"),
        **MARCH,
    ),
    "to_date_month": QueryRequest(metrics=("offered_mtd",), grain=Grain.DAY, **MARCH),
    "shift_of_to_date": QueryRequest(metrics=("offered_mtd_last_year",), grain=Grain.MONTH),
    "total_share_by_queue": QueryRequest(
        metrics=("queue_share",), by=("queue",), grain=Grain.MONTH, **MARCH
    ),
    "period_seconds_of_the_data": QueryRequest(metrics=("calls_per_day",)),
}
DIALECTS = ("duckdb", "postgres", "spark")


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(FIXTURES / "windows"))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_window_sql(
    spec: ProjectSpec, name: str, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """Generated SQL of a window node kind, per dialect."""
    plan = plan_query(spec, CASES[name])
    snapshot(f"windows/{name}.{dialect}.sql", to_sql(render_query(plan), dialect))


def test_plan_tree_of_nested_windows(spec: ProjectSpec) -> None:
    request = QueryRequest(metrics=("offered_mtd_last_year", "queue_share"), grain=Grain.MONTH)
    plan = plan_query(spec, request)
    tree = plan_tree(plan.root).splitlines()
    # shift(to_date(offered_calls, 'month'), '1 year'): the shift applies to the period first
    spine, shift, to_date = (
        "period spine: every month from the first day with data to the last day with data",
        "shift: 1 year earlier",
        "to date: from the start of the month holding the last day",
    )
    steps = [line.strip() for line in tree]
    assert (
        steps.index(to_date)
        < steps.index(shift)
        < steps.index(spine + ", with its first and last day")
    )
    assert any(
        s.startswith("window aggregate calls__offered_ts__ind__shift_1_year__month_to_date")
        for s in steps
    )
    # without --by, total() is the same aggregate under its own name
    assert any(s.startswith("aggregate calls__offered_ts__ind__total") for s in steps)


STEPS = {
    "rolling 7 days": (WindowStep(WindowKind.ROLLING, Span(7, Unit.DAY)),),
    "month to date": (WindowStep(WindowKind.TO_DATE, unit=Unit.MONTH),),
    "week to date": (WindowStep(WindowKind.TO_DATE, unit=Unit.WEEK),),
    "shift 1 month": (WindowStep(WindowKind.SHIFT, Span(1, Unit.MONTH)),),
    "shift 1 year, month to date": (
        WindowStep(WindowKind.SHIFT, Span(1, Unit.YEAR)),
        WindowStep(WindowKind.TO_DATE, unit=Unit.MONTH),
    ),
    "rolling 2 weeks, shift 1 quarter": (
        WindowStep(WindowKind.ROLLING, Span(2, Unit.WEEK)),
        WindowStep(WindowKind.SHIFT, Span(1, Unit.QUARTER)),
    ),
}


@pytest.mark.parametrize("grain", [Grain.DAY, Grain.WEEK, Grain.MONTH, Grain.QUARTER, None])
@pytest.mark.parametrize("steps", sorted(STEPS))
@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_sql_frames_equal_the_date_arithmetic(
    steps: str, grain: Grain | None, week_start: str
) -> None:
    """Every period of 2023-2025 (leap day, month ends): DuckDB's frame bounds from the SQL
    equal periods.window_frame on Python dates."""
    start, end = dt.date(2023, 1, 1), dt.date(2025, 12, 31)
    spine = PeriodSpine(grain, week_start, start, end, ())
    node = frame_nodes(Frame(STEPS[steps]), spine, week_start)
    got = duckdb.sql(to_sql(query_of(node))).fetchall()
    expected = []
    first = period_start(start, grain, week_start) if grain else start
    while first <= end:
        last = period_last_day(first, grain) if grain else end
        bounds = window_frame(STEPS[steps], first, last, week_start)
        expected.append(((first,) if grain else ()) + bounds)
        if grain is None:
            break
        first = next_period(first, grain)
    assert got == expected
