"""Golden SQL for a handful of plans: what analysts and reviewers read in target/compiled/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES

from metricflow_lite.compile.plan import (
    QueryRequest,
    indicator_tables,
    plan_indicator_table,
    plan_query,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(FIXTURES / "tiny"))


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


def test_generation_is_byte_identical(spec: ProjectSpec) -> None:
    plan = plan_query(spec, CASES["cross_model_cph_by_team_month"])
    assert to_sql(render_query(plan)) == to_sql(
        render_query(plan_query(spec, CASES["cross_model_cph_by_team_month"]))
    )


def test_snapshots_exist_for_every_case() -> None:
    folder = Path(__file__).parent / "snapshots" / "query"
    assert {p.name.split(".")[0] for p in folder.glob("*.duckdb.sql")} >= set(CASES)
