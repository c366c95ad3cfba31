"""`mfl serve` over HTTP: a real server on a free loopback port, asked with http.client.

Numbers by hand from tests/fixtures/tiny/seeds/calls.csv: 16 first legs (offered_calls) from 9
customers; by queue A 11 (3 unanswered), B 4 (1), no queue 1 (1); the week of 2024-12-30 has
A 10 (8 on 12-30, 2 on 01-01) and B 4 (12-31). test_build_snapshot.py's rows add 2 first legs
and 2 customers: 18 and 11.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_fixture, invoke, seed_project
from serve_server import MFL, TOKEN, Server, free_port, running_server
from test_build_snapshot import (  # noqa: F401 - pg_project and postgres_dsn are fixtures
    AFTER,
    BEFORE,
    append_calls,
    build_paused,
    pg_project,
    postgres_dsn,
    totals,
)

BY_QUEUE = {"A": (11, 3), "B": (4, 1), None: (1, 1)}  # offered, abandoned


@pytest.fixture
def built(tmp_path: Path) -> Path:
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    result = invoke("build", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def server(built: Path) -> Iterator[Server]:
    with running_server(built) as running:
        yield running
    assert running.process.returncode == 0, running.log()
    assert "stopped (SIGTERM)" in running.log()


def cli_json(project: Path, *args: str) -> object:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def cli_error_code(project: Path, *args: str) -> str:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 1, result.output
    return result.output.split("error ", 1)[1].split(":", 1)[0]


# --- start-up and access ----------------------------------------------------------------------


def test_refuses_to_start_without_a_token(built: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MFL_SERVE_TOKEN"}
    for token in (None, "short"):
        if token is not None:
            env["MFL_SERVE_TOKEN"] = token
        done = subprocess.run(
            [MFL, "serve", "--project-dir", str(built), "--port", str(free_port())],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert "E809" in done.stderr and "MFL_SERVE_TOKEN" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_taken_port_is_a_clear_error(built: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [MFL, "serve", "--project-dir", str(built), "--port", str(port), "--pg-port", "0"],
            capture_output=True,
            text=True,
            env={**os.environ, "MFL_SERVE_TOKEN": TOKEN},
            timeout=120,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert "E813" in done.stderr and str(port) in done.stderr


def test_every_route_needs_the_token_and_refusals_are_logged(server: Server) -> None:
    wrong = "wrong-token-" + "y" * 20
    for path in ("/", "/index.html", "/queue_daily_week.html", "/api/status", "/api/metrics"):
        for token in (None, wrong):
            answer = server.request("GET", path, token=token)
            assert answer.status == 401, (path, answer.body)
            assert answer.headers["www-authenticate"].startswith("Bearer")
    answer = server.request("POST", "/api/query", token=None, body={"metrics": ["aht"]})
    assert answer.status == 401 and answer.json()["code"] == "E810"
    basic = server.request("GET", "/api/status", token=None, headers={"Authorization": "Basic x"})
    assert basic.status == 401
    assert server.request("GET", "/api/status").status == 200
    log = server.log()
    refused = [line for line in log.splitlines() if " refused " in line]
    assert any("127.0.0.1:" in ln and "GET /api/status 401 E810" in ln for ln in refused)
    assert any("no token" in line for line in refused)
    assert any("wrong token" in line for line in refused)
    assert any("not a bearer token" in line for line in refused)
    assert TOKEN not in log and wrong not in log


def test_a_browser_opens_once_with_the_token_and_keeps_a_cookie(server: Server) -> None:
    answer = server.request("GET", f"/?token={TOKEN}&wall=1", token=None)
    assert answer.status == 303
    assert answer.headers["location"] == "/?wall=1"  # the token leaves the address bar
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    session = cookie.split(";", 1)[0]
    page = server.request("GET", "/?wall=1", token=None, headers={"Cookie": session})
    assert page.status == 200 and b"<html" in page.body
    api = server.request("GET", "/api/status", token=None, headers={"Cookie": session})
    assert api.status == 200
    forged = server.request("GET", "/", token=None, headers={"Cookie": "mfl_session=abc"})
    assert forged.status == 401
    bad = server.request("GET", "/?token=nope", token=None)
    assert bad.status == 401 and "set-cookie" not in bad.headers
    assert TOKEN not in server.log()


# --- the API against mfl query and hand arithmetic --------------------------------------------


def test_query_equals_mfl_query_and_the_hand_counts(server: Server, built: Path) -> None:
    answer = server.query(metrics=["offered_calls", "callers"])
    assert answer.status == 200, answer.body
    assert answer.json()["rows"] == [BEFORE]
    assert answer.json()["rows"] == cli_json(built, "--metrics", "offered_calls,callers")

    by_queue = server.query(metrics="offered_calls,abandoned_calls", by="queue").json()
    found = {r["queue"]: (r["offered_calls"], r["abandoned_calls"]) for r in by_queue["rows"]}
    assert found == BY_QUEUE
    assert by_queue["columns"] == ["queue", "offered_calls", "abandoned_calls"]
    rate = server.query(metrics=["abandonment_rate"], by=["queue"]).json()["rows"]
    assert {r["queue"]: r["abandonment_rate"] for r in rate} == {
        q: abandoned / offered for q, (offered, abandoned) in BY_QUEUE.items()
    }

    asked = {
        "metrics": ["offered_calls", "abandonment_rate", "aht"],
        "by": ["queue"],
        "grain": "day",
        "start": "2024-12-30",
        "end": "2025-01-05",
        "where": "queue = 'A'",
        "completeness": True,
    }
    api = server.query(**asked).json()
    cli = cli_json(
        built,
        "--metrics",
        "offered_calls,abandonment_rate,aht",
        "--by",
        "queue",
        "--grain",
        "day",
        "--start",
        "2024-12-30",
        "--end",
        "2025-01-05",
        "--where",
        "queue = 'A'",
        "--completeness",
    )
    assert api["rows"] == cli
    assert [r["offered_calls"] for r in api["rows"]] == [8, 2]  # 12-30 and 01-01, queue A
    assert api["build"] == server.build_id()

    # without a grain the range is the period: the API flags it as `mfl query` does
    ranged = {"start": "2024-12-30", "end": "2025-01-05", "completeness": True}
    whole = server.query(metrics=["offered_calls"], **ranged).json()
    cli_args = ("--metrics", "offered_calls", "--start", "2024-12-30", "--end", "2025-01-05")
    assert whole["rows"] == cli_json(built, *cli_args, "--completeness")
    assert whole["columns"] == ["offered_calls", "is_complete"]
    flag = whole["rows"][0]["is_complete"]
    assert whole["incomplete"] == ([] if flag else ["2024-12-30..2025-01-05"])


@pytest.mark.parametrize(
    ("fields", "cli_args"),
    [
        ({"metrics": ["abandonment_rat"]}, ("--metrics", "abandonment_rat")),
        ({"metrics": ["aht"], "grain": "fortnight"}, ("--metrics", "aht", "--grain", "fortnight")),
        (
            {"metrics": ["aht"], "start": "2025-13-01"},
            ("--metrics", "aht", "--start", "2025-13-01"),
        ),
        ({"metrics": ["aht"], "by": ["queu"]}, ("--metrics", "aht", "--by", "queu")),
        # twice: two columns of one name, of which the rows kept one
        ({"metrics": ["aht", "aht"]}, ("--metrics", "aht,aht")),
        ({"metrics": ["aht"], "where": "queue = "}, ("--metrics", "aht", "--where", "queue = ")),
        (
            {"metrics": ["aht"], "where": "read_csv('x') = 1"},
            ("--metrics", "aht", "--where", "read_csv('x') = 1"),
        ),
    ],
)
def test_errors_are_json_with_the_code_of_the_cli(
    server: Server, built: Path, fields: dict[str, object], cli_args: tuple[str, ...]
) -> None:
    answer = server.query(**fields)
    assert answer.status == 400, answer.body
    error = answer.json()
    assert set(error) == {"code", "message", "hint", "location"}
    assert error["code"] == cli_error_code(built, *cli_args)
    assert error["message"]


def test_malformed_query_bodies_are_e808(server: Server) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        answer = server.request("POST", "/api/query", body=body)
        assert answer.status == 400 and answer.json()["code"] == "E808", body
    for fields in (
        {"metric": ["aht"]},  # did you mean 'metrics'
        {"metrics": 5},
        {"metrics": ["aht"], "grain": ["day"]},
        {"metrics": ["aht"], "completeness": "yes"},
        {},
    ):
        answer = server.query(**fields)
        assert answer.status == 400 and answer.json()["code"] == "E808", fields
    assert "'metrics'" in server.query(metric=["aht"]).json()["hint"]


def test_bodies_json_reads_but_no_text_holds_are_e808(server: Server) -> None:
    """JSON that Python parses into no text (a lone UTF-16 surrogate, which UTF-8 cannot
    encode) or parses too deep was a plain-text 500, an E899 RecursionError, or a DuckDB
    conversion error: the client's own mistake, E808 as JSON like the other bodies."""
    for body in (
        b'{"metrics": ["\\ud800"]}',  # an unknown metric, then an error body not encodable
        b'{"metrics": ["offered_calls"], "grain": "\\udc00"}',
        b'{"metrics": ["offered_calls"], "where": "queue = \'\\ud83d\'"}',
        b'{"\\ud800": 1}',
        b"[" * 20_000 + b"]" * 20_000,
    ):
        answer = server.request("POST", "/api/query", body=body)
        assert answer.status == 400, (body[:60], answer.status, answer.body[:200])
        assert answer.json()["code"] == "E808", body[:60]
    # an escaped surrogate pair is one character, and fine
    paired = b'{"metrics": ["offered_calls"], "where": "queue = \'\\ud83d\\ude00\'"}'
    answer = server.request("POST", "/api/query", body=paired)
    assert answer.status == 200, answer.body
    assert "internal error" not in server.log()


