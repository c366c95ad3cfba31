"""Seeds -> raw tables: find the files, read their descriptors, plan the load, run it.

Each file is the unit of work: it is checksummed, and loaded (or replaced) by the warehouse in one
transaction, so a failure leaves the file's previous rows in place. Rows keep their text: columns
not typed in seeds/<table>.yml load as VARCHAR; lines that do not parse go to raw._rejects.

Error codes (E1xx, loading seeds):
- E100: the seeds folder does not exist
- E101: a seed file's name is not a valid table name
- E102: seeds/<table>.yml is not a mapping, or has an unknown key
- E103: a value in seeds/<table>.yml has the wrong shape (a type, an option, natural_key)
- E104: a column named in seeds/<table>.yml is in none of the table's files
- E105: a file's header has an empty or duplicate column name
- E106: schema drift: a file's columns neither contain nor fit in the columns loaded before
- E107: a seed file cannot be read (permissions, a broken gzip, a header in another encoding)
- E108: the warehouse failed while loading a file (that file keeps its previous rows)
- E109: the target's warehouse cannot load seeds
- E110: seeds/<table>.yml describes a table without data files
- E111 (warning): a file loaded before is gone from seeds/; its rows stay in raw.<table>
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from metricflow_lite.compile import names
from metricflow_lite.errors import Diagnostic, Location, MflError, Severity, did_you_mean
from metricflow_lite.spec.loader import YMap, YSeq, read_yaml, relative_name
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import (
    CsvOptions,
    FileLoad,
    LoadedFile,
    SeedFormat,
    SeedWarehouse,
    Warehouse,
)

TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED_TABLES = names.RESERVED_RAW_TABLES
DESCRIPTOR_KEYS = (
    "columns",
    "natural_key",
    "description",
    "delimiter",
    "quote",
    "escape",
    "header",
    "encoding",
)
ENCODINGS = ("utf-8", "utf-16", "latin-1")
SUFFIXES = (
    (".csv.gz", SeedFormat.CSV_GZ),
    (".csv", SeedFormat.CSV),
    (".parquet", SeedFormat.PARQUET),
)
CHUNK = 1 << 20


class LoadStatus(str, Enum):
    LOADED = "loaded"  # a new file
    REPLACED = "replaced"  # a changed file: its earlier rows were replaced
    UNCHANGED = "unchanged"  # same checksum as last time: skipped
    MISSING = "missing"  # loaded before, gone from seeds/ now: rows kept


@dataclass(frozen=True, slots=True)
class SeedFile:
    """One data file of a seed table."""

    table: str
    path: Path
    file: str  # relative to the project
    format: SeedFormat


@dataclass(frozen=True, slots=True)
class SeedTable:
    """A raw table: its files in load order and what seeds/<table>.yml says about it."""

    name: str
    files: tuple[SeedFile, ...]
    columns: tuple[tuple[str, str], ...] = ()  # declared (name, type), in the yml's order
    natural_key: tuple[str, ...] = ()
    description: str = ""
    csv: CsvOptions = CsvOptions()
    descriptor: str | None = None  # the yml file, relative to the project
    column_locs: tuple[tuple[str, Location], ...] = ()  # where each column's name is written
    type_locs: tuple[tuple[str, Location], ...] = ()  # where each column's type is written

    def declared_type(self, column: str) -> str | None:
        return dict(self.columns).get(column)

    def column_loc(self, column: str) -> Location | None:
        return dict(self.column_locs).get(column)


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A file's checksum and physical line count (after decompression; 0 for parquet)."""

    sha256: str
    lines: int


class Action(str, Enum):
    LOAD = "load"
    REPLACE = "replace"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class FileStep:
    """What to do with one file."""

    file: SeedFile
    action: Action
    facts: FileFacts
    columns: tuple[tuple[str, str], ...]  # (name, type) in the file's order; "" = as stored


