"""Reports from the built warehouse: choose the period, fetch the rows, render, write files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlglot import exp

from metricflow_lite.compile.periods import (
    DataBounds,
    elapsed_cut,
    is_complete,
    latest_complete_start,
    next_period,
    period_start,
)
from metricflow_lite.compile.plan import QueryRequest, plan_query
from metricflow_lite.compile.sqlgen import col, render_query, table_ref, to_sql
from metricflow_lite.errors import Diagnostic, MflError, Severity, did_you_mean
from metricflow_lite.report import (
    MetricInfo,
    ReportTable,
    html_filename,
    render_dashboard,
    render_report,
    render_workbook,
)
from metricflow_lite.spec.graph import base_metrics_of
from metricflow_lite.spec.joins import resolve_dimension
from metricflow_lite.spec.model import BaseMetric, Grain, ProjectSpec, Report
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.base import Warehouse, fetch_built

REPORT_FORMATS = ("html", "xlsx", "md", "csv")


def find_report(spec: ProjectSpec, name: str) -> Report:
    report = spec.report(name)
    if report is None:
        raise MflError(
            "E260",
            f"unknown report '{name}'",
            None,
            did_you_mean(name, [r.name for r in spec.reports])
            or f"reports: {', '.join(r.name for r in spec.reports)}",
        )
    return report


def dimension_labels(spec: ProjectSpec, report: Report) -> dict[str, str]:
    """Labels of a report's dimensions, from the model that first reaches each one."""
    labels: dict[str, str] = {}
    models = [m.model for m in spec.metrics if isinstance(m, BaseMetric)]
    for dim in report.by:
        for model in models:
            found = resolve_dimension(spec, model, dim).found
            if found is not None:
                if found.dimension.label:
                    labels[dim] = found.dimension.label
                break
    return labels


def _fetch(
    warehouse: Warehouse, query: exp.Query
) -> tuple[tuple[str, ...], tuple[tuple[object, ...], ...]]:
    result = fetch_built(warehouse, to_sql(query, warehouse.dialect))
    return result.columns, result.rows


