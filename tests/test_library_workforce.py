"""metrics/workforce.yml against hand-written SQL over src.attendance (by shift_date), and the
cross-model ratios (CPH, occupancy, utilisation) aggregated per side before dividing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import invoke
from library_check import check_metric, hand_connection, metric_params, month_value, over, ratio

PRESENT = "status = 'present' AND logout_ts > login_ts"
PAID = f"CASE WHEN {PRESENT} THEN date_diff('second', login_ts, logout_ts) ELSE 0 END"
STAFFED = f"greatest(0, {PAID} - CASE WHEN status = 'present' THEN break_seconds ELSE 0 END)"
SCHEDULED = "sched_start IS NOT NULL AND sched_end IS NOT NULL"
# the shift: its first login record (several logins of a shift are summed, the shift counted
# once); absent / leave rows have no login and are their shift's only record
FIRST_LOGIN = (
    "NOT EXISTS (SELECT 1 FROM src.attendance AS o WHERE o.agent_id = attendance.agent_id"
    " AND o.shift_date = attendance.shift_date AND o.login_ts < attendance.login_ts)"
)
SPAN = "date_diff('second', sched_start, sched_end)"
OVERLAP = (
    f"CASE WHEN {PRESENT} AND sched_end > sched_start THEN greatest(0, date_diff('second',"
    " greatest(login_ts, sched_start), least(logout_ts, sched_end))) ELSE 0 END"
)
HANDLED = "direction = 'inbound' AND answered_ts IS NOT NULL"


def shifts(value: str) -> str:
    return over("attendance", "shift_date", value)


def legs(value: str) -> str:
    return over("call_legs", "offered_ts", value)


STAFFED_SECONDS = shifts(f"sum({STAFFED})")
PAID_SECONDS = shifts(f"sum({PAID})")
SCHEDULED_SECONDS = shifts(f"sum({SPAN}) FILTER (WHERE {FIRST_LOGIN} AND sched_end > sched_start)")
ADHERENT = shifts(f"sum({OVERLAP})")
HANDLE = legs(f"sum(talk_seconds + hold_seconds + acw_seconds) FILTER (WHERE {HANDLED})")
SCHEDULED_SHIFTS = shifts(f"count(*) FILTER (WHERE {FIRST_LOGIN} AND {SCHEDULED})")
PRESENT_SCHEDULED = shifts(
    f"count(*) FILTER (WHERE {FIRST_LOGIN} AND {SCHEDULED} AND status = 'present')"
)

# Logged-in seconds clipped to each day a present login overlaps (by time, not by shift_date),
# then summed per period; the compiler splits by quarter hours instead.
LOGGED_IN = """
    SELECT CAST(date_trunc('{grain}', day) AS DATE) AS period,
           sum(date_diff('second', greatest(login_ts, day),
                         least(logout_ts, day + INTERVAL 1 DAY))) AS value
    FROM (
        SELECT login_ts, logout_ts,
               unnest(generate_series(CAST(CAST(login_ts AS DATE) AS TIMESTAMP), logout_ts,
                                      INTERVAL 1 DAY)) AS day
        FROM src.attendance WHERE status = 'present' AND logout_ts > login_ts
    ) WHERE day < logout_ts GROUP BY 1
"""
PERIOD_SECONDS = "date_diff('second', period, CAST(period + INTERVAL 1 {grain} AS DATE))"
AGENTS_LOGGED_IN = f"SELECT period, value / {PERIOD_SECONDS} AS value FROM ({LOGGED_IN})"
OFFERED = legs("count(*) FILTER (WHERE direction = 'inbound' AND leg_seq = 1)")
AHT = legs(
    f"CAST(sum(talk_seconds + hold_seconds + acw_seconds) FILTER (WHERE {HANDLED}) AS DOUBLE)"
    f" / nullif(count(*) FILTER (WHERE {HANDLED}), 0)"
)
# Erlang C by the Erlang B recursion B(n) = A B(n-1) / (n + A B(n-1)), C = n B / (n - A (1 - B)),
# in a recursive CTE: a different computation from the compiler's log-space series.
ERLANG = f"""
    WITH RECURSIVE inputs AS (
        SELECT period, c.value AS calls, h.value AS aht,
               c.value * h.value / {PERIOD_SECONDS} AS a
        FROM ({OFFERED}) AS c LEFT JOIN ({AHT}) AS h USING (period)
    ), erlang(period, a, aht, n, b) AS (
        SELECT period, a, aht, 0, CAST(1 AS DOUBLE) FROM inputs WHERE a > 0
        UNION ALL
        SELECT period, a, aht, n + 1, a * b / (n + 1 + a * b) FROM erlang WHERE n < 1000
    ), levels AS (
        SELECT period, n, a, 1 - n * b / (n - a * (1 - b)) * exp(-(n - a) * 20 / aht) AS sl
        FROM erlang WHERE n > a
    ), required AS (
        SELECT period, min(n) AS agents FROM levels WHERE sl >= 0.8 GROUP BY period
    )
    SELECT period, CASE WHEN calls = 0 THEN 0 WHEN aht IS NULL THEN NULL ELSE agents END AS value
    FROM inputs LEFT JOIN required USING (period)
