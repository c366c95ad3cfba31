"""Tiny hand-made report tables shared by the report tests (no database involved)."""

from __future__ import annotations

from datetime import date

from metricflow_lite.errors import Location
from metricflow_lite.report.frame import MetricInfo, ReportTable
from metricflow_lite.spec.model import (
    Chart,
    ChartKind,
    Comparison,
    Format,
    Grain,
    Report,
    Target,
)

HERE = Location("reports/test.yml", 1, 1)
W1, W2 = date(2026, 11, 9), date(2026, 11, 16)

METRICS = {
    "offered_calls": MetricInfo(
        "offered_calls", "呼入量", Format.INTEGER, None, "Inbound calls offered.", "count(call_id)"
    ),
    "abandonment_rate": MetricInfo(
        "abandonment_rate",
        "放弃率",
        Format.PERCENT,
        Target(max=0.05),
        "Share of offered calls abandoned.",
        "abandoned_calls / offered_calls",
    ),
    "aht_seconds": MetricInfo(
        "aht_seconds",
        "平均处理时长",
        Format.DURATION,
        Target(max=300),
        None,
        "handle_seconds / handled_calls",
    ),
    "revenue": MetricInfo("revenue", None, Format.CURRENCY),
}


def team_report(**changes: object) -> Report:
    """班组运营报表: three metrics by team, week on week, with a line, a bar and a pie."""
    fields: dict[str, object] = {
        "name": "team_overview",
        "loc": HERE,
        "label": "班组运营报表",
        "metrics": ("offered_calls", "abandonment_rate", "aht_seconds"),
        "grains": (Grain.DAY, Grain.WEEK),
        "by": ("team",),
        "compare": (Comparison.PREVIOUS_PERIOD,),
        "charts": (
            Chart(ChartKind.LINE, ("abandonment_rate",), HERE, title="放弃率趋势"),
            Chart(ChartKind.BAR, ("offered_calls",), HERE, by="team"),
            Chart(ChartKind.PIE, ("offered_calls",), HERE, by="team"),
            Chart(ChartKind.TABLE, ("aht_seconds",), HERE),
        ),
    }
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


TEAM_COLUMNS = (
    "week",
    "team",
    "offered_calls",
    "offered_calls_prev",
    "offered_calls_change",
    "offered_calls_target_met",
    "abandonment_rate",
    "abandonment_rate_prev",
    "abandonment_rate_change",
    "abandonment_rate_target_met",
    "aht_seconds",
    "aht_seconds_prev",
    "aht_seconds_change",
    "aht_seconds_target_met",
)

# Week 2: 一组 400 calls (was 320: +25 %), 20 abandoned = 5.0 % (was 4.0 %: +1.0 pp), AHT 4:32;
# 二组 125 calls, 9 abandoned = 7.2 % (missed: max 5 %), AHT 5:10 = 310 s (missed: max 300 s).
TEAM_ROWS = (
    (W1, "一组", 320, None, None, None, 0.04, None, None, True, 280.0, None, None, True),
    (W1, "二组", 100, None, None, None, 0.06, None, None, False, 290.0, None, None, True),
    (W2, "一组", 400, 320, 0.25, None, 0.05, 0.04, 0.01, True, 272.0, 280.0, -8 / 280, True),
    (W2, "二组", 125, 100, 0.25, None, 0.072, 0.06, 0.012, False, 310.0, 290.0, 20 / 290, False),
)


def team_table(**report_changes: object) -> ReportTable:
    return ReportTable.from_rows(
        team_report(**report_changes),
        METRICS,
        Grain.WEEK,
        TEAM_COLUMNS,
        TEAM_ROWS,
        dimension_labels={"team": "班组"},
    )


def center_table() -> ReportTable:
    """A report without dimensions: two days of the whole center, as its view has them."""
    report = Report(
        name="center_daily",
        loc=HERE,
        label="运营日报",
        metrics=("offered_calls", "abandonment_rate", "revenue"),
        grains=(Grain.DAY,),
        compare=(Comparison.PREVIOUS_PERIOD,),
    )
    columns = (
        "day",
        "offered_calls",
        "offered_calls_prev",
        "offered_calls_change",
        "abandonment_rate",
        "abandonment_rate_prev",
        "abandonment_rate_change",
        "abandonment_rate_target_met",
        "revenue",
        "revenue_prev",
        "revenue_change",
    )
    # 1000 -> 1125 calls is +12.5 %; 5 % -> 7 % abandoned is +2 pp and misses max 5 %.
    rows = (
        (date(2026, 11, 15), 1000, None, None, 0.05, None, None, True, 1234.5, None, None),
        (
            date(2026, 11, 16),
            1125,
            1000,
            (1125 - 1000) / 1000,
            0.07,
            0.05,
            0.07 - 0.05,
            False,
            1000.0,
            1234.5,
            (1000.0 - 1234.5) / 1234.5,
        ),
    )
    return ReportTable.from_rows(report, METRICS, Grain.DAY, columns, rows)
