"""One seed file read by DuckDB: rows typed as declared, the lines that do not parse in a rejects
table with their physical line numbers and the reason.

Every engine loads seeds through this module, so a file gives the same rows and the same rejects
everywhere: DuckDB reads straight into raw.<table>; PostgreSQL and Spark first read the file into
an in-memory DuckDB (`staged_file`) and then copy the clean rows and the rejects into their own
raw tables (COPY FROM STDIN, Parquet files).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from metricflow_lite.compile.names import META_COLUMN_TYPES
from metricflow_lite.errors import Location, MflError
from metricflow_lite.warehouse.base import FileLoad, FileLoadOutcome, SeedFormat

META_COLUMNS = META_COLUMN_TYPES
REJECT_COLUMNS = (
    ("load_id", "BIGINT"),
    ("table_name", "VARCHAR"),
    ("file", "VARCHAR"),
    ("line", "BIGINT"),
    ("raw_text", "VARCHAR"),
    ("reason", "VARCHAR"),
)
LOAD_COLUMNS = (
    ("load_id", "BIGINT"),
    ("table_name", "VARCHAR"),
    ("file", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("rows", "BIGINT"),
    ("rejected", "BIGINT"),
    ("loaded_at", "TIMESTAMP"),
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
UNTERMINATED_REASON = (
    "'unterminated quote: the value opened on this line never closes,"
    " so the lines after it were not loaded'"
)
# DuckDB reports a line once per error in it: a line three columns short three times (found 10,
# 9, 8 of 11), a bad value next to a missing column twice. One reject per line: its column count
# when that is wrong (a cast error in a misaligned line is noise), else every bad value.
BAD_LINES = rf"""SELECT line, any_value(csv_line) AS csv_line,
  bool_or({UNTERMINATED}) AS unterminated,
  CASE WHEN bool_or({UNTERMINATED}) THEN {UNTERMINATED_REASON} ELSE coalesce(
    arg_min(reason, found) FILTER (WHERE error_type = 'MISSING COLUMNS'),
    arg_max(reason, found) FILTER (WHERE error_type = 'TOO MANY COLUMNS'),
    string_agg(reason, '; ' ORDER BY column_idx)) END AS reason
FROM (SELECT *, {REASON_SQL} AS reason,
  TRY_CAST(regexp_extract(error_message, 'Found: (\d+)', 1) AS BIGINT) AS found
  FROM temp.mfl_rejects)
GROUP BY line"""
CRLF = "chr(10) || chr(13)"
SCRATCH = ("mfl_csv", "mfl_rejects", "mfl_reject_scans", "mfl_bad", "mfl_lines")


# Quoting goes through sqlglot's generator, about 0.1 ms a call and a few hundred calls per
# file: a tenth of loading a small file, so each name is quoted once.
@lru_cache(maxsize=4096)
def ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


@lru_cache(maxsize=4096)
def text(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def columns_ddl(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{ident(name)} {kind}" for name, kind in columns)


def parquet_columns(con: Any, path: Path, file: str) -> tuple[tuple[str, str], ...]:
    """(name, DuckDB type) of each column stored in a parquet file."""
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({text(str(path))})"
        ).fetchall()
    except duckdb.Error as err:
        raise MflError(
            "E107",
            f"cannot read {file}: {str(err).strip().splitlines()[0]}",
            Location(file),
            "check that the file is a complete parquet file",
        ) from None
    return tuple((str(r[0]), str(r[1])) for r in described)


def table_columns(con: Any, load: FileLoad) -> tuple[tuple[str, str], ...]:
    """(name, DuckDB type) of the file's columns in raw.<table>: declared, else as stored."""
    if load.format is not SeedFormat.PARQUET:
        return load.columns
    stored = dict(parquet_columns(con, Path(load.path), load.file))
    return tuple((name, kind or stored[name]) for name, kind in load.columns)


