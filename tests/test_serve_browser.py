"""The served dashboard in the test suite's headless Chromium: a wall screen opens it once with
?token=, rotates the reports, and reloads on the report it shows when a new build is served."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from conftest import copy_fixture, invoke, seed_project
from serve_server import TOKEN, running_server
from test_build_snapshot import append_calls
from test_report_html import CHROMIUM, CHROMIUM_ARGS

from metricflow_lite.warehouse.served import file_signature

SCREEN = {"width": 1366, "height": 768}


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_wall_screen_rotates_and_follows_each_build(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    with running_server(project) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport=SCREEN)
            # the page's time moves only when the test moves it (rotation, the status poll)
            start = dt.datetime(2025, 1, 1, 9, 0)
            page.clock.install(time=start)
            page.clock.pause_at(start + dt.timedelta(minutes=1))
            base = f"http://127.0.0.1:{server.port}"
            page.goto(f"{base}/?token={TOKEN}&wall=1&seconds=5")
            assert page.url == f"{base}/?wall=1&seconds=5"  # the token left the address bar
            assert page.evaluate("document.body.classList.contains('wall')")
            assert page.is_visible("#panel-queue_daily")
            assert not page.is_visible("[role=tablist]")
            page.clock.run_for(5_000)
            assert page.is_visible("#panel-team_capacity")
            assert not page.is_visible("#panel-queue_daily")
            # the cookie opens the report pages too, without the token
            report = browser.new_page(viewport=SCREEN)
            report.context.add_cookies(page.context.cookies())
            assert report.goto(f"{base}/queue_daily_week.html").status == 200
            report.close()

            first = server.build_id()
            assert first is not None and first in page.content()
            page.evaluate("window.before_the_build = true")
            append_calls(project)
            seed_project(project)
            assert invoke("build", "--project-dir", str(project)).exit_code == 0
            live = file_signature(project / "target" / "warehouse.duckdb")
            assert live is not None
            deadline = time.monotonic() + 120
            while server.wait_for_build(first) != live.build_id:
                assert time.monotonic() < deadline
                time.sleep(0.1)  # the seed's state first, then the build's
            with page.expect_event("load", timeout=120_000):
                page.clock.run_for(10_000)  # the page asks /api/status every 10 s
            page.wait_for_load_state("load")
            assert page.evaluate("window.before_the_build") is None  # reloaded
            current = server.build_id()
            assert current is not None and current in page.content()
            assert page.evaluate("document.body.classList.contains('wall')")
            assert page.is_visible("#panel-team_capacity")  # on the report it showed
        finally:
            browser.close()