"""
# SL with the whole agents logged in (a fraction dropped), by the same recursion up to them
PREDICTED = f"""
    WITH RECURSIVE inputs AS (
        SELECT period, c.value AS calls, h.value AS aht,
               c.value * h.value / {PERIOD_SECONDS} AS a, floor(l.value) AS agents
        FROM ({OFFERED}) AS c LEFT JOIN ({AHT}) AS h USING (period)
        LEFT JOIN ({AGENTS_LOGGED_IN}) AS l USING (period)
    ), erlang(period, a, aht, agents, n, b) AS (
        SELECT period, a, aht, agents, 0, CAST(1 AS DOUBLE) FROM inputs
        WHERE a > 0 AND agents > a AND agents <= 1000
        UNION ALL
        SELECT period, a, aht, agents, n + 1, a * b / (n + 1 + a * b) FROM erlang
        WHERE n < agents
    )
    SELECT i.period,
           CASE WHEN i.calls = 0 OR i.aht IS NULL OR i.aht <= 0 THEN NULL
                WHEN i.agents <= i.a THEN 0
                ELSE 1 - e.n * e.b / (e.n - e.a * (1 - e.b)) * exp(-(e.n - e.a) * 20 / e.aht)
           END AS value
    FROM inputs AS i LEFT JOIN erlang AS e ON e.period = i.period AND e.n = i.agents
