"""Reports from the built warehouse: choose the period, fetch the rows, render, write files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.empty_periods import NotKnown, empty_period_value
from metricflow_lite.compile.names import COMPARISON_SUFFIXES
from metricflow_lite.compile.periods import (
    DataBounds,
    as_datetime,
    elapsed_cut,
    is_complete,
    latest_complete_start,
    next_period,
    period_end,
    period_start,
)
from metricflow_lite.compile.plan import (
    YEAR_BACK,
    QueryRequest,
    cut_metrics,
    model_times,
    plan_query,
)
from metricflow_lite.compile.sqlgen import col, render_query, table_ref, to_sql
from metricflow_lite.errors import Diagnostic, MflError, Severity, did_you_mean
from metricflow_lite.jobs.files import write_file
from metricflow_lite.periods import Completeness, model_bounds, query_completeness
from metricflow_lite.report import (
    MetricInfo,
    ReportTable,
    html_filename,
    render_dashboard,
    render_report,
    render_workbook,
)
from metricflow_lite.report.formatting import Cell, as_number
from metricflow_lite.report.frame import Row
from metricflow_lite.spec.joins import resolve_dimension
from metricflow_lite.spec.model import BaseMetric, Change, Grain, Metric, ProjectSpec, Report
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
            next(
                (
                    f"'{name}' is the label of '{r.name}': did you mean '{r.name}'?"
                    for r in spec.reports
                    if r.label and r.label.strip() == name.strip()
                ),
                None,
            )
            or did_you_mean(name, [r.name for r in spec.reports])
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


def bounds_queries(
    spec: ProjectSpec, metrics: tuple[str, ...]
) -> tuple[tuple[str, exp.Query], ...]:
    """The query of each model's first and last time value, for the models the metrics read."""
    queries = []
    for model, first, last in model_times(spec, metrics):
        query = exp.select(
            exp.Min(this=exp.column(exp.to_identifier(first))),
            exp.Max(this=exp.column(exp.to_identifier(last))),
        ).from_(table_ref("src", model))
        queries.append((model, query))
    return tuple(queries)


def data_bounds(
    spec: ProjectSpec, metrics: tuple[str, ...], warehouse: Warehouse
) -> tuple[DataBounds, ...]:
    """Each model's first and last time value, for the models the metrics read (DESIGN-2 §2).

    A model without rows has no bounds, so no period it is read for counts as complete.
    """
    bounds = []
    for model, query in bounds_queries(spec, metrics):
        _, rows = _fetch(warehouse, query)
        found = model_bounds(model, *rows[0]) if rows else None
        if found is not None:
            bounds.append(found)
    return tuple(bounds)


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
    view = exp.select(exp.Star()).from_(
        table_ref(names.APP, names.report_view(report.name, grain.value))
    )
    columns, rows = _fetch(warehouse, view)
    totals: tuple[tuple[object, ...], ...] = ()
    if report.by:
        total_view = table_ref(names.APP, names.report_view(report.name, grain.value, total=True))
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
    if names.IS_COMPLETE in columns:
        incomplete = table.incomplete  # the view says (compile/plan.py FlagComplete)
    else:  # a warehouse built before the views carried is_complete
        starts = {r[0] for r in (*table.rows, *table.totals) if isinstance(r[0], dt.date)}
        incomplete = frozenset(s for s in starts if not is_complete(s, grain, bounds, grace))
    # a period the data ends inside is in progress unless complete_grace makes it whole (a
    # center closed at 21:00 with 3h of grace): a whole period is compared whole, not cut
    in_progress = (
        period is not None
        and data_end is not None
        and elapsed_cut(period, unit, data_end) is not None
        and not is_complete(period, unit, bounds, grace)
    )
    table = replace(table, incomplete=incomplete, data_end=data_end, in_progress=in_progress)
    if in_progress and period is not None and not grain.intraday:
        table = like_for_like(spec, project, warehouse, report, table, period, bounds)
    return table


