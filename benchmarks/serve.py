"""A bounded load test of `mfl serve` on loopback (issue 22).

    python benchmarks/serve.py [--requests 1000] [--seconds 60] [--burst 300] [--write]

The repository's demo project is copied to a temporary folder, run (`mfl run`) and served on a
free 127.0.0.1 port. Then, measured from this process with one new connection per request:

1. `--requests` requests spread evenly over `--seconds` (1,000 a minute by default), in a
   fixed rotation: metric queries (three shapes), a report's rows, the dashboard, the metrics
   list, and a request without the token (refused, logged);
2. a burst of `--burst` requests from 8 threads at once, the same rotation.

Per phase: latency p50/p95/p99/max of the answered requests, and the server's resident memory
(VmRSS) before, between and after (the first number after a warm-up of 30 requests). Every
answer's status is checked (refused requests must be 401, the rest 200). Load averages from
os.getloadavg() at the start and the end. With --write the table replaces the section between
the SERVE-BENCH markers of benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PARTS = ("metricflow_lite.yml", "models", "metrics", "reports", "seeds")
TOKEN = "bench-" + "t" * 24
BEGIN, END = "<!-- SERVE-BENCH BEGIN -->", "<!-- SERVE-BENCH END -->"


@dataclass(frozen=True)
class Ask:
    name: str
    method: str
    path: str
    body: dict[str, object] | None = None
    token: bool = True


ROTATION = (
    Ask("query by queue by week", "POST", "/api/query",
        {"metrics": ["abandonment_rate", "aht_seconds"], "by": ["queue"], "grain": "week"}),
    Ask("report rows", "GET", "/api/reports/daily_operations?grain=week"),
    Ask("query total", "POST", "/api/query", {"metrics": ["offered_calls"]}),
    Ask("dashboard", "GET", "/"),
    Ask("query by day, filtered", "POST", "/api/query",
        {"metrics": ["offered_calls"], "grain": "day", "where": "queue = 'VIP'"}),
    Ask("metrics", "GET", "/api/metrics"),
    Ask("refused (no token)", "GET", "/api/status", token=False),
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ask(port: int, request: Ask) -> tuple[int, float]:
    """Status and seconds of one request on a new connection."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if request.token else {}
    data = None
    if request.body is not None:
        data = json.dumps(request.body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(request.method, request.path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def check(request: Ask, status: int) -> None:
    wanted = 200 if request.token else 401
    if status != wanted:
        raise SystemExit(f"{request.name}: HTTP {status}, expected {wanted}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": ordered[-1] * 1000,
    }


BY_ROUTE: dict[str, list[float]] = {}  # the steady phase's seconds per request kind


def one_request(port: int, i: int) -> float:
    """The i-th request of the rotation: its seconds, its status checked, kept by route."""
    request = ROTATION[i % len(ROTATION)]
    status, took = ask(port, request)
    check(request, status)
    BY_ROUTE.setdefault(request.name, []).append(took)
    return took


def steady(request: Callable[[int], float], count: int, seconds: float) -> list[float]:
    """`count` requests spread evenly over `seconds` (one at a time, on a schedule)."""
    spent = []
    started = time.monotonic()
    for i in range(count):
        due = started + i * seconds / count
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        spent.append(request(i))
    return spent


def burst(request: Callable[[int], float], count: int, threads: int = 8) -> list[float]:
    """`count` requests from `threads` threads at once; the first failure ends the run."""
    spent: list[float] = []
    lock = threading.Lock()
    failures: list[BaseException] = []
    turn = iter(range(count))

    def work() -> None:
        while True:
            with lock:
                i = next(turn, None)
            if i is None:
                return
            try:
                took = request(i)
            except BaseException as err:  # noqa: BLE001 - reported below
                failures.append(err)
                return
            with lock:
                spent.append(took)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise SystemExit(f"burst: {failures[0]!r}")
    return spent


def mfl() -> list[str]:
    script = Path(sys.executable).with_name("mfl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "metricflow_lite.cli"]


def prepared_project(folder: Path) -> Path:
    project = folder / "demo"
    project.mkdir()
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            shutil.copy2(source, project / part)
    subprocess.run([*mfl(), "run", "--project-dir", str(project)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return project


def run(args: argparse.Namespace) -> str:
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        project = prepared_project(Path(tmp))
        port = free_port()
        log = Path(tmp) / "serve.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [*mfl(), "serve", "--project-dir", str(project), "--port", str(port),
                 "--pg-port", "0"],
                stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "MFL_SERVE_TOKEN": TOKEN},
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if ask(port, Ask("status", "GET", "/api/status"))[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(log.read_text())
                time.sleep(0.2)
            for i in range(30):  # warm-up: every route once or more, pages rendered
                request = ROTATION[i % len(ROTATION)]
                check(request, ask(port, request)[0])
            rss = [rss_mib(server.pid)]
            phases: list[tuple[str, Callable[[], list[float]]]] = [
                (
                    f"{args.requests:,} requests over {args.seconds:g} s, one at a time",
                    lambda: steady(partial(one_request, port), args.requests, args.seconds),
                ),
                (
                    f"burst: {args.burst:,} requests, 8 clients at once",
                    lambda: burst(partial(one_request, port), args.burst),
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
        refused = sum(1 for line in log.read_text().splitlines() if " refused " in line)
    load_end = os.getloadavg()
    import duckdb

    lines = [
        BEGIN,
        "## Serving: `mfl serve` under load (issue 22; `benchmarks/serve.py`)",
        "",
        f"Measured on {time.strftime('%Y-%m-%d %H:%M')} on loopback, the demo project"
        f" (`mfl run` on the repository's seeds/), {platform.machine()},"
        f" {os.cpu_count()} cores shared with other work; python"
        f" {platform.python_version()}, duckdb {duckdb.__version__}. Load average (1/5/15 min)"
        f" at the start {' / '.join(f'{x:.2f}' for x in load_start)}, at the end"
        f" {' / '.join(f'{x:.2f}' for x in load_end)}. One new connection per request, in a"
        " rotation of three metric queries, a report's rows, the dashboard, the metric list and"
        " one request without the token (every answer's status checked: 200, or 401 for that"
        f" one); {refused:,} refusals logged. The server stopped on SIGTERM with exit code"
        f" {code}.",
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
    lines += [
        "",
        "The steady phase by request (median and p95 ms):",
        "",
        "| request | count | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for request in ROTATION:
        seconds = BY_ROUTE.get(request.name, [])
        if len(seconds) >= 2:
            cut = percentiles(seconds)
            lines.append(
                f"| {request.name} | {len(seconds)} | {cut['p50']:.1f} | {cut['p95']:.1f} |"
            )
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write(section: str, begin: str = BEGIN, end: str = END) -> None:
    """Put a section into results.md between its markers (at the end the first time)."""
    results = HERE / "results.md"
    text = results.read_text(encoding="utf-8")
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--write", action="store_true", help="update benchmarks/results.md")
    args = parser.parse_args()
    section = run(args)
    sys.stdout.write(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
