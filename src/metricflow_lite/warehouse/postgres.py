"""A PostgreSQL warehouse (psycopg 3): the DSN comes from an environment variable, never a file."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlglot import exp

from metricflow_lite.compile.names import FILE, LINE, LOAD_ID, META_COLUMNS, RAW, SRC
from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.project import Project, TargetConfig
from metricflow_lite.warehouse.base import (
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
    disk_full_error,
)
from metricflow_lite.warehouse.dsn import DEFAULT_DSN_ENV, check_dsn_env, password_of, redact
from metricflow_lite.warehouse.seedfile import parquet_columns, staged_file

# Text collates "C": ordering and comparisons are byte-wise, as on DuckDB and Spark, whatever
# the database's own locale is; views inherit it from these columns.
TEXT = 'text COLLATE "C"'
PG_META = {LOAD_ID: "bigint", FILE: TEXT, LINE: "bigint"}
LOADS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._loads (load_id bigint, table_name text, file text,"
    " sha256 text, rows bigint, rejected bigint, loaded_at timestamp)"
)
REJECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._rejects (load_id bigint, table_name text, file text,"
    " line bigint, raw_text text, reason text)"
)
# DuckDB types PostgreSQL lacks, by their sqlglot names: the nearest exact type.
WIDER = {
    "INT128": "numeric",
    "UINT128": "numeric",
    "UBIGINT": "numeric",
    "UINT": "bigint",
    "USMALLINT": "integer",
    "UTINYINT": "smallint",
}
COPY_CHUNK = 1 << 20
# Text columns of the tables a build writes that do not collate "C": a column computed from
# literals or from a function of non-text values (a CASE of labels, to_char, a cast of a
# number) takes the database's collation, and would sort and compare by its locale.
NOT_C_COLUMNS = (
    "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY(%s) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
    " AND a.attcollation NOT IN (0, '\"C\"'::regcollation)"
    " ORDER BY n.nspname, c.relname, a.attnum"
)
# The schema of the view a rendered CREATE VIEW makes (sqlglot quotes every name)
CREATED_VIEW = re.compile(r'\s*CREATE VIEW "([^"]+)"\.')
# The columns of a view, in order, and whether each is text that does not collate "C"
VIEW_COLUMNS = (
    "SELECT a.attname, a.attcollation NOT IN (0, '\"C\"'::regcollation)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'v' AND a.attnum > 0"
    " ORDER BY a.attnum"
)


def first_line(err: BaseException) -> str:
    """The first line of a driver error, without the DSN or anything after it."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def plain_number(value: Any) -> Any:
    """SUM over bigint is numeric on PostgreSQL: 8 calls come back as Decimal('8'), made int."""
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
    return value


def postgres_type(duckdb_type: str) -> str:
    """A DuckDB column type in PostgreSQL's spelling; text compares byte-wise."""
    data_type = exp.DataType.build(duckdb_type, dialect="duckdb")
    if data_type.is_type(*exp.DataType.TEXT_TYPES):
        return TEXT
    spelled = data_type.sql(dialect="postgres")
    return WIDER.get(spelled.upper(), spelled)


T = TypeVar("T")


def collate_tables_c(connection: Any, sql: str, schemas: Sequence[str]) -> None:
    """After a statement that created a table in `schemas`: its text columns collate "C", as
    raw's do, so that every engine orders and compares the table's values byte-wise. Done
    before any view reads the table (PostgreSQL alters no column a view uses)."""
    from psycopg import sql as pgsql

    if sql.lstrip().upper().startswith("CREATE VIEW"):
        collate_view_c(connection, sql, schemas)
        return
    if not sql.lstrip().upper().startswith("CREATE TABLE"):
        return
    for schema, table, column, type_name in connection.execute(
        NOT_C_COLUMNS, (list(schemas),)
    ).fetchall():
        connection.execute(
            pgsql.SQL('ALTER TABLE {} ALTER COLUMN {} TYPE {} COLLATE "C"').format(
                pgsql.Identifier(schema, table), pgsql.Identifier(column), pgsql.SQL(type_name)
            )
        )


