"""Erlang C in SQL (compile/erlang.py) against a pure-Python reference, the reference against
pyworkforce, and erlang_c_agents / erlang_c_service_level in derived metrics of
tests/fixtures/hours, worked out by hand."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, copy_fixture, invoke
from sqlglot import exp

from metricflow_lite.compile.erlang import with_erlang
from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.expr import parse_derived


def erlang_c(traffic: float, agents: int) -> float:
    """P(wait) for `agents` > traffic, by the Erlang B recursion (stable at any size)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(calls: float, aht: float, answer: float, agents: int, period: float) -> float:
    traffic = calls * aht / period
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * answer / aht)


def fewest_agents(calls: float, aht: float, answer: float, target: float, period: float) -> int:
    """The fewest agents N > A whose service level reaches the target (0 for no calls)."""
    if calls == 0:
        return 0
    agents = math.floor(calls * aht / period) + 1
    while service_level(calls, aht, answer, agents, period) < target:
        agents += 1
    return agents


# (calls in 30 min, aht seconds): tiny traffic (A = 0.0017) to large (A = 866.7, 881 agents)
TRAFFIC = [(1, 3), (1, 30), (3, 180), (1, 1800), (10, 90), (100, 180), (57, 270), (250, 200),
           (1000, 240), (3000, 300), (8000, 180), (5200, 300)]  # fmt: skip


def sql_values(rows: list[tuple[int, float, float | None]]) -> exp.Select:
    """SELECT k, calls, aht FROM VALUES ... (the FROM an Erlang call reads its arguments from)."""
    values = exp.values(
        [
            tuple(exp.Literal.number(v) if v is not None else exp.Null() for v in row)
            for row in rows
        ],
        alias="v",
        columns=["k", "calls", "aht"],
    )
    return exp.select(exp.column("k", "v")).from_(values)


def run_erlang(
    rows: list[tuple[int, float, float | None]], function: str, answer: float, goal: float
) -> dict[int, float | None]:
    call = exp.Anonymous(
        this=function,
        expressions=[
            exp.column("calls", "v"),
            exp.column("aht", "v"),
            exp.Literal.number(answer),
            exp.Literal.number(goal),
        ],
    )
    query = sql_values(rows).select(exp.alias_(call, "value"))
    query = with_erlang(query, [("k", exp.column("k", "v"))], exp.Literal.number(1800))
    return dict(duckdb.sql(query.sql(dialect="duckdb")).fetchall())


def test_agents_in_sql_equal_the_reference_from_tiny_to_large_traffic() -> None:
    rows = [(i, calls, aht) for i, (calls, aht) in enumerate(TRAFFIC)]
    got = run_erlang(rows, "erlang_c_agents", 20, 0.8)
    want = {i: fewest_agents(calls, aht, 20, 0.8, 1800) for i, (calls, aht) in enumerate(TRAFFIC)}
    assert got == want
    assert want[0] == 1 and want[10] == 811 and want[11] == 881


def test_service_level_in_sql_equals_the_reference() -> None:
    rows = [(i, calls, aht) for i, (calls, aht) in enumerate(TRAFFIC)]
    for agents in (1, 2, 14, 60, 850, 1000):
        got = run_erlang(rows, "erlang_c_service_level", 20, agents)
        for i, (calls, aht) in enumerate(TRAFFIC):
            want = service_level(calls, aht, 20, agents, 1800)
            value = got[i]
            assert value is not None
            assert math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-12), (calls, aht, agents)


def test_edges_no_calls_no_aht_and_too_few_agents() -> None:
    rows: list[tuple[int, float, float | None]] = [(1, 0, 180), (2, 0, None), (3, 5, None)]
    rows.append((4, 100, 180))  # A = 10
    agents = run_erlang(rows, "erlang_c_agents", 20, 0.8)
    # 0 calls: 0 agents whatever aht is; calls without aht: unknown
    assert agents == {1: 0, 2: 0, 3: None, 4: 14}
    levels = run_erlang(rows, "erlang_c_service_level", 20, 10)
    # no calls: no service level; 10 agents for 10 erlangs: the queue never empties, 0
    assert levels == {1: None, 2: None, 3: None, 4: 0.0}


