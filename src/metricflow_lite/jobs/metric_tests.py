"""`mfl test`: run each metric unit test's query over its given rows and compare the values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.build import stored_ends
from metricflow_lite.compile.calendar import CalendarJoin, calendar_table_query, with_stored_ends
from metricflow_lite.compile.plan import (
    QueryPlan,
    ReadIndicator,
    plan_indicator_table,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.errors import Diagnostic, MflError, Severity
from metricflow_lite.jobs.validate import plan_case, source_columns
from metricflow_lite.spec.cases import GivenRows, MetricCase, Scalar, parse_cases
from metricflow_lite.spec.model import ProjectSpec
from metricflow_lite.spec.parse import Collector
from metricflow_lite.spec.project import Project
from metricflow_lite.spec.validate import load_spec
from metricflow_lite.warehouse.base import QueryResult
from metricflow_lite.warehouse.scratch import ScratchDatabase, ScratchError


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one test went: the differences found, or why it could not run."""

    case: MetricCase
    differences: tuple[str, ...] = ()
    problem: Diagnostic | None = None

    @property
    def passed(self) -> bool:
        return not self.differences and self.problem is None


def run_metric_tests(project: Project, select: Sequence[str] = ()) -> list[CaseResult]:
    """Run every metric test (or the selected ones) on a fresh in-memory DuckDB each."""
    spec = load_spec(project)
    out = Collector()
    cases = parse_cases(project.root, project.path("metrics"), out, select)
    errors = [d for d in out.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise MflError.from_diagnostics(errors)
    missing = [name for name in select if name not in {c.name for c in cases}]
    if missing:
        raise MflError(
            "E273",
            f"no metric test named {', '.join(missing)}",
            None,
            "tests live under 'tests:' in metrics/*.yml or in metrics/tests/*.yml",
        )
    known = source_columns(project) if cases else {}
    return [run_case(spec, case, known, project.week_start.value) for case in cases]


def run_case(
    spec: ProjectSpec,
    case: MetricCase,
    known: Mapping[str, Mapping[str, str]],
    week_start: str = "monday",
) -> CaseResult:
    """One test: tables from the given rows (other models empty), the query, the comparison."""
    models = [m.name for m in spec.models]
    plan = plan_case(spec, case, week_start)
    if isinstance(plan, Diagnostic):
        return CaseResult(case, problem=plan)
    try:
        sql = to_sql(render_query(plan), "duckdb")
    except MflError as err:
        return CaseResult(
            case, problem=Diagnostic(err.code, err.message, err.loc or case.loc, err.hint)
        )
    database = ScratchDatabase(("src", "ind"))
    try:
        for statement in calendar_tables(spec):
            database.create_as(statement)
        given_by_model = {g.model: g for g in case.given}
        for model in models:
            rows_of = given_by_model.get(model)
            carried = stored_ends(spec, model)
            # the columns a build adds to the source table are computed here, never given
            added = {join.open_until_column for join in carried}
            built = {c: t for c, t in known.get(model, {}).items() if c not in added}
            columns, rows = table_of(rows_of, built)
            if not columns:
                continue
            try:
                database.create_table(
                    names.SRC, f"{model}{GIVEN_SUFFIX}" if carried else model, columns, rows
                )
                if carried:  # the business_seconds() ends a build's source table carries
                    database.create_as(carrying_ends(model, carried))
            except ScratchError as err:
                return CaseResult(
                    case,
                    problem=Diagnostic(
                        "E272",
                        f"test '{case.name}': the rows of '{model}' do not load: {err}",
                        rows_of.loc if rows_of else case.loc,
                        "give values that fit the column types, or declare them:"
                        " {columns: {offered_ts: TIMESTAMP}, rows: [...]}",
                    ),
                )
        try:
            for statement in derived_tables(spec, plan):
                database.create_as(statement)
            result = database.fetch(sql)
        except ScratchError as err:
            return CaseResult(
                case,
                problem=Diagnostic(
                    "E272",
                    f"test '{case.name}': the query fails on the given rows: {err}",
                    case.loc,
                    "give rows for every column the metrics, filters and dimensions read",
                ),
            )
    finally:
        database.close()
    return CaseResult(case, compare(case, result))


GIVEN_SUFFIX = "__given"  # a model's given rows, before the columns its build would add


def calendar_tables(spec: ProjectSpec) -> list[str]:
    """CREATE statements of the calendar tables business_seconds() reads."""
    return [
        _create(names.CALENDAR_SCHEMA, names.calendar_table(c.name), calendar_table_query(c))
        for c in spec.calendars
    ]


def carrying_ends(model: str, carried: Sequence[CalendarJoin]) -> str:
    """CREATE src.<model> from its given rows with the business_seconds() ends its source
    table carries in a build (compile/calendar.py)."""
    given = exp.select(exp.Star()).from_(
        exp.table_(f"{model}{GIVEN_SUFFIX}", db=names.SRC, quoted=True)
    )
    return _create(names.SRC, model, with_stored_ends(given, carried))


def derived_tables(spec: ProjectSpec, plan: QueryPlan) -> list[str]:
    """CREATE statements for what a query reads besides the given rows and the calendars: the
    quarter-hour tables of span metrics, built from those rows."""
    return [
        _create(names.IND, read.table.name, query_of(plan_indicator_table(read.table, spec)))
        for read in plan.reads
        if isinstance(read, ReadIndicator) and read.table.span is not None
    ]


def _create(schema: str, name: str, query: exp.Query) -> str:
    return exp.Create(
        this=exp.table_(name, db=schema, quoted=True), kind="TABLE", expression=query
    ).sql(dialect="duckdb")


def table_of(
    given: GivenRows | None, known: Mapping[str, str]
) -> tuple[list[tuple[str, str]], list[tuple[Scalar, ...]]]:
    """Columns (declared type, else the model's type, else inferred) and rows of one table."""
    if given is None:
        return list(known.items()), []
    declared = dict(given.types)
    names = list(given.columns) + [c for c in known if c not in given.columns]
    columns = []
    for i, name in enumerate(names):
        values = [row[i] for row in given.rows] if i < len(given.columns) else []
        kind = declared.get(name) or known.get(name) or infer_type(values)
        columns.append((name, kind))
    width = len(given.columns)
    rows = [tuple(row) + (None,) * (len(names) - width) for row in given.rows]
    return columns, rows


def infer_type(values: Sequence[Scalar]) -> str:
    """The DuckDB type that holds every given value of a column."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "VARCHAR"
    if kinds == {bool}:
        return "BOOLEAN"
    if kinds == {int}:
        return "BIGINT"
    if kinds <= {int, float}:
        return "DOUBLE"
    if kinds == {dt.date}:
        return "DATE"
    if kinds <= {dt.date, dt.datetime}:
        return "TIMESTAMP"
    return "VARCHAR"


def compare(case: MetricCase, result: QueryResult) -> tuple[str, ...]:
    """Differences between the expected rows and the result, readable one per line."""
    keys = ((case.grain.value,) if case.grain else ()) + case.by
    actual: dict[tuple[object, ...], dict[str, Any]] = {}
    for row in result.as_dicts():
        actual[tuple(_plain(row.get(k)) for k in keys)] = row
    differences = []
    matched: set[tuple[object, ...]] = set()
    for expected in case.expect:
        values = dict(expected.values)
        missing_keys = [k for k in keys if k not in values]
        label = _row_label(keys, values)
        if missing_keys:
            differences.append(
                f"expected row at line {expected.loc.line} lacks {', '.join(missing_keys)}"
            )
            continue
        key = tuple(_plain(values[k]) for k in keys)
        found = actual.get(key)
        if found is None:
            wanted = ", ".join(f"{k}={_show(v)}" for k, v in values.items() if k not in keys)
            differences.append(f"missing row {label}: expected {wanted}")
            continue
        matched.add(key)
        row = found
        for name, want in values.items():
            if name in keys:
                continue
            if name not in row:
                differences.append(
                    f"row {label}: '{name}' is not a column of the result"
                    f" ({', '.join(result.columns)})"
                )
            elif not _same(want, row[name], case.tolerance):
                differences.append(
                    f"row {label}: {name} expected {_show(want)}, got {_show(row[name])}"
                )
    for key, row in actual.items():
        if key not in matched:
            got = ", ".join(f"{m}={_show(row.get(m))}" for m in case.metrics)
            differences.append(f"unexpected row {_row_label(keys, row)}: {got}")
    return tuple(differences)


def _row_label(keys: Sequence[str], values: Mapping[str, Any]) -> str:
    if not keys:
        return "(total)"
    return " ".join(f"{k}={_show(_plain(values.get(k)))}" for k in keys)


def _plain(value: Any) -> object:
    """Period starts and dimension values as comparable text (midnight times as dates)."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _same(want: Scalar, got: Any, tolerance: float) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        if isinstance(got, bool) or not isinstance(got, (int, float, Decimal)):
            return False
        return math.isclose(float(want), float(got), rel_tol=tolerance, abs_tol=tolerance)
    return _plain(want) == _plain(got)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (float, Decimal)):
        return f"{float(value):.10g}"
    return str(_plain(value))


def render_results(results: Sequence[CaseResult]) -> str:
    """PASS/FAIL per test with its differences, then a summary line."""
    lines = []
    for result in results:
        case = result.case
        if result.passed:
            lines.append(f"PASS {case.name}")
            continue
        lines.append(f"FAIL {case.name} ({case.loc})")
        if result.problem is not None:
            where = f"{result.problem.loc}: " if result.problem.loc else ""
            lines.append(f"  {where}error {result.problem.code}: {result.problem.message}")
            if result.problem.hint:
                lines.append(f"  hint: {result.problem.hint}")
        lines.extend(f"  {difference}" for difference in result.differences)
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)
