"""Reports as self-contained HTML: one file per report and grain, and a dashboard of tabs.

Self-contained means viewable offline and in print: CSS and the few lines of tab JavaScript are
inline, charts are inline SVG drawn in Python (see charts.py), fonts come from the reader's system
(a stack that covers Chinese on Linux, Windows and macOS); no CDN, no web fonts, no requests.
Templates use autoescape and StrictUndefined; SVG is escaped where it is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import jinja2
from markupsafe import Markup

from metricflow_lite.compile.names import CHANGE, CHANGE_YEAR
from metricflow_lite.report import html_filename
from metricflow_lite.report.cells import (
    LEGEND,
    caption,
    display_columns,
    display_row,
    has_missed,
)
from metricflow_lite.report.charts import ChartPanel, draw_chart, kpi_trend, sparkline
from metricflow_lite.report.formatting import (
    GRAIN_LABELS,
    TargetFlag,
    change_tone,
    format_change,
    format_period,
    format_target,
    format_value,
)
from metricflow_lite.report.frame import Column, ColumnRole, Kpi, ReportTable, Row
from metricflow_lite.spec.model import ChartKind, Comparison


@dataclass(frozen=True, slots=True)
class ChangeLine:
    word: str  # 环比 / 同比
    text: str
    tone: str  # good / bad / neutral
    arrow: str
    prev: str  # the value compared with, e.g. `上期 5.0%`


@dataclass(frozen=True, slots=True)
class KpiCard:
    label: str
    name: str
    value: str
    flag: str  # met / missed / nodata / none: the card's colour
    flag_label: str
    target: str
    changes: tuple[ChangeLine, ...]
    spark: Markup
    note: str


@dataclass(frozen=True, slots=True)
class HeaderCell:
    label: str
    numeric: bool
    group_start: bool
    sub: str  # under a metric's grouped label: 本期 / 环比 / 同比; empty for key columns


@dataclass(frozen=True, slots=True)
class HeaderGroup:
    """A cell of the data table's first header row: a key column, or a metric over its columns."""

    label: str
    colspan: int
    rowspan: int
    numeric: bool


@dataclass(frozen=True, slots=True)
class BodyCell:
    text: str
    classes: str


@dataclass(frozen=True, slots=True)
class Definition:
    label: str
    name: str
    formula: str
    target: str
    description: str