@dataclass(frozen=True, slots=True)
class TablePlan:
    """The load of one table: a step per file, and files loaded before that are gone now."""

    table: str
    steps: tuple[FileStep, ...]
    missing: tuple[LoadedFile, ...]
    columns: tuple[str, ...]  # raw.<table>'s data columns after the load


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one file."""

    table: str
    file: str
    status: LoadStatus
    rows: int
    rejected: int


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """Every file's result, in load order, and warnings for the user."""

    results: tuple[FileResult, ...]
    load_id: int | None  # None when nothing was loaded

    @property
    def rows(self) -> int:
        """Rows loaded by this run (unchanged and missing files not counted)."""
        return sum(r.rows for r in self.results if r.status in _LOADING)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.results if r.status in _LOADING)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(
            Diagnostic(
                "E111",
                f"{r.file} is no longer in seeds/; its {r.rows:,} rows stay in raw.{r.table}",
                Location(r.file),
                "restore the file, or run 'mfl seed --full-refresh' to reload raw."
                f"{r.table} from the files present now",
                Severity.WARNING,
            )
            for r in self.results
            if r.status is LoadStatus.MISSING
        )


_LOADING = (LoadStatus.LOADED, LoadStatus.REPLACED)
Progress = Callable[[FileResult], None]


# --- discovery -----------------------------------------------------------------------------


def seed_format(path: Path) -> SeedFormat | None:
    """The format of a seed data file, or None for any other file."""
    name = path.name.lower()
    for suffix, fmt in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return fmt
    return None


def _table_name(path: Path, fmt: SeedFormat) -> str:
    return path.name[: -len(fmt.value) - 1]


