"""metrics/customers.yml, app.customer_churn_risk and app.busy_idle_day against hand-written
SQL over the channel views (not src.customer_contacts) and against mfl's hourly output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke
from library_check import check_metric, hand_connection, metric_params, month_value, over, ratio

CONTACTS = (
    "(SELECT customer_id, offered_ts AS ts FROM src.call_legs"
    " WHERE direction = 'inbound' AND leg_seq = 1 AND customer_id IS NOT NULL"
    " UNION ALL SELECT customer_id, started_ts FROM src.chats WHERE customer_id IS NOT NULL"
    " UNION ALL SELECT customer_id, created_ts FROM src.tickets WHERE customer_id IS NOT NULL)"
)
COUNT = over(CONTACTS, "ts", "count(*)")
DISTINCT = over(CONTACTS, "ts", "count(DISTINCT customer_id)")

CASES = {
    "customer_contacts": COUNT,
    "contacting_customers": DISTINCT,
    "interactions_per_customer": ratio(COUNT, DISTINCT),
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_interactions_per_customer_grows_with_the_period(demo_project: Path) -> None:
    """Why it is read at month grain only: the ratio depends on the period's length."""
    day = check_metric(demo_project, CASES, "interactions_per_customer", "day")
    month = month_value(demo_project, CASES, "interactions_per_customer", "2024-12-01")
    assert 1 < max(float(v or 0) for v in day.values()) < month < 3


def test_churn_bands_follow_the_rules(demo_project: Path) -> None:
    """Recompute each customer's band from complaints and ratings by hand."""
    con = hand_connection(demo_project)
    rows = con.execute(f"""
        WITH as_of AS (
            SELECT max(ts) AS d FROM {CONTACTS}
        ), complaints AS (
            SELECT customer_id, count(*) AS n FROM src.tickets, as_of
            WHERE is_complaint AND created_ts > d - INTERVAL 30 DAY GROUP BY 1
        ), recent AS (
            SELECT DISTINCT customer_id FROM {CONTACTS}, as_of WHERE ts > d - INTERVAL 30 DAY
        ), rated AS (
            SELECT customer_id, csat, ts, id FROM (
                SELECT customer_id, csat, started_ts AS ts, chat_id AS id FROM src.chats
                UNION ALL SELECT customer_id, csat, created_ts, ticket_id FROM src.tickets
            ) WHERE csat IS NOT NULL AND customer_id IS NOT NULL AND ts IS NOT NULL
        ), ordered AS (
            SELECT customer_id, list(csat ORDER BY ts DESC, id DESC) AS scores
            FROM rated GROUP BY 1
        ), customers AS (
            SELECT DISTINCT customer_id FROM {CONTACTS} WHERE ts IS NOT NULL
        )
        SELECT c.customer_id,
            CASE
                WHEN coalesce(k.n, 0) >= 2 AND o.scores[1] < o.scores[2] THEN 'high'
                WHEN r.customer_id IS NULL AND o.scores[1] <= 3 THEN 'medium'
                WHEN coalesce(k.n, 0) >= 1 THEN 'medium'
                ELSE 'low'
            END AS band
        FROM customers AS c
        LEFT JOIN complaints AS k USING (customer_id)
        LEFT JOIN recent AS r USING (customer_id)
        LEFT JOIN ordered AS o USING (customer_id)
    """).fetchall()
    expected = dict(rows)
    import duckdb

    app = duckdb.connect(str(demo_project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        got = dict(
            app.execute("SELECT customer_id, risk_band FROM app.customer_churn_risk").fetchall()
        )
        reasons = app.execute(
            "SELECT risk_band, count(*), count(DISTINCT reason) FROM app.customer_churn_risk"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        app.close()
    assert got == expected
    assert [band for band, _, _ in reasons] == ["high", "low", "medium"]


def test_busy_idle_differential_matches_hourly_query(demo_project: Path) -> None:
    """Busy hours (offered >= the day's 75th percentile of hourly volume) from mfl's
    hour_of_day output, compared with the application view, day by day."""
    result = invoke(
        "query",
        "--project-dir",
        str(demo_project),
        "--metrics",
        "offered_calls,abandoned_calls,calls_answered_within_sl",
        "--by",
        "hour_of_day",
        "--grain",
        "day",
        "--start",
        "2024-12-01",
        "--end",
        "2024-12-07",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    hours: dict[str, list[tuple[int, int, int]]] = {}
    for row in json.loads(result.stdout):
        if row["offered_calls"]:
            hours.setdefault(row["day"], []).append(
                (row["offered_calls"], row["abandoned_calls"], row["calls_answered_within_sl"])
            )
    import duckdb

    app = duckdb.connect(str(demo_project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        view = {
            d.isoformat(): (bh, ab, sl)
            for d, bh, ab, sl in app.execute(
                "SELECT day, busy_hours, abandonment_rate_diff, service_level_diff"
                " FROM app.busy_idle_day WHERE day BETWEEN '2024-12-01' AND '2024-12-07'"
            ).fetchall()
        }
    finally:
        app.close()
    assert sorted(view) == sorted(hours)
    for day, rows in hours.items():
        volumes = sorted(r[0] for r in rows)
        position = 0.75 * (len(volumes) - 1)  # percentile_cont: linear interpolation
        low = volumes[int(position)]
        high = volumes[min(int(position) + 1, len(volumes) - 1)]
        threshold = low + (high - low) * (position - int(position))
        busy = [r for r in rows if r[0] >= threshold]
        idle = [r for r in rows if r[0] < threshold]

        def rate(side: list[tuple[int, int, int]], i: int) -> float:
            return sum(r[i] for r in side) / sum(r[0] for r in side)

        assert view[day] == (
            len(busy),
            pytest.approx(rate(busy, 1) - rate(idle, 1)),
            pytest.approx(rate(busy, 2) - rate(idle, 2)),
        ), day
        assert view[day][2] < 0  # busy hours answer fewer calls within 20 s
