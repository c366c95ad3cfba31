"""One snapshot per build: what queries read is the last good build as a whole.

A seed without a build changes no number; readers keep answering from the previous build while
a build runs (DuckDB: the build writes a copy of the file and swaps it in; PostgreSQL: it builds
in staging schemas and swaps them in one short step); a build killed with kill -9 at any moment
leaves the previous build intact and readable.

Numbers from tests/fixtures/tiny/seeds/calls.csv by hand: 16 first legs (offered_calls) from
9 distinct customers (callers: u1..u9). The rows this module appends add 2 first legs and 2 new
customers (u10, u11), so a build after them answers 18 and 11.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import copy_fixture, invoke, seed_project

# the engines' fixtures, shared with tests/test_engines.py (a parameter of that name uses them)
from test_engines import postgres_dsn, spark_session  # noqa: F401

from metricflow_lite.warehouse.base import Statement
from metricflow_lite.warehouse.duckdb import DuckDBWarehouse

NEW_CALLS = (
    "L90,c90,1,A,a1,u10,2025-01-08 09:00:00,2025-01-08 09:00:10,120,\n"
    "L91,c91,1,B,a2,u11,2025-01-08 10:00:00,,,\n"
)
BEFORE = {"offered_calls": 16, "callers": 9}
AFTER = {"offered_calls": 18, "callers": 11}
MFL = [str(Path(sys.executable).parent / "mfl")]


def append_calls(project: Path) -> None:
    calls = project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text(encoding="utf-8") + NEW_CALLS, encoding="utf-8")


def totals(project: Path, target: str = "dev") -> dict[str, int]:
    """offered_calls (from an indicator table) and callers (from src rows) in one query."""
    result = invoke(
        "query",
        "--project-dir",
        str(project),
        "--target",
        target,
        "--metrics",
        "offered_calls,callers",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    return {name: int(row[name]) for name in BEFORE}


def totals_in_subprocess(project: Path) -> dict[str, int]:
    done = subprocess.run(
        [
            *MFL,
            "query",
            "--project-dir",
            str(project),
            "--metrics",
            "offered_calls,callers",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    return {name: int(row[name]) for name in BEFORE}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    result = invoke("build", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert totals(project) == BEFORE
    return project


def test_a_seed_without_a_build_changes_no_number(built: Path) -> None:
    append_calls(built)
    seed_project(built)
    # raw has the new rows, but the additive and the distinct count still agree on the old build
    con = duckdb.connect(str(built / "target" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from raw.calls").fetchone() == (19,)
        assert con.execute("select count(*) from src.calls").fetchone() == (17,)
    finally:
        con.close()
    assert totals(built) == BEFORE
    assert invoke("build", "--project-dir", str(built)).exit_code == 0
    assert totals(built) == AFTER


def build_paused(project: Path, target: str = "dev") -> tuple[threading.Thread, threading.Event]:
    """A build in a thread that stops before its first source table until released."""
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    reached, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause(statement: Statement) -> None:
        if statement.layer == "source" and not reached.is_set():
            reached.set()
            assert release.wait(120)

    def run() -> None:
        loaded = load_project(project)
        warehouse = connect(loaded, target, read_only=True)
        try:
            build_project(loaded, warehouse, on_statement=pause)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            failures.append(err)
            reached.set()
        finally:
            warehouse.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(120)
    assert not failures, failures
    return thread, release


def test_duckdb_readers_answer_from_the_previous_build_during_a_build(built: Path) -> None:
    append_calls(built)
    seed_project(built)
    thread, release = build_paused(built)
    try:
        # another process, as an analyst's `mfl query` is: not locked out, old numbers
        assert totals_in_subprocess(built) == BEFORE
    finally:
        release.set()
        thread.join(120)
    assert totals(built) == AFTER
    assert not (built / "target" / "warehouse.duckdb.next").exists()


def test_a_seed_waits_for_a_running_build(built: Path) -> None:
    # a seed during a build would be lost when the build's copy replaces the file: it is refused
    append_calls(built)
    seed_project(built)
    thread, release = build_paused(built)
    try:
        calls = built / "seeds" / "calls.csv"
        calls.write_text(calls.read_text() + "L92,c92,1,A,a1,u12,2025-01-09 09:00:00,,,\n")
        done = subprocess.run(
            [*MFL, "seed", "--project-dir", str(built)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert "E013" in done.stderr and "'mfl seed'" in done.stderr
    finally:
        release.set()
        thread.join(120)
    assert totals(built) == AFTER
    seed_project(built)  # now it may: and changes no number until the next build
    assert totals(built) == AFTER


def test_a_build_killed_with_kill_9_leaves_the_previous_build(built: Path) -> None:
    append_calls(built)
    seed_project(built)
    building = built / "target" / "warehouse.duckdb.next"
    # kill at several moments: while starting, as soon as the copy exists, and into the build
    for extra_delay in (None, 0.0, 0.02, 0.1):
        process = subprocess.Popen(
            [*MFL, "build", "--project-dir", str(built)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if extra_delay is None:
                time.sleep(0.3)
            else:
                deadline = time.monotonic() + 60
                while not building.exists() and process.poll() is None:
                    assert time.monotonic() < deadline
                    time.sleep(0.002)
                time.sleep(extra_delay)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(60)
        if process.returncode == 0:
            break  # the build finished before the kill came
        assert process.returncode == -signal.SIGKILL
        assert totals(built) == BEFORE  # intact and readable
    result = invoke("build", "--project-dir", str(built))
    assert result.exit_code == 0, result.output
    assert not building.exists()  # a killed build's copy does not stay behind
    assert totals(built) == AFTER


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def pg_project(
    tmp_path: Path,
    postgres_dsn: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The tiny project on a database of its own in the test server, seeded and built."""
    import psycopg

    name = f"snapshot_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("MFL_PG_DSN", postgres_dsn.replace("dbname=postgres", f"dbname={name}"))
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(
        config.read_text() + "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n", encoding="utf-8"
    )
    for command in ("seed", "build"):
        result = invoke(command, "--project-dir", str(project), "--target", "pg")
        assert result.exit_code == 0, result.output
    assert totals(project, "pg") == BEFORE
    return project