def discover_seeds(project: Project) -> tuple[SeedTable, ...]:
    """Every seed table under seeds/, its files in name order, with its descriptor."""
    root = project.root
    seeds = project.path("seeds")
    if not seeds.is_dir():
        raise MflError(
            "E100",
            f"no seeds folder at {relative_name(seeds, root)}",
            None,
            "create it and put the exports there: seeds/<table>.csv, .csv.gz or .parquet,"
            " or a folder seeds/<table>/ of daily files",
        )
    files: dict[str, list[SeedFile]] = {}
    descriptors: dict[str, Path] = {}
    problems: list[Diagnostic] = []

    def add(table: str, path: Path, fmt: SeedFormat) -> None:
        file = relative_name(path, root)
        if problem := _check_table_name(table, file):
            problems.append(problem)
            return
        files.setdefault(table, []).append(SeedFile(table, path, file, fmt))

    for entry in sorted(seeds.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for inner in sorted(entry.iterdir()):
                fmt = seed_format(inner)
                if fmt is not None and inner.is_file() and not inner.name.startswith("."):
                    add(entry.name, inner, fmt)
        elif (fmt := seed_format(entry)) is not None:
            add(_table_name(entry, fmt), entry, fmt)
        elif entry.suffix in (".yml", ".yaml"):
            descriptors[entry.name[: -len(entry.suffix)]] = entry
    tables = []
    for name in sorted(set(files) | set(descriptors)):
        try:
            tables.append(_read_table(project, name, files.get(name, []), descriptors.get(name)))
        except MflError as err:
            problems.extend(err.diagnostics)
    if problems:
        raise MflError.from_diagnostics(problems)
    return tuple(tables)


def _check_table_name(table: str, file: str) -> Diagnostic | None:
    if TABLE_NAME.fullmatch(table) and table not in RESERVED_TABLES:
        return None
    suggestion = re.sub(r"\W", "_", table, flags=re.ASCII).strip("_") or "table"
    if suggestion[0].isdigit():
        suggestion = "t_" + suggestion
    return Diagnostic(
        "E101",
        f"'{table}' (from {file}) is not a valid table name",
        Location(file),
        "a table name has letters, digits and _ and does not start with a digit or name a"
        f" raw.* bookkeeping table; rename it, e.g. to '{suggestion}'",
    )


def _read_table(
    project: Project, name: str, files: list[SeedFile], descriptor: Path | None
) -> SeedTable:
    if descriptor is None:
        return SeedTable(name, tuple(sorted(files, key=lambda f: f.file)))
    yml = relative_name(descriptor, project.root)
    if not files:
        raise MflError(
            "E110",
            f"{yml} describes raw.{name}, but there is no data file for it",
            Location(yml, 1, 1),
            f"add seeds/{name}.csv (or .csv.gz, .parquet, or a folder seeds/{name}/), or"
            " rename the yml after its table",
        )
    data = read_yaml(descriptor, project.root)
    if data is None:
        return SeedTable(name, tuple(sorted(files, key=lambda f: f.file)), descriptor=yml)
    if not isinstance(data, YMap):
        raise MflError(
            "E102",
            f"{yml} must be a mapping (columns:, natural_key:, description:, CSV options)",
            Location(yml, 1, 1),
        )
    problems: list[Diagnostic] = []
    for key in data:
        if key not in DESCRIPTOR_KEYS:
            problems.append(
                Diagnostic(
                    "E102",
                    f"unknown key '{key}' in {yml}",
                    data.key_loc(key),
                    did_you_mean(key, DESCRIPTOR_KEYS)
                    or f"known keys: {', '.join(DESCRIPTOR_KEYS)}",
                )
            )
    columns, locs, type_locs = _read_columns(data, problems)
    natural_key = _read_natural_key(data, problems)
    csv_options = _read_csv_options(data, problems)
    if problems:
        raise MflError.from_diagnostics(problems)
    description = data.get("description")
    return SeedTable(
        name,
        tuple(sorted(files, key=lambda f: f.file)),
        columns=columns,
        natural_key=natural_key,
        description=str(description).strip() if description is not None else "",
        csv=csv_options,
        descriptor=yml,
        column_locs=locs,
        type_locs=type_locs,
    )


Located = tuple[tuple[str, Location], ...]


def _read_columns(
    data: YMap, problems: list[Diagnostic]
) -> tuple[tuple[tuple[str, str], ...], Located, Located]:
    """(name, type) per declared column, where each name is written, where each type is."""
    raw = data.get("columns")
    if raw is None:
        return (), (), ()
    if not isinstance(raw, YMap):
        problems.append(
            Diagnostic(
                "E103",
                "columns must map column names to types",
                data.value_loc("columns"),
                "for example: columns: {talk_seconds: INTEGER, offered_ts: TIMESTAMP}",
            )
        )
        return (), (), ()
    columns = []
    locs = []
    type_locs = []
    for column, type_text in raw.items():
        loc = raw.value_loc(column)
        normal = _normal_type(str(type_text)) if isinstance(type_text, str) else None
        if normal is None:
            problems.append(
                Diagnostic(
                    "E103",
                    f"'{type_text}' is not a column type (column '{column}')",
                    loc,
                    "use a SQL type such as VARCHAR, INTEGER, BIGINT, DOUBLE, DECIMAL(12,2),"
                    " DATE, TIMESTAMP or BOOLEAN",
                )
            )
            continue
        columns.append((column, normal))
        locs.append((column, raw.key_loc(column)))
        type_locs.append((column, loc))
    return tuple(columns), tuple(locs), tuple(type_locs)


def _normal_type(text: str) -> str | None:
    """The type in DuckDB spelling, or None when it is not a type."""
    try:
        data_type = exp.DataType.build(text, dialect="duckdb")
    except (ParseError, ValueError, sqlglot.errors.SqlglotError):
        return None
    if data_type.this == exp.DataType.Type.USERDEFINED:
        return None
    return data_type.sql(dialect="duckdb")


def _read_natural_key(data: YMap, problems: list[Diagnostic]) -> tuple[str, ...]:
    raw = data.get("natural_key")
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, YSeq) and all(isinstance(c, str) for c in raw):
        return tuple(raw)
    problems.append(
        Diagnostic(
            "E103",
            "natural_key must be a column name or a list of them",
            data.value_loc("natural_key"),
            "for example: natural_key: [agent_id, shift_date, login_ts]",
        )
    )
    return ()


