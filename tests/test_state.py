"""Issue 16: open-at-a-time counts (active), snapshots and time-valid joins, by hand.

tests/fixtures/history holds seven tickets, ten queue snapshots, five versions of three
agents and nine call legs; every number below is worked out from those rows in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from conftest import FIXTURES, copy_fixture, invoke

from metricflow_lite.compile.plan import (
    PlanNode,
    QueryRequest,
    indicator_tables,
    plan_indicator_table,
    plan_query,
    plan_tree,
)
from metricflow_lite.compile.sqlgen import overlap_query, query_of, render_query, to_sql
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The history fixture, seeded and built once."""
    root = tmp_path_factory.mktemp("state") / "history"
    shutil.copytree(FIXTURES / "history", root, ignore=shutil.ignore_patterns("target"))
    assert invoke("seed", "--project-dir", str(root)).exit_code == 0
    built = invoke("build", "--project-dir", str(root))
    assert built.exit_code == 0, built.output
    assert "W290" not in built.output
    return root


def query(project: Path, *args: str) -> Rows:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: Rows = json.loads(result.output)
    return rows


def column(rows: Rows, *names: str) -> list[tuple[Any, ...]]:
    return [tuple(r[n] for n in names) for r in rows]


# --- active: open at each period's end ---------------------------------------------------
# T1 P1 10-01 09:00 .. 10-01 17:00   closed the day it opened: never open at a day's end
# T2 P1 10-01 10:00 .. 10-02 00:00   resolved exactly at midnight: closed at the end of 10-01
# T3 P2 10-01 11:00 .. 10-03 12:00   open at the end of 10-01 and 10-02
# T4 P2 10-02 08:00 .. (never)       open from the end of 10-02 on
# T5 P1 10-02 23:59:59 .. 10-05 09:00  open at the end of 10-02, 10-03, 10-04
# T6 P3 10-05 00:00 .. 10-06 10:00   created exactly at midnight: open at the end of 10-04
# T7 P2 10-07 09:00 .. 10-07 09:30   the last creation: the data ends on 10-07
OPEN_BY_DAY = [
    ("2024-10-01", 1),  # T3
    ("2024-10-02", 3),  # T3 T4 T5
    ("2024-10-03", 2),  # T4 T5 (T3 resolved at 12:00)
    ("2024-10-04", 3),  # T4 T5 T6 (T6 from <= t = 10-05 00:00)
    ("2024-10-05", 2),  # T4 T6
    ("2024-10-06", 1),  # T4
    ("2024-10-07", 1),  # T4
]


def test_open_tickets_at_each_days_end(project: Path) -> None:
    """Days without a new ticket (10-03, 10-04, 10-06) still get their row."""
    rows = query(project, "--metrics", "open_tickets,new_tickets", "--grain", "day")
    assert column(rows, "day", "open_tickets") == OPEN_BY_DAY
    # new tickets: T1 T2 T3 on 10-01, T4 T5 on 10-02, T6 on 10-05, T7 on 10-07
    assert column(rows, "new_tickets") == [(3,), (2,), (0,), (0,), (1,), (0,), (1,)]


@pytest.mark.parametrize(
    ("until", "open_count", "new_count"),
    [
        # 10-01 12:00: T1 (09:00..17:00), T2 and T3 open; all three created before the cut
        ("2024-10-01 12:00:00", 3, 3),
        # 10-02 08:00: T3 and T4 (created at 08:00: from <= t) open, T2 closed at midnight;
        # no ticket created in [00:00, 08:00) (T4 is at the cut, which is exclusive for events)
        ("2024-10-02 08:00:00", 2, 0),
    ],
)
def test_a_request_cut_at_an_instant_counts_state_at_that_instant(
    project: Path, until: str, open_count: int, new_count: int
) -> None:
    """A report's period in progress is compared with the previous one at the same time of
    day (jobs/reports.cut_at_time_of_day): `until` cuts events before it and reads `active`
    rows at it."""
    spec = load_spec(load_project(project))
    instant = dt.datetime.fromisoformat(until)
    request = QueryRequest(
        metrics=("open_tickets", "new_tickets"),
        start=instant.date(),
        end=instant.date(),
        until=instant,
    )
    sql = to_sql(render_query(plan_query(spec, request)), "duckdb")
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute(sql).fetchall() == [(open_count, new_count)]
    finally:
        con.close()


