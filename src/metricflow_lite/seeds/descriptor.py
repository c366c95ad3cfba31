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
    "sheet",
    "header_row",
)
ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "gb18030",
    "big5",
    "latin-1",
    "auto",
)
# Names people write for the encodings above; GBK and GB2312 are subsets of GB18030.
ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf16": "utf-16",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "gb-18030": "gb18030",
    "big-5": "big5",
    "cp950": "big5",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
HEADER_AUTO = 0  # header_row: auto


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
    sources: tuple[tuple[str, str], ...] = ()  # (name, the header it comes `from` in the files)
    formats: tuple[tuple[str, str], ...] = ()  # (name, strptime format) of DATE/TIMESTAMP columns
    sheet: str | None = None  # .xlsx/.xls: the sheet to read (None: the first)
    header_row: int = 1  # the line (sheet row) holding the header; HEADER_AUTO: find it

    def renames(self) -> dict[str, str]:
        """Export header -> column name, for the columns declared with `from:`."""
        return {header: name for name, header in self.sources}

    def declared_type(self, column: str) -> str | None:
        return dict(self.columns).get(column)

    def column_loc(self, column: str) -> Location | None:
        return dict(self.column_locs).get(column)


def read_table(
    project: Project, name: str, files: list[SeedFile], descriptor: Path | None
) -> SeedTable:
    if descriptor is None:
        return SeedTable(name, tuple(files))
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
        return SeedTable(name, tuple(files), descriptor=yml)
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
    columns, locs, type_locs, sources, formats = _read_columns(data, problems)
    natural_key = _read_natural_key(data, problems)
    csv_options = _read_csv_options(data, problems)
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str | int):
        problems.append(
            Diagnostic(
                "E103", "sheet must be a sheet's name", data.value_loc("sheet"), "sheet: 明细"
            )
        )
    header_row = _read_header_row(data, problems)
    if problems:
        raise MflError.from_diagnostics(problems)
    description = data.get("description")
    return SeedTable(
        name,
        tuple(files),
        columns=columns,
        natural_key=natural_key,
        description=str(description).strip() if description is not None else "",
        csv=csv_options,
        descriptor=yml,
        column_locs=locs,
        type_locs=type_locs,
        sources=sources,
        formats=formats,
        sheet=str(sheet) if isinstance(sheet, str | int) else None,
        header_row=header_row,
    )


def _read_header_row(data: YMap, problems: list[Diagnostic]) -> int:
    raw = data.get("header_row", 1)
    if raw == "auto":
        declared = data.get("columns")
        if not isinstance(declared, YMap) or not declared:
            problems.append(
                Diagnostic(
                    "E103",
                    "header_row: auto looks for the row holding every declared column",
                    data.value_loc("header_row"),
                    "declare the columns under columns: (with from: for the export's headers)",
                )
            )
        return HEADER_AUTO
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        problems.append(
            Diagnostic(
                "E103",
                f"header_row must be a line number (1 = the first line) or auto, not {raw!r}",
                data.value_loc("header_row"),
                "for an export with a title and a date above the header: header_row: 3",
            )
        )
        return 1
    return raw


Located = tuple[tuple[str, Location], ...]
Pairs = tuple[tuple[str, str], ...]
COLUMN_KEYS = ("from", "type", "format")


def _read_columns(
    data: YMap, problems: list[Diagnostic]
) -> tuple[tuple[tuple[str, str], ...], Located, Located, Pairs, Pairs]:
    """(name, type) per declared column, where each name is written, where each type is, the
    export header each comes from, and its DATE/TIMESTAMP format."""
    raw = data.get("columns")
    if raw is None:
        return (), (), (), (), ()
    if not isinstance(raw, YMap):
        problems.append(
            Diagnostic(
                "E103",
                "columns must map column names to types",
                data.value_loc("columns"),
                "for example: columns: {talk_seconds: INTEGER, agent_id: {from: 坐席工号}}",
            )
        )
        return (), (), (), (), ()
    columns = []
    locs = []
    type_locs = []
    sources: list[tuple[str, str]] = []
    formats = []
    for column, spec in raw.items():
        loc = raw.value_loc(column)
        type_text: object = spec
        if isinstance(spec, YMap):
            for key in spec:
                if key not in COLUMN_KEYS:
                    problems.append(
                        Diagnostic(
                            "E103",
                            f"unknown key '{key}' in column '{column}'",
                            spec.key_loc(key),
                            did_you_mean(str(key), COLUMN_KEYS)
                            or f"known keys: {', '.join(COLUMN_KEYS)}",
                        )
                    )
            source = spec.get("from")
            if source is not None:
                if not isinstance(source, str | int) or not str(source).strip():
                    problems.append(
                        Diagnostic(
                            "E103",
                            f"from: of column '{column}' must be the export's header text",
                            spec.value_loc("from"),
                            "for example: agent_id: {from: 坐席工号}",
                        )
                    )
                elif str(source).strip() in (h for _, h in sources):
                    other = next(c for c, h in sources if h == str(source).strip())
                    problems.append(
                        Diagnostic(
                            "E103",
                            f"columns '{other}' and '{column}' both come from"
                            f" '{str(source).strip()}'",
                            spec.value_loc("from"),
                            "a header of the export is one column; name it once under columns:",
                        )
                    )
                else:
                    sources.append((str(column), str(source).strip()))
            fmt = spec.get("format")
            if fmt is not None:
                if not isinstance(fmt, str) or "%" not in fmt:
                    problems.append(
                        Diagnostic(
                            "E103",
                            f"format of column '{column}' must be a strptime format",
                            spec.value_loc("format"),
                            'for example: format: "%Y/%m/%d %H:%M" (for 2024/10/8 9:05)',
                        )
                    )
                else:
                    formats.append((str(column), fmt))
            type_text = spec.get("type", "VARCHAR" if fmt is None else "TIMESTAMP")
            if "type" in spec:
                loc = spec.value_loc("type")
        normal = _normal_type(str(type_text)) if isinstance(type_text, str) else None
        if normal is not None and isinstance(spec, YMap) and spec.get("format") is not None:
            if not normal.upper().startswith(("DATE", "TIMESTAMP")):
                # a format on a number or text column was read by nothing, without a word
                problems.append(
                    Diagnostic(
                        "E103",
                        f"format: of column '{column}' reads dates and times; '{column}' is"
                        f" {type_text}",
                        spec.value_loc("format"),
                        "give it type: date or timestamp, or leave the format out",
                    )
                )
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
        columns.append((str(column), normal))
        locs.append((str(column), raw.key_loc(column)))
        type_locs.append((str(column), loc))
    return tuple(columns), tuple(locs), tuple(type_locs), tuple(sources), tuple(formats)


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
    encoding = str(data.get("encoding", "utf-8")).strip().lower().replace("_", "-")
    encoding = ENCODING_ALIASES.get(encoding, encoding)
    if encoding not in ENCODINGS:
        problems.append(
            Diagnostic(
                "E103",
                f"encoding '{data.get('encoding')}' is not supported",
                data.value_loc("encoding"),
                (did_you_mean(encoding, ENCODINGS) or f"supported: {', '.join(ENCODINGS)}")
                + " (gb18030 reads GBK and GB2312 too; auto detects each file's encoding)",
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
