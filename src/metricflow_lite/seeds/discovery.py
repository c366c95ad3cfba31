"""Which files under seeds/ are seed tables, and each table's files in load order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from metricflow_lite.compile import names
from metricflow_lite.errors import Diagnostic, Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile, SeedTable, read_table
from metricflow_lite.spec.loader import relative_name
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import SeedFormat

TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DATED_NAME = re.compile(r"(.*?)[\s_.-]*(\d{4}[-_.]?\d{1,2}[-_.]?\d{1,2})")  # calls 2024-10-09
RESERVED_TABLES = names.RESERVED_RAW_TABLES
SUFFIXES = (
    (".csv.gz", SeedFormat.CSV_GZ),
    (".csv", SeedFormat.CSV),
    (".parquet", SeedFormat.PARQUET),
    (".xlsx", SeedFormat.XLSX),
    (".xls", SeedFormat.XLS),
)
# Excel's lock files (~$calls.xlsx) and editors' backups are not exports.
IGNORED_PREFIXES = (".", "~$")


def seed_format(path: Path) -> SeedFormat | None:
    """The format of a seed data file, or None for any other file."""
    name = path.name.lower()
    for suffix, fmt in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return fmt
    return None


def _table_name(path: Path, fmt: SeedFormat) -> str:
    return path.name[: -len(fmt.value) - 1]


def natural_order(file: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key reading digit runs as numbers: 2024-10-9 before 2024-10-10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", file) if part
    )


def _leaves_project(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return True
    return False


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

    def outside(path: Path) -> bool:
        # a link to /etc/passwd or to a folder elsewhere would load files nobody put in seeds/
        if not _leaves_project(path, root):
            return False
        name = path.relative_to(root).as_posix()  # the link's own name, not its target's
        problems.append(
            Diagnostic(
                "E113",
                f"{name} is a link to {path.resolve()}, outside the project",
                Location(name),
                "copy the export into seeds/ instead of linking to it",
            )
        )
        return True

    for entry in sorted(seeds.iterdir()):
        if entry.name.startswith(IGNORED_PREFIXES):
            continue
        if entry.is_dir():
            if outside(entry):
                continue
            for inner, kind in _folder_files(entry, outside):
                add(entry.name, inner, kind)
        elif (fmt := seed_format(entry)) is not None and outside(entry):
            continue
        elif (fmt := seed_format(entry)) is not None:
            add(_table_name(entry, fmt), entry, fmt)
        elif entry.suffix in (".yml", ".yaml"):
            descriptors[entry.name[: -len(entry.suffix)]] = entry
    names = sorted(set(files) | set(descriptors))
    by_folded: dict[str, str] = {}
    for name in names:
        other = by_folded.setdefault(name.casefold(), name)
        if other != name:
            # raw."CALLS" and raw."calls" are two tables on DuckDB, one on other engines, and
            # to a person reading seeds/ one table twice
            where = (
                files[name][0].file if files.get(name) else relative_name(descriptors[name], root)
            )
            problems.append(
                Diagnostic(
                    "E114",
                    f"tables '{other}' and '{name}' differ only by case",
                    Location(where),
                    "rename one of them so that each table has one name (all lower case, e.g."
                    f" '{name.lower()}'); daily files of one table go in seeds/{name.lower()}/",
                )
            )
    tables = []
    for name in names:
        ordered = sorted(files.get(name, []), key=lambda f: natural_order(f.file))
        try:
            tables.append(read_table(project, name, ordered, descriptors.get(name)))
        except MflError as err:
            problems.extend(err.diagnostics)
    if problems:
        raise MflError.from_diagnostics(problems)
    return tuple(tables)


def _folder_files(
    folder: Path, outside: Callable[[Path], bool]
) -> Iterator[tuple[Path, SeedFormat]]:
    """The files of a table's folder, those in its subfolders included: exports kept in a
    folder per month (seeds/calls/2024-10/...) were left out without a word."""
    seen = {folder.resolve()}
    pending = [folder]
    while pending:
        current = pending.pop()
        for inner in sorted(current.iterdir()):
            if inner.name.startswith(IGNORED_PREFIXES):
                continue
            if inner.is_dir():
                # a link back up would go round forever
                if inner.resolve() not in seen and not outside(inner):
                    seen.add(inner.resolve())
                    pending.append(inner)
            elif inner.is_file() and (fmt := seed_format(inner)) is not None:
                if not outside(inner):
                    yield inner, fmt


# Files that sit beside exports without being one: their notes, their descriptors, and what
# Windows Explorer leaves in a folder it has shown.
NOT_EXPORTS = (".md", ".yml", ".yaml")
SYSTEM_FILES = ("thumbs.db", "desktop.ini")


def unloaded_files(project: Project) -> tuple[str, ...]:
    """Files under seeds/ that mfl seed does not read, although they may be exports: Excel's
    "Text (Tab delimited)" saves a .txt, other tools a .tsv, .xlsm or .zip. Silently left out,
    their rows were missing with nothing said."""
    seeds = project.path("seeds")
    if not seeds.is_dir():
        return ()
    found: list[str] = []
    seen = {seeds.resolve()}
    pending = [seeds]
    while pending:
        current = pending.pop()
        for entry in sorted(current.iterdir()):
            if entry.name.startswith(IGNORED_PREFIXES) or _leaves_project(entry, project.root):
                continue
            if entry.is_dir():
                if entry.resolve() not in seen:
                    seen.add(entry.resolve())
                    pending.append(entry)
            elif entry.is_file() and seed_format(entry) is None:
                if current == seeds and entry.suffix.lower() in NOT_EXPORTS:
                    continue
                if entry.name.lower() in SYSTEM_FILES:
                    continue
                if entry.suffix.lower() != ".md":
                    found.append(relative_name(entry, project.root))
    return tuple(sorted(found, key=natural_order))


def _check_table_name(table: str, file: str) -> Diagnostic | None:
    if TABLE_NAME.fullmatch(table) and table not in RESERVED_TABLES:
        return None
    suggestion = re.sub(r"\W", "_", table, flags=re.ASCII).strip("_") or "table"
    if suggestion[0].isdigit():
        suggestion = "t_" + suggestion
    hint = (
        "a table name has letters, digits and _ and does not start with a digit or name a"
        f" raw.* bookkeeping table; rename it, e.g. to '{suggestion}'"
    )
    dated = DATED_NAME.fullmatch(table)
    if dated and "/" not in file.removeprefix("seeds/"):
        # 'call legs 2024-10-09.csv' renamed to call_legs_2024_10_09 would be a table a day
        base = re.sub(r"\W", "_", dated.group(1), flags=re.ASCII).strip("_") or "calls"
        base = "t_" + base if base[0].isdigit() else base
        hint = (
            f"a day's export goes in the folder of its table, all days one table: move it to"
            f" seeds/{base}/{dated.group(2)}{file[file.rindex(table) + len(table) :]}"
        )
    return Diagnostic(
        "E101", f"'{table}' (from {file}) is not a valid table name", Location(file), hint
    )


def natural_keys(project: Project) -> dict[str, tuple[str, ...]]:
    """Each seed table's natural key, for the tables that declare one (none without seeds/)."""
    if not project.path("seeds").is_dir():
        return {}
    return {table.name: table.natural_key for table in discover_seeds(project) if table.natural_key}