def test_only_metrics_counted_at_their_rows_time_can_be_cut_inside_a_day() -> None:
    from metricflow_lite.compile.plan import cut_metrics

    hours = load_spec(load_project(FIXTURES / "hours"))
    names = tuple(m.name for m in hours.metrics)
    cut = set(cut_metrics(hours, names))
    # the seconds of a login do not stop at an instant of the day, nor does a period's length
    assert not cut & {"logged_in_seconds", "a1_logged_in_seconds", "agents_logged_in"}
    assert "occupancy" not in cut  # derived from logged-in seconds
    history = load_spec(load_project(FIXTURES / "history"))
    assert set(cut_metrics(history, ("open_tickets", "new_tickets", "waiting_close"))) == {
        "open_tickets",
        "new_tickets",
        "waiting_close",
    }


def test_open_tickets_by_priority(project: Path) -> None:
    rows = query(project, "--metrics", "open_tickets", "--grain", "day", "--by", "priority")
    got = {(r["day"], r["priority"]): r["open_tickets"] for r in rows}
    # every day has a row for every priority, 0 where none is open
    assert len(got) == 7 * 3
    assert [got[("2024-10-02", p)] for p in ("P1", "P2", "P3")] == [1, 2, 0]  # T5; T3 T4
    assert [got[("2024-10-04", p)] for p in ("P1", "P2", "P3")] == [1, 1, 1]  # T5; T4; T6
    assert [got[("2024-10-07", p)] for p in ("P1", "P2", "P3")] == [0, 1, 0]  # T4


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Mon 09-30 .. Sun 10-06 ends at 10-07 00:00: T4 only; the next week ends 10-14: T4.
        # Never the sum of the days (1 + 3 + 2 + 3 + 2 + 1 = 12).
        (("--grain", "week"), [("2024-09-30", 1), ("2024-10-07", 1)]),
        (("--grain", "month"), [("2024-10-01", 1)]),
        # without --grain: at the range's end, the midnight after its last day
        (("--start", "2024-10-01", "--end", "2024-10-04"), [(None, 3)]),  # T4 T5 T6
        (("--start", "2024-10-01", "--end", "2024-10-03"), [(None, 2)]),  # T4 T5
        ((), [(None, 1)]),  # the data's last day, 10-07: T4
    ],
    ids=["week", "month", "range_end_10-04", "range_end_10-03", "data_end"],
)
def test_open_tickets_are_recomputed_at_each_grain(
    project: Path, args: tuple[str, ...], expected: list[tuple[Any, int]]
) -> None:
    rows = query(project, "--metrics", "open_tickets", *args)
    grain = args[1] if args and args[0] == "--grain" else None
    assert [(r.get(grain) if grain else None, r["open_tickets"]) for r in rows] == expected


def test_open_tickets_by_hour_cross_midnight_exactly(project: Path) -> None:
    """Hour 00:00 of 10-02 ends at 01:00: T2 (resolved at 00:00:00) is no longer open."""
    rows = query(
        project, "--metrics", "open_tickets", "--grain", "hour",
        "--start", "2024-10-02", "--end", "2024-10-02",
    )  # fmt: skip
    got = dict(column(rows, "hour", "open_tickets"))
    assert len(got) == 24
    assert got["2024-10-02 00:00"] == 1  # T3
    assert got["2024-10-02 08:00"] == 2  # T3, T4 (created 08:00 <= 09:00)
    assert got["2024-10-02 22:00"] == 2  # T3, T4
    assert got["2024-10-02 23:00"] == 3  # T3, T4, T5 (23:59:59 <= 10-03 00:00)


def test_open_ticket_age_and_overdue_read_the_period_end(project: Path) -> None:
    rows = query(
        project, "--metrics", "open_ticket_age_hours,overdue_tickets", "--grain", "day"
    )  # fmt: skip
    age = dict(column(rows, "day", "open_ticket_age_hours"))
    overdue = dict(column(rows, "day", "overdue_tickets"))
    assert age["2024-10-01"] == pytest.approx(13)  # T3: 11:00 -> 24:00
    # T3 37 h, T4 16 h, T5 1 s at 10-03 00:00
    assert age["2024-10-02"] == pytest.approx((37 + 16 + 1 / 3600) / 3)
    assert age["2024-10-04"] == pytest.approx((64 + (48 + 1 / 3600) + 0) / 3)  # T4 T5 T6
    # created more than 24 h before the end: 10-02 T3; 10-03 T4 T5; 10-05 T4 (T6 is 24 h old)
    assert [overdue[d] for d in ("2024-10-01", "2024-10-02", "2024-10-03", "2024-10-05")] == [
        0,
        1,
        2,
        1,
    ]


