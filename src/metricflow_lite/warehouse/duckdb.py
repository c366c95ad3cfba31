"""The embedded default warehouse: one DuckDB file under target/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from metricflow_lite.errors import Location, MflError
from metricflow_lite.project import Project, TargetConfig
from metricflow_lite.warehouse.base import (
    FileLoad,
    FileLoadOutcome,
    LayerClock,
    LoadedFile,
    QueryResult,
    SeedFormat,
    Statement,
)

RAW = "raw"
LOADS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._loads (load_id BIGINT, table_name VARCHAR, file VARCHAR,"
    " sha256 VARCHAR, rows BIGINT, rejected BIGINT, loaded_at TIMESTAMP)"
)
REJECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS raw._rejects (load_id BIGINT, table_name VARCHAR, file VARCHAR,"
    " line BIGINT, raw_text VARCHAR, reason VARCHAR)"
)
# DuckDB's reject messages, said the way a person reading a load summary needs them.
REASON_SQL = r"""CASE
  WHEN error_type = 'CAST' THEN 'column ' || column_name || ': '
    || coalesce(nullif(regexp_extract(error_message, 'string "(.*)" to', 1), ''), '?')
    || ' is not a valid '
    || coalesce(nullif(regexp_extract(error_message, ' to ''([^'']+)''', 1), ''), 'value')
  WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN 'expected '
    || regexp_extract(error_message, 'Expected Number of Columns: (\d+)', 1)
    || ' columns, found ' || regexp_extract(error_message, 'Found: (\d+)', 1)
  WHEN error_type = 'INVALID ENCODING' THEN 'not valid text in the file''s encoding'
  WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line too long'
  ELSE lower(error_type::VARCHAR) || ': ' || error_message
