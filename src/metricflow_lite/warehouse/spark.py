"""A Spark warehouse (pyspark): Parquet under one warehouse folder, layers as Spark SQL objects.

The folder is the warehouse; the Spark catalog is rebuilt from it when a command starts, so no
Hive metastore is needed and any number of `mfl query` processes can read at once:

    <warehouse_dir>/raw/<table>/<part>   Parquet, one part per seed file (also _loads, _rejects)
    <warehouse_dir>/builds/<id>/<db>/<t>/ Parquet of one build's tables (src, ind, and _mfl: the
                                          manifest the next build compares with)
    <warehouse_dir>/build.json           the current build: every object's CREATE statement

Spark DDL is not transactional, so a build runs in staging databases (src__staging ...) first,
writing its tables into a new build folder; only when every statement has succeeded is
build.json replaced (an atomic rename, the commit point) and the live databases re-created from
it. A build that fails or is killed leaves build.json, and so the previous build and its
manifest, untouched; a reader that started before the swap finishes on the old files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlglot
from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.errors import MflError
from metricflow_lite.spec.project import Project, TargetConfig
from metricflow_lite.warehouse.base import (
    DISK_FULL,
    Closing,
    FileLoad,
    FileLoadOutcome,
    LayerClock,
    LoadedFile,
    QueryResult,
    Statement,
    TableChange,
    WriterLock,
    disk_full_error,
    run_statements,
)
from metricflow_lite.warehouse.seedfile import ident, parquet_columns, staged_file, text

MANIFEST = "build.json"
T = TypeVar("T")
NEXT_LOAD_ID = "next_load_id"
REGISTERED_KEY = "mfl.catalog.registered"
STAGING_SUFFIX = "__staging"
LAYER_SCHEMAS = names.LAYER_SCHEMAS
# what build.json holds: the layers and the incremental build's manifest
BUILT_SCHEMAS = (*LAYER_SCHEMAS, names.MANIFEST_SCHEMA)
# Local mode defaults: small data, two cores; users override any of them under `conf:`.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
}
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
# Same values as DuckDB and PostgreSQL: naive timestamps, no time zone shifts on the way out.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
}


def quoted(*parts: str) -> str:
    return ".".join(exp.to_identifier(p, quoted=True).sql("spark") for p in parts)


def string_literal(text: str) -> str:
    return exp.Literal.string(text).sql("spark")


class SparkBuildSession:
    """The staging databases a build writes: run statements, fetch rows, time the layers.

    A CREATE of a staged table writes Parquet into the build's folder; each staged object is
    remembered as the statement build.json will hold for it (live names; a table without its
    query, as the data exists by then)."""

    def __init__(
        self,
        session: Any,
        clock: LayerClock,
        build_dir: Path,
        staged: dict[str, str],
        built: Sequence[dict[str, str]] = (),
    ) -> None:
        self.session = session
        self.clock = clock
        self.build_dir = build_dir
        self.staged = staged
        self.live = {v: k for k, v in staged.items()}
        self.locations = table_locations(built)  # of the last build's tables
        self.entries: list[dict[str, str]] = []
        # in the order they were held: a view may read the ones before it
        self.temporary_views: dict[str, Any] = {}
        self.current = "creating the staging databases"  # what runs, for the error message

    def execute(self, sql: str, what: str = "", layer: str = "") -> None:
        if what:
            self.current = what
        tree = sqlglot.parse_one(sql, read="spark")
        target = tree.this if isinstance(tree, exp.Create) else None
        if isinstance(target, exp.Table) and target.db in self.live:
            assert isinstance(tree, exp.Create)
            self.create(tree, what or self.current)
        else:
            if isinstance(tree, exp.Cache) and isinstance(tree.this, exp.Table):
                self.hold(tree.this.name)
            else:
                self.session.sql(sql)
        if layer:
            self.clock.lap(layer)

    def create(self, create: exp.Create, what: str) -> None:
        """A staged table or view; tables as Parquet in this build's folder."""
        table = create.this
        assert isinstance(table, exp.Table)
        live = self.live[table.db]
        if create.kind == "TABLE":
            placed = place_table(create, self.build_dir, live)
            self.session.sql(placed.sql("spark"))
            entry = placed.copy()
            entry.set("expression", None)  # the data exists now: build.json points at it
            entry.this.set("db", exp.to_identifier(live, quoted=True))
        else:
            self.session.sql(create.sql("spark"))
            entry = rename_schemas(create, self.live)  # a view reads the live objects
        self.entries.append({"what": what, "sql": entry.sql("spark")})

    def share_table(self, schema: str, name: str, into: str, what: str) -> bool:
        """The staged table over the last build's Parquet folder of <schema>.<name>: a build
        only ever writes into its own new folder, so the kept one stays as it is."""
        location = self.locations.get((schema, name))
        if location is None or into not in self.live:
            return False
        self.current = what
        shared = exp.Create(
            this=exp.Table(
                this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(into, quoted=True)
            ),
            kind="TABLE",
            properties=parquet_at(location),
        )
        self.session.sql(shared.sql("spark"))
        shared.this.set("db", exp.to_identifier(schema, quoted=True))
        self.entries.append({"what": what, "sql": shared.sql("spark")})
        return True

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session.sql(sql).collect()]

    def has_table(self, schema: str, name: str) -> bool:
        return bool(self.session.catalog.tableExists(quoted(schema, name)))

    def columns(self, schema: str, name: str) -> tuple[str, ...]:
        return tuple(str(c) for c in self.session.table(quoted(schema, name)).columns)

    def run(
        self,
        statements: Sequence[Statement],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> None:
        run_statements(self, statements, on_statement)

    def hold(self, name: str) -> None:
        """The rows of a temporary view computed once and kept (the build's keys and
        fingerprints). A checkpoint rather than a cache: the view then stands for its rows,
        not for its plan, so a query that reads views over views is not planned as one tree
        (the keys of a source table rewritten by partition, read four times each, had the
        analyser run out of memory)."""
        held = self.session.table(quoted(name)).localCheckpoint(eager=True)
        held.createOrReplaceTempView(name)
        self.temporary_views.pop(name, None)
        self.temporary_views[name] = held

    def drop_temporary_views(self) -> None:
        """The cached views that held the build's fingerprints and keys (those that read
        another first: Spark analyses a view again to uncache it)."""
        for name, held in reversed(list(self.temporary_views.items())):
            view = exp.Table(this=exp.to_identifier(name, quoted=True))
            drop = exp.Drop(tables=[view], kind="VIEW", exists=True)
            self.session.sql(drop.sql("spark"))
            held.unpersist()
        self.temporary_views.clear()


class SparkWarehouse(Closing):
    """A SparkSession (local or Spark Connect) over a warehouse folder."""

    dialect = "spark"
    build_schema_suffix = ""  # apply_build moves the statements to staging databases itself

    def __init__(self, session: Any, target_name: str, root: Path, owns_session: bool) -> None:
        self.session = session
        self.target_name = target_name
        self.root = root
        self.owns_session = owns_session
        # raw tables whose Parquet parts changed since the catalog last pointed at them: a seed
        # of many files re-points each table once, before the next SQL, not after every file
        self.stale_raw: set[str] = set()
        self.lock = WriterLock(root)  # <root>.lock, beside the folder: one writer at a time

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock while the folder is written (E013 while another writes it)."""
        held = self.lock.fd is not None
        self.lock.acquire()
        try:
            yield
        finally:
            if not held:
                self.lock.release()

    @classmethod
    def open(cls, project: Project, target: TargetConfig) -> SparkWarehouse:
        raw_dir = Path(str(target.get("warehouse_dir", "target/spark")))
        root = raw_dir if raw_dir.is_absolute() else project.root / raw_dir
        root.mkdir(parents=True, exist_ok=True)
        session, owns = start_session(target, root.resolve() / "catalog")
        warehouse = cls(session, target.name, root.resolve(), owns)
        warehouse.register()
        return warehouse

    # --- the catalog, rebuilt from the folder -------------------------------------------

    def register(self) -> None:
        """Point the catalog at the folder: raw tables, then the current build's objects."""
        # A shared session (tests, notebooks) that already points here keeps its catalog.
        if self.session.conf.get(REGISTERED_KEY, "") == self.signature():
            return
        for schema in (names.RAW, *BUILT_SCHEMAS):
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(schema)} CASCADE")
        self.create_database(names.RAW)
        for folder in sorted((self.root / names.RAW).glob("*")):
            if folder.is_dir() and any(folder.glob("*.parquet")):
                self.register_raw(folder.name)
        for schema in BUILT_SCHEMAS:
            self.create_database(schema)
        for entry in self.manifest():
            try:
                self.session.sql(entry["sql"])
            except Exception:  # noqa: BLE001, S112 - a stale object: queries say "not built"
                continue
        self.session.conf.set(REGISTERED_KEY, self.signature())

    def signature(self) -> str:
        """What the catalog was built from: the folder, its raw tables and its build."""
        manifest = self.root / MANIFEST
        built = manifest.stat().st_mtime_ns if manifest.exists() else 0
        raw = ",".join(sorted(p.name for p in (self.root / names.RAW).glob("*")))
        return f"{self.root}|{raw}|{built}"

    def create_database(self, name: str) -> None:
        # An explicit location: Spark's default would be ./spark-warehouse in the caller's folder.
        location = string_literal(str(self.root / "catalog" / f"{name}.db"))
        self.session.sql(f"CREATE DATABASE {quoted(name)} LOCATION {location}")

    def register_raw(self, table: str) -> None:
        location = string_literal(str(self.root / names.RAW / table))
        self.session.sql(f"DROP TABLE IF EXISTS {quoted('raw', table)}")
        # Files of one table may add columns: read the union of the parts' columns.
        self.session.sql(
            f"CREATE TABLE {quoted('raw', table)} USING PARQUET"
            f" OPTIONS (mergeSchema 'true') LOCATION {location}"
        )

    def manifest(self) -> list[dict[str, str]]:
        path = self.root / MANIFEST
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data.get("objects", []))

    # --- the Warehouse protocol -------------------------------------------------------------

    def execute(self, sql: str) -> None:
        self.catch_up()
        self.session.sql(sql)

    def fetch(self, sql: str) -> QueryResult:
        self.catch_up()
        frame = self.session.sql(sql)
        columns = tuple(frame.columns)
        return QueryResult(columns, tuple(tuple(row) for row in frame.collect()))

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema."""
        self.catch_up()
        rows = self.session.sql(f"SHOW TABLES IN {quoted(schema)}").collect()
        return tuple(sorted(str(r["tableName"]) for r in rows if not r["isTemporary"]))

    def apply_build(
        self,
        statements: Sequence[Statement],
        schemas: Sequence[str],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> tuple[tuple[str, float], ...]:
        def build_all(session: SparkBuildSession) -> None:
            for statement in statements:
                if on_statement is not None:
                    on_statement(statement)
                create = rename_schemas(parse_create(statement), session.staged)
                session.execute(create.sql("spark"), statement.what, statement.layer or "other")

        _, laps = self.build_staged(build_all, schemas)
        return laps

    def build_staged(
        self, work: Callable[[SparkBuildSession], T], schemas: Sequence[str]
    ) -> tuple[T, tuple[tuple[str, float], ...]]:
        """Run `work` on fresh staging databases (src__staging ...) whose tables go to a new
        build folder, then commit: build.json renamed over the last one, the live databases
        re-created from it. A failure (or a kill) before the rename changes nothing."""
        with self.writing():
            self.catch_up()
            clock = LayerClock()
            build_id = uuid.uuid4().hex[:12]
            build_dir = self.root / "builds" / build_id
            staged = {s: s + STAGING_SUFFIX for s in (*BUILT_SCHEMAS, *schemas)}
            session = SparkBuildSession(self.session, clock, build_dir, staged, self.manifest())
            try:
                for name in staged.values():
                    self.session.sql(f"DROP DATABASE IF EXISTS {quoted(name)} CASCADE")
                    self.create_database(name)
                clock.lap("drop")
                result = work(session)
            except BaseException as err:
                session.drop_temporary_views()
                self.drop_staging(staged)
                shutil.rmtree(build_dir, ignore_errors=True)
                if isinstance(err, MflError) or not isinstance(err, Exception):
                    raise
                if DISK_FULL.search(str(err)):
                    raise disk_full_error(spark_message(err), str(self.root)) from None
                raise MflError(
                    "E300",
                    f"build failed in {session.current}: {spark_message(err)}",
                    None,
                    "nothing was changed: the previous build is still in place",
                ) from None
            session.drop_temporary_views()
            self.commit(build_id, session.entries, staged)
            clock.lap("commit")
            return result, clock.laps()

    def commit(self, build_id: str, entries: list[dict[str, str]], staged: dict[str, str]) -> None:
        """Make a staged build the current one: build.json first (the commit point)."""
        manifest = self.root / MANIFEST
        temporary = manifest.with_suffix(".json.tmp")
        temporary.write_text(
            json.dumps({"build_id": build_id, "objects": entries}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
        os.replace(temporary, manifest)  # the commit point
        self.drop_staging(staged)
        for schema in BUILT_SCHEMAS:
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(schema)} CASCADE")
            self.create_database(schema)
        for entry in entries:
            self.session.sql(entry["sql"])
        self.prune_builds(build_id, set(table_locations(entries).values()))
        self.session.conf.set(REGISTERED_KEY, self.signature())

    def prune_builds(self, build_id: str, kept: set[str]) -> None:
        """Remove the folders of earlier (or killed) builds but the tables the current build
        still reads from them."""
        for old in (self.root / "builds").glob("*"):
            if old.name == build_id:
                continue
            for table in old.glob("*/*"):
                if str(table) not in kept:
                    shutil.rmtree(table, ignore_errors=True)
            if not any(str(t) in kept for t in old.glob("*/*")):
                shutil.rmtree(old, ignore_errors=True)

    def drop_staging(self, staged: dict[str, str]) -> None:
        for name in staged.values():
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(name)} CASCADE")

    # --- seeds ----------------------------------------------------------------------------
    # Bookkeeping reads the Parquet files with DuckDB (no Spark job for a lookup); each seed file
    # is read by the shared loader and written as its own Parquet part, so reloading a changed
    # file replaces just that part.

    def raw_dir(self, table: str) -> Path:
        return self.root / names.RAW / table

    def read_raw(self, table: str, query: str) -> list[tuple[Any, ...]]:
        """Rows of `query` over raw.<table>'s Parquet parts (as `parts`); [] with no parts."""
        import duckdb

        if not any(self.raw_dir(table).glob("*.parquet")):
            return []
        files = string_literal(str(self.raw_dir(table) / "*.parquet"))
        with duckdb.connect(":memory:") as con:
            con.execute(
                f"CREATE VIEW parts AS SELECT * FROM read_parquet({files}, union_by_name = true)"
            )
            return list(con.execute(query).fetchall())

    def loaded_files(self) -> tuple[LoadedFile, ...]:
        rows = self.read_raw(
            "_loads",
            "SELECT table_name, file, sha256, rows, rejected, load_id FROM parts ORDER BY file",
        )
        return tuple(LoadedFile(*row) for row in rows)

    def raw_columns(self, table: str) -> tuple[str, ...]:
        rows = self.read_raw(table, "SELECT column_name FROM (DESCRIBE SELECT * FROM parts)")
        return tuple(r[0] for r in rows if r[0] not in names.META_COLUMNS)

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        import duckdb

        with duckdb.connect(":memory:") as con:
            return parquet_columns(con, path, file)

    def next_load_id(self) -> int:
        counter = self.root / NEXT_LOAD_ID
        stored = self.read_raw("_loads", "SELECT max(load_id) FROM parts")
        last = max(
            int(counter.read_text(encoding="utf-8")) if counter.exists() else 0,
            int(stored[0][0] or 0) if stored else 0,
        )
        temporary = counter.with_suffix(".tmp")
        temporary.write_text(str(last + 1), encoding="utf-8")
        os.replace(temporary, counter)
        return last + 1

    def load_table(
        self, change: TableChange, loads: Iterable[FileLoad]
    ) -> tuple[FileLoadOutcome, ...]:
        """Write every part of the change as a temporary file first, then swap them in (rows and
        rejects before raw._loads: a crash before that leaves the files looking unloaded, so the
        next `mfl seed` loads them again), then remove the parts the change retires."""
        with self.writing():
            return self._load_table(change, loads)

    def _load_table(
        self, change: TableChange, loads: Iterable[FileLoad]
    ) -> tuple[FileLoadOutcome, ...]:
        bookkeeping = ("_rejects", "_loads")
        known = {
            file: table
            for table, file in self.read_raw("_loads", "SELECT table_name, file FROM parts")
        }
        retired: set[tuple[str, str]] = set()  # (table folder, part) to delete after the swap
        if change.reset:
            retired |= {
                (change.table, p.name) for p in self.raw_dir(change.table).glob("*.parquet")
            }
            for file, table in known.items():
                if table == change.table:
                    retired |= {(b, part_name(file)) for b in bookkeeping}
        for file in change.pruned:
            retired |= {(t, part_name(file)) for t in (change.table, *bookkeeping)}
        swaps: list[tuple[Path, Path]] = []
        outcomes: list[FileLoadOutcome] = []
        try:
            for old, new in change.moves:
                swaps += self._moved_parts(change.table, old, new)
                retired |= {(t, part_name(old)) for t in (change.table, *bookkeeping)}
            for load in loads:
                parts, outcome = self._file_parts(load)
                swaps += parts
                outcomes.append(outcome)
        except BaseException:
            for temporary, _ in swaps:
                temporary.unlink(missing_ok=True)
            raise
        written = {target for _, target in swaps}
        ordered = sorted(swaps, key=lambda s: s[1].parent.name == "_loads")
        for temporary, target in ordered:
            os.replace(temporary, target)
        for folder, part in retired:
            target = self.raw_dir(folder) / part
            if target not in written:
                target.unlink(missing_ok=True)
        self.stale_raw.update((change.table, *bookkeeping))
        return tuple(outcomes)

    def _moved_parts(self, table: str, old: str, new: str) -> list[tuple[Path, Path]]:
        """The parts of `old` rewritten with _file (file) = `new`, as temporaries."""
        import duckdb

        swaps = []
        for folder, column in ((table, "_file"), ("_rejects", "file"), ("_loads", "file")):
            source = self.raw_dir(folder) / part_name(old)
            if not source.exists():
                continue
            target = self.raw_dir(folder) / part_name(new)
            temporary = target.with_name(f".{target.name}.tmp")
            with duckdb.connect(":memory:") as con:
                con.execute(
                    f"COPY (SELECT * REPLACE ({text(new)} AS {ident(column)})"
                    f" FROM read_parquet({text(str(source))}))"
                    f" TO {text(str(temporary))} (FORMAT parquet)"
                )
            swaps.append((temporary, target))
        return swaps

    def _file_parts(self, load: FileLoad) -> tuple[list[tuple[Path, Path]], FileLoadOutcome]:
        """The file's rows, rejects and load record written as temporary Parquet parts."""
        part = part_name(load.file)
        targets = [self.raw_dir(name) / part for name in (load.table, "_rejects", "_loads")]
        with staged_file(load) as staged:
            temporaries = [t.with_name(f".{part}.tmp") for t in targets]
            loaded = (
                f"SELECT {load.load_id}::BIGINT AS load_id, {string_literal(load.table)} AS"
                f" table_name, {string_literal(load.file)} AS file,"
                f" {string_literal(load.sha256)} AS sha256, {staged.outcome.rows}::BIGINT AS rows,"
                f" {staged.outcome.rejected}::BIGINT AS rejected,"
                " current_timestamp::TIMESTAMP AS loaded_at"
            )
            queries = (
                staged.rows_query(),
                "SELECT * FROM staged_rejects ORDER BY line, reason",
                loaded,
            )
            for temporary, query in zip(temporaries, queries, strict=True):
                temporary.parent.mkdir(parents=True, exist_ok=True)
                staged.write(query, temporary, "FORMAT parquet")
            return list(zip(temporaries, targets, strict=True)), staged.outcome

    def catch_up(self) -> None:
        """Point the catalog at the raw parts written since it last did."""
        if self.stale_raw:
            self.refresh_raw(sorted(self.stale_raw))
            self.stale_raw.clear()

    def refresh_raw(self, tables: Sequence[str]) -> None:
        """Point the catalog's raw tables at their current Parquet parts."""
        for table in tables:
            if any(self.raw_dir(table).glob("*.parquet")):
                self.register_raw(table)
            else:
                self.session.sql(f"DROP TABLE IF EXISTS {quoted('raw', table)}")
        self.session.conf.set(REGISTERED_KEY, self.signature())

    def close(self) -> None:
        if self.owns_session:
            self.session.stop()  # the next session registers the catalog from the folder
        else:
            self.catch_up()  # a shared session (notebook, tests) sees the rows just loaded


