"""What every warehouse offers the rest of mfl: run SQL, fetch rows, apply a build atomically."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from metricflow_lite.errors import MflError


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Rows fetched from a warehouse, with their column names."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a build, with what it builds (for error messages)."""

    sql: str
    what: str  # e.g. "model models/source/call_legs.sql" or "indicator ind.call_legs_day"
    layer: str = ""


class LayerClock:
    """Seconds a build spends per layer, in the order the layers first appear."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    def lap(self, layer: str) -> None:
        """Charge the time since the last lap to a layer."""
        now = time.perf_counter()
        self.seconds[layer] = self.seconds.get(layer, 0.0) + now - self.started
        self.started = now

    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self.seconds.items())


class ConnectionBuildSession:
    """A build on one database connection (DuckDB's copy of the warehouse, PostgreSQL's
    transaction): run statements, fetch rows, time the layers. The name of what runs is kept
    for the error message of a statement that fails."""

    dialect = ""
    first_step = ""  # what a failure before the first statement was doing

    def __init__(self, connection: Any, clock: LayerClock) -> None:
        self.connection = connection
        self.clock = clock
        self.current = self.first_step

    def execute(self, sql: str, what: str = "", layer: str = "") -> None:
        if what:
            self.current = what
        self.connection.execute(sql)
        if layer:
            self.clock.lap(layer)

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.connection.execute(sql).fetchall()]

    def has_table(self, schema: str, name: str) -> bool:
        from metricflow_lite.compile.incremental import has_table

        return bool(self.fetch(has_table(schema, name, self.dialect))[0][0])

    def columns(self, schema: str, name: str) -> tuple[str, ...]:
        from metricflow_lite.compile.incremental import table_columns

        return tuple(str(row[0]) for row in self.fetch(table_columns(schema, name, self.dialect)))

    def run(
        self,
        statements: Sequence[Statement],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> None:
        run_statements(self, statements, on_statement)


class StatementRunner(Protocol):
    current: str

    def execute(self, sql: str, what: str = "", layer: str = "") -> None: ...


def run_statements(
    session: StatementRunner,
    statements: Sequence[Statement],
    on_statement: Callable[[Statement], None] | None = None,
) -> None:
    """A build session's statements in order, each named first (a failure names what ran,
    on_statement included) and charged to its layer."""
    for statement in statements:
        session.current = statement.what
        if on_statement is not None:
            on_statement(statement)
        session.execute(statement.sql, statement.what, statement.layer or "other")


class Warehouse(Protocol):
    """A connection to one target."""

    dialect: str
    target_name: str
    # A warehouse that builds beside the live build gets statements for src<suffix>, ...
    build_schema_suffix: str

    def execute(self, sql: str) -> None:
        """Run one statement that returns nothing."""

    def fetch(self, sql: str) -> QueryResult:
        """Run one query and return all its rows."""

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema, sorted."""

    def apply_build(
        self,
        statements: Sequence[Statement],
        schemas: Sequence[str],
        on_statement: Callable[[Statement], None] | None = None,
    ) -> tuple[tuple[str, float], ...]:
        """Replace the given schemas, all or nothing, while readers keep reading the previous
        build; seconds spent per layer, in build order. on_statement is called before each
        statement runs."""

    def close(self) -> None:
        """Release the connection (and any file lock)."""

    def __enter__(self) -> Warehouse:
        """`with connect(project, target) as wh:` (the warehouse itself)."""

    def __exit__(self, *exc: object) -> None:
        """Close, however the block ended."""


W = TypeVar("W", bound="Closing")


class Closing:
    """The engine facade's context manager: `with connect(project, target) as wh:` closes the
    warehouse (and releases a DuckDB file lock) however the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: W) -> W:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SeedFormat(str, Enum):
    """How a seed file is stored."""

    CSV = "csv"
    CSV_GZ = "csv.gz"
    PARQUET = "parquet"
    XLSX = "xlsx"
    XLS = "xls"


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How to split a CSV file into rows and columns (RFC 4180 by default)."""

    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    header: bool = True
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class FileLoad:
    """One seed file to put into raw.<table>, replacing the rows an earlier version of it left."""

    table: str
    path: str  # absolute, for the warehouse's reader
    file: str  # relative to the project: the value of _file and raw._loads.file
    format: SeedFormat
    columns: tuple[tuple[str, str], ...]  # (name, type) in the file's order
    csv: CsvOptions
    load_id: int
    sha256: str
    lines: int  # physical lines in the (decompressed) file, header included
    line_offset: int = 0  # lines (sheet rows) of the export above the file's first line
    formats: tuple[tuple[str, str], ...] = ()  # (column, strptime format) of DATE/TIMESTAMPs
    timezone: str = "UTC"  # the project's: timestamps with an offset or zone convert to it
    refuse_empty: bool = False  # a file that had rows: no rows now is an error, not a load
    # an Excel sheet whose cells' line breaks were written as U+FDD0 / U+FDD1 (one row, one
    # line): the loaded text and the rejects get them back
    line_breaks: bool = False
    # fields after the header's last named one (an export ending each line with a delimiter):
    # read, and a line with a value in one is a reject
    padding: int = 0


@dataclass(frozen=True, slots=True)
class TableChange:
    """What one `mfl seed` changes in raw.<table> besides loading files, in one transaction."""

    table: str
    reset: bool  # a full refresh: the table's rows, rejects and loads go first
    moves: tuple[tuple[str, str], ...]  # (old file, new file): one export under a new name
    pruned: tuple[str, ...]  # files gone from seeds/ whose rows, rejects and loads go


