"""`mfl report`: the period shown, the files written, and period arithmetic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import invoke

from metricflow_lite.compile.periods import (
    DataBounds,
    elapsed_cut,
    is_complete,
    latest_complete_start,
    next_period,
    period_start,
    whole_periods,
)
from metricflow_lite.report.query_table import display_width
from metricflow_lite.spec.model import Grain

D = dt.date


@pytest.mark.parametrize(
    ("day", "grain", "week_start", "start"),
    [
        (D(2025, 1, 1), Grain.WEEK, "monday", D(2024, 12, 30)),
        (D(2025, 1, 5), Grain.WEEK, "monday", D(2024, 12, 30)),
        (D(2025, 1, 5), Grain.WEEK, "sunday", D(2025, 1, 5)),
        (D(2025, 1, 4), Grain.WEEK, "sunday", D(2024, 12, 29)),
        (D(2024, 2, 29), Grain.MONTH, "monday", D(2024, 2, 1)),
        (D(2024, 11, 11), Grain.QUARTER, "monday", D(2024, 10, 1)),
        (D(2024, 11, 11), Grain.YEAR, "monday", D(2024, 1, 1)),
    ],
)
def test_period_start(day: dt.date, grain: Grain, week_start: str, start: dt.date) -> None:
    assert period_start(day, grain, week_start) == start


@pytest.mark.parametrize(
    ("grain", "week_start", "whole"),
    [
        (Grain.WEEK, "monday", (D(2024, 11, 25), D(2025, 1, 5))),
        (Grain.WEEK, "sunday", (D(2024, 12, 1), D(2025, 1, 4))),
        (Grain.MONTH, "monday", (D(2024, 12, 1), D(2024, 12, 31))),
        (Grain.QUARTER, "monday", (D(2024, 10, 1), D(2024, 12, 31))),
        (Grain.DAY, "monday", (D(2024, 12, 1), D(2024, 12, 31))),
        (None, "monday", (D(2024, 12, 1), D(2024, 12, 31))),
    ],
)
def test_whole_periods_widen_a_range_to_the_grain(
    grain: Grain | None, week_start: str, whole: tuple[dt.date, dt.date]
) -> None:
    # 2024-12-01 is a Sunday, 2024-12-31 a Tuesday
    assert whole_periods(D(2024, 12, 1), D(2024, 12, 31), grain, week_start) == whole
    assert whole_periods(None, None, grain, week_start) == (None, None)


def test_next_period_crosses_year_ends() -> None:
    assert next_period(D(2024, 12, 1), Grain.MONTH) == D(2025, 1, 1)
    assert next_period(D(2024, 10, 1), Grain.QUARTER) == D(2025, 1, 1)
    assert next_period(D(2024, 12, 30), Grain.WEEK) == D(2025, 1, 6)


T = dt.datetime
HOUR = dt.timedelta(hours=1)


def bounds(first: dt.datetime, last: dt.datetime) -> tuple[DataBounds, ...]:
    return (DataBounds("calls", first, last),)


@pytest.mark.parametrize(
    ("last", "grain", "expected"),
    [
        (T(2025, 1, 5, 23, 10), Grain.WEEK, D(2024, 12, 30)),  # Sunday 23:10: the week is whole
        (T(2025, 1, 5, 22, 0), Grain.WEEK, D(2024, 12, 23)),  # Sunday 22:00: not yet
        (T(2025, 1, 6, 7, 52), Grain.WEEK, D(2024, 12, 30)),  # Monday morning: last week
        (T(2025, 1, 31, 23, 30), Grain.MONTH, D(2025, 1, 1)),
        (T(2025, 1, 30, 23, 59), Grain.MONTH, D(2024, 12, 1)),
        (T(2025, 1, 14, 7, 52), Grain.DAY, D(2025, 1, 13)),  # #20: not the partial morning
        (T(2025, 1, 13, 23, 10), Grain.DAY, D(2025, 1, 13)),  # through 23:10 completes a day
        (T(2025, 1, 14, 7, 52), Grain.MIN30, D(2025, 1, 13)),  # intervals: one whole day
    ],
)
def test_latest_complete_start(last: dt.datetime, grain: Grain, expected: dt.date) -> None:
    data = bounds(T(2024, 10, 1, 9, 1), last)
    assert latest_complete_start(data, grain, "monday", HOUR) == expected


def test_a_first_call_at_0901_keeps_the_first_day_complete() -> None:
    data = bounds(T(2024, 11, 15, 9, 1), T(2025, 1, 14, 7, 52))
    assert is_complete(D(2024, 11, 15), Grain.DAY, data, HOUR)
    assert not is_complete(D(2024, 11, 1), Grain.MONTH, data, HOUR)  # starts mid-month
    assert is_complete(D(2024, 12, 1), Grain.MONTH, data, HOUR)
    assert not is_complete(D(2025, 1, 14), Grain.DAY, data, HOUR)  # ends mid-day


def test_every_model_must_cover_the_period() -> None:
    calls = DataBounds("calls", T(2024, 10, 1), T(2025, 1, 14, 7, 52))
    chats = DataBounds("chats", T(2024, 10, 1), T(2025, 1, 13, 21, 0))  # closes at 21:00
    assert not is_complete(D(2025, 1, 13), Grain.DAY, (calls, chats), HOUR)
    assert is_complete(D(2025, 1, 13), Grain.DAY, (calls, chats), 3 * HOUR)
    assert not is_complete(D(2025, 1, 13), Grain.DAY, (), HOUR)  # no data: nothing is whole
    assert latest_complete_start((), Grain.DAY, "monday", HOUR) is None


def test_elapsed_cut_of_a_period_in_progress() -> None:
    end = T(2025, 1, 14, 7, 52)
    assert elapsed_cut(D(2025, 1, 1), Grain.MONTH, end) == end - T(2025, 1, 1)
    assert elapsed_cut(D(2024, 12, 1), Grain.MONTH, end) is None


def test_cut_ranges_keep_each_comparison_inside_its_period() -> None:
    from metricflow_lite.jobs.reports import cut_ranges

    # 1..13 Jan against 1..13 Dec and 1..13 Jan 2024
    assert cut_ranges(D(2025, 1, 1), Grain.MONTH, D(2025, 1, 13), "monday") == (
        (D(2025, 1, 1), D(2025, 1, 13)),
        (D(2024, 12, 1), D(2024, 12, 13)),
        (D(2024, 1, 1), D(2024, 1, 13)),
    )
    # 1..30 Mar against February cut at its end (29 days in 2024), not into March
    assert cut_ranges(D(2024, 3, 1), Grain.MONTH, D(2024, 3, 30), "monday")[1] == (
        D(2024, 2, 1),
        D(2024, 2, 29),
    )


def test_week_table_defaults_to_the_latest_complete_week(tiny_project: Path) -> None:
    result = invoke("report", "queue_daily", "--project-dir", str(tiny_project), "--grain", "week")
    assert result.exit_code == 0, result.output
    # Data ends on Monday 2025-01-06, so the week shown is the one of 2024-12-30.
    assert "2024-12-30" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("|")]
    assert len({display_width(line) for line in lines}) == 1  # Chinese headers stay aligned
    assert "队列日报" in result.output and "放弃率" in result.output


def test_week_table_flags_missed_targets_and_changes(tiny_project: Path) -> None:
    result = invoke(
        "report",
        "queue_daily",
        "--project-dir",
        str(tiny_project),
        "--grain",
        "week",
        "--date",
        "2025-01-06",
    )
    assert result.exit_code == 0, result.output
    row_a = next(line for line in result.output.splitlines() if line.startswith("| A"))
    # The week of 01-06 has no whole day (the data ends Monday 11:00), so it is compared with
    # the week before through Monday 11:00: queue A 1 call (c15) against 5 (c01-c05, c05 at
    # 11:00 itself), -80 %, and 0 % abandoned against 0 % (c06-c08 came later). Against the
    # whole week (10 calls, 30 % abandoned) it read -90 % and -30 pp.
    assert "-80.0%" in row_a and "0.0 pp" in row_a, row_a
    missed = invoke(
        "report",
        "queue_daily",
        "--project-dir",
        str(tiny_project),
        "--grain",
        "day",
        "--date",
        "2024-12-30",
    )
    row_a = next(line for line in missed.output.splitlines() if line.startswith("| A"))
    assert "37.5%" in row_a and "✗" in row_a  # 3 of 8 abandoned, target max 30 %


def test_xlsx_and_html_files(tiny_project: Path) -> None:
    out = tiny_project / "out" / "week.html"
    result = invoke(
        "report",
        "queue_daily",
        "--project-dir",
        str(tiny_project),
        "--grain",
        "week",
        "--format",
        "html",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "<svg" in out.read_text(encoding="utf-8")
    result = invoke(
        "report",
        "team_capacity",
        "--project-dir",
        str(tiny_project),
        "--grain",
        "week",
        "--format",
        "xlsx",
    )
    assert result.exit_code == 0
    assert (tiny_project / "target" / "reports" / "team_capacity_week.xlsx").stat().st_size > 0


def test_a_date_outside_the_data_warns_with_the_days_that_have_data(tiny_project: Path) -> None:
    args = ("report", "queue_daily", "--project-dir", str(tiny_project), "--grain", "week")
    result = invoke(*args, "--date", "2030-01-01")
    assert result.exit_code == 0
    assert "(无数据)" in result.stdout
    assert result.stderr.startswith(
        "warning W260: report 'queue_daily' has no data in the week of 2030-01-01:"
        " its data runs from 2024-12-30 to 2025-01-06"
    )
    # A period that overlaps the data is shown as it is, without a warning.
    inside = invoke(*args, "--date", "2025-01-03")
    assert inside.exit_code == 0 and inside.stderr == ""


def test_a_metric_added_to_a_report_after_the_last_build_asks_for_a_build(
    tiny_project: Path,
) -> None:
    reports = tiny_project / "reports" / "daily.yml"
    text = reports.read_text(encoding="utf-8")
    assert "metrics: [offered_calls" in text
    reports.write_text(
        text.replace("metrics: [offered_calls", "metrics: [handled_legs, offered_calls", 1),
        encoding="utf-8",
    )
    result = invoke("report", "queue_daily", "--project-dir", str(tiny_project))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        "reports/daily.yml:3:11: error E602: view app.queue_daily_day lacks 'handled_legs',"
    )
    assert "hint: run `mfl build` so the report views match reports/*.yml" in result.output


def test_a_report_added_after_the_last_build_asks_for_a_build(tiny_project: Path) -> None:
    reports = tiny_project / "reports" / "daily.yml"
    reports.write_text(
        reports.read_text()
        + "  - name: queue_weekly\n    by: [queue]\n    grains: [week]\n"
        + "    metrics: [offered_calls]\n",
        encoding="utf-8",
    )
    result = invoke("report", "queue_weekly", "--project-dir", str(tiny_project))
    assert result.exit_code == 1, result.output
    assert "error E312: the warehouse is not built for this:" in result.output
    assert "queue_weekly_week" in result.output
    assert "hint: run 'mfl build' (or 'mfl run') after changing metrics/ or reports/" in (
        result.output
    )


def test_unknown_report_and_grain(tiny_project: Path) -> None:
    result = invoke("report", "queue_dayly", "--project-dir", str(tiny_project))
    assert result.exit_code == 1 and "did you mean 'queue_daily'?" in result.output
    result = invoke("report", "team_capacity", "--project-dir", str(tiny_project), "--grain", "day")
    assert result.exit_code == 1 and "has no grain 'day'" in result.output


def test_a_trend_of_one_period_without_target_draws() -> None:
    """A report's first week has a single point and no target: the chart still draws."""
    from metricflow_lite.report.charts import Series, line_chart
    from metricflow_lite.spec.model import Format

    svg = line_chart([Series("放弃率", (0.3,))], ["12-30"], Format.PERCENT, None)
    assert svg.startswith("<svg") and ("<circle" in svg or "<path" in svg)


def test_a_titled_chart_of_several_metrics_names_each_panel() -> None:
    """One bar panel per metric: the shared title alone would repeat on every panel."""
    from report_tables import HERE, team_table

    from metricflow_lite.report.charts import draw_chart
    from metricflow_lite.spec.model import Chart, ChartKind

    table = team_table()
    chart = Chart(
        ChartKind.BAR, ("offered_calls", "abandonment_rate"), HERE, by="team", title="班组对比"
    )
    titles = [panel.title for panel in draw_chart(table, chart)]
    assert len(titles) == 2 and len(set(titles)) == 2
    assert all(t.startswith("班组对比 · ") for t in titles)
