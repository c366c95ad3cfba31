"""Incremental builds: only the changed days are rewritten, and the result equals a full build.

Each case changes the tiny project (new rows on a new day, a row changed and one removed in an
existing day, a metric's filter, a dimension's attribute), builds incrementally, builds the
same project from scratch elsewhere, and compares every table of src and ind and every app view
row for row (EXCEPT ALL both ways, so duplicates count too).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import copy_fixture, invoke, seed_project

from metricflow_lite.compile.incremental import periods
from metricflow_lite.spec.model import Grain

NEW_DAY = "L90,c90,1,A,a1,u10,2025-01-08 09:00:00,2025-01-08 09:00:10,120,\n"


def build(project: Path, *options: str) -> str:
    result = invoke("build", "--project-dir", str(project), *options)
    assert result.exit_code == 0, result.output
    return result.output


def compare_with_full_build(project: Path, tmp_path: Path) -> list[str]:
    """Build a copy of the project from scratch; the objects whose rows differ (none: [])."""
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("target"))
    seed_project(fresh)
    build(fresh, "--full-refresh")
    con = duckdb.connect()
    con.execute(f"ATTACH '{project / 'target' / 'warehouse.duckdb'}' AS inc (READ_ONLY)")
    con.execute(f"ATTACH '{fresh / 'target' / 'warehouse.duckdb'}' AS scratch (READ_ONLY)")
    objects = {
        (schema, name)
        for db in ("inc", "scratch")
        for schema, name in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_catalog = ? AND table_schema IN ('src', 'ind', 'app')",
            [db],
        ).fetchall()
    }
    assert len(objects) >= 15
    differ = []
    for schema, name in sorted(objects):
        a, b = f'inc."{schema}"."{name}"', f'scratch."{schema}"."{name}"'
        try:
            extra = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})"
                f" UNION ALL SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})"
            ).fetchall()
        except duckdb.Error:
            differ.append(f"{schema}.{name} (missing or other columns)")
            continue
        if extra != [(0,), (0,)]:
            differ.append(f"{schema}.{name}")
    con.close()
    return differ


@pytest.fixture
def built(tmp_path: Path) -> Path:
    project = copy_fixture("tiny", tmp_path / "inc")
    seed_project(project)
    assert "full build" in build(project)
    return project


def test_nothing_changed_rewrites_nothing(built: Path, tmp_path: Path) -> None:
    # calls span 2024-12-30, 12-31, 2025-01-01 and 01-06; shifts add days of their own
    output = build(built)
    assert "rebuilt 0 of" in output and "in 0 indicator tables" in output
    assert compare_with_full_build(built, tmp_path) == []


def test_new_changed_and_removed_rows_rewrite_their_days(built: Path, tmp_path: Path) -> None:
    calls = built / "seeds" / "calls.csv"
    text = calls.read_text(encoding="utf-8")
    # L05 (12-30) changes its handle time, L11 (12-31) is removed, L90 adds 2025-01-08
    text = text.replace("2024-12-30 10:40:20,100,", "2024-12-30 10:40:20,160,")
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("L11,"))
    calls.write_text(text + NEW_DAY, encoding="utf-8")
    seed_project(built)
    output = build(built)
    # three call days of offered_ts; ind.calls_day and ind.calls_by_queue_team_day by day
    assert "rebuilt 3 of" in output and "in 2 indicator tables" in output, output
    assert compare_with_full_build(built, tmp_path) == []
    con = duckdb.connect(str(built / "target" / "warehouse.duckdb"), read_only=True)
    try:
        # by hand: 12-30 first legs L01 L03..L09 = 8; 12-31 L10 L12 L13 = 3 (L11 gone)
        rows = con.execute(
            "SELECT count(*) FILTER (WHERE CAST(offered_ts AS DATE) = '2024-12-30'),"
            " count(*) FILTER (WHERE CAST(offered_ts AS DATE) = '2024-12-31')"
            " FROM src.calls WHERE leg_seq = 1"
        ).fetchone()
    finally:
        con.close()
    assert rows == (8, 3)


def test_a_changed_metric_rebuilds_its_tables_in_full(built: Path, tmp_path: Path) -> None:
    metrics = built / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    assert "filter: leg_seq = 1" in text
    metrics.write_text(text.replace("filter: leg_seq = 1", "filter: leg_seq >= 1", 1))
    output = build(built)
    assert "rebuilt in full" in output, output
    assert compare_with_full_build(built, tmp_path) == []


def test_a_changed_dimension_rebuilds_what_joins_it(built: Path, tmp_path: Path) -> None:
    agents = built / "seeds" / "agents.csv"
    lines = agents.read_text(encoding="utf-8").splitlines(keepends=True)
    header, first = lines[0].strip().split(","), lines[1].strip().split(",")
    team = header.index("team")
    first[team] = first[team] + "_moved"
    agents.write_text("".join([lines[0], ",".join(first) + "\n", *lines[2:]]), encoding="utf-8")
    calls = built / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    seed_project(built)
    output = build(built)
    # ind.calls_by_queue_team_day joins agents: in full; ind.calls_day by day
    assert "in 1 indicator tables, 1 rebuilt in full" in output, output
    assert compare_with_full_build(built, tmp_path) == []


def test_full_refresh_rebuilds_everything(built: Path) -> None:
    assert "full build" in build(built, "--full-refresh")


@pytest.mark.parametrize("grain", [Grain.DAY, Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.YEAR])
@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_periods_of_days_match_the_warehouse(grain: Grain, week_start: str) -> None:
    # the period of each day of 2024 as DuckDB truncates it (the ind tables' period columns)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    if grain is Grain.WEEK and week_start == "sunday":
        sql = "SELECT CAST(date_trunc('week', d + 1) AS DATE) - 1 FROM (SELECT ?::DATE AS d)"
    else:
        sql = f"SELECT CAST(date_trunc('{grain.value}', ?::DATE) AS DATE)"
    con = duckdb.connect()
    for day in days:
        [expected] = con.execute(sql, [day]).fetchone() or [None]
        assert periods(grain, [day], week_start) == [expected], day
    con.close()
    assert periods(grain, [None, days[0]], week_start)[-1] is None


def test_a_source_table_over_unchanged_raw_tables_is_kept(built: Path, tmp_path: Path) -> None:
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    agents = built / "seeds" / "agents.csv"
    agents.write_text(agents.read_text(encoding="utf-8").replace(",T1,", ",T9,", 1))
    seed_project(built)
    project = load_project(built)
    warehouse = connect(project, read_only=True)
    ran: list[str] = []
    try:
        build_project(project, warehouse, on_statement=lambda s: ran.append(s.what))
    finally:
        warehouse.close()
    # raw.agents changed: src.agents is written again, and src.shifts, which refs it; raw.calls
    # did not change, so src.calls is kept
    assert "model models/source/agents.sql" in ran
    assert "model models/source/calls.sql" not in ran
    assert compare_with_full_build(built, tmp_path) == []
