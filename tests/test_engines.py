"""Issue 8: the same metrics on DuckDB, PostgreSQL and Spark.

One fixture project is seeded and built on all three engines; every query must return the same
rows (floats within 1e-9 relative). Each dialect trap has its own case, with the number worked
out by hand from tests/fixtures/tiny/seeds, plus rows this module adds to exercise collation.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, invoke, seed_project

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
]
TARGET_OF = {"duckdb": "dev", "postgres": "pg", "spark": "spark"}
# Queues whose byte order (C: 'A' < 'B' < '_x' < 'a') differs from a linguistic one
# (en-US: '_x' < 'a' < 'A' < 'B'); the test server's database uses the en-US collation.
EXTRA_CALLS = (
    "L18,c17,1,a,a1,u1,2025-01-07 09:00:00,2025-01-07 09:00:10,60,\n"
    "L19,c18,1,_x,a2,u2,2025-01-07 09:10:00,,,\n"
)
TIMINGS: dict[str, float] = {}


def targets_yaml(project: Path, week_start: str) -> str:
    spark_dir = project.parent / "spark-warehouse"
    duck = project.parent / "warehouse.duckdb"
    return (
        "name: tiny_center\ntimezone: Asia/Shanghai\n"
        f"week_start: {week_start}\ntarget: dev\ntargets:\n"
        f"  dev: {{type: duckdb, path: '{duck}'}}\n"
        "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n"
        f"  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{spark_dir}'}}\n"
    )


@pytest.fixture(scope="session")
def engine_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project plus the collation rows, and a Sunday-week twin on the same warehouse."""
    root = tmp_path_factory.mktemp("engines")
    for week_start in ("monday", "sunday"):
        project = root / week_start
        shutil.copytree(FIXTURES / "tiny", project, ignore=shutil.ignore_patterns("target"))
        calls = project / "seeds" / "calls.csv"
        calls.write_text(calls.read_text(encoding="utf-8") + EXTRA_CALLS, encoding="utf-8")
        (project / "metricflow_lite.yml").write_text(targets_yaml(project, week_start))
    return root


@pytest.fixture(scope="session")
def built_engines(engine_root: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Path]]:
    """Each engine the run selects, seeded and built once: engine -> project folder."""
    project = engine_root / "monday"
    built: dict[str, Path] = {}
    started = time.perf_counter()
    seed_duckdb(project)
    assert_ok(invoke("build", "--project-dir", str(project)))
    TIMINGS["duckdb seed+build"] = time.perf_counter() - started
    built["duckdb"] = project
    yield built


def seed_duckdb(project: Path) -> None:
    seed_project(project)
    if not (project.parent / "warehouse.duckdb").exists():
        # Before `mfl seed` existed the helper wrote target/warehouse.duckdb: move it here.
        shutil.move(project / "target" / "warehouse.duckdb", project.parent / "warehouse.duckdb")


def seed_with_warehouse(project: Path, target: str) -> None:
    """Load every seed through the target's own loader (COPY / Parquet)."""
    from metricflow_lite.project import load_project
    from metricflow_lite.warehouse import connect
    from metricflow_lite.warehouse.seedfile import read_seed

    warehouse: Any = connect(load_project(project), target)
    try:
        for csv in sorted((project / "seeds").glob("*.csv")):
            outcome = warehouse.load_seed(read_seed(csv, f"seeds/{csv.name}"))
            assert not outcome.rejected, outcome
    finally:
        warehouse.close()


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL server for this test run; MFL_PG_DSN points at it."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[postgres]')")
    from pg_server import postgres_bin, start_postgres

    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries missing: apt-get install postgresql")
    server = start_postgres()
    previous = os.environ.get("MFL_PG_DSN")
    os.environ["MFL_PG_DSN"] = server.dsn
    try:
        yield server.dsn
    finally:
        if previous is None:
            os.environ.pop("MFL_PG_DSN", None)
        else:
            os.environ["MFL_PG_DSN"] = previous
        server.stop()


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local SparkSession shared by every Spark test (the CLI reuses an active session)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    from metricflow_lite.warehouse.spark import LOCAL_CONF, SESSION_CONF, java_found

    if not java_found():
        pytest.skip("Java missing: apt-get install openjdk-17-jre-headless")
    from pyspark.sql import SparkSession

    catalog = str(tmp_path_factory.mktemp("spark-catalog"))
    builder = SparkSession.builder.master("local[2]").appName("mfl-tests")
    builder = builder.config("spark.sql.warehouse.dir", catalog)
    for key, value in {**LOCAL_CONF, **SESSION_CONF}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def project_for(engine: str, request: pytest.FixtureRequest) -> Path:
    """The Monday project, seeded and built on `engine` (once per run)."""
    built: dict[str, Path] = request.getfixturevalue("built_engines")
    if engine not in built:
        if engine == "postgres":
            request.getfixturevalue("postgres_dsn")
        else:
            request.getfixturevalue("spark_session")
        project = built["duckdb"]
        started = time.perf_counter()
        seed_with_warehouse(project, TARGET_OF[engine])
        assert_ok(invoke("build", "--project-dir", str(project), "--target", TARGET_OF[engine]))
        TIMINGS[f"{engine} seed+build"] = time.perf_counter() - started
        built[engine] = project
    return built[engine]


