"""Incremental builds: only the changed days are rewritten, and the result equals a full build.

Each case changes the tiny project (new rows on a new day, a row changed and one removed in an
existing day, a metric's filter, a dimension's attribute), builds incrementally, builds the
same project from scratch elsewhere, and compares every table of src and ind and every app view
row for row (EXCEPT ALL both ways, so duplicates count too).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import sqlglot
from conftest import FIXTURES, copy_fixture, invoke, seed_project
from test_engines import postgres_dsn, spark_session  # noqa: F401 - the engine fixtures

from metricflow_lite.compile.incremental import periods
from metricflow_lite.spec.model import Grain

NEW_DAY = "L90,c90,1,A,a1,u10,2025-01-08 09:00:00,2025-01-08 09:00:10,120,\n"


def build(project: Path, *options: str) -> str:
    result = invoke("build", "--project-dir", str(project), *options)
    assert result.exit_code == 0, result.output
    return result.output


def compare_with_full_build(project: Path, tmp_path: Path) -> list[str]:
    """Build a copy of the project from scratch; the objects whose rows differ (none: []),
    the manifest's fingerprints included."""
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
            " WHERE table_catalog = ? AND table_schema IN ('src', 'ind', 'app', '_mfl')",
            [db],
        ).fetchall()
        # the loads of raw._loads are the other project's own (its files, its load ids)
        if (schema, name) not in (("_mfl", "loads"), ("_mfl", "raw_loads"))
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
    assert output.rstrip().endswith("in 0 indicator tables: no rows changed since the last build")
    assert compare_with_full_build(built, tmp_path) == []


def test_a_build_writes_only_the_comments_that_changed(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's copy keeps the comments of the objects it kept; an edited label is written."""
    import duckdb

    from metricflow_lite.warehouse.base import ConnectionBuildSession

    written: list[str] = []
    execute = ConnectionBuildSession.execute

    def recording(self: ConnectionBuildSession, sql: str, what: str = "", layer: str = "") -> None:
        if sql.startswith("COMMENT"):
            written.append(sql)
        execute(self, sql, what, layer)

    monkeypatch.setattr(ConnectionBuildSession, "execute", recording)

    def comments_of_a_build() -> list[str]:
        written.clear()
        build(built)
        return list(written)

    assert comments_of_a_build() == []
    metrics = built / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text.replace("    label: 放弃量\n", "    label: 放弃来电量\n", 1))
    changed = comments_of_a_build()
    # the metric's partial in each indicator table that holds it and its column in each report
    # view: no other comment
    assert changed and all("放弃来电量" in sql for sql in changed), changed
    with duckdb.connect(str(built / "target" / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FILTER (WHERE comment LIKE '%放弃来电量%'),"
            " count(*) FILTER (WHERE comment LIKE '%放弃量%') FROM duckdb_columns()"
        ).fetchall()
    assert found[0][0] == len(changed) and found[0][1] == 0, found


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


def statements_of_a_build(project: Path) -> list[str]:
    """What each statement of an incremental build of the project was for (its `what`)."""
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    loaded = load_project(project)
    ran: list[str] = []
    with connect(loaded, read_only=True) as warehouse:
        build_project(loaded, warehouse, on_statement=lambda s: ran.append(s.what))
    return ran


def test_duckdb_keeps_the_views_whose_definition_is_unchanged(built: Path, tmp_path: Path) -> None:
    # new rows: the report's views read the new rows by name, nothing to write again
    calls = built / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    seed_project(built)
    ran = statements_of_a_build(built)
    assert ran and not [w for w in ran if w.startswith("report ")], ran
    assert compare_with_full_build(built, tmp_path / "first") == []
    # a metric's filter changed: the indicator tables that hold it and every view over them
    metrics = built / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text.replace("filter: leg_seq = 1", "filter: leg_seq >= 1", 1))
    ran = statements_of_a_build(built)
    assert [w for w in ran if w.startswith("report ")], ran
    assert compare_with_full_build(built, tmp_path / "second") == []


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


# --- every engine: DuckDB, PostgreSQL and Spark -------------------------------------------------

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
]
TARGET = {"duckdb": "dev", "postgres": "pg", "spark": "spark"}
INC_DSN = "MFL_INC_DSN"


def on_engine(
    fixture: str, where: Path, engine: str, request: pytest.FixtureRequest, dsn_env: str
) -> Path:
    """A fixture project whose `pg` target is a new database of the test server, and whose
    `spark` target a new warehouse folder (in the run's one Spark session)."""
    project = copy_fixture(fixture, where)
    if engine == "spark":
        request.getfixturevalue("spark_session")
        config = project / "metricflow_lite.yml"
        folder = where / "spark-warehouse"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f"  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{folder}'}}\n",
            encoding="utf-8",
        )
    if engine == "postgres":
        import uuid

        import psycopg

        dsn = request.getfixturevalue("postgres_dsn")
        name = f"inc_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv(dsn_env, dsn.replace("dbname=postgres", f"dbname={name}"))
        config = project / "metricflow_lite.yml"
        config.write_text(
            config.read_text(encoding="utf-8") + f"  pg: {{type: postgres, dsn_env: {dsn_env}}}\n",
            encoding="utf-8",
        )
    return project


def mfl(project: Path, engine: str, command: str, *options: str) -> str:
    result = invoke(command, "--project-dir", str(project), "--target", TARGET[engine], *options)
    assert result.exit_code == 0, result.output
    return result.output


