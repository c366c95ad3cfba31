"""Incremental builds: the statements that rewrite only the periods whose source rows changed.

A build keeps a manifest beside its layers (schema `_mfl`): a hash of every object's SQL, and a
fingerprint (row count and a sum of row hashes) of every source table, whole and per local day
of each time column an indicator table groups by, and of every version of a model with
history (`valid:`). The next build writes the source tables again, fingerprints them, and
compares: an indicator table whose SQL and plain dimension tables are unchanged rewrites only
the periods of the days whose fingerprint changed, and of the days a changed version of a
history dimension is valid on (DELETE those periods, INSERT them from the new rows); any other
indicator table is rebuilt in full. A period of an indicator table holds exactly the source
rows of its days, so the result equals a full build.

The statements are written for DuckDB, PostgreSQL and Spark: DuckDB rewrites its copy of the
warehouse in place (`old` and `new` schemas are the same), PostgreSQL writes the new build into
the `__next` schemas beside the live ones, copying the rows it keeps. Spark's tables are Parquet
folders without DELETE: the new build goes to the `__staging` databases, and a table rewritten
for some periods or keys is written whole, once, as the rows it keeps UNION ALL the rows computed
again (CREATE TABLE AS SELECT). Fingerprints are compared only with the same warehouse's last
manifest, so each engine may hash rows its own way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from metricflow_lite.compile import names as shared_names
from metricflow_lite.compile import periods as periods_of
from metricflow_lite.compile.build import SCHEMAS, BuildObject, rename_schemas
from metricflow_lite.compile.dialects import adapt, render
from metricflow_lite.compile.plan import IndicatorTable, JoinVersions, PlanNode
from metricflow_lite.compile.sqlgen import col, ident, period_start, table_ref
from metricflow_lite.spec.model import Grain, ProjectSpec

MANIFEST_SCHEMA = shared_names.MANIFEST_SCHEMA
ROW_ALIAS = "_mfl_row"
# grains whose periods are whole days: a changed day maps to the one period holding it
DAY_OR_COARSER = (Grain.DAY, Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.YEAR)
# the sum of 64-bit row hashes; exact on every engine (38 digits hold 10^19 rows of 2^63)
FINGERPRINT_TYPE = {"duckdb": "HUGEINT", "postgres": "NUMERIC", "spark": "DECIMAL(38, 0)"}
TEXT_TYPE = {"duckdb": "VARCHAR", "postgres": "TEXT", "spark": "STRING"}
# the manifest's tables: name -> columns (name, type; FP = FINGERPRINT_TYPE, TEXT = TEXT_TYPE)
MANIFEST_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "objects": (("name", "TEXT"), ("sql_hash", "TEXT")),
    "tables": (("src_table", "TEXT"), ("row_count", "BIGINT"), ("fingerprint", "FP")),
    "days": (
        ("src_table", "TEXT"),
        ("time_column", "TEXT"),
        ("day", "DATE"),
        ("row_count", "BIGINT"),
        ("fingerprint", "FP"),
    ),
    "raw_loads": (("table_name", "TEXT"), ("row_count", "BIGINT"), ("fingerprint", "FP")),
    # raw._loads as it was: the loads a source table by key looks at
    "loads": (("table_name", "TEXT"), ("load_id", "BIGINT"), ("file", "TEXT")),
    # one row per version of a model with `valid:` (duplicates kept: a multiset)
    "versions": (
        ("src_table", "TEXT"),
        ("valid_from", "TIMESTAMP"),
        ("valid_until", "TIMESTAMP"),
        ("fingerprint", "FP"),
    ),
}


@dataclass(frozen=True, slots=True)
class DayKey:
    """A source table's time column: its rows are fingerprinted per local day of it."""

    src_table: str
    time_column: str


@dataclass(frozen=True, slots=True)
class History:
    """A source table with versions (`valid: {from, until}`)."""

    src_table: str
    valid_from: str
    valid_until: str


def histories(spec: ProjectSpec) -> tuple[History, ...]:
    return tuple(
        sorted(
            (History(m.name, m.valid.start, m.valid.until) for m in spec.models if m.valid),
            key=lambda h: h.src_table,
        )
    )


def sql(text: str, dialect: str) -> str:
    """One of this module's own statements (DuckDB SQL) in the engine's dialect."""
    if dialect == "duckdb":
        return text
    return sqlglot.transpile(text, read="duckdb", write=dialect)[0]


def lit(text: str) -> str:
    return exp.Literal.string(text).sql("duckdb")


def _catalog_rows(view: str, schema: str, name: str, *select: exp.Expr) -> exp.Select:
    where = exp.and_(
        exp.EQ(this=col("table_schema"), expression=exp.Literal.string(schema)),
        exp.EQ(this=col("table_name"), expression=exp.Literal.string(name)),
    )
    return exp.select(*select).from_(table_ref("information_schema", view)).where(where)


def has_table(schema: str, name: str, dialect: str = "duckdb") -> str:
    """count(*) is 1 when the table exists (DuckDB and PostgreSQL have information_schema)."""
    return _catalog_rows("tables", schema, name, exp.Count(this=exp.Star())).sql(dialect)


def table_type(schema: str, name: str, dialect: str = "duckdb") -> str:
    """'VIEW' or 'BASE TABLE', one row when the object exists."""
    return _catalog_rows("tables", schema, name, col("table_type")).sql(dialect)


def duckdb_comments(schemas: Sequence[str]) -> str:
    """(schema, object, column or NULL, comment) of every commented table, view and column
    of the schemas, from DuckDB's catalog functions."""

    def rows(function: str, name: str, column: exp.Expr) -> exp.Select:
        catalog = exp.Table(this=exp.Anonymous(this=function))
        listed = exp.In(
            this=col("schema_name"), expressions=[exp.Literal.string(s) for s in schemas]
        )
        return (
            exp.select(col("schema_name"), col(name), column, col("comment"))
            .from_(catalog)
            .where(
                exp.and_(listed, exp.Not(this=exp.Is(this=col("comment"), expression=exp.null())))
            )
        )

    parts = [
        rows("duckdb_tables", "table_name", exp.cast(exp.null(), "VARCHAR")),
        rows("duckdb_views", "view_name", exp.cast(exp.null(), "VARCHAR")),
        rows("duckdb_columns", "table_name", col("column_name")),
    ]
    return union_all(parts).sql("duckdb")


def table_columns(schema: str, name: str, dialect: str = "duckdb") -> str:
    """The names of a table's columns, in order (information_schema, as has_table)."""
    query = _catalog_rows("columns", schema, name, col("column_name"))
    return query.order_by(col("ordinal_position")).sql(dialect)


