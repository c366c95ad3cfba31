"""The embedded default warehouse: one DuckDB file under target/."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.project import Project, TargetConfig
from metricflow_lite.warehouse.base import (
    CORRUPT_FILE,
    DISK_FULL,
    Closing,
    ConnectionBuildSession,
    FileLoad,
    FileLoadOutcome,
    LayerClock,
    LoadedFile,
    QueryResult,
    Statement,
    TableChange,
    WriterLock,
    disk_full_error,
)
from metricflow_lite.warehouse.seedfile import (
    LOAD_COLUMNS,
    REJECT_COLUMNS,
    columns_ddl,
    ident,
    parquet_columns,
    read_seed_file,
    table_columns,
)

RAW = names.RAW
LOADS_DDL = f"CREATE TABLE IF NOT EXISTS raw._loads ({columns_ddl(LOAD_COLUMNS)})"
REJECTS_DDL = f"CREATE TABLE IF NOT EXISTS raw._rejects ({columns_ddl(REJECT_COLUMNS)})"


@lru_cache(maxsize=1024)
def _raw(table: str) -> str:
    return exp.table_(table, db=RAW, quoted=True).sql(dialect="duckdb")


# More threads than this only make DuckDB start them (100,000 hang the machine for minutes).
MAX_THREADS = 1024
LOCKED_FILE = re.compile(r"Could not set lock|Conflicting lock|lock on file", re.IGNORECASE)


def damaged_warehouse(path: Path, message: str) -> MflError:
    """E710: the warehouse file is truncated or corrupt; it is rebuilt from seeds/."""
    return MflError(
        "E710",
        f"the warehouse file {path} is damaged (truncated or corrupt): {message}",
        None,
        f"move it away (mv {path} {path}.damaged) and run 'mfl run' to rebuild it from seeds/"
        " (rows of exports no longer in seeds/ come back only from a backup)",
    )


def rollback(connection: Any) -> None:
    """Roll back the open transaction; DuckDB has already ended it when a COMMIT failed (a full
    disk), and saying so would hide the error that made the transaction fail."""
    try:
        connection.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _connect(
    path: Path,
    read_only: bool,
    config: dict[str, str | bool | int | float | list[str]],
    target: TargetConfig | None = None,
) -> Any:
    name = target.name if target is not None else "?"
    try:
        connection = duckdb.connect(str(path), read_only=read_only, config=config)
        # DuckDB draws its own progress bar on stderr for statements past two seconds: in a
        # terminal it cuts through mfl's progress lines, in a log it leaves pages of redraws
        connection.execute("SET enable_progress_bar = false")
        return connection
    except duckdb.IOException as err:
        message = str(err).splitlines()[0]
        if CORRUPT_FILE.search(message):
            raise damaged_warehouse(path, message) from None
        if DISK_FULL.search(message):
            raise disk_full_error(message, str(path)) from None
        hint = (
            "a running 'mfl seed' (or another program that writes the file, such as a DuckDB"
            " shell) holds it; readers and builds share the file, writers wait: retry when it"
            " has finished"
            if LOCKED_FILE.search(message)
            else "check that the file and its folder can be read and written"
        )
        raise MflError("E013", f"cannot open {path}: {message}", None, hint) from None
    except duckdb.InvalidInputException as err:
        # memory_limit (threads was checked above): DuckDB names the setting it refuses
        raise MflError(
            "E009",
            f"target '{name}': {str(err).splitlines()[0]}",
            target.loc_of("memory_limit") if target is not None else None,
            "memory_limit is a size such as 4GB; threads a whole number",
        ) from None
    except duckdb.Error as err:
        message = str(err).splitlines()[0]
        if "memory" in message.lower() and target is not None and target.get("memory_limit"):
            raise MflError(
                "E009",
                f"target '{name}': {message}",
                target.loc_of("memory_limit"),
                "memory_limit is a size such as 4GB; threads a whole number",
            ) from None
        raise damaged_warehouse(path, message) from None


BUILD_CHECKPOINT_THRESHOLD = "1TB"  # of write-ahead log: never reached by one build
# DuckDB's optimizer that computes a repeated part of a query once (see _keep_ctes_inlined)
SHARED_SUBPLANS_OPTIMIZER = "common_subplan"

# A writer that finds the file held by readers waits this long for them: `mfl serve` holds it for
# reading only while it copies a finished build (readers of a DuckDB file exclude a writer).
READERS_WAIT_SECONDS = 15.0


def _keep_ctes_inlined(con: Any) -> None:
    """Stop DuckDB's optimizer from computing once, and writing aside, a part of a query
    that several parts read: the CTEs a source model's build inlines (compile/layers.
    inline_row_wise_ctes) are such parts again once inlined, and source()'s test of later
    versions with them, so the 10M-leg demo still wrote every raw column of every leg aside
    (5.7 GB spilled to disk, src.call_legs 44 s instead of 33 s). An engine without that
    optimizer has nothing to stop."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_optimizers() WHERE name = ?", [SHARED_SUBPLANS_OPTIMIZER]
    ).fetchall()
    if found[0][0]:
        con.execute(f"SET disabled_optimizers = '{SHARED_SUBPLANS_OPTIMIZER}'")


