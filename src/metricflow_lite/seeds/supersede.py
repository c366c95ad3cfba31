"""Natural keys: of the rows sharing a key, the version from the file loaded last (and within a
file the last line) is the row; raw.<table> keeps every version for the audit."""

from __future__ import annotations

from sqlglot import exp

from metricflow_lite.warehouse.base import Warehouse

RAW = "raw"


def _newer(table: str, key: tuple[str, ...], outer: str, inner: str) -> exp.Exists:
    """EXISTS a row of the same key loaded later (a larger _load_id, or the same load and a
    later _line) than the outer row."""

    def col(name: str, alias: str) -> exp.Column:
        return exp.column(name, table=alias, quoted=True)

    same_key = [exp.EQ(this=col(k, inner), expression=col(k, outer)) for k in key]
    later = exp.or_(
        exp.GT(this=col("_load_id", inner), expression=col("_load_id", outer)),
        exp.and_(
            exp.EQ(this=col("_load_id", inner), expression=col("_load_id", outer)),
            exp.GT(this=col("_line", inner), expression=col("_line", outer)),
        ),
    )
    query = (
        exp.select(exp.Literal.number(1))
        .from_(exp.table_(table, db=RAW, quoted=True).as_(inner, quoted=True))
        .where(exp.and_(*same_key, exp.paren(later)))
    )
    return exp.Exists(this=query)


def latest_versions(table: str, key: tuple[str, ...]) -> exp.Subquery:
    """raw.<table> with one row per key (rows with a NULL key are kept as they are); the same
    columns as the table, so that a model reads it like the table."""
    outer = "_mfl_row"
    query = (
        exp.select(exp.Star())
        .from_(exp.table_(table, db=RAW, quoted=True).as_(outer, quoted=True))
        .where(exp.Not(this=_newer(table, key, outer, "_mfl_newer")))
    )
    return exp.Subquery(this=query)


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