def manifest_ddl(schema: str, dialect: str) -> list[str]:
    """DROP and CREATE the manifest's tables in a schema (the new build's)."""
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{schema}"']
    for name, columns in MANIFEST_TABLES.items():
        typed = ", ".join(
            f"{column} "
            + {"FP": FINGERPRINT_TYPE[dialect], "TEXT": TEXT_TYPE[dialect]}.get(kind, kind)
            for column, kind in columns
        )
        statements.append(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
        statements.append(f'CREATE TABLE "{schema}"."{name}" ({typed})')
    return statements


def manifest_type(kind: str, dialect: str) -> exp.DataType:
    """A manifest column's type (MANIFEST_TABLES: FP, TEXT or a type every engine spells)."""
    spelled = {"FP": FINGERPRINT_TYPE[dialect], "TEXT": TEXT_TYPE[dialect]}.get(kind, kind)
    return exp.DataType.build(spelled, dialect=dialect)


def manifest_table(schema: str, name: str, rows: exp.Query | None, dialect: str) -> str:
    """CREATE TABLE <schema>.<name> AS its rows, typed as MANIFEST_TABLES says (None: empty).

    For an engine whose tables are written once (Spark): each manifest table in one statement."""
    columns = MANIFEST_TABLES[name]
    if rows is None:
        select = exp.select(
            *(exp.alias_(exp.cast(exp.Null(), manifest_type(k, dialect)), c) for c, k in columns)
        ).where(exp.false())
    else:
        alias = exp.TableAlias(this=ident("_m"))
        select = exp.select(
            *(exp.alias_(exp.cast(col(c, "_m"), manifest_type(k, dialect)), c) for c, k in columns)
        ).from_(exp.Subquery(this=rows, alias=alias))
    return exp.Create(this=table_ref(schema, name), kind="TABLE", expression=select).sql(dialect)


def rows_of(table: str) -> exp.Select:
    """SELECT * FROM a table of this session (the new build's fingerprints)."""
    return exp.select(exp.Star()).from_(exp.Table(this=ident(table)))


def row_hash(alias: str, dialect: str, columns: Sequence[str] = ()) -> exp.Expr:
    """A 64-bit hash of a whole row, as the fingerprint's type (Spark: of its `columns`)."""
    if dialect == "spark":
        # Spark's xxhash64 skips NULL arguments, so (NULL, 'x') and ('x', NULL) would hash
        # alike: which columns are NULL is hashed first.
        assert columns, "Spark hashes a row by its columns"
        nulls = [exp.Is(this=col(c, alias), expression=exp.Null()) for c in columns]
        value: exp.Expr = exp.Anonymous(
            this="xxhash64", expressions=[*nulls, *(col(c, alias) for c in columns)]
        )
    elif dialect == "postgres":
        text = exp.cast(exp.Column(this=ident(alias)), "TEXT")
        value = exp.Anonymous(this="hashtextextended", expressions=[text, exp.Literal.number(0)])
    else:
        value = exp.Anonymous(this="hash", expressions=[exp.Column(this=ident(alias))])
    return exp.cast(value, exp.DataType.build(FINGERPRINT_TYPE[dialect], dialect=dialect))


def _fingerprint(select: exp.Select, dialect: str, columns: Sequence[str] = ()) -> exp.Select:
    return select.select(
        exp.alias_(exp.Count(this=exp.Star()), "row_count"),
        exp.alias_(exp.Sum(this=row_hash(ROW_ALIAS, dialect, columns)), "fingerprint"),
        copy=False,
    )


# The columns of each table a fingerprint reads, where the engine hashes rows by their columns
# (Spark); DuckDB and PostgreSQL hash the row itself and need none.
Columns = Mapping[str, Sequence[str]]


def raw_loads_query(dialect: str, columns: Sequence[str] = ()) -> exp.Select:
    """What was loaded into each raw table: a seed that adds, replaces or prunes a file
    changes its rows in raw._loads. A source table whose SQL and raw tables are unchanged is
    kept as it is. (columns: raw._loads's, for Spark.)"""
    select = (
        exp.select(col("table_name", ROW_ALIAS))
        .from_(table_ref("raw", "_loads", ROW_ALIAS))
        .group_by(col("table_name", ROW_ALIAS))
    )
    return _fingerprint(select, dialect, columns)


def raw_loads(dialect: str, columns: Sequence[str] = ()) -> str:
    return raw_loads_query(dialect, columns).sql(dialect)


def loads_query() -> exp.Select:
    """(table_name, load_id, file) of every load in raw._loads."""
    return exp.select(col("table_name"), col("load_id"), col("file")).from_(
        table_ref("raw", "_loads")
    )


def table_fingerprint(
    name: str,
    dialect: str,
    schema: str = "src",
    columns: Sequence[str] = (),
    where: exp.Expr | None = None,
    negated: bool = False,
) -> exp.Select:
    """(src_table, row_count, fingerprint) of a whole source table (its rows `where` holds,
    of the alias ROW_ALIAS; `negated`: their count and sum with the sign turned)."""
    select = exp.select(exp.alias_(exp.Literal.string(name), "src_table")).from_(
        table_ref(schema, name, ROW_ALIAS)
    )
    return _fingerprint_of(select, dialect, columns, where, negated)


def _fingerprint_of(
    select: exp.Select,
    dialect: str,
    columns: Sequence[str],
    where: exp.Expr | None = None,
    negated: bool = False,
) -> exp.Select:
    found = _fingerprint(select, dialect, columns)
    if where is not None:
        found = found.where(where, copy=False)
    return _negated(found) if negated else found


def _negated(select: exp.Select) -> exp.Select:
    """A fingerprint's row_count and fingerprint (its last two columns) with the sign turned:
    of the rows a rewrite removes."""
    for projection in select.expressions[-2:]:
        projection.set("this", exp.Neg(this=exp.Paren(this=projection.this)))
    return select


def day_fingerprint(
    key: DayKey,
    dialect: str,
    schema: str = "src",
    columns: Sequence[str] = (),
    where: exp.Expr | None = None,
    negated: bool = False,
) -> exp.Select:
    """(src_table, time_column, day, row_count, fingerprint) per local day of a key (options:
    as table_fingerprint's)."""
    day = _row_day(key)
    select = exp.select(
        exp.alias_(exp.Literal.string(key.src_table), "src_table"),
        exp.alias_(exp.Literal.string(key.time_column), "time_column"),
        exp.alias_(day, "day"),
    ).from_(table_ref(schema, key.src_table, ROW_ALIAS))
    found = _fingerprint_of(select, dialect, columns, where, negated)
    return found.group_by(day.copy())


def days_to_table(days: str, key: DayKey) -> exp.Select:
    """(src_table, row_count, fingerprint) of a table from its fingerprints per day of one
    time column (a temporary table of the manifest's `days` columns)."""
    where = exp.and_(
        exp.EQ(this=col("src_table"), expression=exp.Literal.string(key.src_table)),
        exp.EQ(this=col("time_column"), expression=exp.Literal.string(key.time_column)),
    )
    return (
        exp.select(
            col("src_table"),
            exp.alias_(exp.cast(exp.Sum(this=col("row_count")), "BIGINT"), "row_count"),
            exp.alias_(exp.Sum(this=col("fingerprint")), "fingerprint"),
        )
        .from_(exp.Table(this=ident(days)))
        .where(where)
        .group_by(col("src_table"))
    )


# The columns each manifest table groups its fingerprints by.
FINGERPRINT_GROUPS = {"tables": ("src_table",), "days": ("src_table", "time_column", "day")}


def manifest_fingerprints(manifest: str, src_table: str) -> exp.Select:
    """A source table's fingerprints in the last build's manifest (`tables` or `days`)."""
    columns = [*FINGERPRINT_GROUPS[manifest], "row_count", "fingerprint"]
    return (
        exp.select(*(col(c) for c in columns))
        .from_(table_ref(MANIFEST_SCHEMA, manifest))
        .where(exp.EQ(this=col("src_table"), expression=exp.Literal.string(src_table)))
    )


def adjusted_fingerprints(
    manifest: str, src_table: str, deltas: Sequence[str], time_columns: Sequence[str] = ()
) -> exp.Select:
    """A source table's fingerprints in the manifest (days: of the time columns given) plus
    the deltas (temporary tables of the same columns: the rows removed, negated, and the rows
    written). A sum of row hashes is exact, so this is what fingerprinting the whole table
    again would give; a day left without rows is left out, as it would be."""
    groups = FINGERPRINT_GROUPS[manifest]
    columns = [*groups, "row_count", "fingerprint"]
    rows: exp.Query = manifest_fingerprints(manifest, src_table)
    if time_columns:
        listed = [exp.Literal.string(c) for c in time_columns]
        rows = rows.where(exp.In(this=col("time_column"), expressions=listed), copy=False)
    for delta in deltas:
        rows = exp.union(
            rows,
            exp.select(*(col(c) for c in columns)).from_(exp.Table(this=ident(delta))),
            distinct=False,
        )
    summed = exp.alias_(exp.cast(exp.Sum(this=col("row_count")), "BIGINT"), "row_count")
    return (
        exp.select(
            *(col(g) for g in groups),
            summed,
            exp.alias_(exp.Sum(this=col("fingerprint")), "fingerprint"),
        )
        .from_(exp.Subquery(this=rows, alias=exp.TableAlias(this=ident("_fp"))))
        .group_by(*(col(g) for g in groups))
        .having(exp.NEQ(this=exp.Sum(this=col("row_count")), expression=exp.Literal.number(0)))
    )


def version_fingerprints(
    found: Sequence[History], dialect: str, schema: str = "src", columns: Columns | None = None
) -> str:
    """(src_table, valid_from, valid_until, fingerprint): one row per version."""
    parts: list[exp.Select] = []
    for history in found:
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.string(history.src_table), "src_table"),
                exp.alias_(exp.cast(col(history.valid_from, ROW_ALIAS), "TIMESTAMP"), "valid_from"),
                exp.alias_(
                    exp.cast(col(history.valid_until, ROW_ALIAS), "TIMESTAMP"), "valid_until"
                ),
                exp.alias_(
                    row_hash(ROW_ALIAS, dialect, (columns or {}).get(history.src_table, ())),
                    "fingerprint",
                ),
            ).from_(table_ref(schema, history.src_table, ROW_ALIAS))
        )
    return union_all(parts).sql(dialect)


