"""The lines `mfl seed` rejected, as raw._rejects holds them: file, line, reason, raw text."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.errors import MflError, did_you_mean
from metricflow_lite.seeds.discovery import natural_order
from metricflow_lite.warehouse.base import Warehouse


@dataclass(frozen=True, slots=True)
class Reject:
    """One rejected line (a sheet row for Excel exports)."""

    table: str
    file: str
    line: int
    reason: str
    raw_text: str


def list_rejects(warehouse: Warehouse, table: str | None = None) -> tuple[Reject, ...]:
    """Every rejected line (of one table), by file (in natural name order) and line."""
    if "_rejects" not in warehouse.tables("raw"):
        return ()
    if table is not None:
        known = _tables(warehouse)
        if table not in known:
            raise MflError(
                "E117",
                f"no seed table '{table}' was loaded",
                None,
                did_you_mean(table, known) or f"loaded tables: {', '.join(known) or 'none'}",
            )
    query = (
        exp.select("table_name", "file", "line", "reason", "raw_text")
        .from_(exp.table_("_rejects", db="raw"))
        .order_by("table_name", "file", "line", "reason")
    )
    if table is not None:
        query = query.where(exp.column("table_name").eq(exp.Literal.string(table)))
    result = warehouse.fetch(query.sql(dialect=warehouse.dialect))
    found = [
        Reject(str(t), str(f), int(n), str(r or ""), str(x or "")) for t, f, n, r, x in result.rows
    ]
    # in the order mfl seed loads them: 2024-10-9 before 2024-10-10 (the query sorts by text)
    found.sort(key=lambda r: (r.table, natural_order(r.file), r.line, r.reason))
    return tuple(found)


def _tables(warehouse: Warehouse) -> tuple[str, ...]:
    query = exp.select("table_name").distinct().from_(exp.table_("_loads", db="raw"))
    rows = warehouse.fetch(query.sql(dialect=warehouse.dialect)).rows
    return tuple(sorted(str(r[0]) for r in rows))
