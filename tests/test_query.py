"""Numbers end to end on the tiny fixtures, computed by hand in each test.

tiny/seeds/calls.csv, first legs (leg_seq = 1) per day:
  Mon 2024-12-30 queue A: 8 offered, 3 abandoned; 6 answered legs (c01 has 2), handle 1700 s
  Tue 2024-12-31 queue B: 4 offered, 1 abandoned; answered legs 3, handle 1100 s
  Wed 2025-01-01 queue A: 2 offered, 0 abandoned; answered legs 2, handle 300 s
  Mon 2025-01-06: queue A 1 offered (answered, 240 s); queue NULL 1 offered, abandoned
The week of 2024-12-30 straddles a month and a year end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_fixture, invoke, seed_project


def query(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_weekly_ratio_is_sum_over_sum_not_mean_of_days(tiny_project: Path) -> None:
    rows = query(
        tiny_project,
        "--metrics",
        "abandoned_calls,offered_calls,abandonment_rate",
        "--grain",
        "week",
    )
    week = rows[0]
    assert week["week"] == "2024-12-30"
    assert (week["abandoned_calls"], week["offered_calls"]) == (3 + 1 + 0, 8 + 4 + 2)
    assert week["abandonment_rate"] == pytest.approx(4 / 14)
    mean_of_days = (3 / 8 + 1 / 4 + 0 / 2) / 3
    assert week["abandonment_rate"] != pytest.approx(mean_of_days)
    assert rows[1] == {
        "week": "2025-01-06",
        "abandoned_calls": 1,
        "offered_calls": 2,
        "abandonment_rate": 0.5,
    }


def test_daily_rates(tiny_project: Path) -> None:
    rows = query(tiny_project, "--metrics", "abandonment_rate", "--grain", "day")
    assert [(r["day"], r["abandonment_rate"]) for r in rows] == [
        ("2024-12-30", 3 / 8),
        ("2024-12-31", 1 / 4),
        ("2025-01-01", 0.0),
        ("2025-01-06", 1 / 2),
    ]


def test_month_splits_the_straddling_week(tiny_project: Path) -> None:
    rows = query(
        tiny_project, "--metrics", "offered_calls,abandonment_rate,aht", "--grain", "month"
    )
    assert rows[0]["month"] == "2024-12-01" and rows[1]["month"] == "2025-01-01"
    assert rows[0]["offered_calls"] == 8 + 4
    assert rows[0]["abandonment_rate"] == pytest.approx(4 / 12)
    assert rows[0]["aht"] == pytest.approx((1700 + 1100) / (6 + 3))
    assert rows[1]["abandonment_rate"] == pytest.approx(1 / 4)
    assert rows[1]["aht"] == pytest.approx((300 + 240) / (2 + 1))


def test_avg_agg_at_week_is_sum_over_count(tiny_project: Path) -> None:
    rows = query(tiny_project, "--metrics", "aht,avg_handle", "--grain", "week")
    assert rows[0]["aht"] == pytest.approx(3100 / 11)
    assert rows[0]["avg_handle"] == pytest.approx(3100 / 11)
    # The mean of the three daily averages would be different:
    assert rows[0]["avg_handle"] != pytest.approx((1700 / 6 + 1100 / 3 + 300 / 2) / 3)


def test_distinct_count_at_month_is_not_the_sum_of_days(tiny_project: Path) -> None:
    days = query(tiny_project, "--metrics", "callers", "--grain", "day")
    months = query(tiny_project, "--metrics", "callers", "--grain", "month")
    december_days = [r["callers"] for r in days if str(r["day"]).startswith("2024-12")]
    # Mon: u1 u2 u3 u4 u5 u6 (u1, u2 twice); Tue: u1 u7 u8 u9
    assert december_days == [6, 4]
    assert months[0]["callers"] == 9  # u1..u9: u1 called on both days
    assert months[0]["callers"] < sum(december_days)


def test_median_and_percentile_at_month(tiny_project: Path) -> None:
    rows = query(tiny_project, "--metrics", "median_handle", "--grain", "month")
    # December answered legs: 100 100 200 250 300 350 400 500 600 -> the fifth
    assert rows[0]["median_handle"] == 300
    # January: 120 180 240
    assert rows[1]["median_handle"] == 180


def test_cross_model_cph_by_team(tiny_project: Path) -> None:
    rows = query(
        tiny_project,
        "--metrics",
        "handled_legs,staffed_hours,cph",
        "--by",
        "team",
        "--grain",
        "week",
    )
    by_key = {(r["week"], r["team"]): r for r in rows}
    # T1 = a1 + a2: legs L01 L03 L04 L05 L06 L14 L15; shifts 8 h + 4 h + 2 h
    assert by_key[("2024-12-30", "T1")]["cph"] == pytest.approx(7 / 14)
    # T2 = a3: legs L02 L10 L11 L12; one 6 h shift
    assert by_key[("2024-12-30", "T2")]["cph"] == pytest.approx(4 / 6)
    # Abandoned calls have no agent: a NULL team row, no hours, no CPH (never a division error)
    assert by_key[("2024-12-30", None)] == {
        "week": "2024-12-30",
        "team": None,
        "handled_legs": 0,
        "staffed_hours": None,
        "cph": None,
    }
    assert by_key[("2025-01-06", "T1")]["cph"] == pytest.approx(1 / 1)
    assert [(r["week"], r["team"]) for r in rows] == [
        ("2024-12-30", "T1"),
        ("2024-12-30", "T2"),
        ("2024-12-30", None),
        ("2025-01-06", "T1"),
        ("2025-01-06", None),
    ]


def test_where_filters_on_dimensions(tiny_project: Path) -> None:
    rows = query(
        tiny_project, "--metrics", "abandonment_rate", "--grain", "week", "--where", "queue = 'A'"
    )
    assert rows[0]["abandonment_rate"] == pytest.approx(3 / 10)  # Mon 3 of 8, Wed 0 of 2
    assert rows[1]["abandonment_rate"] == pytest.approx(0 / 1)


def test_start_and_end_are_inclusive_days(tiny_project: Path) -> None:
    rows = query(
        tiny_project,
        "--metrics",
        "offered_calls",
        "--grain",
        "day",
        "--start",
        "2024-12-31",
        "--end",
        "2025-01-01",
    )
    # c11 was offered at 23:59:50 on the 31st: it stays on the 31st.
    assert [(r["day"], r["offered_calls"]) for r in rows] == [("2024-12-31", 4), ("2025-01-01", 2)]


def test_a_range_that_cuts_a_week_is_widened_to_whole_weeks(tiny_project: Path) -> None:
    """--start on Wednesday 2025-01-01, by week: the week of 2024-12-30 counts all its days
    (8 + 4 + 2 offered), not Wednesday's 2 under a Monday label; the CLI says so on stderr."""
    args = ("query", "--project-dir", str(tiny_project), "--format", "json")
    result = invoke(
        *args, "--metrics", "offered_calls", "--grain", "week", "--start", "2025-01-01",
        "--end", "2025-01-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"week": "2024-12-30", "offered_calls": 14}]
    assert result.stderr == (
        "note: --start 2025-01-01 is widened to 2024-12-30 and --end 2025-01-01 is widened to"
        " 2025-01-05, so every week shown is whole\n"
    )
    by_day = invoke(*args, "--metrics", "offered_calls", "--grain", "day", "--start", "2025-01-01")
    assert by_day.stderr == ""


def test_null_dimension_is_its_own_group(tiny_project: Path) -> None:
    rows = query(tiny_project, "--metrics", "offered_calls", "--by", "queue")
    assert rows == [
        {"queue": "A", "offered_calls": 8 + 2 + 1},
        {"queue": "B", "offered_calls": 4},
        {"queue": None, "offered_calls": 1},
    ]


def test_intraday_grain_and_time_parts(tiny_project: Path) -> None:
    rows = query(
        tiny_project,
        "--metrics",
        "offered_calls",
        "--grain",
        "30min",
        "--start",
        "2024-12-30",
        "--end",
        "2024-12-30",
    )
    assert [(r["30min"], r["offered_calls"]) for r in rows] == [
        ("2024-12-30 09:00", 1),
        ("2024-12-30 09:30", 1),
        ("2024-12-30 10:00", 1),
        ("2024-12-30 10:30", 1),
        ("2024-12-30 11:00", 3),  # c05 11:00, c06 11:10, c07 11:20
        ("2024-12-30 23:30", 1),
    ]
    hours = query(tiny_project, "--metrics", "offered_calls", "--by", "hour_of_day")
    assert {r["hour_of_day"]: r["offered_calls"] for r in hours}[9] == 4  # c01 c02 c09 c14


def test_division_by_zero_is_null(tiny_project: Path) -> None:
    rows = query(
        tiny_project,
        "--metrics",
        "abandonment_rate,offered_calls",
        "--by",
        "team",
        "--grain",
        "day",
    )
    t2_monday = next(r for r in rows if r["day"] == "2024-12-30" and r["team"] == "T2")
    assert t2_monday == {
        "day": "2024-12-30",
        "team": "T2",
        "abandonment_rate": None,
        "offered_calls": 0,
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--metrics", "abandonment_rate,aht,cph", "--by", "team", "--grain", "week"),
        ("--metrics", "offered_calls,handle_seconds", "--by", "queue", "--grain", "month"),
        ("--metrics", "aht", "--by", "hour_of_day"),
        ("--metrics", "cph,abandonment_rate", "--grain", "day", "--where", "team = 'T1'"),
        ("--metrics", "offered_calls,staffed_hours", "--by", "day_of_week"),
    ],
    ids=["week-team", "month-queue", "hour-of-day", "where-team", "day-of-week"],
)
def test_indicator_tables_give_the_same_numbers_as_source_rows(
    tiny_project: Path, args: tuple[str, ...]
) -> None:
    assert query(tiny_project, *args) == query(tiny_project, *args, "--no-indicators")


