"""Charts as inline SVG, drawn in Python.

No JavaScript chart library: the HTML files stay small (a few tens of kB), open offline, need no
CDN, and print exactly as shown on screen; every mark is a plain <path>, <rect> or <circle>.
Text is escaped here, so callers may mark the returned SVG as safe markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from metricflow_lite.report.formatting import (
    Cell,
    TargetFlag,
    as_number,
    assert_never,
    display_width,
    format_cell,
    format_duration,
    format_period,
    format_target,
    format_value,
)
from metricflow_lite.report.frame import MetricInfo, ReportTable, Row
from metricflow_lite.report.words import DEFAULT_LOCALE, word
from metricflow_lite.spec.model import Chart, ChartKind, Format, Grain, Target

PALETTE = (
    "#2f6fde",
    "#f08c2e",
    "#2aa876",
    "#8e5bd9",
    "#e0497a",
    "#1fa2b8",
    "#a0a43a",
    "#6b7a90",
)
RED = "#d64545"
GREEN = "#2e9d5b"
GREY = "#9aa3af"
INK = "#1f2a44"
MUTED = "#6b7280"
GRID = "#e5e7eb"
MAX_SERIES = 6
MAX_BARS = 15
MAX_SLICES = 7
WAN_FROM = 100_000  # axes count in 万 (10,000s) from 10万 on: 12,000 reads better than 1.2万


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: a name and one value per category (None: no data)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One bar or slice: its label, value and target flag."""

    label: str
    value: float
    flag: TargetFlag = TargetFlag.NO_TARGET


@dataclass(frozen=True, slots=True)
class ChartPanel:
    """A drawn chart for a page: title, kind, the SVG (or table HTML) and a note."""

    title: str
    kind: ChartKind
    svg: str
    note: str = ""
    metrics: tuple[str, ...] = ()  # the metrics of a table chart


def draw_chart(table: ReportTable, chart: Chart) -> tuple[ChartPanel, ...]:
    """The panels of one chart of the report spec (a line chart draws one panel per format)."""
    infos = [table.metric(m) for m in chart.metrics if m in {i.name for i in table.metrics}]
    if not infos:
        return ()
    match chart.kind:
        case ChartKind.LINE:
            return _line_panels(table, chart, infos)
        case ChartKind.BAR:
            return _item_panels(table, chart, infos)
        case ChartKind.PIE:
            return _item_panels(table, chart, infos[:1])
        case ChartKind.TABLE:
            # Drawn by the page template from the same cells as the data table.
            return (
                ChartPanel(
                    _title(chart, infos), chart.kind, "", metrics=tuple(i.name for i in infos)
                ),
            )
        case _:
            assert_never(chart.kind)


def _title(chart: Chart, infos: Sequence[MetricInfo], suffix: str = "") -> str:
    return chart.title or " / ".join(i.title for i in infos) + suffix


