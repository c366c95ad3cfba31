"""Incremental builds: the statements that rewrite only the periods whose source rows changed.

A build keeps a manifest beside its layers (schema `_mfl`): a hash of every object's SQL, and a
fingerprint (row count and a sum of row hashes) of every source table, whole and per local day
of each time column an indicator table groups by. The next build writes the source tables again,
fingerprints them, and compares: an indicator table whose SQL, dimension tables or history are
unchanged rewrites only the periods of the days whose fingerprint changed (DELETE those periods,
INSERT them from the new rows); any other indicator table is rebuilt in full. A period of an
indicator table holds exactly the source rows of its days, so the result equals a full build.

DuckDB SQL: the build that uses these statements runs on DuckDB's copy of the warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.compile import periods as periods_of
from metricflow_lite.compile.build import BuildObject
from metricflow_lite.compile.plan import IndicatorTable
from metricflow_lite.compile.sqlgen import col, ident, period_start, table_ref
from metricflow_lite.spec.model import Grain

MANIFEST_SCHEMA = "_mfl"
ROW_ALIAS = "_mfl_row"
DIALECT = "duckdb"
# grains whose periods are whole days: a changed day maps to the one period holding it
DAY_OR_COARSER = (Grain.DAY, Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.YEAR)

MANIFEST_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {MANIFEST_SCHEMA}",
    f"CREATE OR REPLACE TABLE {MANIFEST_SCHEMA}.objects (name VARCHAR, sql_hash VARCHAR)",
    f"CREATE OR REPLACE TABLE {MANIFEST_SCHEMA}.tables"
    " (src_table VARCHAR, row_count BIGINT, fingerprint HUGEINT)",
    f"CREATE OR REPLACE TABLE {MANIFEST_SCHEMA}.days"
    " (src_table VARCHAR, time_column VARCHAR, day DATE, row_count BIGINT, fingerprint HUGEINT)",
)
RAW_LOADS_DDL = (
    f"CREATE OR REPLACE TABLE {MANIFEST_SCHEMA}.raw_loads"
    " (table_name VARCHAR, row_count BIGINT, fingerprint HUGEINT)"
)
# What was loaded into each raw table: a seed that adds, replaces or prunes a file changes its
# rows in raw._loads. A source table whose SQL and raw tables are unchanged is kept as it is.
RAW_LOADS = (
    "SELECT table_name, count(*) AS row_count, sum(CAST(hash(l) AS HUGEINT)) AS fingerprint"
    " FROM raw._loads AS l GROUP BY table_name"
)
HAS_RAW_LOADS = (
    "SELECT count(*) FROM duckdb_tables()"
    " WHERE database_name = current_database() AND schema_name = 'raw'"
    " AND table_name = '_loads'"
)
HAS_OLD_RAW_LOADS = (
    "SELECT count(*) FROM duckdb_tables()"
    f" WHERE database_name = current_database() AND schema_name = '{MANIFEST_SCHEMA}'"
    " AND table_name = 'raw_loads'"
)
NO_RAW_LOADS = "SELECT NULL::VARCHAR, 0::BIGINT, 0::HUGEINT LIMIT 0"
HAS_MANIFEST = (
    "SELECT count(*) FROM duckdb_tables()"
    f" WHERE database_name = current_database() AND schema_name = '{MANIFEST_SCHEMA}'"
    " AND table_name = 'days'"
)


@dataclass(frozen=True, slots=True)
class DayKey:
    """A source table's time column: its rows are fingerprinted per local day of it."""

    src_table: str
    time_column: str


NO_TABLES = (
    "SELECT NULL::VARCHAR AS src_table, 0::BIGINT AS row_count, 0::HUGEINT AS fingerprint LIMIT 0"
)


def insert_hashes(hashes: Mapping[str, str]) -> str:
    """INSERT INTO _mfl.objects (name, sql_hash) VALUES ..."""
    values = exp.Values(
        expressions=[
            exp.Tuple(expressions=[exp.Literal.string(name), exp.Literal.string(digest)])
            for name, digest in hashes.items()
        ]
    )
    return exp.Insert(this=table_ref(MANIFEST_SCHEMA, "objects"), expression=values).sql(DIALECT)


def sql_hash(statements: Iterable[str]) -> str:
    return hashlib.sha256("\n;\n".join(statements).encode("utf-8")).hexdigest()


def day_keys(tables: Iterable[IndicatorTable]) -> tuple[DayKey, ...]:
    """Every (source table, time column) an indicator table groups by."""
    keys = {DayKey(t.model, c) for t in tables for c in t.time_columns}
    return tuple(sorted(keys, key=lambda k: (k.src_table, k.time_column)))