def read_seed_file(con: Any, load: FileLoad, into: str, rejects: str) -> FileLoadOutcome:
    """Insert the file's good rows into `into` (which has the file's columns plus _load_id, _file
    and _line) and its bad lines into `rejects` (REJECT_COLUMNS); both are quoted table names.

    Runs inside the caller's transaction; `into` should hold no rows of load.file yet."""
    try:
        if load.format is SeedFormat.PARQUET:
            return _read_parquet(con, load, into, rejects)
        if not load.columns or load.lines <= int(load.csv.header):
            return FileLoadOutcome(0, 0)  # empty, or a header only
        return _read_csv(con, load, into, rejects)
    finally:
        for scratch in SCRATCH:
            con.execute(f"DROP TABLE IF EXISTS temp.{scratch}")


def _read_parquet(con: Any, load: FileLoad, into: str, rejects: str) -> FileLoadOutcome:
    # The file is scanned twice, once for the rejects and once for the good rows, rather than
    # copied into a temp table first: DuckDB's parquet reader reads only the columns and row
    # groups each statement needs, and the copy cost a third of the load at 10M rows.
    rows = f"read_parquet({text(load.path)}, file_row_number = true)"
    line = "file_row_number + 1"
    stored = dict(parquet_columns(con, Path(load.path), load.file))
    # A value that does not parse as its declared type sends its row to the rejects, as in a
    # CSV, instead of failing the whole file; a column stored as that type already cannot fail.
    checks = [
        (
            f"({ident(name)} IS NOT NULL AND TRY_CAST({ident(name)} AS {kind}) IS NULL)",
            # typeof names the type as DuckDB's CSV rejects do (INTEGER, not INT)
            f"{text(f'column {name}: ')} || CAST({ident(name)} AS VARCHAR)"
            f" || ' is not a valid ' || typeof(CAST(NULL AS {kind}))",
        )
        for name, kind in load.columns
        if kind and stored.get(name, "").upper() != kind.upper()
    ]
    bad = " OR ".join(check for check, _ in checks) or "FALSE"
    rejected = 0
    if checks:
        reasons = ", ".join(f"CASE WHEN {check} THEN {reason} END" for check, reason in checks)
        raw_text = ", ".join(
            f"COALESCE(CAST({ident(name)} AS VARCHAR), '')" for name, _ in load.columns
        )
        # The bad rows are found reading the checked columns only; the whole row is read for
        # them alone (DuckDB prunes the scan by row number): 0.15 s instead of 1.6 s at 10M rows.
        row = con.execute(
            f"INSERT INTO {rejects} SELECT"
            f" {load.load_id}, {text(load.table)}, {text(load.file)}, {line},"
            f" concat_ws(',', {raw_text}), concat_ws('; ', {reasons})"
            f" FROM {rows} WHERE file_row_number IN (SELECT file_row_number FROM {rows}"
            f" WHERE {bad})"
        ).fetchone()
        rejected = int(row[0]) if row else 0
    selects = ", ".join(
        f"CAST({ident(name)} AS {kind})" if kind else ident(name) for name, kind in load.columns
    )
    names = ", ".join(ident(name) for name, _ in load.columns)
    row = con.execute(
        f"INSERT INTO {into} ({names}, _load_id, _file, _line)"
        f" SELECT {selects}, {load.load_id}, {text(load.file)}, {line}"
        f" FROM {rows} WHERE NOT ({bad})"
    ).fetchone()
    return FileLoadOutcome(int(row[0]) if row else 0, rejected)