def union_all(parts: Sequence[exp.Select]) -> exp.Query:
    """The rows of every part (UNION ALL)."""
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def changed_days_sql(new_days: str, dialect: str) -> str:
    """(src_table, time_column, day) whose fingerprint differs between the manifest's days and
    `new_days` (a table of the same columns); a day only one side has is changed too."""
    return sql(
        "SELECT coalesce(n.src_table, o.src_table) AS src_table,"
        " coalesce(n.time_column, o.time_column) AS time_column,"
        " coalesce(n.day, o.day) AS day"
        f" FROM {new_days} AS n FULL OUTER JOIN {MANIFEST_SCHEMA}.days AS o"
        " ON n.src_table = o.src_table AND n.time_column = o.time_column"
        " AND n.day IS NOT DISTINCT FROM o.day"
        " WHERE n.row_count IS DISTINCT FROM o.row_count"
        " OR n.fingerprint IS DISTINCT FROM o.fingerprint",
        dialect,
    )


def changed_tables_sql(new_tables: str, dialect: str) -> str:
    """Source tables whose whole-table fingerprint differs from the manifest's."""
    return sql(
        f"SELECT coalesce(n.src_table, o.src_table) FROM {new_tables} AS n"
        f" FULL OUTER JOIN {MANIFEST_SCHEMA}.tables AS o ON n.src_table = o.src_table"
        " WHERE n.row_count IS DISTINCT FROM o.row_count"
        " OR n.fingerprint IS DISTINCT FROM o.fingerprint",
        dialect,
    )


def history_days_sql(
    new_versions: str, new_days: str, key: DayKey, history: str, dialect: str
) -> str:
    """The days of `key` (in the new or the last build) on which a version of `history` that
    changed (added, removed or edited: in one build's versions and not the other's) is valid:
    the only days whose rows a join into the history can give another value."""
    columns = "src_table, valid_from, valid_until, fingerprint"
    old = f"SELECT {columns} FROM {MANIFEST_SCHEMA}.versions WHERE src_table = {lit(history)}"
    new = f"SELECT {columns} FROM {new_versions} WHERE src_table = {lit(history)}"
    where = f"src_table = {lit(key.src_table)} AND time_column = {lit(key.time_column)}"
    return sql(
        "SELECT DISTINCT d.day FROM ("
        f"SELECT day FROM {new_days} WHERE {where}"
        f" UNION SELECT day FROM {MANIFEST_SCHEMA}.days WHERE {where}) AS d"
        f" JOIN (({new} EXCEPT ALL {old}) UNION ALL ({old} EXCEPT ALL {new})) AS v"
        " ON (v.valid_from IS NULL OR v.valid_from < d.day + INTERVAL 1 DAY)"
        " AND (v.valid_until IS NULL OR v.valid_until > d.day)"
        " WHERE d.day IS NOT NULL",
        dialect,
    )


def version_joins(plan: PlanNode | None) -> dict[str, set[str]]:
    """History model -> the row times a plan joins its versions at (JoinVersions nodes)."""
    found: dict[str, set[str]] = {}
    stack = [plan] if plan is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, JoinVersions):
            for dim in node.dimensions:
                for hop in dim.path:
                    if hop.valid is not None:
                        found.setdefault(hop.model, set()).add(node.time_column)
        stack.extend(node.parents)
    return found


def sql_hash(statements: Iterable[str]) -> str:
    return hashlib.sha256("\n;\n".join(statements).encode("utf-8")).hexdigest()


def redefined_objects(
    objects: Sequence[BuildObject], hashes: Mapping[str, str], built: Mapping[str, str]
) -> set[str]:
    """The objects whose definition (SQL, columns, types) may differ from a build's (`built`:
    its hashes by qualified name): their own hash differs, or an object they read is one of
    them. `objects` in build order, so that what an object reads comes before it."""
    redefined: set[str] = set()
    for obj in objects:
        reads = {f"{db}.{name}" for db, name in obj.tables_read if db in SCHEMAS}
        if built.get(obj.qualified_name) != hashes[obj.qualified_name] or reads & redefined:
            redefined.add(obj.qualified_name)
    return redefined


def definition_hash(statements: Sequence[str]) -> str:
    """The hash of an object's definition: its CREATE statement (the first of its statements).
    Its COMMENT statements (labels, descriptions) are left out: every build writes them all
    again, so an edited label rebuilds no table and is not a changed definition to a query."""
    return sql_hash(statements[:1])


def hashes_query(hashes: Mapping[str, str]) -> exp.Select:
    """(name, sql_hash) of every object."""
    rows = [(name, digest) for name, digest in hashes.items()]
    return exp.select(exp.Star()).from_(exp.values(rows, "_v", ["name", "sql_hash"]))


def insert_hashes(hashes: Mapping[str, str], schema: str, dialect: str) -> str:
    """INSERT INTO <schema>.objects (name, sql_hash) VALUES ..."""
    values = exp.Values(
        expressions=[
            exp.Tuple(expressions=[exp.Literal.string(name), exp.Literal.string(digest)])
            for name, digest in hashes.items()
        ]
    )
    return exp.Insert(this=table_ref(schema, "objects"), expression=values).sql(dialect)


def day_keys(tables: Iterable[IndicatorTable]) -> tuple[DayKey, ...]:
    """Every (source table, time column) an indicator table groups by."""
    keys = {DayKey(t.model, c) for t in tables for c in t.time_columns}
    return tuple(sorted(keys, key=lambda k: (k.src_table, k.time_column)))


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


def delete_periods(obj: BuildObject, where: exp.Expr, dialect: str) -> str:
    return exp.Delete(this=table_ref(obj.schema, obj.name), where=exp.Where(this=where)).sql(
        dialect
    )


