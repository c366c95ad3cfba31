"""Window and offset functions end to end on tests/fixtures/windows, the arithmetic in each test.

tests/fixtures/windows/seeds/calls.csv, one row per call (A, B: queues; u1..u6: customers;
"ab" = abandoned, a number = answered with that many handle seconds):
  2023-03-01 A u1 100     2023-03-15 A u2 ab      2023-04-02 B u1 200
  2024-02-28 A u2 100     2024-02-29 A u1 300     2024-02-29 B u3 ab
  2024-03-01 A u1 200     2024-03-01 B u6 150     2024-03-02 A u1 ab
  2024-03-04 B u2 400     2024-03-05 A u3 100     2024-03-07 A u1 ab
  2024-03-08 B u4 300     2024-03-30 A u5 200     2024-03-31 A u1 100     2024-03-31 B u2 ab
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_fixture, invoke, seed_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The window fixture, seeded and built once for the module."""
    root = copy_fixture("windows", tmp_path_factory.mktemp("windows"))
    seed_project(root)
    build = invoke("build", "--project-dir", str(root))
    assert build.exit_code == 0, build.output
    return root


def query(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def by_day(rows: list[dict[str, object]], metric: str) -> dict[object, object]:
    return {r["day"]: r[metric] for r in rows}


def test_rolling_distinct_count_is_not_the_sum_of_daily_distincts(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "rolling_callers_7d,callers", "--grain", "day"),
        *("--start", "2024-03-07", "--end", "2024-03-07"),
    )
    # 03-01..03-07 (before --start): u1 u6 | u1 | u2 | u3 | u1 -> {u1, u2, u3, u6}
    assert rows == [{"day": "2024-03-07", "rolling_callers_7d": 4, "callers": 1}]
    sum_of_daily_distincts = 2 + 1 + 1 + 1 + 1
    assert rows[0]["rolling_callers_7d"] != sum_of_daily_distincts


def test_rolling_ratio_is_not_the_mean_of_daily_ratios(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "rolling_abandonment_7d", "--grain", "day"),
        *("--start", "2024-03-01", "--end", "2024-03-08"),
    )
    rates = by_day(rows, "rolling_abandonment_7d")
    # 03-07 reads 03-01..03-07: 6 offered (2 + 1 + 1 + 1 + 1), 2 abandoned (03-02, 03-07)
    assert rates["2024-03-07"] == pytest.approx(2 / 6)
    mean_of_daily_rates = (0 / 2 + 1 / 1 + 0 / 1 + 0 / 1 + 1 / 1) / 5
    assert rates["2024-03-07"] != pytest.approx(mean_of_daily_rates)
    # 03-01 reaches into February (02-24..03-01): 02-28, 02-29 x2, 03-01 x2 = 5, 1 abandoned
    assert rates["2024-03-01"] == pytest.approx(1 / 5)
    # A day without calls has a value: 03-03 reads 02-26..03-03, 6 offered, 2 abandoned
    assert rates["2024-03-03"] == pytest.approx(2 / 6)
    assert len(rows) == 8


def test_where_applies_inside_the_window(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "rolling_abandonment_7d", "--grain", "day"),
        *("--start", "2024-03-07", "--end", "2024-03-07", "--where", "queue = 'A'"),
    )
    # queue A over 03-01..03-07: 03-01 answered, 03-02 abandoned, 03-05 answered, 03-07 abandoned
    assert rows == [{"day": "2024-03-07", "rolling_abandonment_7d": 2 / 4}]


def test_rolling_median_is_recomputed_from_the_window_rows(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "rolling_median_handle_7d", "--grain", "day"),
        *("--start", "2024-03-07", "--end", "2024-03-07"),
    )
    # answered 03-01..03-07: 200, 150, 400, 100 -> median (150 + 200) / 2
    assert rows[0]["rolling_median_handle_7d"] == pytest.approx(175)
    mean_of_daily_medians = (175 + 400 + 100) / 3
    assert rows[0]["rolling_median_handle_7d"] != pytest.approx(mean_of_daily_medians)


def test_rolling_by_queue(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "rolling_abandonment_7d", "--grain", "day", "--by", "queue"),
        *("--start", "2024-03-08", "--end", "2024-03-08"),
    )
    # 03-02..03-08: A 03-02 ab, 03-05, 03-07 ab -> 2/3; B 03-04, 03-08 -> 0/2
    assert rows == [
        {"day": "2024-03-08", "queue": "A", "rolling_abandonment_7d": pytest.approx(2 / 3)},
        {"day": "2024-03-08", "queue": "B", "rolling_abandonment_7d": 0.0},
    ]


def test_month_to_date(project: Path) -> None:
    days = query(
        project,
        *("--metrics", "offered_mtd", "--grain", "day"),
        *("--start", "2024-03-01", "--end", "2024-03-05"),
    )
    # 03-01: 2, 03-02: +1, 03-03: +0, 03-04: +1, 03-05: +1
    assert by_day(days, "offered_mtd") == {
        "2024-03-01": 2,
        "2024-03-02": 3,
        "2024-03-03": 3,
        "2024-03-04": 4,
        "2024-03-05": 5,
    }
    months = query(project, "--metrics", "offered_mtd", "--grain", "month", "--start", "2024-03-01")
    # the whole of March: 2 + 1 + 1 + 1 + 1 + 1 + 1 + 2
    assert months == [{"month": "2024-03-01", "offered_mtd": 10}]