def test_second_project_other_names_and_sunday_weeks(tmp_path: Path) -> None:
    project = copy_fixture("clinic", tmp_path)
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    rows = query(
        project, "--metrics", "visit_count,serve_rate,mean_wait,patients", "--grain", "week"
    )
    # Weeks start on Sunday: Sat 01-04 | Sun 01-05, Mon 01-06, Sat 01-11 | Sun 01-12
    assert rows == [
        {
            "week": "2024-12-29",
            "visit_count": 2,
            "serve_rate": 1 / 2,
            "mean_wait": (10 + 30) / 2,
            "patients": 2,
        },
        {
            "week": "2025-01-05",
            "visit_count": 3,
            "serve_rate": pytest.approx(2 / 3),
            "mean_wait": pytest.approx((5 + 20 + 40) / 3),
            "patients": 2,
        },
        {
            "week": "2025-01-12",
            "visit_count": 2,
            "serve_rate": 1.0,
            "mean_wait": (15 + 25) / 2,
            "patients": 2,
        },
    ]
    by_desk = query(
        project,
        "--metrics",
        "serve_rate",
        "--by",
        "desk",
        "--grain",
        "week",
        "--start",
        "2025-01-05",
        "--end",
        "2025-01-11",
    )
    assert by_desk == [
        {"week": "2025-01-05", "desk": "north", "serve_rate": 1.0},
        {"week": "2025-01-05", "desk": "south", "serve_rate": 0.5},
    ]