def part_name(file: str) -> str:
    """The Parquet part holding a seed file's rows (and rejects, and load record)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", file).lstrip("._")
    digest = hashlib.sha256(file.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}.parquet"  # Spark skips names starting with . or _


def parse_create(statement: Statement) -> exp.Create:
    tree = sqlglot.parse_one(statement.sql, read="spark")
    assert isinstance(tree, exp.Create), statement.what
    return tree


def place_table(create: exp.Create, build_dir: Path, folder: str | None = None) -> exp.Create:
    """A CREATE TABLE as an external Parquet table in this build's folder (under `folder`, or
    its database's name); views unchanged."""
    if create.kind != "TABLE":
        return create
    table = create.this
    assert isinstance(table, exp.Table)
    location = build_dir / (folder or table.db) / table.name
    placed = create.copy()
    placed.set("properties", parquet_at(str(location)))
    return placed


def parquet_at(location: str) -> exp.Properties:
    """USING PARQUET LOCATION '<location>'."""
    return exp.Properties(
        expressions=[
            exp.FileFormatProperty(this=exp.var("PARQUET")),
            exp.LocationProperty(this=exp.Literal.string(location)),
        ]
    )


def table_locations(entries: Iterable[dict[str, str]]) -> dict[tuple[str, str], str]:
    """(database, table) -> Parquet folder of each table of a build.json's objects."""
    found = {}
    for entry in entries:
        tree = sqlglot.parse_one(entry["sql"], read="spark")
        if not isinstance(tree, exp.Create) or tree.kind != "TABLE":
            continue
        location = tree.find(exp.LocationProperty)
        table = tree.this
        if location is not None and isinstance(table, exp.Table):
            found[(table.db, table.name)] = str(location.this.this)
    return found


