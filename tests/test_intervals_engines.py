"""Business hours, Erlang C and spans give the same rows on DuckDB, PostgreSQL and Spark.

tests/fixtures/hours is seeded and built on each engine; each query's rows must equal DuckDB's
(floats within 1e-9 relative), and DuckDB's equal the hand arithmetic of test_calendar.py,
test_erlang.py and test_intervals.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, invoke
from test_engines import assert_same_rows, postgres_dsn, spark_session  # noqa: F401

ENGINES = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]
TARGET_OF = {"duckdb": "dev", "postgres": "pg", "spark": "spark"}
QUERIES = [
    pytest.param(
        ("--metrics", "reply_business_seconds,reply_cn_seconds,resolve_business_seconds",
         "--by", "ticket_id"),
        id="business_seconds_per_ticket",
    ),
    pytest.param(("--metrics", "replied_within_4h,reply_within_4h_rate"), id="sla_filter"),
    pytest.param(
        ("--metrics", "offered_calls,agents_required,service_level_with_2,agents_gap",
         "--grain", "30min"),
        id="erlang_per_half_hour",
    ),
    pytest.param(
        ("--metrics", "logged_in_seconds,a1_logged_in_seconds,agents_logged_in,occupancy",
         "--grain", "30min"),
        id="spans_per_half_hour",
    ),
    pytest.param(
        ("--metrics", "logged_in_seconds,agents_logged_in", "--grain", "15min"),
        id="spans_per_quarter_hour",
    ),
    pytest.param(
        ("--metrics", "logged_in_seconds,agents_logged_in", "--grain", "day"), id="spans_per_day"
    ),
    pytest.param(
        ("--metrics", "logged_in_seconds,agents_logged_in", "--by", "agent_id",
         "--start", "2024-10-14", "--end", "2024-10-14"),
        id="spans_by_agent_in_a_range",
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def hours_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("hours-engines")
    project = root / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    config = project / "metricflow_lite.yml"
    targets = (
        "targets:\n"
        f"  dev: {{type: duckdb, path: '{root / 'warehouse.duckdb'}'}}\n"
        "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n"
        f"  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{root / 'spark'}'}}\n"
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("targets:\n  dev: {type: duckdb, path: target/warehouse.duckdb}\n", targets),
        encoding="utf-8",
    )
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    yield project


BUILT: set[str] = set()


def rows_on(project: Path, engine: str, args: tuple[str, ...]) -> list[dict[str, Any]]:
    target = TARGET_OF[engine]
    if engine not in BUILT and engine != "duckdb":
        for command in ("seed", "build"):
            result = invoke(command, "--project-dir", str(project), "--target", target)
            assert result.exit_code == 0, result.output
        BUILT.add(engine)
    result = invoke(
        "query", "--project-dir", str(project), "--target", target, "--format", "json", *args
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    return rows


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("args", QUERIES)
def test_same_rows_on_every_engine(
    hours_project: Path, engine: str, args: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("postgres_dsn" if engine == "postgres" else "spark_session")
    expected = rows_on(hours_project, "duckdb", args)
    assert expected
    assert_same_rows(rows_on(hours_project, engine, args), expected)
