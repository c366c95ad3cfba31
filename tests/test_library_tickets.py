"""metrics/tickets.yml against hand-written SQL over src.tickets, by created_ts (cohort)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from library_check import check_metric, metric_params, month_value, over, ratio

REPLY_MIN = "date_diff('second', created_ts, first_reply_ts) / 60.0"
RESOLVE_H = "date_diff('second', created_ts, resolved_ts) / 3600.0"
RESOLVED = "resolved_ts IS NOT NULL"
COMPLAINT = "is_complaint"
# the customer's previous complaint within 30 days, found by hand with a self-join
REPEAT = (
    "is_complaint AND EXISTS (SELECT 1 FROM src.tickets AS p WHERE p.is_complaint"
    " AND p.customer_id = t.customer_id AND p.ticket_id <> t.ticket_id"
    " AND (p.created_ts < t.created_ts"
    "      OR (p.created_ts = t.created_ts AND p.ticket_id < t.ticket_id))"
    " AND p.created_ts >= t.created_ts - INTERVAL 30 DAY)"
)


def tickets(value: str) -> str:
    return over("tickets AS t", "created_ts", value)


def business_seconds(end: str) -> str:
    """(ticket_id, seconds) of created_ts..end in the demo's service_hours, day by day: Mon-Fri
    09-12 and 13-18, Sat 10-16, China's holidays closed, its make-up days with Monday's hours;
    0 when end <= created_ts, no row when end is NULL."""
    from chinese_calendar import constants

    def dates(days: list[dt.date]) -> str:
        return ", ".join(f"(DATE '{d}')" for d in days)

    closed = dates(sorted(d for d in constants.holidays if 2024 <= d.year <= 2025))
    made_up = dates(sorted(d for d in constants.workdays if 2024 <= d.year <= 2025))
    hours = ", ".join(
        [f"({d}, 32400, 43200), ({d}, 46800, 64800)" for d in range(1, 6)] + ["(6, 36000, 57600)"]
    )
    return f"""(
        WITH hours(dow, open_s, close_s) AS (VALUES {hours}),
        closed(day) AS (VALUES {closed}), made_up(day) AS (VALUES {made_up}),
        days AS (
            SELECT ticket_id, created_ts, {end} AS end_ts,
                   CAST(unnest(generate_series(CAST(created_ts AS DATE), CAST({end} AS DATE),
                                               INTERVAL 1 DAY)) AS DATE) AS day
            FROM src.tickets WHERE {end} > created_ts
        ), typed AS (
            SELECT *, CASE WHEN day IN (SELECT day FROM made_up) THEN 1
                           WHEN day IN (SELECT day FROM closed) THEN 0
                           ELSE isodow(day) END AS dow
            FROM days
        ), opened AS (
            SELECT ticket_id, sum(greatest(0, date_diff('second',
                       greatest(created_ts, day + open_s * INTERVAL 1 SECOND),
                       least(end_ts, day + close_s * INTERVAL 1 SECOND)))) AS seconds
            FROM typed JOIN hours USING (dow) GROUP BY ticket_id
        )
        SELECT t.ticket_id, coalesce(o.seconds, 0) AS seconds
        FROM src.tickets AS t LEFT JOIN opened AS o USING (ticket_id)
        WHERE t.{end} IS NOT NULL
    )"""


def with_business(end: str, value: str) -> str:
    relation = (
        "(SELECT t.*, b.seconds FROM src.tickets AS t"
        f" LEFT JOIN {business_seconds(end)} AS b USING (ticket_id))"
    )
    return over(relation, "created_ts", value)


CREATED = tickets("count(*)")
REPLY_BUSINESS = with_business("first_reply_ts", "sum(seconds)")
REPLIED = tickets("count(first_reply_ts)")
IN_SLA_REPLY = with_business("first_reply_ts", "count(*) FILTER (WHERE seconds <= 4 * 3600)")
IN_SLA_RESOLVE = with_business("resolved_ts", "count(*) FILTER (WHERE seconds <= 24 * 3600)")
COMPLAINTS = tickets(f"count(*) FILTER (WHERE {COMPLAINT})")
RATED = tickets("count(csat)")

CASES = {
    "first_reply_business_seconds": REPLY_BUSINESS,
    "ticket_frt_business_hours": (
        f"SELECT period, value / 3600 AS value FROM ({ratio(REPLY_BUSINESS, REPLIED)})"
    ),
    "tickets_replied_in_sla": IN_SLA_REPLY,
    "first_reply_sla_rate": ratio(IN_SLA_REPLY, CREATED),
    "tickets_resolved_in_sla": IN_SLA_RESOLVE,
    "resolution_sla_rate": ratio(IN_SLA_RESOLVE, CREATED),
    "tickets_created": CREATED,
    "replied_tickets": tickets("count(first_reply_ts)"),
    "first_reply_minutes": tickets(f"sum({REPLY_MIN})"),
    "ticket_frt_minutes": tickets(f"avg({REPLY_MIN})"),
    "tickets_resolved_24h": tickets(f"count(*) FILTER (WHERE {RESOLVE_H} <= 24)"),
    "resolution_rate_24h": tickets(f"avg(CASE WHEN {RESOLVE_H} <= 24 THEN 1.0 ELSE 0 END)"),
    "resolved_tickets": tickets(f"count(*) FILTER (WHERE {RESOLVED})"),
    "resolution_rate": tickets(f"avg(CASE WHEN {RESOLVED} THEN 1.0 ELSE 0 END)"),
    "resolve_hours": tickets(f"sum({RESOLVE_H})"),
    "mean_ttr_hours": tickets(f"avg({RESOLVE_H})"),
    "median_ttr_hours": tickets(f"median({RESOLVE_H})"),
    "reopened_tickets": tickets(f"count(*) FILTER (WHERE {RESOLVED} AND reopened_count > 0)"),
    "reopen_rate": tickets(
        f"avg(CASE WHEN reopened_count > 0 THEN 1.0 ELSE 0 END) FILTER (WHERE {RESOLVED})"
    ),
    "rated_tickets": RATED,
    "satisfied_tickets": tickets("count(*) FILTER (WHERE csat >= 4)"),
    "neutral_tickets": tickets("count(*) FILTER (WHERE csat = 3)"),
    "dissatisfied_tickets": tickets("count(*) FILTER (WHERE csat <= 2)"),
    "csat": tickets("avg(CASE WHEN csat >= 4 THEN 1.0 ELSE 0 END) FILTER (WHERE csat > 0)"),
    "csat_neutral_share": tickets(
        "avg(CASE WHEN csat = 3 THEN 1.0 ELSE 0 END) FILTER (WHERE csat > 0)"
    ),
    "csat_dissatisfied_share": tickets(
        "avg(CASE WHEN csat <= 2 THEN 1.0 ELSE 0 END) FILTER (WHERE csat > 0)"
    ),
    "csat_points": tickets("sum(csat)"),
    "csat_score": tickets("avg(csat)"),
    "csat_response_rate": ratio(RATED, CREATED),
    "nps_responses": tickets("count(nps)"),
    "nps_promoters": tickets("count(*) FILTER (WHERE nps >= 9)"),
    "nps_detractors": tickets("count(*) FILTER (WHERE nps <= 6)"),
    "nps": tickets(
        "100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))"
        " / nullif(count(nps), 0)"
    ),
    "complaints": COMPLAINTS,
    "complaint_share": ratio(COMPLAINTS, CREATED),
    "repeat_complaints": tickets(f"count(*) FILTER (WHERE {REPEAT})"),
    "repeat_complaint_rate": ratio(tickets(f"count(*) FILTER (WHERE {REPEAT})"), COMPLAINTS),
    "resolved_complaints": tickets(f"count(*) FILTER (WHERE {COMPLAINT} AND {RESOLVED})"),
    "complaint_resolve_hours": tickets(f"sum({RESOLVE_H}) FILTER (WHERE {COMPLAINT})"),
    "complaint_ttr_hours": tickets(f"avg({RESOLVE_H}) FILTER (WHERE {COMPLAINT})"),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_complaint_flag_follows_the_raw_export(demo_project: Path) -> None:
    """is_complaint reads 是/否, Y/N, 1/0 or, when empty, category_l1 = 投诉 from raw."""
    from library_check import hand_connection

    con = hand_connection(demo_project)
    [(src_count,)] = con.execute("SELECT count(*) FROM src.tickets WHERE is_complaint").fetchall()
    [(raw_count,)] = con.execute(
        "SELECT count(DISTINCT ticket_id) FROM raw.tickets WHERE lower(trim(is_complaint))"
        " IN ('是', 'y', '1', 'yes', 'true') OR (coalesce(trim(is_complaint), '') = ''"
        " AND category_l1 = '投诉')"
    ).fetchall()
    assert src_count == raw_count


def test_plausible_tickets(demo_project: Path) -> None:
    assert 0.70 <= month_value(demo_project, CASES, "csat", "2024-12-01") <= 0.95
    assert 1 <= month_value(demo_project, CASES, "csat_score", "2024-12-01") <= 5
    assert -100 <= month_value(demo_project, CASES, "nps", "2024-12-01") <= 100
    median = month_value(demo_project, CASES, "median_ttr_hours", "2024-12-01")
    assert median < month_value(demo_project, CASES, "mean_ttr_hours", "2024-12-01")