def assert_ok(result: Any) -> None:
    assert result.exit_code == 0, result.output


def query(project: Path, engine: str, *args: str) -> list[dict[str, Any]]:
    started = time.perf_counter()
    result = invoke(
        "query", "--project-dir", str(project), "--target", TARGET_OF[engine], "--format", "json",
        *args,
    )  # fmt: skip
    TIMINGS[f"{engine} queries"] = TIMINGS.get(f"{engine} queries", 0.0) + (
        time.perf_counter() - started
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    return rows


def assert_same_rows(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [list(r) for r in got] == [list(r) for r in expected], "columns differ"
    assert len(got) == len(expected), f"{len(got)} rows, expected {len(expected)}"
    for number, (row, want) in enumerate(zip(got, expected, strict=True)):
        for key, value in want.items():
            other = row[key]
            if isinstance(value, float) or isinstance(other, float):
                assert value is not None and other is not None, (number, key, other, value)
                assert math.isclose(other, value, rel_tol=1e-9), (number, key, other, value)
            else:
                assert (type(other), other) == (type(value), value), (number, key, other, value)


QUERIES = [
    pytest.param(
        ("--metrics", "abandonment_rate,aht,cph,callers,median_handle", "--by", "team"),
        id="ratios_distinct_median_cph_by_team",
    ),
    pytest.param(
        (
            "--metrics",
            "abandonment_rate,aht,cph,callers,median_handle",
            "--by",
            "team",
            "--grain",
            "week",
        ),
        id="week_by_team",
    ),  # fmt: skip
    pytest.param(
        ("--metrics", "offered_calls,abandonment_rate", "--by", "queue", "--grain", "day"),
        id="day_by_queue_null_and_collation",
    ),
    pytest.param(
        ("--metrics", "p90_handle,avg_handle,median_handle,staffed_hours", "--grain", "month"),
        id="month_percentiles",
    ),
    pytest.param(("--metrics", "offered_calls", "--grain", "30min"), id="half_hour"),
    pytest.param(
        ("--metrics", "handled_legs,offered_calls", "--by", "day_of_week,hour_of_day"),
        id="time_parts",
    ),
    pytest.param(
        (
            "--metrics",
            "offered_calls,cph",
            "--by",
            "team",
            "--start",
            "2024-12-31",
            "--end",
            "2025-01-01",
        ),
        id="start_end",
    ),  # fmt: skip
    pytest.param(
        (
            "--metrics",
            "offered_calls,aht",
            "--by",
            "queue",
            "--where",
            "queue = 'A' or queue is null or not (hour_of_day < 10)",
        ),
        id="where_boolean",
    ),  # fmt: skip
    pytest.param(
        (
            "--metrics",
            "handled_legs,median_handle",
            "--by",
            "transfer_agent.team,city",
            "--no-indicators",
        ),
        id="role_playing_and_chained_joins_from_rows",
    ),  # fmt: skip
]


@pytest.mark.parametrize("args", QUERIES)
@pytest.mark.parametrize("engine", ENGINES)
def test_same_rows_as_duckdb(engine: str, args: tuple[str, ...], request: Any) -> None:
    """Every engine returns DuckDB's rows, in DuckDB's order."""
    project = project_for(engine, request)
    expected = query(project_for("duckdb", request), "duckdb", *args)
    assert expected, "the query should return rows"
    assert_same_rows(query(project, engine, *args), expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_division_is_exact(engine: str, request: Any) -> None:
    """aht = 3400 handle seconds / 13 answered legs (both integers) = 261.54, not 261."""
    project = project_for(engine, request)
    [row] = query(project, engine, "--metrics", "aht,handle_seconds,handled_legs")
    # answered legs L01-L06, L10-L12, L14-L16 and L18: 300+100+200+400+100+600 +500+250+350
    # +120+180+240 +60 = 3400 seconds over 13 legs.
    assert (row["handle_seconds"], row["handled_legs"]) == (3400, 13)
    assert math.isclose(row["aht"], 3400 / 13, rel_tol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_nulls_sort_last_and_strings_sort_bytewise(engine: str, request: Any) -> None:
    """Queues sort A, B, _x, a (byte order, whatever the server's locale), NULL last."""
    project = project_for(engine, request)
    rows = query(project, engine, "--metrics", "offered_calls", "--by", "queue")
    assert [r["queue"] for r in rows] == ["A", "B", "_x", "a", None]
    assert [r["offered_calls"] for r in rows] == [11, 4, 1, 1, 1]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("week_start", "weeks"),
    [
        # Mon 2024-12-30 .. Wed 2025-01-01 are one Monday week; Mon 6 and Tue 7 Jan the next.
        ("monday", [("2024-12-30", 14), ("2025-01-06", 4)]),
        # Sunday weeks: Sun 29 Dec .. Sat 4 Jan, then Sun 5 .. Sat 11 Jan.
        ("sunday", [("2024-12-29", 14), ("2025-01-05", 4)]),
    ],
    ids=["monday", "sunday"],
)
def test_week_start(
    engine: str, week_start: str, weeks: list[tuple[str, int]], request: Any, engine_root: Path
) -> None:
    """Weeks start on the project's week_start on every engine."""
    project_for(engine, request)
    project = engine_root / week_start  # same warehouse, its own week_start
    rows = query(project, engine, "--metrics", "offered_calls", "--grain", "week")
    assert [(r["week"], r["offered_calls"]) for r in rows] == weeks


@pytest.mark.parametrize("engine", ENGINES)
def test_half_hour_and_month_truncation(engine: str, request: Any) -> None:
    """09:30:00 opens the 09:30 bucket, 23:59:50 falls in 23:30; months start on the 1st."""
    project = project_for(engine, request)
    rows = query(project, engine, "--metrics", "offered_calls", "--grain", "30min")
    buckets = {r["30min"]: r["offered_calls"] for r in rows}
    assert buckets["2024-12-30 09:00"] == 1  # L01 (L02 is a second leg)
    assert buckets["2024-12-30 09:30"] == 1  # L03 at 09:30:00 exactly
    assert buckets["2024-12-31 23:30"] == 1  # L12 at 23:59:50
    months = query(project, engine, "--metrics", "offered_calls", "--grain", "month")
    assert [(r["month"], r["offered_calls"]) for r in months] == [
        ("2024-12-01", 12),
        ("2025-01-01", 6),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_boolean_filters(engine: str, request: Any) -> None:
    """Metric filters (leg_seq = 1 and answered_ts is null) and --where with not/or."""
    project = project_for(engine, request)
    [row] = query(
        project, engine, "--metrics", "abandoned_calls,offered_calls",
        "--where", "not (queue = 'B') and queue is not null",
    )  # fmt: skip
    # Queues A (11 first legs), _x and a (1 each): abandoned L07, L08, L09 and L19.
    assert (row["abandoned_calls"], row["offered_calls"]) == (4, 13)


def test_report_engine_timings(request: Any) -> None:
    """Not a check: prints how long each engine took (pytest -s to see it)."""
    if TIMINGS:
        print("\n" + "\n".join(f"{k}: {v:.2f}s" for k, v in sorted(TIMINGS.items())))


def test_postgres_target_without_its_variable(engine_root: Path, monkeypatch: Any) -> None:
    """A missing DSN variable is one line naming the target, exit 1."""
    monkeypatch.delenv("MFL_PG_DSN", raising=False)
    result = invoke("build", "--project-dir", str(engine_root / "monday"), "--target", "pg")
    assert result.exit_code == 1
    assert "error E015: target 'pg': environment variable MFL_PG_DSN is not set" in result.output


@pytest.mark.postgres
def test_postgres_server_down(engine_root: Path, monkeypatch: Any) -> None:
    """A stopped server (nothing on the port) is one line naming the target, exit 1."""
    pytest.importorskip("psycopg")
    from pg_server import free_port

    monkeypatch.setenv("MFL_PG_DSN", f"host=127.0.0.1 port={free_port()} user=mfl password=s3")
    result = invoke("build", "--project-dir", str(engine_root / "monday"), "--target", "pg")
    assert result.exit_code == 1
    assert "error E016: target 'pg': cannot connect to PostgreSQL" in result.output
    assert "s3" not in result.output


@pytest.mark.parametrize("engine", ENGINES)
def test_failed_build_keeps_the_previous_one(engine: str, request: Any, engine_root: Path) -> None:
    """A model that fails on the engine leaves the last good build queryable."""
    project_for(engine, request)
    broken = engine_root / f"broken_{engine}"
    shutil.copytree(engine_root / "monday", broken, ignore=shutil.ignore_patterns("target"))
    (broken / "models" / "source" / "sites.sql").write_text(
        "select site_id, city from {{ source('sites') }} where no_such_column = 1\n"
    )
    result = invoke("build", "--project-dir", str(broken), "--target", TARGET_OF[engine])
    assert result.exit_code == 1
    assert "build failed in model models/source/sites.sql" in result.output
    [row] = query(engine_root / "monday", engine, "--metrics", "offered_calls")
    assert row["offered_calls"] == 18