"""
GAP = (
    f"SELECT period, r.value - l.value AS value FROM ({ERLANG}) AS r"
    f" JOIN ({AGENTS_LOGGED_IN}) AS l USING (period)"
)

CASES = {
    "logged_in_seconds": LOGGED_IN,
    "agents_logged_in": AGENTS_LOGGED_IN,
    "interval_occupancy": ratio(HANDLE, LOGGED_IN),
    "agents_required": ERLANG,
    "agents_gap": GAP,
    "predicted_service_level": PREDICTED,
    "staffed_seconds": STAFFED_SECONDS,
    "staffed_hours": shifts(f"sum({STAFFED}) / 3600.0"),
    "paid_seconds": PAID_SECONDS,
    "cph": ratio(legs(f"count(*) FILTER (WHERE {HANDLED})"), shifts(f"sum({STAFFED}) / 3600.0")),
    "occupancy": ratio(HANDLE, STAFFED_SECONDS),
    "utilisation": ratio(HANDLE, PAID_SECONDS),
    "scheduled_seconds": SCHEDULED_SECONDS,
    "adherent_seconds": ADHERENT,
    "schedule_adherence": ratio(ADHERENT, SCHEDULED_SECONDS),
    "conformance": ratio(PAID_SECONDS, SCHEDULED_SECONDS),
    "scheduled_shifts": SCHEDULED_SHIFTS,
    "present_scheduled_shifts": PRESENT_SCHEDULED,
    "present_shifts": shifts(f"count(*) FILTER (WHERE {FIRST_LOGIN} AND status = 'present')"),
    "attendance_rate": ratio(PRESENT_SCHEDULED, SCHEDULED_SHIFTS),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_cph_and_occupancy_by_team_aggregate_each_side_first(demo_project: Path) -> None:
    """Per team and month: handled legs and handle time of the team's agents over the team's
    staffed time, each side summed on its own (a row-by-row join would multiply hours)."""
    result = invoke(
        "query",
        "--project-dir",
        str(demo_project),
        "--metrics",
        "cph,occupancy",
        "--by",
        "team",
        "--grain",
        "month",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    got = {(r["month"], r["team"]): (r["cph"], r["occupancy"]) for r in json.loads(result.stdout)}
    rows = (
        hand_connection(demo_project)
        .execute(f"""
        WITH work AS (
            SELECT CAST(date_trunc('month', l.offered_ts) AS DATE) AS month, a.team,
                   count(*) AS handled, sum(talk_seconds + hold_seconds + acw_seconds) AS handle
            FROM src.call_legs AS l JOIN src.agent_history AS a ON a.agent_id = l.agent_id
                AND a.valid_from <= l.offered_ts
                AND (a.valid_to IS NULL OR a.valid_to > l.offered_ts)
            WHERE {HANDLED} AND l.offered_ts IS NOT NULL GROUP BY ALL
        ), time AS (
            SELECT CAST(date_trunc('month', s.shift_date) AS DATE) AS month, a.team,
                   sum({STAFFED}) AS staffed
            FROM src.attendance AS s JOIN src.agent_history AS a ON a.agent_id = s.agent_id
                AND a.valid_from <= s.shift_date
                AND (a.valid_to IS NULL OR a.valid_to > s.shift_date)
            GROUP BY ALL
        )
        SELECT month, team, handled / (staffed / 3600.0), handle / staffed
        FROM work JOIN time USING (month, team)
    """)
        .fetchall()
    )
    assert len(rows) >= 4 * 5
    for month, team, cph, occupancy in rows:
        have = got[(month.isoformat(), team)]
        assert have == (pytest.approx(cph), pytest.approx(occupancy)), (month, team)


# A 40-seat center's usual ranges, for one month.
PLAUSIBLE = {
    "cph": (6, 12),
    "occupancy": (0.60, 0.90),
    "utilisation": (0.50, 0.90),
    "schedule_adherence": (0.80, 1.0),
    "attendance_rate": (0.80, 1.0),
}


@pytest.mark.parametrize(("metric", "low", "high"), [(m, *r) for m, r in PLAUSIBLE.items()])
def test_plausible_for_a_40_seat_center(
    demo_project: Path, metric: str, low: float, high: float
) -> None:
    assert low <= month_value(demo_project, CASES, metric, "2024-12-01") <= high


def test_about_forty_seats_present(demo_project: Path) -> None:
    staffed = month_value(demo_project, CASES, "staffed_hours", "2024-12-01")
    assert 25 <= staffed / 31 / 8 <= 45  # eight-hour seats per day


def test_erlang_c_of_every_half_hour_equals_the_reference(demo_project: Path) -> None:
    """Issue 17: agents required and predicted service level of every 30-minute interval of the
    demo equal the pure-Python reference (tests/test_erlang.py), and pyworkforce agrees but
    where it starts one agent too high (A's fraction 0.5 or more)."""
    from pyworkforce.queuing import ErlangC
    from test_erlang import fewest_agents, service_level

    result = invoke(
        "query", "--project-dir", str(demo_project), "--grain", "30min", "--format", "json",
        "--metrics", "offered_calls,aht_seconds,agents_logged_in,agents_required,"
        "predicted_service_level",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) > 90 * 48
    compared = 0
    for row in rows:
        calls, aht = row["offered_calls"], row["aht_seconds"]
        if calls == 0:
            assert row["agents_required"] == 0
            assert row["predicted_service_level"] is None
            continue
        if aht is None:
            assert row["agents_required"] is None
            continue
        ours = fewest_agents(calls, aht, 20, 0.8, 1800)
        assert row["agents_required"] == ours, row
        agents = math.floor(row["agents_logged_in"])
        want = service_level(calls, aht, 20, agents, 1800)
        assert math.isclose(row["predicted_service_level"], want, rel_tol=1e-9, abs_tol=1e-12)
        theirs = ErlangC(transactions=calls, aht=aht / 60, asa=20 / 60, interval=30)
        positions = theirs.required_positions(service_level=0.8)["raw_positions"]
        traffic = calls * aht / 1800
        assert positions == ours or (
            positions == ours + 1 and round(traffic + 1) > math.floor(traffic) + 1
        ), row
        compared += 1
    assert compared > 80 * 40


def test_logged_in_seconds_by_team_through_the_roster_join(demo_project: Path) -> None:
    """Span seconds by a dimension through the team history: each interval's seconds go to the
    team the agent was in then (versions change at midnight, so clipping by day agrees)."""
    result = invoke(
        "query", "--project-dir", str(demo_project), "--metrics", "logged_in_seconds",
        "--by", "team", "--start", "2024-11-05", "--end", "2024-11-05", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = {r["team"]: r["logged_in_seconds"] for r in json.loads(result.stdout)}
    rows = (
        hand_connection(demo_project)
        .execute("""
        SELECT h.team, sum(date_diff('second', greatest(s.login_ts, TIMESTAMP '2024-11-05'),
                                     least(s.logout_ts, TIMESTAMP '2024-11-06')))
        FROM src.attendance AS s
        LEFT JOIN src.agent_history AS h ON h.agent_id = s.agent_id
             AND h.valid_from <= TIMESTAMP '2024-11-05'
             AND (h.valid_to IS NULL OR h.valid_to > TIMESTAMP '2024-11-05')
        WHERE s.status = 'present' AND s.logout_ts > s.login_ts
          AND s.logout_ts > TIMESTAMP '2024-11-05' AND s.login_ts < TIMESTAMP '2024-11-06'
        GROUP BY 1
    """)
        .fetchall()
    )
    assert len(rows) >= 5
    assert got == {team: seconds for team, seconds in rows}