def test_unknown_metric_and_dimension_are_user_errors(tiny_project: Path) -> None:
    result = invoke("query", "--project-dir", str(tiny_project), "--metrics", "abandon_rate")
    assert result.exit_code == 1
    assert (
        "unknown metric 'abandon_rate'" in result.output
        and "did you mean 'abandonment_rate'" in result.output
    )
    result = invoke(
        "query", "--project-dir", str(tiny_project), "--metrics", "staffed_hours", "--by", "queue"
    )
    assert result.exit_code == 1
    assert "dimension 'queue' cannot be reached from model 'shifts'" in result.output


def test_a_label_given_for_a_name_gets_did_you_mean_the_name(tiny_project: Path) -> None:
    result = invoke("query", "--project-dir", str(tiny_project), "--metrics", "呼入量")
    assert result.exit_code == 1
    assert "error E211: unknown metric '呼入量'" in result.output
    assert "hint: '呼入量' is the label of 'offered_calls': did you mean 'offered_calls'?" in (
        result.output
    )
    result = invoke(
        "query", "--project-dir", str(tiny_project), "--metrics", "offered_calls", "--by", "城市"
    )
    assert result.exit_code == 1
    assert "hint: '城市' is the label of 'city': did you mean 'city'?" in result.output


def test_a_full_width_comma_in_metrics_or_by_is_named(tiny_project: Path) -> None:
    # On the command line too: the hint was a did-you-mean for one of the two names, or none.
    for args in (
        ("--metrics", "offered_calls，aht"),
        ("--metrics", "offered_calls", "--by", "queue，team"),
    ):
        result = invoke("query", "--project-dir", str(tiny_project), *args)
        assert result.exit_code == 1
        assert (
            "hint: '，' is full-width (全角) punctuation: write ','; switch the input method to"
            " half-width (半角)"
        ) in result.output, result.output