def _read_csv_options(data: YMap, problems: list[Diagnostic]) -> CsvOptions:
    default = CsvOptions()
    chars = {}
    for key, fallback in (("delimiter", default.delimiter), ("quote", default.quote)):
        value = data.get(key, fallback)
        if not isinstance(value, str) or len(value) != 1:
            problems.append(
                Diagnostic(
                    "E103",
                    f"{key} must be one character, not {value!r}",
                    data.value_loc(key),
                    "quote it in YAML, e.g. delimiter: '|' or delimiter: \"\\t\"",
                )
            )
            value = fallback
        chars[key] = value
    escape = data.get("escape", chars["quote"])
    if not isinstance(escape, str) or len(escape) != 1:
        problems.append(
            Diagnostic(
                "E103",
                f"escape must be one character, not {escape!r}",
                data.value_loc("escape"),
                "the default is the quote character (a doubled quote inside a quoted value)",
            )
        )
        escape = chars["quote"]
    header = data.get("header", True)
    if not isinstance(header, bool):
        problems.append(
            Diagnostic(
                "E103", f"header must be true or false, not {header!r}", data.value_loc("header")
            )
        )
        header = True
    encoding = str(data.get("encoding", "utf-8")).lower().replace("_", "-")
    encoding = {"utf8": "utf-8", "latin1": "latin-1", "utf16": "utf-16"}.get(encoding, encoding)
    if encoding not in ENCODINGS:
        problems.append(
            Diagnostic(
                "E103",
                f"encoding '{data.get('encoding')}' is not supported",
                data.value_loc("encoding"),
                (did_you_mean(encoding, ENCODINGS) or f"supported: {', '.join(ENCODINGS)}")
                + "; convert other encodings (e.g. GBK) to UTF-8 first, e.g. iconv -f GBK -t UTF-8",
            )
        )
        encoding = "utf-8"
    if header is False and "columns" not in data:
        problems.append(
            Diagnostic(
                "E103",
                "a file without a header needs its columns listed under columns:, in file order",
                data.value_loc("header"),
                "add columns: {leg_id: VARCHAR, call_id: VARCHAR, ...}",
            )
        )
    return CsvOptions(chars["delimiter"], chars["quote"], escape, header, encoding)


# --- files ---------------------------------------------------------------------------------


def inspect_file(seed: SeedFile) -> FileFacts:
    """The file's sha256 and, for CSV, its physical line count (a last line without \\n counts)."""
    digest = hashlib.sha256()
    try:
        if seed.format is SeedFormat.CSV_GZ:
            lines = _gzip_lines(seed.path, digest)
        else:
            lines = 0
            last = b"\n"
            with seed.path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
            lines += last != b"\n"
            if seed.format is SeedFormat.PARQUET:
                lines = 0
    except OSError as err:
        raise _unreadable(seed, err.strerror or str(err)) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _unreadable(seed, f"not a valid gzip file ({err})") from None
    return FileFacts(digest.hexdigest(), lines)


def _gzip_lines(path: Path, digest: hashlib._Hash) -> int:
    # One pass: the checksum is of the bytes on disk, the line count of the text inside.
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            data = inflate.decompress(chunk)
            while data or inflate.unconsumed_tail:
                lines += data.count(b"\n")
                last = data[-1:] or last
                data = (
                    inflate.decompress(inflate.unconsumed_tail) if inflate.unconsumed_tail else b""
                )
            while inflate.eof and inflate.unused_data:  # concatenated gzip members
                rest = inflate.unused_data
                inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
                data = inflate.decompress(rest)
                lines += data.count(b"\n")
                last = data[-1:] or last
    if not inflate.eof:
        raise EOFError("the file ends before the compressed data does")
    return lines + (last != b"\n")


def _unreadable(seed: SeedFile, why: str) -> MflError:
    return MflError(
        "E107",
        f"cannot read {seed.file}: {why}",
        Location(seed.file),
        "check that the file is complete and readable, then run 'mfl seed' again",
    )