def test_metrics_and_reports(server: Server, built: Path) -> None:
    metrics = server.request("GET", "/api/metrics").json()["metrics"]
    listed = invoke("list", "metrics", "--project-dir", str(built)).output.splitlines()[2:]
    assert [m["name"] for m in metrics] == [line.split()[0] for line in listed]
    rate = next(m for m in metrics if m["name"] == "abandonment_rate")
    assert rate["label"] == "放弃率" and rate["format"] == "percent"
    assert rate["target"] == {"min": None, "max": 0.3}
    assert rate["models"] == ["calls"]

    reports = server.request("GET", "/api/reports").json()["reports"]
    assert [r["name"] for r in reports] == ["queue_daily", "team_capacity"]  # the YAML's order
    assert reports[0]["grains"] == ["day", "week", "month"]
    assert reports[0]["pages"]["week"] == "queue_daily_week.html"


def test_report_rows_with_labels_formats_targets_and_flags(server: Server) -> None:
    answer = server.request("GET", "/api/reports/queue_daily?grain=week&date=2024-12-31")
    assert answer.status == 200, answer.body
    found = answer.json()
    assert found["grain"] == "week" and found["period"] == "2024-12-30"
    # every queue of the report, as mfl report shows it (the one without a queue had no call)
    assert {r["queue"]: r["offered_calls"] for r in found["rows"]} == {"A": 10, "B": 4, None: 0}
    assert [t["offered_calls"] for t in found["totals"]] == [14]
    columns = {c["name"]: c for c in found["columns"]}
    assert columns["abandonment_rate"]["label"] == "放弃率"
    assert columns["abandonment_rate"]["format"] == "percent"
    assert columns["abandonment_rate"]["target"] == {"min": None, "max": 0.3}
    assert columns["offered_calls_change"]["comparison"] == "previous_period"
    flags = {r["queue"]: r["abandonment_rate_target_met"] for r in found["rows"]}
    # A in that week: 3 unanswered of 10 (0.3 <= 0.3, met); B: 1 of 4 (0.25); none: no rate
    assert flags == {"A": True, "B": True, None: None}
    assert [r["abandonment_rate"] for r in found["rows"]] == [0.3, 0.25, None]
    assert all(r["is_complete"] for r in found["rows"])
    unknown = server.request("GET", "/api/reports/queue_dialy")
    assert unknown.status == 404 and unknown.json()["code"] == "E260"
    assert "queue_daily" in unknown.json()["hint"]
    no_grain = server.request("GET", "/api/reports/team_capacity?grain=day")
    assert no_grain.status == 400 and no_grain.json()["code"] == "E261"
    bad_date = server.request("GET", "/api/reports/queue_daily?date=yesterday")
    assert bad_date.status == 400 and bad_date.json()["code"] == "E254"


