"""Reports from the built warehouse: choose the period, fetch the rows, render, write files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.periods import latest_complete_period, next_period, period_start
from metricflow_lite.compile.plan import QueryRequest, plan_query
from metricflow_lite.compile.sqlgen import col, render_query, table_ref, to_sql
from metricflow_lite.errors import Diagnostic, MflError, Severity, did_you_mean
from metricflow_lite.jobs.files import write_file
from metricflow_lite.report import (
    MetricInfo,
    ReportTable,
    html_filename,
    render_dashboard,
    render_report,
    render_workbook,
)
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


def last_data_day(
    spec: ProjectSpec, report: Report, warehouse: Warehouse, week_start: str
) -> dt.date | None:
    """The last day on which any of the report's metrics has data."""
    days = data_days(spec, report, warehouse, week_start)
    return days[1] if days else None


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
    if on is None:
        last = last_data_day(spec, report, warehouse, week_start)
        period = latest_complete_period(last, grain, week_start) if last else None
    else:
        period = period_start(on, grain, week_start)
    view = exp.select(exp.Star()).from_(
        table_ref(names.APP, names.report_view(report.name, grain.value))
    )
    columns, rows = _fetch(warehouse, view)
    totals: tuple[tuple[object, ...], ...] = ()
    if report.by:
        total_view = table_ref(names.APP, names.report_view(report.name, grain.value, total=True))
        _, totals = _fetch(warehouse, exp.select(exp.Star()).from_(total_view))
    infos = {m.name: MetricInfo.from_metric(m) for m in spec.metrics if m.name in report.metrics}
    return ReportTable.from_rows(
        report,
        infos,
        grain,
        columns,
        rows,
        period,
        dimension_labels=dimension_labels(spec, report),
        totals=totals,
    )


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
    for report in sorted(spec.reports, key=lambda r: r.name):
        if progress:
            progress(f"rendering report {report.name}")
        tables = [report_table(spec, project, warehouse, report, grain) for grain in report.grains]
        paths = []
        for table in tables:
            stem = names.report_view(report.name, table.grain.value)
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


@dataclass(frozen=True, slots=True)
class ReportOutput:
    """`mfl report`: the rendered report (or the file it went to) and a warning, if any."""

    content: str | bytes | None  # None when written to `path`
    path: Path | None
    warning: Diagnostic | None


def report(
    project: Project,
    target: str | None,
    name: str,
    grain: str | None,
    on: str | None,
    fmt: str,
    out: str | None,
    color: bool = False,
) -> ReportOutput:
    """`mfl report`: one report for one period, rendered; written to `out` (xlsx: always a file)."""
    from metricflow_lite.jobs.pipeline import parse_date, parse_grain
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect

    spec = load_spec(project)
    chosen = find_report(spec, name)
    grain_value = parse_grain(grain) if grain else chosen.grains[0]
    day = parse_date(on, "--date")
    with connect(project, target, read_only=True) as warehouse:
        table = report_table(spec, project, warehouse, chosen, grain_value, day)
        empty = outside_data(spec, project, warehouse, chosen, grain_value, day) if day else None
    content = render_report(table, fmt, color=color and out is None)
    if fmt == "xlsx" and out is None:
        stem = names.report_view(chosen.name, grain_value.value)
        out = str(project.path("target") / "reports" / f"{stem}.xlsx")
    if out is None:
        return ReportOutput(content, None, empty)
    path = Path(out)
    write_file(path, content)
    return ReportOutput(None, path, empty)
