"""app.<report>_<grain> views: time spine, previous period, same period last year, targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import copy_fixture, invoke, seed_project


def rows(project: Path, sql: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_week_view_compares_with_previous_week(tiny_project: Path) -> None:
    week = {
        (str(r["week"]), r["queue"]): r
        for r in rows(tiny_project, "select * from app.queue_daily_week")
    }
    now = week[("2025-01-06", "A")]
    # Queue A: week of 12-30 had 8 + 2 = 10 offered, 3 abandoned; week of 01-06 1 offered, 0.
    assert (now["offered_calls"], now["offered_calls_prev"]) == (1, 10)
    assert now["offered_calls_change"] == pytest.approx(1 / 10 - 1)
    # A rate changes in percentage points: 30 % -> 0 % is -0.30, not -100 %.
    assert now["abandonment_rate_prev"] == pytest.approx(3 / 10)
    assert now["abandonment_rate_change"] == pytest.approx(0 - 3 / 10)
    assert now["aht_change"] == pytest.approx(
        240 / ((300 + 100 + 200 + 400 + 100 + 600 + 120 + 180) / 8) - 1
    )
    # The first week has no previous one: NULL, not 0.
    assert week[("2024-12-30", "A")]["offered_calls_prev"] is None
    # Queue B had 4 calls, then none: the row exists with 0, the rate is NULL, change -100 %.
    quiet = week[("2025-01-06", "B")]
    assert (quiet["offered_calls"], quiet["abandonment_rate"], quiet["offered_calls_change"]) == (
        0,
        None,
        -1.0,
    )


def test_total_view_re_aggregates_the_parts_not_the_rows_rates(tiny_project: Path) -> None:
    week = {
        str(r["week"]): r for r in rows(tiny_project, "select * from app.queue_daily_week_total")
    }
    total = week["2024-12-30"]
    # Queues A (3 of 10 abandoned) and B (1 of 4): 4 of 14, not the mean of 30 % and 25 %.
    assert (total["offered_calls"], total["abandonment_rate"]) == (14, pytest.approx(4 / 14))
    assert "queue" not in total
    # The week after: 2 offered (queue A, and a call without a queue), 1 abandoned: the rate
    # moves from 4 of 14 to 1 of 2, a change in points.
    now = week["2025-01-06"]
    assert now["offered_calls_prev"] == 14
    assert now["abandonment_rate_change"] == pytest.approx(1 / 2 - 4 / 14)


def test_time_spine_fills_quiet_days(tiny_project: Path) -> None:
    days = rows(
        tiny_project,
        "select day, offered_calls, abandonment_rate from app.queue_daily_day where queue = 'A'",
    )
    assert [str(r["day"]) for r in days] == [f"2024-12-{d}" for d in (30, 31)] + [
        f"2025-01-0{d}" for d in range(1, 7)
    ]
    quiet = [r for r in days if str(r["day"]) == "2025-01-03"][0]
    assert (quiet["offered_calls"], quiet["abandonment_rate"]) == (0, None)


def test_target_flags(tiny_project: Path) -> None:
    day = {
        (str(r["day"]), r["queue"]): r["abandonment_rate_target_met"]
        for r in rows(tiny_project, "select * from app.queue_daily_day")
    }
    assert day[("2024-12-30", "A")] is False  # 3/8 = 37.5 % > max 30 %
    assert day[("2024-12-31", "B")] is True  # 1/4 = 25 %
    assert day[("2025-01-03", "A")] is None  # no calls: no data, not green


def test_same_period_last_year(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    calls = project / "seeds" / "calls.csv"
    calls.write_text(
        calls.read_text()
        + "L90,c90,1,A,,u1,2023-12-15 10:00:00,,,\n"
        + "L91,c91,1,A,a1,u2,2023-12-16 10:00:00,2023-12-16 10:00:10,200,\n"
    )
    report = project / "reports" / "daily.yml"
    report.write_text(
        report.read_text().replace(
            "compare: [previous_period]", "compare: [previous_period, same_period_last_year]"
        )
    )
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    month = {
        (str(r["month"]), r["queue"]): r
        for r in rows(project, "select * from app.queue_daily_month")
    }
    december = month[("2024-12-01", "A")]
    # Dec 2023 queue A: 2 offered, 1 abandoned; Dec 2024 queue A: 8 offered, 3 abandoned.
    assert (december["offered_calls"], december["offered_calls_prev_year"]) == (8, 2)
    assert december["offered_calls_change_year"] == pytest.approx(8 / 2 - 1)
    assert december["abandonment_rate_change_year"] == pytest.approx(3 / 8 - 1 / 2)
    # Nov 2024 is a spine month with no calls; its previous-period value is also there.
    assert month[("2024-11-01", "A")]["offered_calls"] == 0
    assert december["offered_calls_prev"] == 0 and december["offered_calls_change"] is None


def test_a_score_declared_change_points_changes_by_difference(tmp_path: Path) -> None:
    """`change: points` on a non-rate: the view holds cur - prev, not (cur - prev) / prev."""
    project = copy_fixture("tiny", tmp_path)
    (project / "metrics" / "scores.yml").write_text(
        "version: 1\n"
        "metrics:\n"
        "  - name: aht_points\n"
        "    expr: aht\n"
        "    format: duration\n"
        "    change: points\n",
        encoding="utf-8",
    )
    report = project / "reports" / "daily.yml"
    report.write_text(
        report.read_text().replace(
            "metrics: [offered_calls, abandonment_rate, aht]",
            "metrics: [offered_calls, abandonment_rate, aht, aht_points]",
        )
    )
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    week = {
        (str(r["week"]), r["queue"]): r for r in rows(project, "select * from app.queue_daily_week")
    }
    now = week[("2025-01-06", "A")]
    previous = (300 + 100 + 200 + 400 + 100 + 600 + 120 + 180) / 8
    assert now["aht_points_prev"] == pytest.approx(previous)
    assert now["aht_points_change"] == pytest.approx(240 - previous)
    assert now["aht_change"] == pytest.approx(240 / previous - 1)