def read_header(seed: SeedFile, options: CsvOptions) -> tuple[str, ...]:
    """The column names on the first line of a CSV file; () for an empty file."""
    encoding = "utf-8-sig" if options.encoding == "utf-8" else options.encoding
    try:
        with _open_text(seed, encoding) as text:
            reader = csv.reader(
                text,
                delimiter=options.delimiter,
                quotechar=options.quote,
                escapechar=None if options.escape == options.quote else options.escape,
                doublequote=options.escape == options.quote,
            )
            first = next(reader, None)
    except OSError as err:
        raise _unreadable(seed, err.strerror or str(err)) from None
    except UnicodeDecodeError:
        raise MflError(
            "E107",
            f"the header of {seed.file} is not {options.encoding} text",
            Location(seed.file, 1),
            f"set encoding: in seeds/{seed.table}.yml, or convert the file to UTF-8",
        ) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _unreadable(seed, f"not a valid gzip file ({err})") from None
    except csv.Error as err:
        raise MflError(
            "E105", f"cannot read the header of {seed.file}: {err}", Location(seed.file, 1)
        ) from None
    if first is None:
        return ()
    names = tuple(name.strip() for name in first)
    if not options.header:
        return names
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
        if not name or name in seen:
            what = f"column {index} has no name" if not name else f"column '{name}' appears twice"
            raise MflError(
                "E105",
                f"in the header of {seed.file}, {what}",
                Location(seed.file, 1),
                "give every column a distinct name on the first line",
            )
        seen.add(name)
    return names


def _open_text(seed: SeedFile, encoding: str) -> io.TextIOBase:
    if seed.format is SeedFormat.CSV_GZ:
        return io.TextIOWrapper(gzip.open(seed.path, "rb"), encoding=encoding, newline="")
    codecs.lookup(encoding)
    return io.TextIOWrapper(seed.path.open("rb"), encoding=encoding, newline="")


# --- planning (pure) -----------------------------------------------------------------------


def plan_table(
    table: SeedTable,
    facts: dict[str, FileFacts],
    headers: dict[str, tuple[tuple[str, str], ...]],
    loaded: dict[str, LoadedFile],
    existing: tuple[str, ...],
) -> TablePlan:
    """What to do with each of a table's files; raises E106 on schema drift, E104 on a declared
    column no file has."""
    previous = sorted(
        (lf for lf in loaded.values() if lf.table == table.name), key=lambda f: (f.load_id, f.file)
    )
    first_loaded = previous[0].file if previous else f"raw.{table.name}"
    origin = {column: first_loaded for column in existing}
    columns = list(existing)
    steps = []
    for seed in table.files:
        file_facts = facts[seed.file]
        before = loaded.get(seed.file)
        if before is not None and before.sha256 == file_facts.sha256:
            action = Action.SKIP
        else:
            action = Action.LOAD if before is None else Action.REPLACE
        file_columns = headers[seed.file]
        names = [name for name, _ in file_columns]
        if action is not Action.SKIP and names:
            _check_drift(seed, names, columns, origin)
            for name in names:
                if name not in origin:
                    origin[name] = seed.file
                    columns.append(name)
        steps.append(FileStep(seed, action, file_facts, file_columns))
    present = {seed.file for seed in table.files}
    missing = tuple(lf for lf in previous if lf.file not in present)
    for column in (*(name for name, _ in table.columns), *table.natural_key):
        if column not in origin:
            raise MflError(
                "E104",
                f"column '{column}' of {table.descriptor} is in none of raw.{table.name}'s files",
                table.column_loc(column) or Location(table.descriptor or table.files[0].file),
                did_you_mean(column, origin) or f"the files have: {', '.join(origin) or 'none'}",
            )
    return TablePlan(table.name, tuple(steps), missing, tuple(columns))


def _check_drift(
    seed: SeedFile, names: list[str], columns: list[str], origin: dict[str, str]
) -> None:
    have, before = set(names), set(columns)
    if not columns or have <= before or have >= before:
        return
    lacking = [c for c in columns if c not in have]
    extra = [c for c in names if c not in before]
    other = origin[lacking[0]]
    other_text = "the version loaded before" if other == seed.file else other
    raise MflError(
        "E106",
        f"the columns of {seed.file} do not match {other_text}: it lacks"
        f" {', '.join(lacking)} and adds {', '.join(extra)}",
        Location(seed.file, 1),
        "files of one table may add or leave out columns, not both; make the headers agree,"
        f" or run 'mfl seed --full-refresh' to rebuild raw.{seed.table} from the files present now",
    )


def file_columns(
    table: SeedTable, names: tuple[str, ...], stored: tuple[tuple[str, str], ...] = ()
) -> tuple[tuple[str, str], ...]:
    """(name, type) per column of a file: the declared type, else VARCHAR for CSV (raw stays
    raw), else the type stored in a parquet file ("" = as stored)."""
    if stored:
        return tuple((name, table.declared_type(name) or "") for name, _ in stored)
    return tuple((name, table.declared_type(name) or "VARCHAR") for name in names)