def layer_rows(
    project: Path, engine: str, schemas: tuple[str, ...] = ("src", "ind", "app")
) -> dict[str, Counter[tuple[object, ...]]]:
    """Every table and view of src, ind and app: its rows as a multiset (doubles rounded to
    12 significant digits: a sum over other partitions may differ in its last bits)."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    def plain(value: object) -> object:
        return float(f"{value:.12g}") if isinstance(value, float) else value

    with connect(load_project(project), TARGET[engine], read_only=True) as warehouse:
        found = {}
        for schema in schemas:
            for name in warehouse.tables(schema):
                table = sqlglot.exp.table_(name, db=schema, quoted=True)
                rows = warehouse.fetch(
                    sqlglot.exp.select("*").from_(table).sql(warehouse.dialect)
                ).rows
                found[f"{schema}.{name}"] = Counter(tuple(plain(v) for v in r) for r in rows)
        return found


def equals_full_build(project: Path, engine: str) -> list[str]:
    """The objects whose rows differ between the incremental build and a full build of the
    same raw rows (built over it: the next incremental build starts from the full one). The
    manifest too: fingerprints kept or adjusted by the rows a build rewrote equal those of
    every row fingerprinted again."""
    everything = ("src", "ind", "app", "_mfl")
    ours = layer_rows(project, engine, everything)
    assert "full build" in mfl(project, engine, "build", "--full-refresh")
    theirs = layer_rows(project, engine, everything)
    assert len(theirs) >= 15
    return sorted(
        name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name)
    )


def split_calls(project: Path) -> None:
    """seeds/calls.csv as the first export of a folder keyed by leg_id."""
    folder = project / "seeds" / "calls"
    folder.mkdir()
    (project / "seeds" / "calls.csv").rename(folder / "calls_2025-01-06.csv")
    (project / "seeds" / "calls.yml").write_text("natural_key: [leg_id]\n", encoding="utf-8")
    # the load of each row: what lets src.calls be rewritten by key
    model = project / "models" / "source" / "calls.sql"
    text = model.read_text(encoding="utf-8")
    assert "    transfer_agent_id\nfrom" in text
    model.write_text(
        text.replace("    transfer_agent_id\nfrom", "    transfer_agent_id,\n    _load_id\nfrom")
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_exports_prunes_and_metrics_equal_a_full_build(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    project = on_engine("tiny", tmp_path / "inc", engine, request, INC_DSN)
    split_calls(project)
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    assert "rebuilt 0 of" in mfl(project, engine, "build")
    # a later export repeats L05 (2024-12-30) with another handle time and adds 2025-01-08
    original = (project / "seeds" / "calls" / "calls_2025-01-06.csv").read_text(encoding="utf-8")
    [header, l05] = [original.splitlines()[0]] + [
        line for line in original.splitlines() if line.startswith("L05,")
    ]
    assert ",100," in l05
    overlap = project / "seeds" / "calls" / "calls_2025-01-08.csv"
    # and a leg without a leg_id: source() keeps such rows as they are
    no_key = "," + NEW_DAY.split(",", 1)[1].replace("09:00", "10:00")
    overlap.write_text(
        f"{header}\n{l05.replace(',100,', ',160,')}\n{NEW_DAY}{no_key}", encoding="utf-8"
    )
    mfl(project, engine, "seed")
    output = mfl(project, engine, "build")
    # the days of the superseded row and of the new ones: 12-30 and 01-08; src.calls is
    # rewritten for the keys L05, L90 and the empty one
    assert "rebuilt 2 of" in output and "rebuilt in full" not in output, output
    assert "calls by key (3 keys" in output, output
    assert equals_full_build(project, engine) == []
    # the later export re-exported with L90's handle time changed: a new load of the same
    # file; every row of it gets the new load id, so 12-30 (L05) and 01-08 are rewritten
    assert ",120," in NEW_DAY
    overlap.write_text(
        f"{header}\n{l05.replace(',100,', ',160,')}\n{NEW_DAY.replace(',120,', ',150,')}{no_key}",
        encoding="utf-8",
    )
    assert "total: 3 rows from 1 file" in mfl(project, engine, "seed")
    output = mfl(project, engine, "build")
    assert "rebuilt 2 of" in output and "rebuilt in full" not in output, output
    assert "calls by key (3 keys" in output, output
    assert equals_full_build(project, engine) == []
    # the later export removed with --prune: L05 counts its first version again, 01-08 is gone
    overlap.unlink()
    mfl(project, engine, "seed", "--prune")
    output = mfl(project, engine, "build")
    # 12-30 among the days there are, 01-08 apart: no row is left on it
    assert "rebuilt 1 of 4 days (and 1 whose rows are gone)" in output, output
    assert "rebuilt in full" not in output, output
    assert "calls by key (3 keys" in output, output
    assert equals_full_build(project, engine) == []
    # a changed metric: the tables that hold it are rebuilt whole
    metrics = project / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text.replace("filter: leg_seq = 1", "filter: leg_seq >= 1", 1))
    output = mfl(project, engine, "build")
    assert "rebuilt in full" in output, output
    assert equals_full_build(project, engine) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_changed_version_rebuilds_the_days_it_is_valid_on(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    project = on_engine("history", tmp_path / "inc", engine, request, INC_DSN)
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    history = project / "seeds" / "agent_history.csv"
    text = history.read_text(encoding="utf-8")
    # a2's first version, valid [10-01 00:00, 10-02 00:00), moves from T1 to T3: of the calls
    # (10-01, 10-03 ...) only those of 10-01 can join it
    old = "a2,T1,s1,2024-10-01 00:00:00,2024-10-02 00:00:00"
    assert old in text
    history.write_text(text.replace(old, old.replace("T1", "T3")), encoding="utf-8")
    mfl(project, engine, "seed")
    output = mfl(project, engine, "build")
    assert "rebuilt 1 of" in output and "rebuilt in full" not in output, output
    assert equals_full_build(project, engine) == []


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT leg_id, _load_id, upper(queue) AS queue FROM {src}", None),
        (
            "WITH t AS (SELECT *, row_number() OVER (PARTITION BY leg_id ORDER BY _line) AS n"
            " FROM {src}) SELECT leg_id, _load_id FROM t WHERE n = 1",
            None,
        ),
        (
            "SELECT leg_id, _load_id, count(*) OVER (PARTITION BY call_id) AS legs FROM {src}",
            "a window over call_id, not over leg_id",
        ),
        ("SELECT trim(leg_id) AS leg_id, _load_id FROM {src}", "leg_id is computed"),
        ("SELECT leg_id, _load_id FROM {src} AS c JOIN src.agents AS a USING (agent_id)", "reads"),
        ("SELECT DISTINCT leg_id, _load_id FROM {src}", "DISTINCT"),
        ("SELECT * REPLACE (upper(leg_id) AS leg_id) FROM {src}", "leg_id is computed"),
        (
            "WITH t (leg_id, _load_id) AS (SELECT call_id, _load_id FROM {src}) SELECT * FROM t",
            "by position",
        ),
        (
            "SELECT call_id AS leg_id, max(_load_id) AS _load_id FROM {src} GROUP BY 1",
            "groups rows",
        ),
        (
            "SELECT leg_id, _load_id FROM {src} AS c WHERE EXISTS"
            " (SELECT 1 FROM {src} AS d WHERE d.call_id = c.call_id AND d.leg_seq = 2)",
            "a subquery",
        ),
    ],
)
def test_which_source_tables_are_rewritten_by_key(sql: str, why: str | None) -> None:
    from metricflow_lite.compile.build import BuildObject
    from metricflow_lite.compile.incremental import KeyedSource, keyed_source
    from metricflow_lite.compile.layers import latest_versions

    source = latest_versions("calls", ("leg_id",)).sql("duckdb")
    query = sqlglot.parse_one(sql.format(src=source), read="duckdb")
    assert isinstance(query, sqlglot.exp.Query)
    obj = BuildObject("src", "calls", "TABLE", query, "model calls.sql", "source")
    found = keyed_source(obj, {"calls": ("leg_id",)})
    if why is None:
        assert found == KeyedSource("calls", ("leg_id",))
    else:
        assert isinstance(found, str) and why in found, found
    assert keyed_source(obj, {}) == "raw.calls has no natural_key"


class Halt(Exception):
    """Stops a build half-way, as a failing statement would."""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_build_that_fails_half_way_keeps_the_previous_build(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from metricflow_lite.errors import MflError
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect
    from metricflow_lite.warehouse.base import Statement

    project = on_engine("tiny", tmp_path / "inc", engine, request, INC_DSN)
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    everything = ("src", "ind", "app", "_mfl")  # the manifest too: the next build reads it
    before = layer_rows(project, engine, everything)
    assert before["_mfl.days"] and before["src.calls"]
    calls = project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    mfl(project, engine, "seed")
    spark_dir = tmp_path / "inc" / "spark-warehouse"
    committed = (spark_dir / "build.json").read_bytes() if engine == "spark" else b""
    builds = sorted(p.name for p in (spark_dir / "builds").iterdir()) if engine == "spark" else []

    def halt_in_the_indicators(statement: Statement) -> None:
        if statement.layer == "indicator":  # the source tables are written by now
            raise Halt(statement.what)

    loaded = load_project(project)
    with connect(loaded, TARGET[engine], read_only=True) as warehouse:
        with pytest.raises((Halt, MflError)):
            build_project(loaded, warehouse, on_statement=halt_in_the_indicators)
    assert layer_rows(project, engine, everything) == before
    if engine == "spark":
        assert (spark_dir / "build.json").read_bytes() == committed
        assert sorted(p.name for p in (spark_dir / "builds").iterdir()) == builds
        session = request.getfixturevalue("spark_session")
        assert not [d.name for d in session.catalog.listDatabases() if "__staging" in d.name]
        assert not [t.name for t in session.catalog.listTables() if t.isTemporary]
    # the next build starts from the previous one: the new day only
    output = mfl(project, engine, "build")
    assert "rebuilt 1 of" in output and "rebuilt in full" not in output, output
    assert equals_full_build(project, engine) == []


@pytest.mark.spark
def test_a_spark_build_killed_half_way_keeps_the_previous_build(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """kill -9 of a `mfl build` process (and its JVM) while it writes the staging databases:
    build.json, the previous build and its manifest are as they were; the next build starts
    from them and removes the killed build's folder."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from metricflow_lite.warehouse.spark import REGISTERED_KEY

    project = on_engine("tiny", tmp_path / "inc", "spark", request, INC_DSN)
    mfl(project, "spark", "seed")
    assert "full build" in mfl(project, "spark", "build")
    everything = ("src", "ind", "app", "_mfl")
    before = layer_rows(project, "spark", everything)
    calls = project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    mfl(project, "spark", "seed")
    spark_dir = tmp_path / "inc" / "spark-warehouse"
    committed = (spark_dir / "build.json").read_bytes()
    [current] = list((spark_dir / "builds").iterdir())
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mfl"), "build", "--project-dir", str(project)]
        + ["--target", "spark"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its JVM too: the whole group is killed
    )
    try:
        deadline = time.monotonic() + 120
        # until the new build has written a table of its own
        while process.poll() is None and not [
            t for b in (spark_dir / "builds").iterdir() if b != current for t in b.glob("*/*")
        ]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(60)
    assert process.returncode == -signal.SIGKILL, "the build ended before the kill"
    assert (spark_dir / "build.json").read_bytes() == committed
    killed = {b.name for b in (spark_dir / "builds").iterdir()} - {current.name}
    assert killed  # its folder stays behind, never named by build.json
    # what a new process reads: the catalog registered again from the folder
    request.getfixturevalue("spark_session").conf.unset(REGISTERED_KEY)
    assert layer_rows(project, "spark", everything) == before
    output = mfl(project, "spark", "build")
    assert "rebuilt 1 of" in output and "rebuilt in full" not in output, output
    left = {b.name for b in (spark_dir / "builds").iterdir()}
    assert not killed & left  # removed by the next build
    assert equals_full_build(project, "spark") == []


