"""ReportTable.from_rows: view rows typed, ordered and labelled; KPIs of the period in focus."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, W1, W2, center_table, team_report

from metricflow_lite.errors import MflError
from metricflow_lite.report.formatting import TargetFlag
from metricflow_lite.report.frame import ColumnRole, ReportTable
from metricflow_lite.spec.model import Comparison, Grain


def test_columns_have_roles_labels_and_formats() -> None:
    table = ReportTable.from_rows(
        team_report(),
        METRICS,
        Grain.WEEK,
        TEAM_COLUMNS,
        TEAM_ROWS,
        dimension_labels={"team": "班组"},
    )
    roles = [(c.name, c.role, c.label) for c in table.columns[:7]]
    assert roles == [
        ("week", ColumnRole.PERIOD, "周"),
        ("team", ColumnRole.DIMENSION, "班组"),
        ("offered_calls", ColumnRole.METRIC, "呼入量"),
        ("offered_calls_prev", ColumnRole.PREV, "呼入量 上期"),
        ("offered_calls_change", ColumnRole.CHANGE, "呼入量 环比"),
        ("offered_calls_target_met", ColumnRole.TARGET_MET, "呼入量 达标"),
        ("abandonment_rate", ColumnRole.METRIC, "放弃率"),
    ]
    assert table.period == W2  # the latest period present
    assert table.label == "班组运营报表"


def test_rows_follow_the_table_columns_whatever_the_view_order() -> None:
    shuffled = tuple(reversed(TEAM_COLUMNS))
    rows = [tuple(reversed(r)) for r in TEAM_ROWS]
    table = ReportTable.from_rows(team_report(), METRICS, Grain.WEEK, shuffled, rows)
    assert table.rows[0][:3] == (W1, "一组", 320)


def test_values_are_normalised_from_the_database() -> None:
    """DuckDB hands back Decimal sums and TIMESTAMP periods: floats and dates here."""
    table = center_table()
    report = team_report(by=(), metrics=("offered_calls",), compare=())
    rows = [(datetime(2026, 11, 16), Decimal("12.5"))]
    table = ReportTable.from_rows(report, METRICS, Grain.WEEK, ("week", "offered_calls"), rows)
    assert table.rows[0][:2] == (date(2026, 11, 16), 12.5)
    assert type(table.rows[0][1]) is float


def test_missing_change_and_target_columns_are_computed() -> None:
    table = center_table()
    row = table.rows[-1]
    change = row[table.column_index("abandonment_rate_change")]
    assert change == pytest.approx(0.07 - 0.05)  # points, for a rate
    assert row[table.column_index("offered_calls_change")] == pytest.approx(125 / 1000)
    assert row[table.column_index("abandonment_rate_target_met")] is False  # 7 % > max 5 %
    assert row[table.column_index("revenue_target_met")] is None  # no target


def test_a_view_that_does_not_match_the_spec_is_a_user_error() -> None:
    columns = TEAM_COLUMNS[:2] + ("handled_calls",)
    with pytest.raises(MflError) as caught:
        ReportTable.from_rows(team_report(), METRICS, Grain.WEEK, columns, [])
    assert caught.value.code == "E602"
    assert "lacks 'offered_calls'" in caught.value.message
    assert "unexpected 'handled_calls'" in caught.value.message
    assert caught.value.hint is not None and "mfl build" in caught.value.hint


def test_an_unknown_metric_is_a_user_error() -> None:
    with pytest.raises(MflError) as caught:
        ReportTable.from_rows(
            team_report(metrics=("offered",)), METRICS, Grain.WEEK, TEAM_COLUMNS, []
        )
    assert caught.value.code == "E601"


def test_focus_rows_by_dimension_or_recent_periods_newest_first() -> None:
    team = ReportTable.from_rows(team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS)
    assert [r[:2] for r in team.focus_rows()] == [(W2, "一组"), (W2, "二组")]
    center = center_table()
    assert [r[0] for r in center.focus_rows()] == [date(2026, 11, 16), date(2026, 11, 15)]


def test_kpis_of_a_total_row() -> None:
    kpis = {k.metric.name: k for k in center_table().kpis()}
    rate = kpis["abandonment_rate"]
    assert (rate.value, rate.prev, rate.flag) == (0.07, 0.05, TargetFlag.MISSED)
    assert rate.change == pytest.approx(0.02)
    assert kpis["revenue"].flag is TargetFlag.NO_TARGET


def test_kpis_of_a_breakdown_without_totals_count_rows_that_met() -> None:
    """A rate cannot be summed over teams: the card counts teams instead (1 of 2 met)."""
    team = ReportTable.from_rows(team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS)
    rate = next(k for k in team.kpis() if k.metric.name == "abandonment_rate")
    assert (rate.has_total, rate.met, rate.missed, rate.flag) == (False, 1, 1, TargetFlag.MISSED)


def test_kpis_of_a_breakdown_with_totals() -> None:
    # week 2 whole center: 29 of 525 abandoned
    totals_columns = [c for c in TEAM_COLUMNS if c != "team"]
    totals = [
        (W1, 420, None, None, None, 0.045, None, None, True, 282.0, None, None, True),
        (
            W2,
            525,
            420,
            0.25,
            None,
            29 / 525,
            0.045,
            29 / 525 - 0.045,
            False,
            281.0,
            282.0,
            None,
            True,
        ),
    ]
    table = ReportTable.from_rows(
        team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS, totals=totals
    )
    assert totals_columns == [c.name for c in table.total_columns()]
    rate = next(k for k in table.kpis() if k.metric.name == "abandonment_rate")
    assert rate.has_total and rate.value == pytest.approx(29 / 525)
    assert rate.flag is TargetFlag.MISSED
    assert [r[0] for r in table.trend_rows()] == [W1, W2]


def test_same_period_last_year_columns() -> None:
    report = team_report(
        by=(),
        metrics=("offered_calls",),
        compare=(Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_YEAR),
    )
    columns = (
        "week",
        "offered_calls",
        "offered_calls_prev",
        "offered_calls_change",
        "offered_calls_prev_year",
        "offered_calls_change_year",
    )
    # 100 -> 110 is +10 %, 88 -> 110 is +25 % (the view's numbers, passed through)
    row = (W2, 110, 100, (110 - 100) / 100, 88, (110 - 88) / 88)
    table = ReportTable.from_rows(report, METRICS, Grain.WEEK, columns, [row])
    assert [c.label for c in table.columns[1:]] == [
        "呼入量",
        "呼入量 上期",
        "呼入量 环比",
        "呼入量 去年同期",
        "呼入量 同比",
        "呼入量 达标",
    ]
    kpi = table.kpis()[0]
    assert kpi.change == pytest.approx(0.1)
    assert kpi.change_year == pytest.approx(22 / 88)


def test_a_report_as_of_an_earlier_period_shows_nothing_after_it() -> None:
    table = ReportTable.from_rows(
        team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS, period=W1
    )
    assert {r[0] for r in table.rows} == {W1}
    assert [r[1] for r in table.focus_rows()] == ["一组", "二组"]


def test_rows_straight_from_a_duckdb_view() -> None:
    """The compiler's view shape, read back through DuckDB's own types (DECIMAL, DATE, BOOLEAN)."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        """
        CREATE VIEW team_overview_week AS
        SELECT DATE '2026-11-16' AS week, '一组' AS team,
               400 AS offered_calls, 320 AS offered_calls_prev,
               CAST(400 - 320 AS DOUBLE) / 320 AS offered_calls_change,
               CAST(20 AS DOUBLE) / 400 AS abandonment_rate, 0.04 AS abandonment_rate_prev,
               CAST(20 AS DOUBLE) / 400 - 0.04 AS abandonment_rate_change,
               CAST(20 AS DOUBLE) / 400 <= 0.05 AS abandonment_rate_target_met,
               CAST(272.0 AS DECIMAL(10, 2)) AS aht_seconds,
               CAST(280.0 AS DECIMAL(10, 2)) AS aht_seconds_prev,
               CAST(272.0 - 280.0 AS DECIMAL(10, 4)) / 280 AS aht_seconds_change,
               272.0 <= 300 AS aht_seconds_target_met
        """
    )
    cursor = con.execute("SELECT * FROM team_overview_week")
    columns = [d[0] for d in cursor.description]
    table = ReportTable.from_rows(team_report(), METRICS, Grain.WEEK, columns, cursor.fetchall())
    con.close()
    row = dict(zip((c.name for c in table.columns), table.rows[0], strict=True))
    assert row["week"] == W2 and row["aht_seconds"] == 272.0
    assert row["abandonment_rate_change"] == pytest.approx(0.01)  # 4 % -> 5 %: +1 pp
    assert row["abandonment_rate_target_met"] is True  # 5 % is within max 5 %
    assert row["aht_seconds_change"] == pytest.approx(-8 / 280)


def test_metric_info_from_a_spec_metric() -> None:
    import sqlglot

    from metricflow_lite.errors import Location
    from metricflow_lite.report.frame import MetricInfo
    from metricflow_lite.spec.model import DerivedMetric, Format, Target

    metric = DerivedMetric(
        name="abandonment_rate",
        loc=Location("metrics/center.yml", 3, 5),
        expr=sqlglot.parse_one("abandoned_calls / offered_calls"),
        depends_on=("abandoned_calls", "offered_calls"),
        label="放弃率",
        format=Format.PERCENT,
        target=Target(max=0.05),
        expr_text="abandoned_calls / offered_calls",
    )
    assert MetricInfo.from_metric(metric) == MetricInfo(
        "abandonment_rate",
        "放弃率",
        Format.PERCENT,
        Target(max=0.05),
        None,
        "abandoned_calls / offered_calls",
    )
