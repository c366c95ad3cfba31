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

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

from metricflow_lite.errors import Diagnostic, Location, MflError, Severity
from metricflow_lite.seeds.descriptor import SeedTable
from metricflow_lite.seeds.discovery import discover_seeds
from metricflow_lite.seeds.plan import Action, TablePlan, file_columns, plan_table
from metricflow_lite.seeds.readers import FileFacts, inspect_file, read_header
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import (
    FileLoad,
    LoadedFile,
    SeedFormat,
    SeedWarehouse,
    Warehouse,
)


class LoadStatus(str, Enum):
    LOADED = "loaded"  # a new file
    REPLACED = "replaced"  # a changed file: its earlier rows were replaced
    UNCHANGED = "unchanged"  # same checksum as last time: skipped
    MISSING = "missing"  # loaded before, gone from seeds/ now: rows kept


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
