"""A PostgreSQL warehouse (psycopg 3): the DSN comes from an environment variable, never a file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from metricflow_lite.errors import MflError
from metricflow_lite.project import Project, TargetConfig
from metricflow_lite.warehouse.base import LayerClock, QueryResult, Statement
from metricflow_lite.warehouse.seedfile import LoadOutcome, SeedFile

DEFAULT_DSN_ENV = "MFL_PG_DSN"
LOADS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._loads (load_id bigint, file text, checksum text,"
    " rows bigint, rejected bigint, loaded_at timestamp DEFAULT (now() AT TIME ZONE 'UTC'))"
)
REJECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._rejects"
    " (load_id bigint, file text, line bigint, raw_text text, reason text)"
)


def first_line(err: BaseException) -> str:
    """The first line of a driver error, without the DSN or anything after it."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def plain_number(value: Any) -> Any:
    """SUM over bigint is numeric on PostgreSQL: 8 calls come back as Decimal('8'), made int."""
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
    return value


class PostgresWarehouse:
    """One connection to a PostgreSQL database; autocommit except inside apply_build."""

    dialect = "postgres"

    def __init__(self, connection: Any, target_name: str) -> None:
        self.connection = connection
        self.target_name = target_name

    @classmethod
    def open(cls, project: Project, target: TargetConfig) -> PostgresWarehouse:
        try:
            import psycopg
        except ImportError:
            raise MflError(
                "E014",
                f"target '{target.name}' needs psycopg, which is not installed",
                target.loc,
                "pip install 'metricflow-lite[postgres]'",
            ) from None
        env = str(target.get("dsn_env", DEFAULT_DSN_ENV))
        dsn = os.environ.get(env)
        if not dsn:
            raise MflError(
                "E015",
                f"target '{target.name}': environment variable {env} is not set",
                target.loc,
                f"export {env}='host=... dbname=... user=...' (the DSN stays out of files)",
            )
        try:
            connection = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as err:
            # The message may echo host and user but never the password; keep one line.
            raise MflError(
                "E016",
                f"target '{target.name}': cannot connect to PostgreSQL: {first_line(err)}",
                target.loc,
                f"check that the server is running and that ${env} is right",
            ) from None
        return cls(connection, target.name)

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def fetch(self, sql: str) -> QueryResult:
        cursor = self.connection.execute(sql)
        columns = tuple(d.name for d in cursor.description or ())
        rows = tuple(tuple(plain_number(v) for v in row) for row in cursor.fetchall())
        return QueryResult(columns, rows)

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema, sorted."""
        result = self.fetch(
            "SELECT table_name FROM information_schema.tables"
            f" WHERE table_schema = {exp.Literal.string(schema).sql(self.dialect)}"
        )
        return tuple(sorted(str(row[0]) for row in result.rows))

    def apply_build(
        self, statements: Sequence[Statement], schemas: Sequence[str]
    ) -> tuple[tuple[str, float], ...]:
        import psycopg

        # PostgreSQL DDL is transactional: readers see the old build until COMMIT, and any
        # failure rolls back to it.
        current = "dropping the previous build"
        clock = LayerClock()
        try:
            with self.connection.transaction():
                for schema in schemas:
                    self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    self.connection.execute(f'CREATE SCHEMA "{schema}"')
                clock.lap("drop")
                for statement in statements:
                    current = statement.what
                    self.connection.execute(statement.sql)
                    clock.lap(statement.layer or "other")
            clock.lap("commit")
        except psycopg.Error as err:
            raise MflError(
                "E300",
                f"build failed in {current}: {first_line(err)}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None
        return clock.laps()

    def load_seed(self, seed: SeedFile) -> LoadOutcome:
        """COPY a seed's rows into raw.<table> and its rejects into raw._rejects, all or nothing."""
        from psycopg import sql

        table = sql.Identifier("raw", seed.table)
        # Text columns collate "C": ordering and comparisons are byte-wise, as on DuckDB and
        # Spark, whatever the database's own locale is; views inherit it from these columns.
        with self.connection.transaction():
            self.connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
            self.connection.execute(LOADS_DDL)
            self.connection.execute(REJECTS_DDL)
            self.connection.execute("LOCK TABLE raw._loads IN EXCLUSIVE MODE")
            seen = self.connection.execute(
                "SELECT 1 FROM raw._loads WHERE file = %s AND checksum = %s",
                (seed.file, seed.checksum),
            ).fetchone()
            if seen:
                return LoadOutcome(seed.table, seed.file, 0, 0, skipped=True)
            row = self.connection.execute("SELECT max(load_id) FROM raw._loads").fetchone()
            load_id = int(row[0] or 0) + 1 if row else 1
            self.connection.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (_load_id bigint, _file text, _line bigint)"
                ).format(table)
            )
            for column in seed.columns:
                self.connection.execute(
                    sql.SQL('ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} text COLLATE "C"').format(
                        table, sql.Identifier(column)
                    )
                )
            names = [sql.Identifier(c) for c in (*seed.columns, "_load_id", "_file", "_line")]
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(names))
            with self.connection.cursor().copy(copy) as stream:
                for line, values in seed.rows:
                    stream.write_row((*values, load_id, seed.file, line))
            with self.connection.cursor().copy(
                "COPY raw._rejects (load_id, file, line, raw_text, reason) FROM STDIN"
            ) as stream:
                for reject in seed.rejects:
                    stream.write_row(
                        (load_id, seed.file, reject.line, reject.raw_text, reject.reason)
                    )
            self.connection.execute(
                "INSERT INTO raw._loads (load_id, file, checksum, rows, rejected)"
                " VALUES (%s, %s, %s, %s, %s)",
                (load_id, seed.file, seed.checksum, len(seed.rows), len(seed.rejects)),
            )
        return LoadOutcome(seed.table, seed.file, len(seed.rows), len(seed.rejects), False)

    def close(self) -> None:
        self.connection.close()
