"""The value a metric has in a period without rows, where a report's time spine adds one.

A count or a sum of nothing is 0 (ZERO_WHEN_EMPTY), a ratio of nothing NULL. A derived metric is
its formula over those: `logged_in_seconds / period_seconds()` is 0 agents logged in and
`erlang_c_agents(offered_calls, aht_seconds, 20, 0.8)` 0 agents required (no calls, DESIGN-2 §5),
not unknown. The formula is evaluated here, once per metric, over the values of an empty period;
a value that depends on which period it is (`period_seconds()` alone) or on other periods (a
window, a total) is not known without rows, and stays NULL as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from metricflow_lite.compile.erlang import ERLANG_AGENTS, ERLANG_SERVICE_LEVEL
from metricflow_lite.spec.model import Agg, BaseMetric, DerivedMetric, Metric

# Metrics a period without rows has as 0 (a ratio or an average of nothing stays NULL).
ZERO_WHEN_EMPTY = (Agg.COUNT, Agg.SUM, Agg.COUNT_DISTINCT, Agg.SECONDS)
# two period lengths: a formula that gives both the same value does not depend on the length
PERIOD_PROBES = (900.0, 2_678_400.0)

Value = float | None  # None is SQL's NULL


class NotKnown(Exception):
    """The formula's value in an empty period depends on more than the period being empty."""


def empty_period_value(name: str, metrics: Mapping[str, Metric]) -> Value:
    """The value of a metric in a period without rows; NotKnown when it has none of its own."""
    values = {_value(name, metrics, period) for period in PERIOD_PROBES}
    if len(values) != 1:
        raise NotKnown(name)
    return values.pop()


def _value(name: str, metrics: Mapping[str, Metric], period: float) -> Value:
    metric = metrics[name]
    if isinstance(metric, BaseMetric):
        return 0.0 if metric.agg in ZERO_WHEN_EMPTY else None
    assert isinstance(metric, DerivedMetric)
    return _evaluate(metric.expr, lambda ref: _value(ref, metrics, period), period)


def _evaluate(node: exp.Expr, metric: Callable[[str], Value], period: float) -> Value:
    def at(child: exp.Expr) -> Value:
        return _evaluate(child, metric, period)

    match node:
        case exp.Paren():
            return at(node.this)
        case exp.Literal() if not node.is_string:
            return float(node.name)
        case exp.Null():
            return None
        case exp.Column():
            return metric(node.name)
        case exp.Neg():
            value = at(node.this)
            return None if value is None else -value
        case exp.Add() | exp.Sub() | exp.Mul() | exp.Div():
            return _arithmetic(node, at(node.this), at(node.expression))
        case exp.Abs():
            value = at(node.this)
            return None if value is None else abs(value)
        case exp.Round():
            value = at(node.this)
            decimals = at(node.args["decimals"]) if node.args.get("decimals") else 0.0
            if value is None or decimals is None:
                return None
            return float(round(value, int(decimals)))
        case exp.Coalesce():
            for child in (node.this, *node.expressions):
                if (value := at(child)) is not None:
                    return value
            return None
        case exp.Nullif():
            value, other = at(node.this), at(node.expression)
            return None if value is None or value == other else value
        case exp.Greatest() | exp.Least():
            # NULLs are skipped, as every engine's GREATEST and LEAST do (ignore_nulls)
            found = [v for v in (at(c) for c in (node.this, *node.expressions)) if v is not None]
            if not found:
                return None
            return max(found) if isinstance(node, exp.Greatest) else min(found)
        case exp.Anonymous() if node.name.lower() == "period_seconds":
            return period
        case exp.Anonymous() if node.name.lower() in (ERLANG_AGENTS, ERLANG_SERVICE_LEVEL):
            calls = at(node.expressions[0])
            if calls != 0:
                raise NotKnown(node.sql())
            return 0.0 if node.name.lower() == ERLANG_AGENTS else None
    # windows, totals and anything else read other periods or rows
    raise NotKnown(node.sql())


def _arithmetic(node: exp.Expr, left: Value, right: Value) -> Value:
    if left is None or right is None:
        return None
    match node:
        case exp.Add():
            return left + right
        case exp.Sub():
            return left - right
        case exp.Mul():
            return left * right
        case _:
            return None if right == 0 else left / right
