"""metrics/outbound.yml against hand-written SQL: attempts are outbound legs by dial time,
tasks and their attempts are dated by task creation (cohort)."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_check import check_metric, metric_params, month_value, over, ratio

OUTBOUND = "direction = 'outbound'"
# attempts per task, joined by hand from the legs (not the model's attempt_count column)
TASK_LEGS = (
    "(SELECT t.task_id, t.created_ts, t.closed_ts, t.resolved, count(l.leg_id) AS attempts,"
    " count(l.answered_ts) AS connected"
    " FROM src.outbound_tasks AS t LEFT JOIN src.call_legs AS l"
    " ON l.outbound_task_id = t.task_id AND l.direction = 'outbound'"
    " GROUP BY ALL) AS tasks"
)


def tasks(value: str) -> str:
    return over(TASK_LEGS, "created_ts", value)


def legs(value: str) -> str:
    return over("call_legs", "offered_ts", value)


TASKS = tasks("count(*)")
ATTEMPTS = legs(f"count(*) FILTER (WHERE {OUTBOUND})")
CONNECTED = legs(f"count(*) FILTER (WHERE {OUTBOUND} AND answered_ts IS NOT NULL)")
CLOSED = tasks("count(*) FILTER (WHERE closed_ts IS NOT NULL)")
RESOLVED = tasks("count(*) FILTER (WHERE closed_ts IS NOT NULL AND resolved)")

CASES = {
    "outbound_tasks": TASKS,
    "outbound_attempts": ATTEMPTS,
    "outbound_connected_attempts": CONNECTED,
    "outbound_connect_rate": ratio(CONNECTED, ATTEMPTS),
    "task_attempts": tasks("sum(attempts)"),
    "attempts_per_task": tasks("avg(attempts)"),
    "contacted_tasks": tasks("count(*) FILTER (WHERE connected > 0)"),
    "outbound_contact_rate": tasks("avg(CASE WHEN connected > 0 THEN 1.0 ELSE 0 END)"),
    "closed_tasks": CLOSED,
    "resolved_tasks": RESOLVED,
    "task_resolution_rate": ratio(RESOLVED, CLOSED),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_every_leg_of_a_task_is_an_attempt(demo_project: Path) -> None:
    """Over the whole range, task attempts (cohort) and dialled attempts are the same legs
    except those of tasks created before the data starts (none in the demo)."""
    attempts = sum(month_value(demo_project, CASES, "outbound_attempts", m) for m in MONTHS)
    by_task = sum(month_value(demo_project, CASES, "task_attempts", m) for m in MONTHS)
    assert by_task == pytest.approx(attempts, rel=0.01)


MONTHS = ("2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01")


def test_plausible_outbound(demo_project: Path) -> None:
    assert 1 <= month_value(demo_project, CASES, "attempts_per_task", "2024-12-01") <= 4
    assert 0.3 <= month_value(demo_project, CASES, "outbound_connect_rate", "2024-12-01") <= 0.8
