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
SCRATCH = ("mfl_csv", "mfl_rejects", "mfl_reject_scans", "mfl_bad", "mfl_lines", "mfl_invalid")


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
            outcome = _read_parquet(con, load, into, rejects)
        elif not load.columns or load.lines <= int(load.csv.header):
            outcome = FileLoadOutcome(0, 0)  # empty, or a header only
        else:
            outcome = _read_csv(con, load, into, rejects)
            if load.line_breaks:
                _restore_line_breaks(con, load, into, rejects)
        if load.refuse_empty and not outcome.rows and not outcome.rejected:
            # an export that came out empty (a failed job, a full disk) must not wipe the rows
            raise MflError(
                "E112",
                f"{load.file} has no rows now; its earlier version had rows, which it would"
                " replace with none",
                Location(load.file),
                "re-export the file, or run 'mfl seed --allow-empty' if it is really empty;"
                f" raw.{load.table} keeps the earlier rows",
            )
        return outcome
    finally:
        for scratch in SCRATCH:
            con.execute(f"DROP TABLE IF EXISTS temp.{scratch}")


def _restore_line_breaks(con: Any, load: FileLoad, into: str, rejects: str) -> None:
    """Put back the line breaks an Excel sheet's cells had (written as noncharacters so that
    each row stays one line): in the file's text columns and in its rejects."""

    def restored(column: str) -> exp.Expr:
        value: exp.Expr = exp.column(column, quoted=True)
        for hidden, code in (("\ufdd0", 10), ("\ufdd1", 13)):
            value = exp.func(
                "replace",
                value,
                exp.Literal.string(hidden),
                exp.func("chr", exp.Literal.number(code)),
            )
        return value

    texts = [name for name, kind in load.columns if type_family(kind) == "text"]
    for table, columns, file_column in (
        (into, texts, "_file"),
        (rejects, ["raw_text", "reason"], "file"),
    ):
        if not columns:
            continue
        # only the rows that hold a break: an update rewrites every row it touches
        holds = exp.or_(
            *(
                exp.func("contains", exp.column(c, quoted=True), exp.Literal.string(hidden))
                for c in columns
                for hidden in ("\ufdd0", "\ufdd1")
            )
        )
        update = exp.Update(
            this=exp.to_table(table, dialect="duckdb"),
            expressions=[exp.column(c, quoted=True).eq(restored(c)) for c in columns],
            where=exp.Where(
                this=exp.and_(
                    exp.column(file_column, quoted=True).eq(exp.Literal.string(load.file)), holds
                )
            ),
        )
        con.execute(update.sql(dialect="duckdb"))


def _parquet_value(name: str, kind: str, stored: dict[str, str]) -> str:
    """A stored parquet column as `kind`, NULL where it does not convert honestly: text as a
    CSV value is, a 4.5 stored as a DOUBLE is not an INTEGER."""
    column = ident(name)
    if type_family(kind) == "integer":
        family = type_family(stored.get(name, ""))
        if family == "text":
            return str(conversion(column, name, kind, None, "UTC").value)
        if family == "other":  # DOUBLE, DECIMAL: whole numbers only
            return (
                f"CASE WHEN TRY_CAST({column} AS DOUBLE) = trunc(TRY_CAST({column} AS DOUBLE))"
                f" THEN TRY_CAST({column} AS {kind}) END"
            )
    return f"TRY_CAST({column} AS {kind})"


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
            f"({ident(name)} IS NOT NULL AND ({_parquet_value(name, kind, stored)}) IS NULL)",
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
    )  # the rows that reach this passed the checks above, so the casts cannot round
    names = ", ".join(ident(name) for name, _ in load.columns)
    row = con.execute(
        f"INSERT INTO {into} ({names}, _load_id, _file, _line)"
        f" SELECT {selects}, {load.load_id}, {text(load.file)}, {line}"
        f" FROM {rows} WHERE NOT ({bad})"
    ).fetchone()
    return FileLoadOutcome(int(row[0]) if row else 0, rejected)


WALL_TIMES = (
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "DATETIME",
    "TIMESTAMPNTZ",
)


@lru_cache(maxsize=256)
def type_family(kind: str) -> str:
    """'text', 'integer', 'wall_time' or 'other' for a DuckDB type name ('' = as stored)."""
    if not kind:
        return "text"
    this = exp.DataType.build(kind, dialect="duckdb").this
    if this in exp.DataType.TEXT_TYPES:
        return "text"
    if this in exp.DataType.INTEGER_TYPES:
        return "integer"
    return "wall_time" if this.name in WALL_TIMES else "other"