@dataclass(frozen=True, slots=True)
class GrainLink:
    label: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    kind: str
    body: Markup  # the SVG; empty for a table chart
    note: str
    headers: tuple[HeaderCell, ...] = ()  # a table chart's columns
    rows: tuple[tuple[BodyCell, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """Everything a template shows of one report table."""

    key: str
    name: str
    label: str
    caption: str
    grain: str
    period: str
    description: str
    kpis: tuple[KpiCard, ...]
    charts: tuple[Panel, ...]
    headers: tuple[HeaderCell, ...]
    groups: tuple[HeaderGroup, ...]  # first header row; `headers` of metrics form the second
    rows: tuple[tuple[BodyCell, ...], ...]
    legend: str
    definitions: tuple[Definition, ...]
    links: tuple[GrainLink, ...]


def render_html(table: ReportTable) -> str:
    """One report at one grain as a self-contained HTML page."""
    page = build_page(table)
    return _environment().get_template("report.html.j2").render(page=page)


def render_dashboard(tables: Sequence[ReportTable]) -> str:
    """An index.html with one tab per report (its first table given), linking every grain."""
    by_report: dict[str, list[ReportTable]] = {}
    for table in tables:
        by_report.setdefault(table.name, []).append(table)
    pages = []
    for name, group in by_report.items():
        rendered = {t.grain for t in group}
        page = build_page(group[0])
        links = tuple(
            GrainLink(GRAIN_LABELS[g] + "报", html_filename(name, g), False)
            for g in (group[0].grains or tuple(t.grain for t in group))
            if g in rendered
        )
        pages.append(replace(page, links=links))
    template = _environment().get_template("dashboard.html.j2")
    return template.render(pages=tuple(pages))


def build_page(table: ReportTable) -> Page:
    """The template's view of a table: formatted KPIs, drawn charts, display rows."""
    focus = table.focus_rows()
    links = tuple(
        GrainLink(GRAIN_LABELS[g] + "报", html_filename(table.name, g), g is table.grain)
        for g in table.grains
    )
    return Page(
        key=table.name,
        name=table.name,
        label=table.label,
        caption=caption(table),
        grain=GRAIN_LABELS[table.grain],
        period="" if table.period is None else format_period(table.period, table.grain),
        description=table.description or "",
        kpis=tuple(_card(table, kpi) for kpi in table.kpis()),
        charts=tuple(
            _panel(table, p) for chart in table.chart_specs() for p in draw_chart(table, chart)
        ),
        headers=_headers(table),
        groups=_header_groups(table),
        rows=tuple(_body_row(table, row) for row in focus),
        legend=LEGEND if has_missed(table, focus) else "",
        definitions=tuple(
            Definition(
                info.title,
                info.name,
                info.formula,
                format_target(info.target, info.format),
                info.description or "",
            )
            for info in table.metrics
        ),
        links=links,
    )


_FLAG_CLASS = {
    TargetFlag.MET: "met",
    TargetFlag.MISSED: "missed",
    TargetFlag.NO_DATA: "nodata",
    TargetFlag.NO_TARGET: "none",
}
_ARROWS = {"up": "▲", "down": "▼", "flat": "■"}


def _card(table: ReportTable, kpi: Kpi) -> KpiCard:
    info = kpi.metric
    fmt = info.format
    changes = []
    columns = {c.name for c in table.columns}
    comparisons = (
        ("环比", "上期", CHANGE, kpi.change, kpi.prev),
        ("同比", "去年同期", CHANGE_YEAR, kpi.change_year, kpi.prev_year),
    )
    for word, prev_word, suffix, change, prev in comparisons:
        if not kpi.has_total or info.name + suffix not in columns:
            continue
        direction = "flat" if not change else ("up" if change > 0 else "down")
        changes.append(
            ChangeLine(
                word,
                format_change(change, fmt, info.change_kind),
                change_tone(change, info.target),
                _ARROWS[direction] if change is not None else "",
                f"{prev_word} {format_value(prev, fmt)}",
            )
        )
    if kpi.has_total:
        value, note = format_value(kpi.value, fmt), ""
    else:
        scored = kpi.met + kpi.missed
        by = table.dimension_title()
        value = f"{kpi.met} / {scored}" if scored else "-"
        note = (
            f"达标{by}数 (by {', '.join(table.dimensions)})"
            if info.target
            else f"按{by}细分, 见明细"
        )
        if info.target is None:
            value = "-"
    return KpiCard(
        label=info.title,
        name=info.name,
        value=value,
        flag=_FLAG_CLASS[kpi.flag],
        flag_label=kpi.flag.label,
        target=format_target(info.target, fmt),
        changes=tuple(changes),
        spark=Markup(
            sparkline(kpi_trend(table, info), kpi.flag)
        ),  # charts.py escapes what it draws
        note=note,
    )


def _panel(table: ReportTable, panel: ChartPanel) -> Panel:
    body = Markup(panel.svg)  # charts.py escapes every text it draws
    if panel.kind is not ChartKind.TABLE:
        return Panel(panel.title, panel.kind.value, body, panel.note)
    # A table chart: the period, dimensions and the chosen metrics' value and change columns.
    keep = [
        i
        for i, c in enumerate(display_columns(table))
        if c.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION)
        or (c.metric in panel.metrics and c.role in (ColumnRole.METRIC, ColumnRole.CHANGE))
    ]
    headers = _headers(table)
    rows = [_body_row(table, row) for row in table.focus_rows()]
    return Panel(
        panel.title,
        panel.kind.value,
        body,
        panel.note,
        headers=tuple(headers[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in rows),
    )


_SUBHEADS = {
    ColumnRole.METRIC: "本期",
    ColumnRole.PREV: "上期",
    ColumnRole.CHANGE: "环比",
}


def _header_groups(table: ReportTable) -> tuple[HeaderGroup, ...]:
    """Key columns span both header rows; a metric's label spans its value and changes."""
    groups: list[HeaderGroup] = []
    metric: str | None = None
    for column in display_columns(table):
        if column.metric is None:
            groups.append(HeaderGroup(column.label, 1, 2, False))
        elif column.metric == metric:
            last = groups[-1]
            groups[-1] = HeaderGroup(last.label, last.colspan + 1, 1, True)
        else:
            groups.append(HeaderGroup(table.metric(column.metric).title, 1, 1, True))
        metric = column.metric
    return tuple(groups)


def _sub_header(column: Column) -> str:
    """A metric column's word under the metric's label: 本期, 环比, 同比 ..."""
    if column.comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        return "同比" if column.role is ColumnRole.CHANGE else "去年同期"
    return _SUBHEADS.get(column.role, column.label)


def _headers(table: ReportTable) -> tuple[HeaderCell, ...]:
    return tuple(
        HeaderCell(
            c.label,
            c.role not in (ColumnRole.PERIOD, ColumnRole.DIMENSION),
            c.role is ColumnRole.METRIC and i > 0,
            "" if c.metric is None else _sub_header(c),
        )
        for i, c in enumerate(display_columns(table))
    )


def _body_row(table: ReportTable, row: Row) -> tuple[BodyCell, ...]:
    cells = []
    columns = display_columns(table)
    for column, cell in zip(columns, display_row(table, row, mark=True), strict=True):
        classes = ["num"] if cell.numeric else []
        if column.role is ColumnRole.METRIC:
            classes.append("group")
            if cell.flag is TargetFlag.MISSED:
                classes.append("missed")
            elif cell.flag is TargetFlag.MET:
                classes.append("met")
        if column.role is ColumnRole.CHANGE:
            tone = change_tone(_change_value(table, row, column.name), column.target)
            classes.append(f"change {tone}")
        if column.role in (ColumnRole.PREV, ColumnRole.CHANGE):
            classes.append("secondary")
        cells.append(BodyCell(cell.text, " ".join(classes)))
    return tuple(cells)


def _change_value(table: ReportTable, row: Row, name: str) -> float | None:
    value = row[table.column_index(name)]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("metricflow_lite.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