INSERT_ALIAS = "_q"


def insert_periods(
    obj: BuildObject,
    where: exp.Expr,
    dialect: str,
    schema_names: Mapping[str, str] | None = None,
) -> str:
    """INSERT the rows of the object's query in the periods of `where` (a period_filter with
    the alias INSERT_ALIAS); schema_names: where the new build's layers are."""
    names = dict(schema_names or {})
    query = rename_schemas(obj.query, names) if names else obj.query.copy()
    rows = (
        exp.select(exp.Star())
        .from_(exp.Subquery(this=query, alias=exp.TableAlias(this=ident(INSERT_ALIAS))))
        .where(where)
    )
    insert = exp.Insert(
        this=table_ref(names.get(obj.schema, obj.schema), obj.name), expression=rows
    )
    return render(insert, dialect, obj.what)


def copy_table(
    obj: BuildObject, into: str, dialect: str, without: exp.Expr | None = None
) -> list[str]:
    """The last build's rows of a table, into the new build's schema: a table of the same
    columns (types and collations), then its rows (without those `without` holds)."""
    old, new = table_ref(obj.schema, obj.name), table_ref(into, obj.name)
    rows = kept_rows(obj, without)
    if dialect == "spark":
        return [exp.Create(this=new, kind="TABLE", expression=rows).sql(dialect)]
    return [
        f"CREATE TABLE {new.sql(dialect)} (LIKE {old.sql(dialect)})",
        exp.Insert(this=new.copy(), expression=rows).sql(dialect),
    ]


def kept_rows(obj: BuildObject, without: exp.Expr | None = None) -> exp.Select:
    """The last build's rows of a table, but those `without` holds."""
    rows = exp.select(exp.Star()).from_(table_ref(obj.schema, obj.name))
    if without is not None:
        held = exp.Is(this=exp.Paren(this=without), expression=exp.true())
        rows = rows.where(exp.Not(this=exp.Paren(this=held)))  # NULL is not held: kept
    return rows


def rows_from(query: exp.Query, where: exp.Expr | None = None) -> exp.Select:
    """SELECT * FROM (query) AS INSERT_ALIAS [WHERE ...]: a query (its CTEs too) as one
    branch of a UNION."""
    alias = exp.TableAlias(this=ident(INSERT_ALIAS))
    rows = exp.select(exp.Star()).from_(exp.Subquery(this=query, alias=alias))
    return rows.where(where) if where is not None else rows


def rewritten_table(
    obj: BuildObject,
    kept: exp.Select,
    again: exp.Select,
    dialect: str,
    schema_names: Mapping[str, str],
) -> str:
    """CREATE TABLE <new schema>.<table> AS the kept rows UNION ALL the rows computed again:
    how Spark, which has no DELETE, rewrites some periods or keys of a table (once, whole)."""
    names = dict(schema_names)
    create = exp.Create(
        this=table_ref(names.get(obj.schema, obj.schema), obj.name),
        kind="TABLE",
        expression=exp.union(kept, again, distinct=False),
    )
    return render(create, dialect, obj.what)


def replace_periods(
    obj: BuildObject,
    old_periods: exp.Expr,
    new_periods: exp.Expr,
    dialect: str,
    schema_names: Mapping[str, str],
) -> str:
    """The table's rows outside the changed periods (old_periods: a period_filter), then the
    query's rows inside them (new_periods: one with the alias INSERT_ALIAS), as one table."""
    names = dict(schema_names)
    query = rename_schemas(obj.query, names) if names else obj.query.copy()
    inside = rows_from(query, new_periods)
    return rewritten_table(obj, kept_rows(obj, old_periods), inside, dialect, names)


# --- source tables rewritten by natural key ------------------------------------------------------

LOAD_ID = "_load_id"
KEYS_TABLE = "_mfl_keys"
KEY_ALIAS = "_mfl_key"
LATEST_ALIAS = shared_names.SOURCE_ROW_ALIAS  # compile/layers.latest_versions: raw.<table>'s rows
OLDER_ALIAS = shared_names.SOURCE_OLDER_ALIAS  # ... the rows a later version supersedes
NEWER_ALIAS = shared_names.SOURCE_NEWER_ALIAS  # ... and that later version
REWRITTEN_KEY_ALIAS = "_mfl_rewritten_key"  # the keys whose superseded rows are looked up


@dataclass(frozen=True, slots=True)
class KeyedSource:
    """A source table whose rows of a natural key are computed from that key's raw rows only:
    it is rewritten for the keys of the loads added or removed since the last build."""

    raw_table: str
    key: tuple[str, ...]


def keyed_source(
    obj: BuildObject, natural_keys: Mapping[str, tuple[str, ...]]
) -> KeyedSource | PartitionedSource | str:
    """How a source table can be rewritten by key, or why it cannot (for the build's summary).

    It can when its query reads one raw table with a natural key (through source()) and
    nothing else but its own CTEs; neither joins, groups, aggregates, DISTINCT, set
    operations, LIMIT nor subqueries (but source()'s own); every window is partitioned by the
    natural key; and every column named as a key column or _load_id anywhere in it is that
    column passed through. Then a key's rows depend on that key's raw rows alone.

    A model with windows over other columns (legs per call, a caller's next call) can be
    rewritten by partition instead, when its shape lets each window's partitions be traced
    (see PartitionedSource)."""
    # the model's own query: the calendar joins that add its business_seconds() ends read
    # each row's own columns, so they keep a key's rows to that key
    query = _without_supersession(obj.model_query or obj.query)
    raw = {t.name for t in query.find_all(exp.Table) if t.db == "raw"}
    if len(raw) != 1:
        return f"reads {len(raw)} raw tables"
    [table] = raw
    key = natural_keys.get(table)
    if not key:
        return f"raw.{table} has no natural_key"
    ctes = {c.alias_or_name for c in query.find_all(exp.CTE)}
    for found in query.find_all(exp.Table):
        if found.db == "raw":
            if found.alias_or_name != LATEST_ALIAS:
                return f"reads raw.{table} without its natural key"
        elif found.db or found.name not in ctes:
            return f"reads {found.sql('duckdb')}"
    foreign = [w for w in query.find_all(exp.Window) if not set(key) <= _partition_names(w)]
    if foreign:
        return _partitioned(query, table, key, foreign)
    why = _row_wise(query, key)
    return KeyedSource(table, key) if why is None else why


def _partition_names(window: exp.Window) -> set[str]:
    return {c.name for c in window.args.get("partition_by") or [] if isinstance(c, exp.Column)}


def _row_wise(query: exp.Query, key: Sequence[str]) -> str | None:
    """Why a query's rows of a key may depend on other keys' rows (None: they cannot)."""
    for window in query.find_all(exp.Window):
        if not set(key) <= _partition_names(window):
            over = ", ".join(p.sql("duckdb") for p in window.args.get("partition_by") or [])
            return f"a window over {over or 'all rows'}, not over {', '.join(key)}"
    for kind, what in (
        (exp.Join, "joins"),
        (exp.Group, "groups rows"),
        (exp.Distinct, "DISTINCT"),
        (exp.SetOperation, "a set operation"),
        (exp.Limit, "LIMIT"),
    ):
        if query.find(kind) is not None:
            return what
    for agg in query.find_all(exp.AggFunc):
        if agg.find_ancestor(exp.Window) is None:
            return f"an aggregate ({agg.sql('duckdb')})"
    for select in query.find_all(exp.Select):
        if select is query or isinstance(select.parent, exp.CTE):
            continue
        if isinstance(select.parent, exp.Subquery) and isinstance(
            select.parent.parent, (exp.From, exp.Join)
        ):
            continue  # a derived table: its query is checked like the rest
        return "a subquery"
    return _passes_through(query, key)