def _line_panels(
    table: ReportTable, chart: Chart, infos: Sequence[MetricInfo]
) -> tuple[ChartPanel, ...]:
    """Trends: per metric from one-row-per-period data, else per dimension member."""
    panels = []
    trend = table.trend_rows()
    if trend:
        names = [c.name for c in table.total_columns()] if table.totals else None
        names = names or [c.name for c in table.columns]
        periods = tuple(r[0] for r in trend)
        labels = _period_labels(table, periods)
        for fmt in dict.fromkeys(i.format for i in infos):
            group = [i for i in infos if i.format is fmt]
            series = tuple(
                Series(i.title, tuple(as_number(r[names.index(i.name)]) for r in trend))
                for i in group
            )
            target = group[0].target if len(group) == 1 else None
            svg = line_chart(series, labels, fmt, target, table.locale)
            panels.append(
                ChartPanel(_title(chart, group, " " + word(table.locale, "trend")), chart.kind, svg)
            )
        return tuple(panels)
    rows = table.recent(table.rows)
    periods = tuple(sorted({r[0] for r in rows if r[0] is not None}, key=str))
    labels = _period_labels(table, periods)
    names = [c.name for c in table.columns]
    dims = len(table.dimensions)
    for info in infos:
        members: dict[tuple[Cell, ...], dict[Cell, float | None]] = {}
        for row in rows:
            members.setdefault(row[1 : 1 + dims], {})[row[0]] = as_number(
                row[names.index(info.name)]
            )
        latest = sorted(
            members.items(), key=lambda kv: -(as_number(kv[1].get(table.period)) or 0.0)
        )
        series = tuple(
            Series(_member_label(table, key), tuple(values.get(p) for p in periods))
            for key, values in latest[:MAX_SERIES]
        )
        note = word(table.locale, "top", n=MAX_SERIES) if len(latest) > MAX_SERIES else ""
        svg = line_chart(series, labels, info.format, info.target, table.locale)
        by = table.dimension_title()
        panels.append(
            ChartPanel(
                _title(chart, [info], f" {word(table.locale, 'trend')} · {by}"),
                chart.kind,
                svg,
                note,
            )
        )
    return tuple(panels)


def _item_panels(
    table: ReportTable,
    chart: Chart,
    infos: Sequence[MetricInfo],
) -> tuple[ChartPanel, ...]:
    """Bars or a pie of a metric across the dimension members of the period in focus."""
    panels = []
    names = [c.name for c in table.columns]
    if table.dimensions:
        rows = table.focus_rows()
        labels = [_member_label(table, r[1 : 1 + len(table.dimensions)]) for r in rows]
        by = table.dimension_title(chart.by)
    else:
        rows = table.recent(table.rows)
        labels = [_short_period(table, r[0]) for r in rows]
        by = ""
    for info in infos:
        items = []
        for row, label in zip(rows, labels, strict=True):
            value = as_number(row[names.index(info.name)])
            if value is not None:
                items.append(Item(label, value, table.flag(row, info)))
        if chart.kind is ChartKind.PIE:
            svg = pie_chart(items, info.format, table.locale)
            share = word(table.locale, "share")
            suffix = f" {share} · {by}" if by else f" {share}"
        else:
            svg = bar_chart(items, info.format, info.target, table.locale)
            suffix = f" · {by}" if by else ""
        title = _title(chart, [info], suffix)
        if chart.title and len(infos) > 1:
            title = f"{chart.title} · {info.title}"  # one panel per metric: say which
        panels.append(ChartPanel(title, chart.kind, svg))
    return tuple(panels)


def _member_label(table: ReportTable, key: Sequence[Cell]) -> str:
    """A member as people know it: each dimension's value label (`values:`), else its code."""
    return " / ".join(
        table.value_label(d, v) or format_cell(v)
        for d, v in zip(table.dimensions, key, strict=False)
    )


def _period_labels(table: ReportTable, periods: Sequence[Cell]) -> tuple[str, ...]:
    """The x axis: each period short; intervals of one day by their time alone (`09:30`), as
    the table beside the chart shows them, not the date again at every tick."""
    labels = tuple(_short_period(table, p) for p in periods)
    if table.grain.intraday and len({label[:10] for label in labels}) == 1:
        return tuple(label[11:] or label for label in labels)
    return labels


def _short_period(table: ReportTable, period: Cell) -> str:
    """An axis label: the period without its year where the grain allows (`11-16`)."""
    text = format_period(period, table.grain)
    if table.grain in (Grain.DAY, Grain.WEEK):
        return text.split(" ~ ")[0][5:]
    return text


def axis_label(value: float, fmt: Format, wan: bool = False) -> str:
    """A tick label: like the value format but short; `wan`: counts in 万 (10,000s)."""
    match fmt:
        case Format.PERCENT:
            points = value * 100
            return f"{points:.0f}%" if abs(points - round(points)) < 1e-9 else f"{points:.1f}%"
        case Format.DURATION:
            return format_duration(value)
        case Format.CURRENCY:
            return "¥" + _compact(value, wan)
        case Format.INTEGER | Format.NUMBER:
            return _compact(value, wan)
        case _:
            assert_never(fmt)