def test_pages_are_the_html_mfl_run_writes(server: Server, built: Path) -> None:
    result = invoke("run", "--project-dir", str(built))
    assert result.exit_code == 0, result.output
    written = built / "target" / "reports"
    server.wait_for_build(None)
    for name in ("index.html", "queue_daily_day.html", "team_capacity_week.html"):
        page = server.request("GET", "/" + name)
        assert page.status == 200
        served = page.body.decode("utf-8")
        head, _, live = served.rpartition("<script>\n(function () {\n  // mfl serve")
        assert live, "the live-reload script is added"
        assert head == written.joinpath(name).read_text(encoding="utf-8").rsplit("</body>")[0]
    assert server.request("GET", "/").body == server.request("GET", "/index.html").body
    missing = server.request("GET", "/nothing.html")
    assert missing.status == 404 and b"E812" in missing.body


def test_row_and_time_limits(built: Path) -> None:
    with running_server(built, "--max-rows", "2") as limited:
        answer = limited.query(metrics=["offered_calls"], by=["queue"])  # 3 rows
        assert answer.status == 422 and answer.json()["code"] == "E802"
        # a query body has no LIMIT: the hint names the fields that ask for fewer rows
        assert "LIMIT" not in answer.json()["hint"] and "'where'" in answer.json()["hint"]
        fits = limited.query(metrics=["offered_calls"], by=["queue"], where="queue = 'A'")
        assert fits.status == 200 and fits.json()["rows"] == [{"queue": "A", "offered_calls": 11}]
        assert "E802" in limited.log()