def _passes_through(query: exp.Expr, key: Sequence[str]) -> str | None:
    """Why a key column or _load_id is not passed through unchanged everywhere it is named."""
    passed = {*key, LOAD_ID}
    for alias in query.find_all(exp.TableAlias):
        if alias.columns:
            return f"names the columns of {alias.name or 'a table'} by position"
    for star in query.find_all(exp.Star):
        for arg in ("replace", "rename"):
            for item in star.args.get(arg) or []:
                if item.alias_or_name in passed:
                    return f"{item.alias_or_name} is computed ({item.sql('duckdb')})"
    for select in query.find_all(exp.Select):
        for projection in select.expressions:
            name = projection.alias_or_name
            value = projection.this if isinstance(projection, exp.Alias) else projection
            if name in passed and not (isinstance(value, exp.Column) and value.name == name):
                return f"{name} is computed ({projection.sql('duckdb')})"
    return None


@dataclass(frozen=True, slots=True)
class PartitionedSource:
    """A source table with windows over other columns than its natural key (legs per call, a
    caller's next call), of this shape: the windows read one CTE of the model, the base, whose
    rows of a key come from that key's raw rows alone (as a KeyedSource's); each window's
    SELECT reads the base alone, without a filter on other rows, and passes the key through;
    the model's final SELECT reads the base, without a WHERE, joins the windows' CTEs on the
    key only, and passes the windows' partition columns through from the base. Then every
    row of the base is a row of the table, carrying its partition values, and a row's values
    depend on its own raw rows and on the base rows of its partitions alone.

    It is rewritten for the keys of the loads added or removed and for every key of the last
    build that shares a partition with one of their rows, old or new; those are computed from
    the raw rows of every key in their partitions."""

    raw_table: str
    key: tuple[str, ...]
    base: str  # the CTE the windows read
    partitions: tuple[tuple[str, ...], ...]  # each window's partition columns

    @property
    def columns(self) -> tuple[str, ...]:
        """The key and every partition column, once each."""
        seen = dict.fromkeys((*self.key, *(c for p in self.partitions for c in p)))
        return tuple(seen)


def _partitioned(
    query: exp.Query, table: str, key: tuple[str, ...], foreign: Sequence[exp.Window]
) -> PartitionedSource | str:
    first = foreign[0]
    over = ", ".join(p.sql("duckdb") for p in first.args.get("partition_by") or [])
    lead = f"a window over {over or 'all rows'}, not over {', '.join(key)}"
    found = _trace_partitions(query, key, foreign)
    if isinstance(found, str):
        return f"{lead}, and {found}"
    base, partitions = found
    return PartitionedSource(table, key, base, partitions)


_NOT_IN_A_WINDOW_SELECT = (
    ("joins", "joins"),
    ("group", "groups rows"),
    ("having", "HAVING"),
    ("qualify", "QUALIFY"),
    ("distinct", "DISTINCT"),
    ("limit", "LIMIT"),
    ("offset", "OFFSET"),
    ("order", "ORDER BY"),
)


def _trace_partitions(
    query: exp.Query, key: tuple[str, ...], foreign: Sequence[exp.Window]
) -> tuple[str, tuple[tuple[str, ...], ...]] | str:
    """(base CTE, each window's partition columns) of a PartitionedSource, or why the
    model's shape does not let its windows' partitions be traced."""
    if not isinstance(query, exp.Select):
        return "the model is a set operation"
    bodies = {cte.alias_or_name: cte for cte in query.ctes}
    window_ctes: dict[str, exp.Select] = {}
    bases: set[str] = set()
    partitions: dict[tuple[str, ...], None] = {}
    for window in foreign:
        select = window.find_ancestor(exp.Select)
        cte = select.parent if select is not None else None
        if select is None or not isinstance(cte, exp.CTE) or select is query:
            return "its windows are not each in a CTE of the model"
        if not isinstance(select.args.get("from_"), exp.From):
            return f"CTE {cte.alias_or_name} reads no rows"
        relation = select.args["from_"].this
        if not (isinstance(relation, exp.Table) and not relation.db and relation.name in bodies):
            return f"CTE {cte.alias_or_name} reads no CTE of the model"
        for arg, what in _NOT_IN_A_WINDOW_SELECT:
            if select.args.get(arg):
                return f"CTE {cte.alias_or_name} has {what}"
        where = select.args.get("where")
        if where is not None and (
            where.find(exp.Select) is not None
            or where.find(exp.Window) is not None
            or where.find(exp.AggFunc) is not None
        ):
            return f"CTE {cte.alias_or_name} filters its rows by other rows"
        for agg in select.find_all(exp.AggFunc):
            if agg.find_ancestor(exp.Window) is None:
                return f"an aggregate ({agg.sql('duckdb')})"
        if any(s is not select for s in select.find_all(exp.Select)):
            return f"CTE {cte.alias_or_name} has a subquery"
        projected = _projected(select)
        for column in key:
            if projected.get(column) not in (("", column), (relation.alias_or_name, column)):
                return f"CTE {cte.alias_or_name} does not pass {column} through"
        for inner in select.find_all(exp.Window):
            parts = inner.args.get("partition_by") or []
            if not parts:
                return "a window over all rows"
            if not all(
                isinstance(p, exp.Column) and p.table in ("", relation.alias_or_name) for p in parts
            ):
                over = ", ".join(p.sql("duckdb") for p in parts)
                return f"a window over {over}, not over columns of {relation.name}"
            if not set(key) <= _partition_names(inner):
                partitions[tuple(p.name for p in parts)] = None
        window_ctes[cte.alias_or_name] = select
        bases.add(relation.name)
    if len(bases) != 1:
        return f"its windows read {len(bases)} CTEs ({', '.join(sorted(bases))}), not one"
    [base] = bases
    if base in window_ctes:
        return f"CTE {base} has windows of its own and is read by others"
    why = _row_wise(_relation_query(query, base), key)
    if why is not None:
        return f"CTE {base}, which its windows read: {why}"
    top = query.copy()
    top.set("with_", None)
    for arg, what in (*_NOT_IN_A_WINDOW_SELECT[1:], ("where", "WHERE")):
        if top.args.get(arg):
            return f"its final SELECT has {what}"
    source = top.args.get("from_")
    relation = source.this if isinstance(source, exp.From) else None
    if not (isinstance(relation, exp.Table) and not relation.db and relation.name == base):
        return f"its final SELECT does not read {base}"
    alias = relation.alias_or_name
    joined: set[str] = set()
    for join in top.args.get("joins") or []:
        other = join.this
        if not (isinstance(other, exp.Table) and not other.db and other.name in window_ctes):
            return f"its final SELECT joins {join.this.sql('duckdb')}, not a window's CTE"
        if join.side != "LEFT" or join.kind not in ("", "OUTER"):
            # an inner join drops the base rows a window's CTE filters out, and with them
            # the partition values the next build needs of the last build's rows
            kind = join.side or join.kind or "INNER"
            return f"its final SELECT joins {other.name} by {kind} JOIN, not LEFT JOIN"
        if not _joins_on_key(join, alias, other.alias_or_name, key):
            return f"its final SELECT joins {other.name} on more than {', '.join(key)}"
        joined.add(other.alias_or_name)
    if top.find(exp.Window) is not None or any(s is not top for s in top.find_all(exp.Select)):
        return "its final SELECT has windows or subqueries"
    aggregate = top.find(exp.AggFunc)
    if aggregate is not None:
        return f"an aggregate ({aggregate.sql('duckdb')})"
    projected = _projected(top)
    other_columns = {name for cte in window_ctes.values() for name in _projected(cte)}
    for column in dict.fromkeys((*key, LOAD_ID, *(c for p in partitions for c in p))):
        source_of = projected.get(column)
        if source_of not in ((alias, column), ("", column)) or (
            source_of == ("", column) and column in other_columns and joined
        ):
            return f"its final SELECT does not pass {column} through from {base}"
    why = _passes_through(top, key)
    if why is not None:
        return why
    return base, tuple(partitions)


