"""A throw-away in-memory DuckDB holding a few given rows (metric unit tests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.errors import SqlglotError

from metricflow_lite.compile.names import SRC
from metricflow_lite.warehouse.base import QueryResult


class ScratchError(Exception):
    """DuckDB refused a table, a row or a query; the message is DuckDB's first line."""


class ScratchDatabase:
    """Tables created from rows, queried once, gone on close()."""

    def __init__(self, schemas: Sequence[str] = (SRC,)) -> None:
        self.connection = duckdb.connect(":memory:")
        for schema in schemas:
            self.connection.execute(f"CREATE SCHEMA {exp.to_identifier(schema).sql('duckdb')}")

    def create_table(
        self,
        schema: str,
        name: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """CREATE TABLE schema.name (columns) and insert the rows (values cast to the types)."""
        table = exp.table_(name, db=schema, quoted=True)
        try:
            definitions = [
                exp.ColumnDef(
                    this=exp.to_identifier(c, quoted=True),
                    kind=exp.DataType.build(t, dialect="duckdb"),
                )
                for c, t in columns
            ]
            create = exp.Create(this=exp.Schema(this=table, expressions=definitions), kind="TABLE")
            self.connection.execute(create.sql(dialect="duckdb"))
            if rows:
                marks = ", ".join("?" for _ in columns)
                self.connection.executemany(
                    f"INSERT INTO {table.sql(dialect='duckdb')} VALUES ({marks})",
                    [list(row) for row in rows],
                )
        except (duckdb.Error, SqlglotError, ValueError) as err:
            raise ScratchError(str(err).strip().splitlines()[0]) from None

    def fetch(self, sql: str) -> QueryResult:
        """Run one query and return all its rows."""
        try:
            cursor = self.connection.execute(sql)
            columns = tuple(d[0] for d in cursor.description or ())
            return QueryResult(columns, tuple(tuple(r) for r in cursor.fetchall()))
        except duckdb.Error as err:
            raise ScratchError(str(err).strip().splitlines()[0]) from None

    def close(self) -> None:
        self.connection.close()