@pytest.mark.spark
def test_a_spark_warehouse_has_one_writer_at_a_time(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """While a build or a seed writes the folder (its lock held), another build and another
    seed stop with E013 and change nothing; once it is released they run."""
    from metricflow_lite.warehouse.base import WriterLock

    project = on_engine("tiny", tmp_path / "inc", "spark", request, INC_DSN)
    mfl(project, "spark", "seed")
    assert "full build" in mfl(project, "spark", "build")
    spark_dir = tmp_path / "inc" / "spark-warehouse"
    committed = (spark_dir / "build.json").read_bytes()
    before = layer_rows(project, "spark")
    calls = project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    other = WriterLock(spark_dir)  # another process's build, as far as flock is concerned
    other.acquire()
    try:
        for command in ("build", "seed"):
            args = (command, "--project-dir", str(project), "--target", "spark")
            result = invoke(*args)
            assert result.exit_code == 1, result.output
            assert "E013" in result.output and "a build or a seed is running" in result.output
    finally:
        other.release()
    assert (spark_dir / "build.json").read_bytes() == committed
    assert layer_rows(project, "spark") == before
    mfl(project, "spark", "seed")
    assert "rebuilt 1 of" in mfl(project, "spark", "build")
    assert equals_full_build(project, "spark") == []


def test_spark_rewrites_a_table_once_from_its_kept_and_new_rows(
    snapshot: Callable[[str, str], None],
) -> None:
    """Spark has no DELETE: a day table rewritten for 2024-12-30 and rows without a time, and a
    source table rewritten for the keys in _mfl_keys, are each one CREATE TABLE AS SELECT of
    the last build's other rows UNION ALL the rows computed again."""
    from metricflow_lite.compile.build import BuildObject
    from metricflow_lite.compile.incremental import (
        INSERT_ALIAS,
        KeyedSource,
        keyed_source,
        period_filter,
        replace_periods,
        rewrite_keys,
    )
    from metricflow_lite.compile.layers import latest_versions
    from metricflow_lite.compile.plan import indicator_tables
    from metricflow_lite.jobs.pipeline import build_objects
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    project = load_project(FIXTURES / "tiny")
    spec = load_spec(project)
    [table] = [t for t in indicator_tables(spec) if t.name == "calls_day"]
    [obj] = [o for o in build_objects(project, spec, None) if o.name == "calls_day"]
    days: dict[str, list[dt.date | None]] = {"offered_ts": [dt.date(2024, 12, 30), None]}
    staged = {"src": "src__staging", "ind": "ind__staging", "app": "app__staging"}
    periods_sql = replace_periods(
        obj,
        period_filter(table, days, None, "monday"),
        period_filter(table, days, INSERT_ALIAS, "monday"),
        "spark",
        staged,
    )
    calls = BuildObject(
        "src",
        "calls",
        "TABLE",
        sqlglot.parse_one(
            "SELECT leg_id, queue, _load_id FROM "
            + latest_versions("calls", ("leg_id",)).sql("duckdb"),
            read="duckdb",
        ),
        "model calls.sql",
        "source",
    )
    source = keyed_source(calls, {"calls": ("leg_id",)})
    assert isinstance(source, KeyedSource)
    [keys_sql] = rewrite_keys(source, calls, "spark", staged)
    for sql in (periods_sql, keys_sql):
        assert "UNION ALL" in sql and "DELETE" not in sql and "INSERT" not in sql
    snapshot("incremental/rewrites.spark.sql", f"{periods_sql};\n\n{keys_sql};")


@pytest.mark.spark
def test_spark_fingerprints_tell_where_a_null_is_and_sum_exactly(
    request: pytest.FixtureRequest,
) -> None:
    from decimal import Decimal

    from metricflow_lite.compile.incremental import table_fingerprint, union_all

    session = request.getfixturevalue("spark_session")
    views = {
        # the same values, the NULL in another column
        "fp_a": "SELECT CAST(NULL AS STRING) AS c1, 'x' AS c2",
        "fp_b": "SELECT 'x' AS c1, CAST(NULL AS STRING) AS c2",
        "fp_n": "SELECT id AS v FROM range(5000)",
    }
    try:
        for name, query in views.items():
            session.sql(f"CREATE OR REPLACE GLOBAL TEMPORARY VIEW {name} AS {query}")
        # xxhash64 skips NULLs: why the row hash adds which columns are NULL
        [[same]] = session.sql("SELECT xxhash64(NULL, 'x') = xxhash64('x', NULL)").collect()
        assert same
        columns = {"fp_a": ("c1", "c2"), "fp_b": ("c1", "c2"), "fp_n": ("v",)}
        parts = [table_fingerprint(n, "spark", "global_temp", columns[n]) for n in views]
        query = union_all(parts).sql("spark")
        found = {r[0]: (r[1], r[2]) for r in session.sql(query).collect()}
        assert found["fp_a"][0] == found["fp_b"][0] == 1
        assert found["fp_a"] != found["fp_b"]
        # each row's hash, summed in Python: 5000 64-bit hashes overflow a BIGINT sum, and
        # DECIMAL(38, 0) holds it exactly
        hashes = [
            int(h[0])
            for h in session.sql(
                "SELECT xxhash64(v IS NULL, v) FROM (SELECT id AS v FROM range(5000))"
            ).collect()
        ]
        assert max(abs(sum(hashes[:n])) for n in range(1, len(hashes) + 1)) > 2**63
        assert found["fp_n"] == (5000, Decimal(sum(hashes)))
    finally:
        for name in views:
            session.sql(f"DROP VIEW IF EXISTS global_temp.{name}")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_table_by_key_carries_its_business_ends(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The hours fixture's tickets with a natural key: a re-export of one ticket rewrites
    src.tickets by key, with the calendar's open seconds of its ends (read by business_seconds)
    computed again for that key, and every table equals a full build. By hand: t02 created
    Mon 10-14 17:00, first reply Tue 09:30 (was 10:00): 1 h on Monday + 0.5 h (the default
    calendar opens at 09:00) = 5,400 s."""
    project = on_engine("hours", tmp_path / "hours", engine, request, "MFL_HOURS_PG_DSN")
    (project / "seeds" / "tickets.yml").write_text("natural_key: [ticket_id]\n", encoding="utf-8")
    model = project / "models" / "source" / "tickets.sql"
    model.write_text(
        model.read_text(encoding="utf-8").replace(
            "as resolved_ts\n", "as resolved_ts,\n    _load_id\n"
        ),
        encoding="utf-8",
    )
    (project / "seeds" / "tickets").mkdir()
    (project / "seeds" / "tickets.csv").rename(project / "seeds" / "tickets" / "a.csv")
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    (project / "seeds" / "tickets" / "b.csv").write_text(
        "ticket_id,created_ts,first_reply_ts,resolved_ts\n"
        "t02,2024-10-14 17:00:00,2024-10-15 09:30:00,2024-10-16 17:00:00\n",
        encoding="utf-8",
    )
    mfl(project, engine, "seed")
    assert "tickets by key (1 keys" in mfl(project, engine, "build")
    for source in ((), ("--no-indicators",)):
        out = mfl(
            project, engine, "query", "--metrics", "reply_business_seconds", "--by", "ticket_id",
            "--where", "ticket_id = 't02'", "--format", "json", *source,
        )  # fmt: skip
        assert json.loads(out) == [{"ticket_id": "t02", "reply_business_seconds": 5400}]
    ours = layer_rows(project, engine)
    assert "full build" in mfl(project, engine, "build", "--full-refresh")
    assert layer_rows(project, engine) == ours


# --- source tables with windows over other columns: rewritten by key and window partition -------

WINDOWED_CALLS = """\
with legs as (
    select
        leg_id,
        call_id,
        cast(leg_seq as integer) as leg_seq,
        queue,
        agent_id,
        customer_id,
        cast(offered_ts as timestamp) as offered_ts,
        cast(answered_ts as timestamp) as answered_ts,
        cast(handle_seconds as integer) as handle_seconds,
        transfer_agent_id,
        _load_id
    from {{ source('calls') }}
),

per_call as (
    select leg_id, count(*) over (partition by call_id) as call_leg_count
    from legs
),

next_call as (
    select
        leg_id,
        lead(offered_ts) over (partition by customer_id order by offered_ts, leg_id)
            as next_offered_ts
    from legs
    where leg_seq = 1
)

select
    l.leg_id,
    l.call_id,
    l.leg_seq,
    l.queue,
    l.agent_id,
    l.customer_id,
    l.offered_ts,
    l.answered_ts,
    l.handle_seconds,
    l.transfer_agent_id,
    p.call_leg_count,
    n.next_offered_ts,
    l._load_id
from legs as l
left join per_call as p on l.leg_id = p.leg_id
left join next_call as n on l.leg_id = n.leg_id
"""


def windowed_calls(project: Path) -> None:
    """split_calls, with a model whose windows count a call's legs and find the caller's next
    call: a leg's row depends on the other legs of its call and of its customer."""
    split_calls(project)
    (project / "seeds" / "calls.yml").write_text("natural_key: [leg_id]\n", encoding="utf-8")
    (project / "models" / "source" / "calls.sql").write_text(WINDOWED_CALLS, encoding="utf-8")


def leg_values(project: Path, engine: str) -> dict[str, tuple[object, object]]:
    """Each leg's (call_leg_count, next_offered_ts) in src.calls."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    with connect(load_project(project), TARGET[engine], read_only=True) as warehouse:
        found = warehouse.fetch(
            "SELECT leg_id, call_leg_count, next_offered_ts FROM src.calls"
        ).rows
    values = {str(leg): (count, after) for leg, count, after in found}
    assert len(values) == len(found)  # one row per leg
    return values


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_table_with_windows_is_rewritten_by_partition(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A later export moves L02 from call c01 to c02 and adds two legs on 2025-01-08: L90 of
    customer u2 and L91 without a customer. By hand: c01 keeps L01 alone (count 1), c02 has
    L03 and L02 (2 each); u2's last first leg was L16 (01-06 10:00), whose next call is now
    L90 (01-08 09:00); L90 has none. Pruned, the export's rows are gone again."""
    project = on_engine("tiny", tmp_path / "inc", engine, request, INC_DSN)
    windowed_calls(project)
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    before = leg_values(project, engine)
    assert before["L01"][0] == before["L02"][0] == 2 and before["L03"][0] == 1
    assert before["L16"][1] is None
    original = (project / "seeds" / "calls" / "calls_2025-01-06.csv").read_text(encoding="utf-8")
    header = original.splitlines()[0]
    [l02] = [line for line in original.splitlines() if line.startswith("L02,")]
    export = project / "seeds" / "calls" / "calls_2025-01-08.csv"
    export.write_text(
        f"{header}\n{l02.replace(',c01,', ',c02,')}\n"
        "L90,c90,1,A,a1,u2,2025-01-08 09:00:00,2025-01-08 09:00:10,120,\n"
        "L91,c91,1,A,a1,,2025-01-08 09:30:00,2025-01-08 09:30:10,60,\n",
        encoding="utf-8",
    )
    mfl(project, engine, "seed")
    output = mfl(project, engine, "build")
    assert "calls by key and window partition (3 keys loaded," in output, output
    assert "rebuilt in full" not in output, output
    after = leg_values(project, engine)
    assert after["L01"][0] == 1 and after["L02"][0] == after["L03"][0] == 2
    assert after["L16"][1] == dt.datetime(2025, 1, 8, 9, 0) and after["L90"][1] is None
    assert equals_full_build(project, engine) == []
    export.unlink()
    mfl(project, engine, "seed", "--prune")
    output = mfl(project, engine, "build")
    assert "calls by key and window partition (3 keys loaded," in output, output
    assert leg_values(project, engine) == before
    assert equals_full_build(project, engine) == []


CALLS_WITH_WINDOWS = (
    "WITH legs AS (SELECT leg_id, call_id, customer_id, offered_ts, _load_id FROM {src}),"
    " per_call AS (SELECT leg_id, count(*) OVER (PARTITION BY call_id) AS n FROM legs{where}),"
    " nxt AS (SELECT leg_id, lead(offered_ts) OVER (PARTITION BY customer_id"
    " ORDER BY offered_ts) AS next_ts FROM legs WHERE customer_id IS NOT NULL)"
    " SELECT {columns}, k.n, x.next_ts, l._load_id FROM legs AS l"
    " LEFT JOIN per_call AS k ON {on} LEFT JOIN nxt AS x ON l.leg_id = x.leg_id{final}"
)


def windowed(
    columns: str = "l.leg_id, l.call_id, l.customer_id",
    where: str = "",
    on: str = "l.leg_id = k.leg_id",
    final: str = "",
) -> str:
    return CALLS_WITH_WINDOWS.format(src="{src}", columns=columns, where=where, on=on, final=final)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        (windowed(), None),
        (windowed(final=" WHERE l.call_id IS NOT NULL"), "its final SELECT has WHERE"),
        (windowed(columns="l.leg_id, l.call_id"), "does not pass customer_id through"),
        (windowed(columns="l.leg_id, upper(l.call_id) AS call_id, l.customer_id"), "call_id"),
        (
            windowed(where=" WHERE EXISTS (SELECT 1 FROM legs AS o WHERE o.call_id = 'c1')"),
            "filters its rows by other rows",
        ),
        (windowed(on="l.call_id = k.leg_id"), "on more than leg_id"),
        (
            windowed().replace("LEFT JOIN nxt", "JOIN nxt"),
            "joins nxt by INNER JOIN, not LEFT JOIN",
        ),
        (
            "WITH legs AS (SELECT leg_id, call_id, _load_id FROM {src}),"
            " a AS (SELECT leg_id, call_id, count(*) OVER (PARTITION BY call_id) AS n FROM legs),"
            " b AS (SELECT leg_id, sum(n) OVER (PARTITION BY call_id) AS m FROM a)"
            " SELECT l.leg_id, l.call_id, b.m, l._load_id FROM legs AS l"
            " LEFT JOIN b ON l.leg_id = b.leg_id",
            "windows read 2 CTEs",
        ),
        (
            "WITH legs AS (SELECT leg_id, call_id, _load_id FROM {src}),"
            " a AS (SELECT leg_id, count(*) OVER () AS n FROM legs)"
            " SELECT l.leg_id, l.call_id, a.n, l._load_id FROM legs AS l"
            " LEFT JOIN a ON l.leg_id = a.leg_id",
            "a window over all rows",
        ),
    ],
)
def test_which_source_tables_with_windows_are_rewritten_by_partition(
    sql: str, why: str | None
) -> None:
    from metricflow_lite.compile.build import BuildObject
    from metricflow_lite.compile.incremental import PartitionedSource, keyed_source
    from metricflow_lite.compile.layers import latest_versions

    source = latest_versions("calls", ("leg_id",)).sql("duckdb")
    query = sqlglot.parse_one(sql.format(src=source), read="duckdb")
    assert isinstance(query, sqlglot.exp.Query)
    obj = BuildObject("src", "calls", "TABLE", query, "model calls.sql", "source")
    found = keyed_source(obj, {"calls": ("leg_id",)})
    if why is None:
        assert found == PartitionedSource(
            "calls", ("leg_id",), "legs", (("call_id",), ("customer_id",))
        )
    else:
        assert isinstance(found, str) and why in found, found
        assert found.startswith("a window over"), found


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_partition_rewrite_sql(dialect: str, snapshot: Callable[[str, str], None]) -> None:
    """The statements that rewrite a source table by window partition: the loads' keys' rows
    (new from raw, old from the last build), the keys sharing a partition with them, their
    rows, the keys those partitions hold; the rows computed again and the keys whose rows
    changed (not on Spark, which writes the table whole); then the rewrite itself."""
    from metricflow_lite.compile.build import BuildObject
    from metricflow_lite.compile.dialects import render
    from metricflow_lite.compile.incremental import (
        CHANGED_TABLE,
        NEW_HASHES_TABLE,
        NEW_ROWS_TABLE,
        OLD_HASHES_TABLE,
        DayKey,
        PartitionedSource,
        changed_keys,
        hashed_fingerprint,
        keyed_source,
        partition_steps,
        recomputed_rows,
        rewrite_keys,
        row_hashes,
    )
    from metricflow_lite.compile.layers import latest_versions

    source_sql = latest_versions("calls", ("leg_id",)).sql("duckdb")
    query = sqlglot.parse_one(windowed().format(src=source_sql), read="duckdb")
    assert isinstance(query, sqlglot.exp.Query)
    obj = BuildObject("src", "calls", "TABLE", query, "model calls.sql", "source")
    source = keyed_source(obj, {"calls": ("leg_id",)})
    assert isinstance(source, PartitionedSource)
    names = (
        {}
        if dialect == "duckdb"
        else {
            s: s + ("__next" if dialect == "postgres" else "__staging")
            for s in ("src", "ind", "app")
        }
    )
    day = (0, DayKey("calls", "next_ts"))
    # the old rows of the keys to rewrite are hashed in the scan that finds them (not on Spark)
    hashed = None if dialect == "spark" else [day[1]]
    steps = [
        f"-- {name}\n{sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True)[0]};"
        for name, sql in partition_steps(source, obj, dialect, hashed)
    ]
    if dialect != "spark":
        # the recomputed rows, the new rows' hashes, the keys whose rows changed and their
        # fingerprints by day, removed and written
        recomputed = render(recomputed_rows(source, obj, dialect, names), dialect, obj.what)
        for name, sql in (
            (NEW_ROWS_TABLE, recomputed),
            *row_hashes(source, obj, [day[1]], dialect),
            (CHANGED_TABLE, changed_keys(source, dialect)),
            *(
                (f"{table} (days)", hashed_fingerprint(source, "calls", table, dialect, day, neg))
                for table, neg in ((OLD_HASHES_TABLE, True), (NEW_HASHES_TABLE, False))
            ),
            ("(whole)", hashed_fingerprint(source, "calls", NEW_HASHES_TABLE, dialect)),
        ):
            sql = sql if isinstance(sql, str) else sql.sql(dialect)
            pretty = sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True)[0]
            steps.append(f"-- {name}\n{pretty};")
    rewrite = [f"{sql};" for sql in rewrite_keys(source, obj, dialect, names)]
    snapshot(f"incremental/partitions.{dialect}.sql", "\n\n".join([*steps, *rewrite]))


