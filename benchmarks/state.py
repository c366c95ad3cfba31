"""Benchmarks of state metrics and time-valid joins against hand-written SQL (issue 16).

    python benchmarks/state.py [--tickets 1m] [--legs 10m] [--reps 5]

1. Open tickets by day over a year of 1M tickets (`active:`): mfl's query, compile included,
   against a hand-written range join of the same thing. Target: at most 3x.
2. A team report (handle time, legs and AHT by team and day) over 10M call legs, the team taken
   from the history valid at each call's time (`valid:`), against the same report over a plain
   join to the current roster. Both from the rows (`--no-indicators`). Target: at most 1.5x.

Data is generated in DuckDB into benchmarks/data/state/ (git-ignored), loaded with `mfl seed`
and built with `mfl build`; each pair of queries runs in turns (mfl, other, mfl, ...) after a
warm-up, so a busy neighbour weighs on both sides. The results replace the "State and
history" section of benchmarks/results.md (inside its Findings, which run.py keeps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from metricflow_lite.compile.plan import QueryRequest
from metricflow_lite.jobs.pipeline import build_project, run_query
from metricflow_lite.seeds.load import load_seeds
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec
from metricflow_lite.warehouse import connect

HERE = Path(__file__).parent
HEADING = "## State and history (benchmarks/state.py)"

PROJECT_FILE = """name: state_bench
timezone: Asia/Shanghai
week_start: monday
target: dev
targets:
  dev: {type: duckdb, path: target/warehouse.duckdb, memory_limit: 3GB}
"""
METRICS = """version: 1
models:
  - name: tickets
    time: created_ts
    primary_key: ticket_id
    dimensions: [priority]
  - name: agent_history
    primary_key: agent_id
    valid: {from: valid_from, until: valid_to}
    dimensions: [team]
  - name: agents
    primary_key: agent_id
    dimensions: [team]
  - name: call_legs
    time: offered_ts
    primary_key: leg_id
    dimensions:
      - {name: agent_id, joins: agent_history}
      - {name: roster_agent_id, joins: agents, as: roster}
metrics:
  - {name: open_tickets, label: 未结工单数, description: Open at each period's end.,
     model: tickets, agg: count, active: {from: created_ts, until: resolved_ts}}
  - {name: handle_seconds, label: 处理时长, description: Handle seconds.,
     model: call_legs, agg: sum, expr: handle_seconds}
  - {name: legs, label: 分段数, description: Legs., model: call_legs, agg: count}
  - {name: aht, label: 平均处理时长, description: handle / legs., expr: handle_seconds / legs}
"""
MODELS = {
    "tickets": "select ticket_id, priority, created_ts, resolved_ts from {{ source('tickets') }}",
    "agent_history": (
        "select agent_id, team, valid_from, valid_to from {{ source('agent_history') }}"
    ),
    "agents": "select agent_id, team from {{ source('agents') }}",
    "call_legs": (
        "select leg_id, agent_id, agent_id as roster_agent_id, offered_ts, handle_seconds"
        " from {{ source('call_legs') }}"
    ),
}
YEAR_START = dt.date(2024, 1, 1)
AGENTS = 2000
TEAMS = 40


def count_of(label: str) -> int:
    """1m -> 1_000_000, 500k -> 500_000."""
    text = label.lower().strip()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def generate(seeds: Path, tickets: int, legs: int) -> None:
    """The four exports as parquet: a year of tickets (95 % resolved after about three days),
    2,000 agents of whom a quarter moved team once, and 92 days of call legs."""
    seeds.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    start = f"TIMESTAMP '{YEAR_START}'"
    con.execute(f"""
        COPY (
            SELECT 'T' || i AS ticket_id, 'P' || (hash(i, 'p') % 3 + 1) AS priority,
                {start} + to_seconds((hash(i, 'c') % (365 * 86400))::BIGINT) AS created_ts,
                CASE WHEN hash(i, 'open') % 20 <> 0 THEN {start}
                    + to_seconds((hash(i, 'c') % (365 * 86400))::BIGINT)
                    + to_seconds((-3 * 86400 * ln(1 - (hash(i, 'r') % 1000000) / 1000000.0))
                        ::BIGINT) END AS resolved_ts
            FROM range({tickets}) t(i)
        ) TO '{seeds / "tickets.parquet"}' (FORMAT parquet)
    """)
    con.execute(f"""
        CREATE TABLE moves AS
        SELECT 'A' || i AS agent_id, 'team' || (i % {TEAMS}) AS team,
            CASE WHEN i % 4 = 0 THEN TIMESTAMP '2024-10-01'
                + to_days((hash(i, 'move') % 90)::INTEGER) END AS moved_at
        FROM range({AGENTS}) t(i)
    """)
    con.execute(f"""
        COPY (
            SELECT agent_id, CASE WHEN moved_at IS NULL THEN team
                ELSE 'team' || ((hash(agent_id) % {TEAMS})) END AS team,
                TIMESTAMP '2020-01-01' AS valid_from, moved_at AS valid_to
            FROM moves
            UNION ALL
            SELECT agent_id, team, moved_at, NULL FROM moves WHERE moved_at IS NOT NULL
        ) TO '{seeds / "agent_history.parquet"}' (FORMAT parquet)
    """)
    con.execute(
        f"COPY (SELECT agent_id, team FROM moves) TO '{seeds / 'agents.parquet'}' (FORMAT parquet)"
    )
    con.execute(f"""
        COPY (
            SELECT 'L' || i AS leg_id, 'A' || (hash(i, 'a') % {AGENTS}) AS agent_id,
                TIMESTAMP '2024-10-01' + to_seconds((hash(i, 'o') % (92 * 86400))::BIGINT)
                    AS offered_ts,
                (30 + hash(i, 'h') % 600)::INTEGER AS handle_seconds
            FROM range({legs}) t(i)
        ) TO '{seeds / "call_legs.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    con.close()