def _compact(value: float, wan: bool) -> str:
    if wan and value:
        return f"{value / 10_000:,.2f}".rstrip("0").rstrip(".") + "万"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def axis_ticks(low: float, high: float, fmt: Format, count: int = 5) -> tuple[float, ...]:
    """Ticks for an axis: durations step in whole minutes once the range spans a few."""
    if fmt is Format.DURATION and high - low >= 180:
        return tuple(t * 60 for t in nice_ticks(low / 60, high / 60, count))
    return nice_ticks(low, high, count)


def nice_ticks(low: float, high: float, count: int = 5) -> tuple[float, ...]:
    """Round tick values covering [low, high] (1, 2, 2.5, 5 x 10^n steps)."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return tuple(ticks)


def _svg(width: int, height: int, body: Sequence[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" class="chart">'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _empty(width: int, height: int, locale: str = DEFAULT_LOCALE) -> str:
    body = [
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="6" '
        f'fill="#f9fafb" stroke="{GRID}"/>',
        _text(width / 2, height / 2 + 4, word(locale, "no_data"), "middle", "muted"),
    ]
    return _svg(width, height, body, "no data")


def _target_values(target: Target | None) -> tuple[float, ...]:
    if target is None:
        return ()
    return tuple(v for v in (target.min, target.max) if v is not None)


def line_chart(
    series: Sequence[Series],
    categories: Sequence[str],
    fmt: Format,
    target: Target | None,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """Lines over periods, a dashed red line at the target, a legend above."""
    width, height = 560, 260
    left, right, top, bottom = 64, 20, 40, 36
    values = [v for s in series for v in s.values if v is not None]
    if not values or not categories:
        return _empty(width, height, locale)
    targets = _target_values(target)
    low = min([*values, *targets])
    high = max([*values, *targets])
    # A trend zooms in on its range (service level 75-85 % is not a flat line at the top);
    # it keeps zero when the values come near it anyway.
    if low >= 0 and (low < 0.5 * high or high == low):
        low = 0.0
    else:
        pad = (high - low) * 0.1
        low = max(low - pad, 0.0) if low >= 0 else low - pad
        high += pad
    ticks = axis_ticks(low, high, fmt)
    y0, y1 = ticks[0], ticks[-1]
    wan = locale == "zh-CN" and max(abs(y0), abs(y1)) >= WAN_FROM  # 万 is Chinese
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(categories) == 1 else plot_w * i / (len(categories) - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0))

    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/>'
        )
        body.append(_text(left - 8, y(tick) + 4, axis_label(tick, fmt, wan), "end", "tick"))
    step = max(1, math.ceil(len(categories) / 8))
    for i, name in enumerate(categories):
        if i % step == 0 or i == len(categories) - 1:
            edge = len(categories) > 1 and i in (0, len(categories) - 1)
            anchor = ("start" if i == 0 else "end") if edge else "middle"
            body.append(_text(x(i), height - bottom + 18, name, anchor, "tick"))
    for goal in targets:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(goal):.1f}" y2="{y(goal):.1f}" '
            f'stroke="{RED}" stroke-dasharray="5 4" stroke-width="1.5"/>'
        )
    for n, line in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        path: list[str] = []
        for i, point in enumerate(line.values):
            if point is None:
                continue
            joined = i > 0 and line.values[i - 1] is not None
            path.append(f"{'L' if joined else 'M'}{x(i):.1f},{y(point):.1f}")
        body.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2.5" '
            f'stroke-linejoin="round" stroke-linecap="round"/>'
        )
        for i, point in enumerate(line.values):
            if point is None:
                continue
            tip = f"{line.name} {categories[i]}: {format_value(point, fmt)}"
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(point):.1f}" r="3.5" fill="#fff" '
                f'stroke="{color}" stroke-width="2"><title>{escape(tip)}</title></circle>'
            )
    legend_x = float(left)
    for n, line in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        body.append(
            f'<rect x="{legend_x:.1f}" y="12" width="12" height="4" rx="2" fill="{color}"/>'
        )
        body.append(_text(legend_x + 16, 18, line.name, "start", "legend"))
        legend_x += 28 + _text_width(line.name)
    if target is not None and targets:
        goal_text = word(locale, "target") + " " + format_target(target, fmt)
        body.append(
            f'<line x1="{legend_x:.1f}" x2="{legend_x + 14:.1f}" y1="14" y2="14" stroke="{RED}" '
            f'stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
        body.append(_text(legend_x + 18, 18, goal_text, "start", "target"))
    return _svg(width, height, body, " / ".join(s.name for s in series))


def bar_chart(
    items: Sequence[Item], fmt: Format, target: Target | None, locale: str = DEFAULT_LOCALE
) -> str:
    """Horizontal bars, largest first; red where the target is missed, a dashed target line."""
    shown = sorted(items, key=lambda item: -item.value)[:MAX_BARS]
    width = 560
    label_w = min(180, max((_text_width(i.label) for i in shown), default=40) + 12)
    left, right, top, row_h = label_w, 72, 24, 28
    height = top + row_h * max(len(shown), 1) + 28
    if not shown:
        return _empty(width, 120, locale)
    targets = _target_values(target)
    low = min(0.0, *(i.value for i in shown))
    high = max(0.0, *(i.value for i in shown), *targets)
    ticks = axis_ticks(low, high, fmt, 4)
    x0, x1 = ticks[0], ticks[-1]
    wan = locale == "zh-CN" and max(abs(x0), abs(x1)) >= WAN_FROM
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * (v - x0) / (x1 - x0)

    bottom = top + row_h * len(shown)
    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{GRID}"/>'
        )
        body.append(_text(x(tick), bottom + 16, axis_label(tick, fmt, wan), "middle", "tick"))
    for n, item in enumerate(shown):
        y = top + n * row_h
        color = RED if item.flag is TargetFlag.MISSED else PALETTE[0]
        start, end = sorted((x(0.0), x(item.value)))
        tip = f"{item.label}: {format_value(item.value, fmt)}"
        body.append(
            f'<rect x="{start:.1f}" y="{y + 5}" width="{max(end - start, 1):.1f}" '
            f'height="{row_h - 10}" rx="3" fill="{color}"><title>{escape(tip)}</title></rect>'
        )
        body.append(_text(left - 8, y + row_h / 2 + 4, _clip(item.label, label_w - 12), "end"))
        body.append(_text(end + 6, y + row_h / 2 + 4, format_value(item.value, fmt), cls="value"))
    for value in targets:
        body.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top - 6}" y2="{bottom + 2}" '
            f'stroke="{RED}" stroke-dasharray="5 4" stroke-width="1.5"/>'
        )
        goal = word(locale, "target") + " " + format_value(value, fmt)
        body.append(_text(x(value), top - 10, goal, "middle", "target"))
    return _svg(width, height, body, "bar chart")


def pie_chart(items: Sequence[Item], fmt: Format, locale: str = DEFAULT_LOCALE) -> str:
    """A donut of shares, largest first, the rest as 其他 (other); a legend with shares."""
    positive = sorted((i for i in items if i.value > 0), key=lambda i: -i.value)
    width, height = 560, 240
    if not positive:
        return _empty(width, height, locale)
    if len(positive) > MAX_SLICES:
        rest = sum(i.value for i in positive[MAX_SLICES - 1 :])
        positive = [*positive[: MAX_SLICES - 1], Item(word(locale, "other"), rest)]
    total = sum(i.value for i in positive)
    cx, cy, outer, inner = 120.0, 120.0, 100.0, 58.0
    body = []
    angle = -math.pi / 2
    for n, item in enumerate(positive):
        share = item.value / total
        color = PALETTE[n % len(PALETTE)]
        tip = f"{item.label}: {format_value(item.value, fmt)} ({share:.1%})"
        if share >= 0.9999:
            body.append(
                f'<path d="{_ring(cx, cy, outer, inner)}" fill="{color}" fill-rule="evenodd">'
                f"<title>{escape(tip)}</title></path>"
            )
        else:
            sweep = share * 2 * math.pi
            body.append(
                f'<path d="{_arc(cx, cy, outer, inner, angle, angle + sweep)}" fill="{color}" '
                f'stroke="#fff" stroke-width="1.5"><title>{escape(tip)}</title></path>'
            )
            angle += sweep
        ly = 30 + n * 26
        body.append(f'<rect x="260" y="{ly - 10}" width="12" height="12" rx="2" fill="{color}"/>')
        body.append(_text(280, ly, _clip(item.label, 150), cls="legend"))
        body.append(_text(540, ly, f"{share:.1%}  {format_value(item.value, fmt)}", "end", "value"))
    body.append(_text(cx, cy - 2, format_value(total, fmt), "middle", "total"))
    body.append(_text(cx, cy + 16, word(locale, "total"), "middle", "muted"))
    return _svg(width, height, body, "pie chart")


def sparkline(values: Sequence[float | None], flag: TargetFlag) -> str:
    """A tiny trend line for a KPI card; empty when there are fewer than two values."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    width, height = 120, 32
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    last = len(values) - 1 or 1
    coords = [
        (2 + (width - 4) * i / last, height - 3 - (height - 6) * (v - low) / span)
        for i, v in points
    ]
    color = {TargetFlag.MISSED: RED, TargetFlag.MET: GREEN}.get(flag, PALETTE[0])
    d = " ".join(f"{'M' if n == 0 else 'L'}{px:.1f},{py:.1f}" for n, (px, py) in enumerate(coords))
    ex, ey = coords[-1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="spark" aria-hidden="true"><path d="{d}" fill="none" stroke="{color}" '
        f'stroke-width="2" stroke-linejoin="round"/>'
        f'<circle cx="{ex:.1f}" cy="{ey:.1f}" r="2.5" fill="{color}"/></svg>'
    )