# --- snapshot: the rows at the period's last (first) time ------------------------------
# 10-01 09:00 A 2, B 1 | 20:45 A 5, B 0 | 21:00 A 3      (no B row at 21:00)
# 10-02 08:00 A 1, B 4 | 18:00 B 6                      (no A row at 18:00)
# 10-03 none
# 10-04 09:15 A 7, B 2


def test_snapshot_last_and_first(project: Path) -> None:
    rows = query(
        project, "--metrics", "waiting_close,waiting_open,queues_waiting_close", "--grain", "day"
    )  # fmt: skip
    assert column(rows, "day", "waiting_close", "waiting_open", "queues_waiting_close") == [
        ("2024-10-01", 3, 3, 1),  # 21:00 A 3 | 09:00 A 2 + B 1 | A at 21:00
        ("2024-10-02", 6, 5, 1),  # 18:00 B 6 | 08:00 A 1 + B 4 | B at 18:00
        ("2024-10-03", None, None, 0),  # no snapshot that day: a row, no value
        ("2024-10-04", 9, 9, 2),  # 09:15 is both the first and the last
    ]


def test_snapshot_time_is_chosen_after_where(project: Path) -> None:
    """With --where queue = 'A' the last A snapshot of 10-02 is 08:00 (A 1), not 18:00."""
    rows = query(
        project, "--metrics", "waiting_close", "--grain", "day", "--where", "queue = 'A'"
    )  # fmt: skip
    assert column(rows, "day", "waiting_close") == [
        ("2024-10-01", 3),
        ("2024-10-02", 1),
        ("2024-10-03", None),
        ("2024-10-04", 7),
    ]


def test_snapshot_time_is_one_per_period_then_grouped(project: Path) -> None:
    """By queue, 10-01 reads 21:00 for both queues: B has no row then (not its own 20:45)."""
    rows = query(project, "--metrics", "waiting_close", "--grain", "day", "--by", "queue")
    got = {(r["day"], r["queue"]): r["waiting_close"] for r in rows}
    assert got[("2024-10-01", "A")] == 3 and got[("2024-10-01", "B")] is None
    assert got[("2024-10-02", "A")] is None and got[("2024-10-02", "B")] == 6
    assert (got[("2024-10-04", "A")], got[("2024-10-04", "B")]) == (7, 2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # the week of Mon 09-30: last 10-04 09:15 (7 + 2), first 10-01 09:00 (2 + 1)
        (("--grain", "week"), [(9, 3)]),
        ((), [(9, 3)]),
        (("--start", "2024-10-01", "--end", "2024-10-02"), [(6, 3)]),
    ],
    ids=["week", "whole_range", "range"],
)
def test_snapshot_over_longer_periods(
    project: Path, args: tuple[str, ...], expected: list[tuple[int, int]]
) -> None:
    rows = query(project, "--metrics", "waiting_close,waiting_open", *args)
    assert column(rows, "waiting_close", "waiting_open") == expected


# --- valid: the version at the row's time ----------------------------------------------
# a1 T1 s1 10-01 00:00 .. 10-03 14:00, then T2 s2 from 10-03 14:00
# a2 T1 s1 10-01 00:00 .. 10-02 00:00, gone, then T2 s1 from 10-04 00:00 (left and came back)
# a3 T2 s2 from 10-02 12:00; a4 has no history
# L1 a1 10-01 09:00 100 T1 s1     L4 a2 10-01 23:59:59 400 T1 s1   L7 a3 10-02 11:00 700 none
# L2 a1 10-03 13:59:59 200 T1 s1  L5 a2 10-02 10:00 500 none       L8 a3 10-02 12:00 800 T2 s2
# L3 a1 10-03 14:00 300 T2 s2     L6 a2 10-04 09:00 600 T2 s1      L9 a4 10-02 09:00 50 none
TEAM_TOTALS = [("T1", 700, 3), ("T2", 1700, 3), (None, 1250, 3)]