def _read_csv(con: Any, load: FileLoad, into: str, rejects: str) -> FileLoadOutcome:
    csv = load.csv
    first = 2 if csv.header else 1  # the physical line of the first data row
    struct = ", ".join(f"{text(name)}: {text(kind)}" for name, kind in load.columns)
    names = ", ".join(ident(name) for name, _ in load.columns)
    aliases = ", ".join(ident(f"c{i}") for i in range(len(load.columns)))
    # The rows that parsed go to a temp table first: DuckDB keeps a scan's file order on insert,
    # so its rowids number them in order and _line starts as if every data line were a row,
    # corrected below where not. Numbering inside the scan (WITH ORDINALITY) cost 40 % more.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE mfl_csv AS SELECT {aliases}"
        f" FROM read_csv({text(load.path)}, columns = {{{struct}}},"
        f" header = {str(csv.header).lower()}, delim = {text(csv.delimiter)},"
        f" quote = {text(csv.quote)}, escape = {text(csv.escape)},"
        f" encoding = {text(csv.encoding)}, auto_detect = false, store_rejects = true,"
        " rejects_table = 'mfl_rejects', rejects_scan = 'mfl_reject_scans')"
        f" AS src({aliases})"
    )
    # rowids inside a transaction start at an offset: count from the first one
    lowest = con.execute("SELECT min(rowid) FROM temp.mfl_csv").fetchone()
    offset = first - int(lowest[0]) if lowest and lowest[0] is not None else first
    row = con.execute(
        f"INSERT INTO {into} ({names}, _load_id, _file, _line)"
        f" SELECT {aliases}, {load.load_id}, {text(load.file)}, rowid + {offset}"
        " FROM temp.mfl_csv"
    ).fetchone()
    rows = int(row[0]) if row else 0
    errors = con.execute("SELECT count(*) FROM temp.mfl_rejects").fetchone()
    bad, unterminated = 0, 0
    if errors and errors[0]:
        con.execute(f"CREATE TEMP TABLE mfl_bad AS {BAD_LINES}")
        counted = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE unterminated) FROM temp.mfl_bad"
        ).fetchone()
        bad, unterminated = (int(counted[0]), int(counted[1])) if counted else (0, 0)
    if rows + bad == load.lines - (first - 1) and not unterminated:
        # One record per physical line: DuckDB's record numbers are the file's lines.
        return FileLoadOutcome(rows, _line_rejects(con, load, into, rejects, first, bad))
    return FileLoadOutcome(rows, _mapped_rejects(con, load, into, rejects, first))


def _line_rejects(con: Any, load: FileLoad, into: str, rejects: str, first: int, bad: int) -> int:
    if not bad:
        return 0
    # The o-th parsed row comes after every reject j with r_j - j < o (r_j: its record
    # number), so it moves down by the count of those: a range join on a small table.
    con.execute(
        f"UPDATE {into} AS t SET _line = t._line + s.shift"
        " FROM (SELECT lo, lead(lo, 1, 9223372036854775807) OVER (ORDER BY lo) AS hi, shift"
        "   FROM (SELECT r - j + 1 AS lo, max(j) AS shift"
        f"     FROM (SELECT line - {first - 1} AS r,"
        "        row_number() OVER (ORDER BY line) AS j FROM temp.mfl_bad)"
        "     GROUP BY lo)) AS s"
        f" WHERE t._file = ? AND t._line - {first - 1} >= s.lo"
        f" AND t._line - {first - 1} < s.hi",
        [load.file],
    )
    con.execute(
        f"INSERT INTO {rejects} SELECT ?, ?, ?, line,"
        f" rtrim(ltrim(csv_line, {CRLF}), {CRLF}), reason"
        " FROM temp.mfl_bad ORDER BY line",
        [load.load_id, load.table, load.file],
    )
    return bad


