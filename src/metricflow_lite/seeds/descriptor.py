"""seeds/<table>.yml: what a table's files hold (column types, natural key, CSV layout)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from metricflow_lite.errors import Diagnostic, Location, MflError, did_you_mean
from metricflow_lite.spec.loader import YMap, YSeq, read_yaml, relative_name
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import CsvOptions, SeedFormat

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


def read_table(
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
