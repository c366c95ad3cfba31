"""The embedded default warehouse: one DuckDB file under target/."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.project import Project, TargetConfig
from metricflow_lite.warehouse.base import (
    CORRUPT_FILE,
    DISK_FULL,
    Closing,
    FileLoad,
    FileLoadOutcome,
    LayerClock,
    LoadedFile,
    QueryResult,
    Statement,
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


class DuckDBWarehouse(Closing):
    """A DuckDB database file (or :memory:)."""

    dialect = "duckdb"

    def __init__(self, connection: Any, target_name: str, path: str) -> None:
        self.connection = connection
        self.target_name = target_name
        self.path = path
        self._raw_ready = False  # raw schema, _loads, _rejects and the load-id sequence exist

    @classmethod
    def open(
        cls, project: Project, target: TargetConfig, read_only: bool = False
    ) -> DuckDBWarehouse:
        raw_path = str(target.get("path", "target/warehouse.duckdb"))
        if raw_path == ":memory:":
            return cls(duckdb.connect(":memory:"), target.name, raw_path)
        path = Path(raw_path)
        if not path.is_absolute():
            path = project.root / path
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
        # memory_limit / threads bound a build on a shared machine; DuckDB spills to disk past it.
        config: dict[str, str | bool | int | float | list[str]] = {
            key: str(target.get(key)) for key in ("memory_limit", "threads") if target.get(key)
        }
        try:
            connection = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as err:
            message = str(err).splitlines()[0]
            if CORRUPT_FILE.search(message):
                raise damaged_warehouse(path, message) from None
            if DISK_FULL.search(message):
                raise disk_full_error(message, str(path)) from None
            hint = (
                "another program (a DuckDB shell?) may hold the file open; close it and retry"
                if LOCKED_FILE.search(message)
                else "check that the file and its folder can be read and written"
            )
            raise MflError("E013", f"cannot open {path}: {message}", None, hint) from None
        except duckdb.InvalidInputException as err:
            # memory_limit (threads was checked above): DuckDB names the setting it refuses
            raise MflError(
                "E009",
                f"target '{target.name}': {str(err).splitlines()[0]}",
                target.loc_of("memory_limit"),
                "memory_limit is a size such as 4GB; threads a whole number",
            ) from None
        except duckdb.Error as err:
            message = str(err).splitlines()[0]
            if "memory" in message.lower() and target.get("memory_limit"):
                raise MflError(
                    "E009",
                    f"target '{target.name}': {message}",
                    target.loc_of("memory_limit"),
                    "memory_limit is a size such as 4GB; threads a whole number",
                ) from None
            raise damaged_warehouse(path, message) from None
        return cls(connection, target.name, str(path))

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
        self, statements: Sequence[Statement], schemas: Sequence[str]
    ) -> tuple[tuple[str, float], ...]:
        # DuckDB DDL is transactional: drop and recreate inside one transaction, so a failing
        # statement rolls back to the last good build, which analysts keep querying meanwhile.
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
                self.connection.execute(statement.sql)
                clock.lap(statement.layer or "other")
            self.connection.execute("COMMIT")
            clock.lap("commit")
        except duckdb.Error as err:
            rollback(self.connection)
            message = str(err).strip()
            if DISK_FULL.search(message):
                raise disk_full_error(message.splitlines()[0], self.path) from None
            raise MflError(
                "E300",
                f"build failed in {current}: {message}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None
        return clock.laps()

    def close(self) -> None:
        self.connection.close()

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

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        return parquet_columns(self.connection, path, file)

    def reset_table(self, table: str) -> None:
        self._ensure_raw()
        self.connection.execute("BEGIN TRANSACTION")
        try:
            self.connection.execute(f"DROP TABLE IF EXISTS {_raw(table)}")
            self.connection.execute("DELETE FROM raw._loads WHERE table_name = ?", [table])
            self.connection.execute("DELETE FROM raw._rejects WHERE table_name = ?", [table])
            self.connection.execute("COMMIT")
        except BaseException:
            rollback(self.connection)
            raise

    def next_load_id(self) -> int:
        self._ensure_raw()
        row = self.connection.execute("SELECT nextval('raw._load_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def load_file(self, load: FileLoad) -> FileLoadOutcome:
        self._ensure_raw()
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            self._prepare_table(load)
            con.execute(f"DELETE FROM {_raw(load.table)} WHERE _file = ?", [load.file])
            con.execute("DELETE FROM raw._rejects WHERE file = ?", [load.file])
            con.execute("DELETE FROM raw._loads WHERE file = ?", [load.file])
            outcome = read_seed_file(con, load, _raw(load.table), "raw._rejects")
            con.execute(
                "INSERT INTO raw._loads VALUES (?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)",
                [load.load_id, load.table, load.file, load.sha256, outcome.rows, outcome.rejected],
            )
            con.execute("COMMIT")
        except duckdb.Error as err:
            rollback(con)
            if DISK_FULL.search(str(err)):
                raise disk_full_error(str(err).strip().splitlines()[0], self.path) from None
            raise MflError(
                "E108",
                f"loading {load.file} failed: {str(err).strip().splitlines()[0]}",
                Location(load.file),
                f"nothing changed for this file: raw.{load.table} keeps its earlier rows",
            ) from None
        except BaseException:
            rollback(con)
            raise
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