def data_days(
    spec: ProjectSpec, report: Report, warehouse: Warehouse, week_start: str
) -> tuple[dt.date, dt.date] | None:
    """The first and last day on which any of the report's metrics has data (None: no data)."""
    request = QueryRequest(metrics=report.metrics, grain=Grain.DAY, where=report.filter)
    day = render_query(plan_query(spec, request, week_start)).subquery("days")
    query = exp.select(exp.Min(this=col("day", "days")), exp.Max(this=col("day", "days"))).from_(
        day
    )
    _, rows = _fetch(warehouse, query)
    first, last = (_as_date(v) for v in rows[0]) if rows else (None, None)
    return (first, last) if first is not None and last is not None else None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def model_times(spec: ProjectSpec, metrics: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (model, time column) pairs the metrics read, through derived metrics, sorted."""
    by_name = {m.name: m for m in spec.metrics}
    pairs: set[tuple[str, str]] = set()
    for name in metrics:
        for base in base_metrics_of(name, by_name):
            metric = by_name[base]
            assert isinstance(metric, BaseMetric)
            model = spec.model(metric.model)
            time = metric.time or (model.time if model else None)
            if time:
                pairs.add((metric.model, time))
    return tuple(sorted(pairs))


def data_bounds(
    spec: ProjectSpec, metrics: tuple[str, ...], warehouse: Warehouse
) -> tuple[DataBounds, ...]:
    """Each model's first and last time value, for the models the metrics read (DESIGN-2 §2).

    A model without rows has no bounds, so no period it is read for counts as complete.
    """
    bounds = []
    for model, time in model_times(spec, metrics):
        column = exp.column(exp.to_identifier(time))
        query = exp.select(exp.Min(this=column), exp.Max(this=column)).from_(
            table_ref("src", model)
        )
        _, rows = _fetch(warehouse, query)
        first, last = rows[0] if rows else (None, None)
        if isinstance(first, dt.date) and isinstance(last, dt.date):
            bounds.append(DataBounds(model, _as_datetime(first), _as_datetime(last)))
    return tuple(bounds)


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def outside_data(
    spec: ProjectSpec,
    project: Project,
    warehouse: Warehouse,
    report: Report,
    grain: Grain,
    on: dt.date,
) -> Diagnostic | None:
    """A warning when the period asked for lies wholly outside the days that have data: the
    report is then empty, which is more often a typo in the date than a quiet period."""
    week_start = project.week_start.value
    days = data_days(spec, report, warehouse, week_start)
    start = period_start(on, grain, week_start)
    end = next_period(start, grain) - dt.timedelta(days=1)
    if days is not None and days[0] <= end and start <= days[1]:
        return None
    have = f"its data runs from {days[0]} to {days[1]}" if days else "no day has data yet"
    return Diagnostic(
        "W260",
        f"report '{report.name}' has no data in the {grain.value} of {on}: {have}",
        None,
        "check --date, or run 'mfl seed' and 'mfl build' if newer exports have arrived",
        Severity.WARNING,
    )


def report_table(
    spec: ProjectSpec,
    project: Project,
    warehouse: Warehouse,
    report: Report,
    grain: Grain,
    on: dt.date | None = None,
) -> ReportTable:
    """A report at one grain, as of the period containing `on` (default: latest complete)."""
    if grain not in report.grains:
        raise MflError(
            "E261",
            f"report '{report.name}' has no grain '{grain.value}'",
            report.loc,
            f"its grains: {', '.join(g.value for g in report.grains)}",
        )
    week_start = project.week_start.value
    bounds = data_bounds(spec, report.metrics, warehouse)
    grace = project.complete_grace
    unit = Grain.DAY if grain.intraday else grain  # an interval report shows one day
    if on is None:
        period = latest_complete_start(bounds, grain, week_start, grace)
        if period is None and bounds:  # nothing complete yet: the latest period, marked
            period = period_start(min(b.last for b in bounds).date(), unit, week_start)
    else:
        period = period_start(on, unit, week_start)
    data_end = min((b.last for b in bounds), default=None)
    view = exp.select(exp.Star()).from_(table_ref("app", f"{report.name}_{grain.value}"))
    columns, rows = _fetch(warehouse, view)
    totals: tuple[tuple[object, ...], ...] = ()
    if report.by:
        total_view = table_ref("app", f"{report.name}_{grain.value}_total")
        _, totals = _fetch(warehouse, exp.select(exp.Star()).from_(total_view))
    infos = {
        m.name: MetricInfo.from_metric(m, project.locale.value)
        for m in spec.metrics
        if m.name in report.metrics
    }
    table = ReportTable.from_rows(
        report,
        infos,
        grain,
        columns,
        rows,
        period,
        dimension_labels=dimension_labels(spec, report),
        value_labels=value_labels(spec, report),
        totals=totals,
        locale=project.locale.value,
    )
    starts = {r[0] for r in (*table.rows, *table.totals) if isinstance(r[0], dt.date)}
    incomplete = frozenset(s for s in starts if not is_complete(s, grain, bounds, grace))
    in_progress = (
        period is not None
        and data_end is not None
        and elapsed_cut(period, unit, data_end) is not None
    )
    return replace(
        table,
        incomplete=incomplete,
        data_end=data_end,
        in_progress=in_progress,
    )


def value_labels(spec: ProjectSpec, report: Report) -> dict[str, dict[str, str]]:
    """The labels of a report's dimension values (`values:`), by dimension then code."""
    labels: dict[str, dict[str, str]] = {}
    models = [m.model for m in spec.metrics if isinstance(m, BaseMetric)]
    for dim in report.by:
        for model in models:
            found = resolve_dimension(spec, model, dim).found
            if found is not None:
                values = getattr(found.dimension, "values", ())
                if values:
                    labels[dim] = dict(values)
                break
    return labels


@dataclass(frozen=True, slots=True)
class WrittenReport:
    report: str
    paths: tuple[Path, ...]


def write_all_reports(
    spec: ProjectSpec,
    project: Project,
    warehouse: Warehouse,
    progress: Callable[[str], None] | None = None,
) -> list[WrittenReport]:
    """Every report at every grain into target/reports/: html, xlsx, md, csv and index.html."""
    out = project.path("target") / "reports"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    first_tables = []
    for report in spec.reports:  # the YAML's order: the dashboard opens on the first
        if progress:
            progress(f"rendering report {report.name}")
        tables = [report_table(spec, project, warehouse, report, grain) for grain in report.grains]
        paths = []
        for table in tables:
            stem = f"{report.name}_{table.grain.value}"
            for fmt, name in (
                ("html", html_filename(report.name, table.grain)),
                ("md", f"{stem}.md"),
                ("csv", f"{stem}.csv"),
            ):
                path = out / name
                content = render_report(table, fmt)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
                paths.append(path)
        workbook = out / f"{report.name}.xlsx"
        workbook.write_bytes(render_workbook(tables))
        paths.append(workbook)
        first_tables.extend(tables)
        written.append(WrittenReport(report.name, tuple(paths)))
    if first_tables:
        index = out / "index.html"
        index.write_text(render_dashboard(first_tables), encoding="utf-8")
        written.append(WrittenReport("dashboard", (index,)))
    return written