@pytest.mark.parametrize("source", [(), ("--no-indicators",)], ids=["indicator", "rows"])
def test_team_at_call_time(project: Path, source: tuple[str, ...]) -> None:
    rows = query(project, "--metrics", "handle_seconds,legs", "--by", "team", *source)
    assert column(rows, "team", "handle_seconds", "legs") == TEAM_TOTALS


def test_team_by_day(project: Path) -> None:
    rows = query(project, "--metrics", "handle_seconds", "--by", "team", "--grain", "day")
    assert column(rows, "day", "team", "handle_seconds") == [
        ("2024-10-01", "T1", 500),  # L1 L4
        ("2024-10-02", "T2", 800),  # L8
        ("2024-10-02", None, 1250),  # L5 (a2 gone), L7 (before a3's first version), L9
        ("2024-10-03", "T1", 200),  # L2, one second before the move
        ("2024-10-03", "T2", 300),  # L3, at the move
        ("2024-10-04", "T2", 600),  # L6, a2 back
    ]


def test_history_chains_with_plain_joins(project: Path) -> None:
    """calls -> agent_history (valid) -> sites (plain): the site of the version at call time;
    a median is recomputed from the rows of each city."""
    rows = query(project, "--metrics", "handle_seconds,median_handle", "--by", "city")
    assert column(rows, "city", "handle_seconds", "median_handle") == [
        ("上海", 1300, 300),  # s1: L1 100, L2 200, L4 400, L6 600
        ("北京", 1100, 550),  # s2: L3 300, L8 800
        (None, 1250, 500),  # L5 500, L7 700, L9 50
    ]


def test_current_team_beside_team_at_call_time(project: Path) -> None:
    """roster.team joins agents (no history): every call of a1..a3 goes to today's T2."""
    rows = query(project, "--metrics", "handle_seconds", "--by", "team,roster.team")
    assert column(rows, "team", "roster.team", "handle_seconds") == [
        ("T1", "T2", 700),
        ("T2", "T2", 1700),
        (None, "T2", 1200),  # L5 L7
        (None, None, 50),  # L9: a4 is on neither list
    ]


def test_roster_at_each_days_end(project: Path) -> None:
    """An active metric on the history itself: versions valid at each day's end."""
    rows = query(project, "--metrics", "agents_on_roster", "--grain", "day", "--by", "team")
    got = {(r["day"], r["team"]): r["agents_on_roster"] for r in rows}
    assert (got[("2024-10-01", "T1")], got[("2024-10-01", "T2")]) == (1, 0)  # a1 (a2 ends 10-02)
    assert (got[("2024-10-02", "T1")], got[("2024-10-02", "T2")]) == (1, 1)  # a1; a3
    assert (got[("2024-10-03", "T1")], got[("2024-10-03", "T2")]) == (0, 3)  # a1 a3 a2 (10-04)


def test_report_view_has_every_day_and_priority(project: Path) -> None:
    """app.backlog_day: open tickets for each day x priority, the day before's beside it."""
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select cast(day as varchar), priority, open_tickets, open_tickets_prev,"
            " new_tickets from app.backlog_day where priority = 'P2' order by day"
        ).fetchall()
        weeks = con.execute(
            "select cast(week as varchar), open_tickets from app.backlog_week_total order by 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("2024-10-01", "P2", 1, None, 1),  # T3; T3 created
        ("2024-10-02", "P2", 2, 1, 1),  # T3 T4; T4 created
        ("2024-10-03", "P2", 1, 2, 0),
        ("2024-10-04", "P2", 1, 1, 0),
        ("2024-10-05", "P2", 1, 1, 0),
        ("2024-10-06", "P2", 1, 1, 0),
        ("2024-10-07", "P2", 1, 1, 1),  # T4; T7 created and closed
    ]
    assert weeks == [("2024-09-30", 1), ("2024-10-07", 1)]


