"""A bounded load test of the PostgreSQL endpoint of `mfl serve` on loopback (issue 22).

    python benchmarks/pgwire.py [--requests 1000] [--seconds 60] [--burst 300] [--write]

The repository's demo project is copied to a temporary folder, run (`mfl run`) and served with
`--pg-port` on a free 127.0.0.1 port. Then, from this process, each request on a new psycopg
connection (startup and SCRAM-SHA-256 included in its time):

1. `--requests` requests spread evenly over `--seconds` (1,000 a minute by default), in a fixed
   rotation: a report view, an aggregate over a source model with a bound parameter, the
   catalog listing psql's `\\dt app.*` sends, information_schema.columns, a refused query
   (read_csv: 42501) and a wrong password (28P01);
2. a burst of `--burst` requests from 8 threads at once, the same rotation.

Per phase: latency p50/p95/p99/max, and the server's resident memory (VmRSS) before and after
(the first after a warm-up of 30 requests). Every answer is checked (rows where rows are due,
the SQLSTATE where a refusal is). Load averages from os.getloadavg() at the start and the end.
With --write the table replaces the section between the PGWIRE-BENCH markers of
benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psycopg
from serve import (  # benchmarks/serve.py: the HTTP side's load test
    TOKEN,
    burst,
    free_port,
    mfl,
    percentiles,
    prepared_project,
    rss_mib,
    steady,
    write,
)

BEGIN, END = "<!-- PGWIRE-BENCH BEGIN -->", "<!-- PGWIRE-BENCH END -->"


@dataclass(frozen=True)
class Ask:
    name: str
    sql: str
    params: tuple[object, ...] = ()
    sqlstate: str | None = None  # the refusal expected; None: rows expected
    password: str = TOKEN


ROTATION = (
    Ask("report view", "SELECT * FROM app.daily_operations_week ORDER BY 1 LIMIT 50"),
    Ask("aggregate with a parameter",
        "SELECT queue, count(*) FROM src.call_legs WHERE queue <> %s GROUP BY 1 ORDER BY 1",
        ("x",)),
    Ask("psql \\dt app.*",
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace"
        " n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','') AND n.nspname"
        " OPERATOR(pg_catalog.~) '^(app)$' COLLATE pg_catalog.default ORDER BY 1, 2"),
    Ask("information_schema.columns",
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'app' ORDER BY 1, 2"),
    Ask("refused (read_csv)", "SELECT * FROM read_csv('/etc/passwd')", sqlstate="42501"),
    Ask("wrong password", "SELECT 1", sqlstate="28P01", password="not-the-token"),
)  # fmt: skip


def ask(port: int, request: Ask) -> float:
    """Seconds of one request on a new connection; SystemExit when the answer is wrong."""
    started = time.perf_counter()
    dsn = f"host=127.0.0.1 port={port} dbname=mfl user=bench password={request.password}"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=60) as conn:
            rows = conn.execute(request.sql, request.params or None).fetchall()
        if request.sqlstate is not None or not rows:
            raise SystemExit(f"{request.name}: {len(rows)} rows, expected {request.sqlstate}")
    except psycopg.Error as err:
        # a failed login carries no SQLSTATE in psycopg: its message says which it is
        login_refused = "password authentication failed" in str(err)
        state = "28P01" if err.sqlstate is None and login_refused else err.sqlstate
        if request.sqlstate is None or state != request.sqlstate:
            raise SystemExit(f"{request.name}: {err.sqlstate} {err}") from None
    return time.perf_counter() - started


BY_KIND: dict[str, list[float]] = {}


def one_request(port: int, i: int) -> float:
    """The i-th request of the rotation: its seconds, kept by kind."""
    request = ROTATION[i % len(ROTATION)]
    took = ask(port, request)
    BY_KIND.setdefault(request.name, []).append(took)
    return took


def run(args: argparse.Namespace) -> str:
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        project = prepared_project(Path(tmp))
        port, pg_port = free_port(), free_port()
        log = Path(tmp) / "serve.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [*mfl(), "serve", "--project-dir", str(project), "--port", str(port),
                 "--pg-port", str(pg_port)],
                stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "MFL_SERVE_TOKEN": TOKEN},
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    ask(pg_port, ROTATION[0])
                    break
                except (SystemExit, OSError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(log.read_text()) from None
                    time.sleep(0.2)
            for i in range(30):
                ask(pg_port, ROTATION[i % len(ROTATION)])
            rss = [rss_mib(server.pid)]
            phases: list[tuple[str, Callable[[], list[float]]]] = [
                (
                    f"{args.requests:,} requests over {args.seconds:g} s, one at a time",
                    lambda: steady(partial(one_request, pg_port), args.requests, args.seconds),
                ),
                (
                    f"burst: {args.burst:,} requests, 8 clients at once",
                    lambda: burst(partial(one_request, pg_port), args.burst),
                ),
            ]
            rows = []
            for label, phase in phases:
                started = time.monotonic()
                spent = phase()
                wall = time.monotonic() - started
                rss.append(rss_mib(server.pid))
                rows.append((label, len(spent), wall, percentiles(spent), rss[-2], rss[-1]))
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(60)
        text = log.read_text(encoding="utf-8", errors="replace")
        refused = sum(1 for line in text.splitlines() if " pg " in line and "refused" in line)
        leaked = TOKEN in text or "not-the-token" in text
    load_end = os.getloadavg()
    import duckdb

    lines = [
        BEGIN,
        "## Serving: the PostgreSQL endpoint under load (issue 22; `benchmarks/pgwire.py`)",
        "",
        f"Measured on {time.strftime('%Y-%m-%d %H:%M')} on loopback, the demo project served"
        f" by `mfl serve --pg-port`, {platform.machine()}, {os.cpu_count()} cores shared with"
        f" other work; python {platform.python_version()}, duckdb {duckdb.__version__}, psycopg"
        f" {psycopg.__version__}. Load average (1/5/15 min) at the start"
        f" {' / '.join(f'{x:.2f}' for x in load_start)}, at the end"
        f" {' / '.join(f'{x:.2f}' for x in load_end)}. One new connection (startup and"
        " SCRAM-SHA-256) per request, in a rotation of a report view, an aggregate with a"
        " bound parameter, psql's `\\dt app.*` catalog query, information_schema.columns, a"
        " refused read_csv (42501) and a wrong password (28P01), every answer checked;"
        f" {refused:,} refusals logged, the password in the log: {'yes' if leaked else 'no'}."
        f" The server stopped on SIGTERM with exit code {code}.",
        "",
        "| phase | requests | wall s | p50 ms | p95 ms | p99 ms | max ms | RSS before MiB |"
        " RSS after MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, count, wall, cut, before, after in rows:
        lines.append(
            f"| {label} | {count:,} | {wall:.1f} | {cut['p50']:.1f} | {cut['p95']:.1f} |"
            f" {cut['p99']:.1f} | {cut['max']:.1f} | {before:.1f} | {after:.1f} |"
        )
    lines += ["", "The steady phase by request (median and p95 ms):", ""]
    lines += ["| request | count | p50 ms | p95 ms |", "|---|---:|---:|---:|"]
    for request in ROTATION:
        seconds = BY_KIND.get(request.name, [])
        if len(seconds) >= 2:
            cut = percentiles(seconds)
            name = request.name.replace("\\", "\\\\")
            lines.append(f"| {name} | {len(seconds)} | {cut['p50']:.1f} | {cut['p95']:.1f} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--write", action="store_true", help="update benchmarks/results.md")
    args = parser.parse_args()
    section = run(args)
    sys.stdout.write(section)
    if args.write:
        write(section, BEGIN, END)


if __name__ == "__main__":
    main()