def _mapped_rejects(con: Any, load: FileLoad, into: str, rejects: str, first: int) -> int:
    """Number parsed rows and rejects by physical line where values span lines, lines are
    blank or a quote never closes: the file is read once more as plain lines."""
    # the bad lines, unless there were none and the scan above left them uncounted
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS mfl_bad AS {BAD_LINES}")
    csv = load.csv
    pair = text(csv.escape + csv.quote)
    unescaped = "text" if csv.escape == csv.quote else f"replace(text, {pair}, '')"
    con.execute(
        "CREATE TEMP TABLE mfl_lines AS SELECT n, text"
        f" FROM read_csv({text(load.path)}, columns = {{'text': 'VARCHAR'}},"
        " header = false, delim = chr(0), quote = '', escape = '',"
        f" encoding = {text(csv.encoding)}, auto_detect = false, strict_mode = false)"
        " WITH ORDINALITY AS l(text, n)"
    )
    # A line starts a record when the quotes before it are balanced; DuckDB numbers
    # records, blank lines included, as if they were lines.
    starts = (
        "SELECT n, text, row_number() OVER (ORDER BY n) AS record FROM ("
        " SELECT n, text, coalesce(sum(length(u) - length(replace(u,"
        f" {text(csv.quote)}, ''))) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING"
        " AND 1 PRECEDING), 0) % 2 = 1 AS quoted"
        f" FROM (SELECT n, text, coalesce({unescaped}, '') AS u FROM temp.mfl_lines))"
        " WHERE NOT quoted"
    )
    con.execute(
        f"UPDATE {into} AS t SET _line = m.n"
        " FROM (SELECT n, row_number() OVER (ORDER BY n) AS o"
        f"   FROM ({starts}) AS s"
        f"   WHERE record >= {first} AND coalesce(text, '') <> ''"
        "     AND record NOT IN (SELECT line FROM temp.mfl_bad)) AS m"
        f" WHERE t._file = ? AND t._line - {first - 1} = m.o",
        [load.file],
    )
    row = con.execute(
        f"INSERT INTO {rejects}"
        " SELECT ?, ?, ?, s.n, s.text, r.reason"
        f" FROM temp.mfl_bad AS r JOIN ({starts}) AS s ON s.record = r.line"
        " UNION ALL"
        " SELECT ?, ?, ?, l.n, l.text, 'inside the unterminated quote opened on line ' || s.n"
        f" FROM temp.mfl_bad AS r JOIN ({starts}) AS s ON s.record = r.line"
        " JOIN temp.mfl_lines AS l ON l.n > s.n"
        " WHERE r.unterminated AND coalesce(l.text, '') <> ''",
        [load.load_id, load.table, load.file] * 2,
    ).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A seed file read into an in-memory DuckDB: tables `staged` (the file's columns plus
    _load_id, _file, _line) and `staged_rejects` (REJECT_COLUMNS), and a scratch folder."""

    con: Any
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) in the file's order
    outcome: FileLoadOutcome
    scratch: Path

    def rows_query(self) -> str:
        """SELECT of the good rows, data columns then _load_id, _file, _line, in file order."""
        names = ", ".join(ident(n) for n, _ in (*self.columns, *META_COLUMNS))
        return f"SELECT {names} FROM staged ORDER BY _line"

    def write(self, query: str, path: Path, options: str) -> None:
        """Write a query's rows to a file with DuckDB's COPY (options: e.g. FORMAT parquet)."""
        self.con.execute(f"COPY ({query}) TO {text(str(path))} ({options})")


@contextmanager
def staged_file(load: FileLoad) -> Iterator[StagedFile]:
    """Read one seed file into an in-memory DuckDB, applying every reject rule."""
    with tempfile.TemporaryDirectory(prefix="mfl-seed-") as scratch:
        con = duckdb.connect(":memory:", config={"temp_directory": scratch})
        try:
            con.execute("SET TimeZone = 'UTC'")
            columns = table_columns(con, load)
            con.execute(f"CREATE TABLE staged ({columns_ddl((*columns, *META_COLUMNS))})")
            con.execute(f"CREATE TABLE staged_rejects ({columns_ddl(REJECT_COLUMNS)})")
            try:
                outcome = read_seed_file(con, load, "staged", "staged_rejects")
            except duckdb.Error as err:
                raise MflError(
                    "E108",
                    f"loading {load.file} failed: {str(err).strip().splitlines()[0]}",
                    Location(load.file),
                    f"nothing changed for this file: raw.{load.table} keeps its earlier rows",
                ) from None
            yield StagedFile(con, columns, outcome, Path(scratch))
        finally:
            con.close()
