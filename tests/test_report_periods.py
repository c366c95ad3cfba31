"""Complete periods (DESIGN-2 §2) end to end: data that starts mid-month and ends mid-day.

The project is written here, so every number below is counted by hand from its nine calls.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import copy_fixture, invoke

CALLS = [
    # call_id, channel, offered_ts, abandoned
    ("c01", "hotline", "2024-11-15 09:01:00", 0),  # first call mid-month: November is partial
    ("c02", "hotline", "2024-12-01 10:00:00", 0),
    ("c03", "online", "2024-12-02 10:00:00", 1),
    ("c04", "hotline", "2024-12-03 10:00:00", 0),
    ("c05", "online", "2024-12-20 10:00:00", 0),
    ("c06", "hotline", "2024-12-25 10:00:00", 0),
    ("c07", "hotline", "2025-01-01 10:00:00", 0),
    ("c08", "online", "2025-01-02 11:00:00", 1),
    ("c09", "hotline", "2025-01-13 23:10:00", 0),  # through 23:10: 13 Jan is complete
    ("c10", "hotline", "2025-01-14 07:52:00", 0),  # the data ends mid-day on 14 Jan
]

METRICS = """\
version: 1
models:
  - name: calls
    time: offered_ts
    primary_key: call_id
    dimensions:
      - name: channel
        label: 渠道
        values: {hotline: 热线, online: 在线客服}
metrics:
  - name: offered_calls
    label: 呼入量
    model: calls
    agg: count
    format: integer
  - name: abandoned_calls
    label: 放弃量
    model: calls
    agg: count
    filter: abandoned = 1
    format: integer
  - name: abandonment_rate
    label: 放弃率
    expr: abandoned_calls / offered_calls
    format: percent
    target: {max: 0.4}
    description:
      zh-CN: 放弃的来电占呼入量的比例。
      en: Share of offered calls abandoned.
"""

REPORTS = """\
version: 1
reports:
  - name: channel_daily
    label: 渠道日报
    by: [channel]
    grains: [day, month]
    metrics: [offered_calls, abandonment_rate]
    compare: [previous_period]
  - name: center_intraday
    label: 日内来电
    grains: [30min]
    metrics: [offered_calls]
    compare: [previous_period]
  - name: center_monthly
    label: 中心月报
    grains: [month]
    metrics: [offered_calls, abandonment_rate]
    compare: [previous_period, same_period_last_year]
