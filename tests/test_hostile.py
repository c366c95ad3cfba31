"""Issue 21: what a hostile metrics file, --where or data value can do on DuckDB and PostgreSQL.

Row SQL (a base metric's `expr` and `filter`) may call only the functions of the allowlist
(spec/expr.py ROW_FUNCTIONS); each payload below reached the engine before it and is refused now,
on every command, before any SQL runs. Labels, descriptions and data values travel as literals.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, copy_fixture, invoke, seed_project
from test_engines import postgres_dsn, spark_session  # noqa: F401 - fixtures

from metricflow_lite.compile.dialects import render
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import DERIVED_FUNCTIONS, ROW_FUNCTIONS, parse_row_sql
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import collect_spec

ROOT = Path(__file__).parent.parent
ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
TARGET_OF = {"duckdb": "dev", "postgres": "pg"}
# (id, filter text, the word the refusal names): functions that read files, other tables, the
# catalog, the environment or the network, or run code, on one of the three engines.
ROW_PAYLOADS = [
    (
        "pg-query-to-xml",
        "cast(query_to_xml('select agent_name from raw.agents', true, false, '') as text) <> ''",
        "query_to_xml",
    ),
    ("pg-read-file", "length(pg_read_file('/etc/passwd')) > 0", "pg_read_file"),
    ("pg-read-binary-file", "length(pg_read_binary_file('/etc/passwd')) > 0", "pg_read_binary"),
    ("pg-ls-dir", "pg_ls_dir('/') is not null", "pg_ls_dir"),
    ("pg-dblink", "dblink('dbname=postgres', 'select 1') is not null", "dblink"),
    ("pg-lo-import", "lo_import('/etc/passwd') > 0", "lo_import"),
    ("pg-current-setting", "current_setting('data_directory') <> ''", "current_setting"),
    ("pg-set-config", "set_config('search_path', 'raw', false) <> ''", "set_config"),
    ("pg-sleep", "pg_sleep(30) is null", "pg_sleep"),
    ("pg-regclass", "cast('pg_authid' as regclass) is not null", "the type"),
    ("pg-version", "length(version()) > 0", "version"),
    ("duckdb-read-csv", "length(cast(read_csv('/etc/passwd') as varchar)) > 0", "read_csv"),
    ("duckdb-read-text", "length(read_text('/etc/passwd')) > 0", "read_text"),
    ("duckdb-read-blob", "length(read_blob('/etc/passwd')) > 0", "read_blob"),
    ("duckdb-getenv", "length(getenv('MFL_PG_DSN')) > 0", "getenv"),
    ("duckdb-glob", "glob('/etc/*') is not null", "glob"),
    ("duckdb-current-setting", "current_setting('home_directory') <> ''", "current_setting"),
    ("spark-reflect", "reflect('java.lang.System', 'getenv', 'HOME') <> ''", "reflect"),
    ("spark-java-method", "java_method('java.lang.System', 'exit', 1) = 0", "java_method"),
    ("subquery", "(select count(*) from raw.agents) > 0", "SELECT"),
    ("in-subquery", "agent_id in (select agent_id from raw.agents)", "SELECT"),
    ("current-user", "current_user = 'mfl'", "current_user"),
]
WHERE_PAYLOADS = [
    ("pg-read-file", "queue = 'A' or pg_read_file('/etc/passwd') is not null"),
    ("query-to-xml", "queue = query_to_xml('select 1', true, false, '')"),
    ("read-text", "queue = read_text('/etc/passwd')"),
    ("subquery", "queue in (select agent_name from raw.agents)"),
    ("statement", "queue = 'A'; drop table raw.calls"),
    ("reflect", "queue = reflect('java.lang.System', 'getenv', 'HOME')"),
]
# Text that would end a string, a comment or a dollar-quoted body if it were pasted into SQL.
SQL_TEXT = (
    "x'); DROP TABLE raw.calls; -- */ DROP SCHEMA raw CASCADE; /* $$; DROP TABLE raw.calls; $$"
)
HOSTILE_QUEUE = "Q'); DROP TABLE raw.calls; --"


def targets_yaml() -> str:
    return (
        "name: tiny_center\ntimezone: Asia/Shanghai\nweek_start: monday\ntarget: dev\n"
        "targets:\n"
        "  dev: {type: duckdb, path: target/warehouse.duckdb}\n"
        "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n"
    )


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_dsn")
    return name


def hostile_project(tmp_path: Path) -> Path:
    project = copy_fixture("tiny", tmp_path)
    (project / "metricflow_lite.yml").write_text(targets_yaml(), encoding="utf-8")
    return project


def with_filter(project: Path, text: str) -> None:
    """offered_calls' filter replaced by `text` (quoted for YAML)."""
    path = project / "metrics" / "calls.yml"
    yaml_text = path.read_text(encoding="utf-8")
    assert "    filter: leg_seq = 1\n" in yaml_text
    quoted = "'" + text.replace("'", "''") + "'"
    path.write_text(yaml_text.replace("    filter: leg_seq = 1\n", f"    filter: {quoted}\n", 1))


