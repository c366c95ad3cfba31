"""Windows, offsets and shares: the same rows on DuckDB, PostgreSQL and Spark.

The window fixture (tests/fixtures/windows; its rows and the arithmetic are in
tests/test_windows.py) is seeded and built on each engine; every query must return the rows
written here, which are worked out by hand there: month-end clamping, frames before --start,
distinct counts and medians recomputed over a window, shares and period lengths.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, invoke
from test_engines import (  # noqa: F401  (session fixtures shared with the engine tests)
    ENGINES,
    TARGET_OF,
    assert_ok,
    assert_same_rows,
    postgres_dsn,
    query,
    spark_session,
)

# Its own database on the engine tests' server: the tiny project's raw.calls lives in theirs.
DSN_ENV = "MFL_PG_WINDOWS_DSN"


def own_database(dsn: str) -> str:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        if (
            con.execute("SELECT 1 FROM pg_database WHERE datname = 'mfl_windows'").fetchone()
            is None
        ):
            con.execute("CREATE DATABASE mfl_windows")
    return dsn.replace("dbname=postgres", "dbname=mfl_windows")


@pytest.fixture(scope="module")
def window_projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The window fixture with one target per engine; engine -> project, built on demand."""
    root = tmp_path_factory.mktemp("engine-windows")
    project = root / "project"
    shutil.copytree(FIXTURES / "windows", project, ignore=shutil.ignore_patterns("target"))
    spark_dir = root / "spark-warehouse"
    (project / "metricflow_lite.yml").write_text(
        "name: windows_center\ntimezone: Asia/Shanghai\nweek_start: monday\ntarget: dev\n"
        "targets:\n"
        f"  dev: {{type: duckdb, path: '{root / 'warehouse.duckdb'}'}}\n"
        f"  pg: {{type: postgres, dsn_env: {DSN_ENV}}}\n"
        f"  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{spark_dir}'}}\n",
        encoding="utf-8",
    )
    yield {"root": project}
    os.environ.pop(DSN_ENV, None)


def built(engine: str, projects: dict[str, Path], request: pytest.FixtureRequest) -> Path:
    project = projects["root"]
    if engine not in projects:
        if engine == "postgres":
            os.environ[DSN_ENV] = own_database(request.getfixturevalue("postgres_dsn"))
        elif engine == "spark":
            request.getfixturevalue("spark_session")
        target = TARGET_OF[engine]
        assert_ok(invoke("seed", "--project-dir", str(project), "--target", target))
        assert_ok(invoke("build", "--project-dir", str(project), "--target", target))
        projects[engine] = project
    return project


CASES: list[Any] = [
    pytest.param(
        ("--metrics", "offered_prev_month", "--grain", "day", "--start", "2024-03-28"),
        [
            {"day": "2024-03-28", "offered_prev_month": 1},
            {"day": "2024-03-29", "offered_prev_month": 2},
            {"day": "2024-03-30", "offered_prev_month": 2},
            {"day": "2024-03-31", "offered_prev_month": 2},
        ],
        id="shift_clamps_at_month_end",
    ),
    pytest.param(
        (
            "--metrics",
            "rolling_callers_7d,rolling_abandonment_7d,rolling_median_handle_7d,offered_mtd",
            *("--grain", "day", "--start", "2024-03-07", "--end", "2024-03-07"),
        ),
        [
            {
                "day": "2024-03-07",
                "rolling_callers_7d": 4,
                "rolling_abandonment_7d": 2 / 6,
                "rolling_median_handle_7d": 175.0,
                "offered_mtd": 6,
            }
        ],
        id="rolling_distinct_ratio_median_mtd",
    ),
    pytest.param(
        (
            "--metrics",
            "offered_calls,queue_share,offered_prev_month,offered_mtd_last_year,calls_per_day",
            *("--grain", "month", "--by", "queue", "--start", "2024-02-01"),
        ),
        [
            {
                "month": "2024-02-01",
                "queue": "A",
                "offered_calls": 2,
                "queue_share": 2 / 3,
                "offered_prev_month": 0,
                "offered_mtd_last_year": 0,
                "calls_per_day": 2 / 29,
            },
            {
                "month": "2024-02-01",
                "queue": "B",
                "offered_calls": 1,
                "queue_share": 1 / 3,
                "offered_prev_month": 0,
                "offered_mtd_last_year": 0,
                "calls_per_day": 1 / 29,
            },
            {
                "month": "2024-03-01",
                "queue": "A",
                "offered_calls": 6,
                "queue_share": 0.6,
                "offered_prev_month": 2,
                "offered_mtd_last_year": 2,
                "calls_per_day": 6 / 31,
            },
            {
                "month": "2024-03-01",
                "queue": "B",
                "offered_calls": 4,
                "queue_share": 0.4,
                "offered_prev_month": 1,
                "offered_mtd_last_year": 0,
                "calls_per_day": 4 / 31,
            },
        ],
        id="month_share_shift_year_seconds",
    ),
    pytest.param(
        (
            "--metrics",
            "offered_calls,offered_wow",
            "--grain",
            "week",
            "--start",
            "2024-03-04",
            "--end",
            "2024-03-10",
        ),
        [{"week": "2024-03-04", "offered_calls": 4, "offered_wow": -1 / 3}],
        id="week_on_week",
    ),
    pytest.param(
        ("--metrics", "rolling_abandonment_7d", "--where", "queue = 'A'", "--end", "2024-03-07"),
        [{"rolling_abandonment_7d": 2 / 4}],
        id="where_inside_window_without_grain",
    ),
    pytest.param(
        ("--metrics", "calls_per_day"),
        [{"calls_per_day": 16 / 397}],
        id="period_seconds_of_data_range",
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("args", "expected"), CASES)
def test_window_rows(
    engine: str,
    args: tuple[str, ...],
    expected: list[dict[str, Any]],
    window_projects: dict[str, Path],
    request: pytest.FixtureRequest,
) -> None:
    project = built(engine, window_projects, request)
    assert_same_rows(query(project, engine, *args), expected)
