"""Read-only access to the last good build, shared by every endpoint of `mfl serve`.

    snapshot = BuildSnapshot.open(project, target_name, limits)
    snapshot.build_id          # str | None: the build answered from (None: nothing built yet)
    snapshot.changed()         # takes a newer finished build if there is one; True when it did
    with snapshot.reading() as taken:      # taken.build_id, taken.warehouse, taken.companion:
        ...                                # one build and what was read with it, together
    columns, rows = snapshot.run_select(sql, "postgres", max_rows=1000, timeout_s=10.0)
    with snapshot.reader() as warehouse:   # a read-only Warehouse for the report/query jobs
        ...
    snapshot.close()

`run_select(sql, dialect_of_sql, max_rows, timeout_s) -> (columns, rows)`:
  - `sql`: one SELECT (or UNION/INTERSECT/EXCEPT, WITH ...) written in `dialect_of_sql` (a
    sqlglot dialect name: "postgres", "duckdb", ...); it is parsed, checked and rewritten for the
    warehouse's dialect, never passed through as text;
  - `columns`: list of (name, type_name), type_name the engine's upper-case name (DuckDB:
    VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL(18,3), DATE, TIMESTAMP, BOOLEAN ...; PostgreSQL:
    the pg_type name, e.g. TEXT, INT8, NUMERIC, DATE, TIMESTAMP, BOOL);
  - `rows`: list of tuples of Python values (str, int, float, Decimal, date, datetime, bool,
    None);
  - raises MflError (never a driver exception): E805 the text is not one read-only query, or
    names a function or schema that is refused; E802 more than `max_rows` rows; E803 longer
    than `timeout_s`; E804 no build to read yet; E312 an object the build has not made; E806
    anything else the engine refuses (its message).

What may be read: tables and views of the schemas src, ind and app (and the engine's catalogs,
information_schema and pg_catalog, which BI tools list tables from); no function that reads
files, the network or settings (the warehouse also runs with external access off).

Thread-safe: many threads may call run_select, changed and reader at once. A build that
replaces the warehouse while a query runs does not disturb it: the query ends on the build it
started on; the next one reads the new build.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from metricflow_lite.compile import names
from metricflow_lite.errors import MflError
from metricflow_lite.serve.limits import Limits
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.served import Reader

Column = tuple[str, str]
Row = tuple[Any, ...]

# Schemas a served query may name: the built layers and the catalogs drivers list tables from.
READABLE_SCHEMAS = frozenset({names.SRC, names.IND, names.APP, "information_schema", "pg_catalog"})
# Functions that read files, the network, settings or the engine's internals, or write.
REFUSED_FUNCTION = re.compile(
    r"^(read_|glob$|.*_scan$|sniff_csv|parquet_|current_setting|set_config|getenv|"
    r"duckdb_|pragma_|which_secret|query$|query_table|load_extension|install|"
    r"pg_read|pg_ls_|pg_stat_file|pg_file|lo_|dblink|pg_reload|pg_terminate|pg_cancel|"
    r"pg_sleep|sleep|txid_|pg_advisory|pg_notify|inet_server|http_|json_read|read$|"
    r"to_parquet|copy|export_|iceberg_|delta_|sqlite_|postgres_|mysql_)",
    re.IGNORECASE,
)
FILE_MARKS = ("/", "\\", ":", ".", "*", "?")  # a path or URL named as a table
WRITING_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Command",
        "Copy",
        "Pragma",
        "Set",
        "Transaction",
        "Commit",
        "Rollback",
        "Use",
        "Into",
        "LoadData",
        "Attach",
        "Detach",
        "Install",
        "Export",
        "Refresh",
        "Cache",
        "Uncache",
        "Grant",
        "Revoke",
        "Lock",
    )
    if hasattr(exp, name)
)


def refused(message: str, hint: str | None = None) -> MflError:
    return MflError(
        "E805",
        message,
        None,
        hint or "send one SELECT over the src, ind and app views (read-only; no file functions)",
    )


def checked_select(sql: str, dialect_of_sql: str, to_dialect: str, max_rows: int | None) -> str:
    """The text of one read-only query, checked and rewritten for `to_dialect` with a LIMIT of
    at most max_rows + 1 (so no more is ever fetched); E805 for anything else."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect_of_sql) if s is not None]
    except (ParseError, sqlglot.errors.TokenError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "cannot parse"
        raise refused(f"the query cannot be parsed: {first}") from None
    except ValueError as err:  # an unknown dialect name
        raise refused(f"cannot read SQL as {dialect_of_sql!r}: {err}") from None
    if len(statements) != 1:
        raise refused(f"one statement at a time, not {len(statements)}")
    [tree] = statements
    if not isinstance(tree, exp.Query):
        raise refused(f"only SELECT runs here, not {tree.key.upper()}")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, WRITING_NODES):
            raise refused(f"only SELECT runs here: {node.key.upper()} is refused")
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if REFUSED_FUNCTION.match(name or ""):
                raise refused(f"function {name.lower()}() is refused")
        if isinstance(node, exp.Table):
            _check_table(node, ctes)
    for node in tree.find_all(exp.Placeholder, exp.Parameter):
        raise refused(f"parameters ({node.sql()}) are not supported: write the values")
    if max_rows is not None:
        tree = _bounded(tree, max_rows + 1)
    return tree.sql(dialect=to_dialect)


