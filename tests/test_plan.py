"""The plan: a request -> its tree of nodes, which table each aggregate reads, and why.

The tiny fixture has two indicator tables for calls: calls_day (queue, agent_id,
transfer_agent_id) and the declared calls_by_queue_team_day (queue, team); shifts has
shifts_day (agent_id). The smallest table that holds a query's metrics, dimensions and grain
wins; non-additive metrics (median, distinct count) are read from rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_fixture, invoke

from metricflow_lite.compile.plan import (
    Aggregate,
    Compare,
    ComputeMetrics,
    FillZeros,
    FilterRows,
    FlagComplete,
    FlagTargets,
    JoinDimensions,
    JoinOnKeys,
    PlanNode,
    QueryRequest,
    ReadIndicator,
    ReadSource,
    TimeSpine,
    Totals,
    indicator_tables,
    plan_indicator_table,
    plan_query,
    plan_report_view,
    plan_tree,
)
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec


@pytest.fixture(scope="module")
def spec() -> ProjectSpec:
    return load_spec(load_project(FIXTURES / "tiny"))


def chain(node: PlanNode) -> list[str]:
    """An aggregate's row nodes, leaf last: 'ReadIndicator ind.x', 'JoinDimensions', ..."""
    found = []
    current: PlanNode | None = node
    while current is not None:
        label = type(current).__name__
        if isinstance(current, ReadIndicator):
            label += f" ind.{current.table.name}"
        elif isinstance(current, ReadSource):
            label += f" src.{current.model}"
        found.append(label)
        current = current.parents[0] if current.parents else None
    return found


def why(node: PlanNode) -> str:
    while node.parents:
        node = node.parents[0]
    assert isinstance(node, ReadSource | ReadIndicator)
    return node.why


WHERE_A = parse_where("queue = 'A'", Location("--where"), "--where")

