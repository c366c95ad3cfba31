"""The JSON API: metrics, reports, a query with the fields of `mfl query`, a report's rows.

Each function takes the served project and the request's values and returns what the route
sends as JSON; a mistake is the MflError `mfl query` / `mfl report` raise for it (the same code,
message and hint), so a program reads the same errors from the CLI and the API.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from metricflow_lite.errors import Location, MflError
from metricflow_lite.serve.served_project import ServedProject
from metricflow_lite.text import plain_value

# The fields of POST /api/query: those of `mfl query` (its options, less the output ones).
QUERY_FIELDS = (
    "metrics",
    "by",
    "grain",
    "start",
    "end",
    "where",
    "no_indicators",
    "completeness",
)
_TEXT_FIELDS = ("grain", "start", "end", "where")
_LIST_FIELDS = ("metrics", "by")
_FLAG_FIELDS = ("no_indicators", "completeness")


def error_body(err: MflError) -> dict[str, Any]:
    """An error as JSON: {code, message, hint, location} (location 'file:line:col' or null)."""
    return {
        "code": err.code,
        "message": err.message,
        "hint": err.hint,
        "location": str(err.loc) if err.loc is not None else None,
    }


def bad_field(message: str, hint: str | None = None) -> MflError:
    return MflError("E808", message, Location("request"), hint)


def metrics_list(served: ServedProject) -> dict[str, Any]:
    """GET /api/metrics: every metric (by name) with its label, formula, format, target and
    the models it reads, as `mfl list metrics` lists them."""
    from metricflow_lite.report.catalog import formula_of, models_of

    build_id, read = served.current()
    spec = read.spec
    by_name = {m.name: m for m in spec.metrics}
    return {
        "build": build_id,
        "metrics": [
            {
                "name": m.name,
                "label": m.label,
                "description": m.description,
                "formula": formula_of(m),
                "format": m.format.value,
                "target": {"min": m.target.min, "max": m.target.max} if m.target else None,
                "models": list(models_of(m, by_name)),
            }
            for m in sorted(spec.metrics, key=lambda m: m.name)
        ],
    }


def reports_list(served: ServedProject) -> dict[str, Any]:
    """GET /api/reports: every report in the YAML's order, with its grains and metrics."""
    from metricflow_lite.report import html_filename

    build_id, read = served.current()
    return {
        "build": build_id,
        "reports": [
            {
                "name": r.name,
                "label": r.label,
                "by": list(r.by),
                "grains": [g.value for g in r.grains],
                "metrics": list(r.metrics),
                "pages": {g.value: html_filename(r.name, g) for g in r.grains},
            }
            for r in read.spec.reports
        ],
    }


def query_options(body: object, max_chars: int) -> tuple[Any, bool]:
    """The query options and the completeness flag of a POST /api/query body (E808)."""
    from metricflow_lite.jobs.pipeline import QueryOptions

    if not isinstance(body, Mapping):
        raise bad_field(
            "the body must be a JSON object", 'send {"metrics": ["..."], "by": [...], ...}'
        )
    unknown = [k for k in body if k not in QUERY_FIELDS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), QUERY_FIELDS, n=1)
        raise bad_field(
            f"unknown field '{unknown[0]}'",
            f"did you mean '{close[0]}'?" if close else f"fields: {', '.join(QUERY_FIELDS)}",
        )
    values: dict[str, Any] = {}
    for name in _LIST_FIELDS:
        values[name] = _names(body.get(name), name)
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise bad_field(f"'{name}' must be a string, not {type(value).__name__}")
        if isinstance(value, str) and len(value) > max_chars:
            raise bad_field(f"'{name}' is longer than {max_chars:,} characters")
        values[name] = value or None
    for name in _FLAG_FIELDS:
        value = body.get(name, False)
        if not isinstance(value, bool):
            raise bad_field(f"'{name}' must be true or false")
        values[name] = value
    if not values["metrics"]:
        raise bad_field("'metrics' is required", 'send {"metrics": ["abandonment_rate"]}')
    options = QueryOptions(
        values["metrics"],
        values["by"],
        values["grain"],
        values["start"],
        values["end"],
        values["where"],
        not values["no_indicators"],
    )
    return options, bool(values["completeness"])