def test_role_playing_and_chained_joins(tiny_project: Path) -> None:
    by_role = query(tiny_project, "--metrics", "handled_legs", "--by", "transfer_agent.team")
    # Only L02 was transferred in, by a1 of team T1; every other leg has no transferring agent.
    assert by_role == [
        {"transfer_agent.team": "T1", "handled_legs": 1},
        {"transfer_agent.team": None, "handled_legs": 12 - 1},  # 12 answered legs in all
    ]
    by_city = query(tiny_project, "--metrics", "offered_calls", "--by", "city")
    # First legs by answering agent's site: a1 a2 in s1 (上海), a3 in s2 (北京), abandons none.
    assert by_city == [
        {"city": "上海", "offered_calls": 5 + 2 + 1},
        {"city": "北京", "offered_calls": 3},
        {"city": None, "offered_calls": 5},
    ]


def test_declared_rollup_is_used_and_agrees(tiny_project: Path) -> None:
    from metricflow_lite.compile.plan import ReadIndicator, plan_query
    from metricflow_lite.jobs.pipeline import make_request
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    spec = load_spec(load_project(tiny_project))
    plan = plan_query(spec, make_request(spec, "abandonment_rate", "team", "week"))
    assert [r.table.name for r in plan.reads if isinstance(r, ReadIndicator)] == [
        "calls_by_queue_team_day"
    ]
    args = ("--metrics", "abandonment_rate,handled_legs", "--by", "team", "--grain", "week")
    assert query(tiny_project, *args) == query(tiny_project, *args, "--no-indicators")


def test_a_loaded_spec_gives_the_same_sql_as_reading_the_project(tiny_project: Path) -> None:
    from metricflow_lite.jobs.pipeline import make_request, query_sql
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    project = load_project(tiny_project)
    spec = load_spec(project)
    request = make_request(spec, "abandonment_rate", "queue", "week")
    assert query_sql(project, request, spec=spec) == query_sql(project, request)


