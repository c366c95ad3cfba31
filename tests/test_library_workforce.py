"""metrics/workforce.yml against hand-written SQL over src.attendance (by shift_date), and the
cross-model ratios (CPH, occupancy, utilisation) aggregated per side before dividing."""

from __future__ import annotations

import json
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

CASES = {
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