def test_a_row_without_a_time_is_no_day_of_the_count(built: Path, tmp_path: Path) -> None:
    """The summary counts local days: a new leg without an offered time changes rows of no
    day, so it cannot make the rebuilt days more than the days there are."""
    calls = built / "seeds" / "calls.csv"
    no_time = "L91,c91,1,A,a1,u10,,,120,\n"
    calls.write_text(calls.read_text(encoding="utf-8") + no_time, encoding="utf-8")
    seed_project(built)
    output = build(built)
    found = re.search(r"rebuilt (\d+) of (\d+) days", output)
    assert found is not None, output
    assert int(found.group(1)) <= int(found.group(2)), output
    assert found.group(1) == "0", output  # no local day's rows changed
    assert compare_with_full_build(built, tmp_path) == []


def test_a_model_removed_since_the_last_build(tmp_path: Path) -> None:
    """The manifest still holds the days of the removed model's time column: the build stopped
    with an internal error (KeyError) instead of dropping what only that model had."""
    project = copy_fixture("hours", tmp_path)
    seed_project(project)
    build(project)
    (project / "metrics" / "logins.yml").unlink()
    (project / "models" / "source" / "logins.sql").unlink()
    output = build(project)
    assert "built" in output, output
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema IN ('src', 'ind')"
            ).fetchall()
        }
        # the 5 calls of fixtures/hours are all still there
        [[calls]] = con.execute("SELECT count(*) FROM src.calls").fetchall()
    finally:
        con.close()
    assert not any("logins" in t for t in tables), tables
    assert calls == 5