def cut_ranges(
    start: dt.date, grain: Grain, last_full_day: dt.date, week_start: str
) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """For a period in progress, its complete days and the same number of days from the start
    of the previous period and of the same period a year earlier (each kept inside its period):
    1..13 Jan against 1..13 Dec and 1..13 Jan of the year before."""
    days = (last_full_day - start).days
    prev = period_start(start - dt.timedelta(days=1), grain, week_start)
    year = year_earlier_start(start, grain, week_start)

    def cut(first: dt.date) -> tuple[dt.date, dt.date]:
        end = next_period(first, grain) - dt.timedelta(days=1)
        return first, min(first + dt.timedelta(days=days), end)

    return (start, last_full_day), cut(prev), cut(year)


def year_earlier_start(start: dt.date, grain: Grain, week_start: str) -> dt.date:
    """The start of the same period last year, as the views' same_period_last_year takes it
    (YEAR_BACK): the same date for days and months, 52 weeks back for a week, so that a week
    in progress is compared with the week its complete weeks are compared with."""
    amount, unit = YEAR_BACK[grain]
    if unit == "DAY":
        return start - dt.timedelta(days=int(amount))
    return period_start(_year_earlier(start), grain, week_start)


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 Feb
        return day.replace(year=day.year - 1, day=28)


def like_for_like(
    spec: ProjectSpec,
    project: Project,
    warehouse: Warehouse,
    report: Report,
    table: ReportTable,
    period: dt.date,
    bounds: tuple[DataBounds, ...],
) -> ReportTable:
    """The period in progress compared like for like (DESIGN-2 §2): its complete days, and the
    previous period and last year cut to as many days, each computed by the warehouse over
    exactly those days; changes and target flags follow from the cut values. Before its first
    whole day (a day in progress, the first morning of a week), the cut is the time of day:
    07:52 today against 00:00-07:52 of the day before (cut_at_time_of_day)."""
    week_start = project.week_start.value
    grace = project.complete_grace
    last_full = latest_complete_start(bounds, Grain.DAY, week_start, grace)
    if last_full is None or last_full < period:
        return cut_at_time_of_day(spec, warehouse, report, table, period, bounds, week_start)
    ranges = cut_ranges(period, table.grain, last_full, week_start)
    data_start = max(b.first for b in bounds).date()

    def values(by: tuple[str, ...], first: dt.date, last: dt.date) -> Keyed | None:
        if first < data_start:  # the data does not cover these days: nothing to compare with
            return None
        request = QueryRequest(
            metrics=report.metrics, by=by, start=first, end=last, where=report.filter
        )
        return _keyed_values(spec, warehouse, request, week_start)

    def cut_values(by: tuple[str, ...]) -> CutValues:
        (cur, prev, year) = ranges
        return values(by, *cur), values(by, *prev), values(by, *year)

    table = _recut(spec, table, report, period, cut_values)
    return replace(table, cut_through=last_full)


Keyed = dict[tuple[object, ...], dict[str, object]]
# the current period's cut values, the previous period's and last year's; None: no data there
CutValues = tuple[Keyed | None, Keyed | None, Keyed | None]


def _keyed_values(
    spec: ProjectSpec, warehouse: Warehouse, request: QueryRequest, week_start: str
) -> Keyed:
    """The request's rows by their dimension values."""
    columns, rows = _fetch(warehouse, render_query(plan_query(spec, request, week_start)))
    keyed = {}
    for row in rows:
        cells = dict(zip(columns, row, strict=True))
        keyed[tuple(cells[d] for d in request.by)] = cells
    return keyed