@dataclass(frozen=True, slots=True)
class FileLoadOutcome:
    """What loading one file did."""

    rows: int
    rejected: int


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A row of raw._loads: a file as it was last loaded."""

    table: str
    file: str
    sha256: str
    rows: int
    rejected: int
    load_id: int


@runtime_checkable
class SeedWarehouse(Warehouse, Protocol):
    """A warehouse that can load seed files into the raw layer."""

    def loaded_files(self) -> tuple[LoadedFile, ...]:
        """Every file in raw._loads (none before the first load)."""

    def raw_columns(self, table: str) -> tuple[str, ...]:
        """The data columns of raw.<table> (no _load_id/_file/_line); () if it does not exist."""

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        """(name, type) of each column stored in a parquet file."""

    def next_load_id(self) -> int:
        """A new load id, larger than every earlier one (one per file loaded)."""

    def load_table(
        self, change: TableChange, loads: Iterable[FileLoad]
    ) -> tuple[FileLoadOutcome, ...]:
        """Apply the change, then replace the rows of each load's file in raw.<table>, its
        rejects and its raw._loads row; all of it or nothing (an error leaves the table as it
        was). `loads` is consumed inside the transaction, one file made ready at a time."""


# How each engine says that a table, view, schema or column is not there. The SQL was generated
# from the current spec, so a missing object means the build is older than the spec; any other
# error (an unknown function, say) is a real one and is not dressed up as "build first".
MISSING_OBJECT = re.compile(
    r"Catalog Error: (Table|View|Schema) with name \S+ does not exist"  # DuckDB
    r"|Binder Error: Referenced column \S+ not found"
    r'|(relation|schema) "[^"]+" does not exist|column \S+ does not exist'  # PostgreSQL
    r"|TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|UNRESOLVED_COLUMN"  # Spark
)


# How each engine says that a value does not fit a type, or that two types do not compare: a
# --where comparing a text dimension with a number (queue = 1), a cast that fails on the data.
VALUE_MISMATCH = re.compile(
    r"^(Conversion Error|Invalid Input Error|Out of Range Error)"  # DuckDB
    r"|^Binder Error: (Cannot compare|No function matches|Cannot mix)"
    r"|invalid input syntax for type|operator does not exist|out of range"  # PostgreSQL
    r"|must be type boolean|function \S+ does not exist|date/time field value"
    r"|CAST_INVALID_INPUT|DATATYPE_MISMATCH|ARITHMETIC_OVERFLOW|DATETIME_OVERFLOW"  # Spark
    r"|NumberFormatException|INVALID_(?:FRACTION|DATETIME)"
)
MISMATCH_HINT = (
    "a filter compares a dimension with a value of another type, or a cast fails on the data:"
    " text dimensions take quoted values (--where \"queue = '1'\"), numbers are compared"
    " unquoted; check --where, the report's filter and the metrics' expr and filter"
)


# How engines and the OS say that the disk is full (DuckDB, PostgreSQL, Spark/Java, Python).
DISK_FULL = re.compile(
    r"No space left on device|could not extend file|disk is full|ENOSPC|Errno 28", re.IGNORECASE
)


# How DuckDB says that its file is truncated or damaged (at open or when a block is read).
CORRUPT_FILE = re.compile(
    r"not a valid DuckDB database file|Could not read enough bytes|checksum|corrupt"
    r"|invalid block|Failed to read database header",
    re.IGNORECASE,
)


def disk_full_error(message: str, where: str) -> MflError:
    """E709: the disk that holds `where` is full; what was there before is unchanged."""
    return MflError(
        "E709",
        f"the disk is full: {message}",
        None,
        f"free space on the disk that holds {where} and run the command again; nothing was"
        " changed: the previous build and the loaded rows are still in place",
    )


def fetch_built(warehouse: Warehouse, sql: str) -> QueryResult:
    """Rows of a query over built objects; a missing object is the user's cue to build (E312),
    not an internal error: reports/*.yml or metrics/*.yml may be newer than the last build."""
    try:
        return warehouse.fetch(sql)
    except MflError:
        raise
    except Exception as err:  # noqa: BLE001 - a warehouse's own error type differs per engine
        message = str(err).strip().splitlines()[0]
        if "StackOverflowError" in str(err) or "stack depth limit exceeded" in str(err):
            raise MflError(
                "E701",
                f"the query is too deeply nested for {warehouse.dialect}",
                None,
                "shorten --where or the report's filter: a long list of values belongs in IN (...)",
            ) from None
        if MISSING_OBJECT.search(message):
            raise MflError(
                "E312",
                f"the warehouse is not built for this: {message}",
                None,
                "run 'mfl build' (or 'mfl run') after changing metrics/ or reports/",
            ) from None
        if CORRUPT_FILE.search(message):
            raise MflError(
                "E710",
                f"the warehouse is damaged (truncated or corrupt): {message}",
                None,
                "move the warehouse file away and run 'mfl run' to rebuild it from seeds/"
                " (rows of exports no longer in seeds/ come back only from a backup)",
            ) from None
        if VALUE_MISMATCH.search(message):
            raise MflError(
                "E707",
                f"the query fails on {warehouse.dialect}: {message}",
                None,
                MISMATCH_HINT,
            ) from None
        raise


class WriterLock:
    """The warehouse's writers, one at a time: a seed or a build holds an exclusive flock on
    <file>.lock (released by the kernel when the process dies, kill -9 included). DuckDB lets
    a process write the file while others read it, so without this a seed during a build would
    be lost when the build's copy replaces the file; two Spark builds would drop each other's
    staging databases, and the later commit would point at a folder the earlier one pruned."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        if self.fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise MflError(
                "E013",
                f"cannot write {self.path.with_suffix('')}: a build or a seed is running",
                None,
                "a running 'mfl seed' or 'mfl build' writes the warehouse; readers keep"
                " answering meanwhile, writers wait: retry when it has finished",
            ) from None
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None
