"""Benchmarks of business hours and span seconds (issue 17), on DuckDB, in-process.

    python benchmarks/intervals.py [--rows 1000000] [--reps 5]

1. business_seconds over N tickets against a plain date_diff metric over the same rows: both
   as mfl queries that read the rows (`use_indicators=False`, by month), timed in turns.
   Target: business_seconds <= 3x date_diff.
   Also the day table's build with each (what day, week and month queries then read), and
   what the build pays once for it: the source table with the open seconds of its
   business_seconds() ends (a calendar join per end) against the model's query alone.
2. span seconds of N logins over one month at 30-minute grain against a hand-written query
   (each login split into the half hours it overlaps, summed): mfl's cost is building its
   quarter-hour table plus the 30-minute query over it. Target: <= 2x the hand query.
Both check that mfl's numbers equal the reference's before timing. Prints a markdown section
for benchmarks/results.md (## Findings, kept when run.py rewrites the file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb

from metricflow_lite.compile.build import plan_build, statements_for
from metricflow_lite.compile.layers import render_models
from metricflow_lite.compile.plan import (
    QueryRequest,
    indicator_tables,
    plan_indicator_table,
    plan_query,
)
from metricflow_lite.compile.sqlgen import query_of, render_query, to_sql
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

PROJECT = """name: bench_intervals
timezone: Asia/Shanghai
targets:
  dev: {type: duckdb, path: warehouse.duckdb}
calendars:
  service_hours:
    hours:
      mon-fri: ["09:00-12:00", "13:00-18:00"]
      sat: "10:00-16:00"
    holidays: [cn]
"""
METRICS = """version: 1
models:
  - name: tickets
    time: created_ts
  - name: logins
    time: login_ts
metrics:
  - name: reply_seconds
    label: 首次响应时长
    description: Calendar seconds to the first reply.
    model: tickets
    agg: sum
    expr: date_diff('second', created_ts, first_reply_ts)
  - name: reply_business_seconds
    label: 首次响应工作时长
    description: Business seconds to the first reply.
    model: tickets
    agg: sum
    expr: business_seconds(created_ts, first_reply_ts)
  - name: logged_in_seconds
    label: 登录时长
    description: Seconds logged in per period.
    model: logins
    agg: seconds
    span: {from: login_ts, until: logout_ts}
"""
MODELS = {
    "tickets": "select ticket_id, created_ts, first_reply_ts from {{ source('tickets') }}",
    "logins": "select login_id, login_ts, logout_ts from {{ source('logins') }}",
}
# N tickets over 2024 (replies 0-72 h later, a tenth never) and N logins in November 2024
# (4-10 h each, some across midnight, a few without logout).
DATA = """
CREATE SCHEMA raw;
CREATE TABLE raw.tickets AS
SELECT i AS ticket_id,
       TIMESTAMP '2024-01-01' + INTERVAL (hash(i) % (366 * 86400)) SECOND AS created_ts,
       CASE WHEN hash(i, 1) % 10 = 0 THEN NULL
            ELSE TIMESTAMP '2024-01-01' + INTERVAL (hash(i) % (366 * 86400)) SECOND
                 + INTERVAL (hash(i, 2) % (72 * 3600)) SECOND END AS first_reply_ts,
       1 AS _load_id, 'bench' AS _file, i AS _line
FROM range({rows}) AS t(i);
CREATE TABLE raw.logins AS
SELECT i AS login_id,
       TIMESTAMP '2024-11-01' + INTERVAL (hash(i) % (30 * 86400 - 36000)) SECOND AS login_ts,
       CASE WHEN hash(i, 1) % 100 = 0 THEN NULL
            ELSE TIMESTAMP '2024-11-01' + INTERVAL (hash(i) % (30 * 86400 - 36000)) SECOND
                 + INTERVAL (14400 + hash(i, 2) % 21600) SECOND END AS logout_ts,
       1 AS _load_id, 'bench' AS _file, i AS _line
FROM range({rows}) AS t(i);
"""
HAND_SPANS = """
SELECT slot AS "30min",
       sum(date_diff('second', greatest(login_ts, slot),
                     least(logout_ts, slot + INTERVAL 30 MINUTE))) AS logged_in_seconds