def test_a_day_whose_rows_are_all_gone_is_not_counted_among_the_days(tmp_path: Path) -> None:
    """Ticket t08 is the only row of 2024-12-24: the day is rewritten (its rows removed) but is
    no longer a day of the data. It was counted among the rebuilt days and not among the
    days, so that re-exports moving every row read "rebuilt 63 of 60 days"."""
    project = copy_fixture("hours", tmp_path)
    seed_project(project)
    build(project)
    tickets = project / "seeds" / "tickets.csv"
    lines = tickets.read_text(encoding="utf-8").splitlines(keepends=True)
    tickets.write_text("".join(line for line in lines if not line.startswith("t08,")), "utf-8")
    seed_project(project)
    output = build(project)
    # days of the data now: tickets created on 09-28, 09-30, 10-11, 10-14, 10-15, 10-19;
    # calls and logins add none but 10-14 and 10-15
    assert "rebuilt 0 of 6 days (and 1 whose rows are gone)" in output, output


def test_days_removed_count_among_the_days_of_the_summary(built: Path, tmp_path: Path) -> None:
    """Shifts on six days no call has, then removed: the six days rewritten are days of the
    last build only, named apart from the days of the data ("6 of 4 days" was printed)."""
    shifts = built / "seeds" / "shifts.csv"
    before = shifts.read_text(encoding="utf-8")
    extra = "".join(f"a1,2025-01-{day},3600\n" for day in range(10, 16))
    shifts.write_text(before + extra, encoding="utf-8")
    seed_project(built)
    build(built)
    shifts.write_text(before, encoding="utf-8")
    seed_project(built)
    output = build(built)
    # calls on 12-30, 12-31, 01-01 and 01-06 (the shifts' own days among them); 01-10..15 gone
    assert "rebuilt 0 of 4 days (and 6 whose rows are gone)" in output, output
    assert compare_with_full_build(built, tmp_path) == []