def test_shift_clamps_at_month_ends(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_prev_month", "--grain", "day"),
        *("--start", "2024-03-28", "--end", "2024-03-31"),
    )
    # 03-28 - 1 month = 02-28 (1 call); 03-29, 03-30 and 03-31 - 1 month = 02-29 (2 calls)
    assert by_day(rows, "offered_prev_month") == {
        "2024-03-28": 1,
        "2024-03-29": 2,
        "2024-03-30": 2,
        "2024-03-31": 2,
    }


def test_shift_of_a_day_that_ends_a_short_month_reads_one_day(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_prev_month", "--grain", "day"),
        *("--start", "2024-04-30", "--end", "2024-04-30"),
    )
    # 04-30 - 1 month = 03-30 (1 call), never 03-30..03-31 (3 calls)
    assert by_day(rows, "offered_prev_month") == {"2024-04-30": 1}


def test_shift_at_month_grain_is_the_whole_previous_month(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_calls,offered_prev_month", "--grain", "month", "--by", "queue"),
        *("--start", "2024-03-01", "--end", "2024-03-31"),
    )
    # February 2024: A 02-28, 02-29; B 02-29
    assert rows == [
        {"month": "2024-03-01", "queue": "A", "offered_calls": 6, "offered_prev_month": 2},
        {"month": "2024-03-01", "queue": "B", "offered_calls": 4, "offered_prev_month": 1},
    ]


def test_week_on_week_change(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_calls,offered_wow", "--grain", "week"),
        *("--start", "2024-03-04", "--end", "2024-03-10"),
    )
    # week of 03-04: 03-04, 03-05, 03-07, 03-08 = 4; week of 02-26: 02-28, 02-29 x2, 03-01 x2,
    # 03-02 = 6
    assert rows == [
        {"week": "2024-03-04", "offered_calls": 4, "offered_wow": pytest.approx(-1 / 3)}
    ]


def test_month_to_date_a_year_earlier(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_mtd_last_year", "--grain", "day"),
        *("--start", "2024-03-14", "--end", "2024-03-15"),
    )
    # 2023-03-01..03-14: 1 call; 2023-03-01..03-15: 2 calls
    assert by_day(rows, "offered_mtd_last_year") == {"2024-03-14": 1, "2024-03-15": 2}
    months = query(
        project, "--metrics", "offered_mtd_last_year", "--grain", "month", "--start", "2024-03-01"
    )
    # all of March 2023 (2023-04-02 is April's)
    assert months == [{"month": "2024-03-01", "offered_mtd_last_year": 2}]


def test_share_of_total(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_calls,queue_share", "--grain", "month", "--by", "queue"),
        *("--start", "2024-03-01", "--end", "2024-03-31"),
    )
    # March: A 6 of 10, B 4 of 10
    assert [(r["queue"], r["queue_share"]) for r in rows] == [("A", 0.6), ("B", 0.4)]
    filtered = query(
        project,
        *("--metrics", "queue_share", "--by", "queue", "--where", "queue = 'B'"),
    )
    # --where narrows the total too: B is all of what is left
    assert filtered == [{"queue": "B", "queue_share": 1.0}]


def test_period_seconds(project: Path) -> None:
    months = query(
        project,
        *("--metrics", "calls_per_day", "--grain", "month"),
        *("--start", "2024-02-01", "--end", "2024-03-31"),
    )
    # February 2024 has 29 days, March 31
    assert [r["calls_per_day"] for r in months] == [pytest.approx(3 / 29), pytest.approx(10 / 31)]
    whole = query(project, "--metrics", "calls_per_day")
    # no grain, no dates: the data's range, 2023-03-01..2024-03-31 = 366 + 31 days
    assert whole == [{"calls_per_day": pytest.approx(16 / 397)}]
    rolling = query(
        project,
        *("--metrics", "rolling_calls_per_day_7d", "--grain", "day"),
        *("--start", "2024-03-07", "--end", "2024-03-07"),
    )
    # inside a window, the window's length: 6 calls over 7 days
    assert rolling == [{"day": "2024-03-07", "rolling_calls_per_day_7d": pytest.approx(6 / 7)}]


def test_windows_without_grain_use_the_range(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "offered_mtd,offered_prev_month,rolling_callers_7d"),
        *("--start", "2024-03-05", "--end", "2024-03-08"),
    )
    # P = 03-05..03-08: month to date 03-01..03-08 = 7; a month earlier 02-05..02-08 = 0;
    # the 7 days ending 03-08: u1 (03-02, 03-07), u2, u3, u4 -> 4
    assert rows == [{"offered_mtd": 7, "offered_prev_month": 0, "rolling_callers_7d": 4}]


@pytest.mark.parametrize(
    ("metric", "grain", "code", "caret"),
    [
        ("rolling_abandonment_7d", "30min", "E234", "'7 days'"),
        ("offered_prev_month", "week", "E235", "'1 month'"),
        ("offered_wow", "month", "E235", "'1 week'"),
    ],
    ids=["sub-day grain", "month shift at week grain", "week shift at month grain"],
)
def test_grain_errors_point_at_the_argument(
    project: Path, metric: str, grain: str, code: str, caret: str
) -> None:
    result = invoke("query", "--project-dir", str(project), "--metrics", metric, "--grain", grain)
    assert result.exit_code == 1
    assert f"error {code}:" in result.output
    lines = result.output.splitlines()
    source = next(line for line in lines if caret in line and "|" in line)
    marker = lines[lines.index(source) + 1]
    column = source.index(caret)
    assert marker[column : column + len(caret)] == "^" * len(caret)
    assert "hint:" in result.output


def test_validate_names_a_report_grain_a_window_cannot_take(tmp_path: Path) -> None:
    root = copy_fixture("windows", tmp_path)
    report = root / "reports" / "windows.yml"
    report.write_text(
        report.read_text(encoding="utf-8").replace("[day, month]", "[30min, day, week]"),
        encoding="utf-8",
    )
    result = invoke("validate", "--project-dir", str(root))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error " in line]
    # offered_mtd and rolling_abandonment_7d at 30min; queue_share (total) works at any grain
    assert [e.split(": error ")[1].split(":")[0] for e in errors] == ["E234", "E234"]
    assert "metric 'rolling_abandonment_7d' (report 'queue_windows' has grain 30min" in errors[0]
    assert errors[0].startswith("metrics/calls.yml:23:37:")


def test_validate_points_at_an_unknown_metric_inside_a_window(tmp_path: Path) -> None:
    root = copy_fixture("windows", tmp_path)
    metrics = root / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text.replace("rolling(callers,", "rolling(caller,"), encoding="utf-8")
    result = invoke("validate", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "error E211: unknown metric 'caller' in expr of 'rolling_callers_7d'" in result.output
    assert "metrics/calls.yml:18:19: error E211" in result.output


def test_report_view_carries_window_metrics(project: Path) -> None:
    import duckdb

    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        found = con.execute(
            "select cast(day as varchar), queue, offered_mtd, offered_mtd_prev,"
            " rolling_abandonment_7d, queue_share from app.queue_windows_day"
            " where day between '2024-03-30' and '2024-03-31' order by 1, 2"
        ).fetchall()
    finally:
        con.close()
    # month to date on 03-31: A 03-01, 03-02, 03-05, 03-07, 03-30, 03-31 = 6 (5 on 03-30);
    # B 03-01, 03-04, 03-08, 03-31 = 4 (3 on 03-30); on 03-29 A 4, B 3. Rolling 7 days
    # 03-25..03-31: A answered both, B abandoned its one; 03-24..03-30 has no B call: NULL.
    # Shares: 03-30 A has the only call; 03-31 one call each.
    assert found == [
        ("2024-03-30", "A", 5, 4, 0.0, 1.0),
        ("2024-03-30", "B", 3, 3, None, 0.0),
        ("2024-03-31", "A", 6, 5, 0.0, 0.5),
        ("2024-03-31", "B", 4, 3, 1.0, 0.5),
    ]


def test_metric_tests_can_test_window_metrics(tmp_path: Path) -> None:
    root = copy_fixture("windows", tmp_path)
    result = invoke("test", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["PASS share_and_week_on_week", "1 passed, 0 failed"]
    cases = root / "metrics" / "tests" / "windows.yml"
    # a week-on-week change of the daily mean would be wrong, and the test says so
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("offered_wow: 0.5}", "offered_wow: 0.4}"),
        encoding="utf-8",
    )
    failed = invoke("test", "--project-dir", str(root))
    assert failed.exit_code == 1
    assert "offered_wow expected 0.4, got 0.5" in failed.output


def test_list_shows_the_window_formula(tmp_path: Path) -> None:
    root = copy_fixture("windows", tmp_path)
    result = invoke("list", "metrics", "--project-dir", str(root), "--format", "md")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| `")]
    formula = {row.split("|")[1].strip(" `"): row.split("|")[3].strip(" `") for row in rows}
    assert formula["offered_mtd_last_year"] == "shift(to_date(offered_calls, 'month'), '1 year')"
    assert formula["queue_share"] == "offered_calls / total(offered_calls)"


def test_rolling_share_totals_the_window(project: Path) -> None:
    rows = query(
        project,
        *("--metrics", "queue_share_7d", "--by", "queue", "--grain", "day"),
        *("--start", "2024-03-08", "--end", "2024-03-08"),
    )
    # 03-02..03-08: A 03-02, 03-05, 03-07 = 3; B 03-04, 03-08 = 2; of 5
    assert [(r["queue"], r["queue_share_7d"]) for r in rows] == [("A", 0.6), ("B", 0.4)]