# --- builds while serving ---------------------------------------------------------------------


def served_totals(server: Server) -> dict[str, int]:
    answer = server.query(metrics=["offered_calls", "callers"])
    assert answer.status == 200, answer.body
    [row] = answer.json()["rows"]
    return {name: int(row[name]) for name in BEFORE}


def day_total(server: Server, day: str) -> int:
    """The 合计 of offered_calls in queue_daily on one day (0: the day has no rows)."""
    answer = server.request("GET", f"/api/reports/queue_daily?grain=day&date={day}")
    assert answer.status == 200, answer.body
    totals = answer.json()["totals"]
    if not totals:
        assert answer.json()["warning"]["code"] == "W260"  # no data on that day
        return 0
    [total] = totals
    return int(total["offered_calls"])


def test_requests_during_a_build_answer_the_old_numbers_then_the_new(
    server: Server, built: Path
) -> None:
    first = server.build_id()
    append_calls(built)
    seed = subprocess.run(
        [MFL, "seed", "--project-dir", str(built)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seed.returncode == 0, seed.stderr  # a seed runs while the server is up
    assert served_totals(server) == BEFORE  # a seed without a build changes no number
    thread, release = build_paused(built)
    try:
        for _ in range(20):
            assert served_totals(server) == BEFORE
            assert server.request("GET", "/").status == 200
            assert day_total(server, "2025-01-08") == 0  # the fixture has no call that day
    finally:
        release.set()
        thread.join(120)
    assert totals(built) == AFTER
    server.wait_for_build(first)
    deadline = time.monotonic() + 120
    while served_totals(server) != AFTER:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    page = server.request("GET", "/queue_daily_week.html")
    assert page.status == 200
    assert day_total(server, "2025-01-08") == 2  # the two rows appended


def test_a_seed_without_a_build_keeps_the_reports_the_build_made(
    server: Server, built: Path
) -> None:
    """A report edited, then a seed and no build: the server copied the seeded file and read
    the edited YAML with it, and the whole dashboard was E602 (the view lacks the new metric)
    until the next build; the reports stay those of the last build until one is made."""
    reports = built / "reports" / "daily.yml"
    text = reports.read_text(encoding="utf-8")
    edited = "metrics: [offered_calls, abandonment_rate, aht, handled_legs]"
    reports.write_text(
        text.replace("metrics: [offered_calls, abandonment_rate, aht]", edited), encoding="utf-8"
    )
    before = server.build_id()
    append_calls(built)
    seed_project(built)
    server.wait_for_build(before)  # the seeded file, copied again
    assert server.request("GET", "/").status == 200
    assert server.request("GET", "/api/reports/queue_daily").status == 200
    listed = server.request("GET", "/api/reports").json()["reports"]
    assert listed[0]["metrics"] == ["offered_calls", "abandonment_rate", "aht"]
    seeded = server.build_id()
    result = invoke("build", "--project-dir", str(built))
    assert result.exit_code == 0, result.output
    server.wait_for_build(seeded)
    listed = server.request("GET", "/api/reports").json()["reports"]
    assert listed[0]["metrics"][-1] == "handled_legs"  # built: the edited report
    assert server.request("GET", "/queue_daily_day.html").status == 200


def test_a_build_killed_half_way_leaves_the_server_on_the_old_build(
    server: Server, built: Path
) -> None:
    before = server.build_id()
    append_calls(built)
    seed_project(built)
    seeded = server.wait_for_build(before)  # a seed writes the file: the server copies it again
    building = built / "target" / "warehouse.duckdb.next"
    process = subprocess.Popen(
        [MFL, "build", "--project-dir", str(built)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not building.exists() and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(60)
    if process.returncode == 0:
        pytest.skip("the build finished before the kill came")
    for _ in range(10):
        assert served_totals(server) == BEFORE
        assert server.build_id() == seeded
    result = invoke("build", "--project-dir", str(built))
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 120
    while served_totals(server) != AFTER:
        assert time.monotonic() < deadline
        time.sleep(0.1)


# --- bad clients ------------------------------------------------------------------------------


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_requests_and_clients_that_go_away(server: Server) -> None:
    assert raw_exchange(server.port, b"\x16\x03\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")[:12] in (
        b"HTTP/1.1 400",
        b"",
    )
    huge = server.request(
        "POST", "/api/query", body=b"{" + b" " * 70_000 + b"}", headers={"X": "1"}
    )
    assert huge.status == 413 and huge.json()["code"] == "E811"
    # a header claiming a huge body, then the client leaves
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b'\r\nContent-Length: 5000\r\n\r\n{"metr'
        )
    # a client that reads a few bytes of a page and closes
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(
                b"GET /index.html HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TOKEN.encode()
                + b"\r\n\r\n"
            )
            assert sock.recv(16).startswith(b"HTTP/1.1")
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
    # a query whose client leaves before the answer
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        body = json.dumps({"metrics": ["aht"], "by": ["queue"]}).encode()
        sock.sendall(
            b"POST /api/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
    wrong_method = server.request("POST", "/")
    assert wrong_method.status == 405 and wrong_method.json()["code"] == "E814"
    unknown = server.request("GET", "/api/query")  # no page by that name
    assert unknown.status == 404 and unknown.json()["code"] == "E812"
    assert server.query(metrics=["offered_calls", "callers"]).json()["rows"] == [BEFORE]
    assert server.process.poll() is None
    assert "refused 127.0.0.1:" in server.log() and "POST / 405 E814" in server.log()
    assert "malformed HTTP request" in server.log()


def test_sigint_stops_cleanly(built: Path) -> None:
    with running_server(built) as running:
        copies = built / "target" / ".serve" / str(running.process.pid)
        assert copies.is_dir()
        assert running.stop(signal.SIGINT) == 0
        assert "stopped (SIGINT)" in running.log()
        assert not copies.exists()  # the server's copy of the build is removed


# --- a PostgreSQL target ----------------------------------------------------------------------


@pytest.mark.postgres
def test_a_postgres_target_is_served_read_only_across_builds(
    pg_project: Path,  # noqa: F811
) -> None:
    with running_server(pg_project, "--target", "pg") as server:
        first = server.build_id()
        assert first is not None
        assert served_totals(server) == BEFORE
        by_queue = server.query(metrics="offered_calls,abandoned_calls", by="queue").json()
        found = {r["queue"]: (r["offered_calls"], r["abandoned_calls"]) for r in by_queue["rows"]}
        assert found == BY_QUEUE
        report = server.request("GET", "/api/reports/queue_daily?grain=week&date=2024-12-31")
        assert {r["queue"]: r["offered_calls"] for r in report.json()["rows"]} == {
            "A": 10,
            "B": 4,
            None: 0,
        }
        append_calls(pg_project)
        assert invoke("seed", "--project-dir", str(pg_project), "--target", "pg").exit_code == 0
        thread, release = build_paused(pg_project, "pg")
        try:
            for _ in range(5):
                assert served_totals(server) == BEFORE
        finally:
            release.set()
            thread.join(120)
        server.wait_for_build(first)
        assert served_totals(server) == AFTER
        assert server.request("GET", "/").status == 200


def test_listening_on_every_interface_warns(built: Path) -> None:
    with running_server(built, "--host", "0.0.0.0") as everywhere:
        assert everywhere.request("GET", "/api/status").status == 200
        assert "warning: --host 0.0.0.0 listens on every interface without TLS" in (
            everywhere.log()
        )
    with running_server(built) as loopback:
        assert "warning" not in loopback.log()
        assert f"at http://127.0.0.1:{loopback.port}/" in loopback.log()


def test_mfl_serve_starts_both_endpoints_on_one_build(built: Path) -> None:
    import psycopg

    pg_port = free_port()
    with running_server(built, pg_port=pg_port) as server:
        assert f"PostgreSQL on 127.0.0.1:{pg_port}" in server.log()
        dsn = f"host=127.0.0.1 port={pg_port} dbname=mfl user=analyst password={TOKEN}"
        with psycopg.connect(dsn, autocommit=True) as con:
            row = con.execute("SELECT sum(offered_calls) FROM app.queue_daily_month").fetchone()
            assert row is not None and int(row[0]) == BEFORE["offered_calls"]
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn.replace(TOKEN, "wrong-" + TOKEN), autocommit=True)
        assert served_totals(server) == BEFORE
        first = server.build_id()
        append_calls(built)
        seed_project(built)
        assert invoke("build", "--project-dir", str(built)).exit_code == 0
        server.wait_for_build(first)
        deadline = time.monotonic() + 120
        while served_totals(server) != AFTER:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with psycopg.connect(dsn, autocommit=True) as con:
            row = con.execute("SELECT sum(offered_calls) FROM app.queue_daily_month").fetchone()
            assert row is not None and int(row[0]) == AFTER["offered_calls"]
    assert server.process.returncode == 0
    assert TOKEN not in server.log()
    with socket.socket() as probe:  # the PostgreSQL port is closed with the server
        assert probe.connect_ex(("127.0.0.1", pg_port)) != 0