def make_project(root: Path, tickets: int, legs: int) -> Path:
    """A project over generated data, reused while the sizes are the same."""
    marker = root / "sizes.txt"
    sizes = f"{tickets} {legs}\n"
    if marker.exists() and marker.read_text() == sizes:
        return root
    if root.exists():
        shutil.rmtree(root)
    (root / "metrics").mkdir(parents=True)
    (root / "models" / "source").mkdir(parents=True)
    (root / "metricflow_lite.yml").write_text(PROJECT_FILE, encoding="utf-8")
    (root / "metrics" / "state.yml").write_text(METRICS, encoding="utf-8")
    for name, sql in MODELS.items():
        (root / "models" / "source" / f"{name}.sql").write_text(sql + "\n", encoding="utf-8")
    log(f"generating {tickets:,} tickets and {legs:,} legs")
    generate(root / "seeds", tickets, legs)
    project = load_project(root)
    warehouse = connect(project, None)
    try:
        started = time.perf_counter()
        load_seeds(project, warehouse)
        log(f"seeded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        build_project(project, warehouse)
        log(f"built in {time.perf_counter() - started:.1f} s")
    finally:
        warehouse.close()
    marker.write_text(sizes)
    return root


def in_turns(
    first: Callable[[], Any], second: Callable[[], Any], reps: int
) -> tuple[list[float], list[float], Any, Any]:
    """Seconds of each function over reps runs in turns, after one warm-up of each."""
    times: list[list[float]] = [[], []]
    results: list[Any] = [None, None]
    for i in range(reps + 1):
        for j, fn in enumerate((first, second)):
            started = time.perf_counter()
            results[j] = fn()
            if i:
                times[j].append(time.perf_counter() - started)
    return times[0], times[1], results[0], results[1]


HAND_OPEN_TICKETS = f"""
SELECT d.day, count(t.ticket_id) AS open_tickets
FROM (
    SELECT CAST(unnest(generate_series(DATE '{YEAR_START}', DATE '{YEAR_START}'
        + INTERVAL 365 DAY - INTERVAL 1 DAY, INTERVAL 1 DAY)) AS DATE) AS day
) AS d
LEFT JOIN src.tickets AS t
    ON t.created_ts <= d.day + INTERVAL 1 DAY
    AND coalesce(t.resolved_ts, TIMESTAMP '9999-12-31') > d.day + INTERVAL 1 DAY
GROUP BY d.day
ORDER BY d.day
"""


# The same numbers the way a careful analyst writes them: +1 when a ticket opens, -1 when it is
# resolved, bucketed into the day whose end is the first at or after that instant, summed in
# order, each day taking the running total of its last bucket (ASOF join).
HAND_RUNNING_TOTAL = f"""
WITH changes AS (
    SELECT created_ts AS changed_at, 1 AS delta FROM src.tickets WHERE created_ts IS NOT NULL
    UNION ALL
    SELECT greatest(created_ts, resolved_ts), -1 FROM src.tickets
    WHERE created_ts IS NOT NULL AND resolved_ts IS NOT NULL
), per_day AS (
    SELECT CAST(changed_at - INTERVAL 1 MICROSECOND AS DATE) AS day, sum(delta) AS delta
    FROM changes GROUP BY 1
), running AS (
    SELECT day, sum(delta) OVER (ORDER BY day) AS open_tickets FROM per_day
), days AS (
    SELECT CAST(range AS DATE) AS day
    FROM range(DATE '{YEAR_START}', DATE '{YEAR_START}' + INTERVAL 365 DAY, INTERVAL 1 DAY)
)
SELECT d.day, coalesce(r.open_tickets, 0) AS open_tickets
FROM days AS d ASOF LEFT JOIN running AS r ON d.day >= r.day
ORDER BY d.day
"""


def same(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> bool:
    """Rows equal, floats within 1e-9 relative, dates compared as text."""
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9):
                    return False
            elif str(x) != str(y):
                return False
    return True


def bench(root: Path, reps: int) -> list[str]:
    project = load_project(root)
    spec = load_spec(project)
    warehouse = connect(project, None)
    lines: list[str] = []
    try:
        (tickets,) = warehouse.fetch("SELECT count(*) FROM src.tickets").rows[0]
        (legs,) = warehouse.fetch("SELECT count(*) FROM src.call_legs").rows[0]
        year = QueryRequest(
            metrics=("open_tickets",),
            grain=Grain.DAY,
            start=YEAR_START,
            end=YEAR_START + dt.timedelta(days=364),
        )
        mfl, hand, got, want = in_turns(
            lambda: run_query(project, warehouse, year, spec),
            lambda: warehouse.fetch(HAND_OPEN_TICKETS),
            reps,
        )
        assert same(got.rows, want.rows), "open tickets differ from the hand-written SQL"
        lines += result_lines(
            f"open tickets by day over a year, {tickets:,} tickets (365 rows)",
            "a hand-written join of each day with the tickets open at its end",
            mfl,
            hand,
            3.0,
        )
        mfl, hand, got, want = in_turns(
            lambda: run_query(project, warehouse, year, spec),
            lambda: warehouse.fetch(HAND_RUNNING_TOTAL),
            reps,
        )
        assert same(got.rows, want.rows), "open tickets differ from the hand-written total"
        lines += result_lines(
            "the same, against the way a careful analyst writes it",
            "a hand-written running total (opened minus resolved, ASOF join)",
            mfl,
            hand,
            3.0,
        )

        def team_report(by: str, use_indicators: bool = False) -> QueryRequest:
            return QueryRequest(
                metrics=("handle_seconds", "legs", "aht"),
                by=(by,),
                grain=Grain.DAY,
                use_indicators=use_indicators,
            )

        valid, plain, by_history, by_roster = in_turns(
            lambda: run_query(project, warehouse, team_report("team"), spec),
            lambda: run_query(project, warehouse, team_report("roster.team"), spec),
            reps,
        )
        assert sum(r[2] for r in by_history.rows) == sum(r[2] for r in by_roster.rows)
        lines += result_lines(
            f"team report by day over {legs:,} legs, from the rows",
            "the same report over a plain join to the current roster",
            valid,
            plain,
            1.5,
        )
        indicated, plain_indicated, _, _ = in_turns(
            lambda: run_query(project, warehouse, team_report("team", True), spec),
            lambda: run_query(project, warehouse, team_report("roster.team", True), spec),
            reps,
        )
        lines += result_lines(
            f"the same team report from the indicator tables ({legs:,} legs)",
            "the plain join from the indicator tables",
            indicated,
            plain_indicated,
            None,
        )
    finally:
        warehouse.close()
    return lines


def result_lines(
    what: str, against: str, mfl: list[float], other: list[float], target: float | None
) -> list[str]:
    ratio = statistics.median(mfl) / statistics.median(other)
    verdict = "" if target is None else (" (met)" if ratio <= target else " (NOT met)")
    goal = "" if target is None else f", target <= {target:g}x"
    return [
        f"- {what}: mfl {statistics.median(mfl) * 1000:.0f} ms"
        f" ({min(mfl) * 1000:.0f}-{max(mfl) * 1000:.0f}), {against}"
        f" {statistics.median(other) * 1000:.0f} ms"
        f" ({min(other) * 1000:.0f}-{max(other) * 1000:.0f}): {ratio:.2f}x{goal}{verdict}"
    ]


def write_results(out: Path, lines: list[str], reps: int) -> None:
    """Replace (or append) the section of this script in results.md, after its Findings."""
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    section = [
        HEADING,
        "",
        f"{dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores shared with other"
        f" work (load average {load} at the end), DuckDB {duckdb.__version__}, median of"
        f" {reps} runs in turns after a warm-up (min-max in brackets). The machine is shared:"
        " single runs vary by 20-50 %, the ratios less, as both sides of each pair ran in"
        " turns.",
        "",
        *lines,
        "",
    ]
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if HEADING in text:
        before, rest = text.split(HEADING, 1)
        # the section ends at the next heading, or at a comment marking another script's block
        ends = [i for i in (rest.find("\n## "), rest.find("\n<!--")) if i >= 0]
        tail = rest[min(ends) :] if ends else ""
        text = before + "\n".join(section) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(section)
    out.write_text(text, encoding="utf-8")


def log(message: str) -> None:
    print(f"[state] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="1m")
    parser.add_argument("--legs", default="10m")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "state")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args(argv)
    root = make_project(args.data, count_of(args.tickets), count_of(args.legs))
    lines = bench(root, args.reps)
    print("\n".join(lines))
    write_results(args.out, lines, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
