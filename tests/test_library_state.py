"""metrics/state.yml against hand-written SQL: open tickets at each period's end, queue
snapshots at each period's last and first time, the roster at each period's end.

The hand queries count with a correlated subquery per period end, where mfl joins a time
spine to the rows: the same question asked another way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from library_check import check_metric, metric_params, ratio


def periods(table: str, time: str) -> str:
    """The periods of {grain} between the first and last day of a model's time column."""
    return (
        "SELECT DISTINCT CAST(date_trunc('{grain}', d) AS DATE) AS period FROM ("
        "SELECT unnest(generate_series(min(CAST("
        + time
        + " AS DATE)), max(CAST("
        + time
        + " AS DATE)), INTERVAL 1 DAY)) AS d FROM src."
        + table
        + ") AS days"
    )


def open_at_end(value: str, where: str = "TRUE") -> str:
    """(period, value over the tickets open at the period's end instant t)."""
    t = "(e.period + INTERVAL 1 {grain})"
    return (
        f"SELECT e.period, (SELECT {value.replace('T_END', t)} FROM src.tickets AS k"
        f" WHERE k.created_ts <= {t} AND (k.resolved_ts IS NULL OR k.resolved_ts > {t})"
        f" AND ({where.replace('T_END', t)})) AS value"
        f" FROM ({periods('tickets', 'created_ts')}) AS e"
    )


def at_snapshot(value: str, pick: str) -> str:
    """(period, value over the snapshot rows at the period's max / min snapshot_ts)."""
    return (
        f"SELECT e.period, (SELECT {value} FROM src.queue_snapshots AS s"
        " WHERE s.snapshot_ts = k.t) FROM"
        f" ({periods('queue_snapshots', 'snapshot_ts')}) AS e LEFT JOIN ("
        f"SELECT CAST(date_trunc('{{grain}}', snapshot_ts) AS DATE) AS period, {pick}(snapshot_ts)"
        " AS t FROM src.queue_snapshots GROUP BY 1) AS k USING (period)"
    )


OPEN = open_at_end("count(*)")
OVER_24H = open_at_end("count(*)", "k.created_ts < T_END - INTERVAL 24 HOUR")
ROSTER_T = "(e.period + INTERVAL 1 {grain})"
ROSTER = (
    "SELECT e.period, (SELECT count(DISTINCT agent_id) FROM src.agent_history AS h"
    f" WHERE h.valid_from <= {ROSTER_T} AND (h.valid_to IS NULL OR h.valid_to > {ROSTER_T}))"
    f" FROM ({periods('agent_history', 'valid_from')}) AS e"
)

CASES = {
    "open_tickets": OPEN,
    "open_tickets_over_24h": OVER_24H,
    "open_ticket_age_hours": open_at_end("avg(date_diff('second', k.created_ts, T_END) / 3600.0)"),
    "overdue_open_share": ratio(OVER_24H, OPEN),
    "calls_waiting_close": at_snapshot("sum(waiting_calls)", "max"),
    "longest_wait_close": at_snapshot("max(longest_wait_seconds)", "max"),
    "calls_waiting_open": at_snapshot("sum(waiting_calls)", "min"),
    "agents_on_roster": ROSTER,
}


@pytest.mark.parametrize(("metric", "grain"), metric_params(CASES))
def test_metric_equals_hand_sql(demo_project: Path, metric: str, grain: str) -> None:
    check_metric(demo_project, CASES, metric, grain)


def test_open_tickets_are_not_a_sum_of_days(demo_project: Path) -> None:
    """A month's open tickets are the open tickets at its last day's end, not a sum."""
    days = check_metric(demo_project, CASES, "open_tickets", "day")
    months = check_metric(demo_project, CASES, "open_tickets", "month")
    assert months["2024-11-01"] == days["2024-11-30"]
    assert months["2024-11-01"] != sum(v or 0 for p, v in days.items() if p.startswith("2024-11"))