# --- running -------------------------------------------------------------------------------


def load_seeds(
    project: Project,
    warehouse: Warehouse,
    progress: Progress | None = None,
    full_refresh: bool = False,
) -> LoadSummary:
    """Load every seed file into raw.<table>; returns what happened to each file."""
    tables = discover_seeds(project)
    if not isinstance(warehouse, SeedWarehouse):
        raise MflError(
            "E109",
            f"target '{warehouse.target_name}' ({warehouse.dialect}) cannot load seeds yet",
            None,
            "load seeds into a duckdb target, or load raw tables with the warehouse's own tools",
        )
    if full_refresh:
        for table in tables:
            warehouse.reset_table(table.name)
    loaded = {lf.file: lf for lf in warehouse.loaded_files()}
    # Checksumming and counting lines (inflating a .csv.gz) runs in a thread ahead of the
    # loads: hashlib and zlib release the GIL, as does DuckDB while it reads the previous file,
    # so the inspection of later files costs no wall time (about 10 % of a CSV load at 10M legs).
    inspector = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mfl-inspect")
    try:
        inspected = {
            seed.file: inspector.submit(inspect_file, seed)
            for table in tables
            for seed in table.files
        }
        return _load_tables(tables, warehouse, loaded, inspected, progress)
    finally:
        inspector.shutdown(wait=True, cancel_futures=True)


def _load_tables(
    tables: tuple[SeedTable, ...],
    warehouse: SeedWarehouse,
    loaded: dict[str, LoadedFile],
    inspected: dict[str, Future[FileFacts]],
    progress: Progress | None,
) -> LoadSummary:
    results: list[FileResult] = []
    load_id: int | None = None

    def report(result: FileResult) -> None:
        results.append(result)
        if progress is not None:
            progress(result)

    for table in tables:
        facts = {seed.file: inspected[seed.file].result() for seed in table.files}
        plan = _plan(table, warehouse, loaded, facts)
        for step in plan.steps:
            seed = step.file
            if step.action is Action.SKIP:
                before = loaded[seed.file]
                report(
                    FileResult(
                        table.name, seed.file, LoadStatus.UNCHANGED, before.rows, before.rejected
                    )
                )
                continue
            if load_id is None:
                load_id = warehouse.next_load_id()
            outcome = warehouse.load_file(
                FileLoad(
                    table=table.name,
                    path=str(seed.path),
                    file=seed.file,
                    format=seed.format,
                    columns=step.columns,
                    csv=table.csv,
                    load_id=load_id,
                    sha256=step.facts.sha256,
                    lines=step.facts.lines,
                )
            )
            status = LoadStatus.LOADED if step.action is Action.LOAD else LoadStatus.REPLACED
            report(FileResult(table.name, seed.file, status, outcome.rows, outcome.rejected))
        for gone in plan.missing:
            report(FileResult(gone.table, gone.file, LoadStatus.MISSING, gone.rows, gone.rejected))
    known = {table.name for table in tables}
    for gone in sorted(loaded.values(), key=lambda f: (f.table, f.file)):
        if gone.table not in known:
            report(FileResult(gone.table, gone.file, LoadStatus.MISSING, gone.rows, gone.rejected))
    return LoadSummary(tuple(results), load_id)


def _plan(
    table: SeedTable,
    warehouse: SeedWarehouse,
    loaded: dict[str, LoadedFile],
    facts: dict[str, FileFacts],
) -> TablePlan:
    headers: dict[str, tuple[tuple[str, str], ...]] = {}
    for seed in table.files:
        if seed.format is SeedFormat.PARQUET:
            stored = warehouse.parquet_columns(seed.path, seed.file)
            headers[seed.file] = file_columns(table, (), stored)
        elif table.csv.header:
            headers[seed.file] = file_columns(table, read_header(seed, table.csv))
        else:
            headers[seed.file] = table.columns if facts[seed.file].lines else ()
    return plan_table(table, facts, headers, loaded, warehouse.raw_columns(table.name))
