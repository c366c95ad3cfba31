"""A cached query's rows from a DuckDB warehouse file, with nothing but the driver imported
(the CLI's fast path, jobs/fastpath.py)."""

from __future__ import annotations

from typing import Any


def run_duckdb_query(entry: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Rows of a cached query on its DuckDB warehouse; None (the caller takes the full path,
    which explains the problem) when the file is missing, locked or not built for it."""
    import duckdb

    try:
        con = duckdb.connect(entry["path"], read_only=True, config=entry.get("config") or {})
    except duckdb.Error:
        return None
    try:
        cursor = con.execute(entry["sql"])
        columns = [d[0] for d in cursor.description or ()]
        return columns, [tuple(row) for row in cursor.fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()
