"""A finished build, read by a long-running server (`mfl serve`): the driver side.

DuckDB lets many processes read a file at once, but a process that opens it for writing (`mfl
seed`) excludes every reader, and a reader that holds it open excludes `mfl seed`. A server
therefore never keeps the warehouse file open: when the file changes (a build renames its copy
over it, a seed writes it in place), the server copies it, under DuckDB's own shared lock so no
writer is half-way through, into a private file it alone reads. A build killed at any moment
leaves the warehouse file as it was, so the copy is always of a finished build or seed.

PostgreSQL swaps a build's schemas in one transaction; a reader sees the old or the new build,
never a mix, so the server reads the database itself, on a read-only connection.

Every read has a time limit (DuckDB: the query is interrupted; PostgreSQL: statement_timeout)
and, when asked, a row limit (at most max_rows + 1 rows are fetched, so a huge result is never
held in memory).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from metricflow_lite.errors import MflError
from metricflow_lite.spec.project import TargetConfig
from metricflow_lite.warehouse.base import MISSING_OBJECT, Closing, QueryResult, Statement
from metricflow_lite.warehouse.dsn import DEFAULT_DSN_ENV, check_dsn_env

# DuckDB settings of a served copy: no file, network or extension access from SQL, and no SQL
# can change that (lock_configuration); memory bounded so a long-running server stays small.
SERVED_DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


@dataclass(frozen=True, slots=True)
class FileSignature:
    """What identifies one state of a warehouse file: a build renames a new file over it (a new
    inode), a seed rewrites it in place (a new modification time)."""

    device: int
    inode: int
    mtime_ns: int
    size: int

    @property
    def build_id(self) -> str:
        return f"{self.inode:x}-{self.mtime_ns:x}"

    @property
    def built_by(self) -> str:
        """The build that made the file, whatever seeds wrote into it since (its inode)."""
        return f"{self.device:x}-{self.inode:x}"


def file_signature(path: Path) -> FileSignature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileSignature(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _signature_of(st: os.stat_result) -> FileSignature:
    return FileSignature(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def copy_duckdb_build(live: Path, destination: Path) -> FileSignature | None:
    """Copy the warehouse file `live` (and its WAL) to `destination`; its signature, or None
    when it cannot be copied now (missing, or a writer such as `mfl seed` holds it: try later).

    The copy is taken under a read-only DuckDB connection to `live`: DuckDB's shared lock, which
    a writer's exclusive lock excludes, so no write is half-way through. A build only reads
    `live` and renames a finished file over it, so it may run meanwhile."""
    import duckdb

    before = file_signature(live)
    if before is None:
        return None
    try:
        guard = duckdb.connect(str(live), read_only=True)
    except duckdb.Error:
        return None  # a writer holds the file, or it is not a DuckDB file (yet)
    try:
        with open(live, "rb") as source:
            opened = _signature_of(os.fstat(source.fileno()))
            if (opened.device, opened.inode) != (before.device, before.inode):
                return None  # a build swapped the file in between: take the next one
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(destination.name + ".partial")
            with open(partial, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
        wal = live.with_name(live.name + ".wal")
        wal_copy = destination.with_name(destination.name + ".wal")
        wal_copy.unlink(missing_ok=True)
        if wal.exists():
            shutil.copyfile(wal, wal_copy)
        os.replace(partial, destination)
    finally:
        guard.close()
    return opened


def postgres_dsn(target: TargetConfig) -> str:
    """The DSN of a PostgreSQL target, from its environment variable (E015 when unset)."""
    env = check_dsn_env(str(target.get("dsn_env", DEFAULT_DSN_ENV)), target.loc_of("dsn_env"))
    dsn = os.environ.get(env)
    if not dsn:
        raise MflError(
            "E015",
            f"target '{target.name}': environment variable {env} is not set",
            target.loc,
            f"export {env}='host=... dbname=... user=...' (the DSN stays out of files)",
        )
    return dsn


class ServedReader(Closing):
    """What the report and query jobs need of a warehouse (the Warehouse protocol), on a
    reader that only selects: writes are refused with E801."""

    dialect: str
    build_schema_suffix: str
    target_name = "served"
    timeout_s: float = 30.0

    def select(
        self, sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        raise read_only_error()

    def fetch(self, sql: str) -> QueryResult:
        columns, rows = self.select(sql, None, self.timeout_s)
        return QueryResult(tuple(name for name, _ in columns), tuple(rows))

    def tables(self, schema: str) -> tuple[str, ...]:
        listing = (
            exp.select("table_name")
            .from_(exp.table_("tables", db="information_schema"))
            .where(exp.column("table_schema").eq(exp.Literal.string(schema)))
        )
        _, rows = self.select(listing.sql(dialect=self.dialect), None, self.timeout_s)
        return tuple(sorted(str(r[0]) for r in rows))

    def apply_build(
        self, statements: Sequence[Statement], schemas: Sequence[str], on_statement: Any = None
    ) -> tuple[tuple[str, float], ...]:
        raise read_only_error()


class DuckDBReader(ServedReader):
    """The server's private copy of a DuckDB build, read-only; safe to use from many threads
    (each read runs on a cursor of its own)."""

    dialect = "duckdb"
    build_schema_suffix = ""

    def __init__(self, path: Path, settings: dict[str, str] | None = None) -> None:
        import duckdb

        config: dict[str, str | bool | int | float | list[str]] = {
            **(settings or {}),
            **SERVED_DUCKDB_CONFIG,
        }
        try:
            self.connection = duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.Error as err:
            raise MflError(
                "E804",
                f"cannot read the served copy {path}: {str(err).splitlines()[0]}",
                None,
                "run 'mfl build' again; the server takes the next finished build",
            ) from None
        self.path = path
        self.lock = threading.Lock()
        self.closed = False

    def select(
        self, sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        """(name, type name) of each column and the rows; E802 past max_rows, E803 past the
        time limit."""
        with self.lock:
            if self.closed:
                raise MflError("E804", "the served build was replaced meanwhile", None, "retry")
            cursor = self.connection.cursor()
        return select_on_cursor(cursor, sql, max_rows, timeout_s)

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                self.connection.close()


class PostgresReader(ServedReader):
    """A read-only connection to a PostgreSQL warehouse, one per read (a server's threads never
    share one); every statement runs in a read-only transaction with statement_timeout."""

    dialect = "postgres"
    build_schema_suffix = "__next"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def _connect(self, timeout_s: float) -> Any:
        import psycopg

        try:
            return psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=10,
                options=(
                    "-c default_transaction_read_only=on"
                    f" -c statement_timeout={max(1, int(timeout_s * 1000))}"
                ),
            )
        except psycopg.Error as err:
            raise MflError(
                "E804",
                f"cannot connect to the PostgreSQL warehouse: {str(err).splitlines()[0]}",
                None,
                "check that the server is running; requests are answered again when it is",
            ) from None

    def build_id(self) -> str | None:
        """The oids of the built schemas: a build creates new ones and renames them in."""
        _, rows = self.select(
            "SELECT string_agg(nspname || ':' || oid::text, ',' ORDER BY nspname)"
            " FROM pg_namespace WHERE nspname IN ('src', 'ind', 'app')",
            None,
            self.timeout_s,
        )
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def select(
        self, sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        import psycopg
        from psycopg import errors

        from metricflow_lite.warehouse.postgres import plain_number

        connection = self._connect(timeout_s)
        try:
            cursor = connection.execute(sql)
            names = connection.adapters.types
            columns = []
            for d in cursor.description or ():
                info = names.get(d.type_code)
                columns.append((str(d.name), info.name.upper() if info else str(d.type_code)))
            fetched = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows + 1)
            rows = [tuple(plain_number(v) for v in r) for r in fetched]
        except errors.QueryCanceled:
            raise time_limit_error(timeout_s) from None
        except errors.ReadOnlySqlTransaction:
            raise read_only_error() from None
        except psycopg.OperationalError as err:
            raise MflError(
                "E804", f"the PostgreSQL warehouse: {str(err).splitlines()[0]}", None, "retry"
            ) from None
        except psycopg.Error as err:
            raise engine_error(str(err), self.dialect) from None
        finally:
            connection.close()
        if max_rows is not None and len(rows) > max_rows:
            raise row_limit_error(max_rows)
        return columns, rows

    def close(self) -> None:
        return None


def engine_error(text: str, dialect: str) -> MflError:
    """An engine's refusal of a query, as the user's error: E312 for an object the build has
    not made, E806 for anything else the engine says (its first line)."""
    message = text.strip().splitlines()[0] if text.strip() else "unknown error"
    if MISSING_OBJECT.search(message):
        return MflError(
            "E312",
            f"the warehouse is not built for this: {message}",
            None,
            "run 'mfl build' (or 'mfl run') after changing metrics/ or reports/",
        )
    return MflError("E806", f"the query fails on {dialect}: {message}", None, None)


def time_limit_error(timeout_s: float) -> MflError:
    return MflError(
        "E803",
        f"the query ran longer than the time limit ({timeout_s:g} s) and was stopped",
        None,
        "ask for fewer rows or a coarser grain; the limit is mfl serve --timeout",
    )


def row_limit_error(max_rows: int) -> MflError:
    return MflError(
        "E802",
        f"the query returns more than the row limit ({max_rows:,} rows)",
        None,
        "add LIMIT, a filter or a coarser grain; the limit is mfl serve --max-rows",
    )


def read_only_error() -> MflError:
    return MflError(
        "E801",
        "the served warehouse is read-only: only SELECT runs here",
        None,
        "run mfl seed / mfl build on the machine that owns the warehouse",
    )


Reader = DuckDBReader | PostgresReader


def select_on_cursor(
    cursor: Any, sql: str, max_rows: int | None, timeout_s: float
) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """A read on a DuckDB cursor of its own, which it closes: (name, type name) of each column
    and the rows; E802 past max_rows, E803 past the time limit (the cursor is interrupted),
    E806 for what DuckDB refuses."""
    import duckdb

    timer = threading.Timer(timeout_s, cursor.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cursor.execute(sql)
        columns = [(str(d[0]), str(d[1])) for d in cursor.description or ()]
        fetched = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows + 1)
        rows = [tuple(r) for r in fetched]
    except duckdb.InterruptException:
        raise time_limit_error(timeout_s) from None
    except duckdb.Error as err:
        raise engine_error(str(err), "duckdb") from None
    finally:
        timer.cancel()
        cursor.close()
    if max_rows is not None and len(rows) > max_rows:
        raise row_limit_error(max_rows)
    return columns, rows