def _arc(cx: float, cy: float, r1: float, r0: float, a0: float, a1: float) -> str:
    large = 1 if a1 - a0 > math.pi else 0

    def at(r: float, a: float) -> str:
        return f"{cx + r * math.cos(a):.2f},{cy + r * math.sin(a):.2f}"

    return (
        f"M{at(r1, a0)} A{r1},{r1} 0 {large} 1 {at(r1, a1)} "
        f"L{at(r0, a1)} A{r0},{r0} 0 {large} 0 {at(r0, a0)} Z"
    )


def _ring(cx: float, cy: float, r1: float, r0: float) -> str:
    return (
        f"M{cx - r1},{cy} a{r1},{r1} 0 1 0 {2 * r1},0 a{r1},{r1} 0 1 0 {-2 * r1},0 Z "
        f"M{cx - r0},{cy} a{r0},{r0} 0 1 0 {2 * r0},0 a{r0},{r0} 0 1 0 {-2 * r0},0 Z"
    )


def _text_width(text: str) -> float:
    """Approximate pixels of 12px text: CJK characters are about twice as wide as Latin."""
    return display_width(text) * 6.6


def _clip(text: str, pixels: float) -> str:
    if _text_width(text) <= pixels:
        return text
    while text and _text_width(text + "…") > pixels:
        text = text[:-1]
    return text + "…"


def kpi_trend(table: ReportTable, info: MetricInfo) -> tuple[float | None, ...]:
    """The recent values of a metric for a KPI card's sparkline (empty without a total)."""
    rows: tuple[Row, ...] = table.trend_rows()
    if not rows:
        return ()
    names = [c.name for c in (table.total_columns() if table.totals else table.columns)]
    return tuple(as_number(r[names.index(info.name)]) for r in rows)