@pytest.mark.postgres
def test_postgres_seed_without_build_and_readers_during_a_build(pg_project: Path) -> None:
    import psycopg

    append_calls(pg_project)
    result = invoke("seed", "--project-dir", str(pg_project), "--target", "pg")
    assert result.exit_code == 0, result.output
    assert totals(pg_project, "pg") == BEFORE
    thread, release = build_paused(pg_project, "pg")
    try:
        with psycopg.connect(os.environ["MFL_PG_DSN"], autocommit=True) as reader:
            # a reader that waited for the build's locks would hit this timeout
            reader.execute("SET statement_timeout = '5s'")
            row = reader.execute("SELECT sum(offered_calls) FROM app.queue_daily_month").fetchone()
            assert row is not None and int(row[0]) == BEFORE["offered_calls"]
            row = reader.execute("SELECT count(DISTINCT customer_id) FROM src.calls").fetchone()
            assert row == (BEFORE["callers"],)
    finally:
        release.set()
        thread.join(120)
    assert totals(pg_project, "pg") == AFTER


# --- Spark ------------------------------------------------------------------------------------


@pytest.mark.spark
def test_spark_seed_without_a_build_changes_no_number(
    tmp_path: Path,
    spark_session: Any,  # noqa: F811
) -> None:
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    spark_dir = tmp_path / "spark-warehouse"
    config.write_text(
        config.read_text()
        + f"  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{spark_dir}'}}\n",
        encoding="utf-8",
    )
    for command in ("seed", "build"):
        result = invoke(command, "--project-dir", str(project), "--target", "spark")
        assert result.exit_code == 0, result.output
    assert totals(project, "spark") == BEFORE
    append_calls(project)
    result = invoke("seed", "--project-dir", str(project), "--target", "spark")
    assert result.exit_code == 0, result.output
    assert totals(project, "spark") == BEFORE
    result = invoke("build", "--project-dir", str(project), "--target", "spark")
    assert result.exit_code == 0, result.output
    assert totals(project, "spark") == AFTER


def test_duckdb_draws_no_progress_bar_of_its_own(built: Path) -> None:
    """mfl prints its own progress; DuckDB's bar (on stderr, past two seconds) is off on every
    connection to the warehouse: the one a build writes and the ones that read."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    setting = "SELECT current_setting('enable_progress_bar')"
    for read_only in (True, False):
        with connect(load_project(built), read_only=read_only) as warehouse:
            assert warehouse.fetch(setting).rows == ((False,),)
    with connect(load_project(built), read_only=False) as warehouse:
        assert isinstance(warehouse, DuckDBWarehouse)
        found: list[object] = []
        warehouse.build_in_copy(lambda session: found.extend(session.fetch(setting)))
    assert found == [(False,)]


def test_a_build_opens_the_file_it_replaced_only_when_it_is_read(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DuckDB build connects to its copy only: the file the copy replaced is opened again
    when something reads it (a lone `mfl build` never does)."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect
    from metricflow_lite.warehouse import duckdb as duck

    opened: list[str] = []
    connect_to = duck._connect

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(path).name)
        return connect_to(path, *args, **kwargs)

    monkeypatch.setattr(duck, "_connect", counting)
    with connect(load_project(built), read_only=True) as warehouse:
        assert isinstance(warehouse, DuckDBWarehouse)
        before = len(opened)
        warehouse.build_in_copy(
            lambda session: session.execute("CREATE TABLE src.marker AS SELECT 42 AS answer")
        )
        assert len(opened) == before + 1 and opened[-1] != "warehouse.duckdb"  # the copy
        assert warehouse.fetch("SELECT answer FROM src.marker").rows == ((42,),)
        assert opened[-1] == "warehouse.duckdb" and len(opened) == before + 2


def test_a_build_checkpoints_its_copy_once_at_the_end(built: Path) -> None:
    """DuckDB checkpoints a database by itself after 16 MB of log, in the middle of the
    statement that passes it: a build's copy is checkpointed once, when the build ends."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    setting = "SELECT current_setting('checkpoint_threshold')"
    with connect(load_project(built), read_only=True) as warehouse:
        assert isinstance(warehouse, DuckDBWarehouse)
        found: list[object] = []
        warehouse.build_in_copy(lambda session: found.extend(session.fetch(setting)))
        [[default]] = warehouse.fetch(setting).rows
    assert found == [("931.3 GiB",)] and default != "931.3 GiB"


def test_a_build_keeps_the_parts_its_queries_repeat_inlined(built: Path) -> None:
    """A source model's inlined CTEs, and source()'s test of later versions with them, are
    parts DuckDB's optimizer would compute once and write aside whole: a build stops it."""
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    setting = "SELECT current_setting('disabled_optimizers')"
    with connect(load_project(built), read_only=True) as warehouse:
        assert isinstance(warehouse, DuckDBWarehouse)
        found: list[tuple[object, ...]] = []
        warehouse.build_in_copy(lambda session: found.extend(session.fetch(setting)))
        [[default]] = warehouse.fetch(setting).rows
    assert found == [("common_subplan",)] and "common_subplan" not in str(default)
