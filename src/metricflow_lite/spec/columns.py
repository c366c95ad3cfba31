"""Rules that need each model's columns and types: names in exprs, filters, dimensions, time."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.errors import Diagnostic, Location, Severity, did_you_mean
from metricflow_lite.spec.calendar import BUSINESS_SECONDS, business_calls
from metricflow_lite.spec.expr import locate, substitute_period_end
from metricflow_lite.spec.model import Agg, BaseMetric, Between, Model, ProjectSpec


@dataclass(frozen=True, slots=True)
class Typed:
    """The DuckDB type of an expression over a model, or why DuckDB rejected it."""

    type: str | None
    problem: str = ""


# (model, expressions) -> the type of each expression over the model's rows, in order
TypesOf = Callable[[str, Sequence[exp.Expr]], list[Typed]]

NUMERIC = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT"
    r"|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?|BOOLEAN)$"
)
TEMPORAL = re.compile(r"^(DATE|TIMESTAMP.*)$")
# An instant, not a wall-clock time: each engine would cut it into days and intervals in its
# session's time zone (the machine's on DuckDB, UTC on Spark), not the project's.
ZONED = "TIMESTAMP WITH TIME ZONE"
PERIOD_END_PROBE = exp.cast(exp.Literal.string("2000-01-01 00:00:00"), exp.DataType.Type.TIMESTAMP)
# aggregations that compute with the values, so text cannot go in
NUMERIC_AGGS = (Agg.SUM, Agg.AVG)
ORDERED_AGGS = (Agg.MEDIAN, Agg.PERCENTILE)


@dataclass(frozen=True, slots=True)
class ModelColumns:
    """What the empty database says about the project's models."""

    columns: Mapping[str, Mapping[str, str]]  # model -> column -> DuckDB type
    broken: Collection[str]  # models whose SQL failed (already reported)
    types_of: TypesOf
    timezone: str = "Asia/Shanghai"  # the project's: times in the models are local to it


def _error(code: str, message: str, loc: Location, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, loc, hint, Severity.ERROR)


def check_columns(spec: ProjectSpec, found: ModelColumns) -> list[Diagnostic]:
    """Every problem with column names and types in the spec's models and base metrics."""
    problems: list[Diagnostic] = []
    for model in spec.models:
        problems.extend(_model_problems(spec, model, found))
    metrics = [m for m in spec.metrics if isinstance(m, BaseMetric)]
    typed = _typed_parts(metrics, found)
    labels = {
        m.name: {d.label.strip(): d.name for d in m.dimensions if d.label} for m in spec.models
    }
    for metric in metrics:
        problems.extend(_metric_problems(metric, found, typed, labels.get(metric.model, {})))
    return problems


def _parts(metric: BaseMetric) -> Iterable[tuple[str, exp.Expr, str]]:
    """(key, tree, text) of the metric's expr and filter, where given."""
    for key, tree, text in (
        ("expr", metric.expr, metric.expr_text),
        ("filter", metric.filter, metric.filter_text),
    ):
        if tree is not None:
            yield key, tree, text


def _typed_parts(
    metrics: Sequence[BaseMetric], found: ModelColumns
) -> dict[tuple[str, str], Typed]:
    """The type of every expr and filter whose columns all exist, asked of DuckDB one model at a
    time (a query per expression made `mfl validate` twice as slow)."""
    wanted: dict[str, list[tuple[tuple[str, str], exp.Expr]]] = {}
    for metric in metrics:
        columns = found.columns.get(metric.model)
        if columns is None:
            continue
        for key, tree, _ in _parts(metric):
            if all(c.name in columns for c in tree.find_all(exp.Column)):
                if metric.active is not None:
                    # period_end() is the instant the rows are read at: a TIMESTAMP
                    tree = substitute_period_end(tree, PERIOD_END_PROBE)
                parts = wanted.setdefault(metric.model, [])
                parts.append(((metric.name, key), _typed_stand_in(tree)))
                for i, end in enumerate(_business_ends(tree)):
                    parts.append(((metric.name, f"{key}:{BUSINESS_SECONDS}:{i}"), end))
    typed: dict[tuple[str, str], Typed] = {}
    for model, parts in wanted.items():
        types = found.types_of(model, [tree for _, tree in parts])
        typed.update(zip((part for part, _ in parts), types, strict=True))
    return typed


def _business_ends(tree: exp.Expr) -> list[exp.Expr]:
    """The A and B of each business_seconds(A, B[, calendar]) call, in order."""
    return [end for call in business_calls(tree) for end in call.expressions[:2]]