def cut_at_time_of_day(
    spec: ProjectSpec,
    warehouse: Warehouse,
    report: Report,
    table: ReportTable,
    period: dt.date,
    bounds: tuple[DataBounds, ...],
    week_start: str,
) -> ReportTable:
    """A period in progress without one whole day, against the previous period and last year
    cut at the same time since their start: a morning through 07:52 against 00:00-07:52 of
    the day before, never against the whole day (a partial morning read as a 98 % drop).

    Metrics counted at their rows' own time (events, `active`, `snapshot`) are cut at that
    instant; the seconds of spans, windows over days and period_seconds() do not stop inside
    a day, so their comparisons are left empty rather than compared with whole days."""
    data_end = min(b.last for b in bounds)
    data_start = max(b.first for b in bounds)
    # the rows at data_end itself belong to the elapsed part: the cut is just after it
    elapsed = data_end - as_datetime(period) + dt.timedelta(microseconds=1)
    cut = cut_metrics(spec, report.metrics)
    prev = period_start(period - dt.timedelta(days=1), table.grain, week_start)
    year = year_earlier_start(period, table.grain, week_start)

    def values(by: tuple[str, ...], first: dt.date) -> Keyed | None:
        if not cut:  # nothing can be cut: no comparison, rather than one with a whole period
            return None
        if first < data_start.date():
            return None  # the data does not reach back to it: nothing to compare with
        until = min(as_datetime(first) + elapsed, period_end(first, table.grain))
        last_day = (until - dt.timedelta(microseconds=1)).date()
        request = QueryRequest(
            metrics=cut, by=by, start=first, end=last_day, where=report.filter, until=until
        )
        return _keyed_values(spec, warehouse, request, week_start)

    def cut_values(by: tuple[str, ...]) -> CutValues:
        return values(by, period), values(by, prev), values(by, year)

    table = _recut(
        spec, table, report, period, cut_values, whole=frozenset(report.metrics) - set(cut)
    )
    return replace(table, in_progress=True, cut_through=data_end if cut else None)


def _recut(
    spec: ProjectSpec,
    table: ReportTable,
    report: Report,
    period: dt.date,
    cut_values: Callable[[tuple[str, ...]], CutValues],
    whole: frozenset[str] = frozenset(),
) -> ReportTable:
    """The focus period's rows and totals with the cut values (current, previous, a year
    earlier) and the changes and target flags that follow; a metric in `whole` keeps its
    value and loses its comparisons (it could not be cut)."""

    def recut(rows: tuple[Row, ...], names: list[str], by: tuple[str, ...]) -> tuple[Row, ...]:
        cur, prev, year = cut_values(by)
        out = []
        for row in rows:
            if row[0] != period:
                out.append(row)
                continue
            key = tuple(row[1 : 1 + len(by)])
            cells: dict[str, Cell] = dict(zip(names, row, strict=True))
            for info in table.metrics:
                if info.name not in whole:
                    cells[info.name] = _cut_value(cur, key, info.name, by_name)
                cells[info.name + "_prev"] = _cut_value(prev, key, info.name, by_name)
                cells[info.name + "_prev_year"] = _cut_value(year, key, info.name, by_name)
            out.append(tuple(cells.get(n) for n in names))
        return tuple(out)

    by_name = {m.name: m for m in spec.metrics}
    names = [c.name for c in table.columns]
    total_names = [c.name for c in table.total_columns()]
    rows = recut(table.rows, names, report.by)
    totals = recut(table.totals, total_names, ()) if table.totals else ()
    rows = tuple(_reflag(table, r, names) for r in rows)
    totals = tuple(_reflag(table, r, total_names) for r in totals)
    return replace(table, rows=rows, totals=totals)


def _cut_value(
    keyed: Keyed | None, key: tuple[object, ...], metric: str, metrics: Mapping[str, Metric]
) -> int | float | None:
    """A metric's cut value for one member. A member without rows in the cut (a queue that
    opens at 08:00, cut at 07:52) has the value of a period without rows, as the views'
    spine rows do (0 calls, no rate); no data at all, no value."""
    if keyed is None:
        return None
    if key not in keyed:
        try:
            value = empty_period_value(metric, metrics)
        except NotKnown:
            return None
        return int(value) if value is not None and value.is_integer() else value
    return _number(keyed[key].get(metric))


