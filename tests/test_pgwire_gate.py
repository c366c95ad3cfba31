"""serve/sqlgate.py: what a PostgreSQL client may run, and the SQL run for it (no server)."""

from __future__ import annotations

import pytest
from sqlglot import exp

from metricflow_lite.errors import MflError
from metricflow_lite.serve.pgerrors import sqlstate_of
from metricflow_lite.serve.sqlgate import (
    Kind,
    Session,
    Target,
    bind_parameters,
    classify,
    gate,
    parameter_literal,
    split_statements,
)

SESSION = Session(user="analyst", database="mfl")
KNOWN = {("app", "queue_daily_day"), ("src", "calls"), ("ind", "calls_day")}


def gated(sql: str) -> tuple[Target, str]:
    statement = classify(sql)
    assert statement.tree is not None
    result = gate(statement.tree, SESSION, lambda s, n: (s, n) in KNOWN, "duckdb")
    return result.target, result.sql


def refusal(sql: str) -> MflError:
    with pytest.raises(MflError) as caught:
        for text in split_statements(sql):
            statement = classify(text)
            if statement.tree is not None:
                gate(statement.tree, SESSION, lambda s, n: (s, n) in KNOWN, "duckdb")
    return caught.value


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
        ("SELECT current_setting('data_directory')", "current_setting"),
        ("SELECT getenv('HOME')", "getenv"),
        ("SELECT * FROM app.queue_daily_day FOR UPDATE", "lock"),
        ("SELECT * INTO app.copy FROM src.calls", "into"),
        ("WITH x AS (SELECT 1) INSERT INTO src.calls SELECT * FROM x", "insert"),
        ("COPY src.calls TO '/tmp/x'", "COPY"),
        ("ATTACH 'x.duckdb' AS y", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("EXPLAIN SELECT 1", "EXPLAIN"),
        ("CREATE TABLE app.x (a int)", "CREATE"),
        ("SELECT 1; DROP TABLE src.calls", "DROP"),
        ("SELECT CAST(oid AS regclass) FROM app.queue_daily_day", "regclass"),
    ],
)
def test_refused_with_the_reason(sql: str, why: str) -> None:
    err = refusal(sql)
    assert err.code == "E820" and sqlstate_of(err) == "42501"
    assert why.lower() in err.message.lower()


def test_unknown_relations_and_mixed_queries() -> None:
    assert refusal("SELECT * FROM glob('*')").code == "E821"  # not even PostgreSQL syntax
    assert sqlstate_of(refusal("SELECT * FROM app.nope")) == "42P01"
    assert sqlstate_of(refusal("SELECT * FROM raw.calls")) == "42P01"
    assert sqlstate_of(refusal("SELECT * FROM other.app.queue_daily_day")) == "42P01"
    assert sqlstate_of(refusal("SELECT * FROM pg_catalog.pg_shadow")) == "42P01"
    mixed = refusal("SELECT * FROM app.queue_daily_day, pg_catalog.pg_class")
    assert mixed.code == "E823" and sqlstate_of(mixed) == "0A000"


def test_reads_are_rewritten_for_the_warehouse() -> None:
    target, sql = gated(
        "SELECT Queue, count(*) FROM queue_daily_day WHERE queue LIKE 'V\\_%' GROUP BY 1"
    )
    assert target is Target.WAREHOUSE
    # unquoted names fold to lower case, the search path qualifies, LIKE keeps its escape
    assert sql == (
        'SELECT queue, COUNT(*) AS "count" FROM app.queue_daily_day'
        " WHERE queue LIKE 'V\\_%' ESCAPE '\\' GROUP BY 1"
    )
    target, sql = gated("SELECT version(), current_user, current_schema()")
    assert target is Target.CATALOG
    assert "PostgreSQL 15" in sql and "'analyst'" in sql and "'app'" in sql


