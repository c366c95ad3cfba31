"""metrics/chats.yml against hand-written SQL over src.chats, by started_ts."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_check import check_metric, metric_params, month_value, over, ratio

FRT = "date_diff('second', started_ts, first_response_ts)"
RESPONDED = "first_response_ts IS NOT NULL"


def chats(value: str) -> str:
    return over("chats", "started_ts", value)


SESSIONS = chats("count(*)")
RATED = chats("count(csat)")
SATISFIED = chats("count(*) FILTER (WHERE csat IN (4, 5))")

CASES = {
    "chats": SESSIONS,
    "chat_customers": chats("count(DISTINCT customer_id)"),
    "responded_chats": chats(f"count(*) FILTER (WHERE {RESPONDED})"),
    "chat_first_response_seconds": chats(f"sum({FRT})"),
    "chat_frt": chats(f"avg({FRT}) FILTER (WHERE {RESPONDED})"),
    "chat_frt_median": chats(f"quantile_cont({FRT}, 0.5) FILTER (WHERE {RESPONDED})"),
    "unanswered_chats": chats(f"count(*) FILTER (WHERE NOT ({RESPONDED}))"),
    "unanswered_chat_rate": chats(f"avg(CASE WHEN {RESPONDED} THEN 0.0 ELSE 1.0 END)"),
    "chat_rated": RATED,
    "chat_satisfied": SATISFIED,
    "chat_csat": ratio(SATISFIED, RATED),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_chat_customers_of_a_month_are_fewer_than_the_sum_of_days(demo_project: Path) -> None:
    days = check_metric(demo_project, CASES, "chat_customers", "day")
    december = sum(float(v or 0) for d, v in days.items() if d.startswith("2024-12"))
    assert month_value(demo_project, CASES, "chat_customers", "2024-12-01") < december


def test_plausible_chats(demo_project: Path) -> None:
    assert 0 < month_value(demo_project, CASES, "unanswered_chat_rate", "2024-12-01") < 0.15
    median = month_value(demo_project, CASES, "chat_frt_median", "2024-12-01")
    assert 0 < median < month_value(demo_project, CASES, "chat_frt", "2024-12-01")
