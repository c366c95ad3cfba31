"""serve/snapshot.py: read-only access to the last good build, shared by the HTTP and the
PostgreSQL endpoints (BuildSnapshot.run_select), and how it lets mfl seed and mfl build run.

Numbers by hand from tests/fixtures/tiny/seeds/calls.csv: 16 first legs, 11 of them in queue A.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import copy_fixture, invoke, seed_project
from test_build_snapshot import (  # noqa: F401 - pg_project and postgres_dsn are fixtures
    append_calls,
    pg_project,
    postgres_dsn,
)

from metricflow_lite.errors import MflError
from metricflow_lite.serve.limits import Limits
from metricflow_lite.serve.served_project import ServedProject
from metricflow_lite.serve.snapshot import BuildSnapshot, checked_select
from metricflow_lite.spec.project import load_project


@pytest.fixture
def built(tmp_path: Path) -> Path:
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    return project


@pytest.fixture
def snapshot(built: Path) -> Iterator[BuildSnapshot]:
    opened = BuildSnapshot.open(load_project(built), None, Limits())
    yield opened
    opened.close()


def run(
    snapshot: BuildSnapshot, sql: str, max_rows: int = 100, timeout_s: float = 30.0
) -> list[tuple[Any, ...]]:
    return snapshot.run_select(sql, "postgres", max_rows, timeout_s)[1]


def test_run_select_answers_from_the_build(snapshot: BuildSnapshot) -> None:
    columns, rows = snapshot.run_select(
        "SELECT queue, sum(offered_calls) AS offered FROM app.queue_daily_month"
        " WHERE queue IS NOT NULL GROUP BY queue ORDER BY queue",
        "postgres",
        100,
        10.0,
    )
    assert [name for name, _ in columns] == ["queue", "offered"]
    assert columns[0][1] == "VARCHAR"
    assert rows == [("A", 11), ("B", 4)]
    # the PostgreSQL spelling is rewritten for DuckDB, not pasted
    assert run(snapshot, "SELECT count(*)::int FROM src.calls WHERE leg_seq = 1") == [(16,)]
    assert run(
        snapshot,
        "SELECT table_name FROM information_schema.tables WHERE table_schema"
        " = 'app' AND table_name = 'queue_daily_week'",
    ) == [("queue_daily_week",)]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM app.queue_daily_week",
        "INSERT INTO app.queue_daily_week VALUES (1)",
        "CREATE TABLE app.x AS SELECT 1",
        "DROP VIEW app.queue_daily_week",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('x.parquet')",
        "SELECT * FROM glob('/*')",
        "SELECT current_setting('threads')",
        "SELECT getenv('HOME')",
        "SELECT * FROM duckdb_settings()",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT * FROM raw.calls",
        "SELECT * FROM _mfl.objects",
        "SELECT * FROM other.main.t",
        "SELECT 1 INTO x",
        "SET threads = 1",
        "COPY app.queue_daily_week TO '/tmp/x.csv'",
        "SELECT * FROM app.queue_daily_week WHERE queue = $1",
        "SELEC 1",
    ],
)
def test_only_one_read_only_select_over_the_layers(snapshot: BuildSnapshot, sql: str) -> None:
    with pytest.raises(MflError) as caught:
        snapshot.run_select(sql, "postgres", 100, 10.0)
    assert caught.value.code == "E805", caught.value


def test_files_named_as_tables_are_refused(snapshot: BuildSnapshot) -> None:
    for sql in ("SELECT * FROM '/etc/passwd'", 'SELECT * FROM "x.csv"', "SELECT * FROM 'x.csv'"):
        with pytest.raises(MflError) as caught:
            snapshot.run_select(sql, "duckdb", 100, 10.0)
        assert caught.value.code == "E805", sql


def test_the_engine_refuses_files_too(snapshot: BuildSnapshot) -> None:
    # past the check, the served copy runs with external access off (and no SQL can turn it on)
    from metricflow_lite.warehouse.served import DuckDBReader

    with snapshot.reader() as reader:
        assert isinstance(reader, DuckDBReader)
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SET enable_external_access = true"):
            with pytest.raises(MflError) as caught:
                reader.select(sql, 10, 10.0)
            assert caught.value.code == "E806", sql


def test_row_limit_and_time_limit(snapshot: BuildSnapshot) -> None:
    sql = "SELECT * FROM app.queue_daily_day"
    every = run(snapshot, sql)
    assert len(every) > 2
    with pytest.raises(MflError) as caught:
        run(snapshot, sql, max_rows=2)
    assert caught.value.code == "E802"
    assert len(run(snapshot, sql + " LIMIT 2", max_rows=2)) == 2
    with pytest.raises(MflError):
        run(snapshot, sql + " LIMIT 100", max_rows=2)
    assert "LIMIT 3" in checked_select(sql, "postgres", "duckdb", 2)
    slow = "SELECT count(*) FROM range(100000000) a(x), range(100000) b(y) WHERE x * y = 7"
    with pytest.raises(MflError) as caught:
        snapshot.run_select(slow, "duckdb", 10, 0.5)
    assert caught.value.code == "E803"
    assert run(snapshot, "SELECT 1 AS one") == [(1,)]  # still answering


def test_missing_object_is_e312(snapshot: BuildSnapshot) -> None:
    with pytest.raises(MflError) as caught:
        run(snapshot, "SELECT * FROM app.no_such_view")
    assert caught.value.code == "E312"


def test_the_warehouse_file_is_free_between_copies(built: Path, snapshot: BuildSnapshot) -> None:
    # a writer (mfl seed) can open the file: the snapshot holds only its own copy
    live = built / "target" / "warehouse.duckdb"
    writer = duckdb.connect(str(live))
    writer.close()
    assert snapshot.changed() in (True, False)
    assert run(snapshot, "SELECT count(*) FROM src.calls WHERE leg_seq = 1") == [(16,)]


def test_a_new_build_is_taken_and_a_running_read_keeps_the_old(
    built: Path, snapshot: BuildSnapshot
) -> None:
    first = snapshot.build_id
    assert first is not None
    assert snapshot.changed() is False  # nothing new
    count = "SELECT count(*) FROM src.calls WHERE leg_seq = 1"
    append_calls(built)
    seed_project(built)
    assert invoke("build", "--project-dir", str(built)).exit_code == 0
    with snapshot.reader() as old:
        [old_copy] = {p.parent for p in (built / "target" / ".serve").rglob("*.duckdb")}
        assert snapshot.changed() is True
        assert snapshot.build_id != first
        assert old.fetch(count).rows == ((16,),)  # the read started on the old build ends there
        assert run(snapshot, count) == [(18,)]  # the next read is on the new one
    [new_copy] = {p.parent for p in (built / "target" / ".serve").rglob("*.duckdb")}
    assert new_copy != old_copy and not old_copy.exists()  # removed once its last read ended


def test_what_is_read_with_a_build_is_taken_with_it(built: Path, snapshot: BuildSnapshot) -> None:
    """mfl serve reads the spec in the hook and keeps it with the build: a request between
    the new build and the new spec listed the old reports (and read the new build's views
    with them)."""
    first, made_by = snapshot.build_id, snapshot.built_by
    with snapshot.reading() as before:
        assert before.companion is None  # changed() without a hook keeps the last one (none)
    append_calls(built)
    seed_project(built)
    assert invoke("build", "--project-dir", str(built)).exit_code == 0
    seen: list[tuple[str, object, str | None, str | None]] = []

    def hook(built_by: str, previous: object) -> object:
        seen.append((built_by, previous, snapshot.build_id, snapshot.built_by))
        return ("spec of", built_by)

    with snapshot.reading() as old:
        assert snapshot.changed(hook) is True
        assert (old.build_id, old.companion) == (first, None)  # a held read keeps its pair
    [(new_by, previous, current, current_by)] = seen
    assert (previous, current, current_by) == (None, first, made_by)  # readers had the old
    assert new_by == snapshot.built_by != made_by
    with snapshot.reading() as taken:
        assert (taken.build_id, taken.companion) == (snapshot.build_id, ("spec of", new_by))

    def failing(built_by: str, previous: object) -> object:
        raise RuntimeError("the spec does not load")

    taken_id = snapshot.build_id
    append_calls(built)
    seed_project(built)
    with pytest.raises(RuntimeError):
        snapshot.changed(failing)
    assert snapshot.build_id == taken_id  # nothing taken
    assert snapshot.changed() is True  # and taken on the next try, with the last companion
    latest = snapshot.latest()
    assert latest is not None and latest.companion == ("spec of", new_by)


def test_a_request_reads_one_build_with_the_spec_of_that_build(built: Path) -> None:
    """ServedProject.reading pins a build and the spec read for it: a report renamed in the
    YAML and built is listed with the new build only, and a request that began on the old
    build ends with the old spec."""
    served = ServedProject.open(built, None, Limits(), lambda line: None)
    try:
        first = served.snapshot.build_id
        with served.reading() as old:
            reports = built / "reports" / "daily.yml"
            reports.write_text(
                reports.read_text(encoding="utf-8").replace("name: team_capacity", "name: teams"),
                encoding="utf-8",
            )
            seed_project(built)
            assert invoke("build", "--project-dir", str(built)).exit_code == 0
            assert served.refresh() is True
            assert old.build_id == first
            assert [r.name for r in old.spec.reports] == ["queue_daily", "team_capacity"]
            assert old.warehouse.select("SELECT count(*) FROM app.team_capacity_week", 10, 10)[1]
        build_id, read = served.current()
        assert build_id == served.snapshot.build_id != first
        assert [r.name for r in read.spec.reports] == ["queue_daily", "teams"]
        with served.reading() as new:
            assert new.build_id == build_id and new.spec is read.spec
        # a seed since (a new copy of the same build) keeps the spec: it is not read again
        append_calls(built)
        seed_project(built)
        assert served.refresh() is True
        assert served.current()[1] is read
    finally:
        served.close()


def test_nothing_built_yet_is_e804(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    opened = BuildSnapshot.open(load_project(project), None, Limits())
    try:
        assert opened.build_id is None
        with pytest.raises(MflError) as caught:
            run(opened, "SELECT 1")
        assert caught.value.code == "E804"
        seed_project(project)
        assert invoke("build", "--project-dir", str(project)).exit_code == 0
        assert opened.changed() is True
        assert run(opened, "SELECT count(*) FROM src.calls WHERE leg_seq = 1") == [(16,)]
    finally:
        opened.close()


def test_targets_that_cannot_be_served(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(
        config.read_text()
        + "  mem: {type: duckdb, path: ':memory:'}\n  lake: {type: spark, path: target/lake}\n",
        encoding="utf-8",
    )
    for target in ("mem", "lake"):
        with pytest.raises(MflError) as caught:
            BuildSnapshot.open(load_project(project), target, Limits())
        assert caught.value.code == "E807"


HOLD_FOR_READING = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_seed_waits_for_a_reader_that_lets_go(built: Path) -> None:
    # a server copying a build holds the file for reading for a moment: a seed then waits
    live = built / "target" / "warehouse.duckdb"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR_READING, str(live), "1.5"],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        append_calls(built)
        result = invoke("seed", "--project-dir", str(built))
        assert result.exit_code == 0, result.output
        holder.stdout.close()
    assert holder.returncode == 0
    con = duckdb.connect(str(live), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.calls").fetchone() == (19,)
    finally:
        con.close()


def test_limits_from_options_and_environment() -> None:
    assert Limits.from_env({}) == Limits()
    assert Limits.from_env({"MFL_SERVE_MAX_ROWS": "50", "MFL_SERVE_TIMEOUT": "2.5"}) == Limits(
        max_rows=50, timeout_s=2.5
    )
    assert Limits.from_env({"MFL_SERVE_MAX_ROWS": "50"}, max_rows=7).max_rows == 7
    for env in ({"MFL_SERVE_MAX_ROWS": "many"}, {"MFL_SERVE_TIMEOUT": "0"}):
        with pytest.raises(MflError) as caught:
            Limits.from_env(env)
        assert caught.value.code == "E800"


@pytest.mark.postgres
def test_postgres_snapshot_reads_on_read_only_connections(
    pg_project: Path,  # noqa: F811
) -> None:
    from metricflow_lite.warehouse.served import PostgresReader

    opened = BuildSnapshot.open(load_project(pg_project), "pg", Limits())
    try:
        assert opened.build_id is not None and opened.changed() is False
        assert run(opened, "SELECT count(*) FROM src.calls WHERE leg_seq = 1") == [(16,)]
        with pytest.raises(MflError) as caught:
            run(opened, "SELECT pg_sleep(5)")
        assert caught.value.code == "E805"
        with opened.reader() as reader:
            assert isinstance(reader, PostgresReader)
            with pytest.raises(MflError) as caught:
                reader.select("CREATE TABLE app.x (a int)", None, 10.0)  # past the check
            assert caught.value.code == "E801"
            with pytest.raises(MflError) as caught:
                reader.select("SELECT count(*) FROM generate_series(1, 100000000000)", 1, 0.5)
            assert caught.value.code == "E803"
    finally:
        opened.close()