def test_overlapping_versions_warn_at_build(tmp_path: Path) -> None:
    """W290 names the first overlap's key and dates; the build still succeeds."""
    root = tmp_path / "history"
    shutil.copytree(FIXTURES / "history", root, ignore=shutil.ignore_patterns("target"))
    history = root / "seeds" / "agent_history.csv"
    history.write_text(
        history.read_text(encoding="utf-8")
        + "a2,T3,s2,2024-10-05 00:00:00,\na1,T3,s1,2024-10-02 00:00:00,2024-10-05 00:00:00\n",
        encoding="utf-8",
    )
    assert invoke("seed", "--project-dir", str(root)).exit_code == 0
    built = invoke("build", "--project-dir", str(root))
    assert built.exit_code == 0, built.output
    assert (
        "metrics/history.yml:12:12: warning W290: versions of agent_id 'a1' in model"
        " 'agent_history' overlap: one from 2024-10-01 00:00:00 until 2024-10-03 14:00:00,"
        " the next from 2024-10-02 00:00:00 (3 overlapping pairs in all)"
    ) in built.output
    # a1's second overlap (10-02 .. 10-05 over T2 from 10-03 14:00) and a2's open version
    # T2 from 10-04 under T3 from 10-05 make three
    # as docs/state.md says, a row in two versions is joined to both: L2 (a1 10-03 13:59:59,
    # 200 s) in T1 and T3, L3 (a1 10-03 14:00, 300 s) in T2 and T3; L6 (a2 10-04) is before
    # a2's T3; the same from the rows and from the day table
    for source in ((), ("--no-indicators",)):
        rows = query(root, "--metrics", "handle_seconds,legs", "--by", "team", *source)
        assert column(rows, "team", "handle_seconds", "legs") == [
            ("T1", 700, 3),  # L1 100, L2 200, L4 400
            ("T2", 1700, 3),  # L3 300, L6 600, L8 800
            ("T3", 500, 2),  # L2 200, L3 300
            (None, 1250, 3),  # L5 500, L7 700, L9 50
        ]


def test_a_text_active_column_is_the_users_error_in_query(tmp_path: Path) -> None:
    """A model that leaves created_ts as text: the build and a query of an `active` metric on
    it say E292 at the YAML (exit 1), never only the warehouse's error or an internal error."""
    root = copy_fixture("history", tmp_path)
    model = root / "models" / "source" / "tickets.sql"
    model.write_text(
        model.read_text(encoding="utf-8").replace(
            "cast(created_ts as timestamp) as created_ts", "created_ts"
        ),
        encoding="utf-8",
    )
    assert invoke("seed", "--project-dir", str(root)).exit_code == 0
    cause = (
        r"metrics/history\.yml:\d+:\d+: error E292: 'active' from column 'created_ts' of model"
        r" 'tickets' is VARCHAR, not a DATE or TIMESTAMP"
    )
    # the backlog report's view cannot be created: its cause first, then what failed
    built = invoke("build", "--project-dir", str(root))
    assert built.exit_code == 1, built.output
    assert re.search(cause + r"(.|\n)*error E300: build failed in report 'backlog'", built.output)
    (root / "reports" / "backlog.yml").unlink()
    assert invoke("build", "--project-dir", str(root)).exit_code == 0
    result = invoke(
        "query", "--project-dir", str(root), "--metrics", "open_tickets", "--grain", "day"
    )
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert re.search(cause, result.output), result.output


def test_a_changed_history_changes_the_days_it_covers(tmp_path: Path) -> None:
    """Re-seeding a history where a1 moved on 10-01 12:00 instead of 10-03 14:00 moves L2 to
    T2 and leaves L1 (09:00) in T1; the other days keep their numbers."""
    root = tmp_path / "history"
    shutil.copytree(FIXTURES / "history", root, ignore=shutil.ignore_patterns("target"))
    assert invoke("seed", "--project-dir", str(root)).exit_code == 0
    assert invoke("build", "--project-dir", str(root)).exit_code == 0
    history = root / "seeds" / "agent_history.csv"
    history.write_text(
        history.read_text(encoding="utf-8").replace("2024-10-03 14:00:00", "2024-10-01 12:00:00"),
        encoding="utf-8",
    )
    assert invoke("seed", "--project-dir", str(root)).exit_code == 0
    assert invoke("build", "--project-dir", str(root)).exit_code == 0
    rows = query(root, "--metrics", "handle_seconds", "--by", "team", "--grain", "day")
    assert column(rows, "day", "team", "handle_seconds") == [
        ("2024-10-01", "T1", 500),  # L1 09:00 before the move, L4 (a2)
        ("2024-10-02", "T2", 800),
        ("2024-10-02", None, 1250),
        ("2024-10-03", "T2", 500),  # L2 and L3, both after the move now
        ("2024-10-04", "T2", 600),
    ]