def _number(value: object) -> int | float | None:
    """A cut value as the views give it: a count stays a whole number (3, not 3.0, in csv)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return float(value) if isinstance(value, float | Decimal) else None


def _cut_change(current: float | None, previous: float | None, kind: Change) -> float | None:
    """A cut comparison's change, as the views' Compare node writes it: points as cur - prev,
    else (cur - prev) / |prev|; NULL when either is NULL or (relative) prev is 0."""
    if current is None or previous is None:
        return None
    if kind is Change.POINTS:
        return current - previous
    return None if previous == 0 else (current - previous) / abs(previous)


def _reflag(table: ReportTable, row: Row, names: list[str]) -> Row:
    """A cut row's changes and target flags, from its cut values (as the views define them)."""
    if row[0] != table.period:
        return row
    cells = dict(zip(names, row, strict=True))
    for info in table.metrics:
        value = as_number(cells.get(info.name))
        for prev, change in COMPARISON_SUFFIXES.values():
            if info.name + change in cells:
                before = cells.get(info.name + prev)
                cells[info.name + change] = _cut_change(value, as_number(before), info.change_kind)
        if info.name + "_target_met" in cells:
            cells[info.name + "_target_met"] = (
                None if info.target is None else info.target.is_met(value)
            )
    return tuple(cells.get(n) for n in names)


def value_labels(spec: ProjectSpec, report: Report) -> dict[str, dict[str, str]]:
    """The labels of a report's dimension values (`values:`), by dimension then code."""
    return dimension_value_labels(spec, report.by)


def dimension_value_labels(spec: ProjectSpec, by: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The labels `values:` gives the codes of each dimension, by dimension then code."""
    labels: dict[str, dict[str, str]] = {}
    models = [m.model for m in spec.metrics if isinstance(m, BaseMetric)]
    for dim in by:
        for model in models:
            found = resolve_dimension(spec, model, dim).found
            if found is not None:
                values = getattr(found.dimension, "values", ())
                if values:
                    labels[dim] = dict(values)
                break
    return labels


def row_completeness(
    spec: ProjectSpec,
    project: Project,
    warehouse: Warehouse,
    request: QueryRequest,
    columns: tuple[str, ...],
    rows: tuple[tuple[object, ...], ...],
) -> Completeness | None:
    """Whether each query row's period is complete (DESIGN-2 §2). Without a grain the period
    is the query's range (--start..--end, an open side the data's); None when no model the
    query reads has a time column, so that nothing can be incomplete."""
    grain = request.grain
    if grain is not None and grain.value not in columns:
        return None
    if grain is None and not model_times(spec, request.metrics):
        return None
    bounds = data_bounds(spec, request.metrics, warehouse)
    span = (request.start, request.end) if grain is None else None
    return query_completeness(columns, rows, grain, bounds, project.complete_grace, span)


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
    notes: tuple[str, ...] = ()  # for stderr: the report changed since the last build


def report(
    project: Project,
    target: str | None,
    name: str,
    grain: str | None,
    on: str | None,
    fmt: str,
    out: str | None,
    color: bool = False,
    width: int | None = None,
) -> ReportOutput:
    """`mfl report`: one report for one period, rendered; written to `out` (xlsx: always a file).

    `width`: the terminal's, which a table rendering fits (ignored when writing to a file)."""
    from metricflow_lite.jobs.pipeline import (
        built_definitions,
        changed_since_build,
        parse_date,
        parse_grain,
    )
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect

    spec = load_spec(project)
    chosen = find_report(spec, name)
    grain_value = parse_grain(grain) if grain else chosen.grains[0]
    day = parse_date(on, "--date")
    with connect(project, target, read_only=True) as warehouse:
        table = report_table(spec, project, warehouse, chosen, grain_value, day)
        empty = outside_data(spec, project, warehouse, chosen, grain_value, day) if day else None
        changed = changed_since_build(project, spec, warehouse, built_definitions(warehouse))
    views = {
        f"{names.APP}.{names.report_view(chosen.name, grain_value.value, total)}"
        for total in (False, True)
    }
    notes = (
        (
            f"note: report {chosen.name} or its metrics changed since the last build: its"
            " values are the last build's definitions; run 'mfl build' to bring it up to date",
        )
        if views & changed
        else ()
    )
    content = render_report(
        table, fmt, color=color and out is None, width=width if out is None else None
    )
    if fmt == "xlsx" and out is None:
        stem = names.report_view(chosen.name, grain_value.value)
        out = str(project.path("target") / "reports" / f"{stem}.xlsx")
    if out is None:
        return ReportOutput(content, None, empty, notes)
    path = Path(out)
    write_file(path, content)
    return ReportOutput(None, path, empty, notes)