def raw_calls_rows(project: Path, engine: str) -> int:
    """Rows of raw.calls, read back through the engine's own driver."""
    if engine == "postgres":
        import psycopg

        with psycopg.connect(os.environ["MFL_PG_DSN"]) as connection:
            row = connection.execute("select count(*) from raw.calls").fetchone()
    else:
        import duckdb

        with duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True) as con:
            row = con.execute("select count(*) from raw.calls").fetchone()
    assert row is not None
    return int(row[0])


def fixture_rows(project: Path, table: str) -> list[dict[str, str]]:
    with open(project / "seeds" / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built_once(engine: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The tiny project seeded and built on the engine (PostgreSQL: the test server), once."""
    project = hostile_project(tmp_path_factory.mktemp(f"hostile-{engine}"))
    if engine == "duckdb":
        seed_project(project)
    else:
        assert invoke("seed", "--project-dir", str(project), "--target", "pg").exit_code == 0
    result = invoke("build", "--project-dir", str(project), "--target", TARGET_OF[engine])
    assert result.exit_code == 0, result.output
    return engine, project


@pytest.fixture
def built(built_once: tuple[str, Path], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A copy of the built project (its DuckDB file too) for one test to change."""
    engine, project = built_once
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    yield engine, copy


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize(
    ("text", "word"), [p[1:] for p in ROW_PAYLOADS], ids=[p[0] for p in ROW_PAYLOADS]
)
def test_row_sql_payload_is_refused_on_every_command(
    built: tuple[str, Path], text: str, word: str
) -> None:
    """The payload is E222 at the filter on validate, query and build alike (it used to be
    checked by validate only and built with exit 0 on PostgreSQL); raw.calls is untouched."""
    engine, project = built
    rows = raw_calls_rows(project, engine)
    with_filter(project, text)
    target = TARGET_OF[engine]
    for args in (
        ("validate",),
        ("query", "--metrics", "offered_calls", "--target", target),
        ("build", "--target", target),
        ("run", "--target", target),
    ):
        result = invoke(*args, "--project-dir", str(project))
        assert result.exit_code == 1, (args, result.output)
        assert re.search(r"metrics/calls\.yml:\d+:\d+: error E222: ", result.output), result.output
        assert word.lower() in result.output.lower(), result.output
        assert "not allowed in filter of 'offered_calls'" in result.output
        assert "root:" not in result.output  # nothing of /etc/passwd
    assert raw_calls_rows(project, engine) == rows


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize(
    "where", [p[1] for p in WHERE_PAYLOADS], ids=[p[0] for p in WHERE_PAYLOADS]
)
def test_where_payload_is_refused(built: tuple[str, Path], where: str) -> None:
    engine, project = built
    result = invoke(
        "query",
        "--project-dir",
        str(project),
        "--target",
        TARGET_OF[engine],
        "--metrics",
        "offered_calls",
        "--where",
        where,
    )
    assert result.exit_code == 1, result.output
    assert re.search(r"error E22[13]: ", result.output), result.output
    assert "root:" not in result.output
    assert raw_calls_rows(project, engine) == len(fixture_rows(project, "calls"))


@pytest.mark.parametrize(
    "by",
    ["read_csv('/etc/passwd')", "queue; drop table raw.calls", 'queue"', "pg_read_file('/')"],
    ids=["read-csv", "statement", "quote", "pg-read-file"],
)
def test_by_payload_is_an_unknown_dimension(tmp_path: Path, by: str) -> None:
    """--by takes dimension names only: anything else is not a dimension (E212)."""
    project = hostile_project(tmp_path)
    result = invoke(
        "query", "--project-dir", str(project), "--metrics", "offered_calls", "--by", by
    )
    assert result.exit_code == 1, result.output
    assert f"error E212: dimension '{by}' cannot be reached" in result.output


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_sql_in_labels_descriptions_and_data_stays_text(engine: str, tmp_path: Path) -> None:
    """A label, description and data value that would close a string, a comment or a dollar
    quote build and query as plain text; every table survives."""
    project = hostile_project(tmp_path)
    metrics = project / "metrics" / "calls.yml"
    quoted = "'" + SQL_TEXT.replace("'", "''") + "'"
    text = metrics.read_text(encoding="utf-8")
    text = text.replace("    label: 呼入量\n", f"    label: {quoted}\n", 1)
    text = text.replace(
        "    description: First legs of inbound calls.\n", f"    description: {quoted}\n", 1
    )
    metrics.write_text(text, encoding="utf-8")
    calls = project / "seeds" / "calls.csv"
    hostile_row = f'L99,c99,1,"{HOSTILE_QUEUE}",a1,u9,2025-01-02 09:00:00,,,\n'
    calls.write_text(calls.read_text(encoding="utf-8") + hostile_row, encoding="utf-8")
    target = TARGET_OF[engine]
    for args in (("seed",), ("build",)):
        result = invoke(*args, "--project-dir", str(project), "--target", target)
        assert result.exit_code == 0, result.output
    listed = invoke("list", "metrics", "--project-dir", str(project))
    assert listed.exit_code == 0, listed.output
    assert SQL_TEXT in listed.output
    where = "queue = '" + HOSTILE_QUEUE.replace("'", "''") + "'"
    result = invoke(
        "query",
        "--project-dir",
        str(project),
        "--target",
        target,
        "--metrics",
        "offered_calls",
        "--where",
        where,
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["offered_calls", "1"]  # the one row added above
    assert raw_calls_rows(project, engine) == len(fixture_rows(project, "calls"))


@pytest.mark.parametrize(
    "name",
    ["calls; drop table raw.calls", 'x"y', "a--b", "放弃率"],
    ids=["statement", "quote", "comment", "chinese"],
)
def test_sql_in_a_metric_name_is_refused(tmp_path: Path, name: str) -> None:
    project = hostile_project(tmp_path)
    metrics = project / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    quoted = "'" + name.replace("'", "''") + "'"
    metrics.write_text(text.replace("  - name: offered_calls\n", f"  - name: {quoted}\n", 1))
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "error E204: " in result.output, result.output


# --- the allowlist itself ------------------------------------------------------------------

DANGEROUS = {
    "query_to_xml",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "dblink",
    "lo_import",
    "lo_export",
    "current_setting",
    "set_config",
    "pg_sleep",
    "read_csv",
    "read_csv_auto",
    "read_text",
    "read_blob",
    "read_parquet",
    "read_json",
    "getenv",
    "glob",
    "reflect",
    "java_method",
    "version",
}


def test_allowlist_holds_no_function_that_reads_outside_the_row() -> None:
    names = {a.name for a in (*ROW_FUNCTIONS, *DERIVED_FUNCTIONS)}
    assert names & DANGEROUS == set()
    assert len(names) == len(ROW_FUNCTIONS) + len(DERIVED_FUNCTIONS) - len(
        {a.name for a in ROW_FUNCTIONS} & {a.name for a in DERIVED_FUNCTIONS}
    )


def example_select(dialect: str) -> tuple[list[str], str]:
    """One SELECT of every row function's example allowed on the dialect, in the dialect."""
    from sqlglot import exp

    names = [a.name for a in ROW_FUNCTIONS if dialect in a.dialects]
    trees = [
        exp.alias_(parse_row_sql(a.example, Location("x"), a.name), a.name, quoted=True)
        for a in ROW_FUNCTIONS
        if dialect in a.dialects
    ]
    return names, render(exp.select(*trees), dialect, "allowlist examples")


def normal(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return value


def duckdb_values() -> dict[str, Any]:
    import duckdb

    names, sql = example_select("duckdb")
    row = duckdb.connect().execute(sql).fetchone()
    assert row is not None
    return dict(zip(names, (normal(v) for v in row), strict=True))


def assert_same(found: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in found.items():
        if isinstance(value, float):
            assert math.isclose(value, expected[name], rel_tol=1e-9), name
        else:
            assert value == expected[name], name


def test_every_allowed_function_runs_on_duckdb() -> None:
    # the values by hand: each example's result as DuckDB documents it
    values = duckdb_values()
    assert values["abs"] == 2.5 and values["ceil"] == 3.0 and values["floor"] == 2.0
    assert values["date_diff"] == 70.0  # 09:00:00 -> 09:01:10
    assert values["extract"] == 9.0 and values["substring"] == "bcd"
    assert values["regexp_full_match"] is True and values["round"] == 2.57


@pytest.mark.postgres
def test_every_allowed_function_runs_on_postgres(postgres_dsn: str) -> None:  # noqa: F811
    import psycopg

    names, sql = example_select("postgres")
    with psycopg.connect(postgres_dsn) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    assert_same(dict(zip(names, (normal(v) for v in row), strict=True)), duckdb_values())


@pytest.mark.spark
def test_every_allowed_function_runs_on_spark(spark_session: Any) -> None:  # noqa: F811
    names, sql = example_select("spark")
    row = spark_session.sql(sql).collect()[0]
    assert_same(dict(zip(names, (normal(v) for v in row), strict=True)), duckdb_values())


def projects() -> list[Path]:
    found = [ROOT, *(p for p in sorted(FIXTURES.iterdir()) if (p / "metricflow_lite.yml").exists())]
    return [*found, ROOT / "src" / "metricflow_lite" / "scaffold"]


@pytest.mark.parametrize("root", projects(), ids=lambda p: p.name)
def test_demo_and_fixtures_use_only_allowed_functions(root: Path) -> None:
    _, diagnostics = collect_spec(load_project(root))
    refused = [d for d in diagnostics if d.code in ("E222", "E701", "E703", "E705")]
    assert refused == []


# --- a least-privilege PostgreSQL role (docs/security.md) -----------------------------------

LEAST_PRIVILEGE = """
CREATE DATABASE metrics;
CREATE ROLE mfl_builder LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT, CREATE ON DATABASE metrics TO mfl_builder;
"""


@pytest.mark.postgres
def test_least_privilege_role_builds_and_cannot_read_server_files(
    postgres_dsn: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recipe of docs/security.md: a role with CONNECT and CREATE on its own database, no
    superuser, seeds, builds and queries; pg_read_file is refused by the server itself."""
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        for statement in LEAST_PRIVILEGE.strip().split(";\n"):
            admin.execute(statement.strip().rstrip(";"))
    builder = postgres_dsn.replace("user=mfl dbname=postgres", "user=mfl_builder dbname=metrics")
    monkeypatch.setenv("MFL_BUILDER_DSN", builder)
    project = hostile_project(tmp_path)
    yml = project / "metricflow_lite.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8").replace("dsn_env: MFL_PG_DSN", "dsn_env: MFL_BUILDER_DSN")
    )
    for args in (("seed",), ("build",)):
        result = invoke(*args, "--project-dir", str(project), "--target", "pg")
        assert result.exit_code == 0, result.output
    result = invoke(
        "query", "--project-dir", str(project), "--target", "pg", "--metrics", "offered_calls"
    )
    assert result.exit_code == 0, result.output
    first_legs = [r for r in fixture_rows(project, "calls") if r["leg_seq"] == "1"]
    # stdout alone: stderr notes that the fixture's last day is partial (incomplete range)
    assert result.stdout.split() == ["offered_calls", "-------------", str(len(first_legs))]
    with psycopg.connect(builder) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("select pg_read_file('/etc/passwd')")