def _projected(select: exp.Select) -> dict[str, tuple[str, str] | None]:
    """Each projection's name: (table, column) when it is a plain column, else None."""
    found: dict[str, tuple[str, str] | None] = {}
    for projection in select.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        found[projection.alias_or_name] = (
            (value.table, value.name) if isinstance(value, exp.Column) else None
        )
    return found


def _joins_on_key(join: exp.Join, left: str, right: str, key: Sequence[str]) -> bool:
    using = join.args.get("using")
    if using:
        return {u.name for u in using} == set(key)
    condition = join.args.get("on")
    if condition is None:
        return False
    pairs = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    matched: set[str] = set()
    for pair in pairs:
        if not (
            isinstance(pair, exp.EQ)
            and isinstance(pair.this, exp.Column)
            and isinstance(pair.expression, exp.Column)
            and pair.this.name == pair.expression.name
            and {pair.this.table, pair.expression.table} == {left, right}
        ):
            return False
        matched.add(pair.this.name)
    return matched == set(key)


def _relation_query(query: exp.Select, base: str) -> exp.Select:
    """WITH <the CTEs `base` reads, and base> SELECT * FROM base."""
    bodies = {cte.alias_or_name: cte for cte in query.ctes}
    needed: set[str] = set()
    stack = [base]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        for table in bodies[name].this.find_all(exp.Table):
            if not table.db and table.name in bodies:
                stack.append(table.name)
    select = exp.select(exp.Star()).from_(exp.Table(this=ident(base)))
    ctes = [cte.copy() for name, cte in bodies.items() if name in needed]
    select.set("with_", exp.With(expressions=ctes))
    return select


def _is_supersession(node: exp.Expr | None) -> bool:
    """source()'s own test of a row: NOT EXISTS among the superseded rows (layers.py)."""
    if not (isinstance(node, exp.Not) and isinstance(node.this, exp.Exists)):
        return False
    found = node.this.this
    source = found.args.get("from_") if isinstance(found, exp.Select) else None
    return (
        source is not None
        and isinstance(source.this, exp.Subquery)
        and source.this.alias_or_name == shared_names.SOURCE_SUPERSEDED_ALIAS
    )


def _source_selects(query: exp.Expr, alias: str) -> list[exp.Select]:
    """The SELECTs inside source() subqueries that read raw.<table> under `alias`."""
    found = []
    for table in query.find_all(exp.Table):
        if table.db == "raw" and table.alias_or_name == alias:
            select = table.find_ancestor(exp.Select)
            assert select is not None
            found.append(select)
    return found


def _without_supersession(query: exp.Query) -> exp.Query:
    """A copy in which each source() reads raw.<table> plainly (its test of later versions
    left out), for the checks of keyed_source: the test itself depends on the key alone."""
    plain = query.copy()
    for select in _source_selects(plain, LATEST_ALIAS):
        where = select.args.get("where")
        if where is not None and _is_supersession(where.this):
            select.set("where", None)
    return plain


def _null_key(key: Sequence[str], alias: str) -> exp.Expr:
    return exp.or_(*(exp.Is(this=col(k, alias), expression=exp.Null()) for k in key))


def same_values(columns: Sequence[str], alias: str, table: str, dialect: str) -> exp.Expr:
    """Rows (of `alias`) whose `columns` are a row of `table`; a value with a NULL in it
    stands for every such value (windows and source() group NULLs alike, so all of them
    are taken). One column is an IN (SELECT ...), which every engine hashes; on DuckDB an
    EXISTS with IS NOT DISTINCT FROM, the same rows: a semi join that its optimizer pushes
    down to the scan of the table, where the IN OR'ed with the NULL case was applied after
    every join (the supersession join of all 1M raw legs, 0.13 s of 0.27 s)."""
    values = exp.Table(this=ident(table), alias=exp.TableAlias(this=ident(KEY_ALIAS)))
    if len(columns) == 1 and dialect == "duckdb":
        [column] = columns
        null_safe = exp.NullSafeEQ(this=col(column, KEY_ALIAS), expression=col(column, alias))
        return exp.Exists(this=exp.select("1").from_(values.copy()).where(null_safe))
    if len(columns) == 1:
        [column] = columns
        listed: exp.Expr = exp.In(
            this=col(column, alias),
            query=exp.Subquery(this=exp.select(col(column, KEY_ALIAS)).from_(values.copy())),
        )
    else:
        same = exp.and_(
            *(exp.EQ(this=col(c, KEY_ALIAS), expression=col(c, alias)) for c in columns)
        )
        listed = exp.Exists(this=exp.select("1").from_(values.copy()).where(same))
    any_null = exp.Exists(
        this=exp.select("1").from_(values.copy()).where(_null_key(columns, KEY_ALIAS))
    )
    return exp.or_(
        exp.Paren(this=listed), exp.Paren(this=exp.and_(_null_key(columns, alias), any_null))
    )


Keyed = KeyedSource | PartitionedSource


def key_filter(source: Keyed, alias: str, table: str, dialect: str) -> exp.Expr:
    """Rows (of `alias`) whose key is in `table` (KEYS_TABLE: the keys of the loads)."""
    return same_values(source.key, alias, table, dialect)


def affected_keys(
    source: Keyed,
    old_table: exp.Table,
    added: Sequence[int],
    removed: Sequence[int],
    dialect: str,
) -> str:
    """The keys of the raw rows of added loads and of the last build's rows of removed loads."""
    parts: list[exp.Select] = []
    columns = [col(k) for k in source.key]
    if added:
        ids = [exp.Literal.number(i) for i in added]
        parts.append(
            exp.select(*columns)
            .from_(table_ref("raw", source.raw_table))
            .where(exp.In(this=col(LOAD_ID), expressions=ids))
        )
    if removed:
        ids = [exp.Literal.number(i) for i in removed]
        parts.append(
            exp.select(*[c.copy() for c in columns])
            .from_(old_table.copy())
            .where(exp.In(this=col(LOAD_ID), expressions=ids))
        )
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=True)
    if len(parts) == 1:
        query = parts[0].distinct()
    return query.sql(dialect)


def keyed_rows(source: Keyed, obj: BuildObject, table: str, dialect: str) -> exp.Query:
    """The object's query over the raw rows of the keys in `table` only."""
    query = obj.query.copy()
    _filter_sources(query, source, table, dialect)
    return query


def _filter_sources(query: exp.Expr, source: Keyed, table: str, dialect: str) -> None:
    # the rows source() yields and the ones it tests for later versions: both of the keys only
    for select in _source_selects(query, LATEST_ALIAS):
        select.where(key_filter(source, LATEST_ALIAS, table, dialect), copy=False)
    for select in _source_selects(query, OLDER_ALIAS):
        _superseded_from_keys(select, source.key, table)