# A time followed by a UTC offset or a zone: Z, +08:00, +0800, UTC, Asia/Tokyo
ZONED = (
    r"[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\s*"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?|UTC|GMT|[A-Za-z]+/[A-Za-z_]+(/[A-Za-z_]+)?)$"
)


@dataclass(frozen=True, slots=True)
class Conversion:
    """A column read as text, converted to its type: the typed value (NULL when it does not
    convert; None: the text is the value), and the reason a line whose value did not convert
    gives (over the text column)."""

    value: str | None
    reason: str


def conversion(source: str, name: str, kind: str, fmt: str | None, timezone: str) -> Conversion:
    """How a text column becomes `kind`, honestly: no rounding of 4.5 or reading of 0x10 and
    1_000 into an INTEGER, timestamps with an offset or zone converted to the project's time
    zone instead of losing it. (TRY_CAST ignores the spaces around a value.)"""
    family = type_family(kind)
    if family == "text":
        return Conversion(None, "NULL")
    tz = text(timezone)
    if family == "integer":
        # A value that prints back as itself is a plain integer: most values pass without the
        # regular expression, which only the rest (spaces, a sign, leading zeros) are given.
        cast = f"TRY_CAST({source} AS {kind})"
        value = (
            f"CASE WHEN CAST({cast} AS VARCHAR) = {source} THEN {cast}"
            f" WHEN regexp_full_match({source}, '\\s*[+-]?[0-9]+\\s*') THEN {cast} END"
        )
    elif fmt is not None:
        parsed = f"TRY_STRPTIME(trim({source}), {text(fmt)})"
        if "%z" in fmt or "%Z" in fmt:
            parsed = f"timezone({tz}, {parsed})"
        value = f"CAST({parsed} AS {kind})"
    elif family == "wall_time":
        # the regular expression only for the few values that may carry a zone (cheap tests
        # first: it is most of the cost of a timestamp column)
        maybe_zoned = (
            f"(right(rtrim({source}), 1) >= 'A' OR contains(substr({source}, 11), '+')"
            f" OR contains(substr({source}, 11), '-'))"
        )
        value = (
            f"CASE WHEN {maybe_zoned} AND regexp_matches(rtrim({source}), {text(ZONED)})"
            f" THEN CAST(timezone({tz}, TRY_CAST({source} AS TIMESTAMPTZ)) AS {kind})"
            f" ELSE TRY_CAST({source} AS {kind}) END"
        )
    else:
        value = f"TRY_CAST({source} AS {kind})"
    shown = f"trim({source})"
    # typeof names the type as DuckDB's own messages do (INTEGER, not INT)
    reason = (
        f"{text(f'column {name}: ')} || {shown} || ' is not a valid '"
        f" || typeof(CAST(NULL AS {kind}))"
    )
    if fmt is not None:
        reason = f"{text(f'column {name}: ')} || {shown} || {text(f' does not match {fmt}')}"
    return Conversion(value, reason)


