"""Seeds -> raw tables: find the files, read their descriptors, plan the load, run it.

Each table is the unit of work: its changed files are checksummed, made ready (decoded, a sheet
written out) and loaded, replaced, moved or pruned by the warehouse in one transaction, so a
failure leaves the table as it was, a full refresh included. Rows keep their text: columns
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
- E112: a file that had rows is empty now (refused unless --allow-empty)
- E113: a seed file or folder is a link to a place outside the project
- E114: two tables' names differ only by case
- E115: a file is not valid text in its encoding
- E116: an Excel sheet, or a header row, is not where seeds/<table>.yml says
- E118: a formula in an Excel sheet's data rows was never calculated
- E119 (warning): a file under seeds/ is in no format mfl seed reads (a .txt, .tsv, .xlsm)
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from metricflow_lite.errors import Diagnostic, Location, MflError, Severity
from metricflow_lite.seeds import encodings
from metricflow_lite.seeds.descriptor import SeedFile, SeedTable
from metricflow_lite.seeds.discovery import discover_seeds, unloaded_files
from metricflow_lite.seeds.plan import Action, FileStep, TablePlan, file_columns, plan_table
from metricflow_lite.seeds.readers import FileFacts, ReadyFile, inspect_file, ready_file
from metricflow_lite.seeds.supersede import superseded_rows
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import (
    FileLoad,
    FileLoadOutcome,
    LoadedFile,
    SeedFormat,
    SeedWarehouse,
    TableChange,
    Warehouse,
)


class LoadStatus(str, Enum):
    LOADED = "loaded"  # a new file
    REPLACED = "replaced"  # a changed file: its earlier rows were replaced
    UNCHANGED = "unchanged"  # same checksum as last time: skipped
    MISSING = "missing"  # loaded before, gone from seeds/ now: rows kept (a rotation)
    PRUNED = "pruned"  # loaded before, gone from seeds/ now, and its rows removed (--prune)
    MOVED = "moved"  # the content of a file loaded before under another name: rows relabelled
    DUPLICATE = "duplicate"  # the content of another file of the table: nothing loaded


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one file."""

    table: str
    file: str
    status: LoadStatus
    rows: int
    rejected: int
    same_as: str | None = None  # MOVED: the earlier name; DUPLICATE: the file with this content


@dataclass(frozen=True, slots=True)
class TableResult:
    """Per natural-key table: rows of raw.<table> that a later version of their key replaces."""

    table: str
    superseded: int


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """Every file's result, in load order, and warnings for the user."""

    results: tuple[FileResult, ...]
    load_id: int | None  # the first load id of this run; None when nothing was loaded
    tables: tuple[TableResult, ...] = ()
    unread: tuple[str, ...] = ()  # files under seeds/ in no format mfl seed reads

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
                f"{r.file} is no longer in seeds/; its {r.rows:,}"
                + (" row stays" if r.rows == 1 else " rows stay")
                + f" in raw.{r.table}",
                Location(r.file),
                "a rotated-out export keeps its rows; restore the file, or run"
                " 'mfl seed --prune' to remove the rows of files no longer in seeds/",
                Severity.WARNING,
            )
            for r in self.results
            if r.status is LoadStatus.MISSING
        ) + tuple(
            Diagnostic(
                "E119",
                f"{file} is not loaded: mfl seed reads .csv, .csv.gz, .parquet, .xlsx and .xls"
                " files",
                Location(file),
                "save the export as CSV (a tab-delimited .txt or .tsv: as .csv with"
                ' delimiter: "\\t" in its seeds/<table>.yml), or move the file out of seeds/',
                Severity.WARNING,
            )
            for file in self.unread
        )


_LOADING = (LoadStatus.LOADED, LoadStatus.REPLACED)
Progress = Callable[[FileResult], None]


