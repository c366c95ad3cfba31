"""The incremental build: rewrite the changed days, keep the rest of the last build.

DuckDB runs it inside DuckDBWarehouse.build_in_copy, on the copy of the warehouse that replaces
the file when the build has succeeded: what is kept stays in place. PostgreSQL runs it inside
PostgresWarehouse.build_staged, in one transaction that writes the `__next` schemas and swaps
them in: what is kept is copied from the live build. Spark runs it inside
SparkWarehouse.build_staged, which writes the `__staging` databases (the manifest's too) into a
new build folder and commits by renaming build.json over the last one: what is kept is the
last build's Parquet folder, shared (no build writes a folder again), and a table rewritten for
some periods or keys is written whole from its kept and new rows.
See compile/incremental.py for why the result equals a full build.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

import sqlglot
from sqlglot import exp

from metricflow_lite.compile import incremental as inc
from metricflow_lite.compile import names
from metricflow_lite.compile.build import (
    SCHEMAS,
    BuildObject,
    comment_statements,
    statements_for,
)
from metricflow_lite.compile.dialects import render
from metricflow_lite.compile.plan import IndicatorTable
from metricflow_lite.compile.sqlgen import col, table_ref
from metricflow_lite.warehouse.base import LayerClock, Statement

NEW_DAYS = "_mfl_new_days"
NEW_TABLES = "_mfl_new_tables"
NEW_VERSIONS = "_mfl_new_versions"


class BuildSession(Protocol):
    """Where a build runs: DuckDB's copy of the warehouse, PostgreSQL's transaction, or
    Spark's staging databases."""

    clock: LayerClock
    current: str

    def execute(self, sql: str, what: str = "", layer: str = "") -> None: ...

    def fetch(self, sql: str) -> list[tuple[Any, ...]]: ...

    def has_table(self, schema: str, name: str) -> bool: ...

    def columns(self, schema: str, name: str) -> tuple[str, ...]: ...

    def run(
        self,
        statements: Sequence[Statement],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> None: ...


@runtime_checkable
class SharingSession(BuildSession, Protocol):
    """A session whose new build can hold a kept table of the last build as it is, without
    copying its rows (Spark: the same Parquet folder, which no build ever writes again)."""

    def share_table(self, schema: str, name: str, into: str, what: str) -> bool:
        """The last build's <schema>.<name> as <into>.<name>; False: it cannot, copy it."""
        ...


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build rewrote."""

    full: bool  # every object from scratch (first build, --full-refresh)
    days_total: int = 0  # local days in the source tables
    days_rebuilt: int = 0  # of them, days whose rows changed
    days_emptied: int = 0  # days rewritten because no row is left on them (not in days_total)
    tables_by_day: int = 0  # indicator tables rewritten for those days only
    tables_in_full: int = 0  # indicator tables rebuilt whole (their SQL or dimensions changed)
    tables_unchanged: int = 0
    # source tables written again: (name, KeysRewritten.summary | "in full (why)")
    sources: tuple[tuple[str, str], ...] = ()

    UNCHANGED = ": no rows changed since the last build"

    def describe(self) -> str:
        if self.full:
            return "full build"
        text = f"rebuilt {self.days_rebuilt} of {self.days_total} days"
        if self.days_emptied:
            text += f" (and {self.days_emptied} whose rows are gone)"
        text += f" in {self.tables_by_day} indicator tables"
        if self.tables_in_full:
            text += f", {self.tables_in_full} rebuilt in full"
        if self.sources:
            text += "; source tables: " + ", ".join(f"{n} {how}" for n, how in self.sources)
        elif not (
            self.days_rebuilt or self.days_emptied or self.tables_by_day or self.tables_in_full
        ):
            # said outright: "0 of 93 days in 0 indicator tables" read like a build that failed
            text += self.UNCHANGED
        return text


@dataclass(frozen=True, slots=True)
class Layout:
    """Where this build writes: in place (DuckDB's copy) or beside the live build (suffix)."""

    dialect: str = "duckdb"
    suffix: str = ""  # "__next": the layers and the manifest go to src__next, ..., _mfl__next

    def schema(self, schema: str) -> str:
        return schema + self.suffix

    @property
    def names(self) -> dict[str, str]:
        return {s: s + self.suffix for s in SCHEMAS} if self.suffix else {}

    def temp_table(self, name: str, query: str) -> list[str]:
        """The statements that hold a query's rows under a name for the rest of the build."""
        if self.dialect == "postgres":
            return [
                f"DROP TABLE IF EXISTS pg_temp.{name}",
                f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}",
            ]
        if self.dialect == "spark":
            # a view held at once: computed one time, as a temporary table would be (the
            # Spark session checkpoints it at CACHE TABLE: SparkBuildSession.hold)
            view = exp.Table(this=exp.to_identifier(name))
            create = exp.Create(
                this=view.copy(),
                kind="VIEW",
                replace=True,
                expression=sqlglot.parse_one(query, read="spark"),
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            )
            return [
                exp.Uncache(this=view, exists=True).sql("spark"),
                create.sql("spark"),
                exp.Cache(this=view.copy()).sql("spark"),
            ]
        return [f"CREATE OR REPLACE TEMP TABLE {name} AS {query}"]

    def make_temp_table(self, session: BuildSession, name: str, query: str) -> None:
        for statement in self.temp_table(name, query):
            session.execute(statement)


def build(
    session: BuildSession,
    objects: Sequence[BuildObject],
    tables: Sequence[IndicatorTable],
    histories: Sequence[inc.History],
    week_start: str,
    full_refresh: bool,
    on_statement: Callable[[Statement], None] | None = None,
    layout: Layout = Layout(),
    natural_keys: Mapping[str, tuple[str, ...]] | None = None,
    rendered: Mapping[str, Sequence[Statement]] | None = None,
    definitions: str | None = None,
) -> BuildSummary:
    """Build into the session, incrementally when the last build's manifest allows.
    `rendered`: each object's statements in the dialect, when the caller has them already;
    `definitions`: the checksum of what they were compiled from, kept in the manifest."""
    dialect = layout.dialect
    # each object's statements, rendered once: hashed, then run if the object is written
    if rendered is None:
        rendered = {o.qualified_name: statements_for([o], dialect) for o in objects}
    hashes = object_hashes(rendered)
    manifest_hashes = {**hashes, names.DEFINITIONS_ROW: definitions} if definitions else hashes
    keys = inc.day_keys(tables)
    src_tables = [o.name for o in objects if o.schema == "src"]
    histories = [h for h in histories if h.src_table in src_tables]
    found = sum(session.has_table(inc.MANIFEST_SCHEMA, t) for t in inc.MANIFEST_TABLES)
    if full_refresh or found < len(inc.MANIFEST_TABLES):
        if not layout.suffix:
            session.current = "dropping the previous build"
            for schema in SCHEMAS:
                session.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                session.execute(f'CREATE SCHEMA "{schema}"')
            if dialect == "duckdb":
                # DuckDB reuses the blocks of dropped tables only once a checkpoint has freed
                # them: without it the new tables were appended, and every other full build
                # left the file a third larger (3.1 GB against 2.2 GB at 10M legs), which each
                # later build copies
                session.execute("CHECKPOINT")
            session.clock.lap("drop")
        statements = (
            statements_for(objects, dialect, layout.names)
            if layout.names
            else [s for o in objects for s in rendered[o.qualified_name]]
        )
        session.run(statements, on_statement)
        fingerprint(session, layout, src_tables, keys, histories)
        write_manifest(session, layout, manifest_hashes, src_tables, keys, histories)
        return BuildSummary(full=True)
    old_hashes = built_hashes(session.fetch(hashes_query(dialect)))
    if not layout.suffix:
        drop_stale(session, objects)

    redefined = inc.redefined_objects(objects, hashes, old_hashes)

    def create(obj: BuildObject) -> None:
        if layout.suffix:
            plain = replace(obj, comment="", column_comments=())
            session.run(statements_for([plain], dialect, layout.names), on_statement)
            return
        # the statement already rendered, over the last build's object (in the build's copy),
        # which may be of the other kind: a source model that became a view, or a table again
        kind = obj.kind
        if old_hashes.get(obj.qualified_name) != hashes[obj.qualified_name]:
            found = session.fetch(inc.table_type(obj.schema, obj.name, dialect))
            kind = "VIEW" if found and found[0][0] == "VIEW" else "TABLE" if found else kind
        drop = exp.Drop(tables=[table_ref(obj.schema, obj.name)], kind=kind, exists=True)
        [written, *_] = rendered[obj.qualified_name]  # its comments are written at the end
        session.run([Statement(drop.sql(dialect), obj.what, obj.layer), written], on_statement)

    def keep(obj: BuildObject) -> None:
        if obj.kind == "VIEW":
            # a view holds no rows; DuckDB's copy keeps one whose definition is unchanged (it
            # binds its tables when read), a new schema gets all of them written again
            if layout.suffix or obj.qualified_name in redefined:
                create(obj)
        elif layout.suffix:
            into = layout.schema(obj.schema)
            if isinstance(session, SharingSession) and session.share_table(
                obj.schema, obj.name, into, obj.what
            ):
                return
            copied = inc.copy_table(obj, into, dialect)
            session.run([Statement(s, obj.what, obj.layer) for s in copied], on_statement)

    old_loads = {
        str(t): (int(r), int(f))
        for t, r, f in session.fetch(
            manifest_rows("raw_loads", dialect, "table_name", "row_count", "fingerprint")
        )
    }
    new_loads = raw_loads(session, dialect)
    old_files = loads_of(session, manifest_rows("loads", dialect, "table_name", "load_id", "file"))
    new_files = loads_of(session, inc.loads_query().sql(dialect) if new_loads else "")
    known_keys = exp.select(col("src_table"), col("time_column")).distinct()
    known = {
        inc.DayKey(t, c)
        for t, c in session.fetch(
            known_keys.from_(table_ref(inc.MANIFEST_SCHEMA, "days")).sql(dialect)
        )
    }
    rebuilt_src: set[str] = set()
    sources: list[tuple[str, str]] = []
    # the source tables whose new fingerprints are the manifest's and what changed in them
    reused: dict[str, Deltas] = {}
    for obj in (o for o in objects if o.schema == "src"):
        raw = obj.reads("raw")
        same_sql = old_hashes.get(obj.qualified_name) == hashes[obj.qualified_name]
        day_keys = [k for k in keys if k.src_table == obj.name]
        # a table whose every day key the manifest holds (an empty table's none: computed)
        has_days = all(k in known for k in day_keys)
        upstream_rebuilt = bool(set(obj.reads("src")) & rebuilt_src)
        if obj.kind == "VIEW":
            # a view of other source tables holds no rows: it changed when they did, and its
            # fingerprints tell the days
            keep(obj)
            if not same_sql or upstream_rebuilt:
                rebuilt_src.add(obj.name)
            elif has_days:
                reused[obj.name] = Deltas()
            continue
        if same_sql and not upstream_rebuilt:
            if all(t in old_loads and old_loads[t] == new_loads.get(t) for t in raw):
                keep(obj)  # the same SQL over the same raw rows: the same table
                if has_days:
                    reused[obj.name] = Deltas()
                continue
            how = by_key(
                session,
                layout,
                obj,
                natural_keys or {},
                old_files,
                new_files,
                day_keys if has_days else None,
                len(reused),
            )
            if isinstance(how, KeysRewritten):
                sources.append((obj.name, how.summary))
                rebuilt_src.add(obj.name)
                if how.deltas is not None:
                    reused[obj.name] = how.deltas
                continue
            sources.append((obj.name, f"in full ({how})"))
        elif not same_sql:
            sources.append((obj.name, "in full (its SQL changed)"))
        create(obj)
        rebuilt_src.add(obj.name)
    # fingerprints of the new source rows, against the manifest's of the last build
    fingerprint(session, layout, src_tables, keys, histories, reused)
    if keys:
        changed_rows = session.fetch(inc.changed_days_sql(NEW_DAYS, dialect))
        distinct_days = exp.select(col("day")).distinct()
        distinct_days = distinct_days.from_(exp.Table(this=exp.to_identifier(NEW_DAYS)))
        days_now = {day for (day,) in session.fetch(distinct_days.sql(dialect))} - {None}
    else:
        changed_rows, days_now = [], set()
    changed: dict[inc.DayKey, set[dt.date | None]] = {k: set() for k in keys}
    for src_table, time_column, day in changed_rows:
        # the manifest's days of a model removed (or a time column no longer read) since the
        # last build: no table of this build reads them
        if (key := inc.DayKey(src_table, time_column)) in changed:
            changed[key].add(day)
    changed_tables = {
        str(name) for (name,) in session.fetch(inc.changed_tables_sql(NEW_TABLES, dialect))
    }
    history_names = {h.src_table for h in histories}
    meta = {t.name: t for t in tables}
    touched = {f"src.{name}" for name in changed_tables}  # objects whose rows changed
    rebuilt_in_full: set[str] = set()
    rewritten: dict[str, dict[str, set[dt.date | None]]] = {}  # the days each rewrote
    days_done: set[dt.date | None] = set()
    by_day = in_full = unchanged = 0
    for obj in objects:
        if obj.schema == "src":
            continue
        if obj.kind == "VIEW":
            keep(obj)
            continue
        table = meta.get(obj.name) if obj.schema == "ind" else None
        reads = {f"{db}.{name}" for db, name in obj.tables_read if db in ("src", "ind")}
        main = (
            f"ind.{names.day_table(table.model)}"
            if table is not None and table.declared
            else (f"src.{table.model}" if table is not None else "")
        )
        same_sql = old_hashes.get(obj.qualified_name) == hashes[obj.qualified_name]
        if same_sql and not (reads & touched):
            keep(obj)
            unchanged += 1
            continue
        days = (
            None
            if table is None
            or not same_sql
            or table.grain not in inc.DAY_OR_COARSER
            or not table.time_columns
            or main in rebuilt_in_full
            or any(inc.DayKey(table.model, c) not in known for c in table.time_columns)
            else days_to_rewrite(
                session,
                dialect,
                obj,
                table,
                {c: changed[inc.DayKey(table.model, c)] for c in table.time_columns},
                (reads - {main}) & touched,
                history_names,
                rewritten.get(main) if main in touched else None,
            )
        )
        if days is None:
            create(obj)
            touched.add(obj.qualified_name)
            rebuilt_in_full.add(obj.qualified_name)
            in_full += 1
            continue
        if not all(days.values()):
            keep(obj)  # no period of it holds a changed day of every time column
            unchanged += 1
            continue
        assert table is not None
        rewrite_periods(session, layout, obj, table, days, week_start, on_statement)
        touched.add(obj.qualified_name)
        rewritten[obj.qualified_name] = days
        for found_days in days.values():
            days_done |= found_days
        by_day += 1
    # DuckDB's copy keeps the comments of the objects it kept: only new and changed ones are
    # written (some 400 statements on the demo, 0.2 s of every build after a new day)
    existing: dict[tuple[str, str, str | None], str] = (
        {(s, n, c): t for s, n, c, t in session.fetch(inc.duckdb_comments(SCHEMAS))}
        if dialect == "duckdb" and not layout.suffix
        else {}
    )
    session.run(
        [s for o in objects for s in comment_statements(o, dialect, layout.names, existing)]
    )
    write_manifest(session, layout, manifest_hashes, src_tables, keys, histories)
    rebuilt_days = (days_done | {day for _, _, day in changed_rows}) - {None}
    return BuildSummary(
        full=False,
        days_total=len(days_now),
        # of the local days counted in days_total (rows without a time have none: a change
        # to them made it "94 of 93 days"), and apart from them the days no row is left on
        # (counted among them, a re-export that moved every row said "rebuilt 63 of 60 days")
        days_rebuilt=len(rebuilt_days & days_now),
        days_emptied=len(rebuilt_days - days_now),
        tables_by_day=by_day,
        tables_in_full=in_full,
        tables_unchanged=unchanged,
        sources=tuple(sources),
    )


def object_hashes(rendered: Mapping[str, Sequence[Statement]]) -> dict[str, str]:
    """Each object's definition hash (compile/incremental.definition_hash), by qualified name."""
    return {name: inc.definition_hash([s.sql for s in found]) for name, found in rendered.items()}


def hashes_query(dialect: str) -> str:
    """(name, sql_hash) of every object of the last build, from its manifest."""
    return manifest_rows("objects", dialect, "name", "sql_hash")


def built_hashes(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """hashes_query's rows by qualified name."""
    return {str(name): str(digest) for name, digest in rows}


def manifest_rows(table: str, dialect: str, *columns: str) -> str:
    """SELECT columns FROM a table of the last build's manifest."""
    return (
        exp.select(*(col(c) for c in columns))
        .from_(table_ref(inc.MANIFEST_SCHEMA, table))
        .sql(dialect)
    )


def loads_of(session: BuildSession, query: str) -> dict[str, set[tuple[int, str]]]:
    """(load_id, file) of each raw table's loads."""
    found: dict[str, set[tuple[int, str]]] = {}
    for table, load_id, file in session.fetch(query) if query else []:
        found.setdefault(str(table), set()).add((int(load_id), str(file)))
    return found


@dataclass(frozen=True, slots=True)
class Deltas:
    """A source table's fingerprints are the manifest's plus these temporary tables (of the
    manifest's columns): the rows a rewrite removed (negated) and wrote; none for a table
    kept as it was."""

    tables: tuple[str, ...] = ()
    days: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeysRewritten:
    """What rewriting a source table by key did: the keys of the loads, and (by partition)
    the keys written again with them, those that share a window's partition."""

    keys: int
    rewritten: int | None = None  # None: by key alone
    partitions: tuple[tuple[str, ...], ...] = ()
    deltas: Deltas | None = None  # None: the table is fingerprinted whole
    changed: int | None = None  # the keys whose rows differ (None: all of them written)

    @property
    def summary(self) -> str:
        written = "" if self.changed is None else f", {self.changed} changed"
        if self.rewritten is None:
            return f"by key ({self.keys} keys{written})"
        over = "; ".join(", ".join(p) for p in self.partitions)
        return (
            f"by key and window partition ({self.keys} keys loaded, {self.rewritten}"
            f" computed again with the partitions of {over} they share{written})"
        )


def by_key(
    session: BuildSession,
    layout: Layout,
    obj: BuildObject,
    natural_keys: Mapping[str, tuple[str, ...]],
    old_files: dict[str, set[tuple[int, str]]],
    new_files: dict[str, set[tuple[int, str]]],
    day_keys: Sequence[inc.DayKey] | None = None,
    index: int = 0,
) -> KeysRewritten | str:
    """Rewrite a source table for the keys of the loads added or removed (a file loaded,
    replaced, moved or pruned) since the last build, and by partition for the keys sharing a
    window's partition with them; or say why it cannot. With its day keys (those the
    manifest holds), the fingerprints of the rows removed and written are kept aside
    (temporary tables numbered `index`), so that the table is not fingerprinted whole."""
    if obj.kind != "TABLE":
        return "a view"
    source = inc.keyed_source(obj, natural_keys)
    if isinstance(source, str):
        return source
    columns = set(session.columns(obj.schema, obj.name))
    needed = source.columns if isinstance(source, inc.PartitionedSource) else source.key
    missing = [c for c in (*needed, inc.LOAD_ID) if c not in columns]
    if missing:
        return f"it has no column {missing[0]}"
    old, new = old_files.get(source.raw_table, set()), new_files.get(source.raw_table, set())
    added = sorted({i for i, _ in new - old})
    removed = sorted({i for i, _ in old - new})
    if not added and not removed:
        return "its raw rows changed without a load"  # never after mfl seed
    dialect = layout.dialect
    keys = inc.affected_keys(source, table_ref(obj.schema, obj.name), added, removed, dialect)
    layout.make_temp_table(session, inc.KEYS_TABLE, keys)
    [[count]] = session.fetch(f"SELECT count(*) FROM {inc.KEYS_TABLE}")
    done = KeysRewritten(int(count))
    rewrite = inc.KEYS_TABLE
    if isinstance(source, inc.PartitionedSource):
        # Spark writes the whole table: it hashes no rows
        hashed = None if dialect == "spark" else tuple(day_keys or ())
        for name, query in inc.partition_steps(source, obj, dialect, hashed):
            layout.make_temp_table(session, name, query)
        [[rewritten]] = session.fetch(f"SELECT count(*) FROM {inc.REWRITE_TABLE}")
        done = KeysRewritten(int(count), int(rewritten), source.partitions)
        rewrite = inc.REWRITE_TABLE
    if dialect != "spark":
        # the keys' rows computed again, and those of them that differ from the last build's:
        # only theirs are deleted and written (Spark writes the whole table anyway)
        recomputed = render(
            inc.recomputed_rows(source, obj, dialect, layout.names), dialect, obj.what
        )
        layout.make_temp_table(session, inc.NEW_ROWS_TABLE, recomputed)
        for name, query in inc.row_hashes(source, obj, day_keys or (), dialect):
            layout.make_temp_table(session, name, query)
        layout.make_temp_table(session, inc.CHANGED_TABLE, inc.changed_keys(source, dialect))
        [[changed]] = session.fetch(f"SELECT count(*) FROM {inc.CHANGED_TABLE}")
        done = replace(done, changed=int(changed))
        if day_keys is not None:
            # the changed keys' rows, removed and written, fingerprinted from their hashes
            deltas = hashed_deltas(session, layout, source, obj.name, day_keys, index)
            done = replace(done, deltas=deltas)
        statements = inc.rewrite_keys(source, obj, dialect, layout.names)
        session.run([Statement(s, obj.what, obj.layer) for s in statements])
        return done
    rows = inc.key_filter(source, inc.ROW_ALIAS, rewrite, dialect)
    # the last build's rows of the keys, before they are removed
    before = (
        None
        if day_keys is None
        else delta_tables(session, layout, obj, obj.schema, day_keys, rows, f"{index}_old")
    )
    statements = inc.rewrite_keys(source, obj, dialect, layout.names)
    session.run([Statement(s, obj.what, obj.layer) for s in statements])
    if day_keys is not None and before is not None:
        into = layout.schema(obj.schema)
        after = delta_tables(session, layout, obj, into, day_keys, rows, f"{index}_new")
        deltas = Deltas((*before.tables, *after.tables), (*before.days, *after.days))
        done = replace(done, deltas=deltas)
    return done


def delta_tables(
    session: BuildSession,
    layout: Layout,
    obj: BuildObject,
    schema: str,
    day_keys: Sequence[inc.DayKey],
    rows: exp.Expr,
    suffix: str,
) -> Deltas:
    """Fingerprints of a table's rows that `rows` holds (of the alias ROW_ALIAS), whole and
    per day, into temporary tables; negated for the last build's rows (suffix "<n>_old")."""
    dialect = layout.dialect
    columns = hashed_columns(session, dialect, schema, obj.name)
    negated = suffix.endswith("_old")

    def of(key: tuple[int, inc.DayKey] | None) -> exp.Select:
        if key is None:
            return inc.table_fingerprint(obj.name, dialect, schema, columns, rows, negated)
        return inc.day_fingerprint(key[1], dialect, schema, columns, rows, negated)

    return kept_fingerprints(session, layout, suffix, day_keys, of)


def hashed_deltas(
    session: BuildSession,
    layout: Layout,
    source: inc.Keyed,
    name: str,
    day_keys: Sequence[inc.DayKey],
    index: int,
) -> Deltas:
    """delta_tables' fingerprints of the changed keys' rows, the last build's negated, from
    the row hashes kept aside (inc.row_hashes) instead of the table's rows."""
    dialect = layout.dialect
    tables: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    for hashes, suffix, negated in (
        (inc.OLD_HASHES_TABLE, f"{index}_old", True),
        (inc.NEW_HASHES_TABLE, f"{index}_new", False),
    ):
        of = functools.partial(
            inc.hashed_fingerprint, source, name, hashes, dialect, negated=negated
        )
        kept = kept_fingerprints(session, layout, suffix, day_keys, of)
        tables, days = (*tables, *kept.tables), (*days, *kept.days)
    return Deltas(tables, days)


def kept_fingerprints(
    session: BuildSession,
    layout: Layout,
    suffix: str,
    day_keys: Sequence[inc.DayKey],
    fingerprint_of: Callable[[tuple[int, inc.DayKey] | None], exp.Select],
) -> Deltas:
    """Rows' fingerprints into temporary tables `_mfl_fp_<suffix>_tables` and, with day keys,
    `_mfl_fp_<suffix>_days`, the whole summed from them (fingerprint_of: the query of the whole
    (None) or of the index-th day key's days)."""
    dialect = layout.dialect
    tables = f"_mfl_fp_{suffix}_tables"
    if not day_keys:
        layout.make_temp_table(session, tables, fingerprint_of(None).sql(dialect))
        return Deltas((tables,), ())
    days = f"_mfl_fp_{suffix}_days"
    parts = [fingerprint_of((i, key)) for i, key in enumerate(day_keys)]
    layout.make_temp_table(session, days, inc.union_all(parts).sql(dialect))
    # every row has one day of a time column (NULL included): the whole is their sum
    layout.make_temp_table(session, tables, inc.days_to_table(days, day_keys[0]).sql(dialect))
    return Deltas((tables,), (days,))


def days_to_rewrite(
    session: BuildSession,
    dialect: str,
    obj: BuildObject,
    table: IndicatorTable,
    days: dict[str, set[dt.date | None]],
    other_changes: set[str],
    history_names: set[str],
    main_days: dict[str, set[dt.date | None]] | None,
) -> dict[str, set[dt.date | None]] | None:
    """The days of each time column a table must rewrite; None: it is rebuilt in full.

    The days whose source rows changed; those its day table rewrote (a declared table); and
    the days on which a changed version of a history dimension it joins is valid. Any other
    changed table it reads (a plain dimension: every day may change) rebuilds it in full."""
    days = {c: set(d) for c, d in days.items()}
    if main_days is not None:
        for column in days:
            if column not in main_days:
                return None
            days[column] |= main_days[column]
    if not other_changes:
        return days
    joins = inc.version_joins(obj.plan)
    if len(table.time_columns) != 1:
        return None
    [time_column] = table.time_columns
    for read in sorted(other_changes):
        schema, _, name = read.partition(".")
        if schema != "src" or name not in history_names or joins.get(name) != {time_column}:
            return None
        key = inc.DayKey(table.model, time_column)
        query = inc.history_days_sql(NEW_VERSIONS, NEW_DAYS, key, name, dialect)
        days[time_column] |= {row[0] for row in session.fetch(query)}
    return days


def rewrite_periods(
    session: BuildSession,
    layout: Layout,
    obj: BuildObject,
    table: IndicatorTable,
    days: dict[str, set[dt.date | None]],
    week_start: str,
    on_statement: Callable[[Statement], None] | None,
) -> None:
    """The table's rows outside the changed periods as they were, those inside computed again."""
    dialect = layout.dialect
    ordered = {c: sorted(d, key=lambda v: (v is None, v or dt.date.min)) for c, d in days.items()}
    where = inc.period_filter(table, ordered, None, week_start)
    if dialect == "spark":
        # no DELETE: the kept and the new rows of the table, written as one new table
        new_periods = inc.period_filter(table, ordered, inc.INSERT_ALIAS, week_start)
        rewritten = inc.replace_periods(obj, where, new_periods, dialect, layout.names)
        session.run([Statement(rewritten, obj.what, obj.layer)], on_statement)
        return
    if layout.suffix:
        kept = inc.copy_table(obj, layout.schema(obj.schema), dialect, without=where)
    else:
        kept = [inc.delete_periods(obj, where, dialect)]
    insert = inc.insert_periods(
        obj, inc.period_filter(table, ordered, inc.INSERT_ALIAS, week_start), dialect, layout.names
    )
    session.run([Statement(s, obj.what, obj.layer) for s in (*kept, insert)], on_statement)


def raw_loads(session: BuildSession, dialect: str) -> dict[str, tuple[int, int]]:
    if not session.has_table(names.RAW, names.LOADS_TABLE):
        return {}
    query = inc.raw_loads(dialect, hashed_columns(session, dialect, names.RAW, names.LOADS_TABLE))
    return {str(t): (int(r), int(f)) for t, r, f in session.fetch(query)}


def hashed_columns(session: BuildSession, dialect: str, schema: str, name: str) -> tuple[str, ...]:
    """The columns a fingerprint hashes on an engine that hashes rows by column (Spark)."""
    return session.columns(schema, name) if dialect == "spark" else ()


def drop_stale(session: BuildSession, objects: Sequence[BuildObject]) -> None:
    """Drop the objects of the last build that this build no longer has (DuckDB's copy)."""
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


def fingerprint(
    session: BuildSession,
    layout: Layout,
    src_tables: Sequence[str],
    keys: Sequence[inc.DayKey],
    histories: Sequence[inc.History],
    reused: Mapping[str, Deltas] | None = None,
) -> None:
    """Fingerprint the new build's source tables, per table, per day and per version. A table
    in `reused` (kept, or rewritten by key) has the manifest's fingerprints plus its deltas:
    only the rows a build wrote are read, not the whole table."""
    dialect, src = layout.dialect, layout.schema("src")
    reused = reused or {}
    hashed = {h.src_table for h in histories}
    columns = {
        name: hashed_columns(session, dialect, src, name)
        for name in src_tables
        if name not in reused or name in hashed
    }
    table_parts: list[exp.Select] = []
    day_parts: list[exp.Select] = []
    for name in src_tables:
        deltas = reused.get(name)
        own_keys = [k for k in keys if k.src_table == name]
        if deltas is None:
            day_parts += [inc.day_fingerprint(k, dialect, src, columns[name]) for k in own_keys]
            # every row has one day of a time column (NULL included): a table with days is
            # summed from them, not read and hashed a second time
            table_parts.append(
                inc.days_to_table(NEW_DAYS, own_keys[0])
                if own_keys
                else inc.table_fingerprint(name, dialect, src, columns[name])
            )
            continue
        table_parts.append(inc.adjusted_fingerprints("tables", name, deltas.tables))
        time_columns = [k.time_column for k in own_keys]
        if time_columns:
            day_parts.append(inc.adjusted_fingerprints("days", name, deltas.days, time_columns))
    if day_parts:
        layout.make_temp_table(session, NEW_DAYS, inc.union_all(day_parts).sql(dialect))
    if table_parts:
        layout.make_temp_table(session, NEW_TABLES, inc.union_all(table_parts).sql(dialect))
    if histories:
        versions = inc.version_fingerprints(histories, dialect, src, columns)
        layout.make_temp_table(session, NEW_VERSIONS, versions)


def write_manifest(
    session: BuildSession,
    layout: Layout,
    hashes: dict[str, str],
    src_tables: Sequence[str],
    keys: Sequence[inc.DayKey],
    histories: Sequence[inc.History],
) -> None:
    """The manifest of this build, for the next one (after `fingerprint`)."""
    dialect, schema = layout.dialect, layout.schema(inc.MANIFEST_SCHEMA)
    loaded = session.has_table(names.RAW, names.LOADS_TABLE)
    if dialect == "spark":
        # tables written once, whole: each manifest table from its rows in one statement
        loads_columns = hashed_columns(session, dialect, names.RAW, names.LOADS_TABLE)
        rows: dict[str, exp.Query | None] = {
            "objects": inc.hashes_query(hashes) if hashes else None,
            "tables": inc.rows_of(NEW_TABLES) if src_tables else None,
            "days": inc.rows_of(NEW_DAYS) if keys else None,
            "raw_loads": inc.raw_loads_query(dialect, loads_columns) if loaded else None,
            "loads": inc.loads_query() if loaded else None,
            "versions": inc.rows_of(NEW_VERSIONS) if histories else None,
        }
        for name in inc.MANIFEST_TABLES:
            session.execute(inc.manifest_table(schema, name, rows[name], dialect))
        session.clock.lap("manifest")
        return
    for ddl in inc.manifest_ddl(schema, dialect):
        session.execute(ddl)
    if loaded:
        session.execute(f'INSERT INTO "{schema}".raw_loads {inc.raw_loads(dialect)}')
        session.execute(f'INSERT INTO "{schema}".loads {inc.loads_query().sql(dialect)}')
    if hashes:
        session.execute(inc.insert_hashes(hashes, schema, dialect))
    if src_tables:
        session.execute(f'INSERT INTO "{schema}".tables SELECT * FROM {NEW_TABLES}')
    if keys:
        session.execute(f'INSERT INTO "{schema}".days SELECT * FROM {NEW_DAYS}')
    if histories:
        session.execute(f'INSERT INTO "{schema}".versions SELECT * FROM {NEW_VERSIONS}')
    session.clock.lap("manifest")
