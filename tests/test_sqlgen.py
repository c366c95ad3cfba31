"""Golden SQL for a handful of plans: what analysts and reviewers read in target/compiled/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest
from conftest import FIXTURES
from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.build import plan_build, statements_for
from metricflow_lite.compile.layers import render_models
from metricflow_lite.compile.plan import (
    GRAIN_STEP,
    Compare,
    Comparing,
    ComputeMetrics,
    FillZeros,
    JoinOnKeys,
    PlanNode,
    QueryRequest,
    TimeSpine,
    indicator_tables,
    plan_indicator_table,
    plan_query,
    plan_report_view,
)
from metricflow_lite.compile.sqlgen import Rendered, query_of, render_compare, render_query, to_sql
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.model import Comparison, Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

TINY = FIXTURES / "tiny"


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(TINY))


CASES = {
    "ratio_by_queue_week": QueryRequest(
        metrics=("abandonment_rate", "aht"), by=("queue",), grain=Grain.WEEK
    ),
    "cross_model_cph_by_team_month": QueryRequest(
        metrics=("cph",), by=("team",), grain=Grain.MONTH
    ),
    "distinct_and_median_month": QueryRequest(
        metrics=("callers", "median_handle"), grain=Grain.MONTH
    ),
    "half_hour_with_where": QueryRequest(
        metrics=("offered_calls",),
        grain=Grain.MIN30,
        where=parse_where("queue = 'A'", Location("--where"), "--where"),
    ),
    "totals_across_models": QueryRequest(metrics=("handled_legs", "staffed_hours")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_query_sql(spec: ProjectSpec, name: str, snapshot: Callable[[str, str], None]) -> None:
    """Generated query SQL, DuckDB dialect."""
    plan = plan_query(spec, CASES[name])
    snapshot(f"query/{name}.duckdb.sql", to_sql(render_query(plan)))


def test_indicator_table_sql(spec: ProjectSpec, snapshot: Callable[[str, str], None]) -> None:
    """The day-level indicator table of the calls model."""
    [calls] = [t for t in indicator_tables(spec) if t.name == "calls_day"]
    snapshot("indicator/calls_day.duckdb.sql", to_sql(query_of(plan_indicator_table(calls, spec))))


ALL_DIALECTS = ("duckdb", "postgres", "spark")


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_rollup_table_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """A declared rollup: ReadIndicator of the day table, JoinDimensions to agents, Aggregate."""
    tables = {t.name: t for t in indicator_tables(spec)}
    rollup = plan_indicator_table(tables["calls_by_queue_team_day"], spec, tables["calls_day"])
    snapshot(f"indicator/calls_by_queue_team_day.{dialect}.sql", to_sql(query_of(rollup), dialect))


@pytest.mark.parametrize("total", [False, True], ids=["by_queue", "total"])
@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_report_view_sql(
    spec: ProjectSpec, dialect: str, total: bool, snapshot: Callable[[str, str], None]
) -> None:
    """app.queue_daily_week[_total]: TimeSpine, FillZeros, Compare, FlagTargets (Totals)."""
    report = spec.report("queue_daily")
    assert report is not None
    view = plan_report_view(spec, report, Grain.WEEK, total)
    snapshot(f"view/{view.name}.{dialect}.sql", to_sql(query_of(view.root), dialect))


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_build_ddl(spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]) -> None:
    """Every CREATE (and COMMENT) statement of the tiny project's build, in build order."""
    models = render_models(TINY, TINY / "models")
    statements = statements_for(plan_build(spec, models), dialect)
    snapshot(f"build/tiny.{dialect}.sql", ";\n\n".join(s.sql for s in statements) + ";")


def test_every_node_kind_has_golden_sql(spec: ProjectSpec) -> None:
    """The golden cases above (queries, rollup, report views) and those of test_state.py and
    test_sqlgen_windows.py render every node kind."""
    report = spec.report("queue_daily")
    assert report is not None
    tables = {t.name: t for t in indicator_tables(spec)}
    roots: list[PlanNode] = [plan_query(spec, request).root for request in CASES.values()]
    roots.append(plan_indicator_table(tables["calls_by_queue_team_day"], spec, tables["calls_day"]))
    roots += [plan_report_view(spec, report, Grain.WEEK, total).root for total in (False, True)]
    # state metrics and history joins: the golden cases of tests/test_state.py
    from test_state import CASES as STATE_CASES

    history = load_spec(load_project(FIXTURES / "history"))
    roots += [plan_query(history, request).root for request in STATE_CASES.values()]
    # business hours and span seconds: the golden cases of tests/test_sqlgen_intervals.py
    from test_sqlgen_intervals import CASES as INTERVAL_CASES

    hours = load_spec(load_project(FIXTURES / "hours"))
    roots += [plan_query(hours, request).root for request in INTERVAL_CASES.values()]
    roots += [plan_indicator_table(t, hours) for t in indicator_tables(hours) if t.span]
    # windows, offsets, totals and period lengths: the golden cases of test_sqlgen_windows.py
    from test_sqlgen_windows import CASES as WINDOW_CASES

    windows = load_spec(load_project(FIXTURES / "windows"))
    roots += [plan_query(windows, request).root for request in WINDOW_CASES.values()]
    seen: set[str] = set()
    while roots:
        node = roots.pop()
        seen.add(type(node).__name__)
        roots.extend(node.parents)
    assert seen == {kind.__name__ for kind in get_args(PlanNode)}