def collate_view_c(connection: Any, sql: str, schemas: Sequence[str]) -> None:
    """After a CREATE VIEW of a source model in `schemas` (the views of src: a UNION ALL of
    other source tables, see compile/layers.materialized): made again with its text columns
    that do not collate "C" (a literal such as 'call' takes the database's collation) cast to
    "C", so that its values sort as the table's would. Before anything reads the view."""
    import sqlglot

    # the target's schema from the statement's head: a report view (large) is not parsed
    head = CREATED_VIEW.match(sql)
    if head is None or not head.group(1).startswith(SRC) or head.group(1) not in schemas:
        return
    create = sqlglot.parse_one(sql, read="postgres")
    view = create.this if isinstance(create, exp.Create) else None
    query = create.expression if isinstance(create, exp.Create) else None
    if not (isinstance(view, exp.Table) and isinstance(query, exp.Query)):
        return
    columns = connection.execute(VIEW_COLUMNS, (view.db, view.name)).fetchall()
    if not any(not_c for _, not_c in columns):
        return
    inner = "_mfl_view"

    def column(name: str, not_c: bool) -> exp.Expr:
        value: exp.Expr = exp.column(name, table=inner, quoted=True)
        if not_c:
            value = exp.Collate(this=value, expression=exp.to_identifier("C", quoted=True))
        return exp.alias_(value, name, quoted=True)

    wrapped = exp.select(*(column(name, not_c) for name, not_c in columns)).from_(
        exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=exp.to_identifier(inner)))
    )
    again = exp.Create(this=view.copy(), kind="VIEW", expression=wrapped)
    connection.execute(exp.Drop(tables=[view.copy()], kind="VIEW").sql("postgres"))
    connection.execute(again.sql("postgres"))


class PostgresBuildSession(ConnectionBuildSession):
    """The transaction a build writes the staging schemas in; a whole-number Decimal (a SUM
    over bigint) comes back as an int, as the other engines return it."""

    dialect = "postgres"
    first_step = "creating the staging schemas"

    def __init__(self, connection: Any, clock: LayerClock, staged: Sequence[str] = ()) -> None:
        super().__init__(connection, clock)
        self.staged = tuple(staged)

    def execute(self, sql: str, what: str = "", layer: str = "") -> None:
        if what:
            self.current = what
        self.connection.execute(sql)
        collate_tables_c(self.connection, sql, self.staged)
        if layer:
            self.clock.lap(layer)

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        rows = self.connection.execute(sql).fetchall()
        return [tuple(plain_number(v) for v in row) for row in rows]