def _read_csv(con: Any, load: FileLoad, into: str, rejects: str) -> FileLoadOutcome:
    csv = load.csv
    first = 2 if csv.header else 1  # the physical line of the first data row
    off = load.line_offset  # lines of the export above the file read here
    # the header's empty fields after its last name (`a,b,`): read, to reject a value in one
    pads = [f"c{i}" for i in range(len(load.columns), len(load.columns) + load.padding)]
    fields = [f"c{i}" for i in range(len(load.columns))] + pads
    struct = ", ".join(f"{text(field)}: 'VARCHAR'" for field in fields)
    names = ", ".join(ident(name) for name, _ in load.columns)
    aliases = ", ".join(ident(field) for field in fields)
    formats = dict(load.formats)
    conversions = [
        conversion(ident(f"c{i}"), name, kind, formats.get(name), load.timezone)
        for i, (name, kind) in enumerate(load.columns)
    ]
    # Every column is read as text and converted in the same scan (once, in parallel):
    # DuckDB's own casts round 4.5 into an INTEGER, read 0x10 and 1_000, and drop a
    # timestamp's UTC offset. A converted column x<i> keeps its text c<i> for the rejects.
    # The rows that parsed go to a temp table first: DuckDB keeps a scan's file order on insert,
    # so its rowids number them in order and _line starts as if every data line were a row,
    # corrected below where not. Numbering inside the scan (WITH ORDINALITY) cost 40 % more.
    scanned = ", ".join(
        ident(f"c{i}") if c.value is None else f"{c.value} AS {ident(f'x{i}')}, {ident(f'c{i}')}"
        for i, c in enumerate(conversions)
    ) + "".join(f", {ident(pad)}" for pad in pads)
    # A converted column keeps its text only where it did not convert (the rejects' reason
    # quotes it): the temp table holds a NULL for every good value, 8 % faster at 1M rows.
    kept = ", ".join(
        ident(f"c{i}")
        if c.value is None
        else f"{ident(f'x{i}')}, CASE WHEN {ident(f'x{i}')} IS NULL THEN {ident(f'c{i}')} END"
        f" AS {ident(f'c{i}')}"
        for i, c in enumerate(conversions)
    ) + "".join(f", {ident(pad)}" for pad in pads)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE mfl_csv AS SELECT {kept} FROM (SELECT {scanned}"
        f" FROM read_csv({text(load.path)}, columns = {{{struct}}},"
        f" header = {str(csv.header).lower()}, delim = {text(csv.delimiter)},"
        f" quote = {text(csv.quote)}, escape = {text(csv.escape)},"
        f" encoding = {text(csv.encoding)}, auto_detect = false, store_rejects = true,"
        " rejects_table = 'mfl_rejects', rejects_scan = 'mfl_reject_scans')"
        f" AS src({aliases}))"
    )
    errors, bad_encoding = con.execute(
        "SELECT count(*), min(line) FILTER (WHERE error_type = 'INVALID ENCODING')"
        " FROM temp.mfl_rejects"
    ).fetchone() or (0, None)
    if bad_encoding is not None:
        line = int(bad_encoding) + off
        raise MflError(
            "E115",
            f"{load.file} is not valid {csv.encoding} text (first bad bytes on line {line:,})",
            Location(load.file, line),
            "set encoding: in its seeds/<table>.yml (or encoding: auto); nothing was loaded",
        )
    bads = [
        (
            f"({ident(f'x{i}')} IS NULL AND {ident(f'c{i}')} IS NOT NULL"
            f" AND trim({ident(f'c{i}')}) <> '')",
            c.reason,
        )
        for i, c in enumerate(conversions)
        if c.value is not None
    ] + [
        (
            f"({ident(pad)} IS NOT NULL AND trim({ident(pad)}) <> '')",
            text(f"field {int(pad[1:]) + 1} has a value, but no name in the header"),
        )
        for pad in pads
    ]
    bad_any = " OR ".join(bad for bad, _ in bads) or "FALSE"
    # A line of delimiters only (,,,) is the empty row of a sheet saved as CSV by Excel: no
    # row, as the sheet's own empty rows are none (a count of calls must not count it)
    empty_all = " AND ".join(
        f"coalesce({ident(f'c{i}')}, '') = ''"
        + ("" if c.value is None else f" AND {ident(f'x{i}')} IS NULL")
        for i, c in enumerate(conversions)
    ) + "".join(f" AND coalesce({ident(pad)}, '') = ''" for pad in pads)
    # rowids inside a transaction start at an offset: count from the first one
    lowest = con.execute("SELECT min(rowid), count(*) FROM temp.mfl_csv").fetchone()
    parsed = int(lowest[1]) if lowest else 0
    offset = (first - int(lowest[0]) if lowest and lowest[0] is not None else first) + off
    values = ", ".join(
        ident(f"c{i}") if c.value is None else ident(f"x{i}") for i, c in enumerate(conversions)
    )
    row = con.execute(
        f"INSERT INTO {into} ({names}, _load_id, _file, _line)"
        f" SELECT {values}, {load.load_id}, {text(load.file)}, rowid + {offset}"
        f" FROM temp.mfl_csv WHERE NOT ({bad_any}) AND NOT ({empty_all})"
    ).fetchone()
    rows = int(row[0]) if row else 0
    reasons = ", ".join(f"CASE WHEN {bad} THEN {reason} END" for bad, reason in bads) or "NULL"
    invalid = 0
    if rows < parsed:  # no second look when every row converted
        created = con.execute(
            f"CREATE TEMP TABLE mfl_invalid AS SELECT rowid + {offset} AS _line,"
            f" concat_ws('; ', {reasons}) AS reason FROM temp.mfl_csv WHERE {bad_any}"
        ).fetchone()
        invalid = int(created[0]) if created else 0
    bad, unterminated = 0, 0
    if errors:
        con.execute(f"CREATE TEMP TABLE mfl_bad AS {BAD_LINES}")
        counted = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE unterminated) FROM temp.mfl_bad"
        ).fetchone()
        bad, unterminated = (int(counted[0]), int(counted[1])) if counted else (0, 0)
    targets: tuple[Target, ...] = ((into, "t._file = ?", [load.file]),)
    if invalid:
        targets += (("temp.mfl_invalid", "TRUE", []),)
    skipped = 0
    if rows + invalid < parsed:
        found = con.execute(f"SELECT count(*) FROM temp.mfl_csv WHERE {empty_all}").fetchone()
        skipped = int(found[0]) if found else 0
    if rows + invalid + bad + skipped == load.lines - (first - 1) and not unterminated:
        # One record per physical line: DuckDB's record numbers are the file's lines.
        rejected = _line_rejects(con, load, targets, rejects, first, bad)
    else:
        rejected = _mapped_rejects(con, load, targets, rejects, first)
    if invalid:  # their text, unless the mapping above read every line already
        _lines_table(con, load, f"SELECT _line - {off} FROM temp.mfl_invalid")
        con.execute(
            f"INSERT INTO {rejects} SELECT ?, ?, ?, i._line, coalesce(l.text, ''), i.reason"
            f" FROM temp.mfl_invalid AS i LEFT JOIN temp.mfl_lines AS l ON l.n = i._line - {off}"
            " ORDER BY i._line",
            [load.load_id, load.table, load.file],
        )
    return FileLoadOutcome(rows, rejected + invalid)