def test_beyond_a_thousand_agents_is_null() -> None:
    # 20000 calls x 180 s in 30 min = 2000 erlangs
    assert run_erlang([(1, 20000, 180)], "erlang_c_agents", 20, 0.8) == {1: None}
    assert run_erlang([(1, 100, 180)], "erlang_c_service_level", 20, 1001) == {1: None}


def test_the_reference_agrees_with_pyworkforce_but_for_its_off_by_one() -> None:
    """pyworkforce starts its search at round(A + 1): when A's fraction is 0.5 or more that is
    already one more than the fewest agents N > A, and it may answer one too many. It also
    refuses 0 calls, where the contract asks for 0 agents."""
    from pyworkforce.queuing import ErlangC

    checked = 0
    for calls, aht in TRAFFIC:
        traffic = calls * aht / 1800
        model = ErlangC(transactions=calls, aht=aht / 60, asa=20 / 60, interval=30)
        theirs = model.required_positions(service_level=0.8)["raw_positions"]
        ours = fewest_agents(calls, aht, 20, 0.8, 1800)
        start = round(traffic + 1)
        if start > math.floor(traffic) + 1 and ours < start:
            assert theirs == start  # its first guess already meets the target
        else:
            assert theirs == ours, (calls, aht)
            checked += 1
        assert math.isclose(
            model.service_level(ours), service_level(calls, aht, 20, ours, 1800), rel_tol=1e-9
        )
    assert checked >= len(TRAFFIC) - 2
    with pytest.raises(ValueError):
        ErlangC(transactions=0, aht=3, asa=20 / 60, interval=30)
    assert fewest_agents(0, 180, 20, 0.8, 1800) == 0


def test_pyworkforce_answers_one_agent_too_many_at_a_fraction_of_one_half_or_more() -> None:
    from pyworkforce.queuing import ErlangC

    # 1 call of 1080 s in 30 min: A = 0.6 erlangs; answered within 3000 s. One agent:
    # C = A = 0.6, SL = 1 - 0.6 e^(-0.4 * 3000/1080) = 0.80285 >= 0.8, so 1 agent is enough...
    assert fewest_agents(1, 1080, 3000, 0.8, 1800) == 1
    assert math.isclose(
        service_level(1, 1080, 3000, 1, 1800), 1 - 0.6 * math.exp(-0.4 * 3000 / 1080)
    )
    # ...but pyworkforce starts at round(A + 1) = 2
    model = ErlangC(transactions=1, aht=1080 / 60, asa=3000 / 60, interval=30)
    assert model.required_positions(service_level=0.8)["raw_positions"] == 2
    assert run_erlang([(1, 1, 1080)], "erlang_c_agents", 3000, 0.8) == {1: 1}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("erlang_c_agents(offered_calls, aht_seconds, 20)", "takes 4 arguments"),
        ("erlang_c_agents(offered_calls, aht_seconds * 2, 20, 0.8)", "'aht_seconds * 2'"),
        ("erlang_c_service_level(offered_calls, 'x', 20, 3)", "\"'x'\""),
        # 80 for 80 %: never met, so NULL in every period with calls, and no word why
        ("erlang_c_agents(offered_calls, aht_seconds, 20, 80)", "target '80'"),
        ("erlang_c_agents(offered_calls, aht_seconds, 20, 0)", "not a share between 0 and 1"),
        # was "'-5' ... is not a metric name or a number"
        (
            "erlang_c_service_level(offered_calls, aht_seconds, -5, 3)",
            "'-5' of erlang_c_service_level in expr of 'x' is negative",
        ),
    ],
    ids=[
        "three_arguments",
        "an_expression",
        "text",
        "target_in_percent",
        "target_zero",
        "negative",
    ],
)
def test_erlang_arguments_are_metric_names_or_numbers(text: str, words: str) -> None:
    with pytest.raises(MflError) as caught:
        parse_derived(text, Location("metrics/x.yml", 3, 11), "expr of 'x'")
    assert caught.value.code == "E276"
    assert words in caught.value.message