def _superseded_from_keys(select: exp.Select, key: Sequence[str], table: str) -> None:
    """source()'s rows that a later version supersedes, of the keys in `table` only: the
    join of the raw table with itself starts from the keys (each engine builds its hash
    tables from them, not from every raw row; as filters on both sides, DuckDB applied one
    after a join of all 10M raw legs with themselves: 1.6 s of the 3.4 s of a 10M rewrite).
    A NULL key supersedes nothing (the self-join is on key equality), so the inner join on
    equality keeps every row that the filters kept (twice if a key were listed twice, which
    the NOT EXISTS that reads them does not count)."""
    source = select.args["from_"].this
    keys = exp.Table(this=ident(table), alias=exp.TableAlias(this=ident(REWRITTEN_KEY_ALIAS)))
    same_key = exp.and_(
        *(exp.EQ(this=col(k, OLDER_ALIAS), expression=col(k, REWRITTEN_KEY_ALIAS)) for k in key)
    )
    select.set("from_", exp.From(this=keys))
    select.set("joins", [exp.Join(this=source, on=same_key), *(select.args.get("joins") or [])])


# --- source tables rewritten by window partition (PartitionedSource) ------------------------------

KEY_ROWS_TABLE = "_mfl_key_rows"  # key and partition values of the loads' keys' rows, old and new
REWRITE_TABLE = "_mfl_rewrite"  # the keys whose rows are written again
REWRITE_ROWS_TABLE = "_mfl_rewrite_rows"  # their rows' key and partition values, old and new
READ_TABLE = "_mfl_read"  # the keys whose raw rows those are computed from
OLD_ALIAS = "_mfl_old"


def _old_rows(
    source: PartitionedSource, old_table: exp.Table, keys: str, dialect: str
) -> exp.Select:
    """Key and partition columns of the last build's rows of the keys in `keys`."""
    table = old_table.copy()
    table.set("alias", exp.TableAlias(this=ident(OLD_ALIAS)))
    return (
        exp.select(*(col(c, OLD_ALIAS) for c in source.columns))
        .from_(table)
        .where(key_filter(source, OLD_ALIAS, keys, dialect))
    )


def _sharing(
    source: PartitionedSource,
    old_table: exp.Table,
    rows: str,
    dialect: str,
    alias: str = OLD_ALIAS,
) -> exp.Select:
    """The last build's keys with a partition value of a row in `rows` (of any window)."""
    table = old_table.copy()
    table.set("alias", exp.TableAlias(this=ident(alias)))
    shared = exp.or_(*(same_values(p, alias, rows, dialect) for p in source.partitions))
    return exp.select(*(col(k, alias) for k in source.key)).from_(table).where(shared)


def key_rows(
    source: PartitionedSource, obj: BuildObject, old_table: exp.Table, dialect: str
) -> str:
    """KEY_ROWS_TABLE: the key and partition values of the loads' keys' base rows computed
    from their raw rows now, and of their rows in the last build."""
    model = obj.model_query or obj.query
    assert isinstance(model, exp.Select)
    base = _relation_query(model, source.base)
    base.set("expressions", [col(c) for c in source.columns])
    _filter_sources(base, source, KEYS_TABLE, dialect)
    old_rows = _old_rows(source, old_table, KEYS_TABLE, dialect)
    # the model's own CTEs: rewritten for the dialect as the model's statement is
    return adapt(exp.union(base, old_rows, distinct=False), dialect).sql(dialect)


def rewrite_rows_query(
    source: PartitionedSource,
    old_table: exp.Table,
    dialect: str,
    day_keys: Sequence[DayKey] | None = None,
) -> list[tuple[str, str]]:
    """REWRITE_ROWS_TABLE: the key and partition values of every row that can change, old and
    new: the last build's rows sharing a partition with a row of the loads' keys (old or new;
    a key's old row shares its own), and those keys' rows (a key not among the loads' has the
    same rows in both builds). One scan of the last build's table gives the keys and their rows.

    With `day_keys` (the engines that rewrite only the changed keys) the same scan hashes
    those old rows into OLD_HASHES_TABLE (see row_hashes): they are the rows of the keys to
    rewrite, and a second scan of the table at full width read them again."""
    new = exp.select(*(col(c) for c in source.columns)).from_(exp.Table(this=ident(KEY_ROWS_TABLE)))
    if day_keys is None:
        sharing = _sharing(source, old_table, KEY_ROWS_TABLE, dialect)
        sharing.set("expressions", [col(c, OLD_ALIAS) for c in source.columns])
        return [(REWRITE_ROWS_TABLE, exp.union(sharing, new, distinct=False).sql(dialect))]
    hashed = _sharing(source, old_table, KEY_ROWS_TABLE, dialect, ROW_ALIAS)
    partitions = [p for p in source.columns if p not in source.key]
    hashed.set(
        "expressions",
        [
            *(col(c, ROW_ALIAS) for c in (*source.key, *partitions)),
            *(exp.alias_(_row_day(k), day_column(i)) for i, k in enumerate(day_keys)),
            exp.alias_(row_hash(ROW_ALIAS, dialect), HASH_COLUMN),
        ],
    )
    old = exp.select(*(col(c) for c in source.columns)).from_(
        exp.Table(this=ident(OLD_HASHES_TABLE))
    )
    return [
        (OLD_HASHES_TABLE, hashed.sql(dialect)),
        (REWRITE_ROWS_TABLE, exp.union(old, new, distinct=False).sql(dialect)),
    ]


def rewrite_keys_query(source: PartitionedSource, dialect: str) -> str:
    """REWRITE_TABLE: the loads' keys and the keys of REWRITE_ROWS_TABLE: every key whose row
    can change."""
    keys = exp.select(*(col(k) for k in source.key)).from_(exp.Table(this=ident(KEYS_TABLE)))
    rows = exp.select(*(col(k) for k in source.key)).from_(
        exp.Table(this=ident(REWRITE_ROWS_TABLE))
    )
    return exp.union(keys, rows, distinct=True).sql(dialect)


def read_keys_query(source: PartitionedSource, old_table: exp.Table, dialect: str) -> str:
    """READ_TABLE: the keys whose rows the rewritten rows' partitions hold (theirs too)."""
    keys = exp.select(*(col(k) for k in source.key)).from_(exp.Table(this=ident(REWRITE_TABLE)))
    sharing = _sharing(source, old_table, REWRITE_ROWS_TABLE, dialect)
    return exp.union(keys, sharing, distinct=True).sql(dialect)


def partition_steps(
    source: PartitionedSource,
    obj: BuildObject,
    dialect: str,
    day_keys: Sequence[DayKey] | None = None,
) -> tuple[tuple[str, str], ...]:
    """(temp table, query) in order: the keys a PartitionedSource rewrites and reads; with
    `day_keys`, the last build's rows of the keys to rewrite hashed too (OLD_HASHES_TABLE)."""
    old = table_ref(obj.schema, obj.name)
    return (
        (KEY_ROWS_TABLE, key_rows(source, obj, old, dialect)),
        *rewrite_rows_query(source, old, dialect, day_keys),
        (REWRITE_TABLE, rewrite_keys_query(source, dialect)),
        (READ_TABLE, read_keys_query(source, old, dialect)),
    )


NEW_ROWS_TABLE = "_mfl_new_rows"  # the rows of the keys to rewrite, computed again
CHANGED_TABLE = "_mfl_changed"  # of those keys, the ones whose rows differ from the last build's


def _keys_read_and_rewritten(source: Keyed) -> tuple[str, str]:
    if isinstance(source, PartitionedSource):
        return REWRITE_TABLE, READ_TABLE
    return KEYS_TABLE, KEYS_TABLE


