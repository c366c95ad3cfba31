"""The incremental build on DuckDB: rewrite the changed days, keep the rest of the last build.

Runs inside DuckDBWarehouse.build_in_copy, on the copy of the warehouse that replaces the file
when the build has succeeded; see compile/incremental.py for why the result equals a full build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from metricflow_lite.compile import incremental as inc
from metricflow_lite.compile import names
from metricflow_lite.compile.build import SCHEMAS, BuildObject, statements_for
from metricflow_lite.compile.plan import IndicatorTable
from metricflow_lite.warehouse.base import Statement
from metricflow_lite.warehouse.duckdb import DuckDBBuildSession

NEW_DAYS = "_mfl_new_days"
NEW_TABLES = "_mfl_new_tables"


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build rewrote."""

    full: bool  # every object from scratch (first build, --full-refresh)
    days_total: int = 0  # local days in the source tables
    days_rebuilt: int = 0  # of them, days whose rows changed
    tables_by_day: int = 0  # indicator tables rewritten for those days only
    tables_in_full: int = 0  # indicator tables rebuilt whole (their SQL or dimensions changed)
    tables_unchanged: int = 0

    def describe(self) -> str:
        if self.full:
            return "full build"
        text = (
            f"rebuilt {self.days_rebuilt} of {self.days_total} days"
            f" in {self.tables_by_day} indicator tables"
        )
        if self.tables_in_full:
            text += f", {self.tables_in_full} rebuilt in full"
        return text


def build(
    session: DuckDBBuildSession,
    objects: Sequence[BuildObject],
    tables: Sequence[IndicatorTable],
    week_start: str,
    full_refresh: bool,
    on_statement: Callable[[Statement], None] | None = None,
) -> BuildSummary:
    """Build into the session's copy, incrementally when its manifest allows."""
    hashes = {
        o.qualified_name: inc.sql_hash(s.sql for s in statements_for([o], "duckdb"))
        for o in objects
    }
    [[found]] = session.fetch(inc.HAS_MANIFEST)
    keys = inc.day_keys(tables)
    src_tables = [o.name for o in objects if o.schema == "src"]
    if full_refresh or not found:
        session.replace_schemas(SCHEMAS)
        session.run(statements_for(objects, "duckdb"), on_statement)
        write_manifest(session, hashes, src_tables, keys, fresh=True)
        return BuildSummary(full=True)
    old_hashes = dict(session.fetch(f"SELECT name, sql_hash FROM {inc.MANIFEST_SCHEMA}.objects"))
    drop_stale(session, objects)

    def rebuild(obj: BuildObject) -> None:
        session.run(
            statements_for([replace(obj, comment="", column_comments=())], "duckdb", replace=True),
            on_statement,
        )

    old_loads = {
        str(t): (r, f)
        for t, r, f in session.fetch(
            f"SELECT * FROM {inc.MANIFEST_SCHEMA}.raw_loads"
            if session.fetch(inc.HAS_OLD_RAW_LOADS)[0][0]
            else inc.NO_RAW_LOADS
        )
    }
    new_loads = raw_loads(session)
    rebuilt_src: set[str] = set()
    for obj in (o for o in objects if o.schema == "src"):
        raw = inc.source_tables(obj, "raw")
        if (
            old_hashes.get(obj.qualified_name) == hashes[obj.qualified_name]
            and all(t in old_loads and old_loads[t] == new_loads.get(t) for t in raw)
            and not set(inc.source_tables(obj)) & rebuilt_src
        ):
            continue  # the same SQL over the same raw rows: the same table
        rebuild(obj)
        rebuilt_src.add(obj.name)
    # fingerprints of the new source rows, against the manifest's of the last build
    session.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEW_TABLES} AS "
        + (inc.table_fingerprints(src_tables) if src_tables else inc.NO_TABLES)
    )
    if keys:
        session.execute(f"CREATE OR REPLACE TEMP TABLE {NEW_DAYS} AS " + inc.day_fingerprints(keys))
        changed_rows = session.fetch(inc.changed_days_sql(NEW_DAYS))
        known = {
            inc.DayKey(t, c)
            for t, c in session.fetch(
                f"SELECT DISTINCT src_table, time_column FROM {inc.MANIFEST_SCHEMA}.days"
            )
        }
        [[total]] = session.fetch(f"SELECT count(DISTINCT day) FROM {NEW_DAYS}")
    else:
        changed_rows, known, total = [], set(), 0
    changed: dict[inc.DayKey, list[dt.date | None]] = {k: [] for k in keys}
    for src_table, time_column, day in changed_rows:
        changed[inc.DayKey(src_table, time_column)].append(day)
    changed_tables = {
        str(name)
        for (name,) in session.fetch(
            f"SELECT coalesce(n.src_table, o.src_table) FROM {NEW_TABLES} AS n"
            f" FULL OUTER JOIN {inc.MANIFEST_SCHEMA}.tables AS o ON n.src_table = o.src_table"
            " WHERE n.row_count IS DISTINCT FROM o.row_count"
            " OR n.fingerprint IS DISTINCT FROM o.fingerprint"
        )
    }
    meta = {t.name: t for t in tables}
    touched = {f"src.{name}" for name in changed_tables}  # objects whose rows changed
    rebuilt_in_full: set[str] = set()
    by_day = in_full = unchanged = 0
    for obj in objects:
        if obj.schema == "src":
            continue
        if obj.kind == "VIEW":
            rebuild(obj)
            continue
        table = meta.get(obj.name) if obj.schema == "ind" else None
        reads = {f"src.{n}" for n in inc.source_tables(obj)} | {
            f"ind.{n}" for n in inc.source_tables(obj, "ind")
        }
        main = (
            f"ind.{names.day_table(table.model)}"
            if table is not None and table.declared
            else (f"src.{table.model}" if table is not None else "")
        )
        same_sql = old_hashes.get(obj.qualified_name) == hashes[obj.qualified_name]
        if same_sql and not (reads & touched):
            unchanged += 1
            continue
        if (
            table is None
            or not same_sql
            or table.grain not in inc.DAY_OR_COARSER
            or not table.time_columns
            or (reads - {main}) & touched
            or main in rebuilt_in_full
            or any(inc.DayKey(table.model, c) not in known for c in table.time_columns)
        ):
            rebuild(obj)
            touched.add(obj.qualified_name)
            rebuilt_in_full.add(obj.qualified_name)
            in_full += 1
            continue
        days = {c: changed[inc.DayKey(table.model, c)] for c in table.time_columns}
        if not all(days.values()):
            unchanged += 1  # no period of it holds a changed day of every time column
            continue
        session.run(
            [
                Statement(
                    inc.delete_periods(obj, inc.period_filter(table, days, None, week_start)),
                    obj.what,
                    obj.layer,
                ),
                Statement(
                    inc.insert_periods(
                        obj, inc.period_filter(table, days, inc.INSERT_ALIAS, week_start)
                    ),
                    obj.what,
                    obj.layer,
                ),
            ],
            on_statement,
        )
        touched.add(obj.qualified_name)
        by_day += 1
    comments = [s for s in statements_for(objects, "duckdb") if s.sql.upper().startswith("COMMENT")]
    session.run(comments)
    write_manifest(session, hashes, src_tables, keys, fresh=False)
    days_rebuilt = len({day for _, _, day in changed_rows})
    return BuildSummary(
        full=False,
        days_total=int(total),
        days_rebuilt=days_rebuilt,
        tables_by_day=by_day,
        tables_in_full=in_full,
        tables_unchanged=unchanged,
    )


