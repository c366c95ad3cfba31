"""Natural keys: of the rows sharing a key, the version from the file loaded last (and within a
file the last line) is the row; raw.<table> keeps every version for the audit."""

from __future__ import annotations

from sqlglot import exp

from metricflow_lite.compile.names import RAW
from metricflow_lite.warehouse.base import Warehouse


def superseded_rows(warehouse: Warehouse, table: str, key: tuple[str, ...]) -> int:
    """How many rows of raw.<table> a later version of their key replaces: of the rows whose
    key has no NULL, all but one per key (a count, where the anti-join of latest_versions would
    cost a join of the table with itself)."""
    columns = [exp.column(k, quoted=True) for k in key]
    distinct = exp.Count(this=exp.Distinct(expressions=columns))
    query = (
        exp.select(exp.Sub(this=exp.Count(this=exp.Star()), expression=distinct))
        .from_(exp.table_(table, db=RAW, quoted=True))
        .where(exp.and_(*(exp.Not(this=exp.Is(this=c, expression=exp.Null())) for c in columns)))
    )
    result = warehouse.fetch(query.sql(dialect=warehouse.dialect))
    return int(result.rows[0][0] or 0) if result.rows else 0