def test_erlang_functions_name_their_metrics_as_dependencies() -> None:
    _, deps = parse_derived(
        "erlang_c_agents(offered_calls, aht_seconds, 20, 0.8) - agents_logged_in",
        Location("metrics/x.yml", 3, 11),
        "expr of 'x'",
    )
    assert deps == ("agents_logged_in", "aht_seconds", "offered_calls")


@pytest.fixture(scope="module")
def hours_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("erlang") / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    assert invoke("run", "--project-dir", str(project)).exit_code == 0
    return project


def test_erlang_in_derived_metrics_per_half_hour(hours_built: Path) -> None:
    result = invoke(
        "query", "--project-dir", str(hours_built), "--format", "json", "--grain", "30min",
        "--metrics", "offered_calls,agents_required,service_level_with_2,agents_gap",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # 09:00: 3 calls of 180 s mean = 0.3 erlangs. N = 1: C = A = 0.3, SL = 1 - 0.3 e^(-0.7*20/180)
    # = 0.7224 < 0.8; N = 2: C = (0.045 * 2/1.7) / (1.3 + 0.052941) = 0.039130,
    # SL = 1 - 0.039130 e^(-1.7*20/180) = 0.967605.
    # 09:30: 1 call of 1800 s = 1 erlang; N must be > 1. N = 2: C = 1 / 3,
    # SL = 1 - e^(-20/1800) / 3 = 0.670350; N = 3: C = 0.25 / 2.75, SL = 0.911089.
    # 10:30: a call without a handle time: aht unknown, so no staffing.
    assert [r["30min"] for r in rows] == [
        "2024-10-14 09:00",
        "2024-10-14 09:30",
        "2024-10-14 10:30",
    ]
    assert [r["offered_calls"] for r in rows] == [3, 1, 1]
    assert [r["agents_required"] for r in rows] == [2, 3, None]
    assert [r["agents_gap"] for r in rows] == [0, 1, None]
    levels = [r["service_level_with_2"] for r in rows]
    assert math.isclose(levels[0], 1 - 0.3 / 1.7 * 0.3 / 1.3529411764705883 * math.exp(-1.7 / 9))
    assert math.isclose(levels[0], 0.967605, abs_tol=1e-6)
    assert math.isclose(levels[1], 1 - math.exp(-20 / 1800) / 3)
    assert levels[2] is None


def test_erlang_in_a_query_without_grain_or_by(hours_built: Path) -> None:
    """One row and no keys to join the Erlang values on: it was an internal error."""
    result = invoke(
        "query", "--project-dir", str(hours_built), "--format", "json",
        "--start", "2024-10-14", "--end", "2024-10-14",
        "--metrics", "offered_calls,aht_seconds,agents_required,service_level_with_2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    # 5 calls on 10-14, 4 with a handle time: (120 + 180 + 240 + 1800) / 4 = 585 s;
    # A = 5 x 585 / 86400 over the day. N = 1: C = A, SL = 1 - A e^(-(1 - A) 20/585) >= 0.8.
    traffic = 5 * 585 / 86400
    assert row["offered_calls"] == 5 and row["aht_seconds"] == 585
    assert row["agents_required"] == 1
    top = traffic**2 / 2 * 2 / (2 - traffic)
    level = 1 - top / (1 + traffic + top) * math.exp(-(2 - traffic) * 20 / 585)
    assert math.isclose(row["service_level_with_2"], level, rel_tol=1e-9)


def test_a_metric_of_constants_alone_is_the_users_mistake_not_a_crash(tmp_path: Path) -> None:
    """erlang_c_agents(120, 300, 20, 0.8) reads no model: no rows say which periods there are
    (nor their length); asked for alone it was an internal error."""
    project = copy_fixture("hours", tmp_path)
    (project / "metrics" / "plan.yml").write_text(
        "version: 1\nmetrics:\n"
        "  - {name: planned_agents, label: 计划坐席, description: What-if staffing.,"
        ' expr: "erlang_c_agents(120, 300, 20, 0.8)"}\n',
        encoding="utf-8",
    )
    alone = invoke("query", "--project-dir", str(project), "--metrics", "planned_agents")
    assert alone.exit_code == 1, alone.output
    assert "error E250: planned_agents read no model" in alone.output
    assert "--metrics planned_agents,a1_logged_in_seconds" in alone.output
    assert "internal error" not in alone.output
