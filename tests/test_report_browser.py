"""The demo's rendered reports in a real headless Chromium: they fit a 1366x768 screen without
a sideways scroll and print on A4 landscape without losing a column (#20).

`pytest -m browser --write-screenshots` rewrites the screenshots in docs/screenshots/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import invoke
from test_report_html import CHROMIUM, CHROMIUM_ARGS

SCREEN = {"width": 1366, "height": 768}
# A4 landscape at 96 px per inch: 297 x 210 mm; the page's 10 mm margins leave 277 x 190 mm.
A4_PAGE = {"width": 1123, "height": 794}
A4_PRINTABLE = {"width": 1047, "height": 718}
SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"

INTRADAY = """\
  - name: intraday_calls
    label: 日内来电
    description: 当天每 30 分钟的来电、放弃率与服务水平。
    grains: [30min]
    metrics: [offered_calls, abandonment_rate, service_level, asa]
    compare: [previous_period]
"""

# The fit is measured on the page itself: the document and every table's box.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll('.table-wrap')]
    .filter(w => !w.closest('[hidden]') && w.scrollWidth > w.clientWidth + 1)
    .map(w => w.scrollWidth - w.clientWidth);
  return {page: doc.scrollWidth - window.innerWidth, tables: wide};
}"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, demo_project: Path) -> Path:
    """The demo plus an interval report, run end to end into target/reports/."""
    project = tmp_path_factory.mktemp("browser") / "demo"
    shutil.copytree(demo_project, project, ignore=shutil.ignore_patterns("reports"))
    shutil.copytree(demo_project / "reports", project / "reports")
    with (project / "reports" / "operations.yml").open("a", encoding="utf-8") as f:
        f.write(INTRADAY)
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    return project / "target" / "reports"


PAGES = [
    "index.html",
    "daily_operations_day.html",
    "daily_operations_week.html",
    "daily_operations_month.html",
    "monthly_summary_month.html",
    "team_capacity_day.html",
    "channel_satisfaction_week.html",
    "complaints_by_region_month.html",
    "intraday_calls_30min.html",
]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_reports_fit_1366_screens_and_a4_landscape(
    rendered: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import sync_playwright

    shots = SHOTS if request.config.getoption("--write-screenshots") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport=SCREEN)
            for name in PAGES:
                page.emulate_media(media="screen")
                page.set_viewport_size(SCREEN)
                page.goto((rendered / name).as_uri())
                assert page.evaluate(OVERFLOW) == {"page": 0, "tables": []}, name
                page.emulate_media(media="print")
                page.set_viewport_size(A4_PRINTABLE)
                assert page.evaluate(OVERFLOW) == {"page": 0, "tables": []}, f"{name} (print)"

            page.emulate_media(media="screen")
            page.set_viewport_size(SCREEN)
            page.goto((rendered / "index.html").as_uri())
            # #20: YAML order, opening on the first report, saying when the data ends
            tabs = page.eval_on_selector_all("[role=tab]", "els => els.map(e => e.id)")
            assert tabs[:2] == ["tab-daily_operations", "tab-monthly_summary"]
            assert page.is_visible("#panel-daily_operations")
            assert "数据截至 2025-01-14 07:52" in page.inner_text("header")
            page.screenshot(path=str(shots / "dashboard-1366x768.png"))
            for name, shot in (
                ("daily_operations_day.html", "report-day"),
                ("monthly_summary_month.html", "report-month"),
                ("intraday_calls_30min.html", "report-intraday"),
            ):
                page.emulate_media(media="screen")
                page.set_viewport_size(SCREEN)
                page.goto((rendered / name).as_uri())
                page.screenshot(path=str(shots / f"{shot}-1366x768.png"))
                page.emulate_media(media="print")
                page.set_viewport_size(A4_PAGE)
                page.screenshot(path=str(shots / f"{shot}-a4.png"))
            page.emulate_media(media="print")
            page.set_viewport_size(A4_PAGE)
            page.goto((rendered / "index.html").as_uri())
            page.screenshot(path=str(shots / "dashboard-a4.png"))
        finally:
            browser.close()
    for png in shots.glob("*.png"):
        assert png.stat().st_size < 400_000, png.name


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_dashboard_wall_mode_rotates_the_reports(rendered: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport=SCREEN)
            page.clock.install()
            page.goto((rendered / "index.html").as_uri() + "?wall=1&seconds=5")
            assert page.evaluate("document.body.classList.contains('wall')")
            assert page.is_visible("#panel-daily_operations")
            assert not page.is_visible("[role=tablist]")  # full-screen: no tab bar
            page.clock.run_for(5_000)
            assert page.is_visible("#panel-monthly_summary")
            assert not page.is_visible("#panel-daily_operations")
        finally:
            browser.close()