def raw_loads(session: DuckDBBuildSession) -> dict[str, tuple[int, int]]:
    if not session.fetch(inc.HAS_RAW_LOADS)[0][0]:
        return {}
    return {str(t): (int(r), int(f)) for t, r, f in session.fetch(inc.RAW_LOADS)}


def drop_stale(session: DuckDBBuildSession, objects: Sequence[BuildObject]) -> None:
    """Drop the objects of the last build that this build no longer has."""
    wanted = {(o.schema, o.name) for o in objects}
    rows = session.fetch(
        "SELECT schema_name, view_name, 'VIEW' FROM duckdb_views()"
        " WHERE database_name = current_database() AND NOT internal"
        " UNION ALL SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables()"
        " WHERE database_name = current_database()"
    )
    for schema, name, kind in rows:
        if schema in SCHEMAS and (schema, name) not in wanted:
            session.execute(f'DROP {kind} IF EXISTS "{schema}"."{name}" CASCADE')


def write_manifest(
    session: DuckDBBuildSession,
    hashes: dict[str, str],
    src_tables: Sequence[str],
    keys: Sequence[inc.DayKey],
    fresh: bool,
) -> None:
    """The manifest of this build, for the next one."""
    if fresh and src_tables:
        session.execute(
            f"CREATE OR REPLACE TEMP TABLE {NEW_TABLES} AS " + inc.table_fingerprints(src_tables)
        )
        if keys:
            session.execute(
                f"CREATE OR REPLACE TEMP TABLE {NEW_DAYS} AS " + inc.day_fingerprints(keys)
            )
    for ddl in inc.MANIFEST_DDL:
        session.execute(ddl)
    session.execute(inc.RAW_LOADS_DDL)
    if session.fetch(inc.HAS_RAW_LOADS)[0][0]:
        session.execute(f"INSERT INTO {inc.MANIFEST_SCHEMA}.raw_loads {inc.RAW_LOADS}")
    if hashes:
        session.execute(inc.insert_hashes(hashes))
    if src_tables:
        session.execute(f"INSERT INTO {inc.MANIFEST_SCHEMA}.tables SELECT * FROM {NEW_TABLES}")
    if keys:
        session.execute(f"INSERT INTO {inc.MANIFEST_SCHEMA}.days SELECT * FROM {NEW_DAYS}")
    session.clock.lap("manifest")
