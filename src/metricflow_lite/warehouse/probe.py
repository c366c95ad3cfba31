"""An empty in-memory DuckDB shaped like a project: every model's column types, no data loaded."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp
from sqlglot.errors import SqlglotError

from metricflow_lite.compile import names
from metricflow_lite.errors import Diagnostic, Location, Severity
from metricflow_lite.spec.columns import Typed
from metricflow_lite.warehouse.seedfile import parquet_columns

# Columns every raw table carries besides the file's own.
RAW_EXTRA_COLUMNS = names.META_COLUMN_TYPES


@dataclass(frozen=True, slots=True)
class SeedShape:
    """A raw table as seeds/ describe it: its columns and types, and where they were declared."""

    table: str
    file: str  # relative to the project
    columns: tuple[tuple[str, str], ...]
    type_locs: tuple[tuple[str, Location], ...] = ()  # `columns:` entries of seeds/<table>.yml


def parquet_schema(path: Path, file: str) -> tuple[tuple[str, str], ...]:
    """The (name, DuckDB type) columns a parquet file stores; no rows are read."""
    con = duckdb.connect(":memory:")
    try:
        return parquet_columns(con, path, file)
    finally:
        con.close()


class ProjectProbe:
    """raw tables created empty, models created as views over them; DESCRIBE tells the types."""

    def __init__(self) -> None:
        self.connection = duckdb.connect(":memory:")
        for schema in names.ALL_SCHEMAS:
            self.connection.execute(f"CREATE SCHEMA {schema}")

    def close(self) -> None:
        self.connection.close()

    def create_raw(self, shape: SeedShape) -> list[Diagnostic]:
        """Create raw.<table> empty; a type the yml declares wrongly is reported there."""
        problems = []
        columns = []
        locs = dict(shape.type_locs)
        for name, kind in (*shape.columns, *RAW_EXTRA_COLUMNS):
            try:
                data_type = exp.DataType.build(kind, dialect="duckdb")
                self.connection.execute(f"SELECT CAST(NULL AS {data_type.sql('duckdb')})")
            except (duckdb.Error, SqlglotError) as err:
                problems.append(
                    Diagnostic(
                        "E313",
                        f"DuckDB does not accept the column type '{kind}' of '{name}':"
                        f" {str(err).splitlines()[0]}",
                        locs.get(name, Location(shape.file)),
                        "use a DuckDB type such as INTEGER, DOUBLE, DATE, TIMESTAMP or VARCHAR",
                    )
                )
                data_type = exp.DataType.build("VARCHAR")
            columns.append(exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=data_type))
        table = exp.Schema(
            this=exp.table_(shape.table, db=names.RAW, quoted=True), expressions=columns
        )
        create = exp.Create(this=table, kind="TABLE")
        self.connection.execute(create.sql(dialect="duckdb"))
        return problems

    def create_model(
        self, schema: str, name: str, sql: str, file: str, source_text: str
    ) -> Diagnostic | None:
        """Create a model (its rendered `sql`, from `file`) as a view; DuckDB's complaint
        points into the model file."""
        table = exp.table_(name, db=schema, quoted=True).sql(dialect="duckdb")
        statement = f"CREATE VIEW {table} AS\n{sql}"
        try:
            self.connection.execute(statement)
        except duckdb.Error as err:
            message = str(err).strip()
            first = message.splitlines()[0]
            return Diagnostic(
                "E314",
                f"model {name} fails in DuckDB: {first}",
                _model_location(file, source_text, message),
                "fix the SQL in the model file; every metric on this model is skipped until then",
                Severity.ERROR,
            )
        return None

    def columns(self, schema: str, name: str) -> dict[str, str]:
        """Column name -> DuckDB type of a created table or view."""
        table = exp.table_(name, db=schema, quoted=True).sql(dialect="duckdb")
        rows = self.connection.execute(f"DESCRIBE {table}").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def types_of(self, schema: str, name: str, expressions: Sequence[exp.Expr]) -> list[Typed]:
        """The type of each expression over the (empty) rows of a model, or DuckDB's objection.

        One DESCRIBE for all of them; when DuckDB rejects one, each is asked on its own so the
        objection lands on the right expression."""
        if not expressions:
            return []
        table = exp.table_(name, db=schema, quoted=True)
        select = exp.select(
            *(exp.alias_(e.copy(), f"v{i}", quoted=True) for i, e in enumerate(expressions))
        ).from_(table)
        try:
            rows = self.connection.execute(f"DESCRIBE {select.sql(dialect='duckdb')}").fetchall()
        except duckdb.Error as err:
            if len(expressions) == 1:
                return [Typed(None, str(err).strip().splitlines()[0])]
            return [self.types_of(schema, name, [e])[0] for e in expressions]
        return [Typed(str(row[1])) for row in rows]


_LINE = re.compile(r"^LINE (\d+): ?(.*)$", re.MULTILINE)


def _model_location(file: str, source_text: str, message: str) -> Location:
    """Where in the model file DuckDB's `LINE n:` with its caret points (the file line found by
    the underlined text, since jinja may have moved lines)."""
    match = _LINE.search(message)
    if match is None:
        return Location(file)
    rest = message[match.end() :].lstrip("\n").splitlines()
    carets = rest[0] if rest else ""
    start = carets.find("^")
    token = match.group(0)[start : start + len(carets.strip())].strip() if start >= 0 else ""
    lines = source_text.splitlines()
    rendered_line = int(match.group(1)) - 1  # the first line is CREATE VIEW ... AS
    if token:
        candidates = [i for i, text in enumerate(lines) if token in text]
        if candidates:
            best = min(candidates, key=lambda i: abs(i + 1 - rendered_line))
            return Location(file, best + 1, lines[best].index(token) + 1, len(token))
    if 1 <= rendered_line <= len(lines):
        return Location(file, rendered_line)
    return Location(file)