def _typed_stand_in(tree: exp.Expr) -> exp.Expr:
    """The tree with each business_seconds() call as a BIGINT DuckDB can type (its ends are
    typed on their own)."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() == BUSINESS_SECONDS:
            return exp.cast(exp.Null(), exp.DataType.Type.BIGINT)
        return node

    return tree.copy().transform(swap)


def _model_problems(spec: ProjectSpec, model: Model, found: ModelColumns) -> Iterable[Diagnostic]:
    if model.name in found.broken:
        return
    columns = found.columns.get(model.name)
    if columns is None:
        close = did_you_mean(model.name, found.columns)
        yield _error(
            "E215",
            f"model '{model.name}' has no SQL model models/source/{model.name}.sql",
            model.loc,
            f"create models/source/{model.name}.sql selecting from {{{{ source('...') }}}}"
            + (f", or fix the name: {close}" if close else ""),
        )
        return
    for dim in model.dimensions:
        if dim.name not in columns:
            yield _unknown_column(dim.name, model.name, columns, dim.loc, "dimension")
        if dim.joins:
            target = spec.model(dim.joins)
            target_columns = found.columns.get(dim.joins)
            if target and target.primary_key and target_columns is not None:
                if target.primary_key not in target_columns:
                    yield _unknown_column(
                        target.primary_key,
                        target.name,
                        target_columns,
                        target.spots.at("primary_key", target.loc),
                        "primary_key",
                    )
    if model.primary_key and model.primary_key not in columns:
        yield _unknown_column(
            model.primary_key,
            model.name,
            columns,
            model.spots.at("primary_key", model.loc),
            "primary_key",
        )
    if model.time:
        yield from _time_problems(
            model.time, model.name, columns, model.spots.at("time", model.loc), found.timezone
        )
    if model.valid is not None:
        yield from _between_problems(model.valid, "valid", model.name, columns, found.timezone)


def _between_problems(
    between: Between, key: str, model: str, columns: Mapping[str, str], timezone: str
) -> Iterable[Diagnostic]:
    """`from` and `until` of `active` or `valid` must be DATE or TIMESTAMP columns."""
    for part, column in (("from", between.start), ("until", between.until)):
        loc = between.spots.at(part, between.loc)
        if column not in columns:
            yield _unknown_column(column, model, columns, loc, f"'{key}' {part} column")
        elif columns[column] == ZONED:
            what = f"'{key}' {part} column '{column}' of model '{model}'"
            yield _zoned("E292", what, column, loc, timezone)
        elif not TEMPORAL.match(columns[column]):
            temporal = sorted(c for c, t in columns.items() if TEMPORAL.match(t))
            yield _error(
                "E292",
                f"'{key}' {part} column '{column}' of model '{model}' is {columns[column]},"
                " not a DATE or TIMESTAMP",
                loc,
                (f"use one of {', '.join(temporal)}, or " if temporal else "")
                + f"cast it in the model SQL: CAST({column} AS TIMESTAMP) AS {column}",
            )


def _time_problems(
    column: str, model: str, columns: Mapping[str, str], loc: Location, timezone: str
) -> Iterable[Diagnostic]:
    if column not in columns:
        yield _unknown_column(column, model, columns, loc, "time column")
    elif columns[column] == ZONED:
        yield _zoned("E283", f"time column '{column}' of model '{model}'", column, loc, timezone)
    elif not TEMPORAL.match(columns[column]):
        temporal = sorted(c for c, t in columns.items() if TEMPORAL.match(t))
        yield _error(
            "E283",
            f"time column '{column}' of model '{model}' is {columns[column]},"
            " not a DATE or TIMESTAMP",
            loc,
            (f"use one of {', '.join(temporal)}, or " if temporal else "")
            + f"cast it in the model SQL: CAST({column} AS TIMESTAMP) AS {column}",
        )


def _zoned(code: str, what: str, column: str, loc: Location, timezone: str) -> Diagnostic:
    return _error(
        code,
        f"{what} is {ZONED}: an instant, which each engine would cut into days in its own"
        " session's time zone",
        loc,
        "make it the project's local time in the model SQL, e.g. on DuckDB"
        f" timezone('{timezone}', {column}) AS {column} (a TIMESTAMP)",
    )


def _unknown_column(
    name: str, model: str, columns: Mapping[str, str], loc: Location, what: str
) -> Diagnostic:
    return _error(
        "E281",
        f"{what} '{name}' is not a column of model '{model}'",
        loc,
        did_you_mean(name, columns) or f"columns of '{model}': {', '.join(sorted(columns))}",
    )


def _metric_problems(
    metric: BaseMetric,
    found: ModelColumns,
    typed_parts: Mapping[tuple[str, str], Typed],
    labels: Mapping[str, str],  # a dimension's label -> its column (队列 -> queue)
) -> Iterable[Diagnostic]:
    columns = found.columns.get(metric.model)
    if columns is None:
        return  # unknown model (E210), no SQL model (E215) or broken SQL (E314)
    for key, tree, text in _parts(metric):
        base = metric.spots.at(key, metric.loc)
        unknown = [c for c in tree.find_all(exp.Column) if c.name not in columns]
        for column in unknown:
            yield _error(
                "E280",
                f"unknown column '{column.name}' in {key} of metric '{metric.name}'"
                f" (model '{metric.model}')",
                column_loc(base, text, column.name),
                (
                    f"'{column.name}' is the label of '{labels[column.name]}':"
                    f" did you mean '{labels[column.name]}'?"
                    if labels.get(column.name) in columns
                    else None
                )
                or did_you_mean(column.name, columns)
                or f"columns of '{metric.model}': {', '.join(sorted(columns))}",
            )
        if unknown:
            continue
        for i, end in enumerate(_business_ends(tree)):
            kind = typed_parts[(metric.name, f"{key}:{BUSINESS_SECONDS}:{i}")].type
            if kind == ZONED:
                written = end.sql(dialect="duckdb")
                yield _zoned(
                    "E275",
                    f"{written} in business_seconds in {key} of metric '{metric.name}'",
                    written,
                    locate(base, text, end),
                    found.timezone,
                )
            elif kind is not None and not TEMPORAL.match(kind):
                yield _error(
                    "E275",
                    f"business_seconds in {key} of metric '{metric.name}' needs a DATE or"
                    f" TIMESTAMP, but {end.sql(dialect='duckdb')} is {kind}",
                    locate(base, text, end),
                    "cast it in the model SQL: CAST(x AS TIMESTAMP) AS x",
                )
        typed = typed_parts[(metric.name, key)]
        if typed.type is None:
            yield _error(
                "E284",
                f"DuckDB rejects the {key} of metric '{metric.name}': {typed.problem}",
                Location(base.file, base.line, base.col, len(text.splitlines()[0]) if text else 0),
                "check function names and argument types; text columns need a CAST in the"
                " model SQL before arithmetic",
            )
        elif key == "filter" and typed.type != "BOOLEAN":
            yield _error(
                "E285",
                f"filter of metric '{metric.name}' is {typed.type}, not true/false",
                base,
                "write a condition, e.g. 'leg_seq = 1' or 'answered_ts IS NOT NULL'",
            )
        elif key == "expr":
            yield from _aggregation_problems(metric, typed.type, base, text)
    if metric.time:
        yield from _time_problems(
            metric.time, metric.model, columns, metric.spots.at("time", metric.loc), found.timezone
        )
    if metric.span is not None:
        for span_column in (metric.span.start, metric.span.until):
            if span_column not in columns:
                yield _unknown_column(
                    span_column, metric.model, columns, metric.span.loc, "span column"
                )
            elif columns[span_column] == ZONED:
                yield _zoned(
                    "E277",
                    f"span column '{span_column}' of metric '{metric.name}'",
                    span_column,
                    metric.span.loc,
                    found.timezone,
                )
            elif not TEMPORAL.match(columns[span_column]):
                yield _error(
                    "E277",
                    f"span column '{span_column}' of metric '{metric.name}' is"
                    f" {columns[span_column]}, not a TIMESTAMP",
                    metric.span.loc,
                    f"cast it in the model SQL: CAST({span_column} AS TIMESTAMP) AS {span_column}",
                )
    if metric.active is not None:
        yield from _between_problems(metric.active, "active", metric.model, columns, found.timezone)


def _aggregation_problems(
    metric: BaseMetric, kind: str, loc: Location, text: str
) -> Iterable[Diagnostic]:
    numeric = bool(NUMERIC.match(kind))
    if metric.agg in NUMERIC_AGGS and not numeric:
        yield _error(
            "E282",
            f"agg {metric.agg.value} of metric '{metric.name}' needs numbers, but its expr is"
            f" {kind}",
            Location(loc.file, loc.line, loc.col, len(text.splitlines()[0]) if text else 0),
            "cast it to a number in the model SQL, or count it with 'agg: count_distinct'"
            if kind != "INTERVAL"
            else "turn the interval into seconds: date_diff('second', start_ts, end_ts)",
        )
    elif metric.agg in ORDERED_AGGS and not (numeric or TEMPORAL.match(kind)):
        yield _error(
            "E282",
            f"agg {metric.agg.value} of metric '{metric.name}' needs numbers or times,"
            f" but its expr is {kind}",
            Location(loc.file, loc.line, loc.col, len(text.splitlines()[0]) if text else 0),
            "cast it to a number in the model SQL",
        )


def column_loc(base: Location, text: str, name: str) -> Location:
    """Where a column name is written inside an expression (outside quoted strings)."""
    for match in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", text):
        before = text[: match.start()]
        if before.count("'") % 2:
            continue  # inside a string literal
        line_offset = before.count("\n")
        col = len(before) - (before.rfind("\n") + 1)
        return base.shifted(line_offset, col, len(name))
    return base
