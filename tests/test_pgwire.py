"""The PostgreSQL endpoint (serve/pgwire.py): a real endpoint on a free port over the tiny
project, reached by the real psql, psycopg and SQLAlchemy's postgres dialect."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import yaml
from conftest import copy_fixture, invoke, seed_project

from metricflow_lite.serve.limits import Limits
from metricflow_lite.serve.pgwire import PgEndpoint, start_pg_endpoint
from metricflow_lite.serve.snapshot import BuildSnapshot
from metricflow_lite.spec.project import load_project

TOKEN = "s3cret-token-for-tests"
MAX_ROWS = 50


class Served:
    def __init__(self, project: Path, endpoint: PgEndpoint, log: list[str]) -> None:
        self.project = project
        self.endpoint = endpoint
        self.log = log

    def dsn(self, password: str = TOKEN) -> str:
        return (
            f"host=127.0.0.1 port={self.endpoint.port} user=analyst password={password} dbname=mfl"
        )

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(), autocommit=True, **kwargs)

    def duckdb(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.project / "target" / "warehouse.duckdb"), read_only=True)
        try:
            return [tuple(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    project = copy_fixture("tiny", tmp_path_factory.mktemp("pgwire"))
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    limits = Limits(max_rows=MAX_ROWS, timeout_s=1.0)
    snapshot = BuildSnapshot.open(load_project(project), None, limits)
    log: list[str] = []
    endpoint = start_pg_endpoint(snapshot, "127.0.0.1", 0, TOKEN, limits, log.append)
    yield Served(project, endpoint, log)
    endpoint.close()
    snapshot.close()


def labels(project: Path) -> dict[str, str]:
    spec = yaml.safe_load((project / "metrics" / "calls.yml").read_text(encoding="utf-8"))
    return {m["name"]: m["label"] for m in spec["metrics"] if "label" in m}


def plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        tuple(int(v) if isinstance(v, Decimal) and v == v.to_integral() else v for v in r)
        for r in rows
    ]


# --- psql ---------------------------------------------------------------------------------------

needs_psql = pytest.mark.skipif(
    shutil.which("psql") is None and not os.environ.get("MFL_REQUIRE_ENGINES"),
    reason="psql (Debian postgresql-client) is not installed",
)


def psql(served: Served, command: str, password: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
    args = ["psql", "-X", "-h", "127.0.0.1", "-p", str(served.endpoint.port), "-U", "analyst"]
    return subprocess.run(
        [*args, "-d", "mfl", "-c", command], capture_output=True, text=True, env=env, timeout=60
    )


@needs_psql
def test_psql_lists_schemas_tables_and_the_metric_labels(served: Served) -> None:
    schemas = psql(served, r"\dn")
    assert schemas.returncode == 0, schemas.stderr
    assert {"app", "ind", "src"} <= {
        line.split("|")[0].strip() for line in schemas.stdout.splitlines()
    }
    tables = psql(served, r"\dt app.*")
    assert tables.returncode == 0, tables.stderr
    expected = [
        r[0]
        for r in served.duckdb(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' ORDER BY 1"
        )
    ]
    listed = [line.split("|")[1].strip() for line in tables.stdout.splitlines() if " app " in line]
    assert listed == expected
    described = psql(served, r"\d+ app.team_capacity_week")
    assert described.returncode == 0, described.stderr
    label = labels(served.project)
    rows = {line.split("|")[0].strip(): line for line in described.stdout.splitlines()}
    assert label["staffed_hours"] in rows["staffed_hours"]
    assert label["cph"] in rows["cph"]
    assert "double precision" in rows["cph"] and "date" in rows["week"]


@needs_psql
def test_psql_runs_a_select_with_the_simple_protocol(served: Served) -> None:
    done = psql(served, "SELECT count(*) AS n FROM src.calls; SELECT 1 + 1 AS two")
    assert done.returncode == 0, done.stderr
    calls = served.duckdb("SELECT count(*) FROM src.calls")[0][0]
    assert f"\n {calls:>2}\n" in done.stdout.replace(" " * 3, " ") or f" {calls}\n" in done.stdout
    assert " 2\n" in done.stdout


@needs_psql
def test_psql_with_a_wrong_password_is_refused(served: Served) -> None:
    done = psql(served, "SELECT 1", password="wrong-password")
    assert done.returncode != 0
    assert 'password authentication failed for user "analyst"' in done.stderr
    assert any("wrong password" in line for line in served.log)
    assert not any("wrong-password" in line or TOKEN in line for line in served.log)


# --- psycopg ------------------------------------------------------------------------------------


def test_psycopg_results_equal_the_same_sql_on_duckdb(served: Served) -> None:
    cases = [
        (
            "SELECT queue, week, offered_calls, abandonment_rate FROM app.queue_daily_week"
            " WHERE offered_calls > %s ORDER BY queue, week",
            [0],
            "SELECT queue, week, offered_calls, abandonment_rate FROM app.queue_daily_week"
            " WHERE offered_calls > 0 ORDER BY queue, week",
        ),
        (
            "SELECT queue, count(*) AS legs, sum(handle_seconds) AS s FROM src.calls"
            " WHERE queue = %s GROUP BY queue",
            ["A"],
            "SELECT queue, count(*), sum(handle_seconds) FROM src.calls WHERE queue = 'A'"
            " GROUP BY queue",
        ),
        (
            "WITH t AS (SELECT team, staffed_hours FROM app.team_capacity_week)"
            " SELECT team, round(sum(staffed_hours)::numeric, 3) FROM t GROUP BY team ORDER BY 1",
            [],
            "SELECT team, round(sum(staffed_hours), 3) FROM app.team_capacity_week"
            " GROUP BY team ORDER BY 1",
        ),
        (  # as Superset and Metabase write them: quoted names, date_trunc, LIMIT
            'SELECT CAST(DATE_TRUNC(\'month\', "week") AS date) AS "week",'
            ' SUM("offered_calls") AS "SUM(offered_calls)" FROM "app"."queue_daily_week"'
            " GROUP BY CAST(DATE_TRUNC('month', \"week\") AS date) ORDER BY 1 LIMIT 10000",
            [],
            "SELECT CAST(date_trunc('month', week) AS DATE), sum(offered_calls)"
            " FROM app.queue_daily_week GROUP BY 1 ORDER BY 1",
        ),
    ]
    with served.connect() as conn:
        for sql, params, by_hand in cases:
            got = conn.execute(sql, params).fetchall()
            assert plain([tuple(r) for r in got]) == plain(served.duckdb(by_hand)), sql


def test_psycopg_server_side_types_and_chinese_text(served: Served) -> None:
    with served.connect() as conn:
        cur = conn.execute(
            "SELECT 42::int AS i, 9000000000::bigint AS b, 2.5::float8 AS d,"
            " DATE '2024-03-01' AS day, TIMESTAMP '2024-03-01 08:30:05' AS ts, 'abc' AS t,"
            " NULL AS n, %s::text AS zh, %s::int + 1 AS p, %s::date AS pd",
            ["华东区 接通率", 41, date(2024, 1, 2)],
        )
        row = cur.fetchone()
        oids = [d.type_code for d in cur.description]
    assert row == (
        42,
        9000000000,
        2.5,
        date(2024, 3, 1),
        datetime(2024, 3, 1, 8, 30, 5),
        "abc",
        None,
        "华东区 接通率",
        42,
        date(2024, 1, 2),
    )
    assert oids[:6] == [23, 20, 701, 1082, 1114, 25]


def test_the_simple_and_the_extended_protocol_agree(served: Served) -> None:
    sql = "SELECT team, handled_legs FROM app.team_capacity_week ORDER BY team, week"
    with served.connect() as conn:
        extended = conn.execute(sql, prepare=True).fetchall()
        simple = conn.execute(sql + "; SELECT 1").fetchall()  # two statements: simple protocol
        cur = conn.cursor()
        cur.execute(sql, binary=True)
        binary = cur.fetchall()
    assert extended == binary
    assert plain([tuple(r) for r in extended]) == plain(served.duckdb(sql))
    assert simple == extended  # the first statement's rows


REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("SELECT current_setting('search_path')", "current_setting"),
    ("SELECT getenv('HOME')", "getenv"),
    ("COPY src.calls TO '/tmp/x.csv'", "COPY"),
    ("INSERT INTO src.calls (leg_id) VALUES ('x')", "INSERT"),
    ("CREATE TABLE app.x AS SELECT 1", "CREATE"),
    ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH"),
    ("SELECT * INTO app.y FROM src.calls", "INTO"),
    ("SELECT 1; DROP TABLE src.calls", "DROP"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_refused_statements_are_42501_and_logged(served: Served, sql: str, reason: str) -> None:
    with served.connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
            conn.execute(sql)
        assert reason.lower() in str(caught.value).lower()
        assert conn.execute("SELECT count(*) FROM src.calls").fetchone() is not None
    assert any(reason.lower() in line.lower() and "E820" in line for line in served.log)


def test_a_ddl_after_a_select_refuses_the_whole_text(served: Served) -> None:
    with served.connect() as conn:
        result = conn.pgconn.exec_(b"SELECT 1 AS one; CREATE TABLE app.z (a int)")
        assert result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"42501"
        assert result.ntuples == 0


def test_unknown_relation_is_42p01(served: Served) -> None:
    with served.connect() as conn, pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute("SELECT * FROM app.no_such_report")
    with served.connect() as conn, pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute("SELECT * FROM raw.calls")  # seeds are not served


def test_row_limit_and_time_limit(served: Served) -> None:
    with served.connect() as conn:
        assert (
            len(conn.execute("SELECT * FROM src.calls LIMIT %s", [MAX_ROWS]).fetchall()) <= MAX_ROWS
        )
        with pytest.raises(psycopg.errors.ProgramLimitExceeded):
            conn.execute("SELECT a.leg_id FROM src.calls AS a, src.calls AS b")  # 17 x 17 rows
        slow = (
            "SELECT count(*) FROM src.calls a, src.calls b, src.calls c, src.calls d,"
            " src.calls e, src.calls f, src.calls g, src.calls h"
            " WHERE a.handle_seconds + b.handle_seconds + c.handle_seconds + d.handle_seconds"
            " + e.handle_seconds + f.handle_seconds + g.handle_seconds > h.handle_seconds * 3"
        )
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(slow)
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_sqlalchemy_dialect_catalog_queries(served: Served) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    port = served.endpoint.port
    engine = sqlalchemy.create_engine(f"postgresql+psycopg://analyst:{TOKEN}@127.0.0.1:{port}/mfl")
    try:
        inspector = sqlalchemy.inspect(engine)
        assert {"app", "ind", "src"} <= set(inspector.get_schema_names())
        tables = served.duckdb(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'src' ORDER BY 1"
        )
        assert inspector.get_table_names(schema="src") == [t[0] for t in tables]
        assert inspector.has_table("team_capacity_week", schema="app")
        assert not inspector.has_table("nope", schema="app")
        columns = {c["name"]: c for c in inspector.get_columns("team_capacity_week", schema="app")}
        assert list(columns) == [
            "week",
            "team",
            "handled_legs",
            "staffed_hours",
            "cph",
            "is_complete",
        ]
        assert columns["cph"]["comment"].startswith(labels(served.project)["cph"])
        assert str(columns["week"]["type"]) == "DATE"
        assert (
            inspector.get_pk_constraint("team_capacity_week", schema="app")["constrained_columns"]
            == []
        )
        assert inspector.get_indexes("team_capacity_week", schema="app") == []
    finally:
        engine.dispose()


def test_information_schema_and_pg_catalog_queries(served: Served) -> None:
    with served.connect() as conn:
        cols = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            ["src", "shifts"],
        ).fetchall()
        described = conn.execute(
            "SELECT a.attname, pg_catalog.col_description(a.attrelid, a.attnum)"
            " FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'app.team_capacity_week'::regclass"
            " AND a.attnum > 0 ORDER BY a.attnum"
        ).fetchall()
        assert conn.execute("SELECT version()").fetchone()[0].startswith("PostgreSQL 15")
        conn.execute("SET search_path TO ind")
        assert conn.execute("SHOW search_path").fetchone() == ("ind",)
        assert (
            conn.execute("SELECT count(*) FROM shifts_day").fetchone()[0]
            == served.duckdb("SELECT count(*) FROM ind.shifts_day")[0][0]
        )
    assert cols == [("agent_id", "text"), ("shift_date", "date"), ("staffed_seconds", "integer")]
    assert dict(described)["staffed_hours"].startswith(labels(served.project)["staffed_hours"])


def test_catalog_queries_shaped_as_jdbc_and_metabase_send_them(served: Served) -> None:
    with served.connect() as conn:
        tables = conn.execute(
            "SELECT n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, d.description AS REMARKS"
            " FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c"
            " LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0"
            " AND d.classoid = 'pg_class'::regclass)"
            " WHERE c.relnamespace = n.oid AND n.nspname LIKE 'app' AND c.relname LIKE 'team%'"
            " AND c.relkind IN ('r', 'p') ORDER BY TABLE_SCHEM, TABLE_NAME"
        )
        assert [d.name for d in tables.description] == ["table_schem", "table_name", "remarks"]
        rows = tables.fetchall()
        columns = conn.execute(
            "SELECT * FROM (SELECT n.nspname, c.relname, a.attname, dsc.description,"
            " row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum"
            " FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid"
            " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
            " LEFT JOIN pg_catalog.pg_description dsc ON c.oid = dsc.objoid"
            " AND a.attnum = dsc.objsubid WHERE n.nspname LIKE 'app'"
            " AND c.relname LIKE 'team\\_capacity\\_week') c ORDER BY nspname, c.relname, attnum"
        ).fetchall()
        schemas = conn.execute(
            "SELECT nspname AS TABLE_SCHEM FROM pg_catalog.pg_namespace WHERE nspname <> 'pg_toast'"
            " AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1])"
            " ORDER BY TABLE_SCHEM"
        ).fetchall()
        privileges = conn.execute(
            "SELECT t.schemaname AS schema, t.objectname AS table,"
            " pg_catalog.has_table_privilege(current_user, t.objectname, 'select') AS select,"
            " pg_catalog.has_table_privilege(current_user, t.objectname, 'insert') AS insert"
            " FROM (SELECT schemaname, tablename AS objectname FROM pg_catalog.pg_tables UNION"
            " SELECT schemaname, viewname AS objectname FROM pg_catalog.pg_views) t"
            " WHERE t.schemaname = 'ind' ORDER BY 2"
        ).fetchall()
    label = labels(served.project)
    assert rows == [
        ("app", "team_capacity_week", "班组产能 (week)"),
        ("app", "team_capacity_week_total", "班组产能 (week, 合计)"),
    ]
    assert [c[2] for c in columns][:3] == ["week", "team", "handled_legs"]
    assert columns[2][3].startswith(label["handled_legs"])
    assert {"app", "ind", "src"} <= {s[0] for s in schemas}
    ind = served.duckdb(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ind' ORDER BY 1"
    )
    assert privileges == [("ind", t[0], True, False) for t in ind]


def test_mfl_serve_starts_the_endpoint(tmp_path: Path) -> None:
    from serve_server import TOKEN as SERVE_TOKEN
    from serve_server import free_port, running_server

    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    pg_port = free_port()
    with running_server(project, "--pg-port", str(pg_port)) as server:
        dsn = f"host=127.0.0.1 port={pg_port} user=bi password={SERVE_TOKEN} dbname=mfl"
        with psycopg.connect(dsn, autocommit=True) as conn:
            got = conn.execute("SELECT count(*) FROM src.calls").fetchone()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn.replace(SERVE_TOKEN, "not-the-token"))
        log = server.log()
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        assert got == con.execute("SELECT count(*) FROM src.calls").fetchone()
    finally:
        con.close()
    assert f"PostgreSQL on 127.0.0.1:{pg_port}" in log
    assert "wrong password" in log and "not-the-token" not in log and SERVE_TOKEN not in log


# --- reliability --------------------------------------------------------------------------------


def test_garbage_and_a_client_gone_mid_result_leave_the_server_serving(served: Served) -> None:
    for junk in (b"\x00\x00\x00\x08\x00\x00\x00\x00", b"GET / HTTP/1.1\r\n\r\n", b"\xff" * 64):
        with socket.create_connection(("127.0.0.1", served.endpoint.port), timeout=10) as raw:
            raw.sendall(junk)
            raw.shutdown(socket.SHUT_WR)
            while raw.recv(4096):
                pass
    bad = served.connect()  # a bad message after login: this connection only
    with socket.socket(fileno=os.dup(bad.fileno())) as sock:
        sock.sendall(b"Z\x00\x00\x00\x04")
    with pytest.raises(psycopg.OperationalError):
        bad.execute("SELECT 1")
    bad.close()
    big = served.connect()
    big.pgconn.send_query(b"SELECT * FROM src.calls AS a, src.calls AS b LIMIT 40")
    with socket.socket(fileno=os.dup(big.fileno())) as sock:
        sock.shutdown(socket.SHUT_RDWR)  # gone before reading the rows
    try:
        big.close()
    except psycopg.Error:
        pass
    with served.connect() as conn:
        assert (
            conn.execute("SELECT count(*) FROM src.calls").fetchone()[0]
            == served.duckdb("SELECT count(*) FROM src.calls")[0][0]
        )


def test_concurrent_connections(served: Served) -> None:
    expected = plain(served.duckdb("SELECT queue, count(*) FROM src.calls GROUP BY 1 ORDER BY 1"))
    failures: list[BaseException] = []

    def client() -> None:
        try:
            with served.connect() as conn:
                for _ in range(5):
                    got = conn.execute(
                        "SELECT queue, count(*) FROM src.calls GROUP BY 1 ORDER BY 1"
                    ).fetchall()
                    assert plain([tuple(r) for r in got]) == expected
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures


def test_a_new_build_is_listed_and_read_on_an_open_connection(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    limits = Limits(max_rows=MAX_ROWS, timeout_s=10.0)
    snapshot = BuildSnapshot.open(load_project(project), None, limits)
    endpoint = start_pg_endpoint(snapshot, "127.0.0.1", 0, TOKEN, limits, None)
    listing = (
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
        " ON n.oid = c.relnamespace WHERE n.nspname = 'app' AND c.relname LIKE 'queue_weekly%'"
    )
    try:
        dsn = f"host=127.0.0.1 port={endpoint.port} user=bi password={TOKEN} dbname=mfl"
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute(listing).fetchall() == []
            reports = project / "reports" / "daily.yml"
            reports.write_text(
                reports.read_text(encoding="utf-8")
                + "  - name: queue_weekly\n    label: 队列周报\n    by: [queue]\n"
                "    grains: [week]\n    metrics: [offered_calls]\n",
                encoding="utf-8",
            )
            assert invoke("build", "--project-dir", str(project)).exit_code == 0
            assert snapshot.changed()  # what mfl serve's watcher does after each build
            listed = sorted(r[0] for r in conn.execute(listing).fetchall())
            assert listed == ["queue_weekly_week", "queue_weekly_week_total"]
            got = conn.execute(
                "SELECT week, queue, offered_calls FROM app.queue_weekly_week ORDER BY 1, 2"
            ).fetchall()
        con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
        try:
            expected = con.execute(
                "SELECT week, queue, offered_calls FROM app.queue_daily_week ORDER BY 1, 2"
            ).fetchall()
        finally:
            con.close()
        assert plain([tuple(r) for r in got]) == plain([tuple(r) for r in expected])
    finally:
        endpoint.close()
        snapshot.close()