def _connect_waiting(
    path: Path,
    read_only: bool,
    config: dict[str, str | bool | int | float | list[str]],
    target: TargetConfig | None = None,
) -> Any:
    """_connect; a writer retries for a while when a reader holds the file (E013 after)."""
    import time

    deadline = time.monotonic() + READERS_WAIT_SECONDS
    while True:
        try:
            return _connect(path, read_only, config, target)
        except MflError as err:
            locked = err.code == "E013" and LOCKED_FILE.search(err.message) is not None
            if read_only or not locked or time.monotonic() >= deadline:
                raise
        time.sleep(0.1)


Config = dict[str, str | bool | int | float | list[str]]


def warehouse_file(project: Project, target: TargetConfig) -> tuple[str, Config]:
    """The warehouse file of a DuckDB target (absolute, or :memory:) and its connection config."""
    raw_path = str(target.get("path", "target/warehouse.duckdb"))
    path = raw_path if raw_path == ":memory:" or Path(raw_path).is_absolute() else None
    # memory_limit / threads bound a build on a shared machine; DuckDB spills to disk past it.
    config: Config = {
        key: str(target.get(key)) for key in ("memory_limit", "threads") if target.get(key)
    }
    return path or str(project.root / raw_path), config


def next_build_path(path: Path) -> Path:
    """Where a build is written before it replaces the warehouse file."""
    return path.with_name(path.name + ".next")


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def build_failed(current: str, err: BaseException, where: str) -> MflError:
    message = str(err).strip()
    if DISK_FULL.search(message):
        return disk_full_error(message.splitlines()[0], where)
    return MflError(
        "E300",
        f"build failed in {current}: {message}",
        None,
        "nothing was changed: the previous build is still in place",
    )


T = TypeVar("T")
Laps = tuple[tuple[str, float], ...]


class DuckDBBuildSession(ConnectionBuildSession):
    """The copy a build writes."""

    dialect = "duckdb"
    first_step = "dropping the previous build"

    def replace_schemas(self, schemas: Sequence[str]) -> None:
        self.current = "dropping the previous build"
        for schema in schemas:
            self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            self.connection.execute(f'CREATE SCHEMA "{schema}"')
        self.connection.execute("CHECKPOINT")  # frees the dropped tables' blocks for reuse
        self.clock.lap("drop")