def _names(value: object, field: str) -> str | None:
    """A list field as `mfl query` reads it: comma-separated text, or a JSON list of names."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if any("," in v for v in value):
            raise bad_field(f"'{field}': a name cannot contain a comma")
        return ",".join(value)
    raise bad_field(f"'{field}' must be a list of names or comma-separated text")


def run_query(served: ServedProject, body: object) -> dict[str, Any]:
    """POST /api/query: the rows `mfl query --format json` prints, with the columns, the note,
    the incomplete periods and the build answered from."""
    from metricflow_lite.jobs.pipeline import query_sql
    from metricflow_lite.jobs.reports import row_completeness

    limits = served.limits
    options, completeness = query_options(body, limits.max_sql_chars)
    with served.reading() as read:
        project, spec, warehouse = read.project, read.spec, read.warehouse
        request = options.request(spec)
        plan, sql = query_sql(project, request, served.snapshot.dialect, spec)
        try:
            columns, rows = warehouse.select(sql, limits.max_rows, limits.timeout_s)
        except MflError as err:
            if err.code != "E802":
                raise
            # the SQL endpoint's hint says "add LIMIT", which a query body has no field for
            raise MflError(
                err.code,
                err.message,
                err.loc,
                "ask for fewer rows: a coarser grain, fewer dimensions in 'by', or a 'start',"
                " 'end' or 'where'; the limit is mfl serve --max-rows",
            ) from None
        names = tuple(name for name, _ in columns)
        found = None
        if completeness:
            found = row_completeness(spec, project, warehouse, plan.request, names, tuple(rows))
    records = _records(names, rows)
    incomplete: list[str] = []
    complete = found.flags if found is not None else None
    if found is not None:
        for record, flag in zip(records, found.flags, strict=True):
            record["is_complete"] = flag
        grain = plan.request.grain
        if grain is not None:
            incomplete = sorted({str(r[grain.value]) for r in records if not r["is_complete"]})
        elif found.range_label is not None and not all(found.flags):
            incomplete = [found.range_label]
    return {
        "build": read.build_id,
        "columns": [*names, *(["is_complete"] if complete is not None else [])],
        "rows": records,
        "note": plan.note,
        "incomplete": incomplete,
    }


def _records(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(names, (plain_value(v) for v in row), strict=True)) for row in rows]


def report_rows(
    served: ServedProject, name: str, grain: str | None, on: str | None
) -> dict[str, Any]:
    """GET /api/reports/<name>?grain=&date=: the rows `mfl report` shows for one period, with
    each column's label, format and target, each row's target flags and completeness."""
    from metricflow_lite.jobs.pipeline import parse_date, parse_grain
    from metricflow_lite.jobs.reports import find_report, outside_data, report_table

    day = parse_date(on, "--date")
    with served.reading() as read:
        project, spec, warehouse = read.project, read.spec, read.warehouse
        chosen = find_report(spec, name)
        grain_value = parse_grain(grain) if grain else chosen.grains[0]
        table = report_table(spec, project, warehouse, chosen, grain_value, day)
        empty = outside_data(spec, project, warehouse, chosen, grain_value, day) if day else None
    columns = [
        {
            "name": c.name,
            "role": c.role.value,
            "label": c.label,
            "metric": c.metric,
            "format": c.format.value if c.format is not None else None,
            "target": (
                {"min": c.target.min, "max": c.target.max} if c.target is not None else None
            ),
            "comparison": c.comparison.value if c.comparison is not None else None,
        }
        for c in table.columns
    ]

    def rows_of(rows: Sequence[Sequence[Any]], names: list[str]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            record = dict(zip(names, (plain_value(v) for v in row), strict=True))
            record["is_complete"] = not (isinstance(row[0], dt.date) and row[0] in table.incomplete)
            out.append(record)
        return out

    names = [c.name for c in table.columns]
    total_names = [c.name for c in table.total_columns()]
    focus = table.period
    return {
        "build": read.build_id,
        "report": table.name,
        "label": table.label,
        "grain": table.grain.value,
        "period": plain_value(focus) if focus is not None else None,
        "data_end": plain_value(table.data_end) if table.data_end is not None else None,
        "in_progress": table.in_progress,
        "cut_through": plain_value(table.cut_through) if table.cut_through else None,
        "columns": columns,
        "rows": rows_of(table.focus_rows(), names),
        "totals": rows_of([r for r in table.totals if r[0] == focus], total_names),
        "value_labels": {dim: dict(labels) for dim, labels in table.value_labels},
        "warning": error_body(MflError(empty.code, empty.message, empty.loc, empty.hint))
        if empty is not None
        else None,
    }