CONTACTS_MODEL = """select 'call' as channel, leg_id as contact_id, customer_id,
    offered_ts as contact_ts
from {{ ref('calls') }}
where leg_seq = 1 and customer_id is not null
union all
select 'Shift' as channel, agent_id, null, cast(shift_date as timestamp)
from {{ ref('shifts') }}
"""
CONTACTS_METRICS = """version: 1
models:
  - {name: contacts, time: contact_ts, dimensions: [channel]}
metrics:
  - {name: contacts, label: 联系量, description: Contacts., model: contacts, agg: count}
  - {name: contact_customers, label: 联系客户数, description: Customers who made contact.,
     model: contacts, agg: count_distinct, expr: customer_id}
"""


def kind_of(project: Path, engine: str, schema: str, name: str) -> str:
    from metricflow_lite.compile.incremental import table_type
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    with connect(load_project(project), TARGET[engine], read_only=True) as warehouse:
        if engine == "spark":
            table = warehouse.session.catalog.getTable(f"`{schema}`.`{name}`")
            return "VIEW" if table.tableType == "VIEW" else "BASE TABLE"
        return str(warehouse.fetch(table_type(schema, name, warehouse.dialect)).rows[0][0])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_model_that_reshapes_others_is_a_view(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A UNION ALL of other source tables' rows is a view of them, not a copy: built, read from
    the rows and from its day table, rewritten by day when the tables it reads change, a table
    again when its SQL stops being row by row. Its literal text sorts byte-wise on every
    engine ('Shift' < 'call'; PostgreSQL's en-US order would put 'call' first)."""
    project = on_engine("tiny", tmp_path / "inc", engine, request, INC_DSN)
    model = project / "models" / "source" / "contacts.sql"
    model.write_text(CONTACTS_MODEL, encoding="utf-8")
    (project / "metrics" / "contacts.yml").write_text(CONTACTS_METRICS, encoding="utf-8")
    mfl(project, engine, "seed")
    assert "full build" in mfl(project, engine, "build")
    assert kind_of(project, engine, "src", "contacts") == "VIEW"
    by_channel = ("--metrics", "contacts,contact_customers", "--by", "channel", "--format", "json")

    def totals(*options: str) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = json.loads(
            mfl(project, engine, "query", *by_channel, *options)
        )
        return rows

    # 16 first legs of 9 customers (u1-u9), 5 shifts without a customer
    expected = [
        {"channel": "Shift", "contacts": 5, "contact_customers": 0},
        {"channel": "call", "contacts": 16, "contact_customers": 9},
    ]
    assert totals("--no-indicators") == expected
    calls = project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_DAY, encoding="utf-8")
    mfl(project, engine, "seed")
    assert "rebuilt 1 of 5 days" in mfl(project, engine, "build")
    expected[1] = {"channel": "call", "contacts": 17, "contact_customers": 10}  # L90, u10
    assert totals("--no-indicators") == expected
    # from its day table: first legs and shifts of each day
    days = json.loads(
        mfl(project, engine, "query", "--metrics", "contacts", "--grain", "day", "--format", "json")
    )
    assert [(d["day"], d["contacts"]) for d in days] == [
        ("2024-12-30", 10),
        ("2024-12-31", 5),
        ("2025-01-01", 3),
        ("2025-01-06", 3),
        ("2025-01-08", 1),
    ]
    assert equals_full_build(project, engine) == []
    # UNION (not ALL) drops duplicate rows: a table; then a view again
    model.write_text(CONTACTS_MODEL.replace("union all", "union"), encoding="utf-8")
    mfl(project, engine, "build")
    assert kind_of(project, engine, "src", "contacts") == "BASE TABLE"
    assert totals("--no-indicators") == expected
    model.write_text(CONTACTS_MODEL, encoding="utf-8")
    mfl(project, engine, "build")
    assert kind_of(project, engine, "src", "contacts") == "VIEW"
    assert totals("--no-indicators") == expected
    assert equals_full_build(project, engine) == []