def _fingerprint(select: exp.Select) -> exp.Select:
    row_hash = exp.cast(exp.Anonymous(this="hash", expressions=[col(ROW_ALIAS)]), "HUGEINT")
    return select.select(
        exp.alias_(exp.Count(this=exp.Star()), "row_count"),
        exp.alias_(exp.Sum(this=row_hash), "fingerprint"),
        copy=False,
    )


def table_fingerprints(src_tables: Sequence[str]) -> str:
    """(src_table, row_count, fingerprint) of whole source tables."""
    parts = []
    for name in src_tables:
        select = exp.select(exp.alias_(exp.Literal.string(name), "src_table")).from_(
            table_ref("src", name, ROW_ALIAS)
        )
        parts.append(_fingerprint(select))
    return _union(parts).sql(DIALECT)


def day_fingerprints(keys: Sequence[DayKey]) -> str:
    """(src_table, time_column, day, row_count, fingerprint) per local day of each key."""
    parts = []
    for key in keys:
        day = period_start(Grain.DAY, col(key.time_column, ROW_ALIAS), "monday")
        select = exp.select(
            exp.alias_(exp.Literal.string(key.src_table), "src_table"),
            exp.alias_(exp.Literal.string(key.time_column), "time_column"),
            exp.alias_(day, "day"),
        ).from_(table_ref("src", key.src_table, ROW_ALIAS))
        parts.append(_fingerprint(select).group_by(day.copy()))
    return _union(parts).sql(DIALECT)


def _union(parts: Sequence[exp.Select]) -> exp.Query:
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def changed_days_sql(new_days: str) -> str:
    """(src_table, time_column, day) whose fingerprint differs between the manifest's days and
    `new_days` (a table of the same columns); a day only one side has is changed too."""
    return (
        "SELECT coalesce(n.src_table, o.src_table) AS src_table,"
        " coalesce(n.time_column, o.time_column) AS time_column,"
        " coalesce(n.day, o.day) AS day"
        f" FROM {new_days} AS n FULL OUTER JOIN {MANIFEST_SCHEMA}.days AS o"
        " ON n.src_table = o.src_table AND n.time_column = o.time_column"
        " AND n.day IS NOT DISTINCT FROM o.day"
        " WHERE n.row_count IS DISTINCT FROM o.row_count"
        " OR n.fingerprint IS DISTINCT FROM o.fingerprint"
    )


def periods(grain: Grain, days: Iterable[dt.date | None], week_start: str) -> list[dt.date | None]:
    """The periods of a grain that hold the given days (None: rows without a time)."""
    found: set[dt.date | None] = set()
    for day in days:
        if day is None:
            found.add(None)
            continue
        found.add(periods_of.period_start(day, grain, week_start))
    return sorted(found, key=lambda d: (d is None, d or dt.date.min))


def period_filter(
    table: IndicatorTable,
    changed: Mapping[str, Sequence[dt.date | None]],
    alias: str | None,
    week_start: str,
) -> exp.Expr:
    """Rows of an indicator table in a changed period of every time column it groups by."""
    conditions: list[exp.Expr] = []
    for time_column in table.time_columns:
        values = periods(table.grain, changed[time_column], week_start)
        column = col(table.period_column(time_column), alias)
        dates = [
            exp.cast(exp.Literal.string(v.isoformat()), exp.DataType.Type.DATE)
            for v in values
            if v is not None
        ]
        parts: list[exp.Expr] = []
        if dates:
            parts.append(exp.In(this=column, expressions=dates))
        if None in values:
            parts.append(exp.Is(this=column.copy(), expression=exp.Null()))
        condition = parts[0] if len(parts) == 1 else exp.Or(this=parts[0], expression=parts[1])
        conditions.append(exp.Paren(this=condition))
    result = conditions[0]
    for condition in conditions[1:]:
        result = exp.And(this=result, expression=condition)
    return result


def delete_periods(obj: BuildObject, where: exp.Expr) -> str:
    return exp.Delete(this=table_ref(obj.schema, obj.name), where=exp.Where(this=where)).sql(
        DIALECT
    )


INSERT_ALIAS = "_q"


def insert_periods(obj: BuildObject, where: exp.Expr) -> str:
    """where: a period_filter with the alias INSERT_ALIAS."""
    rows = (
        exp.select(exp.Star())
        .from_(exp.Subquery(this=obj.query.copy(), alias=exp.TableAlias(this=ident(INSERT_ALIAS))))
        .where(where)
    )
    return exp.Insert(this=table_ref(obj.schema, obj.name), expression=rows).sql(DIALECT)


def source_tables(obj: BuildObject, schema: str = "src") -> tuple[str, ...]:
    """The tables of a schema an object's query reads."""
    return tuple(sorted({t.name for t in obj.query.find_all(exp.Table) if t.db == schema}))