# (request, [(aggregate, its chain from the aggregate down, words of why it reads that table)])
CASES = {
    "ratio by queue: the smallest table": (
        QueryRequest(("abandonment_rate",), by=("queue",), grain=Grain.WEEK),
        [
            (
                "calls__offered_ts__ind",
                ["Aggregate", "FilterRows", "ReadIndicator ind.calls_by_queue_team_day"],
                "2 dimensions by day: the smallest of 2 tables",
            )
        ],
    ),
    "city needs agent_id: only the day table keeps it": (
        QueryRequest(("offered_calls",), by=("city",)),
        [
            (
                "calls__offered_ts__ind",
                ["Aggregate", "FilterRows", "JoinDimensions", "ReadIndicator ind.calls_day"],
                "3 dimensions by day: the only table",
            )
        ],
    ),
    "a role-playing join reads the day table": (
        QueryRequest(("handled_legs",), by=("transfer_agent.team",)),
        [
            (
                "calls__offered_ts__ind",
                ["Aggregate", "FilterRows", "JoinDimensions", "ReadIndicator ind.calls_day"],
                "the only table",
            )
        ],
    ),
    "a median is recomputed from rows": (
        QueryRequest(("median_handle",), grain=Grain.MONTH),
        [
            (
                "calls__offered_ts__src",
                ["Aggregate", "FilterRows", "ReadSource src.calls"],
                "median_handle (median): recomputed from rows",
            )
        ],
    ),
    "additive and not side by side": (
        QueryRequest(("handled_legs", "callers"), grain=Grain.DAY),
        [
            (
                "calls__offered_ts__ind",
                ["Aggregate", "FilterRows", "ReadIndicator ind.calls_by_queue_team_day"],
                "smallest of 2",
            ),
            (
                "calls__offered_ts__src",
                ["Aggregate", "FilterRows", "ReadSource src.calls"],
                "callers (count_distinct): recomputed from rows",
            ),
        ],
    ),
    "--no-indicators": (
        QueryRequest(("offered_calls",), grain=Grain.DAY, use_indicators=False),
        [
            (
                "calls__offered_ts__src",
                ["Aggregate", "FilterRows", "ReadSource src.calls"],
                "--no-indicators",
            )
        ],
    ),
    "half hours are finer than any table": (
        QueryRequest(("offered_calls",), grain=Grain.MIN30, where=WHERE_A),
        [
            (
                "calls__offered_ts__src",
                ["Aggregate", "FilterRows", "ReadSource src.calls"],
                "30min is finer than the day",
            )
        ],
    ),
    "hour_of_day is stored nowhere": (
        QueryRequest(("offered_calls",), by=("hour_of_day",)),
        [
            (
                "calls__offered_ts__src",
                ["Aggregate", "FilterRows", "ReadSource src.calls"],
                "no indicator table of calls by offered_ts stores hour_of_day",
            )
        ],
    ),
    "two models joined on the keys": (
        QueryRequest(("cph",), by=("team",), grain=Grain.MONTH),
        [
            (
                "calls__offered_ts__ind",
                ["Aggregate", "FilterRows", "ReadIndicator ind.calls_by_queue_team_day"],
                "smallest of 2",
            ),
            (
                "shifts__shift_date__ind",
                ["Aggregate", "FilterRows", "JoinDimensions", "ReadIndicator ind.shifts_day"],
                "1 dimension by day: the only table",
            ),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_request_to_nodes(spec: ProjectSpec, case: str) -> None:
    request, expected = CASES[case]
    plan = plan_query(spec, request)
    assert isinstance(plan.root, ComputeMetrics)
    assert isinstance(plan.root.parent, JoinOnKeys)
    assert plan.root.outputs == request.metrics
    got = [(a.name, chain(a), why(a)) for a in plan.aggregates]
    assert [(name, nodes) for name, nodes, _ in got] == [(n, c) for n, c, _ in expected]
    for (name, _, reason), (_, _, words) in zip(got, expected, strict=True):
        assert words in reason, f"{name}: {reason!r}"


def test_keys_are_the_grain_then_the_dimensions(spec: ProjectSpec) -> None:
    plan = plan_query(spec, QueryRequest(("cph",), by=("team",), grain=Grain.MONTH))
    assert plan.key_columns == ("month", "team")
    assert all(a.keys == ("month", "team") for a in plan.aggregates)
    # cph = handled_legs / staffed_hours: both parts, from the two models
    assert {p.column for a in plan.aggregates for p in a.partials} == {
        "handled_legs__count",
        "staffed_hours__sum",
    }


def test_an_inclusive_end_reads_before_the_next_midnight(spec: ProjectSpec) -> None:
    request = QueryRequest(
        ("offered_calls",), grain=Grain.WEEK, start=dt.date(2024, 12, 31), end=dt.date(2025, 1, 1)
    )
    plan = plan_query(spec, request)
    [aggregate] = plan.aggregates
    assert isinstance(aggregate.parent, FilterRows)
    # Tuesday 12-31 .. Wednesday 01-01 by week: the whole weeks Monday 12-30 .. Sunday 01-05
    assert (aggregate.parent.start, aggregate.parent.before) == (
        dt.date(2024, 12, 30),
        dt.date(2025, 1, 6),
    )
    assert plan.note == (
        "--start 2024-12-31 is widened to 2024-12-30 and --end 2025-01-01 is widened to"
        " 2025-01-05, so every week shown is whole"
    )


def test_a_date_range_keeps_coarse_rollups_out(spec: ProjectSpec) -> None:
    """A month table would cut a range in half: with --start, the day tables answer."""
    from dataclasses import replace

    from metricflow_lite.spec.model import IndicatorSpec

    monthly = IndicatorSpec("calls", ("queue",), Grain.MONTH, Location("metrics/calls.yml"))
    wider = replace(spec, indicators=(*spec.indicators, monthly))
    whole = plan_query(wider, QueryRequest(("offered_calls",), by=("queue",), grain=Grain.MONTH))
    assert [r.table.name for r in whole.reads if isinstance(r, ReadIndicator)] == [
        "calls_by_queue_month"
    ]
    cut = QueryRequest(
        ("offered_calls",), by=("queue",), grain=Grain.MONTH, start=dt.date(2024, 12, 1)
    )
    assert [r.table.name for r in plan_query(wider, cut).reads] == ["calls_by_queue_team_day"]


VIEW_CHAIN = [
    "FlagComplete",
    "FlagTargets",
    "Compare",
    "FillZeros",
    "TimeSpine",
    "ComputeMetrics",
    "JoinOnKeys",
]


@pytest.mark.parametrize("total", [False, True], ids=["by-queue", "total"])
def test_report_view_nodes(spec: ProjectSpec, total: bool) -> None:
    report = spec.report("queue_daily")
    assert report is not None
    view = plan_report_view(spec, report, Grain.WEEK, total)
    nodes = []
    node: PlanNode = view.root
    while not isinstance(node, JoinOnKeys):
        nodes.append(type(node).__name__)
        node = node.parents[0]
    nodes.append(type(node).__name__)
    assert nodes == (["Totals"] if total else []) + VIEW_CHAIN
    assert view.name == ("queue_daily_week_total" if total else "queue_daily_week")
    complete = view.root.parent if isinstance(view.root, Totals) else view.root
    assert isinstance(complete, FlagComplete)
    # is_complete reads the bounds of the one model the report's metrics read (DESIGN-2 §2)
    assert (
        complete.models == (("calls", "offered_ts", "offered_ts"),)
        and complete.grace_seconds == 3600
    )
    flagged = complete.parent
    assert isinstance(flagged, FlagTargets)
    assert [(f.metric, f.low, f.high) for f in flagged.flags] == [("abandonment_rate", None, 0.3)]
    compare = flagged.parent
    assert isinstance(compare, Compare)
    assert [c.prev_suffix for c in compare.comparisons] == ["_prev"]
    assert compare.points == ("abandonment_rate",)  # a rate changes in points
    assert isinstance(compare.parent, FillZeros)
    assert compare.parent.zero == ("offered_calls",)  # a count of nothing is 0, a ratio NULL
    assert isinstance(compare.parent.parent, TimeSpine)
    assert compare.keys == (("week",) if total else ("week", "queue"))


def test_a_rollup_re_aggregates_the_day_table(spec: ProjectSpec) -> None:
    tables = {t.name: t for t in indicator_tables(spec)}
    rollup = plan_indicator_table(tables["calls_by_queue_team_day"], spec, tables["calls_day"])
    assert chain(rollup) == ["Aggregate", "JoinDimensions", "ReadIndicator ind.calls_day"]
    assert not rollup.from_rows
    assert [p.column for p in rollup.periods] == ["offered_ts_day"]
    assert [d.name for d in rollup.dimensions] == ["queue", "agents__team"]
    day = plan_indicator_table(tables["calls_day"], spec)
    assert chain(day) == ["Aggregate", "ReadSource src.calls"] and day.from_rows


def test_the_tree_reads_top_down_with_the_reason(spec: ProjectSpec) -> None:
    plan = plan_query(spec, QueryRequest(("aht",), by=("queue",), grain=Grain.WEEK))
    assert plan_tree(plan.root).splitlines() == [
        "compute metrics: aht",
        "  one aggregate: calls__offered_ts__ind",
        "    aggregate calls__offered_ts__ind: handle_seconds, handled_legs by week, queue"
        " (re-aggregated partials)",
        "      filter: offered_ts_day is not null",
        "        read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the"
        " smallest of 2 tables that hold them)",
    ]


def test_every_node_kind_describes_itself(spec: ProjectSpec) -> None:
    report = spec.report("queue_daily")
    assert report is not None
    seen: set[type] = set()
    stack: list[PlanNode] = [
        plan_report_view(spec, report, Grain.WEEK, True).root,
        plan_query(spec, QueryRequest(("offered_calls",), by=("city",))).root,
        plan_query(spec, QueryRequest(("median_handle",))).root,
    ]
    while stack:
        node = stack.pop()
        assert node.describe()
        seen.add(type(node))
        stack.extend(node.parents)
    assert seen == {
        ReadSource,
        ReadIndicator,
        JoinDimensions,
        FilterRows,
        Aggregate,
        JoinOnKeys,
        ComputeMetrics,
        TimeSpine,
        FillZeros,
        Compare,
        FlagTargets,
        FlagComplete,
        Totals,
    }


def test_compile_plan_prints_the_tree_of_a_query(tmp_path: Path) -> None:
    """mfl compile --plan: no warehouse needed; the widening note first, then the tree."""
    project = copy_fixture("tiny", tmp_path)
    args = ("--metrics", "offered_calls", "--no-indicators", "--grain", "week")
    result = invoke(
        "compile", "--plan", "--project-dir", str(project), *args, "--start", "2024-12-31"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "-- note: --start 2024-12-31 is widened to 2024-12-30, so every week shown is whole",
        "compute metrics: offered_calls",
        "  one aggregate: calls__offered_ts__src",
        "    aggregate calls__offered_ts__src: offered_calls by week (from rows)",
        "      filter: offered_ts is not null and offered_ts >= 2024-12-30",
        "        read rows: src.calls (--no-indicators)",
    ]


def test_compile_plan_of_a_report_shows_each_view(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    result = invoke("compile", "--plan", "--project-dir", str(project), "--select", "team_capacity")
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if line and not line.startswith(" ")]
    assert heads == ["app.team_capacity_week:", "app.team_capacity_week_total:"]
    assert "  totals: over all members of team" in result.output
    unknown = invoke("compile", "--plan", "--project-dir", str(project), "--select", "team_cap")
    assert unknown.exit_code == 1
    assert "error E311: nothing named 'team_cap' to plan" in unknown.output
    assert "did you mean 'team_capacity'" in unknown.output