def load_seeds(
    project: Project,
    warehouse: Warehouse,
    progress: Progress | None = None,
    full_refresh: bool = False,
    allow_empty: bool = False,
    prune: bool = False,
) -> LoadSummary:
    """Load every seed file into raw.<table>, a table at a time and all or nothing per table;
    returns what happened to each file."""
    tables = discover_seeds(project)
    if not isinstance(warehouse, SeedWarehouse):
        raise MflError(
            "E109",
            f"target '{warehouse.target_name}' ({warehouse.dialect}) cannot load seeds yet",
            None,
            "load seeds into a duckdb target, or load raw tables with the warehouse's own tools",
        )
    loaded = {lf.file: lf for lf in warehouse.loaded_files()}
    options = RunOptions(project.timezone, full_refresh, allow_empty, prune)
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
        summary = _load_tables(tables, warehouse, loaded, inspected, progress, options)
        return dataclasses.replace(summary, unread=unloaded_files(project))
    finally:
        inspector.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class RunOptions:
    timezone: str
    full_refresh: bool
    allow_empty: bool
    prune: bool


def _load_tables(
    tables: tuple[SeedTable, ...],
    warehouse: SeedWarehouse,
    loaded: dict[str, LoadedFile],
    inspected: dict[str, Future[FileFacts]],
    progress: Progress | None,
    options: RunOptions,
) -> LoadSummary:
    results: list[FileResult] = []
    table_results: list[TableResult] = []
    first_id: list[int] = []

    def report(result: FileResult) -> None:
        results.append(result)
        if progress is not None:
            progress(result)

    for table in tables:
        facts = {seed.file: inspected[seed.file].result() for seed in table.files}
        known = {} if options.full_refresh else loaded
        earlier = {f: lf for f, lf in loaded.items() if lf.table == table.name}
        with tempfile.TemporaryDirectory(prefix="mfl-ready-") as scratch:
            ready: dict[str, ReadyFile] = {}
            header_of = functools.partial(_header_of, table, facts, Path(scratch), ready, warehouse)
            existing = () if options.full_refresh else warehouse.raw_columns(table.name)
            try:
                plan = plan_table(table, facts, header_of, known, existing)
            except MflError as err:
                raise _header_explained(err, table) from None
            for result in _apply(table, plan, ready, earlier, warehouse, options, first_id):
                report(result)
        if table.natural_key and any(
            r.status in _LOADING for r in results if r.table == table.name
        ):
            count = superseded_rows(warehouse, table.name, table.natural_key)
            table_results.append(TableResult(table.name, count))
    names = {table.name for table in tables}
    orphans = sorted(
        (lf for lf in loaded.values() if lf.table not in names), key=lambda f: (f.table, f.file)
    )
    if options.prune:
        # a table none of whose files is left: its rows go too
        for table_name in sorted({gone.table for gone in orphans}):
            files = tuple(gone.file for gone in orphans if gone.table == table_name)
            warehouse.load_table(TableChange(table_name, False, (), files), ())
    status = LoadStatus.PRUNED if options.prune else LoadStatus.MISSING
    for gone in orphans:
        report(FileResult(gone.table, gone.file, status, gone.rows, gone.rejected))
    return LoadSummary(tuple(results), first_id[0] if first_id else None, tuple(table_results))


def _header_of(
    table: SeedTable,
    facts: dict[str, FileFacts],
    scratch: Path,
    ready: dict[str, ReadyFile],
    warehouse: SeedWarehouse,
    seed: SeedFile,
) -> tuple[tuple[str, str], ...]:
    """A loading file's (name, type) columns; the file is made ready for the reader on the way."""
    made = ready_file(seed, table, facts[seed.file], scratch)
    ready[seed.file] = made
    if made.format is SeedFormat.PARQUET:
        return file_columns(table, (), warehouse.parquet_columns(seed.path, seed.file))
    if made.csv.header:
        return file_columns(table, made.header, file=seed.file)
    return table.columns if made.lines else ()


