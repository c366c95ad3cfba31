"""PostgreSQL and Spark SQL: golden snapshots, the rewrite rules, and untranslatable models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot
from conftest import FIXTURES, copy_fixture, invoke
from test_sqlgen import CASES

from metricflow_lite.compile.dialects import adapt, render
from metricflow_lite.compile.plan import (
    QueryRequest,
    indicator_tables,
    plan_indicator_table,
    plan_query,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.errors import MflError
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

DIALECTS = ("postgres", "spark")
EXTRA_CASES = {
    "time_parts_by_day_of_week": QueryRequest(
        metrics=("handled_legs",), by=("day_of_week", "hour_of_day")
    ),
}


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(FIXTURES / "tiny"))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted({**CASES, **EXTRA_CASES}))
def test_query_sql_per_dialect(
    spec: ProjectSpec, name: str, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """Generated query SQL for PostgreSQL and Spark, after the dialect rewrites."""
    plan = plan_query(spec, {**CASES, **EXTRA_CASES}[name])
    snapshot(f"query/{name}.{dialect}.sql", to_sql(render_query(plan), dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sunday_week_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """Sunday weeks: the Monday week of the next day, a day back."""
    plan = plan_query(spec, QueryRequest(metrics=("offered_calls",), grain=Grain.WEEK), "sunday")
    snapshot(f"query/sunday_week.{dialect}.sql", to_sql(render_query(plan), dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_indicator_table_sql_per_dialect(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """The day-level indicator table of the calls model, PostgreSQL and Spark."""
    [calls] = [t for t in indicator_tables(spec) if t.name == "calls_day"]
    snapshot(
        f"indicator/calls_day.{dialect}.sql",
        to_sql(query_of(plan_indicator_table(calls, spec)), dialect),
    )


REWRITES = [
    ("spark", "SELECT EXTRACT(ISODOW FROM t)", "SELECT EXTRACT(DAYOFWEEK_ISO FROM t)"),
    ("spark", "SELECT MEDIAN(x)", "SELECT PERCENTILE(x, 0.5)"),
    (
        "spark",
        "SELECT PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY x)",
        "SELECT PERCENTILE(x, 0.9)",
    ),
    (
        "spark",
        "SELECT PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY x DESC)",
        "SELECT PERCENTILE(x, 1 - CAST(0.9 AS DOUBLE))",
    ),
    # Spark reads 3600.0 as DECIMAL(5,1); dividing by it would keep only 6 decimals.
    ("spark", "SELECT x / 3600.0", "SELECT x / CAST(3600.0 AS DOUBLE)"),
    ("spark", "SELECT ROUND(x, 2)", "SELECT ROUND(x, 2)"),
    (
        "spark",
        "SELECT DATE_DIFF('minute', a, b)",
        "SELECT DATEDIFF(MINUTE, DATE_TRUNC('MINUTE', a), DATE_TRUNC('MINUTE', b))",
    ),
    # Spark has no infinite timestamp (the cast is NULL): its last instant ends current versions.
    (
        "spark",
        "SELECT COALESCE(u, CAST('infinity' AS TIMESTAMP))",
        "SELECT COALESCE(u, CAST('9999-12-31 23:59:59.999999' AS TIMESTAMP_NTZ))",
    ),
    (
        "postgres",
        "SELECT COALESCE(u, CAST('infinity' AS TIMESTAMP))",
        "SELECT COALESCE(u, CAST('infinity' AS TIMESTAMP))",
    ),
    # LIKE has no escape character on DuckDB: a backslash matches itself on every engine.
    ("postgres", r"SELECT x LIKE '%\%'", r"SELECT x LIKE '%\\%'"),
    ("spark", r"SELECT x NOT LIKE 'a\_b'", r"SELECT x NOT LIKE 'a\\\\_b'"),
    ("postgres", "SELECT x ILIKE y", r"SELECT x ILIKE REPLACE(y, '\', '\\')"),
    ("postgres", r"SELECT x LIKE 'a!%' ESCAPE '!'", r"SELECT x LIKE 'a!%' ESCAPE '!'"),
    ("postgres", "SELECT EXTRACT(HOUR FROM t)", "SELECT CAST(EXTRACT(HOUR FROM t) AS INT)"),
    ("postgres", "SELECT 7 / 2", "SELECT CAST(7 AS DOUBLE PRECISION) / 2"),
    ("postgres", "SELECT x FROM t ORDER BY x NULLS LAST", "SELECT x FROM t ORDER BY x"),
    ("spark", "SELECT x FROM t ORDER BY x NULLS LAST", "SELECT x FROM t ORDER BY x NULLS LAST"),
    (
        "postgres",
        "SELECT a FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) = 1",
        "SELECT a FROM (SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS _w FROM t)"
        " AS _t WHERE _w = 1",
    ),
]


@pytest.mark.parametrize(
    ("dialect", "duckdb_sql", "expected"),
    REWRITES,
    ids=[f"{d}-{i}" for i, (d, _, _) in enumerate(REWRITES)],
)
def test_rewrite(dialect: str, duckdb_sql: str, expected: str) -> None:
    """DuckDB-flavoured SQL as each engine needs it."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    assert adapt(tree, dialect).sql(dialect) == expected


def test_adapt_leaves_the_input_alone() -> None:
    tree = sqlglot.parse_one("SELECT EXTRACT(ISODOW FROM t)", read="duckdb")
    adapt(tree, "spark")
    assert tree.sql("duckdb") == "SELECT EXTRACT(ISODOW FROM t)"


def test_untranslatable_construct_names_the_model() -> None:
    tree = sqlglot.parse_one("SELECT dayofweek(t) AS d FROM x", read="duckdb")
    with pytest.raises(MflError) as err:
        render(tree, "postgres", "model models/source/calls.sql")
    assert err.value.code == "E320"
    assert (
        err.value.message == "model models/source/calls.sql: dayofweek() has no postgres equivalent"
    )


@pytest.mark.parametrize("dialect", ["pg", "spark"])
def test_compile_writes_each_targets_sql(tmp_path: Path, dialect: str) -> None:
    """mfl compile --target NAME writes that dialect's SQL under target/compiled/NAME/."""
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(
        config.read_text()
        + "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n"
        + "  spark: {type: spark, master: 'local[2]'}\n"
    )
    result = invoke("compile", "--project-dir", str(project), "--target", dialect, "--quiet")
    assert result.exit_code == 0, result.output
    folder = project / "target" / "compiled" / dialect
    indicator = (folder / "indicator" / "ind.calls_day.sql").read_text()
    quote = "`" if dialect == "spark" else '"'
    assert f"CREATE TABLE {quote}ind{quote}.{quote}calls_day{quote} AS" in indicator


def test_model_the_target_cannot_run_fails_compile(tmp_path: Path) -> None:
    """A model using a DuckDB-only function is an error naming the model, not a bad build."""
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(config.read_text() + "  pg: {type: postgres}\n")
    model = project / "models" / "source" / "sites.sql"
    model.write_text(
        "select site_id, city, dayofweek(current_date) as d from {{ source('sites') }}"
    )
    result = invoke("compile", "--project-dir", str(project), "--target", "pg", "--quiet")
    assert result.exit_code == 1
    assert "E320: model models/source/sites.sql: dayofweek() has no postgres equivalent" in (
        result.output
    )