def _check_table(table: exp.Table, ctes: set[str]) -> None:
    if not isinstance(table.this, exp.Identifier):
        if isinstance(table.this, exp.Func):
            return  # a table function: checked as a function
        raise refused(f"reading {table.sql()} is refused (a file or an expression)")
    if any(mark in table.name for mark in FILE_MARKS):
        raise refused(f"reading {table.name!r} is refused: tables only, no files")
    if table.args.get("catalog") is not None and table.catalog.lower() not in ("", "warehouse"):
        raise refused(f"catalog {table.catalog!r} is refused: name tables as schema.table")
    schema = table.db.lower()
    if not schema:
        if REFUSED_FUNCTION.match(table.name) and table.name.lower() not in ctes:
            raise refused(f"reading {table.name} is refused")
        return  # a CTE, or a catalog table the engine finds by its bare name
    if schema not in READABLE_SCHEMAS:
        raise refused(
            f"schema {schema!r} is not served",
            "query the src, ind and app views (information_schema lists them)",
        )


def _bounded(tree: exp.Query, cap: int) -> exp.Query:
    limit = tree.args.get("limit")
    if limit is None:
        return tree.limit(cap, copy=False)
    value = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(value, exp.Literal) and value.is_int:
        if int(value.this) > cap:
            return tree.limit(cap, copy=False)
        return tree
    return exp.select(exp.Star()).from_(tree.subquery("bounded")).limit(cap)


@dataclass(frozen=True, slots=True)
class Taken:
    """One build as a request reads it (see BuildSnapshot.reading)."""

    build_id: str
    warehouse: Reader
    companion: object


