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

from metricflow_lite.report import html_filename
from metricflow_lite.report.cells import (
    caption,
    display_columns,
    display_row,
    flag_word,
    format_end,
    has_missed,
    legend,
    period_label,
    period_notes,
    shown_rows,
)
from metricflow_lite.report.charts import ChartPanel, draw_chart, kpi_trend, sparkline
from metricflow_lite.report.formatting import (
    TargetFlag,
    change_direction,
    change_tone,
    display_width,
    format_change,
    format_target,
    format_value,
)
from metricflow_lite.report.frame import Column, ColumnRole, Kpi, ReportTable, Row, suffixes
from metricflow_lite.report.words import grain_word, word
from metricflow_lite.spec.model import ChartKind, Grain


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
class DataTable:
    """One table of the details: key columns and as many metrics as fit the page's width."""

    headers: tuple[HeaderCell, ...]
    groups: tuple[HeaderGroup, ...]
    rows: tuple[tuple[BodyCell, ...], ...]


# A table fits a 1366-pixel screen (less the page's margins and a scroll bar) and, at the print
# size, A4 landscape; widths are estimated from the text: 7 px per narrow character, CJK two.
TABLE_WIDTH_PX = 1240
CHAR_PX = 7
CELL_PADDING_PX = 18


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
    tables: tuple[DataTable, ...] = ()  # the details, split so that each fits the width
    notes: tuple[str, ...] = ()  # partial period, cut comparisons, hidden comparisons
    data_end: str = ""  # 数据截至 <last data time>
    words: tuple[tuple[str, str], ...] = ()  # the template's words in the page's locale
    lang: str = "zh-CN"

    def w(self, key: str) -> str:
        """A template word in the page's locale."""
        return dict(self.words)[key]


# The words the templates print, looked up per locale (report/words.py holds them).
TEMPLATE_WORDS = (
    "dashboard",
    "reports_count",
    "kpis",
    "charts",
    "details",
    "definitions",
    "target",
    "no_rows",
    "current",
    "data_end_label",
    "wall",
)


def render_html(table: ReportTable) -> str:
    """One report at one grain as a self-contained HTML page."""
    page = build_page(table)
    return _environment().get_template("report.html.j2").render(page=page)


def render_dashboard(tables: Sequence[ReportTable]) -> str:
    """An index.html with one tab per report in the order given (the YAML's), opening on the
    first, linking every grain; `index.html?wall=1` rotates the reports full-screen."""
    by_report: dict[str, list[ReportTable]] = {}
    for table in tables:
        by_report.setdefault(table.name, []).append(table)
    pages = []
    for name, group in by_report.items():
        rendered = {t.grain for t in group}
        page = build_page(group[0])
        links = tuple(
            GrainLink(_grain_link(group[0].locale, g), html_filename(name, g), False)
            for g in (group[0].grains or tuple(t.grain for t in group))
            if g in rendered
        )
        pages.append(replace(page, links=links))
    template = _environment().get_template("dashboard.html.j2")
    ends = [t.data_end for t in tables if t.data_end is not None]
    locale = tables[0].locale if tables else "zh-CN"
    data_end = word(locale, "data_end", end=format_end(max(ends))) if ends else ""
    words = _words(locale)
    return template.render(
        pages=tuple(pages), data_end=data_end, w=dict(words), lang=locale, count=len(pages)
    )


def _grain_link(locale: str, grain: Grain) -> str:
    return word(locale, "grain_report", grain=grain_word(locale, grain))


def _words(locale: str) -> tuple[tuple[str, str], ...]:
    return tuple((key, word(locale, key)) for key in TEMPLATE_WORDS)


