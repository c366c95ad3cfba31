"""HTML pages and the dashboard: self-contained, escaped, and drawn by a real headless Chromium."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, center_table, team_report, team_table

from metricflow_lite.report import render_dashboard, render_report
from metricflow_lite.report.charts import nice_ticks
from metricflow_lite.report.frame import ReportTable
from metricflow_lite.spec.model import Grain

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def html_of(table: ReportTable) -> str:
    text = render_report(table, "html")
    assert isinstance(text, str)
    return text


def test_page_is_self_contained() -> None:
    """No network at view time: nothing loaded from elsewhere, CSS inline."""
    for text in (html_of(team_table()), render_dashboard([team_table(), center_table()])):
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
        assert "@import" not in text and "@font-face" not in text
        assert "<style>" in text
        assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC"' in text


def test_page_shows_kpis_charts_table_and_definitions() -> None:
    text = html_of(center_table())
    assert '<div class="kpi missed" data-metric="abandonment_rate">' in text
    assert '<div class="value">7.0%</div>' in text
    assert "目标 ≤ 5.0%" in text
    assert "+2.0 pp" in text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 2  # two default trend lines
    # a metric's label spans its columns: 本期 (this period) and 环比 (vs the previous one)
    assert '<th colspan="2" class="metric group">放弃率</th>' in text
    assert '<th class="num group" title="放弃率">本期</th>' in text
    assert '<th class="num" title="放弃率 环比">环比</th>' in text
    assert 'class="num group missed">7.0% ✗</td>' in text
    assert "abandoned_calls / offered_calls" in text


def test_charts_cope_with_gaps_many_members_and_no_data() -> None:
    from metricflow_lite.report.charts import Item, Series, line_chart, pie_chart
    from metricflow_lite.spec.model import Format

    # a missing week breaks the line into two segments rather than drawing through it
    gap = line_chart(
        [Series("一组", (1.0, None, 3.0, 4.0))], ("a", "b", "c", "d"), Format.NUMBER, None
    )
    path = re.search(r'<path d="([^"]+)"', gap)
    assert path is not None and path.group(1).count("M") == 2
    # ten queues: six slices and the rest as 其他
    pie = pie_chart([Item(f"队列{i}", 10.0 - i) for i in range(10)], Format.INTEGER)
    assert pie.count("<path") == 7 and "其他" in pie and "(other)" not in pie  # #20: zh-CN only
    assert "无数据" in line_chart([], (), Format.PERCENT, None)


def test_grain_links_name_the_sibling_files() -> None:
    text = html_of(team_table())
    assert '<a href="team_overview_day.html">日报</a>' in text
    assert 'href="team_overview_week.html" class="current"' in text


def test_labels_and_values_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    metrics = dict(METRICS, offered_calls=replace(METRICS["offered_calls"], label=evil))
    rows = [(r[0], evil if r[1] == "二组" else r[1], *r[2:]) for r in TEAM_ROWS]
    table = ReportTable.from_rows(team_report(), metrics, Grain.WEEK, TEAM_COLUMNS, rows)
    for text in (html_of(table), render_dashboard([table])):
        assert evil not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_chart_kinds_from_the_report_spec() -> None:
    text = html_of(team_table())
    for kind in ("line", "bar", "pie", "table"):
        assert f'class="card chart-{kind}"' in text
    assert "放弃率趋势" in text  # the chart's own title


def test_dashboard_has_a_tab_per_report_linking_every_grain() -> None:
    week = team_table()
    day = replace(week, grain=Grain.DAY)
    text = render_dashboard([week, day, center_table()])
    assert text.count('<button type="button" role="tab"') == 2
    assert text.count('role="tabpanel"') == 2
    assert '<a href="team_overview_day.html">日报</a>' in text
    assert '<a href="center_daily_day.html">日报</a>' in text


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 0.072, (0, 0.02, 0.04, 0.06, 0.08)),
        (0, 400, (0, 100, 200, 300, 400)),
        (0, 0, (0, 0.25, 0.5, 0.75, 1.0)),
    ],
    ids=["rate", "count", "flat"],
)
def test_nice_ticks(low: float, high: float, ticks: tuple[float, ...]) -> None:
    assert nice_ticks(low, high) == pytest.approx(ticks)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_pages_render_in_headless_chromium(tmp_path: Path) -> None:
    """Opened offline in Chromium: no errors, no requests, every chart drawn, tabs switch."""
    from playwright.sync_api import sync_playwright

    totals = [
        (r[0], *r[2:])
        for r in TEAM_ROWS
        if r[1] == "一组"  # stand-in whole-center rows, enough to draw KPI sparklines
    ]
    team = ReportTable.from_rows(
        team_report(),
        METRICS,
        Grain.WEEK,
        TEAM_COLUMNS,
        TEAM_ROWS,
        dimension_labels={"team": "班组"},
        totals=totals,
    )
    pages = {
        "team_overview_week.html": html_of(team),
        "center_daily_day.html": html_of(center_table()),
        "index.html": render_dashboard([team, center_table()]),
    }
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            for name in pages:
                url = (tmp_path / name).as_uri()
                requests.clear()
                page.goto(url)
                page.wait_for_load_state("load")
                assert errors == [], name
                assert requests == [url], name
                charts = page.eval_on_selector_all(
                    "svg.chart",  # on the dashboard: those of the tab shown
                    """els => els.filter(s => !s.closest('[hidden]')).map(s => ({
                        marks: s.querySelectorAll('path, rect, circle').length,
                        w: s.getBoundingClientRect().width,
                        h: s.getBoundingClientRect().height}))""",
                )
                assert charts, name
                assert all(c["marks"] > 0 and c["w"] > 100 and c["h"] > 50 for c in charts), name
                text = page.inner_text("body")
                assert "放弃率" in text and "呼入量" in text, name
            page.goto((tmp_path / "team_overview_week.html").as_uri())
            headers = page.eval_on_selector_all(
                "table.data th", "els => els.map(e => e.textContent)"
            )
            assert {"班组", "呼入量", "放弃率", "平均处理时长", "环比"} <= set(headers)
            page.screenshot(path=str(tmp_path / "team_overview_week.png"), full_page=True)

            page.goto((tmp_path / "index.html").as_uri())
            first, second = "#panel-team_overview", "#panel-center_daily"
            assert page.is_visible(first) and not page.is_visible(second)
            page.click("#tab-center_daily")
            assert page.is_visible(second) and not page.is_visible(first)
            assert page.get_attribute("#tab-center_daily", "aria-selected") == "true"
            page.press("#tab-center_daily", "ArrowRight")  # keyboard: wraps to the first tab
            assert page.is_visible(first) and not page.is_visible(second)
            page.click("#tab-center_daily")
            visible = page.eval_on_selector_all(
                f"{second} svg.chart", "els => els.map(s => s.getBoundingClientRect().width)"
            )
            assert visible and all(w > 100 for w in visible)
            assert errors == []
        finally:
            browser.close()