END"""
UNTERMINATED = "error_type = 'UNQUOTED VALUE' AND error_message LIKE '%unterminated quote%'"
CRLF = "chr(10) || chr(13)"


def _ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def _raw(table: str) -> str:
    return exp.table_(table, db=RAW, quoted=True).sql(dialect="duckdb")


def _text(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


class DuckDBWarehouse:
    """A DuckDB database file (or :memory:)."""

    dialect = "duckdb"

    def __init__(self, connection: Any, target_name: str, path: str) -> None:
        self.connection = connection
        self.target_name = target_name
        self.path = path

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
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            raise MflError(
                "E013",
                f"cannot open {path}: {str(err).splitlines()[0]}",
                None,
                "another program (a DuckDB shell?) may hold the file open; close it and retry",
            ) from None
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
            self.connection.execute("ROLLBACK")
            message = str(err).strip()
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
        self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
        self.connection.execute(LOADS_DDL)
        self.connection.execute(REJECTS_DDL)
        self.connection.execute("CREATE SEQUENCE IF NOT EXISTS raw._load_id_seq")

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
        rows = self.connection.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
            " AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [RAW, table],
        ).fetchall()
        return tuple(r[0] for r in rows if r[0] not in ("_load_id", "_file", "_line"))

    def parquet_columns(self, path: Path, file: str) -> tuple[tuple[str, str], ...]:
        try:
            described = self.connection.execute(
                f"DESCRIBE SELECT * FROM read_parquet({_text(str(path))})"
            ).fetchall()
        except duckdb.Error as err:
            raise MflError(
                "E107",
                f"cannot read {file}: {str(err).strip().splitlines()[0]}",
                Location(file),
                "check that the file is a complete parquet file",
            ) from None
        return tuple((str(r[0]), str(r[1])) for r in described)

    def reset_table(self, table: str) -> None:
        self._ensure_raw()
        self.connection.execute("BEGIN TRANSACTION")
        try:
            self.connection.execute(f"DROP TABLE IF EXISTS {_raw(table)}")
            self.connection.execute("DELETE FROM raw._loads WHERE table_name = ?", [table])
            self.connection.execute("DELETE FROM raw._rejects WHERE table_name = ?", [table])
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
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
            if load.format is SeedFormat.PARQUET:
                outcome = self._load_parquet(load)
            elif not load.columns or load.lines <= int(load.csv.header):
                outcome = FileLoadOutcome(0, 0)  # empty, or a header only
            else:
                outcome = self._load_csv(load)
            con.execute(
                "INSERT INTO raw._loads VALUES (?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)",
                [load.load_id, load.table, load.file, load.sha256, outcome.rows, outcome.rejected],
            )
            con.execute("COMMIT")
        except duckdb.Error as err:
            con.execute("ROLLBACK")
            raise MflError(
                "E108",
                f"loading {load.file} failed: {str(err).strip().splitlines()[0]}",
                Location(load.file),
                f"nothing changed for this file: raw.{load.table} keeps its earlier rows",
            ) from None
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for scratch in ("mfl_rejects", "mfl_reject_scans", "mfl_lines", "mfl_parquet"):
                con.execute(f"DROP TABLE IF EXISTS temp.{scratch}")
        return outcome

    def _prepare_table(self, load: FileLoad) -> None:
        con = self.connection
        types = dict(load.columns)
        if load.format is SeedFormat.PARQUET:
            stored = dict(self.parquet_columns(Path(load.path), load.file))
            types = {name: kind or stored[name] for name, kind in types.items()}
        parts = [f"{_ident(name)} {kind}" for name, kind in types.items()]
        parts += ["_load_id BIGINT", "_file VARCHAR", "_line BIGINT"]
        con.execute(f"CREATE TABLE IF NOT EXISTS {_raw(load.table)} ({', '.join(parts)})")
        existing = set(self.raw_columns(load.table))
        for name, kind in types.items():
            if name not in existing:
                con.execute(f"ALTER TABLE {_raw(load.table)} ADD COLUMN {_ident(name)} {kind}")

    def _load_parquet(self, load: FileLoad) -> FileLoadOutcome:
        con = self.connection
        con.execute(
            "CREATE OR REPLACE TEMP TABLE mfl_parquet AS SELECT *, file_row_number + 1 AS mfl_line"
            f" FROM read_parquet({_text(load.path)}, file_row_number = true)"
        )
        typed = [(name, kind) for name, kind in load.columns if kind]
        # A value that does not parse as its declared type sends its row to the rejects,
        # as in a CSV, instead of failing the whole file.
        checks = [
            (
                f"({_ident(name)} IS NOT NULL AND TRY_CAST({_ident(name)} AS {kind}) IS NULL)",
                f"'column {name}: ' || CAST({_ident(name)} AS VARCHAR) || ' is not a valid {kind}'",
            )
            for name, kind in typed
        ]
        bad = " OR ".join(check for check, _ in checks) or "FALSE"
        rejected = 0
        if checks:
            reasons = ", ".join(f"CASE WHEN {check} THEN {reason} END" for check, reason in checks)
            raw_text = ", ".join(
                f"COALESCE(CAST({_ident(name)} AS VARCHAR), '')" for name, _ in load.columns
            )
            row = con.execute(
                "INSERT INTO raw._rejects SELECT"
                f" {load.load_id}, {_text(load.table)}, {_text(load.file)}, mfl_line,"
                f" concat_ws(',', {raw_text}), concat_ws('; ', {reasons})"
                f" FROM temp.mfl_parquet WHERE {bad}"
            ).fetchone()
            rejected = int(row[0]) if row else 0
        selects = ", ".join(
            f"CAST({_ident(name)} AS {kind})" if kind else _ident(name)
            for name, kind in load.columns
        )
        names = ", ".join(_ident(name) for name, _ in load.columns)
        row = con.execute(
            f"INSERT INTO {_raw(load.table)} ({names}, _load_id, _file, _line)"
            f" SELECT {selects}, {load.load_id}, {_text(load.file)}, mfl_line"
            f" FROM temp.mfl_parquet WHERE NOT ({bad})"
        ).fetchone()
        return FileLoadOutcome(int(row[0]) if row else 0, rejected)

    def _load_csv(self, load: FileLoad) -> FileLoadOutcome:
        con = self.connection
        csv = load.csv
        first = 2 if csv.header else 1  # the physical line of the first data row
        struct = ", ".join(f"{_text(name)}: {_text(kind)}" for name, kind in load.columns)
        names = ", ".join(_ident(name) for name, _ in load.columns)
        aliases = ", ".join(_ident(f"c{i}") for i in range(len(load.columns)))
        # WITH ORDINALITY numbers the rows that parsed, in file order, inside the parallel scan;
        # _line starts as if every data line were a row and is corrected below where not.
        row = con.execute(
            f"INSERT INTO {_raw(load.table)} ({names}, _load_id, _file, _line)"
            f" SELECT {aliases}, {load.load_id}, {_text(load.file)}, mfl_ord + {first - 1}"
            f" FROM read_csv({_text(load.path)}, columns = {{{struct}}},"
            f" header = {str(csv.header).lower()}, delim = {_text(csv.delimiter)},"
            f" quote = {_text(csv.quote)}, escape = {_text(csv.escape)},"
            f" encoding = {_text(csv.encoding)}, auto_detect = false, store_rejects = true,"
            " rejects_table = 'mfl_rejects', rejects_scan = 'mfl_reject_scans')"
            f" WITH ORDINALITY AS src({aliases}, mfl_ord)"
        ).fetchone()
        rows = int(row[0]) if row else 0
        counted = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {UNTERMINATED}) FROM temp.mfl_rejects"
        ).fetchone()
        bad, unterminated = (int(counted[0]), int(counted[1])) if counted else (0, 0)
        if rows + bad == load.lines - (first - 1) and not unterminated:
            # One record per physical line: DuckDB's record numbers are the file's lines.
            return FileLoadOutcome(rows, self._line_rejects(load, first, bad))
        return FileLoadOutcome(rows, self._mapped_rejects(load, first))

    def _line_rejects(self, load: FileLoad, first: int, bad: int) -> int:
        if not bad:
            return 0
        con = self.connection
        # The o-th parsed row comes after every reject j with r_j - j < o (r_j: its record
        # number), so it moves down by the count of those: a range join on a small table.
        con.execute(
            f"UPDATE {_raw(load.table)} AS t SET _line = t._line + s.shift"
            " FROM (SELECT lo, lead(lo, 1, 9223372036854775807) OVER (ORDER BY lo) AS hi, shift"
            "   FROM (SELECT r - j + 1 AS lo, max(j) AS shift"
            f"     FROM (SELECT line - {first - 1} AS r,"
            "        row_number() OVER (ORDER BY line) AS j FROM temp.mfl_rejects)"
            "     GROUP BY lo)) AS s"
            f" WHERE t._file = ? AND t._line - {first - 1} >= s.lo"
            f" AND t._line - {first - 1} < s.hi",
            [load.file],
        )
        con.execute(
            "INSERT INTO raw._rejects SELECT ?, ?, ?, line,"
            f" rtrim(ltrim(csv_line, {CRLF}), {CRLF}), {REASON_SQL}"
            " FROM temp.mfl_rejects ORDER BY line",
            [load.load_id, load.table, load.file],
        )
        return bad

    def _mapped_rejects(self, load: FileLoad, first: int) -> int:
        """Number parsed rows and rejects by physical line where values span lines, lines are
        blank or a quote never closes: the file is read once more as plain lines."""
        con = self.connection
        csv = load.csv
        pair = _text(csv.escape + csv.quote)
        unescaped = "text" if csv.escape == csv.quote else f"replace(text, {pair}, '')"
        con.execute(
            "CREATE TEMP TABLE mfl_lines AS SELECT n, text"
            f" FROM read_csv({_text(load.path)}, columns = {{'text': 'VARCHAR'}},"
            " header = false, delim = chr(0), quote = '', escape = '',"
            f" encoding = {_text(csv.encoding)}, auto_detect = false, strict_mode = false)"
            " WITH ORDINALITY AS l(text, n)"
        )
        # A line starts a record when the quotes before it are balanced; DuckDB numbers
        # records, blank lines included, as if they were lines.
        starts = (
            "SELECT n, text, row_number() OVER (ORDER BY n) AS record FROM ("
            " SELECT n, text, coalesce(sum(length(u) - length(replace(u,"
            f" {_text(csv.quote)}, ''))) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING"
            " AND 1 PRECEDING), 0) % 2 = 1 AS quoted"
            f" FROM (SELECT n, text, coalesce({unescaped}, '') AS u FROM temp.mfl_lines))"
            " WHERE NOT quoted"
        )
        con.execute(
            f"UPDATE {_raw(load.table)} AS t SET _line = m.n"
            " FROM (SELECT n, row_number() OVER (ORDER BY n) AS o"
            f"   FROM ({starts}) AS s"
            f"   WHERE record >= {first} AND coalesce(text, '') <> ''"
            "     AND record NOT IN (SELECT line FROM temp.mfl_rejects)) AS m"
            f" WHERE t._file = ? AND t._line - {first - 1} = m.o",
            [load.file],
        )
        row = con.execute(
            "INSERT INTO raw._rejects"
            " SELECT ?, ?, ?, s.n, s.text,"
            f" CASE WHEN {UNTERMINATED} THEN 'unterminated quote: the value opened on this line'"
            f" || ' never closes, so the lines after it were not loaded' ELSE {REASON_SQL} END"
            f" FROM temp.mfl_rejects AS r JOIN ({starts}) AS s ON s.record = r.line"
            " UNION ALL"
            " SELECT ?, ?, ?, l.n, l.text, 'inside the unterminated quote opened on line ' || s.n"
            f" FROM temp.mfl_rejects AS r JOIN ({starts}) AS s ON s.record = r.line"
            " JOIN temp.mfl_lines AS l ON l.n > s.n"
            f" WHERE {UNTERMINATED} AND coalesce(l.text, '') <> ''",
            [load.load_id, load.table, load.file] * 2,
        ).fetchone()
        return int(row[0]) if row else 0