FROM (
    SELECT login_ts, logout_ts,
           unnest(generate_series(time_bucket(INTERVAL 30 MINUTE, login_ts), logout_ts,
                                  INTERVAL 30 MINUTE)) AS slot
    FROM raw.logins WHERE logout_ts > login_ts
) WHERE slot < logout_ts AND slot >= TIMESTAMP '2024-11-01' AND slot < TIMESTAMP '2024-12-01'
GROUP BY slot ORDER BY slot
"""


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def in_turns(reps: int, *runs: Callable[[], object]) -> list[float]:
    """Median seconds of each run, timed in turns after one warm-up each."""
    for run in runs:
        run()
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(reps):
        for i, run in enumerate(runs):
            times[i].append(timed(run))
    return [statistics.median(t) for t in times]


def main() -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mfl-bench-intervals-"))
    (root / "metricflow_lite.yml").write_text(PROJECT, encoding="utf-8")
    (root / "metrics").mkdir()
    (root / "metrics" / "bench.yml").write_text(METRICS, encoding="utf-8")
    (root / "models" / "source").mkdir(parents=True)
    for name, sql in MODELS.items():
        (root / "models" / "source" / f"{name}.sql").write_text(sql, encoding="utf-8")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(DATA.format(rows=args.rows))
    project = load_project(root)
    spec = load_spec(project)
    models = render_models(root, root / "models", ("logins", "tickets"), {})
    objects = plan_build(spec, models)
    statements = statements_for(objects, "duckdb")
    for schema in ("src", "ind", "app"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    span_table = next(o for o in objects if o.name.startswith("logins_") and o.schema == "ind")
    span_sql = next(s.sql for s in statements if s.what == span_table.what and "CREATE" in s.sql)
    for statement in statements:
        if statement.what != span_table.what and statement.sql.startswith("CREATE"):
            con.execute(statement.sql)

    def query(metric: str, **options: object) -> str:
        request = QueryRequest(metrics=(metric,), **options)  # type: ignore[arg-type]
        return to_sql(render_query(plan_query(spec, request)))

    rows_month = {"grain": Grain.MONTH, "use_indicators": False}
    plain_sql = query("reply_seconds", **rows_month)
    business_sql = query("reply_business_seconds", **rows_month)
    assert con.execute(business_sql).fetchall()  # a value per month
    plain, business = in_turns(
        args.reps,
        lambda: con.execute(plain_sql).fetchall(),
        lambda: con.execute(business_sql).fetchall(),
    )

    # what the build pays once: src.tickets with the ends it carries, against the model alone
    [tickets] = [o for o in objects if o.qualified_name == "src.tickets"]
    assert tickets.model_query is not None
    carried_src, model_src = (
        f"CREATE OR REPLACE TABLE src.bench_tickets AS {to_sql(query)}"
        for query in (tickets.query, tickets.model_query)
    )
    src_carried, src_plain = in_turns(
        args.reps, lambda: con.execute(carried_src), lambda: con.execute(model_src)
    )

    # the day table's build, where a day/week/month query's business seconds are computed
    [day_table] = [t for t in indicator_tables(spec) if t.name == "tickets_day"]

    def build_day(metric: str) -> Callable[[], object]:
        table = replace(day_table, metrics=(metric,))
        sql = to_sql(query_of(plan_indicator_table(table, spec)))
        return lambda: con.execute(f"CREATE OR REPLACE TABLE ind.bench_day AS {sql}")

    plain_day, business_day = in_turns(
        args.reps, build_day("reply_seconds"), build_day("reply_business_seconds")
    )

    month = {"grain": Grain.MIN30, "start": _date("2024-11-01"), "end": _date("2024-11-30")}
    spans_sql = query("logged_in_seconds", **month)

    def mfl_spans() -> list[tuple[object, ...]]:
        con.execute(f"DROP TABLE IF EXISTS ind.{span_table.name}")
        con.execute(span_sql)
        return con.execute(spans_sql).fetchall()

    hand = con.execute(HAND_SPANS).fetchall()
    got = mfl_spans()
    assert [(str(a), int(b)) for a, b in got] == [(str(a), int(b)) for a, b in hand]
    mfl_total, hand_total = in_turns(
        args.reps, mfl_spans, lambda: con.execute(HAND_SPANS).fetchall()
    )
    query_only, _ = in_turns(args.reps, lambda: con.execute(spans_sql).fetchall(), lambda: None)
    load = os.getloadavg()
    lines = [
        f"### Intervals (`python benchmarks/intervals.py --rows {args.rows}`)",
        "",
        f"DuckDB {duckdb.__version__}, {os.cpu_count()} cores, load average"
        f" {load[0]:.1f} at the end, median of {args.reps} runs in turns after a warm-up.",
        "",
        "| measure | mfl | reference | ratio | target |",
        "|---|---:|---:|---:|---:|",
        f"| business_seconds vs date_diff, {args.rows:,} tickets, from rows by month"
        f" | {business:.3f} s | {plain:.3f} s | {business / plain:.2f} | <= 3 |",
        f"| the same, building the day table (what day/week/month queries read)"
        f" | {business_day:.3f} s | {plain_day:.3f} s | {business_day / plain_day:.2f} | <= 3 |",
        f"| once per build: src.tickets with its business_seconds() ends, against the model"
        f" alone | {src_carried:.3f} s | {src_plain:.3f} s | {src_carried / src_plain:.2f} | |",
        f"| span seconds at 30min for a month, {args.rows:,} logins (build the quarter-hour"
        f" table + query) | {mfl_total:.3f} s | {hand_total:.3f} s (hand SQL)"
        f" | {mfl_total / hand_total:.2f} | <= 2 |",
        f"| the same, the 30min query over the built table only | {query_only:.3f} s"
        f" | {hand_total:.3f} s | {query_only / hand_total:.2f} | |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    return text


def _date(text: str) -> object:
    import datetime as dt

    return dt.date.fromisoformat(text)


if __name__ == "__main__":
    main()