# --- golden SQL ------------------------------------------------------------------------
CASES = {
    "active_by_priority_week": QueryRequest(
        metrics=("open_tickets", "open_ticket_age_hours"), by=("priority",), grain=Grain.WEEK
    ),
    "active_running_by_priority_day": QueryRequest(
        metrics=("open_tickets",), by=("priority",), grain=Grain.DAY
    ),
    "active_range_end": QueryRequest(
        metrics=("open_tickets",),
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 10, 3),
    ),
    "snapshot_by_queue_day_where": QueryRequest(
        metrics=("waiting_close", "waiting_open"),
        by=("queue",),
        grain=Grain.DAY,
        where=sqlglot.parse_one("queue <> 'C'"),
    ),
    "valid_join_by_team_city_rows": QueryRequest(
        metrics=("handle_seconds", "median_handle"), by=("team", "city"), use_indicators=False
    ),
    "roster_and_calls_by_team_day": QueryRequest(
        metrics=("agents_on_roster", "legs"), by=("team",), grain=Grain.DAY
    ),
}


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(FIXTURES / "history"))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_state_sql_per_dialect(
    spec: ProjectSpec, name: str, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """Query SQL of the active, snapshot and time-valid join groups per dialect."""
    plan = plan_query(spec, CASES[name])
    snapshot(f"state/{name}.{dialect}.sql", to_sql(render_query(plan), dialect))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_history_indicator_and_overlap_sql(
    spec: ProjectSpec, dialect: str, snapshot: Callable[[str, str], None]
) -> None:
    """The calls day table stores the team and city of the version at each leg's time."""
    [calls] = [t for t in indicator_tables(spec) if t.name == "calls_day"]
    assert {d.qualified_name for d in calls.dimensions} >= {
        "agent_history.team",
        "agent_history.sites.city",
    }
    snapshot(
        f"state/calls_day.{dialect}.sql",
        to_sql(query_of(plan_indicator_table(calls, spec)), dialect),
    )
    history = spec.model("agent_history")
    assert history is not None
    snapshot(f"state/overlap.{dialect}.sql", to_sql(overlap_query(history), dialect))


# --- the plan ----------------------------------------------------------------------------


def kinds_below(node: PlanNode) -> list[str]:
    """The node kinds from a grouped node down to its read, leaf last."""
    found = []
    current: PlanNode | None = node
    while current is not None:
        found.append(type(current).__name__)
        current = current.parents[0] if current.parents else None
    return found


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            # a count runs as a total of rows opened minus closed; an age reads period_end()
            QueryRequest(("open_tickets", "open_ticket_age_hours"), grain=Grain.DAY),
            [
                ["RunningTotal", "FilterRows", "ReadSource"],
                ["ActiveAt", "FilterRows", "ReadSource"],
            ],
        ),
        (
            QueryRequest(("waiting_close",), by=("queue",), grain=Grain.DAY),
            [["SnapshotAt", "FilterRows", "ReadSource"]],
        ),
        (
            # the history join first (on time), then the plain join it chains into
            QueryRequest(("median_handle",), by=("city", "roster.team")),
            [["Aggregate", "FilterRows", "JoinDimensions", "JoinVersions", "ReadSource"]],
        ),
        (
            # the day table stores the team at each leg's time: no join at query time
            QueryRequest(("legs",), by=("team",)),
            [["Aggregate", "FilterRows", "ReadIndicator"]],
        ),
    ],
    ids=["running_and_active", "snapshot", "versions_then_keys", "stored_team"],
)
def test_state_and_history_node_kinds(
    spec: ProjectSpec, request_: QueryRequest, expected: list[list[str]]
) -> None:
    plan = plan_query(spec, request_)
    assert sorted(kinds_below(g) for g in plan.aggregates) == sorted(expected)
    tree = plan_tree(plan.root)
    for grouped in plan.aggregates:
        assert grouped.describe() in tree


def test_the_day_table_joins_versions_at_the_legs_time(spec: ProjectSpec) -> None:
    [calls] = [t for t in indicator_tables(spec) if t.name == "calls_day"]
    node = plan_indicator_table(calls, spec)
    assert kinds_below(node) == ["Aggregate", "JoinVersions", "ReadSource"]
    assert "agent_id -> src.agent_history valid at offered_ts" in plan_tree(node)
