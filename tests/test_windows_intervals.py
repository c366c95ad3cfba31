"""Windows over interval metrics, on tests/fixtures/hours: a frame reads span seconds and
business_seconds() calendars as the plain period does, and Erlang C uses period_seconds()."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke

from metricflow_lite.compile.plan import (
    JoinCalendars,
    PeriodSeconds,
    PlanNode,
    QueryRequest,
    ReadIndicator,
    WindowAggregate,
    plan_query,
)
from metricflow_lite.compile.sqlgen import render_query, to_sql
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

WINDOW_METRICS = """version: 1
metrics:
  - name: logged_in_2d
    label: 两日登录时长
    description: Logged-in seconds of the 2 days ending on each day.
    expr: rolling(logged_in_seconds, '2 days')
  - name: logged_in_1d
    label: 一日登录时长
    description: A 1-day window equals the day itself.
    expr: rolling(logged_in_seconds, '1 day')
  - name: agents_logged_in_2d
    label: 两日平均在线坐席数
    description: Logged-in seconds of 2 days over the 2 days' seconds.
    expr: rolling(agents_logged_in, '2 days')
  - name: reply_business_1d
    label: 一日首次响应工作时间
    description: A 1-day window of business seconds equals the day itself.
    expr: rolling(reply_business_seconds, '1 day')
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("windows_intervals") / "hours"
    shutil.copytree(FIXTURES / "hours", root, ignore=shutil.ignore_patterns("target"))
    (root / "metrics" / "windows.yml").write_text(WINDOW_METRICS, encoding="utf-8")
    result = invoke("run", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    return root


def query_rows(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def walk(node: PlanNode) -> list[PlanNode]:
    found = [node]
    for parent in node.parents:
        found += walk(parent)
    return found


def test_rolling_span_seconds(project: Path) -> None:
    rows = query_rows(
        project, "--metrics", "logged_in_seconds,logged_in_2d,logged_in_1d,agents_logged_in_2d",
        "--grain", "day", "--start", "2024-10-14", "--end", "2024-10-16",
    )  # fmt: skip
    # Mon 30000 + 7200 s (a1, a2 until midnight); Tue 25200 + 570 s; Wed nothing
    monday, tuesday = 37200, 25770
    assert rows == [
        {
            "day": "2024-10-14",
            "logged_in_seconds": monday,
            "logged_in_2d": monday,
            "logged_in_1d": monday,
            "agents_logged_in_2d": monday / (2 * 86400),
        },
        {
            "day": "2024-10-15",
            "logged_in_seconds": tuesday,
            "logged_in_2d": monday + tuesday,
            "logged_in_1d": tuesday,
            "agents_logged_in_2d": (monday + tuesday) / (2 * 86400),
        },
        {
            "day": "2024-10-16",
            "logged_in_seconds": 0,
            "logged_in_2d": tuesday,
            "logged_in_1d": 0,
            "agents_logged_in_2d": tuesday / (2 * 86400),
        },
    ]


def test_a_window_reads_the_span_table_and_the_carried_business_ends(project: Path) -> None:
    spec = load_spec(load_project(project))
    for use_indicators in (True, False):
        request = QueryRequest(
            ("logged_in_2d", "reply_business_1d"), grain=Grain.DAY, use_indicators=use_indicators
        )
        plan = plan_query(spec, request)
        nodes = walk(plan.root)
        windows = [n for n in nodes if isinstance(n, WindowAggregate)]
        reads = [n for w in windows for n in walk(w.parent)]
        # span seconds always come from their quarter-hour table; business seconds of column
        # ends from the open seconds the source table carries, without a calendar join
        assert any(isinstance(n, ReadIndicator) and n.table.span is not None for n in reads)
        assert not any(isinstance(n, JoinCalendars) for n in reads)
        sql = to_sql(render_query(plan))
        assert "_calendar_" not in sql
        assert (re.search(r'"_cal_default_[0-9a-f]+_open"', sql) is None) is use_indicators


@pytest.mark.parametrize("source", ["indicators", "--no-indicators"])
def test_a_one_day_window_of_business_seconds_is_the_day(project: Path, source: str) -> None:
    args = ("--metrics", "reply_business_seconds,reply_business_1d", "--grain", "day")
    extra = (source,) if source == "--no-indicators" else ()
    rows = query_rows(project, *args, *extra)
    assert [r for r in rows if r["reply_business_seconds"]], rows
    assert all(r["reply_business_seconds"] == r["reply_business_1d"] for r in rows), rows


def erlang_service_level(
    calls: float, aht: float, answer: float, agents: int, seconds: int
) -> float:
    """Erlang C by its textbook formula, for a check independent of the SQL."""
    traffic = calls * aht / seconds
    if agents <= traffic:
        return 0.0
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    waits = top / (below + top)
    return 1 - waits * math.exp(-(agents - traffic) * answer / aht)


@pytest.mark.parametrize(("grain", "seconds"), [("15min", 900), ("30min", 1800)])
def test_erlang_reads_the_period_seconds_of_the_grain(
    project: Path, grain: str, seconds: int
) -> None:
    spec = load_spec(load_project(project))
    plan = plan_query(spec, QueryRequest(("service_level_with_2",), grain=Grain(grain)))
    lengths = [n for n in walk(plan.root) if isinstance(n, PeriodSeconds)]
    assert [n.fixed for n in lengths] == [seconds]
    rows = query_rows(
        project, "--metrics", "offered_calls,aht_seconds,service_level_with_2", "--grain", grain
    )
    assert rows
    checked = 0
    for row in rows:
        if row["aht_seconds"] is None or not row["offered_calls"]:
            assert row["service_level_with_2"] is None, row  # no calls or no handle time
            continue
        calls, aht = float(str(row["offered_calls"])), float(str(row["aht_seconds"]))
        expected = erlang_service_level(calls, aht, 20, 2, seconds)
        assert row["service_level_with_2"] == pytest.approx(expected, abs=1e-9), row
        checked += 1
    assert checked