def build_page(table: ReportTable) -> Page:
    """The template's view of a table: formatted KPIs, drawn charts, display rows."""
    focus = table.focus_rows()
    links = tuple(
        GrainLink(_grain_link(table.locale, g), html_filename(table.name, g), g is table.grain)
        for g in table.grains
    )
    return Page(
        key=table.name,
        name=table.name,
        label=table.label,
        caption=caption(table),
        grain=_grain_link(table.locale, table.grain),
        period="" if table.period is None else period_label(table),
        description=table.description or "",
        kpis=tuple(_card(table, kpi) for kpi in table.kpis()),
        charts=tuple(
            _panel(table, p) for chart in table.chart_specs() for p in draw_chart(table, chart)
        ),
        headers=_headers(table),
        groups=_header_groups(table),
        rows=tuple(_body_row(table, row, total) for row, total in shown_rows(table)),
        legend=legend(table) if has_missed(table, focus) else "",
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
        tables=_data_tables(table),
        notes=tuple(period_notes(table)),
        data_end=""
        if table.data_end is None
        else word(table.locale, "data_end", end=format_end(table.data_end)),
        words=_words(table.locale),
        lang=table.locale,
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
    comparisons = []
    for comparison in table.comparisons():
        prev_word, change_word = table.comparison_words(comparison)
        prev, change = kpi.compared(comparison)
        comparisons.append((change_word, prev_word, suffixes(comparison)[1], change, prev))
    hidden = {c.name for c in table.columns} - {c.name for c in display_columns(table)}
    for change_word, prev_word, suffix, change, prev in comparisons:
        if not kpi.has_total or info.name + suffix not in columns or info.name + suffix in hidden:
            continue
        direction = change_direction(change)
        changes.append(
            ChangeLine(
                change_word,
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
        note = word(table.locale, "met_by" if info.target else "by_see_details", by=by)
        if info.target is None:
            value = "-"
    return KpiCard(
        label=info.title,
        name=info.name,
        value=value,
        flag=_FLAG_CLASS[kpi.flag],
        flag_label=flag_word(table, kpi.flag),
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
    # It is a summary beside the details, so it shows the first comparison only: with two
    # (yesterday and last week) an intraday panel is wider than A4 landscape, and the details
    # table below has both.
    columns = display_columns(table)
    first = next((c.comparison for c in columns if c.role is ColumnRole.CHANGE), None)
    keep = [
        i
        for i, c in enumerate(columns)
        if c.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION)
        or (
            c.metric in panel.metrics
            and (
                c.role is ColumnRole.METRIC
                or (c.role is ColumnRole.CHANGE and c.comparison == first)
            )
        )
    ]
    headers = _headers(table)
    rows = [_body_row(table, row, total) for row, total in shown_rows(table)]
    return Panel(
        panel.title,
        panel.kind.value,
        body,
        panel.note,
        headers=tuple(headers[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in rows),
    )


def _data_tables(table: ReportTable) -> tuple[DataTable, ...]:
    """The details as tables that each fit the width: the key columns repeated, then as many
    whole metric groups (value and changes) as fit; never a sideways scroll."""
    columns = display_columns(table)
    headers = _headers(table)
    rows = [_body_row(table, row, total) for row, total in shown_rows(table)]

    def width(i: int) -> int:
        texts = [columns[i].label if columns[i].metric is None else headers[i].sub]
        texts += [row[i].text for row in rows]
        return max(display_width(t) for t in texts) * CHAR_PX + CELL_PADDING_PX

    keys = [i for i, c in enumerate(columns) if c.metric is None]
    groups: list[list[int]] = []
    for i, column in enumerate(columns):
        if column.metric is None:
            continue
        if groups and columns[groups[-1][0]].metric == column.metric:
            groups[-1].append(i)
        else:
            groups.append([i])
    key_width = sum(width(i) for i in keys)
    chunks: list[list[int]] = []
    used = 0
    for group in groups:
        need = sum(width(i) for i in group)
        if chunks and key_width + used + need <= TABLE_WIDTH_PX:
            chunks[-1] += group
            used += need
        else:
            chunks.append(list(group))
            used = need
    tables = []
    for chunk in chunks or [[]]:
        keep = keys + chunk
        tables.append(
            DataTable(
                headers=tuple(headers[i] for i in keep),
                groups=_header_groups(table, [columns[i] for i in keep]),
                rows=tuple(tuple(row[i] for i in keep) for row in rows),
            )
        )
    return tuple(tables)


def _header_groups(
    table: ReportTable, columns: Sequence[Column] | None = None
) -> tuple[HeaderGroup, ...]:
    """Key columns span both header rows; a metric's label spans its value and changes."""
    groups: list[HeaderGroup] = []
    metric: str | None = None
    for column in display_columns(table) if columns is None else columns:
        if column.metric is None:
            groups.append(HeaderGroup(column.label, 1, 2, False))
        elif column.metric == metric:
            last = groups[-1]
            groups[-1] = HeaderGroup(last.label, last.colspan + 1, 1, True)
        else:
            groups.append(HeaderGroup(table.metric(column.metric).title, 1, 1, True))
        metric = column.metric
    return tuple(groups)


def _sub_header(column: Column, table: ReportTable) -> str:
    """A metric column's word under the metric's label: 本期, 环比, 同比, 较昨日 ..."""
    words = None if column.comparison is None else table.comparison_words(column.comparison)
    match column.role:
        case ColumnRole.METRIC:
            return dict(_words(table.locale))["current"]
        case ColumnRole.PREV if words is not None:
            return words[0]
        case ColumnRole.CHANGE if words is not None:
            return words[1]
        case _:
            return column.label


def _headers(table: ReportTable) -> tuple[HeaderCell, ...]:
    return tuple(
        HeaderCell(
            c.label,
            c.role not in (ColumnRole.PERIOD, ColumnRole.DIMENSION),
            c.role is ColumnRole.METRIC and i > 0,
            "" if c.metric is None else _sub_header(c, table),
        )
        for i, c in enumerate(display_columns(table))
    )


def _body_row(table: ReportTable, row: Row, total: bool = False) -> tuple[BodyCell, ...]:
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
        if total:
            classes.append("total")
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
