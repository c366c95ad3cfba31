"""Golden SQL per dialect for the interval node kinds: JoinCalendars (business_seconds),
SplitSpans (the span table), span seconds at 30min, Erlang C in ComputeMetrics, the calendar,
and an intraday report view (Compare: the same half hour a day and a week earlier)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import FIXTURES

from metricflow_lite.compile.build import plan_build
from metricflow_lite.compile.calendar import calendar_table_query
from metricflow_lite.compile.layers import render_models
from metricflow_lite.compile.plan import (
    Compare,
    PlanNode,
    QueryRequest,
    indicator_tables,
    plan_indicator_table,
    plan_query,
    plan_report_view,
    plan_tree,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.errors import Location
from metricflow_lite.spec.model import Comparison, Grain, ProjectSpec, Report
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

DIALECTS = ("duckdb", "postgres", "spark")
CASES = {
    "business_seconds_hour": QueryRequest(
        metrics=("reply_business_seconds", "replied_within_4h"), grain=Grain.HOUR
    ),
    # an end that is an expression: JoinCalendars in the query
    "business_seconds_expression_end": QueryRequest(
        metrics=("touch_business_seconds",), grain=Grain.DAY, use_indicators=False
    ),
    "span_seconds_30min": QueryRequest(
        metrics=("logged_in_seconds", "agents_logged_in"), grain=Grain.MIN30
    ),
    "erlang_30min": QueryRequest(metrics=("agents_required", "agents_gap"), grain=Grain.MIN30),
}


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    project = load_project(FIXTURES / "hours")
    return load_spec(project)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_query_sql(
    spec: ProjectSpec, name: str, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """Generated query SQL of the interval node kinds."""
    plan = plan_query(spec, CASES[name])
    snapshot(f"intervals/{name}.{dialect}.sql", to_sql(render_query(plan), dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_span_table_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """The quarter-hour table of the logins' span seconds."""
    [table] = [t for t in indicator_tables(spec) if t.span is not None]
    assert table.name == "logins_login_ts_logout_ts_15min"
    sql = to_sql(query_of(plan_indicator_table(table, spec)), dialect)
    snapshot(f"intervals/span_table.{dialect}.sql", sql)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_day_table_with_business_seconds_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """The tickets' day table: business_seconds() of column ends from the open seconds the
    source table carries, of an expression end over a calendar join."""
    [table] = [t for t in indicator_tables(spec) if t.name == "tickets_day"]
    sql = to_sql(query_of(plan_indicator_table(table, spec)), dialect)
    snapshot(f"intervals/tickets_day.{dialect}.sql", sql)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_source_table_carrying_business_ends_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """src.tickets: the model's rows with the open seconds of each column end of its metrics'
    business_seconds() calls, one calendar join per end (an expression end is not carried)."""
    project = load_project(FIXTURES / "hours")
    models = render_models(project.root, project.path("models"), None, {})
    [tickets] = [o for o in plan_build(spec, models) if o.qualified_name == "src.tickets"]
    assert tickets.model_query is not None
    snapshot(f"intervals/src_tickets.{dialect}.sql", to_sql(tickets.query, dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_calendar_table_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """The default calendar of tests/fixtures/hours as a table of dates."""
    [calendar] = [c for c in spec.calendars if c.name == "default"]
    snapshot(
        f"intervals/calendar_default.{dialect}.sql", to_sql(calendar_table_query(calendar), dialect)
    )


def test_plans_name_the_new_nodes(spec: ProjectSpec) -> None:
    tree = plan_tree(plan_query(spec, CASES["business_seconds_expression_end"]).root)
    assert (
        "join calendars: src._calendar_default on date(COALESCE(first_reply_ts, resolved_ts))"
        in tree
    )
    assert "join calendars" not in plan_tree(plan_query(spec, CASES["business_seconds_hour"]).root)
    [table] = [t for t in indicator_tables(spec) if t.span is not None]
    split = plan_tree(plan_indicator_table(table, spec))
    assert "split spans: [login_ts, logout_ts) into the 15min intervals it overlaps" in split


INTRADAY = Report(
    name="intraday",
    loc=Location("reports/intraday.yml", 3, 11),
    metrics=("offered_calls", "agents_required"),
    grains=(Grain.MIN30,),
    compare=(Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_WEEK),
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_intraday_view_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """app.intraday_30min: each half hour next to the same half hour 1 and 7 days earlier."""
    view = plan_report_view(spec, INTRADAY, Grain.MIN30)
    snapshot(f"intervals/intraday_30min.{dialect}.sql", to_sql(query_of(view.root), dialect))


@pytest.mark.parametrize(
    ("grain", "steps"),
    [
        (Grain.MIN15, [("1", "DAY"), ("7", "DAY")]),
        (Grain.MIN30, [("1", "DAY"), ("7", "DAY")]),
        (Grain.HOUR, [("1", "DAY"), ("7", "DAY")]),
        (Grain.DAY, [("1", "DAY"), ("7", "DAY")]),
    ],
)
def test_intervals_compare_with_the_same_interval_of_earlier_days(
    spec: ProjectSpec, grain: Grain, steps: list[tuple[str, str]]
) -> None:
    """Not the interval before: previous_period at an interval grain is 1 day back, and
    same_period_last_week 7 days back at every grain that has one."""
    view = plan_report_view(spec, INTRADAY, grain)
    node: PlanNode = view.root
    while not isinstance(node, Compare):
        [node] = node.parents
    assert [(c.amount, c.unit) for c in node.comparisons] == steps
    assert [c.prev_suffix for c in node.comparisons] == ["_prev", "_prev_week"]
    assert "compare: previous_period (1 day back), same_period_last_week (7 days back)" in (
        plan_tree(view.root)
    )