@dataclass
class _Generation:
    """One build's reader, with the requests still using it."""

    build_id: str
    warehouse: Reader
    folder: Path | None
    built_by: str  # the build; a seed since then gives a new build_id, not a new built_by
    # what is read with this build (mfl serve: the spec its views were made from), taken with
    # it so that a request never pairs one build with another's
    companion: object = None
    users: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            done = self.retired and self.users == 0
        if done:
            self.dispose()

    def retire(self) -> None:
        with self.lock:
            self.retired = True
            done = self.users == 0
        if done:
            self.dispose()

    def dispose(self) -> None:
        self.warehouse.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class BuildSnapshot:
    """Read-only access to the last good build of a project's target (see the module text).

    DuckDB: a private copy of the warehouse file, taken when the file changes (a build renamed
    its copy in, or a seed finished writing), under target/.serve/<pid>/; mfl seed and mfl build
    run unhindered meanwhile. PostgreSQL: the database itself on read-only connections (a build
    swaps its schemas in one transaction); the build id is the oids of the built schemas."""

    def __init__(self, project: Project, target_name: str | None, limits: Limits) -> None:
        from metricflow_lite.warehouse.duckdb import warehouse_file

        self.project = project
        self.limits = limits
        self.target = project.target(target_name)
        self._lock = threading.Lock()
        self._current: _Generation | None = None
        self._count = 0
        self._closed = False
        self._live: Path | None = None
        self._dsn: str | None = None
        self._settings: dict[str, str] = {}
        match self.target.type:
            case "duckdb":
                raw_path, config = warehouse_file(project, self.target)
                if raw_path == ":memory:":
                    raise MflError(
                        "E807",
                        f"target '{self.target.name}' is an in-memory warehouse: nothing to serve",
                        self.target.loc_of("path"),
                        "serve a target whose warehouse is a file (path: target/warehouse.duckdb)",
                    )
                self._live = Path(raw_path)
                self._settings = {k: str(v) for k, v in config.items() if k == "threads"}
                self._settings["memory_limit"] = limits.memory_limit
                self.dialect = "duckdb"
                self._folder = project.path("target") / ".serve" / str(os.getpid())
                _remove_stale(self._folder.parent)
            case "postgres":
                from metricflow_lite.warehouse.served import postgres_dsn

                self._dsn = postgres_dsn(self.target)
                self.dialect = "postgres"
            case other:
                raise MflError(
                    "E807",
                    f"mfl serve reads DuckDB and PostgreSQL targets, not {other}",
                    self.target.loc,
                    "serve a DuckDB or PostgreSQL target (--target NAME)",
                )

    @classmethod
    def open(cls, project: Project, target_name: str | None, limits: Limits) -> BuildSnapshot:
        """The snapshot of a target, on its latest finished build (if any)."""
        snapshot = cls(project, target_name, limits)
        snapshot.changed()
        return snapshot

    @property
    def build_id(self) -> str | None:
        current = self._current
        return current.build_id if current is not None else None

    @property
    def built_by(self) -> str | None:
        """The build the current copy comes from: unlike build_id, a seed leaves it as it is."""
        current = self._current
        return current.built_by if current is not None else None

    def changed(self, companion_of: Callable[[str, object], object] | None = None) -> bool:
        """Take a newer finished build if there is one; True when the build answered from
        changed. Cheap when nothing changed (DuckDB: one stat of the warehouse file).
        `companion_of(built_by, last build's companion)` runs once the newer build is ready
        and before any reader gets it; what it returns is taken with the build, and every
        `reading()` gets the two together (without it, the last build's companion is kept)."""
        with self._lock:
            if self._closed:
                return False
            found = self._next_generation()
            previous = self._current.companion if self._current is not None else None
        if found is None:
            return False
        try:
            found.companion = (
                companion_of(found.built_by, previous) if companion_of is not None else previous
            )
        except BaseException:
            found.dispose()
            raise
        with self._lock:
            if self._closed:
                found.dispose()
                return False
            old, self._current = self._current, found
        if old is not None:
            old.retire()
        return True

    def _next_generation(self) -> _Generation | None:
        from metricflow_lite.warehouse import served

        if self._dsn is not None:
            reader = served.PostgresReader(self._dsn)
            reader.timeout_s = self.limits.timeout_s
            try:
                build_id = reader.build_id()
            except MflError:
                return None
            if build_id is None or (self._current and self._current.build_id == build_id):
                return None
            return _Generation(build_id, reader, None, build_id)
        assert self._live is not None
        signature = served.file_signature(self._live)
        if signature is None:
            return None
        if self._current is not None and self._current.build_id == signature.build_id:
            return None
        self._count += 1
        folder = self._folder / str(self._count)
        copy = folder / self._live.name
        taken = served.copy_duckdb_build(self._live, copy)
        if taken is None:
            shutil.rmtree(folder, ignore_errors=True)
            return None  # a writer is busy: the next call tries again
        try:
            duck = served.DuckDBReader(copy, self._settings)
        except MflError:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        duck.timeout_s = self.limits.timeout_s
        return _Generation(taken.build_id, duck, folder, taken.built_by)

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only Warehouse on the current build, for the jobs (reports, queries); its
        reads have the time limit. E804 when nothing is built yet."""
        with self.reading() as taken:
            yield taken.warehouse

    @contextlib.contextmanager
    def reading(self) -> Iterator[Taken]:
        """The current build, its reader and its companion, as one; E804 when nothing is
        built yet. The build stays readable until the block ends, whatever is taken meanwhile."""
        generation = self._acquire()
        try:
            yield Taken(generation.build_id, generation.warehouse, generation.companion)
        finally:
            generation.release()

    def latest(self) -> Taken | None:
        """The current build's id and companion (its warehouse not held: for what reads no
        rows); None when nothing is built yet."""
        current = self._current
        if current is None:
            return None
        return Taken(current.build_id, current.warehouse, current.companion)

    def _acquire(self) -> _Generation:
        with self._lock:
            current = self._current
            if current is None or self._closed:
                raise MflError(
                    "E804",
                    "no finished build to serve yet",
                    None,
                    "run 'mfl seed' and 'mfl build' (or 'mfl run'); the server takes the build"
                    " when it has finished",
                )
            with current.lock:
                current.users += 1
        return current

    def run_select(
        self, sql: str, dialect_of_sql: str, max_rows: int, timeout_s: float
    ) -> tuple[list[Column], list[Row]]:
        """Run one read-only query on the current build (see the module text)."""
        if len(sql) > self.limits.max_sql_chars:
            raise refused(f"the query is longer than {self.limits.max_sql_chars:,} characters")
        text = checked_select(sql, dialect_of_sql, self.dialect, max_rows)
        generation = self._acquire()
        try:
            columns, rows = generation.warehouse.select(text, max_rows, timeout_s)
        finally:
            generation.release()
        return columns, rows

    def close(self) -> None:
        with self._lock:
            self._closed = True
            current, self._current = self._current, None
        if current is not None:
            current.retire()
        if self._live is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _remove_stale(serve_dir: Path) -> None:
    """Copies left by servers that were killed (their process is gone)."""
    if not serve_dir.is_dir():
        return
    for entry in serve_dir.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            os.kill(int(entry.name), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue
