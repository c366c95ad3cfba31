"""Interval reports compare each interval with the same interval of the previous day
(`_prev`, `_change`) and of the same weekday a week earlier (`_prev_week`, `_change_week`),
in the app views on every engine, and say so in every rendering and locale.

The fixture below is small enough to add up by hand: calls on Tuesday 2024-10-08, Monday
10-14 and Tuesday 10-15 (Asia/Shanghai, no daylight saving time: every day has 48 half
hours, and one call is written in UTC). Monday has no call between 09:30 and 10:00, so
Tuesday's 09:30 is compared with a zero-filled 09:30, not with Monday's next interval.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke
from test_engines import postgres_dsn, spark_session  # noqa: F401

from metricflow_lite.spec.project import load_project
from metricflow_lite.warehouse import connect
from metricflow_lite.warehouse.base import fetch_built

PROJECT = """name: intraday_center
timezone: Asia/Shanghai
week_start: monday
target: dev
targets:
  dev: {{type: duckdb, path: '{root}/warehouse.duckdb'}}
  pg: {{type: postgres, dsn_env: MFL_PG_DSN}}
  spark: {{type: spark, master: 'local[2]', warehouse_dir: '{root}/spark'}}
"""
MODEL = """select
    call_id,
    cast(offered_ts as timestamp) as offered_ts,
    cast(handle_seconds as integer) as handle_seconds,
    cast(wait_seconds as integer) as wait_seconds
from {{ source('calls') }}
"""
METRICS = """version: 1
models:
  - name: calls
    label: 来电
    time: offered_ts
    primary_key: call_id
metrics:
  - name: offered_calls
    label: 呼入量
    description: Calls offered.
    model: calls
    agg: count
    format: integer
  - name: answered_in_20
    label: 20秒内接通量
    description: Calls answered within 20 s.
    model: calls
    agg: count
    filter: wait_seconds <= 20
  - name: handle_seconds
    label: 处理总时长
    description: Sum of handle seconds.
    model: calls
    agg: sum
    expr: handle_seconds
  - name: aht
    label: 平均处理时长
    description: Handle seconds per call.
    expr: handle_seconds / offered_calls
    format: duration
  - name: service_level
    label: 服务水平
    description: Share answered within 20 s.
    expr: answered_in_20 / offered_calls
    format: percent
"""
REPORTS = """version: 1
reports:
  - name: intraday
    label: 日内分时报表
    grains: [30min, hour]
    metrics: [offered_calls, aht, service_level]
    compare: [previous_period, same_period_last_week]
  - name: daily
    label: 日报
    grains: [day]
    metrics: [offered_calls]
    compare: [previous_period, same_period_last_week]
"""
# call, offered (local time; t6 in UTC: 10:10 in Shanghai), handle s, wait s
CALLS = """call_id,offered_ts,handle_seconds,wait_seconds
w1,2024-10-08 09:05:00,100,10
w2,2024-10-08 09:20:00,200,30
w3,2024-10-08 09:40:00,300,5
w4,2024-10-08 10:00:00,100,10
w5,2024-10-08 10:05:00,100,10
w6,2024-10-08 10:15:00,100,10
w7,2024-10-08 10:25:00,100,10
y1,2024-10-14 09:10:00,60,5
y2,2024-10-14 10:00:00,90,40
y3,2024-10-14 10:10:00,90,40
y4,2024-10-14 10:20:00,90,10
t1,2024-10-15 09:00:00,120,5
t2,2024-10-15 09:15:00,180,25
t3,2024-10-15 09:29:59,240,10
t4,2024-10-15 09:30:00,100,0
t5,2024-10-15 09:59:59,300,50
t6,2024-10-15 02:10:00Z,200,10
"""

ENGINES = [
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]
TARGET_OF = {"duckdb": "dev", "postgres": "pg", "spark": "spark"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("intraday")
    files = {
        "metricflow_lite.yml": PROJECT.format(root=root),
        "models/source/calls.sql": MODEL,
        "metrics/calls.yml": METRICS,
        "reports/workforce.yml": REPORTS,
        "seeds/calls.csv": CALLS,
        "seeds/calls.yml": "columns: {offered_ts: TIMESTAMP}\n",
    }
    for name, text in files.items():
        path = root / "intraday" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = invoke("run", "--project-dir", str(root / "intraday"))
    assert result.exit_code == 0, result.output
    yield root / "intraday"
    shutil.rmtree(root, ignore_errors=True)


BUILT: set[str] = {"duckdb"}


def view_rows(project: Path, engine: str, view: str) -> dict[str, dict[str, Any]]:
    """A view's rows by period start ('2024-10-15 09:30')."""
    target = TARGET_OF[engine]
    if engine not in BUILT:
        for command in ("seed", "build"):
            result = invoke(command, "--project-dir", str(project), "--target", target)
            assert result.exit_code == 0, result.output
        BUILT.add(engine)
    with connect(load_project(project), target) as warehouse:
        result = fetch_built(warehouse, f"SELECT * FROM app.{view}")
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    period = result.columns[0]
    return {_start(r[period]): r for r in rows}


def _start(value: object) -> str:
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:16]


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_half_hours_compare_with_yesterday_and_last_week(
    project: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    if engine != "duckdb":
        request.getfixturevalue("postgres_dsn" if engine == "postgres" else "spark_session")
    rows = view_rows(project, engine, "intraday_30min")
    nine = rows["2024-10-15 09:00"]
    # t1 t2 t3: 3 calls, 540 s handled, 2 within 20 s. Monday 09:00: y1 (60 s, 5 s wait).
    # Tuesday a week earlier: w1 w2 (100 + 200 s, one of two within 20 s).
    assert (nine["offered_calls"], nine["offered_calls_prev"]) == (3, 1)
    assert nine["offered_calls_change"] == approx((3 - 1) / 1)
    assert (nine["aht"], nine["aht_prev"]) == (approx(180), approx(60))
    assert nine["aht_change"] == approx((180 - 60) / 60)
    assert nine["service_level_change"] == approx(2 / 3 - 1)  # a rate changes in points
    assert nine["offered_calls_prev_week"] == 2
    assert nine["offered_calls_change_week"] == approx((3 - 2) / 2)
    assert nine["aht_prev_week"] == approx(150)
    assert nine["aht_change_week"] == approx((180 - 150) / 150)
    assert nine["service_level_change_week"] == approx(2 / 3 - 1 / 2)
    # 09:30: t4 t5. Monday had no call at 09:30: 0 (zero-filled), not Monday's 10:00 (3 calls);
    # no change from 0 and no AHT of no calls. A week earlier: w3 (300 s, within 20 s).
    half = rows["2024-10-15 09:30"]
    assert (half["offered_calls"], half["offered_calls_prev"]) == (2, 0)
    assert half["offered_calls_change"] is None
    assert half["aht_prev"] is None and half["aht_change"] is None
    assert half["service_level_prev"] is None and half["service_level_change"] is None
    assert (half["offered_calls_prev_week"], half["aht_prev_week"]) == (1, approx(300))
    assert half["offered_calls_change_week"] == approx(1.0)
    assert half["aht_change_week"] == approx((200 - 300) / 300)
    assert half["service_level_change_week"] == approx(1 / 2 - 1)
    # 10:00: t6, written in UTC (02:10Z), is 10:10 in Shanghai. Monday: y2 y3 y4 (90 s each,
    # one within 20 s); a week earlier w4-w7 (100 s each, all within 20 s).
    ten = rows["2024-10-15 10:00"]
    assert (ten["offered_calls"], ten["offered_calls_prev"], ten["offered_calls_prev_week"]) == (
        1,
        3,
        4,
    )
    assert ten["offered_calls_change"] == approx((1 - 3) / 3)
    assert ten["aht_change"] == approx((200 - 90) / 90)
    assert ten["service_level_change"] == approx(1 - 1 / 3)
    assert ten["offered_calls_change_week"] == approx((1 - 4) / 4)
    assert ten["aht_change_week"] == approx((200 - 100) / 100)
    assert ten["service_level_change_week"] == approx(0)
    # Monday 09:30 itself is a zero-filled row; the Sunday before had none either, and a week
    # before it there is no data at all (10-07 is before the first call): NULL, not 0.
    quiet = rows["2024-10-14 09:30"]
    assert (quiet["offered_calls"], quiet["offered_calls_prev"]) == (0, 0)
    assert quiet["offered_calls_prev_week"] is None
    # No daylight saving time in Shanghai: every whole day has 48 half hours, and each row's
    # previous day is the same wall-clock time (1 day back is 48 intervals back).
    monday = [k for k in rows if k.startswith("2024-10-14")]
    assert len(monday) == 48 and monday[0].endswith("00:00") and monday[-1].endswith("23:30")
    starts = sorted(rows)
    for i, start in enumerate(starts):
        if i >= 48:
            assert rows[start]["offered_calls_prev"] == rows[starts[i - 48]]["offered_calls"]
        if i >= 336:
            assert rows[start]["offered_calls_prev_week"] == rows[starts[i - 336]]["offered_calls"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hours_and_days_compare_the_same_way(
    project: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    if engine != "duckdb":
        request.getfixturevalue("postgres_dsn" if engine == "postgres" else "spark_session")
    hours = view_rows(project, engine, "intraday_hour")
    # 09:00-10:00 on 10-15: t1-t5; Monday: y1; Tuesday a week earlier: w1 w2 w3.
    nine = hours["2024-10-15 09:00"]
    assert (nine["offered_calls"], nine["offered_calls_prev"], nine["offered_calls_prev_week"]) == (
        5,
        1,
        3,
    )
    assert nine["aht_prev"] == approx(60) and nine["aht_prev_week"] == approx(200)
    days = view_rows(project, engine, "daily_day")
    # A day against the day before, and against the same weekday a week earlier.
    tuesday = days["2024-10-15"]
    assert (tuesday["offered_calls_prev"], tuesday["offered_calls_prev_week"]) == (4, 7)
    assert tuesday["offered_calls_change"] == approx((6 - 4) / 4)
    assert tuesday["offered_calls_change_week"] == approx((6 - 7) / 7)
    assert days["2024-10-14"]["offered_calls_prev"] == 0  # Sunday, no calls
    assert days["2024-10-14"]["offered_calls_prev_week"] is None  # before the data


def report(project: Path, *args: str) -> str:
    result = invoke("report", "intraday", "--project-dir", str(project), *args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_terminal_report_names_the_comparisons(project: Path) -> None:
    text = report(project, "--grain", "30min", "--date", "2024-10-15", "--format", "md")
    assert "呼入量 较昨日" in text and "呼入量 较上周" in text
    assert "环比" not in text  # an interval is not compared with the interval before it
    # the day is in progress (data through 10:10): intervals are compared whole, nothing is cut
    assert "当日进行中, 截至 2024-10-15 10:10; 各时段与对比日的同一时段整段比较" in text
    assert "相同时长" not in text
    line = next(row for row in text.splitlines() if row.startswith("| 09:30"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:4] == ["09:30", "2", "-", "+100.0%"]  # 2 calls; from 0: no change; from 1


def test_html_and_excel_name_the_comparisons_in_each_locale(project: Path, tmp_path: Path) -> None:
    import openpyxl

    html = tmp_path / "intraday.html"
    report(
        project, "--grain", "30min", "--date", "2024-10-15", "--format", "html", "--out", str(html)
    )
    page = html.read_text(encoding="utf-8")
    assert ">较昨日</th>" in page and ">较上周</th>" in page and "环比" not in page
    xlsx = tmp_path / "intraday.xlsx"
    report(project, "--date", "2024-10-15", "--format", "xlsx", "--out", str(xlsx))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    summary = [tuple(c.value for c in row) for row in book.worksheets[0].iter_rows()]
    assert ("指标", "本期", "目标", "达标", "较昨日", "同比", "较上周") in summary
    header = [c.value for c in next(book.worksheets[1].iter_rows())]
    assert "呼入量 昨日同时段" in header and "呼入量 上周同时段" in header
    assert "呼入量 较昨日" in header and "呼入量 较上周" in header
    config = project / "metricflow_lite.yml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("timezone:", "locale: en\ntimezone:"), encoding="utf-8")
    try:
        text = report(project, "--grain", "30min", "--date", "2024-10-15", "--format", "md")
    finally:
        config.write_text(original, encoding="utf-8")
    assert "vs yesterday" in text and "vs last week" in text and "较" not in text


def test_the_charts_of_one_day_of_intervals_name_the_time_alone(
    project: Path, tmp_path: Path
) -> None:
    """The page shows one day; its x axis repeated the date at every tick (2024-10-15 09:00),
    where the table beside it reads 09:00."""
    html = tmp_path / "intraday.html"
    for grain in ("30min", "hour"):
        report(
            project, "--grain", grain, "--date", "2024-10-15", "--format", "html", "--out",
            str(html),
        )  # fmt: skip
        ticks = re.findall(r'class="tick">([^<]*)</text>', html.read_text(encoding="utf-8"))
        times = [t for t in ticks if re.fullmatch(r"\d\d:\d\d", t)]
        assert times, ticks
        assert not [t for t in ticks if t.startswith("2024-")], ticks
