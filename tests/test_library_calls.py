"""metrics/calls.yml against hand-written SQL over src.call_legs, at day, week and month.

Calls are first legs of inbound calls (C1); work is every answered inbound leg (DOMAIN.md 2).
The SQL below uses the typed base columns, not the model's helper flags, so the flags are
checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from library_check import check_metric, metric_params, month_value, over, ratio

C1 = "direction = 'inbound' AND leg_seq = 1"
ANSWERED = f"{C1} AND answered_ts IS NOT NULL"
ABANDONED = f"{C1} AND answered_ts IS NULL"
WAIT = "date_diff('second', offered_ts, coalesce(answered_ts, ended_ts))"
HANDLED = "direction = 'inbound' AND answered_ts IS NOT NULL"
MULTI_LEG = "call_id IN (SELECT call_id FROM src.call_legs GROUP BY call_id HAVING count(*) > 1)"
FINAL_LEG_RESOLVED = (
    "call_id IN (SELECT call_id FROM src.call_legs"
    " QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY leg_seq DESC) = 1"
    " AND resolved)"
)
CALLED_AGAIN_7D = (
    "EXISTS (SELECT 1 FROM src.call_legs AS o WHERE o.customer_id = c.customer_id"
    " AND o.direction = 'inbound' AND o.leg_seq = 1 AND o.leg_id <> c.leg_id"
    " AND (o.offered_ts > c.offered_ts OR (o.offered_ts = c.offered_ts AND o.leg_id > c.leg_id))"
    " AND o.offered_ts <= c.offered_ts + INTERVAL 7 DAY)"
)


def calls(value: str, where: str = "TRUE") -> str:
    return over("call_legs", "offered_ts", value, where)


def counted(where: str) -> str:
    return calls(f"count(*) FILTER (WHERE {where})")


OFFERED = counted(C1)
ANSWERED_CALLS = counted(ANSWERED)
ABANDONED_CALLS = counted(ABANDONED)
SHORT = counted(f"{ABANDONED} AND {WAIT} < 6")
HANDLED_LEGS = counted(HANDLED)


def per_handled_leg(column: str) -> str:
    return calls(
        f"CAST(sum({column}) FILTER (WHERE {HANDLED}) AS DOUBLE)"
        f" / nullif(count(*) FILTER (WHERE {HANDLED}), 0)"
    )


CASES = {
    "offered_calls": OFFERED,
    "answered_calls": ANSWERED_CALLS,
    "abandoned_calls": ABANDONED_CALLS,
    "short_abandoned_calls": SHORT,
    "callers": calls(f"count(DISTINCT customer_id) FILTER (WHERE {C1})"),
    "answer_rate": ratio(ANSWERED_CALLS, OFFERED),
    "abandonment_rate": ratio(ABANDONED_CALLS, OFFERED),
    "abandonment_rate_excl_short": calls(
        f"CAST(count(*) FILTER (WHERE {ABANDONED} AND {WAIT} >= 6) AS DOUBLE)"
        f" / nullif(count(*) FILTER (WHERE {C1} AND NOT ({ABANDONED} AND {WAIT} < 6)), 0)"
    ),
    "calls_answered_within_sl": counted(f"{ANSWERED} AND {WAIT} <= 20"),
    "service_level": ratio(counted(f"{ANSWERED} AND {WAIT} <= 20"), OFFERED),
    "answer_wait_seconds": calls(f"sum({WAIT}) FILTER (WHERE {ANSWERED})"),
    "asa": calls(f"avg({WAIT}) FILTER (WHERE {ANSWERED} AND {WAIT} IS NOT NULL)"),
    "abandon_wait_seconds": calls(f"sum({WAIT}) FILTER (WHERE {ABANDONED})"),
    "avg_abandon_time": ratio(calls(f"sum({WAIT}) FILTER (WHERE {ABANDONED})"), ABANDONED_CALLS),
    "handled_legs": HANDLED_LEGS,
    "handle_seconds": calls(
        f"sum(talk_seconds + hold_seconds + acw_seconds) FILTER (WHERE {HANDLED})"
    ),
    "aht": per_handled_leg("talk_seconds + hold_seconds + acw_seconds"),
    "talk_seconds": calls(f"sum(talk_seconds) FILTER (WHERE {HANDLED})"),
    "avg_talk_time": per_handled_leg("talk_seconds"),
    "hold_seconds": calls(f"sum(hold_seconds) FILTER (WHERE {HANDLED})"),
    "avg_hold_time": per_handled_leg("hold_seconds"),
    "acw_seconds": calls(f"sum(acw_seconds) FILTER (WHERE {HANDLED})"),
    "avg_acw_time": per_handled_leg("acw_seconds"),
    "transferred_calls": counted(f"{ANSWERED} AND {MULTI_LEG}"),
    "transfer_rate": ratio(counted(f"{ANSWERED} AND {MULTI_LEG}"), ANSWERED_CALLS),
    "resolved_calls": counted(f"{ANSWERED} AND {FINAL_LEG_RESOLVED}"),
    "fcr": ratio(counted(f"{ANSWERED} AND {FINAL_LEG_RESOLVED}"), ANSWERED_CALLS),
    "repeat_calls_7d": over(
        "call_legs AS c", "offered_ts", f"count(*) FILTER (WHERE {ANSWERED} AND {CALLED_AGAIN_7D})"
    ),
    "repeat_call_rate": ratio(
        over(
            "call_legs AS c",
            "offered_ts",
            f"count(*) FILTER (WHERE {ANSWERED} AND {CALLED_AGAIN_7D})",
        ),
        ANSWERED_CALLS,
    ),
    "outlier_legs": counted(
        "talk_seconds > 4 * 3600 OR (answered_ts IS NOT NULL"
        " AND talk_seconds + hold_seconds + acw_seconds > 4 * 3600)"
    ),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_week_ratio_is_not_the_mean_of_days(demo_project: Path) -> None:
    """Weekly abandonment is sum/sum over the week's calls, which differs from mean of days."""
    days = check_metric(demo_project, CASES, "abandonment_rate", "day")
    weeks = check_metric(demo_project, CASES, "abandonment_rate", "week")
    week_days = [v for d, v in days.items() if "2024-11-04" <= d <= "2024-11-10"]
    assert len(week_days) == 7
    mean_of_days = sum(float(v or 0) for v in week_days) / 7
    assert weeks["2024-11-04"] != pytest.approx(mean_of_days, rel=1e-6)


