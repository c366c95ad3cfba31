"""Interval grains (15min joins 30min, hour, day ...) and spans, on tests/fixtures/hours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, invoke

from metricflow_lite.spec.model import Grain


@pytest.fixture(scope="module")
def hours_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("intervals") / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    return project


def query_rows(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_15min_is_finer_than_30min_hour_and_day() -> None:
    assert Grain("15min") is Grain.MIN15 and Grain.MIN15.intraday
    for coarser in (Grain.MIN30, Grain.HOUR, Grain.DAY, Grain.WEEK, Grain.MONTH):
        assert coarser.covers(Grain.MIN15)
    assert not Grain.MIN15.covers(Grain.MIN30)


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        # calls at 09:02, 09:10, 09:29:59, 09:45 and 10:31 on 2024-10-14
        ("15min", {"09:00": 2, "09:15": 1, "09:45": 1, "10:30": 1}),
        ("30min", {"09:00": 3, "09:30": 1, "10:30": 1}),
        ("hour", {"09:00": 4, "10:00": 1}),
    ],
    ids=["15min", "30min", "hour"],
)
def test_calls_per_interval(hours_built: Path, grain: str, expected: dict[str, int]) -> None:
    rows = query_rows(hours_built, "--metrics", "offered_calls", "--grain", grain)
    got = {str(r[grain])[11:16]: r["offered_calls"] for r in rows}
    assert got == expected


# logins: a1 08:50-17:10 on Mon 10-14 and 09:10:30-09:20 on Tue; a2 22:00 Mon - 07:00 Tue
# (across midnight); a3 never logged out (NULL: 0 s); a4 logged out before logging in (0 s).
def test_span_seconds_per_day_count_where_the_span_is(hours_built: Path) -> None:
    rows = query_rows(
        hours_built, "--metrics", "logged_in_seconds,a1_logged_in_seconds,agents_logged_in",
        "--grain", "day",
    )  # fmt: skip
    # Mon: a1 8 h 20 min + a2 22:00-24:00; Tue: a2 00:00-07:00 + a1 9 min 30 s
    assert rows == [
        {
            "day": "2024-10-14",
            "logged_in_seconds": 30000 + 7200,
            "a1_logged_in_seconds": 30000,
            "agents_logged_in": 37200 / 86400,
        },
        {
            "day": "2024-10-15",
            "logged_in_seconds": 25200 + 570,
            "a1_logged_in_seconds": 570,
            "agents_logged_in": 25770 / 86400,
        },
    ]


def test_span_seconds_per_half_hour(hours_built: Path) -> None:
    rows = query_rows(hours_built, "--metrics", "logged_in_seconds", "--grain", "30min")
    got = {str(r["30min"]): r["logged_in_seconds"] for r in rows}
    assert got["2024-10-14 08:30"] == 600  # a1 from 08:50
    assert got["2024-10-14 09:00"] == 1800
    assert got["2024-10-14 17:00"] == 600  # a1 until 17:10
    assert got["2024-10-14 23:30"] == 1800 and got["2024-10-15 00:00"] == 1800  # a2 at midnight
    assert got["2024-10-15 06:30"] == 1800 and "2024-10-15 07:00" not in got
    assert got["2024-10-15 09:00"] == 570  # 09:10:30-09:20:00
    # a1 has 17 half hours (08:30..16:30) and a2 18 (22:00..06:30)
    assert len(got) == 17 + 1 + 18 + 1
    assert sum(got.values()) == 30000 + 7200 + 25200 + 570


def test_span_seconds_quarter_hours_add_up_to_the_hour(hours_built: Path) -> None:
    quarters = query_rows(hours_built, "--metrics", "logged_in_seconds", "--grain", "15min")
    hours = query_rows(hours_built, "--metrics", "logged_in_seconds", "--grain", "hour")
    by_hour: dict[str, int] = {}
    for row in quarters:
        hour = str(row["15min"])[:13]
        by_hour[hour] = by_hour.get(hour, 0) + int(str(row["logged_in_seconds"]))
    assert {str(r["hour"])[:13]: r["logged_in_seconds"] for r in hours} == by_hour
    assert by_hour["2024-10-14 08"] == 600


def test_mean_agents_logged_in_over_a_date_range_by_agent(hours_built: Path) -> None:
    rows = query_rows(
        hours_built, "--metrics", "logged_in_seconds,agents_logged_in", "--by", "agent_id",
        "--start", "2024-10-14", "--end", "2024-10-14",
    )  # fmt: skip
    # only Monday's seconds: a2's night counts 22:00-24:00 here, a3 and a4 count 0 s
    assert rows == [
        {"agent_id": "a1", "logged_in_seconds": 30000, "agents_logged_in": 30000 / 86400},
        {"agent_id": "a2", "logged_in_seconds": 7200, "agents_logged_in": 7200 / 86400},
    ]


def test_occupancy_from_handle_time_over_span_seconds(hours_built: Path) -> None:
    rows = query_rows(hours_built, "--metrics", "occupancy", "--grain", "30min")
    got = {str(r["30min"])[11:]: r["occupancy"] for r in rows if str(r["30min"]) < "2024-10-14 10"}
    # 09:00: 120 + 180 + 240 s handled over a1's 1800 s; 09:30: 1800 s over 1800 s
    assert got == {"08:30": None, "09:00": 540 / 1800, "09:30": 1.0}


def test_validate_a_span_column_that_is_not_a_timestamp(tmp_path: Path) -> None:
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    metrics = project / "metrics" / "logins.yml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text.replace("until: logout_ts}", "until: agent_id}", 1), encoding="utf-8")
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "metrics/logins.yml:14:11: error E277: span column 'agent_id' of metric" in result.output
    assert "is VARCHAR, not a TIMESTAMP" in result.output


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("    span: {from: login_ts, until: logout_ts}\n    format", "    format",
         "needs a 'span'"),
        ("agg: seconds\n    span: {from: login_ts, until: logout_ts}\n    format",
         "agg: sum\n    expr: 1\n    span: {from: login_ts, until: logout_ts}\n    format",
         "only applies to agg seconds"),
        ("{from: login_ts, until: logout_ts}\n    format", "{from: login_ts}\n    format",
         "needs 'until:'"),
        # was accepted and ignored: the seconds stay where the span is
        ("agg: seconds\n", "agg: seconds\n    time: logout_ts\n", "takes no 'time'"),
    ],
    ids=["seconds_without_span", "span_without_seconds", "span_without_until", "time_column"],
)  # fmt: skip
def test_span_mistakes(tmp_path: Path, old: str, new: str, words: str) -> None:
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    metrics = project / "metrics" / "logins.yml"
    text = metrics.read_text(encoding="utf-8")
    assert old in text
    metrics.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "error E277" in result.output and words in result.output, result.output


def test_metric_unit_tests_read_calendars_and_span_tables(tmp_path: Path) -> None:
    """mfl test builds the calendar and span tables from the given rows (fixtures/hours)."""
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    result = invoke("test", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert "PASS business_seconds_over_a_weekend" in result.output
    assert "PASS span_seconds_by_half_hour" in result.output
    tests = project / "metrics" / "tests" / "hours.yml"
    tests.write_text(
        tests.read_text(encoding="utf-8").replace(
            "logged_in_seconds: 1800}", "logged_in_seconds: 1799}"
        ),
        encoding="utf-8",
    )
    assert invoke("test", "--project-dir", str(project)).exit_code == 1


def test_validate_an_instant_where_a_local_time_belongs(tmp_path: Path) -> None:
    """A TIMESTAMP WITH TIME ZONE is cut into days and intervals in the engine session's time
    zone (the machine's on DuckDB, UTC on Spark), not the project's: a login at 23:50 UTC
    counted on the UTC day, where Asia/Shanghai has 07:50 the next morning."""
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    for model, columns in (("logins", ("login_ts", "logout_ts")), ("tickets", ("created_ts",))):
        sql = project / "models" / "source" / f"{model}.sql"
        text = sql.read_text(encoding="utf-8")
        for column in columns:
            old = f"cast({column} as timestamp)"
            assert old in text
            text = text.replace(old, f"cast({column} || '+00:00' as timestamptz)")
        sql.write_text(text, encoding="utf-8")
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1, result.output
    zoned = "is TIMESTAMP WITH TIME ZONE: an instant"
    for head in (
        "metrics/logins.yml:5:11: error E283: time column 'login_ts' of model 'logins'",
        "metrics/logins.yml:14:11: error E277: span column 'login_ts' of metric",
        "metrics/logins.yml:14:11: error E277: span column 'logout_ts' of metric",
        "metrics/tickets.yml:19:28: error E275: created_ts in business_seconds in expr of",
        "metrics/tickets.yml:5:11: error E283: time column 'created_ts' of model 'tickets'",
    ):
        assert any(
            line.startswith(head) and zoned in line for line in result.output.splitlines()
        ), (
            head,
            result.output,
        )
    assert "timezone('Asia/Shanghai', login_ts) AS login_ts" in result.output


def test_an_interval_without_rows_has_its_formulas_value(tmp_path: Path) -> None:
    """The time spine adds 07:00-08:30 on 10-15 (a2 logged out at 07:00, a1 logged in at 09:10,
    no calls): 0 s logged in, so 0 agents logged in (0 s / 1800 s), and no calls, so 0 agents
    required (DESIGN-2 §5). Both were NULL, next to the 0 calls of the same row."""
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    (project / "reports").mkdir()
    (project / "reports" / "intraday.yml").write_text(
        "version: 1\nreports:\n  - name: intraday\n    label: 日内\n    grains: [30min]\n"
        "    metrics: [offered_calls, logged_in_seconds, agents_logged_in, agents_required,"
        " aht_seconds]\n",
        encoding="utf-8",
    )
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT strftime(\"30min\", '%H:%M'), offered_calls, logged_in_seconds,"
            " agents_logged_in, agents_required, aht_seconds FROM app.intraday_30min"
            " WHERE CAST(\"30min\" AS DATE) = '2024-10-15' AND \"30min\" < '2024-10-15 09:00'"
            ' ORDER BY "30min"'
        ).fetchall()
    finally:
        con.close()
    # 00:00-07:00: a2 alone, 1800 s a half hour; then nobody until a1 at 09:10
    night = [(f"{h:02d}:{m:02d}", 0, 1800, 1.0, 0, None) for h in range(7) for m in (0, 30)]
    empty = [(t, 0, 0, 0.0, 0, None) for t in ("07:00", "07:30", "08:00", "08:30")]
    assert rows == night + empty


def test_a_span_metrics_data_runs_to_its_last_until(tmp_path: Path) -> None:
    """Without a5's short login on 10-15, the last login is a2's at 22:00 on 10-14, but his
    seconds run to 07:00 on 10-15. Completeness read the logins alone: 10-14 was incomplete
    (data through 22:00) though its seconds are all there, and a query without --grain named
    the range 10-14..10-14 while it summed, and divided by, both days."""
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    logins = project / "seeds" / "logins.csv"
    lines = logins.read_text(encoding="utf-8").splitlines(keepends=True)
    logins.write_text("".join(line for line in lines if not line.startswith("g5,")), "utf-8")
    assert invoke("run", "--project-dir", str(project)).exit_code == 0

    def rows(*args: str) -> list[dict[str, object]]:
        result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
        assert result.exit_code == 0, result.output
        found: list[dict[str, object]] = json.loads(result.stdout)  # the notes go to stderr
        return found

    days = rows("--metrics", "logged_in_seconds", "--grain", "day", "--completeness")
    # 10-14: a1 08:50-17:10 + a2 22:00-24:00; 10-15: a2 00:00-07:00 (a3 and a4 count 0 s)
    assert days == [
        {"day": "2024-10-14", "logged_in_seconds": 30000 + 7200, "is_complete": True},
        {"day": "2024-10-15", "logged_in_seconds": 25200, "is_complete": False},
    ]
    result = invoke(
        "query", "--project-dir", str(project), "--metrics", "logged_in_seconds,agents_logged_in"
    )
    assert result.exit_code == 0, result.output
    assert "note: incomplete range: 2024-10-14..2024-10-15" in result.output
    [row] = rows("--metrics", "agents_logged_in")
    assert row == {"agents_logged_in": (30000 + 7200 + 25200) / (2 * 86400)}
