"""A cached query's rows from a DuckDB warehouse file, with nothing but the driver imported
(the CLI's fast path, jobs/fastpath.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Rows = tuple[list[str], list[tuple[Any, ...]]]


def run_duckdb_queries(entry: dict[str, Any], sqls: Sequence[str]) -> list[Rows] | None:
    """The columns and rows of each query, in one read-only connection to a cached query's
    DuckDB warehouse; None (the caller takes the full path, which explains the problem) when
    the file is missing, locked or not built for them."""
    import duckdb

    try:
        con = duckdb.connect(entry["path"], read_only=True, config=entry.get("config") or {})
    except duckdb.Error:
        return None
    try:
        found = []
        for sql in sqls:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            found.append((columns, [tuple(row) for row in cursor.fetchall()]))
        return found
    except duckdb.Error:
        return None
    finally:
        con.close()