def test_a_query_before_any_build_asks_for_one(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    result = invoke("query", "--project-dir", str(project), "--metrics", "offered_calls")
    assert result.exit_code == 1, result.output
    assert "error E312: the warehouse is not built for this:" in result.output


def test_a_count_without_a_format_shows_whole_numbers(tmp_path: Path) -> None:
    """16 offered calls (the tiny fixture's first legs) read '16', not '16.00'; a metric that
    asks for `format: number` keeps its two decimals."""
    project = copy_fixture("tiny", tmp_path)
    metrics = project / "metrics" / "calls.yml"
    text = metrics.read_text(encoding="utf-8")
    head, _, rest = text.partition("  - name: offered_calls\n")
    block, sep, tail = rest.partition("\n  - name:")
    assert "    format: integer" in block
    plain = block.replace("    format: integer\n", "").replace("\n    format: integer", "")
    metrics.write_text(head + "  - name: offered_calls\n" + plain + sep + tail, encoding="utf-8")
    seed_project(project)
    args = ("query", "--metrics", "offered_calls", "--project-dir", str(project))
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.output.split()[-1] == "16", result.output
    decimals = plain.replace("    agg: count", "    agg: count\n    format: number", 1)
    metrics.write_text(head + "  - name: offered_calls\n" + decimals + sep + tail, encoding="utf-8")
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.output.split()[-1] == "16.00", result.output


def test_a_window_without_a_format_shows_its_metrics(tmp_path: Path) -> None:
    """to_date over a count is a count (integer), shift over a rate a rate (percent), a
    difference of counts a count: a formula that names no format shows the one format of the
    metrics it adds or scales by a constant; other formulas keep `number`."""
    project = copy_fixture("tiny", tmp_path)
    (project / "metrics" / "windows.yml").write_text(
        "version: 1\n"
        "metrics:\n"
        "  - {name: offered_ytd, expr: \"to_date(offered_calls, 'year')\"}\n"
        "  - {name: abandonment_last_week, expr: \"shift(abandonment_rate, '1 week')\"}\n"
        "  - {name: offered_mtd_ly, expr: \"shift(to_date(offered_calls, 'month'), '1 year')\"}\n"
        "  - {name: aht_7d_ly, expr: \"shift(rolling(aht, '7 days'), '52 weeks')\"}\n"
        "  - {name: offered_twice, expr: offered_calls * 2}\n"
        "  - {name: answered, expr: offered_calls - abandoned_calls}\n"
        "  - {name: answered_ytd, expr: \"to_date(answered, 'year') + 0\"}\n"
        '  - {name: handle_plus_wrap, expr: "coalesce(handle_seconds, 0) + 30"}\n'
        "  - {name: not_abandoned, expr: 1 - abandonment_rate}\n"
        "  - {name: abandonment_points, expr: abandonment_rate * 100}\n"
        "  - {name: offered_half, expr: offered_calls * 0.5}\n"
        "  - {name: per_call, expr: handle_seconds / offered_calls}\n"
        "  - {name: mixed, expr: offered_calls + handle_seconds}\n"
        "  - {name: squared, expr: offered_calls * offered_calls}\n",
        encoding="utf-8",
    )
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    spec = load_spec(load_project(project))
    formats = {m.name: m.format.value for m in spec.metrics}
    assert formats["offered_ytd"] == "integer"
    assert formats["abandonment_last_week"] == "percent"
    # nested windows too: month to date a year earlier showed 14.00 calls
    assert formats["offered_mtd_ly"] == "integer"
    assert formats["aht_7d_ly"] == "duration"
    # sums, differences and constant multiples keep their metrics' one format
    assert formats["offered_twice"] == formats["answered"] == "integer"
    assert formats["answered_ytd"] == "integer"
    assert formats["handle_plus_wrap"] == "duration"
    assert formats["not_abandoned"] == "percent"
    # a rate times 100, half a count, a ratio, mixed units or a product have no such format
    for name in ("abandonment_points", "offered_half", "per_call", "mixed", "squared"):
        assert formats[name] == "number", name


def _edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text


def test_a_metric_edited_without_a_build_is_answered_as_the_yaml_says(tiny_project: Path) -> None:
    """The YAML changes and nobody runs `mfl build`: the indicator tables hold the old
    definition, so the query reads the rows with the new one and says so; a metric added
    since the build is answered too (it was an internal error). By hand: abandoned first legs
    in queue A are 3 in the week of 2024-12-30 (Monday's) and 0 in the next (its abandoned
    call has no queue); in all queues 4 and 1."""
    metrics = tiny_project / "metrics" / "calls.yml"
    built_yaml = _edit(
        metrics,
        "filter: leg_seq = 1 and answered_ts is null",
        "filter: leg_seq = 1 and answered_ts is null and queue = 'A'",
    )
    metrics.write_text(
        metrics.read_text(encoding="utf-8")
        + "  - {name: queue_a_calls, label: A队列来电, description: First legs in queue A.,\n"
        "     model: calls, agg: count, filter: leg_seq = 1 and queue = 'A'}\n",
        encoding="utf-8",
    )
    args = ("--metrics", "abandoned_calls,queue_a_calls", "--grain", "week", "--format", "json")
    for _ in range(2):  # planned, then from the cached plan
        result = invoke("query", "--project-dir", str(tiny_project), *args)
        assert result.exit_code == 0, result.output
        assert [(r["abandoned_calls"], r["queue_a_calls"]) for r in json.loads(result.stdout)] == [
            (3, 8 + 2),
            (0, 1),
        ]
        assert "changed since the last build: answered from the rows" in result.stderr
        assert "run 'mfl build'" in result.stderr
    rows_answer = invoke("query", "--project-dir", str(tiny_project), *args, "--no-indicators")
    assert rows_answer.stdout == result.stdout
    # a report reads the views the last build wrote: it says they are the old definitions
    report = invoke("report", "queue_daily", "--project-dir", str(tiny_project), "--grain", "week")
    assert report.exit_code == 0, report.output
    assert "changed since the last build" in report.stderr
    # the files as they were built: the indicator tables answer, and nothing is said
    metrics.write_text(built_yaml, encoding="utf-8")
    for _ in range(2):  # planned, then from the cached plan
        again = invoke(
            "query",
            "--project-dir",
            str(tiny_project),
            "--metrics",
            "abandoned_calls",
            "--grain",
            "week",
            "--format",
            "json",
        )
        assert [r["abandoned_calls"] for r in json.loads(again.stdout)] == [4, 1]
        assert again.stderr == ""
    report = invoke("report", "queue_daily", "--project-dir", str(tiny_project), "--grain", "week")
    assert "changed since the last build" not in report.stderr


def test_a_cached_plan_holds_for_the_build_it_was_planned_against(tiny_project: Path) -> None:
    """Queried, then the YAML edited and built, then the edit undone without a build: the
    question and the files are those of the first query, but the indicator tables hold the
    edit. The cached plan (of the first build) is not used; the rows answer as the YAML says."""
    metrics = tiny_project / "metrics" / "calls.yml"
    args = ("--metrics", "abandoned_calls", "--grain", "week", "--format", "json")
    first = invoke("query", "--project-dir", str(tiny_project), *args)
    assert [r["abandoned_calls"] for r in json.loads(first.stdout)] == [4, 1]
    built_yaml = _edit(metrics, "answered_ts is null", "answered_ts is null and queue = 'A'")
    assert invoke("build", "--project-dir", str(tiny_project)).exit_code == 0
    edited = invoke("query", "--project-dir", str(tiny_project), *args)
    assert [r["abandoned_calls"] for r in json.loads(edited.stdout)] == [3, 0]
    assert edited.stderr == ""
    metrics.write_text(built_yaml, encoding="utf-8")
    undone = invoke("query", "--project-dir", str(tiny_project), *args)
    assert [r["abandoned_calls"] for r in json.loads(undone.stdout)] == [4, 1]
    assert "changed since the last build" in undone.stderr


def test_a_filter_that_matches_nothing_says_so(tiny_project: Path) -> None:
    """No queue Z: an empty table alone read as "no calls", not as a mistyped value."""
    args = ("--metrics", "offered_calls", "--grain", "day", "--where", "queue = 'Z'")
    result = invoke("query", "--project-dir", str(tiny_project), *args, "--format", "csv")
    assert result.exit_code == 0 and result.stdout == "day,offered_calls\n"
    assert result.stderr == "note: no rows match --where queue = 'Z'\n"
    found = invoke("query", "--project-dir", str(tiny_project), *args[:-1], "queue = 'B'")
    assert "no rows" not in found.stderr


def test_an_edited_label_is_no_changed_definition(tiny_project: Path) -> None:
    """A label is a comment on the built column, written again by every build: editing it
    asks for no rows (the indicator tables still hold the metric) and rebuilds no table."""
    import duckdb

    metrics = tiny_project / "metrics" / "calls.yml"
    _edit(metrics, "    label: 放弃量\n", "    label: 放弃来电量\n")
    args = ("--metrics", "abandoned_calls", "--grain", "week", "--format", "json")
    result = invoke("query", "--project-dir", str(tiny_project), *args)
    assert [r["abandoned_calls"] for r in json.loads(result.stdout)] == [4, 1]
    assert result.stderr == ""
    build = invoke("build", "--project-dir", str(tiny_project))
    assert build.exit_code == 0, build.output
    assert "rebuilt 0 of" in build.output and "0 indicator tables" in build.output, build.output
    with duckdb.connect(str(tiny_project / "target" / "warehouse.duckdb"), read_only=True) as con:
        comments = con.execute(
            "SELECT DISTINCT comment FROM duckdb_columns()"
            " WHERE schema_name = 'ind' AND column_name LIKE 'abandoned_calls%'"
        ).fetchall()
    assert comments and all("放弃来电量" in str(c) for (c,) in comments), comments