def _apply(
    table: SeedTable,
    plan: TablePlan,
    ready: dict[str, ReadyFile],
    earlier: dict[str, LoadedFile],
    warehouse: SeedWarehouse,
    options: RunOptions,
    first_id: list[int],
) -> list[FileResult]:
    """Run one table's plan in one warehouse transaction; the files' results."""
    loading = [s for s in plan.steps if s.action in (Action.LOAD, Action.REPLACE)]
    if options.full_refresh:
        # The version of a key that source() reads is the one loaded last: reloading every file
        # in name order would hand a re-exported older day's corrections back to a later file.
        # Files loaded before go again in the order they were loaded, new ones after them.
        loading.sort(
            key=lambda s: (0, earlier[s.file.file].load_id) if s.file.file in earlier else (1, 0)
        )
    moves = tuple(
        (s.same_as, s.file.file)
        for s in plan.steps
        if s.action is Action.MOVE and s.same_as is not None
    )
    pruned = tuple(gone.file for gone in plan.missing) if options.prune else ()
    reset = options.full_refresh and bool(earlier or loading)
    outcomes: list[FileLoadOutcome] = []
    if loading or moves or pruned or reset:

        def loads() -> Iterator[FileLoad]:
            for step in loading:
                load_id = warehouse.next_load_id()
                first_id[:1] = first_id[:1] or [load_id]
                yield _file_load(table, step, ready[step.file.file], earlier, load_id, options)

        change = TableChange(table.name, reset, moves, pruned)
        try:
            outcomes = list(warehouse.load_table(change, loads()))
        except MflError as err:
            raise _explained(err, table) from None
    done = dict(zip((s.file.file for s in loading), outcomes, strict=True))
    results = []
    for step in plan.steps:
        seed = step.file
        match step.action:
            case Action.LOAD | Action.REPLACE:
                outcome = done[seed.file]
                status = LoadStatus.LOADED if step.action is Action.LOAD else LoadStatus.REPLACED
                results.append(
                    FileResult(table.name, seed.file, status, outcome.rows, outcome.rejected)
                )
            case Action.SKIP:
                before = earlier[seed.file]
                results.append(
                    FileResult(
                        table.name, seed.file, LoadStatus.UNCHANGED, before.rows, before.rejected
                    )
                )
            case Action.MOVE | Action.DUPLICATE:
                origin = earlier.get(step.same_as or "")
                rows, rejected = (origin.rows, origin.rejected) if origin else (0, 0)
                status = LoadStatus.MOVED if step.action is Action.MOVE else LoadStatus.DUPLICATE
                results.append(
                    FileResult(table.name, seed.file, status, rows, rejected, step.same_as)
                )
    status = LoadStatus.PRUNED if options.prune else LoadStatus.MISSING
    for gone in plan.missing:
        results.append(FileResult(gone.table, gone.file, status, gone.rows, gone.rejected))
    return results


def _file_load(
    table: SeedTable,
    step: FileStep,
    ready: ReadyFile,
    earlier: dict[str, LoadedFile],
    load_id: int,
    options: RunOptions,
) -> FileLoad:
    seed = step.file
    before = earlier.get(seed.file)
    return FileLoad(
        table=table.name,
        path=str(ready.path),
        file=seed.file,
        format=ready.format,
        columns=step.columns,
        csv=ready.csv,
        load_id=load_id,
        sha256=step.facts.sha256,
        lines=ready.lines,
        line_offset=ready.line_offset,
        line_breaks=ready.line_breaks,
        padding=ready.padding,
        formats=table.formats,
        timezone=options.timezone,
        refuse_empty=(
            before is not None
            and before.rows > 0
            and not options.allow_empty
            and step.action is Action.REPLACE
        ),
    )


def _header_explained(err: MflError, table: SeedTable) -> MflError:
    """A from: header in no file, or a header row not found, because the files are read in the
    wrong encoding (Big5 read as GBK, GBK as latin-1: every byte decodes, into other
    characters): the hint names the encoding they look like."""
    declared = table.csv.encoding
    if err.code not in ("E104", "E116") or declared == "auto" or not table.sources:
        return err
    for seed in table.files:
        if seed.format not in (SeedFormat.CSV, SeedFormat.CSV_GZ):
            continue
        guess = encodings.likely_encoding(seed, encodings.resolve_encoding(seed, declared))
        if guess is not None:
            return MflError(
                err.code,
                err.message,
                err.loc,
                f"{seed.file} looks like {guess} text, not {declared}: set encoding: {guess}"
                f" (or auto) in seeds/{table.name}.yml; {err.hint}",
            )
    return err


def _explained(err: MflError, table: SeedTable) -> MflError:
    """A file not valid UTF-8 (found by the reader) gets the likely encoding in its hint."""
    if err.code != "E115" or err.loc is None:
        return err
    seed = next((s for s in table.files if s.file == err.loc.file), None)
    if seed is None:
        return err
    return encodings.invalid_text(seed, "utf-8", err.loc.line or 1)