def rename_schemas(tree: exp.Create, names: dict[str, str]) -> exp.Create:
    """The statement with every table of the given schemas moved to other schemas."""
    renamed = tree.copy()
    for table in renamed.find_all(exp.Table):
        if table.db in names:
            table.set("db", exp.to_identifier(names[table.db], quoted=True))
    return renamed


def spark_message(err: BaseException) -> str:
    """The first meaningful line of a Spark error."""
    text = str(err).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("JVM stacktrace", "at ", "==")):
            return line
    return type(err).__name__


def start_session(target: TargetConfig, catalog_dir: Path) -> tuple[Any, bool]:
    """The running SparkSession if there is one (tests share one), else a new one we own."""
    quiet_pyspark_loggers()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MflError(
            "E017",
            f"target '{target.name}' needs pyspark, which is not installed",
            target.loc,
            "pip install 'metricflow-lite[spark]'",
        ) from None
    master = str(target.get("master", "local[2]"))
    conf = {str(k): str(v) for k, v in dict(target.get("conf") or {}).items()}
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
        settings = {**SESSION_CONF, **conf}
    else:
        active = SparkSession.getActiveSession()
        if active is not None:
            for key, value in SESSION_CONF.items():
                active.conf.set(key, value)
            return active, False
        if not java_found():
            raise MflError(
                "E018",
                f"target '{target.name}': Spark needs Java 17 or later, and no java was found",
                target.loc,
                "install a Java runtime (apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
            )
        builder = SparkSession.builder.master(master)
        # Spark creates its warehouse folder at start: keep it in ours, not the caller's folder.
        settings = {
            **LOCAL_CONF,
            # read when the driver JVM starts, so it also quiets the lines before any session
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
            "spark.sql.warehouse.dir": str(catalog_dir),
            **SESSION_CONF,
            **conf,
        }
    builder = builder.appName("mfl")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as err:  # noqa: BLE001 - Py4J and gRPC errors alike
        raise MflError(
            "E019",
            f"target '{target.name}': cannot start Spark at {master}: {spark_message(err)}",
            target.loc,
            "check the master URL (local[2] or sc://host:15002) and that Java 17+ runs",
        ) from None
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("OFF")
    return session, True


# pyspark logs each failing query's error, with its JVM stack trace, as JSON on stderr before
# raising it; mfl turns the error into one message of its own.
PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def quiet_pyspark_loggers() -> None:
    """Keep pyspark's error loggers, and its warning about a newer pandas (which mfl does not
    use through Spark), off the terminal."""
    import logging
    import warnings

    for name in PYSPARK_ERROR_LOGGERS:
        logging.getLogger(name).disabled = True
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )


def java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None
