"""The metric dependency graph: evaluation order, cycles and lineage."""

from __future__ import annotations

import graphlib
from collections.abc import Collection, Mapping

from sqlglot import exp

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.expr import locate
from metricflow_lite.spec.model import BaseMetric, DerivedMetric, Grain, Metric
from metricflow_lite.spec.windows import PERIOD_SECONDS, call_name, grain_problem, step_of


def find_cycle(metrics: Mapping[str, Metric]) -> tuple[str, ...] | None:
    """A dependency cycle among derived metrics, as a path a -> b -> a, or None."""
    graph = {
        name: tuple(d for d in m.depends_on if d in metrics)
        for name, m in sorted(metrics.items())
        if isinstance(m, DerivedMetric)
    }
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as err:
        cycle = list(err.args[1])
        # graphlib lists the cycle backwards (dependents after dependencies).
        cycle.reverse()
        start = cycle.index(min(cycle[:-1]))
        ordered = cycle[start:-1] + cycle[:start]
        return (*ordered, ordered[0])
    return None


def base_metrics_of(name: str, metrics: Mapping[str, Metric]) -> tuple[str, ...]:
    """The base metrics a metric is computed from (itself when it is a base metric), sorted."""
    seen: set[str] = set()
    found: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        metric = metrics.get(current)
        if isinstance(metric, BaseMetric):
            found.add(current)
        elif isinstance(metric, DerivedMetric):
            stack.extend(metric.depends_on)
    return tuple(sorted(found))


def dependents(metrics: Mapping[str, Metric]) -> dict[str, tuple[str, ...]]:
    """For each metric, the derived metrics that use it directly."""
    used_by: dict[str, set[str]] = {name: set() for name in metrics}
    for name, metric in metrics.items():
        if isinstance(metric, DerivedMetric):
            for dep in metric.depends_on:
                used_by.setdefault(dep, set()).add(name)
    return {name: tuple(sorted(users)) for name, users in used_by.items()}


def window_grain_errors(
    names: tuple[str, ...], metrics: Mapping[str, Metric], grain: Grain | None
) -> tuple[MflError, ...]:
    """One error per window call (in the metrics' formulas, derived ones followed) that the
    grain cannot compute, each at the call's argument."""
    errors: dict[tuple[str, int], MflError] = {}
    seen: set[str] = set()
    stack = list(names)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        metric = metrics.get(current)
        if not isinstance(metric, DerivedMetric):
            continue
        stack.extend(metric.depends_on)
        for index, node in enumerate(metric.expr.walk()):
            name = call_name(node)
            if name is None or name == PERIOD_SECONDS:
                continue
            problem = grain_problem(step_of(node), grain)
            if problem is None:
                continue
            code, message, hint = problem
            args = list(node.expressions)
            where = args[1] if len(args) > 1 else node
            errors[(current, index)] = MflError(
                code, f"{message}, in metric '{current}'", _at(metric, where), hint
            )
    return tuple(errors[k] for k in sorted(errors))


def state_window_errors(
    metrics: Mapping[str, Metric], only: Collection[str] | None = None
) -> tuple[MflError, ...]:
    """One error per window or total() call whose metric is (or is computed from) an `active`
    or `snapshot` metric (E233), at the metric's name in the call: a state is never
    re-aggregated over other days or members. `only`: the formulas of these metrics alone."""
    errors: list[MflError] = []
    for name, metric in sorted(metrics.items()):
        if not isinstance(metric, DerivedMetric) or (only is not None and name not in only):
            continue
        for node in metric.expr.walk():
            call = call_name(node)
            args = list(node.expressions) if call else []
            if call == PERIOD_SECONDS or not args or not isinstance(args[0], exp.Column):
                continue
            inner = args[0].name
            states = [
                b
                for b in base_metrics_of(inner, metrics)
                if isinstance(base := metrics[b], BaseMetric) and base.is_state
            ]
            if not states:
                continue
            what = (
                "an `active` or `snapshot` metric"
                if states == [inner]
                else f"computed from the `active` or `snapshot` metric '{states[0]}'"
            )
            errors.append(
                MflError(
                    "E233",
                    f"{call}() over '{inner}', {what}, is not supported, in metric '{name}'",
                    _at(metric, args[0]),
                    "a state is read at each period's end, never summed over days or members:"
                    " window an event metric (a count or sum of the rows of each period)",
                )
            )
    return tuple(errors)


def _at(metric: DerivedMetric, node: exp.Expr) -> Location:
    return locate(metric.expr_loc or metric.loc, metric.expr_text, node)


def formula_sizes(metrics: Mapping[str, Metric]) -> dict[str, tuple[int, int]]:
    """For each derived metric: (the longest chain of derived metrics it is computed through,
    the number of nodes of its formula with every derived metric it uses written out).

    Metrics on a cycle (E230) and their dependents are left out."""
    graph = {
        name: tuple(d for d in m.depends_on if isinstance(metrics.get(d), DerivedMetric))
        for name, m in sorted(metrics.items())
        if isinstance(m, DerivedMetric)
    }
    try:
        order = tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return {}
    sizes: dict[str, tuple[int, int]] = {}
    for name in order:
        metric = metrics[name]
        assert isinstance(metric, DerivedMetric)
        depth, size = 1, 0
        for node in metric.expr.walk():
            if isinstance(node, exp.Identifier):
                continue  # a column's name: part of the term
            inner = sizes.get(node.name) if isinstance(node, exp.Column) else None
            if inner is None:
                size += 1
            else:
                depth = max(depth, inner[0] + 1)
                size += inner[1]
        sizes[name] = (depth, size)
    return sizes