"""


def write_project(
    root: Path, settings: str = "", calls: list[tuple[str, str, str, int]] = CALLS
) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "models" / "source").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "reports").mkdir()
    (root / "metricflow_lite.yml").write_text(
        "name: periods\ntimezone: Asia/Shanghai\ntarget: duckdb\n" + settings, encoding="utf-8"
    )
    with (root / "seeds" / "calls.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["call_id", "channel", "offered_ts", "abandoned"])
        writer.writerows(calls)
    (root / "models" / "source" / "calls.sql").write_text(
        "select call_id, channel, cast(offered_ts as timestamp) as offered_ts,\n"
        "    cast(abandoned as integer) as abandoned\nfrom {{ source('calls') }}\n",
        encoding="utf-8",
    )
    (root / "metrics" / "calls.yml").write_text(METRICS, encoding="utf-8")
    (root / "reports" / "reports.yml").write_text(REPORTS, encoding="utf-8")
    for step in ("seed", "build"):
        result = invoke(step, "--project-dir", str(root))
        assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("periods") / "p")


def report(project: Path, *args: str) -> str:
    result = invoke("report", "--project-dir", str(project), *args)
    assert result.exit_code == 0, result.output
    return result.output


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_default_day_is_the_latest_complete_one_not_the_partial_last_day(
    project: Path,
) -> None:
    # Data ends 14 Jan 07:52: 14 Jan is partial, 13 Jan (through 23:10) the latest complete day.
    text = report(project, "channel_daily", "--format", "md")
    assert "日 2025-01-13" in text.splitlines()[0]
    # 13 Jan: one hotline call (c09), no online call; 合计 1
    assert "| 热线 | 1 |" in text
    assert "| 在线客服 | 0 |" in text
    assert "| **合计** | **1** |" in text


def test_the_default_month_is_the_latest_complete_one(project: Path) -> None:
    # January is in progress, December is whole, November starts on the 15th (partial).
    text = report(project, "center_monthly", "--format", "md")
    assert "月 2024-12" in text.splitlines()[0]
    assert "| 2024-11\\* | 1 |" in text  # marked partial, and said so under the caption
    assert "未完整周期" in text
    assert "2025-01" not in text.split("\n\n", 2)[2]  # nothing after the period shown


def test_partial_periods_are_marked_in_csv(project: Path) -> None:
    rows = csv_rows(report(project, "center_monthly", "--format", "csv"))
    complete = {r["month"]: r["is_complete"] for r in rows}
    assert complete == {"2024-11-01": "false", "2024-12-01": "true"}


def test_a_month_in_progress_is_compared_like_for_like(project: Path) -> None:
    # Jan 1..13 (the complete days): c07, c08, c09 = 3 calls, 1 abandoned.
    # Dec 1..13: c02, c03, c04 = 3 calls, 1 abandoned: change 0 %, not 4 against Dec's 5 (-20 %).
    text = report(project, "center_monthly", "--date", "2025-01-05", "--format", "csv")
    jan = next(r for r in csv_rows(text) if r["month"] == "2025-01-01")
    # whole numbers, as in the rows that are not cut (never 3.0)
    assert jan["offered_calls"] == "3" and jan["offered_calls_prev"] == "3"
    assert float(jan["offered_calls_change"]) == 0.0
    assert float(jan["abandonment_rate"]) == pytest.approx(1 / 3)
    assert float(jan["abandonment_rate_prev"]) == pytest.approx(1 / 3)
    assert jan["offered_calls_prev_year"] == ""  # Jan 2024 has no data: nothing to compare
    assert jan["is_complete"] == "false"
    md = report(project, "center_monthly", "--date", "2025-01-05", "--format", "md")
    assert "截至 2025-01-14 07:52" in md
    # the note names the comparisons shown: last year has no data, so it is hidden, not cut
    assert (
        "本期进行中, 截至 2025-01-14 07:52; 本期计至 2025-01-13 的完整日, 上期取相同天数比较" in md
    )
    assert "同比: 无可比数据, 已隐藏" in md and "呼入量 同比" not in md


def test_a_day_in_progress_is_compared_with_the_same_hours_of_the_day_before(
    tmp_path: Path,
) -> None:
    # 14 Jan has no whole day yet (data through 07:52). Compared with the whole of 13 Jan, a
    # morning reads as a collapse; it is compared with 13 Jan 00:00-07:52 (07:52 included).
    morning = [
        *CALLS,
        ("c11", "hotline", "2025-01-13 06:00:00", 1),
        ("c12", "hotline", "2025-01-13 07:52:00", 0),  # the same time of day: inside the cut
        ("c13", "online", "2025-01-13 07:53:00", 0),  # a minute later: outside
        ("c14", "online", "2025-01-14 07:00:00", 1),
    ]
    project = write_project(tmp_path / "morning", calls=morning)
    md = report(project, "channel_daily", "--date", "2025-01-14", "--format", "md")
    assert "本期进行中, 截至 2025-01-14 07:52; 上期取相同时长比较" in md
    assert "按整期比较" not in md and "去年同期" not in md
    rows = csv_rows(report(project, "channel_daily", "--date", "2025-01-14", "--format", "csv"))
    today = {r["channel"]: r for r in rows if r["day"] == "2025-01-14"}
    # by hand: today hotline c10 (0 abandoned), online c14 (abandoned); 13 Jan to 07:52
    # hotline c11 (abandoned) and c12, online none (c13 at 07:53 and c09 at 23:10 are later)
    hotline, online = today["hotline"], today["online"]
    assert (hotline["offered_calls"], hotline["offered_calls_prev"]) == ("1", "2")
    assert float(hotline["offered_calls_change"]) == pytest.approx(-0.5)
    assert float(hotline["abandonment_rate"]) == 0.0
    assert float(hotline["abandonment_rate_prev"]) == pytest.approx(0.5)
    assert float(hotline["abandonment_rate_change"]) == pytest.approx(-0.5)
    assert (online["offered_calls"], online["offered_calls_prev"]) == ("1", "0")
    assert online["offered_calls_change"] == ""  # against 0: no relative change
    assert online["abandonment_rate_prev"] == ""  # no call: no rate
    # the 合计 row: 2 calls, 1 abandoned, against 2 and 1 by 07:52 the day before: no change
    # (over the whole of 13 Jan it read 2 against 4 calls, -50 %); 50 % misses the 40 % target
    total = next(line for line in md.splitlines() if line.startswith("| **合计**"))
    assert total.startswith("| **合计** | **2** | **0.0%** | **50.0% ✗** | **0.0 pp** |"), total


def test_a_day_in_progress_of_span_seconds_is_not_compared_with_a_whole_day(
    tmp_path: Path,
) -> None:
    # fixtures/hours: logins through 10-15 09:20 (g5's logout). Seconds of a login do not stop
    # at 09:20 of the day before, so 10-15 is shown without a comparison, never against all
    # of 10-14: g2's 00:00-07:00 (25,200 s) and g5's 09:10:30-09:20 (570 s), g3 never ends (0 s)
    project = copy_fixture("hours", tmp_path)
    (project / "reports").mkdir(exist_ok=True)
    (project / "reports" / "logins.yml").write_text(
        "version: 1\nreports:\n  - {name: logins_daily, grains: [day],"
        " metrics: [logged_in_seconds], compare: [previous_period]}\n",
        encoding="utf-8",
    )
    for step in ("seed", "build"):
        assert invoke(step, "--project-dir", str(project)).exit_code == 0
    md = report(project, "logins_daily", "--date", "2024-10-15", "--format", "md")
    assert "截至 2024-10-15 09:20" in md
    assert "比较" not in md.split("|")[0], md  # neither cut nor whole: not compared
    rows = csv_rows(report(project, "logins_daily", "--date", "2024-10-15", "--format", "csv"))
    day = next(r for r in rows if r["day"] == "2024-10-15")
    assert float(day["logged_in_seconds"]) == 25_770
    assert day["logged_in_seconds_prev"] == "" and day["logged_in_seconds_change"] == ""


def test_a_period_in_progress_without_comparisons_says_where_its_values_stop(
    tmp_path: Path,
) -> None:
    # January through 14 Jan 07:52 counts its whole days, 1..13 Jan (c07, c08, c09: 3 calls,
    # not c10 of the 14th): the note must say so, not only "截至 2025-01-14 07:52"
    project = write_project(tmp_path / "plain")
    (project / "reports" / "reports.yml").write_text(
        "version: 1\nreports:\n  - {name: center_plain, grains: [month],"
        " metrics: [offered_calls]}\n",
        encoding="utf-8",
    )
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    md = report(project, "center_plain", "--date", "2025-01-05", "--format", "md")
    assert "本期进行中, 截至 2025-01-14 07:52; 本期计至 2025-01-13 的完整日" in md, md
    rows = csv_rows(report(project, "center_plain", "--date", "2025-01-05", "--format", "csv"))
    assert next(r for r in rows if r["month"] == "2025-01-01")["offered_calls"] == "3"


def test_a_month_in_progress_by_channel_cuts_each_member_and_the_total(project: Path) -> None:
    # hotline Jan 1..13: c07, c09 = 2; Dec 1..13: c02, c04 = 2. online: c08 = 1 against c03 = 1.
    text = report(project, "channel_daily", "--grain", "month", "--date", "2025-01-05")
    rows = {
        r["channel"]: (r["offered_calls"], r["offered_calls_prev"])
        for r in csv_rows(
            report(
                project,
                "channel_daily",
                "--grain",
                "month",
                "--date",
                "2025-01-05",
                "--format",
                "csv",
            )
        )
        if r["month"] == "2025-01-01"
    }
    assert rows == {"hotline": ("2", "2"), "online": ("1", "1"), "合计": ("3", "3")}
    assert "截至 2025-01-14 07:52" in text


def test_a_member_without_calls_in_the_cut_days_counts_0(tmp_path: Path) -> None:
    """Without c08, online has no call on Jan 1..13: its cut count is 0, as the view gives a
    member without rows, not empty (the cut took a member missing from its rows as unknown);
    Dec 1..13 has c03. The abandonment rate of no calls stays empty."""
    calls = [c for c in CALLS if c[0] != "c08"]
    root = write_project(tmp_path / "p", calls=calls)
    text = report(
        root, "channel_daily", "--grain", "month", "--date", "2025-01-05", "--format", "csv"
    )
    online = next(
        r for r in csv_rows(text) if r["month"] == "2025-01-01" and r["channel"] == "online"
    )
    assert (online["offered_calls"], online["offered_calls_prev"]) == ("0", "1")
    assert float(online["offered_calls_change"]) == -1.0
    assert online["abandonment_rate"] == ""


def test_csv_keeps_codes_and_the_table_shows_value_labels(project: Path) -> None:
    rows = csv_rows(report(project, "channel_daily", "--format", "csv"))
    assert {r["channel"] for r in rows} == {"hotline", "online", "合计"}
    table = invoke(
        "query",
        "--project-dir",
        str(project),
        "--metrics",
        "offered_calls",
        "--by",
        "channel",
    )
    assert table.exit_code == 0, table.output
    assert "热线" in table.output and "hotline" not in table.output
    as_csv = invoke(
        "query",
        "--project-dir",
        str(project),
        "--metrics",
        "offered_calls",
        "--by",
        "channel",
        "--format",
        "csv",
    )
    assert "hotline" in as_csv.output and "热线" not in as_csv.output


@pytest.mark.parametrize(
    "where", ["channel = '热线'", "channel in ('hotline', '在线客服')"], ids=["equals", "in"]
)
def test_a_value_label_in_where_gets_did_you_mean_the_code(project: Path, where: str) -> None:
    # the table shows 热线; --where compares the code, so '热线' would match no call (0)
    result = invoke(
        "query", "--project-dir", str(project), "--metrics", "offered_calls", "--where", where
    )
    assert result.exit_code == 1, result.output
    label, code = ("热线", "hotline") if "热线" in where else ("在线客服", "online")
    assert f"error E224: '{label}' is the label of '{code}' in dimension 'channel'" in (
        result.output
    )
    assert f"did you mean '{code}'?" in result.output


def test_query_marks_incomplete_periods_and_names_them_on_stderr(project: Path) -> None:
    args = ("query", "--project-dir", str(project), "--metrics", "offered_calls")
    result = invoke(*args, "--grain", "month")
    assert result.exit_code == 0, result.output
    assert "2024-11-01*" in result.stdout and "2024-12-01 " in result.stdout
    assert "note: incomplete month: 2024-11-01, 2025-01-01" in result.stderr
    as_json = invoke(*args, "--grain", "month", "--format", "json", "--completeness")
    assert '"is_complete": false' in as_json.stdout and '"is_complete": true' in as_json.stdout
    plain = invoke(*args, "--grain", "month", "--format", "csv")
    assert "is_complete" not in plain.stdout


@pytest.mark.parametrize(
    ("span", "offered", "incomplete"),
    [
        # by hand from CALLS: the data runs from 15 Nov 09:01 to 14 Jan 07:52
        ((), 10, "2024-11-15..2025-01-14"),  # the data's own range ends mid-day
        (("--end", "2025-01-13"), 9, None),  # 13 Jan is whole (23:10 and the next morning)
        (("--start", "2024-12-01", "--end", "2025-01-13"), 8, None),
        (("--start", "2024-11-01", "--end", "2024-12-31"), 6, "2024-11-01..2024-12-31"),
        (("--start", "2025-01-01"), 4, "2025-01-01..2025-01-14"),
    ],
)
def test_a_query_without_a_grain_says_whether_its_range_is_complete(
    project: Path, span: tuple[str, ...], offered: int, incomplete: str | None
) -> None:
    # Without --grain the period is the whole range: a total over a range the data does not
    # cover (it starts 15 Nov, ends 14 Jan 07:52) must not read as a complete one.
    args = ("query", "--project-dir", str(project), "--metrics", "offered_calls", *span)
    note = f"note: incomplete range: {incomplete}" if incomplete else None
    for _ in range(2):  # the second run answers from target/'s cached plan
        table = invoke(*args)
        assert table.exit_code == 0, table.output
        assert f"{offered:,}" in table.stdout
        assert (note in table.stderr) if note else ("incomplete" not in table.stderr)
        as_csv = invoke(*args, "--format", "csv", "--completeness")
        assert as_csv.exit_code == 0, as_csv.output
        rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
        assert rows == [
            {"offered_calls": str(offered), "is_complete": "false" if incomplete else "true"}
        ]
        assert "is_complete" not in invoke(*args, "--format", "csv").stdout


def test_the_range_of_a_query_without_a_grain_by_hand() -> None:
    from metricflow_lite.periods import model_bounds, span_complete, span_days, span_label

    hour = dt.timedelta(hours=1)
    daily = model_bounds("schedule", dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert daily is not None  # a DATE column covers its last day whole
    assert span_days((None, None), [daily]) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert span_complete((None, None), [daily], hour)
    assert not span_complete((None, dt.date(2024, 2, 1)), [daily], hour)
    # a start after the data's end is a range of that one day, which no row covers
    after = (dt.date(2024, 3, 1), None)
    assert span_days(after, [daily]) == (dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    assert not span_complete(after, [daily], hour)
    # two models: the range starts with the earlier one, so the later one does not cover it
    calls = model_bounds("calls", dt.datetime(2024, 1, 10, 8), dt.datetime(2024, 1, 31, 23, 30))
    assert calls is not None
    assert span_label((None, None), [daily, calls]) == "2024-01-01..2024-01-31"
    assert not span_complete((None, None), [daily, calls], hour)
    assert span_complete((dt.date(2024, 1, 10), None), [daily, calls], hour)
    # no rows at all: nothing covers the range, whatever it is
    assert not span_complete((dt.date(2024, 1, 1), dt.date(2024, 1, 2)), [], hour)
    assert span_label((None, dt.date(2024, 1, 2)), []) == "..2024-01-02"


def test_english_locale_and_its_descriptions(tmp_path: Path) -> None:
    project = write_project(tmp_path / "en", "locale: en\n")
    text = report(project, "channel_daily", "--format", "md")
    assert "day 2025-01-13" in text.splitlines()[0]
    assert "| **Total** | **1** |" in text
    assert "环比" not in text and "合计" not in text
    html = report(project, "channel_daily", "--format", "html")
    assert "Share of offered calls abandoned." in html and "放弃的来电" not in html
    zh = report(write_project(tmp_path / "zh"), "channel_daily", "--format", "html")
    assert "放弃的来电占呼入量的比例。" in zh


def test_complete_grace_makes_an_early_closing_day_complete(tmp_path: Path) -> None:
    # A center that closes at 21:00: the data ends 13 Jan 21:00. With the default hour of grace
    # 13 Jan is partial (21:00 < 24:00 - 1 h), so the report shows 12 Jan; with 3 h it is whole.
    early = [*CALLS[:8], ("c09", "hotline", "2025-01-13 21:00:00", 0)]
    default = write_project(tmp_path / "default", calls=early)
    assert "日 2025-01-12" in report(default, "channel_daily", "--format", "md").splitlines()[0]
    closing = write_project(tmp_path / "closing", "complete_grace: 3h\n", calls=early)
    text = report(closing, "channel_daily", "--format", "md")
    assert text.splitlines()[0] == "### 渠道日报 (channel_daily) - 日 2025-01-13"
    # whole, so not "in progress through 21:00" with its comparisons "cut" to the whole day
    assert "进行中" not in text and "截至" not in text, text
    # 13 Jan: c09 against 12 Jan's none; the month, in progress, is still cut like for like
    assert "| 热线 | 1 | - |" in text
    month = report(closing, "channel_daily", "--grain", "month", "--date", "2025-01-13")
    assert "本期进行中, 截至 2025-01-13 21:00; 本期计至 2025-01-13 的完整日" in month


def test_an_interval_report_renders_one_whole_day_of_intervals(project: Path) -> None:
    # #20: `grains: [30min]` rendered "无数据"; the default is the latest complete day (13 Jan),
    # all 48 intervals in the order of the day, the 23:00 interval holding c09 (23:10).
    text = report(project, "center_intraday", "--format", "md")
    assert "30分钟 2025-01-13" in text.splitlines()[0]
    rows = [line for line in text.splitlines() if line.startswith("| ") and ":" in line[:8]]
    assert len(rows) == 48
    assert rows[0].startswith("| 00:00 | 0 |") and rows[-1].startswith("| 23:30 | 0 |")
    assert "| 23:00 | 1 |" in text
    assert "无数据" not in text
    html = report(project, "center_intraday", "--format", "html")
    assert html.count("<tr>") >= 48


def test_the_views_is_complete_agrees_with_the_rule(project: Path) -> None:
    """app.<report>_<grain>.is_complete (SQL) and compile/periods.is_complete (the rule that picks
    the default period) say the same for every period of every view."""
    import duckdb

    from metricflow_lite.compile.periods import DataBounds, is_complete
    from metricflow_lite.spec.model import Grain

    bounds = (
        DataBounds("calls", dt.datetime(2024, 11, 15, 9, 1), dt.datetime(2025, 1, 14, 7, 52)),
    )
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        for view, grain in (
            ("channel_daily_day", Grain.DAY),
            ("channel_daily_month_total", Grain.MONTH),
            ("center_monthly_month", Grain.MONTH),
            ("center_intraday_30min", Grain.MIN30),
        ):
            rows = con.execute(f'select "{grain.value}", is_complete from app.{view}').fetchall()
            assert rows, view
            for start, flag in rows:
                expected = is_complete(start, grain, bounds, dt.timedelta(hours=1))
                assert flag is expected, (view, start)
        days = dict(
            con.execute("select day, is_complete from app.channel_daily_day_total").fetchall()
        )
    finally:
        con.close()
    # by hand: 15 Nov (first call 09:01) complete, 13 Jan (through 23:10 and on) complete,
    # 14 Jan (data ends 07:52) not
    assert days[dt.date(2024, 11, 15)] and days[dt.date(2025, 1, 13)]
    assert not days[dt.date(2025, 1, 14)]


def test_a_week_in_progress_is_compared_with_the_week_52_weeks_earlier(tmp_path: Path) -> None:
    # The week of Mon 13 Jan 2025 is in progress (data through 14 Jan 07:52): its whole day,
    # 13 Jan (c09), against the first day of the same week last year. The views take that
    # week 52 weeks back (Mon 15 Jan 2024: 3 calls); the cut took the week holding 13 Jan 2024
    # (a Saturday: the week of 8 Jan, 1 call), so 同比 read 0.0% instead of -66.7%.
    last_year = [
        ("y1", "hotline", "2024-01-08 10:00:00", 0),
        ("y2", "hotline", "2024-01-15 10:00:00", 0),
        ("y3", "hotline", "2024-01-15 11:00:00", 0),
        ("y4", "online", "2024-01-15 12:00:00", 1),
    ]
    root = write_project(tmp_path / "p", calls=[*last_year, *CALLS])
    (root / "reports" / "weekly.yml").write_text(
        "version: 1\nreports:\n  - name: center_weekly\n    label: 中心周报\n"
        "    grains: [week]\n    metrics: [offered_calls]\n"
        "    compare: [previous_period, same_period_last_year]\n",
        encoding="utf-8",
    )
    assert invoke("build", "--project-dir", str(root)).exit_code == 0
    rows = csv_rows(report(root, "center_weekly", "--date", "2025-01-13", "--format", "csv"))
    week = next(r for r in rows if r["week"] == "2025-01-13")
    assert (week["offered_calls"], week["offered_calls_prev_year"]) == ("1", "3")
    assert float(week["offered_calls_change_year"]) == pytest.approx(1 / 3 - 1)
    # a whole week is compared 52 weeks back too (the view): 15 Jan 2024 for 13 Jan 2025
    whole = next(r for r in rows if r["week"] == "2025-01-06")
    assert whole["offered_calls_prev_year"] == "1"  # 8 Jan 2024: y1
