"""The value a derived metric has in a period without rows (compile/empty_periods.py), which a
report's time spine adds: each formula worked out over 0 counts and NULL averages."""

from __future__ import annotations

import pytest

from metricflow_lite.compile.empty_periods import NotKnown, empty_period_value
from metricflow_lite.errors import Location
from metricflow_lite.spec.expr import parse_derived
from metricflow_lite.spec.model import Agg, BaseMetric, DerivedMetric, Metric

LOC = Location("metrics/x.yml", 1, 1)


def metrics_with(formula: str) -> dict[str, Metric]:
    expr, deps = parse_derived(formula, LOC, "expr of 'm'")
    found: dict[str, Metric] = {
        name: BaseMetric(name=name, loc=LOC, model="calls", agg=agg, expr=None)
        for name, agg in (("calls", Agg.COUNT), ("seconds", Agg.SUM), ("mean", Agg.AVG))
    }
    found["m"] = DerivedMetric(name="m", loc=LOC, expr=expr, depends_on=deps)
    return found


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("seconds / period_seconds()", 0.0),  # 0 agents logged in, whatever the period
        ("seconds / calls", None),  # a ratio of nothing
        ("erlang_c_agents(calls, mean, 20, 0.8)", 0.0),  # no calls: no agents (DESIGN-2 §5)
        ("erlang_c_agents(calls, mean, 20, 0.8) - seconds / period_seconds()", 0.0),
        ("erlang_c_service_level(calls, mean, 20, 3)", None),  # no calls: no service level
        ("coalesce(mean, 0) + 1", 1.0),
        ("nullif(calls, 0)", None),
        ("greatest(mean, calls)", 0.0),  # NULLs skipped
        ("round(calls / period_seconds() * 86400, 1)", 0.0),
        ("-(calls + 2) * 3", -6.0),
        ("abs(calls - 4)", 4.0),
    ],
    ids=[
        "seconds_per_period", "ratio", "erlang_agents", "erlang_gap", "erlang_level",
        "coalesce", "nullif", "greatest", "round", "neg", "abs",
    ],
)  # fmt: skip
def test_the_formula_over_an_empty_period(formula: str, value: float | None) -> None:
    assert empty_period_value("m", metrics_with(formula)) == value


@pytest.mark.parametrize(
    "formula",
    ["period_seconds()", "calls + period_seconds()", "rolling(calls, '7 days')",
     "calls / total(calls)", "erlang_c_agents(5, mean, 20, 0.8)"],
    ids=["the_length_itself", "depends_on_length", "window", "total", "calls_not_zero"],
)  # fmt: skip
def test_a_value_that_depends_on_more_than_the_period_being_empty(formula: str) -> None:
    with pytest.raises(NotKnown):
        empty_period_value("m", metrics_with(formula))
