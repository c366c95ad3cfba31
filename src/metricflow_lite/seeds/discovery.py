"""Which files under seeds/ are seed tables, and each table's files in load order."""

from __future__ import annotations

import re
from pathlib import Path

from metricflow_lite.errors import Diagnostic, Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile, SeedTable, read_table
from metricflow_lite.spec.loader import relative_name
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import SeedFormat

TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED_TABLES = ("_loads", "_rejects")
SUFFIXES = (
    (".csv.gz", SeedFormat.CSV_GZ),
    (".csv", SeedFormat.CSV),
    (".parquet", SeedFormat.PARQUET),
)


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
            tables.append(read_table(project, name, files.get(name, []), descriptors.get(name)))
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
