"""A private in-memory DuckDB database for the PostgreSQL endpoint's catalog (serve/pgcatalog.py):
no file, network or extension access, small, safe to query from many threads (a cursor each)."""

from __future__ import annotations

import threading
from typing import Any

from metricflow_lite.errors import MflError
from metricflow_lite.warehouse.served import select_on_cursor

_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "threads": 1,
    "memory_limit": "128MB",
}


class CatalogDatabase:
    """Created from constant DDL and rows given as parameters; then read-only in effect (the
    configuration is locked, and serve/sqlgate.py lets only SELECT through)."""

    def __init__(self, ddl: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        import duckdb

        self.connection = duckdb.connect(":memory:", config=_CONFIG)
        self.connection.execute(ddl)
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" for _ in values[0])
                self.connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
        self.connection.execute("SET lock_configuration = true")
        self.lock = threading.Lock()
        self.closed = False

    def select(
        self, sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        """(name, type name) of each column and the rows; E802 past max_rows, E803 past the
        time limit, E806 for what DuckDB refuses."""
        with self.lock:
            if self.closed:
                raise MflError("E804", "the catalog was replaced meanwhile", None, "retry")
            cursor = self.connection.cursor()
        return select_on_cursor(cursor, sql, max_rows, timeout_s)

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                self.connection.close()