def test_generation_is_byte_identical(spec: ProjectSpec) -> None:
    plan = plan_query(spec, CASES["cross_model_cph_by_team_month"])
    assert to_sql(render_query(plan)) == to_sql(
        render_query(plan_query(spec, CASES["cross_model_cph_by_team_month"]))
    )


def test_snapshots_exist_for_every_case() -> None:
    folder = Path(__file__).parent / "snapshots" / "query"
    assert {p.name.split(".")[0] for p in folder.glob("*.duckdb.sql")} >= set(CASES)


def _compare_node(points: tuple[str, ...]) -> Compare:
    """Compare over a hand-made parent: keys (day, example), metrics rate and calls."""
    joined = JoinOnKeys((), ("day", "example"))
    metrics = ComputeMetrics(joined, ("rate", "calls"), ())
    spine = TimeSpine(metrics, Grain.DAY, "1", "DAY")
    previous = Comparing(
        Comparison.PREVIOUS_PERIOD, names.PREV, names.CHANGE, "prev", *GRAIN_STEP[Grain.DAY]
    )
    return Compare(FillZeros(spine, ()), Grain.DAY, (previous,), points)


# (case, previous, current) for rate (changes in points) and calls (relative to |previous|)
CHANGE_CASES = [
    ("rate 5% -> 7%", "rate", 0.05, 0.07, 0.07 - 0.05),
    ("rate from 0%", "rate", 0.0, 0.02, 0.02 - 0.0),
    ("rate unknown now", "rate", 0.05, None, None),
    ("score -5 -> 5", "rate", -5.0, 5.0, 5.0 - -5.0),
    ("calls 1000 -> 1125", "calls", 1000.0, 1125.0, (1125 - 1000) / 1000),
    ("calls from 0", "calls", 0.0, 5.0, None),  # relative to nothing: undefined
    ("calls without previous", "calls", None, 5.0, None),
    ("-100 -> -50 went up", "calls", -100.0, -50.0, (-50 - -100) / 100),
]


def test_compare_computes_each_change_once_in_sql() -> None:
    """Compare: points for rates, (cur - prev) / |prev| otherwise, NULL from 0 or nothing."""
    import duckdb

    values = []
    for i, (_, metric, before, now, _) in enumerate(CHANGE_CASES):
        for day, value in ((dt.date(2025, 1, 1), before), (dt.date(2025, 1, 2), now)):
            rate = value if metric == "rate" else None
            calls = value if metric == "calls" else None
            values.append((day, i, rate, calls))
    rows = exp.select("*").from_(
        exp.Values(
            expressions=[exp.tuple_(*[exp.convert(v) for v in row]) for row in values],
            alias=exp.TableAlias(
                this=exp.to_identifier("t"),
                columns=[exp.to_identifier(c) for c in ("day", "example", "rate", "calls")],
            ),
        )
    )
    parent = Rendered(
        exp.select().from_(rows.subquery("t")),
        tuple((c, exp.column(c, "t")) for c in ("day", "example", "rate", "calls")),
    )
    rendered = render_compare(_compare_node(("rate",)), parent)
    query = rendered.select()
    for name, cte in rendered.ctes:
        query = query.with_(name, as_=cte)
    con = duckdb.connect()
    got = {
        (case, str(day)): (rate_change, calls_change)
        for day, case, rate_change, calls_change in con.execute(
            exp.select("day", "example", "rate_change", "calls_change")
            .from_(query.subquery("q"))
            .sql("duckdb")
        ).fetchall()
    }
    for i, (label, metric, _, _, expected) in enumerate(CHANGE_CASES):
        rate_change, calls_change = got[(i, "2025-01-02")]
        change = rate_change if metric == "rate" else calls_change
        if expected is None:
            assert change is None, label
        else:
            assert float(change) == pytest.approx(expected), label
