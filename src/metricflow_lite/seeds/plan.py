"""What to do with each file of a table: load, replace, skip, or note a moved or copied
export; schema drift. Pure but for the callback that reads a loading file's header."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from metricflow_lite.compile.names import META_COLUMNS
from metricflow_lite.errors import Location, MflError, did_you_mean
from metricflow_lite.seeds.descriptor import SeedFile, SeedTable
from metricflow_lite.seeds.readers import FileFacts
from metricflow_lite.warehouse.base import LoadedFile


class Action(str, Enum):
    LOAD = "load"
    REPLACE = "replace"
    SKIP = "skip"
    MOVE = "move"  # the content of a file loaded before under a name that is gone now
    DUPLICATE = "duplicate"  # the content of another file of the table: loads nothing


@dataclass(frozen=True, slots=True)
class FileStep:
    """What to do with one file."""

    file: SeedFile
    action: Action
    facts: FileFacts
    columns: tuple[tuple[str, str], ...]  # (name, type) in the file's order; "" = as stored
    same_as: str | None = None  # MOVE, DUPLICATE: the file with this content


@dataclass(frozen=True, slots=True)
class TablePlan:
    """The load of one table: a step per file, and files loaded before that are gone now."""

    table: str
    steps: tuple[FileStep, ...]
    missing: tuple[LoadedFile, ...]
    columns: tuple[str, ...]  # raw.<table>'s data columns after the load


def plan_table(
    table: SeedTable,
    facts: dict[str, FileFacts],
    header_of: Callable[[SeedFile], tuple[tuple[str, str], ...]],
    loaded: dict[str, LoadedFile],
    existing: tuple[str, ...],
) -> TablePlan:
    """What to do with each of a table's files; raises E106 on schema drift, E104 on a declared
    column no file has. header_of gives a loading file's (name, type) columns."""
    previous = sorted(
        (lf for lf in loaded.values() if lf.table == table.name), key=lambda f: (f.load_id, f.file)
    )
    first_loaded = previous[0].file if previous else f"raw.{table.name}"
    origin = {column: first_loaded for column in existing}
    columns = list(existing)
    present = {seed.file for seed in table.files}
    content = {lf.sha256: lf.file for lf in previous}  # checksum -> the file loaded with it
    moved: set[str] = set()
    steps = []
    for seed in table.files:
        file_facts = facts[seed.file]
        before = loaded.get(seed.file)
        same_as = content.get(file_facts.sha256)
        if before is not None and before.sha256 == file_facts.sha256:
            action = Action.SKIP
        elif before is None and same_as is not None and same_as != seed.file:
            # an export moved (seeds/calls.csv -> seeds/calls/) or copied: the same rows again
            gone = same_as not in present and same_as not in moved and same_as in loaded
            action = Action.MOVE if gone else Action.DUPLICATE
            moved.add(same_as)
        else:
            action = Action.LOAD if before is None else Action.REPLACE
            content.setdefault(file_facts.sha256, seed.file)
        file_columns: tuple[tuple[str, str], ...] = ()
        if action in (Action.LOAD, Action.REPLACE):
            file_columns = header_of(seed)
            names = [name for name, _ in file_columns]
            if names:
                _check_drift(seed, names, columns, origin)
                for name in names:
                    if name not in origin:
                        origin[name] = seed.file
                        columns.append(name)
        steps.append(
            FileStep(
                seed,
                action,
                file_facts,
                file_columns,
                same_as if action in (Action.MOVE, Action.DUPLICATE) else None,
            )
        )
    missing = tuple(lf for lf in previous if lf.file not in present and lf.file not in moved)
    if not previous and not any(s.action in (Action.LOAD, Action.REPLACE) for s in steps):
        return TablePlan(table.name, tuple(steps), missing, tuple(columns))
    if (absent := missing_column(table, origin)) is not None:
        raise absent
    return TablePlan(table.name, tuple(steps), missing, tuple(columns))


def missing_column(table: SeedTable, have: Iterable[str]) -> MflError | None:
    """E104 for the first column seeds/<table>.yml names (or keys on) that is in none of the
    columns the table's files have (`have`, after from: renames); None when all are there."""
    have = list(have)
    for column in (*(name for name, _ in table.columns), *table.natural_key):
        if column in have:
            continue
        sources = dict(table.sources)
        header = f" (from: {sources[column]})" if column in sources else ""
        renamed = table.renames().get(column)
        return MflError(
            "E104",
            f"column '{column}'{header} of {table.descriptor} is in none of"
            f" raw.{table.name}'s files",
            table.column_loc(column) or Location(table.descriptor or table.files[0].file),
            # natural_key: [通话编号] where columns: maps call_id from 通话编号
            f"the export's header '{column}' loads as column '{renamed}' (its from:):"
            f" name '{renamed}'"
            if renamed
            else did_you_mean(sources.get(column, column), have)
            or f"the files have: {', '.join(have) or 'none'}",
        )
    return None


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
    table: SeedTable,
    names: tuple[str, ...],
    stored: tuple[tuple[str, str], ...] = (),
    file: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """(name, type) per column of a file: the declared type, else VARCHAR for CSV (raw stays
    raw), else the type stored in a parquet file ("" = as stored). A header renamed by from:
    onto another header of the file (`file`) is E105."""
    if stored:  # parquet columns keep their stored names (from: maps text headers)
        return tuple((name, table.declared_type(name) or "") for name, _ in stored)
    renames = table.renames()
    renamed = [renames.get(name, name) for name in names]
    if file is not None:
        _check_names(table, names, renamed, file)
    return tuple((name, table.declared_type(name) or "VARCHAR") for name in renamed)


def _check_names(table: SeedTable, names: tuple[str, ...], renamed: list[str], file: str) -> None:
    """Column names the warehouse would refuse, as E105 on the file's header rather than the
    warehouse's 'column already exists' or 'transaction is aborted' (E108)."""
    renames = table.renames()
    for header, name in zip(names, renamed, strict=True):
        if name.casefold() in (m.casefold() for m in META_COLUMNS):
            raise MflError(
                "E105",
                f"in the header of {file}, column '{name}' has the name of a column mfl adds"
                f" to every raw row ({', '.join(META_COLUMNS)})",
                Location(file, 1),
                f"give column '{name}' (from: {header}) another name in seeds/{table.name}.yml"
                if header in renames
                else f"load it under another name: columns: {{{header.lstrip('_')}: {{from:"
                f" {header}}}}} in seeds/{table.name}.yml",
            )
    folded = [name.casefold() for name in renamed]
    if len(set(folded)) == len(folded):
        return
    twice = next(name for name in folded if folded.count(name) > 1)
    headers = [h for h, name in zip(names, folded, strict=True) if name == twice]
    columns = [n for n in renamed if n.casefold() == twice]
    if len(set(columns)) > 1 and not any(h in renames for h in headers):
        # a warehouse's names ignore case: ID and id are one column
        what = f"{' and '.join(repr(c) for c in columns)} differ only by case"
        hint = "give each column a distinct name on the header line, or rename one with from:"
    else:
        what = (
            f"{' and '.join(repr(h) for h in headers)} would both be column '{columns[0]}'"
            f" (from: in {table.descriptor})"
        )
        hint = "name the column that comes from the header another way under columns:"
    raise MflError("E105", f"in the header of {file}, {what}", Location(file, 1), hint)