Target = tuple[str, str, list[Any]]  # a table holding _line, the rows of this file, parameters


def _line_rejects(
    con: Any, load: FileLoad, targets: tuple[Target, ...], rejects: str, first: int, bad: int
) -> int:
    if not bad:
        return 0
    off = load.line_offset
    base = first - 1 + off
    # The o-th parsed row comes after every reject j with r_j - j < o (r_j: its record
    # number), so it moves down by the count of those: a range join on a small table.
    for table, where, params in targets:
        con.execute(
            f"UPDATE {table} AS t SET _line = t._line + s.shift"
            " FROM (SELECT lo, lead(lo, 1, 9223372036854775807) OVER (ORDER BY lo) AS hi, shift"
            "   FROM (SELECT r - j + 1 AS lo, max(j) AS shift"
            f"     FROM (SELECT line - {first - 1} AS r,"
            "        row_number() OVER (ORDER BY line) AS j FROM temp.mfl_bad)"
            "     GROUP BY lo)) AS s"
            f" WHERE {where} AND t._line - {base} >= s.lo"
            f" AND t._line - {base} < s.hi",
            params,
        )
    con.execute(
        f"INSERT INTO {rejects} SELECT ?, ?, ?, line + {off},"
        f" rtrim(ltrim(csv_line, {CRLF}), {CRLF}), reason"
        " FROM temp.mfl_bad ORDER BY line",
        [load.load_id, load.table, load.file],
    )
    return bad


def _lines_table(con: Any, load: FileLoad, only: str = "") -> None:
    """temp.mfl_lines: the file's physical lines (n, text), read once more as plain lines; with
    `only` (a query of line numbers n), just those lines are kept (the text of a million lines
    costs more to keep than to read)."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS mfl_lines AS SELECT n, text"
        f" FROM read_csv({text(load.path)}, columns = {{'text': 'VARCHAR'}},"
        " header = false, delim = chr(0), quote = '', escape = '',"
        f" encoding = {text(load.csv.encoding)}, auto_detect = false, strict_mode = false)"
        " WITH ORDINALITY AS l(text, n)" + (f" WHERE n IN ({only})" if only else "")
    )


def _mapped_rejects(
    con: Any, load: FileLoad, targets: tuple[Target, ...], rejects: str, first: int
) -> int:
    """Number parsed rows and rejects by physical line where values span lines, lines are
    blank or a quote never closes: the file is read once more as plain lines."""
    # the bad lines, unless there were none and the scan above left them uncounted
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS mfl_bad AS {BAD_LINES}")
    csv = load.csv
    off = load.line_offset
    pair = text(csv.escape + csv.quote)
    unescaped = "text" if csv.escape == csv.quote else f"replace(text, {pair}, '')"
    _lines_table(con, load)
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
    for table, where, params in targets:
        con.execute(
            f"UPDATE {table} AS t SET _line = m.n + {off}"
            " FROM (SELECT n, row_number() OVER (ORDER BY n) AS o"
            f"   FROM ({starts}) AS s"
            f"   WHERE record >= {first} AND coalesce(text, '') <> ''"
            "     AND record NOT IN (SELECT line FROM temp.mfl_bad)) AS m"
            f" WHERE {where} AND t._line - {first - 1 + off} = m.o",
            params,
        )
    row = con.execute(
        f"INSERT INTO {rejects}"
        f" SELECT ?, ?, ?, s.n + {off}, s.text, r.reason"
        f" FROM temp.mfl_bad AS r JOIN ({starts}) AS s ON s.record = r.line"
        " UNION ALL"
        f" SELECT ?, ?, ?, l.n + {off}, l.text,"
        f" 'inside the unterminated quote opened on line ' || (s.n + {off})"
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