class DuckDBWarehouse(Closing):
    """A DuckDB database file (or :memory:)."""

    dialect = "duckdb"
    build_schema_suffix = ""  # a build writes a copy of the file, under the same names

    def __init__(
        self,
        connection: Any,
        target_name: str,
        path: str,
        read_only: bool = False,
        config: dict[str, str | bool | int | float | list[str]] | None = None,
    ) -> None:
        self._connection: Any | None = connection
        self.target_name = target_name
        self.path = path
        self.read_only = read_only
        self.config = dict(config or {})
        self.lock = WriterLock(Path(path)) if path != ":memory:" else None
        self._raw_ready = False  # raw schema, _loads, _rejects and the load-id sequence exist

    @classmethod
    def open(
        cls, project: Project, target: TargetConfig, read_only: bool = False
    ) -> DuckDBWarehouse:
        raw_path, config = warehouse_file(project, target)
        if raw_path == ":memory:":
            return cls(duckdb.connect(":memory:"), target.name, raw_path)
        path = Path(raw_path)
        if read_only and not path.exists():
            raise MflError(
                "E012",
                f"no warehouse at {path}",
                None,
                "run 'mfl seed' and 'mfl build' (or 'mfl run') first",
            )
        threads = target.get("threads")
        if threads is not None and (
            isinstance(threads, bool)
            or not isinstance(threads, int)
            or not 1 <= threads <= MAX_THREADS
        ):
            raise MflError(
                "E009",
                f"target '{target.name}': threads must be a whole number from 1 to"
                f" {MAX_THREADS}, not {threads!r}",
                target.loc_of("threads"),
                f"memory_limit is a size such as 4GB; threads a whole number from 1 to"
                f" {MAX_THREADS} (leave it out to use every core)",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(path)
        if not read_only:
            lock.acquire()
        try:
            connection = _connect_waiting(path, read_only, config, target)
        except BaseException:
            lock.release()
            raise
        warehouse = cls(connection, target.name, str(path), read_only, config)
        warehouse.lock = lock
        return warehouse

    @property
    def connection(self) -> Any:
        if self._connection is None:  # a build replaced the file: opened again when next read
            self._connection = self._reopen(Path(self.path))
        return self._connection

    @connection.setter
    def connection(self, connection: Any) -> None:
        self._connection = connection

    @classmethod
    def in_memory(cls) -> DuckDBWarehouse:
        return cls(duckdb.connect(":memory:"), "memory", ":memory:")

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def fetch(self, sql: str) -> QueryResult:
        cursor = self.connection.execute(sql)
        columns = tuple(d[0] for d in cursor.description or ())
        return QueryResult(columns, tuple(tuple(row) for row in cursor.fetchall()))

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema, sorted."""
        result = self.fetch(
            "SELECT table_name FROM information_schema.tables"
            f" WHERE table_schema = {exp.Literal.string(schema).sql(self.dialect)}"
        )
        return tuple(sorted(str(row[0]) for row in result.rows))

    def apply_build(
        self,
        statements: Sequence[Statement],
        schemas: Sequence[str],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> tuple[tuple[str, float], ...]:
        def replace_all(session: DuckDBBuildSession) -> None:
            session.replace_schemas(schemas)
            session.run(statements, on_statement)

        if self.path == ":memory:":
            return self._build_in_place(statements, schemas, on_statement)
        _, laps = self.build_in_copy(replace_all)
        return laps

    def build_in_copy(self, work: Callable[[DuckDBBuildSession], T]) -> tuple[T, Laps]:
        """Run `work` on a copy of the warehouse file and swap the copy in when it returns.

        A build writes a copy of the warehouse file and renames it over the original when it
        has succeeded (the commit point). Meanwhile this process holds the original only for
        reading: readers keep answering from the previous build; writers wait (the lock).
        A build killed at any moment leaves the original intact."""
        if self.path == ":memory:":
            raise MflError("E300", "an in-memory warehouse cannot be built incrementally", None)
        clock = LayerClock()
        path = Path(self.path)
        building = next_build_path(path)
        assert self.lock is not None
        held = self.lock.fd is not None
        self.lock.acquire()
        if not self.read_only:
            self.connection.execute("CHECKPOINT")
            self.connection.close()
            self.connection = _connect(path, True, self.config)
        try:
            for leftover in (building, wal_of(building)):
                leftover.unlink(missing_ok=True)  # of a build that was killed
            try:
                shutil.copyfile(path, building)
                if wal_of(path).exists():
                    shutil.copyfile(wal_of(path), wal_of(building))
            except OSError as err:
                building.unlink(missing_ok=True)
                wal_of(building).unlink(missing_ok=True)
                if err.errno == errno.ENOSPC:
                    # a build needs room for a second copy of the warehouse file
                    raise disk_full_error(f"{err.strerror} (copying {path})", str(path)) from None
                raise
            clock.lap("copy")
            con = _connect(building, False, self.config)
            # No table of a build is read in the order its rows were written (every report
            # and query sorts): unordered writes build the 10M-leg demo 13 % faster.
            con.execute("SET preserve_insertion_order = false")
            # The build ends with a checkpoint of its own (the copy is swapped in whole or
            # not at all): DuckDB's automatic one, after 16 MB of log, checkpointed the copy
            # in the middle of a statement (at 10M legs the insert of 136k changed legs took
            # 1.4 s, 0.3 s without it; the final checkpoint 0.35 s longer).
            con.execute(f"SET checkpoint_threshold = '{BUILD_CHECKPOINT_THRESHOLD}'")
            _keep_ctes_inlined(con)
            session = DuckDBBuildSession(con, clock)
            try:
                result = work(session)
                con.execute("CHECKPOINT")
            except duckdb.Error as err:
                con.close()
                building.unlink(missing_ok=True)
                wal_of(building).unlink(missing_ok=True)
                raise build_failed(session.current, err, str(building)) from None
            except BaseException:
                con.close()
                building.unlink(missing_ok=True)
                wal_of(building).unlink(missing_ok=True)
                raise
            con.close()
            os.replace(building, path)
            clock.lap("commit")
        finally:
            # opened again when next read: a lone `mfl build` never does
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            if not held:
                self.lock.release()
        return result, clock.laps()

    def _reopen(self, path: Path) -> Any:
        """The warehouse again, after a build replaced it: as it was opened, or for reading
        when a reader holds it now (what follows a build in `mfl run` only reads)."""
        if self.read_only:
            return _connect(path, True, self.config)
        try:
            return _connect(path, False, self.config)
        except MflError:
            self.read_only = True
            return _connect(path, True, self.config)

    def _build_in_place(
        self,
        statements: Sequence[Statement],
        schemas: Sequence[str],
        on_statement: Callable[[Statement], None] | None,
    ) -> tuple[tuple[str, float], ...]:
        # An in-memory warehouse has no other readers: one transaction, rolled back on failure.
        clock = LayerClock()
        self.connection.execute("BEGIN TRANSACTION")
        current = "dropping the previous build"
        try:
            for schema in schemas:
                self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                self.connection.execute(f'CREATE SCHEMA "{schema}"')
            clock.lap("drop")
            for statement in statements:
                current = statement.what
                if on_statement is not None:
                    on_statement(statement)
                self.connection.execute(statement.sql)
                clock.lap(statement.layer or "other")
            self.connection.execute("COMMIT")
            clock.lap("commit")
        except duckdb.Error as err:
            rollback(self.connection)
            raise build_failed(current, err, self.path) from None
        return clock.laps()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()  # kept: a read after close fails as DuckDB says
        if self.lock is not None:
            self.lock.release()

    # --- seeds -------------------------------------------------------------------------------

    def _ensure_raw(self) -> None:
        if self._raw_ready:
            return
        self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
        self.connection.execute(LOADS_DDL)
        self.connection.execute(REJECTS_DDL)
        self.connection.execute("CREATE SEQUENCE IF NOT EXISTS raw._load_id_seq")
        self._raw_ready = True

    def loaded_files(self) -> tuple[LoadedFile, ...]:
        found = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
            " AND schema_name = 'raw' AND table_name = '_loads'"
        ).fetchone()
        if not found or not found[0]:
            return ()
        rows = self.connection.execute(
            "SELECT table_name, file, sha256, rows, rejected, load_id FROM raw._loads ORDER BY file"
        ).fetchall()
        return tuple(LoadedFile(*row) for row in rows)

    def raw_columns(self, table: str) -> tuple[str, ...]:
        # pragma_table_info looks up one table; duckdb_columns() lists every column of every
        # table first (4 ms against 0.4 ms, twice per seed file)
        try:
            rows = self.connection.execute(
                "SELECT name FROM pragma_table_info(?) ORDER BY cid", [_raw(table)]
            ).fetchall()
        except duckdb.CatalogException:
            return ()
        return tuple(r[0] for r in rows if r[0] not in names.META_COLUMNS)

    def _exists(self, table: str) -> bool:
        # a failed lookup would abort the transaction it runs in; a catalog query cannot fail
        found = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
            " AND schema_name = 'raw' AND table_name = ?",
            [table],
        ).fetchone()
        return bool(found and found[0])

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        return parquet_columns(self.connection, path, file)

    def next_load_id(self) -> int:
        self._ensure_raw()
        row = self.connection.execute("SELECT nextval('raw._load_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def load_table(
        self, change: TableChange, loads: Iterable[FileLoad]
    ) -> tuple[FileLoadOutcome, ...]:
        self._ensure_raw()
        con = self.connection
        table = _raw(change.table)
        outcomes: list[FileLoadOutcome] = []
        current = change.table
        con.execute("BEGIN TRANSACTION")
        try:
            if change.reset:
                # inside the transaction: a file that fails below brings the old table back
                con.execute(f"DROP TABLE IF EXISTS {table}")
                con.execute("DELETE FROM raw._loads WHERE table_name = ?", [change.table])
                con.execute("DELETE FROM raw._rejects WHERE table_name = ?", [change.table])
            exists = self._exists(change.table)
            for old, new in change.moves:
                if exists:
                    con.execute(f"UPDATE {table} SET _file = ? WHERE _file = ?", [new, old])
                con.execute("UPDATE raw._rejects SET file = ? WHERE file = ?", [new, old])
                con.execute("UPDATE raw._loads SET file = ? WHERE file = ?", [new, old])
            for file in change.pruned:
                if exists:
                    con.execute(f"DELETE FROM {table} WHERE _file = ?", [file])
                con.execute("DELETE FROM raw._rejects WHERE file = ?", [file])
                con.execute("DELETE FROM raw._loads WHERE file = ?", [file])
            for load in loads:
                current = load.file
                outcomes.append(self._load_file(load))
            con.execute("COMMIT")
        except duckdb.Error as err:
            rollback(con)
            if DISK_FULL.search(str(err)):
                raise disk_full_error(str(err).strip().splitlines()[0], self.path) from None
            raise MflError(
                "E108",
                f"loading {current} failed: {str(err).strip().splitlines()[0]}",
                Location(current),
                f"nothing changed: raw.{change.table} keeps its earlier rows",
            ) from None
        except BaseException:
            rollback(con)
            raise
        return tuple(outcomes)

    def _load_file(self, load: FileLoad) -> FileLoadOutcome:
        con = self.connection
        self._prepare_table(load)
        con.execute(f"DELETE FROM {_raw(load.table)} WHERE _file = ?", [load.file])
        con.execute("DELETE FROM raw._rejects WHERE file = ?", [load.file])
        con.execute("DELETE FROM raw._loads WHERE file = ?", [load.file])
        outcome = read_seed_file(con, load, _raw(load.table), "raw._rejects")
        con.execute(
            "INSERT INTO raw._loads VALUES (?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)",
            [load.load_id, load.table, load.file, load.sha256, outcome.rows, outcome.rejected],
        )
        return outcome

    def _prepare_table(self, load: FileLoad) -> None:
        con = self.connection
        types = dict(table_columns(con, load))
        parts = [f"{ident(name)} {kind}" for name, kind in types.items()]
        parts += [f"{name} {kind}" for name, kind in names.META_COLUMN_TYPES]
        con.execute(f"CREATE TABLE IF NOT EXISTS {_raw(load.table)} ({', '.join(parts)})")
        existing = set(self.raw_columns(load.table))
        for name, kind in types.items():
            if name not in existing:
                con.execute(f"ALTER TABLE {_raw(load.table)} ADD COLUMN {ident(name)} {kind}")