class PostgresWarehouse(Closing):
    """One connection to a PostgreSQL database; autocommit except inside apply_build."""

    dialect = "postgres"
    build_schema_suffix = "__next"  # where a build creates the layers before the swap

    def __init__(self, connection: Any, target_name: str) -> None:
        self.connection = connection
        self.target_name = target_name

    @classmethod
    def open(cls, project: Project, target: TargetConfig) -> PostgresWarehouse:
        try:
            import psycopg
        except ImportError:
            raise MflError(
                "E014",
                f"target '{target.name}' needs psycopg, which is not installed",
                target.loc,
                "pip install 'metricflow-lite[postgres]'",
            ) from None
        env = check_dsn_env(str(target.get("dsn_env", DEFAULT_DSN_ENV)), target.loc_of("dsn_env"))
        dsn = os.environ.get(env)
        if not dsn:
            raise MflError(
                "E015",
                f"target '{target.name}': environment variable {env} is not set",
                target.loc,
                f"export {env}='host=... dbname=... user=...' (the DSN stays out of files)",
            )
        try:
            connection = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.ProgrammingError:
            # libpq quotes the part it cannot parse, which may be the password: show none of it.
            raise MflError(
                "E016",
                f"target '{target.name}': the DSN in ${env} cannot be parsed",
                target.loc,
                f"write ${env} as 'host=... port=5432 dbname=... user=...' or"
                " 'postgresql://user@host:5432/dbname' (percent-encode % in a password as %25;"
                " better, leave the password to ~/.pgpass or PGPASSWORD)",
            ) from None
        except psycopg.Error as err:
            # The message may echo host and user but never the password; keep one line.
            secrets = [dsn, *filter(None, [password_of(dsn)])]
            raise MflError(
                "E016",
                f"target '{target.name}': cannot connect to PostgreSQL:"
                f" {redact(first_line(err), secrets)}",
                target.loc,
                f"check that the server is running and that ${env} is right",
            ) from None
        return cls(connection, target.name)

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def fetch(self, sql: str) -> QueryResult:
        cursor = self.connection.execute(sql)
        columns = tuple(d.name for d in cursor.description or ())
        rows = tuple(tuple(plain_number(v) for v in row) for row in cursor.fetchall())
        return QueryResult(columns, rows)

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
        import psycopg

        # One transaction, so any failure rolls back to the previous build. The statements
        # create the layers in staging schemas (src__next ...) beside the live ones, which
        # readers keep querying without waiting; only the swap at the end (drop the old
        # schemas, rename the new ones: views follow, PostgreSQL binds them to tables, not
        # names) takes the locks that make a reader wait, for as long as a rename lasts.
        current = "creating the staging schemas"
        clock = LayerClock()
        try:
            with self.connection.transaction():
                for schema in schemas:
                    staged = schema + self.build_schema_suffix
                    self.connection.execute(f'DROP SCHEMA IF EXISTS "{staged}" CASCADE')
                    self.connection.execute(f'CREATE SCHEMA "{staged}"')
                clock.lap("drop")
                for statement in statements:
                    current = statement.what
                    if on_statement is not None:
                        on_statement(statement)
                    self.connection.execute(statement.sql)
                    collate_tables_c(
                        self.connection,
                        statement.sql,
                        [schema + self.build_schema_suffix for schema in schemas],
                    )
                    clock.lap(statement.layer or "other")
                current = "replacing the previous build"
                for schema in schemas:
                    staged = schema + self.build_schema_suffix
                    self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    self.connection.execute(f'ALTER SCHEMA "{staged}" RENAME TO "{schema}"')
            clock.lap("commit")
        except psycopg.Error as err:
            if DISK_FULL.search(str(err)):
                raise disk_full_error(first_line(err), "the PostgreSQL data directory") from None
            raise MflError(
                "E300",
                f"build failed in {current}: {first_line(err)}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None
        return clock.laps()

    def build_staged(
        self, work: Callable[[PostgresBuildSession], T], schemas: Sequence[str]
    ) -> tuple[T, tuple[tuple[str, float], ...]]:
        """Run `work` in one transaction on fresh staging schemas (src__next ...), then swap
        them in for `schemas`: any failure rolls back to the previous build, which readers
        keep querying without waiting until the swap (see apply_build)."""
        import psycopg

        clock = LayerClock()
        staging = [schema + self.build_schema_suffix for schema in schemas]
        session = PostgresBuildSession(self.connection, clock, staging)
        try:
            with self.connection.transaction():
                for schema in schemas:
                    staged = schema + self.build_schema_suffix
                    self.connection.execute(f'DROP SCHEMA IF EXISTS "{staged}" CASCADE')
                    self.connection.execute(f'CREATE SCHEMA "{staged}"')
                clock.lap("drop")
                result = work(session)
                session.current = "replacing the previous build"
                for schema in schemas:
                    staged = schema + self.build_schema_suffix
                    self.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    self.connection.execute(f'ALTER SCHEMA "{staged}" RENAME TO "{schema}"')
            clock.lap("commit")
        except psycopg.Error as err:
            if DISK_FULL.search(str(err)):
                raise disk_full_error(first_line(err), "the PostgreSQL data directory") from None
            raise MflError(
                "E300",
                f"build failed in {session.current}: {first_line(err)}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None
        return result, clock.laps()

    # --- seeds ----------------------------------------------------------------------------

    def _ensure_raw(self) -> None:
        self.connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
        self.connection.execute(LOADS_DDL)
        self.connection.execute(REJECTS_DDL)
        self.connection.execute("CREATE SEQUENCE IF NOT EXISTS raw._load_id_seq")

    def loaded_files(self) -> tuple[LoadedFile, ...]:
        found = self.connection.execute("SELECT to_regclass('raw._loads')").fetchone()
        if not found or found[0] is None:
            return ()
        rows = self.connection.execute(
            "SELECT table_name, file, sha256, rows, rejected, load_id FROM raw._loads ORDER BY file"
        ).fetchall()
        return tuple(LoadedFile(*row) for row in rows)

    def raw_columns(self, table: str) -> tuple[str, ...]:
        rows = self.connection.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'raw' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return tuple(r[0] for r in rows if r[0] not in META_COLUMNS)

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        import duckdb

        with duckdb.connect(":memory:") as con:
            return parquet_columns(con, path, file)

    def next_load_id(self) -> int:
        self._ensure_raw()
        row = self.connection.execute("SELECT nextval('raw._load_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def load_table(
        self, change: TableChange, loads: Iterable[FileLoad]
    ) -> tuple[FileLoadOutcome, ...]:
        """One transaction per table: the reset, moves, prunes and every file's COPY."""
        import psycopg
        from psycopg import sql

        self._ensure_raw()
        con = self.connection
        table = sql.Identifier("raw", change.table)
        outcomes: list[FileLoadOutcome] = []
        current = change.table
        try:
            with con.transaction():
                if change.reset:
                    self._reset(change.table)
                found = con.execute("SELECT to_regclass(%s)", (f'raw."{change.table}"',))
                exists = (found.fetchone() or (None,))[0] is not None
                for old, new in change.moves:
                    if exists:
                        con.execute(
                            sql.SQL("UPDATE {} SET _file = %s WHERE _file = %s").format(table),
                            (new, old),
                        )
                    con.execute("UPDATE raw._rejects SET file = %s WHERE file = %s", (new, old))
                    con.execute("UPDATE raw._loads SET file = %s WHERE file = %s", (new, old))
                for file in change.pruned:
                    if exists:
                        con.execute(
                            sql.SQL("DELETE FROM {} WHERE _file = %s").format(table), (file,)
                        )
                    con.execute("DELETE FROM raw._rejects WHERE file = %s", (file,))
                    con.execute("DELETE FROM raw._loads WHERE file = %s", (file,))
                for load in loads:
                    current = load.file
                    outcomes.append(self._load_file(load))
        except psycopg.Error as err:
            if DISK_FULL.search(str(err)):
                raise disk_full_error(first_line(err), "the PostgreSQL data directory") from None
            raise MflError(
                "E108",
                f"loading {current} failed: {first_line(err)}",
                Location(current),
                f"nothing changed: raw.{change.table} keeps its earlier rows",
            ) from None
        return tuple(outcomes)

    def _reset(self, table: str) -> None:
        """Empty raw.<table> for a full refresh, inside the caller's transaction."""
        import psycopg
        from psycopg import sql

        con = self.connection
        name = sql.Identifier("raw", table)
        try:
            with con.transaction():  # a savepoint
                con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        except psycopg.errors.DependentObjectsStillExist:
            # the build's src views read the table: keep it (and them), drop its rows
            con.execute(sql.SQL("DELETE FROM {}").format(name))
        con.execute("DELETE FROM raw._loads WHERE table_name = %s", (table,))
        con.execute("DELETE FROM raw._rejects WHERE table_name = %s", (table,))

    def _load_file(self, load: FileLoad) -> FileLoadOutcome:
        """Read the file with the shared reject rules, then COPY its rows and rejects in."""
        with staged_file(load) as staged:
            rows_csv = staged.scratch / "rows.csv"
            staged.write(staged.rows_query(), rows_csv, "FORMAT csv, HEADER false")
            rejects = staged.con.execute(
                "SELECT * FROM staged_rejects ORDER BY line, reason"
            ).fetchall()
            self._copy_file(load, staged.columns, rows_csv, rejects)
            self.connection.execute(
                "INSERT INTO raw._loads VALUES (%s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC')",
                (
                    load.load_id,
                    load.table,
                    load.file,
                    load.sha256,
                    staged.outcome.rows,
                    staged.outcome.rejected,
                ),
            )
            return staged.outcome

    def _copy_file(
        self,
        load: FileLoad,
        columns: tuple[tuple[str, str], ...],
        rows_csv: Path,
        rejects: list[tuple[Any, ...]],
    ) -> None:
        from psycopg import sql

        con = self.connection
        table = sql.Identifier(RAW, load.table)
        data = tuple((name, postgres_type(kind)) for name, kind in columns)
        ddl = [
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(k))
            for n, k in (*data, *PG_META.items())
        ]
        con.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table, sql.SQL(", ").join(ddl))
        )
        for name, kind in data:
            con.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                    table, sql.Identifier(name), sql.SQL(kind)
                )
            )
        con.execute(sql.SQL("DELETE FROM {} WHERE _file = %s").format(table), (load.file,))
        con.execute("DELETE FROM raw._rejects WHERE file = %s", (load.file,))
        con.execute("DELETE FROM raw._loads WHERE file = %s", (load.file,))
        names = sql.SQL(", ").join(sql.Identifier(n) for n in (*dict(data), *PG_META))
        copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, names)
        with con.cursor().copy(copy) as stream, rows_csv.open("rb") as handle:
            while chunk := handle.read(COPY_CHUNK):
                stream.write(chunk)
        if rejects:
            with con.cursor().copy("COPY raw._rejects FROM STDIN") as stream:
                for reject in rejects:
                    stream.write_row(reject)

    def close(self) -> None:
        self.connection.close()
