"""The demo's window metrics against hand-written SQL: DuckDB window functions and self-joins
over src.call_legs, a different method from the compiler's frames of days."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import invoke

C1 = "direction = 'inbound' AND leg_seq = 1"
DAILY = f"""
    SELECT CAST(offered_ts AS DATE) AS day,
           count(*) FILTER (WHERE {C1}) AS offered,
           count(*) FILTER (WHERE {C1} AND answered_ts IS NULL) AS abandoned,
           count(*) FILTER (WHERE {C1} AND answered_ts IS NOT NULL
                            AND date_diff('second', offered_ts, answered_ts) <= 20) AS within_sl,
           sum(handle_seconds) FILTER (WHERE direction = 'inbound'
                                       AND answered_ts IS NOT NULL) AS handle,
           count(*) FILTER (WHERE direction = 'inbound' AND answered_ts IS NOT NULL) AS handled
    FROM src.call_legs WHERE offered_ts IS NOT NULL GROUP BY 1
"""
HAND_SQL = f"""
    WITH daily AS ({DAILY}),
    mtd AS (
        SELECT day, sum(offered) OVER m AS offered
        FROM daily WINDOW m AS (PARTITION BY date_trunc('month', day) ORDER BY day)
    )
    SELECT CAST(d.day AS VARCHAR) AS day,
           CAST(sum(d.abandoned) OVER w7 AS DOUBLE) / sum(d.offered) OVER w7 AS abandonment_7d,
           CAST(sum(d.handle) OVER w7 AS DOUBLE) / sum(d.handled) OVER w7 AS aht_7d,
           sum(d.offered) OVER m AS offered_mtd,
           CAST(sum(d.within_sl) OVER m AS DOUBLE) / sum(d.offered) OVER m AS sl_mtd,
           CAST(d.offered AS DOUBLE) / nullif(w.offered, 0) - 1 AS wow,
           CAST(d.offered AS DOUBLE) / nullif(y.offered, 0) - 1 AS yoy,
           CAST(dm.offered AS DOUBLE) / nullif(ym.offered, 0) - 1 AS mtd_yoy
    FROM daily AS d
    LEFT JOIN daily AS w ON w.day = d.day - INTERVAL 7 DAY
    LEFT JOIN daily AS y ON y.day = CAST(d.day - INTERVAL 1 YEAR AS DATE)
    LEFT JOIN mtd AS dm ON dm.day = d.day
    LEFT JOIN mtd AS ym ON ym.day = CAST(d.day - INTERVAL 1 YEAR AS DATE)
    WINDOW w7 AS (ORDER BY d.day RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW),
           m AS (PARTITION BY date_trunc('month', d.day) ORDER BY d.day)
    ORDER BY 1
"""
# metric -> the column of HAND_SQL (day grain) or of SHARE_SQL (month by queue) that checks it
CASES = {
    "abandonment_rate_7d": "abandonment_7d",
    "aht_seconds_7d": "aht_7d",
    "offered_calls_mtd": "offered_mtd",
    "service_level_mtd": "sl_mtd",
    "offered_calls_wow": "wow",
    "offered_calls_yoy": "yoy",
    "offered_calls_mtd_yoy": "mtd_yoy",
    "offered_calls_share": "share",
    "callers_7d": "callers",
}
METRICS = tuple(m for m in CASES if m not in ("offered_calls_share", "callers_7d"))


def hand(project: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def mfl(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    assert isinstance(a, int | float) and isinstance(b, int | float)
    return bool(a == pytest.approx(b, rel=1e-9))


def test_daily_windows_match_hand_written_sql(demo_project: Path) -> None:
    expected = hand(demo_project, HAND_SQL)
    rows = {
        r["day"]: r for r in mfl(demo_project, "--metrics", ",".join(METRICS), "--grain", "day")
    }
    assert len(expected) > 60  # the demo has months of calls, every day
    assert sorted(rows) == [e[0] for e in expected]
    for day, *values in expected:
        got = [rows[day][m] for m in METRICS]
        assert all(close(g, v) for g, v in zip(got, values, strict=True)), (day, got, values)


def test_queue_share_matches_hand_written_sql(demo_project: Path) -> None:
    expected = hand(
        demo_project,
        f"""
        SELECT CAST(date_trunc('month', offered_ts) AS DATE)::VARCHAR AS month, queue,
               CAST(count(*) FILTER (WHERE {C1}) AS DOUBLE)
               / sum(count(*) FILTER (WHERE {C1}))
                 OVER (PARTITION BY date_trunc('month', offered_ts)) AS share
        FROM src.call_legs WHERE offered_ts IS NOT NULL
        GROUP BY 1, 2, date_trunc('month', offered_ts)
        ORDER BY 1, 2
        """,
    )
    rows = mfl(
        demo_project, "--metrics", "offered_calls_share", "--grain", "month", "--by", "queue"
    )
    got = {(r["month"], r["queue"]): r["offered_calls_share"] for r in rows}
    assert len(got) == len(expected)
    for month, queue, share in expected:
        assert close(got[(month, queue)], share), (month, queue)
    for month in {m for m, _, _ in expected}:
        assert sum(v for (m, _), v in got.items() if m == month and v) == pytest.approx(1)


def test_rolling_distinct_callers_match_hand_written_sql(demo_project: Path) -> None:
    expected = hand(
        demo_project,
        f"""
        WITH days AS (
            SELECT DISTINCT CAST(offered_ts AS DATE) AS day FROM src.call_legs
            WHERE offered_ts IS NOT NULL
        )
        SELECT CAST(d.day AS VARCHAR), count(DISTINCT c.customer_id) AS callers
        FROM days AS d
        LEFT JOIN src.call_legs AS c
          ON c.offered_ts >= d.day - INTERVAL 6 DAY AND c.offered_ts < d.day + INTERVAL 1 DAY
         AND {C1}
        GROUP BY 1 ORDER BY 1
        """,
    )
    rows = mfl(demo_project, "--metrics", "callers_7d,callers", "--grain", "day")
    assert [(r["day"], r["callers_7d"]) for r in rows] == expected
    # a week of distinct callers is fewer than the sum of the days' distinct callers
    assert all(
        r["callers_7d"] <= sum(x["callers"] for x in rows[max(0, i - 6) : i + 1])
        for i, r in enumerate(rows)
    )
    assert any(
        r["callers_7d"] < sum(x["callers"] for x in rows[max(0, i - 6) : i + 1])
        for i, r in enumerate(rows)
    )