# A 40-seat center's usual ranges (DOMAIN.md targets and the demo's design), for one month.
PLAUSIBLE = {
    "abandonment_rate": (0.03, 0.10),
    "service_level": (0.70, 0.95),
    "aht": (200, 600),
    "asa": (3, 60),
    "transfer_rate": (0.03, 0.12),
    "fcr": (0.6, 0.9),
}


@pytest.mark.parametrize(("metric", "low", "high"), [(m, *r) for m, r in PLAUSIBLE.items()])
def test_plausible_for_a_40_seat_center(
    demo_project: Path, metric: str, low: float, high: float
) -> None:
    assert low <= month_value(demo_project, CASES, metric, "2024-12-01") <= high


def test_short_abandons_lower_the_variant(demo_project: Path) -> None:
    plain = month_value(demo_project, CASES, "abandonment_rate", "2024-12-01")
    variant = month_value(demo_project, CASES, "abandonment_rate_excl_short", "2024-12-01")
    assert 0 < variant < plain


def test_queue_rollup_equals_rows(demo_project: Path) -> None:
    """The by-queue indicator rollup gives what the rows give, queue by queue."""
    from conftest import invoke

    outputs = []
    for extra in ((), ("--no-indicators",)):
        result = invoke(
            "query",
            "--project-dir",
            str(demo_project),
            "--metrics",
            "offered_calls,abandonment_rate,aht,callers",
            "--by",
            "queue",
            "--grain",
            "month",
            "--format",
            "json",
            *extra,
        )
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
