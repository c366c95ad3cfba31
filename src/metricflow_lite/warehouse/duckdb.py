"""The embedded default warehouse: one DuckDB file under target/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from metricflow_lite.errors import MflError
from metricflow_lite.project import Project, TargetConfig
from metricflow_lite.warehouse.base import QueryResult, Statement


class DuckDBWarehouse:
    """A DuckDB database file (or :memory:)."""

    dialect = "duckdb"

    def __init__(self, connection: Any, target_name: str, path: str) -> None:
        self.connection = connection
        self.target_name = target_name
        self.path = path

    @classmethod
    def open(
        cls, project: Project, target: TargetConfig, read_only: bool = False
    ) -> DuckDBWarehouse:
        raw_path = str(target.get("path", "target/warehouse.duckdb"))
        if raw_path == ":memory:":
            return cls(duckdb.connect(":memory:"), target.name, raw_path)
        path = Path(raw_path)
        if not path.is_absolute():
            path = project.root / path
        if read_only and not path.exists():
            raise MflError(
                "E012",
                f"no warehouse at {path}",
                None,
                "run 'mfl seed' and 'mfl build' (or 'mfl run') first",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            raise MflError(
                "E013",
                f"cannot open {path}: {str(err).splitlines()[0]}",
                None,
                "another program (a DuckDB shell?) may hold the file open; close it and retry",
            ) from None
        return cls(connection, target.name, str(path))

    @classmethod
    def in_memory(cls) -> DuckDBWarehouse:
        return cls(duckdb.connect(":memory:"), "memory", ":memory:")

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def fetch(self, sql: str) -> QueryResult:
        cursor = self.connection.execute(sql)
        columns = tuple(d[0] for d in cursor.description or ())
        return QueryResult(columns, tuple(tuple(row) for row in cursor.fetchall()))

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema, sorted."""
        result = self.fetch(
            "SELECT table_name FROM information_schema.tables"
            f" WHERE table_schema = {exp.Literal.string(schema).sql(self.dialect)}"
        )
        return tuple(sorted(str(row[0]) for row in result.rows))

    def apply_build(self, statements: Sequence[Statement], schemas: Sequence[str]) -> None:
        # DuckDB DDL is transactional: drop and recreate inside one transaction, so a failing
        # statement rolls back to the last good build, which analysts keep querying meanwhile.
        self.connection.execute("BEGIN TRANSACTION")
        current = "dropping the previous build"
        try:
            for schema in schemas:
                self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                self.connection.execute(f'CREATE SCHEMA "{schema}"')
            for statement in statements:
                current = statement.what
                self.connection.execute(statement.sql)
            self.connection.execute("COMMIT")
        except duckdb.Error as err:
            self.connection.execute("ROLLBACK")
            message = str(err).strip()
            raise MflError(
                "E300",
                f"build failed in {current}: {message}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None

    def close(self) -> None:
        self.connection.close()