def recomputed_rows(
    source: Keyed, obj: BuildObject, dialect: str, schema_names: Mapping[str, str] | None = None
) -> exp.Select:
    """The rows of the keys to rewrite, computed again: a KeyedSource's keys in KEYS_TABLE
    from their own raw rows; a PartitionedSource's in REWRITE_TABLE, from the raw rows of the
    keys in READ_TABLE."""
    names = dict(schema_names or {})
    rewrite, read = _keys_read_and_rewritten(source)
    query = keyed_rows(source, obj, read, dialect)
    query = rename_schemas(query, names) if names else query
    only = key_filter(source, INSERT_ALIAS, rewrite, dialect) if read != rewrite else None
    return rows_from(query, only)


OLD_HASHES_TABLE = "_mfl_old_hashes"  # the last build's rows of the keys to rewrite, hashed
NEW_HASHES_TABLE = "_mfl_new_hashes"  # NEW_ROWS_TABLE's rows, hashed
HASH_COLUMN = "_mfl_hash"


def day_column(index: int) -> str:
    """The column of a hashes table that holds a row's day of the index-th day key."""
    return f"_mfl_day_{index}"


def _row_day(key: DayKey) -> exp.Expr:
    return exp.cast(
        period_start(Grain.DAY, col(key.time_column, ROW_ALIAS), "monday"),
        exp.DataType.Type.DATE,
    )


def row_hashes(
    source: Keyed, obj: BuildObject, day_keys: Sequence[DayKey], dialect: str
) -> list[tuple[str, str]]:
    """OLD_HASHES_TABLE and NEW_HASHES_TABLE: of each row, its key, its day of every day key
    and its hash; of the last build's rows of the keys to rewrite, and of NEW_ROWS_TABLE. A
    PartitionedSource's old rows are hashed by partition_steps, in the scan that finds them.

    The last build's rows are read once, whole (a hash reads every column): which keys changed
    and the fingerprints of their days, removed and written, are then sums over these narrow
    tables. Hashing the changed keys' rows again in the table before and after the rewrite
    read every column of the table twice more."""
    rewrite, _ = _keys_read_and_rewritten(source)

    def hashed(table: exp.Table, where: exp.Expr | None) -> str:
        select = exp.select(
            *(col(k, ROW_ALIAS) for k in source.key),
            *(exp.alias_(_row_day(k), day_column(i)) for i, k in enumerate(day_keys)),
            exp.alias_(row_hash(ROW_ALIAS, dialect), HASH_COLUMN),
        ).from_(table)
        return (select.where(where, copy=False) if where is not None else select).sql(dialect)

    new_rows = exp.Table(this=ident(NEW_ROWS_TABLE), alias=exp.TableAlias(this=ident(ROW_ALIAS)))
    if isinstance(source, PartitionedSource):
        return [(NEW_HASHES_TABLE, hashed(new_rows, None))]
    return [
        (
            OLD_HASHES_TABLE,
            hashed(
                table_ref(obj.schema, obj.name, ROW_ALIAS),
                key_filter(source, ROW_ALIAS, rewrite, dialect),
            ),
        ),
        (NEW_HASHES_TABLE, hashed(new_rows, None)),
    ]


def changed_keys(source: Keyed, dialect: str) -> str:
    """CHANGED_TABLE: the keys whose rows in NEW_ROWS_TABLE differ from the last build's (a
    row count or a sum of row hashes per key, from row_hashes' tables), so that a key
    recomputed to the same rows (a leg of a customer who called again, but not within its
    window's reach) is not written again: the fewer rows deleted, the less DuckDB rewrites of
    a table's row groups."""
    keys = [col(k) for k in source.key]

    def per_key(table: str, sign: int) -> exp.Select:
        count: exp.Expr = exp.Count(this=exp.Star())
        summed: exp.Expr = exp.Sum(this=col(HASH_COLUMN))
        if sign < 0:
            count, summed = exp.Neg(this=count), exp.Neg(this=summed)
        return (
            exp.select(
                *(k.copy() for k in keys),
                exp.alias_(count, "row_count"),
                exp.alias_(summed, "fingerprint"),
            )
            .from_(exp.Table(this=ident(table)))
            .group_by(*(k.copy() for k in keys))
        )

    both = exp.union(per_key(OLD_HASHES_TABLE, -1), per_key(NEW_HASHES_TABLE, 1), distinct=False)
    differs = exp.or_(
        exp.NEQ(this=exp.Sum(this=col("row_count")), expression=exp.Literal.number(0)),
        exp.NEQ(this=exp.Sum(this=col("fingerprint")), expression=exp.Literal.number(0)),
    )
    return (
        exp.select(*keys)
        .from_(exp.Subquery(this=both, alias=exp.TableAlias(this=ident("_k"))))
        .group_by(*(k.copy() for k in keys))
        .having(differs)
        .sql(dialect)
    )


def hashed_fingerprint(
    source: Keyed,
    name: str,
    hashes: str,
    dialect: str,
    key: tuple[int, DayKey] | None = None,
    negated: bool = False,
) -> exp.Select:
    """The fingerprints of the changed keys' rows from a row_hashes table: as
    table_fingerprint's (key None) or day_fingerprint's (the index-th day key) of the same rows."""
    select = exp.select(exp.alias_(exp.Literal.string(name), "src_table"))
    if key is not None:
        index, day_key = key
        select = select.select(
            exp.alias_(exp.Literal.string(day_key.time_column), "time_column"),
            exp.alias_(col(day_column(index), ROW_ALIAS), "day"),
            copy=False,
        )
    select = select.from_(
        exp.Table(this=ident(hashes), alias=exp.TableAlias(this=ident(ROW_ALIAS)))
    )
    select = select.select(
        exp.alias_(exp.Count(this=exp.Star()), "row_count"),
        exp.alias_(exp.Sum(this=col(HASH_COLUMN, ROW_ALIAS)), "fingerprint"),
        copy=False,
    ).where(key_filter(source, ROW_ALIAS, CHANGED_TABLE, dialect), copy=False)
    select = _negated(select) if negated else select
    return select.group_by(col(day_column(key[0]), ROW_ALIAS)) if key is not None else select


def rewrite_keys(
    source: Keyed,
    obj: BuildObject,
    dialect: str,
    schema_names: Mapping[str, str] | None = None,
) -> list[str]:
    """DuckDB (in place): DELETE the rows of the keys in CHANGED_TABLE, INSERT theirs from
    NEW_ROWS_TABLE; PostgreSQL (schema_names): copy the other rows into the new schema,
    INSERT the changed keys'; Spark: the other rows UNION ALL the recomputed ones, in one new
    table (written whole anyway: no changed keys)."""
    names = dict(schema_names or {})
    target = table_ref(names.get(obj.schema, obj.schema), obj.name)
    qualified = obj.name  # the rows of the last build, by the table's name
    if dialect == "spark":
        rewrite, _ = _keys_read_and_rewritten(source)
        kept = kept_rows(obj, key_filter(source, qualified, rewrite, dialect))
        rows = recomputed_rows(source, obj, dialect, names)
        return [rewritten_table(obj, kept, rows, dialect, names)]
    changed = key_filter(source, qualified, CHANGED_TABLE, dialect)
    if names:
        statements = copy_table(obj, names[obj.schema], dialect, changed)
    else:
        statements = [exp.Delete(this=target.copy(), where=exp.Where(this=changed)).sql(dialect)]
    written = (
        exp.select(exp.Star())
        .from_(exp.Table(this=ident(NEW_ROWS_TABLE), alias=exp.TableAlias(this=ident(ROW_ALIAS))))
        .where(key_filter(source, ROW_ALIAS, CHANGED_TABLE, dialect))
    )
    statements.append(exp.Insert(this=target, expression=written).sql(dialect))
    return statements