def test_catalog_queries_are_rewritten_onto_the_private_catalog() -> None:
    target, sql = gated(
        "SELECT c.oid::pg_catalog.regclass, pg_catalog.format_type(a.atttypid, a.atttypmod)"
        " FROM pg_catalog.pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relname OPERATOR(pg_catalog.~) '^(x)$' COLLATE pg_catalog.default"
        " AND c.oid = 'app.queue_daily_day'::regclass"
    )
    assert target is Target.CATALOG
    assert "mfl_pg.pg_class" in sql and "mfl_pg.pg_attribute" in sql
    assert "MFL_REGCLASS(c.oid)" in sql and "MFL_FORMAT_TYPE(" in sql
    assert "REGEXP_MATCHES(c.relname, '^(x)$')" in sql and "COLLATE" not in sql
    assert "MFL_CLASS_OID('app.queue_daily_day')" in sql


def test_session_commands_are_answered_not_run() -> None:
    assert classify("SET search_path TO app, ind").kind is Kind.SET
    assert classify("SET search_path TO app, ind").value == "app, ind"
    assert classify("SET extra_float_digits = 3").name == "extra_float_digits"
    assert classify("SHOW transaction isolation level").name == "transaction_isolation"
    assert classify("BEGIN READ ONLY").kind is Kind.BEGIN
    assert classify("SAVEPOINT a").kind is Kind.SAVEPOINT
    assert classify("ROLLBACK TO SAVEPOINT a").kind is Kind.ROLLBACK_TO
    assert split_statements("SELECT ';'; SELECT 2;") == ["SELECT ';'", "SELECT 2"]


def test_parameters_become_typed_literals() -> None:
    statement = classify("SELECT * FROM src.calls WHERE queue = $1 AND leg_seq > $2")
    assert statement.tree is not None
    values = [parameter_literal("x'); DROP TABLE y; --", 25), parameter_literal("1", 23)]
    bound = bind_parameters(statement.tree, values)
    assert bound.sql(dialect="duckdb") == (
        "SELECT * FROM src.calls WHERE queue = 'x''); DROP TABLE y; --' AND leg_seq > 1"
    )
    assert isinstance(parameter_literal(None, 23), exp.Null)
    with pytest.raises(MflError):
        parameter_literal("1; DROP", 23)


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("SELECT now()", ["current_timestamp"]),
        ("SELECT current_timestamp, current_date", ["current_timestamp", "current_date"]),
        ("SELECT current_timestamp(3), localtimestamp", ["current_timestamp", "localtimestamp"]),
        ("SELECT current_date, count(*) FROM src.calls", ["current_date", "count"]),
        ("SELECT current_date - 1 AS yesterday FROM src.calls", ["yesterday"]),
    ],
)
def test_the_time_keywords_run_on_duckdb_under_their_own_names(sql: str, names: list[str]) -> None:
    """A time keyword's column is named after it, as PostgreSQL names it, and DuckDB refused
    `CURRENT_DATE AS "current_date"` (its binder reads the alias as a column defined later):
    `SELECT now()`, which clients send to check a connection, failed with a Binder Error."""
    import duckdb

    _, sql_run = gated(sql)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA src")
    con.execute("CREATE TABLE src.calls AS SELECT 1 AS leg_id")
    cursor = con.execute(sql_run)
    assert [d[0] for d in cursor.description] == names, sql_run
    assert len(cursor.fetchall()) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1" + " + 1" * 20_000,
        "SELECT " + "(" * 5_000 + "1" + ")" * 5_000,
        "SELECT * FROM src.calls WHERE " + " OR ".join(f"leg_id = {i}" for i in range(8_000)),
    ],
)
def test_a_statement_too_deep_to_check_is_54001_not_an_internal_error(sql: str) -> None:
    """Within the length limit, but deeper than the checks recurse: it was E899 (XX000,
    "internal error") with a RecursionError in the log."""
    err = refusal(sql)
    assert err.code == "E830", err
    assert sqlstate_of(err) == "54001"
