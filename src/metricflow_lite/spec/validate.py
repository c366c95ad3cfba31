"""Cross-reference rules over parsed spec objects; each rule returns its diagnostics."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from sqlglot import exp

from metricflow_lite.errors import Diagnostic, Location, MflError, Severity, did_you_mean
from metricflow_lite.spec.calendar import business_calls, calendar_name, find_calendar
from metricflow_lite.spec.expr import (
    PERIOD_END,
    dimension_names,
    function_name,
    locate,
    unavailable_functions,
    uses_period_end,
    written,
)
from metricflow_lite.spec.graph import (
    base_metrics_of,
    dependents,
    find_cycle,
    formula_sizes,
    state_window_errors,
    window_grain_errors,
)
from metricflow_lite.spec.joins import dimension_label_hint, label_values, resolve_dimension
from metricflow_lite.spec.loader import YMap, YSeq
from metricflow_lite.spec.model import (
    TIME_PARTS,
    Agg,
    BaseMetric,
    ChartKind,
    Comparison,
    DerivedMetric,
    Format,
    Grain,
    Metric,
    ProjectSpec,
    metric_time,
)
from metricflow_lite.spec.parse import (
    Collector,
    SpecDocument,
    parse_documents,
    read_documents,
)
from metricflow_lite.spec.project import Project
from metricflow_lite.spec.windows import call_name

Rule = Callable[[ProjectSpec], Iterable[Diagnostic]]


def _error(code: str, message: str, loc: Location | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, loc, hint, Severity.ERROR)


def _warning(code: str, message: str, loc: Location | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, loc, hint, Severity.WARNING)


def unique_names(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for kind, items in (("model", spec.models), ("metric", spec.metrics), ("report", spec.reports)):
        first: dict[str, Location] = {}
        for item in items:
            if item.name in first:
                other = first[item.name]
                yield _error(
                    "E205",
                    f"{kind} '{item.name}' is defined twice: here and at {other}",
                    item.loc,
                    f"rename or remove one of them (the first is at {other})",
                )
            else:
                first[item.name] = item.loc


def model_name_hint(spec: ProjectSpec, name: str) -> str:
    """The hint for an unknown model: the model whose label it is (`model: 来电` for
    `calls`), else the closest names, else the list of models."""
    by_label = [m.name for m in spec.models if m.label and m.label.strip() == name.strip()]
    if by_label:
        return f"'{name}' is the label of '{by_label[0]}': did you mean '{by_label[0]}'?"
    names = sorted(m.name for m in spec.models)
    return did_you_mean(name, names) or f"models: {', '.join(names)}"


def known_models(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for metric in spec.metrics:
        if isinstance(metric, BaseMetric) and spec.model(metric.model) is None:
            yield _error(
                "E210",
                f"unknown model '{metric.model}' in metric '{metric.name}'",
                metric.spots.at("model", metric.loc),
                model_name_hint(spec, metric.model),
            )
    for model in spec.models:
        joined_as: dict[str, str] = {}  # role (or joined model) -> the column that joins it
        for dim in model.dimensions:
            if dim.joins:
                role = dim.role or dim.joins
                if role in joined_as:
                    # Both joins would be reached by one name (agents.team): SQL and readers
                    # could not tell them apart.
                    suggested = dim.name.removesuffix("_id")
                    if suggested in joined_as or suggested == dim.name:
                        suggested = f"{dim.name}_{dim.joins}"
                    yield _error(
                        "E216",
                        f"model '{model.name}' joins '{dim.joins}' twice under the name"
                        f" '{role}' ({joined_as[role]} and {dim.name})",
                        dim.spots.at("as" if dim.role else "joins", dim.loc),
                        f"give this join its own role: {{name: {dim.name}, joins: {dim.joins},"
                        f" as: {suggested}}}; its dimensions are then named"
                        f" {suggested}.<dimension>",
                    )
                else:
                    joined_as[role] = dim.name
            if dim.joins and spec.model(dim.joins) is None:
                yield _error(
                    "E210",
                    f"dimension '{dim.name}' of model '{model.name}'"
                    f" joins unknown model '{dim.joins}'",
                    dim.spots.at("joins", dim.loc),
                    model_name_hint(spec, dim.joins),
                )
            elif dim.joins:
                target = spec.model(dim.joins)
                if target is not None and target.primary_key is None:
                    yield _error(
                        "E202",
                        f"model '{target.name}' is joined by '{model.name}.{dim.name}'"
                        " but has no primary_key",
                        target.loc,
                        f"add 'primary_key: {dim.name}' to model '{target.name}'",
                    )
            if dim.parent and model.dimension(dim.parent) is None:
                yield _error(
                    "E212",
                    f"parent '{dim.parent}' of dimension '{dim.name}'"
                    f" is not a dimension of model '{model.name}'",
                    dim.spots.at("parent", dim.loc),
                    did_you_mean(dim.parent, [d.name for d in model.dimensions]),
                )
    for indicator in spec.indicators:
        if spec.model(indicator.model) is None:
            yield _error(
                "E210",
                f"unknown model '{indicator.model}' in indicators",
                indicator.spots.at("model", indicator.loc),
                model_name_hint(spec, indicator.model),
            )
            continue
        for i, dim_name in enumerate(indicator.dimensions):
            found = resolve_dimension(spec, indicator.model, dim_name)
            if found.found is None:
                yield _dimension_error(
                    spec,
                    dim_name,
                    indicator.model,
                    found.known,
                    found.ambiguous,
                    indicator.spots.at(f"dimensions[{i}]", indicator.loc),
                    "indicator",
                )


def _dimension_error(
    spec: ProjectSpec,
    name: str,
    model: str,
    known: Iterable[str],
    ambiguous: tuple[str, ...],
    loc: Location,
    where: str,
) -> Diagnostic:
    if ambiguous:
        return _error(
            "E213",
            f"dimension '{name}' is ambiguous for model '{model}' in {where}",
            loc,
            f"name one of: {', '.join(ambiguous)}",
        )
    plain = name.split(".")[-1]
    owners = sorted({m.name for m in spec.models for d in m.dimensions if d.name == plain})
    if owners:
        unjoinable = spec.model(owners[0])
        joins = [d for m in spec.models for d in m.dimensions if d.joins == owners[0]]
        if unjoinable is not None and unjoinable.primary_key is None and joins:
            # the join is written but not made (E202): adding another would not help
            return _error(
                "E214",
                f"dimension '{name}' of model '{owners[0]}' is not reachable from model"
                f" '{model}' in {where}",
                loc,
                f"model '{owners[0]}' has no primary_key, so no join into it is made: add"
                f" 'primary_key: {joins[0].name}' to model '{owners[0]}'",
            )
        return _error(
            "E214",
            f"dimension '{name}' of model '{owners[0]}' is not reachable from model"
            f" '{model}' in {where}",
            loc,
            f"model '{model}' needs a dimension that joins '{owners[0]}' (or a model that"
            f" reaches it): add '{{name: <key column>, joins: {owners[0]}}}' to its"
            " dimensions, or drop the dimension here",
        )
    return _error(
        "E212",
        f"unknown dimension '{name}' for model '{model}' in {where}",
        loc,
        dimension_label_hint(spec, model, name)
        or did_you_mean(name, [*known, *TIME_PARTS])
        or f"dimensions of '{model}': {', '.join(sorted(known)) or 'none'}",
    )


def time_columns(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for metric in spec.metrics:
        if isinstance(metric, BaseMetric):
            model = spec.model(metric.model)
            if model is not None and not (metric_time(metric, model) or metric.span):
                yield _error(
                    "E202",
                    f"metric '{metric.name}' has no time column",
                    metric.loc,
                    f"add 'time: <column>' to the metric or to model '{model.name}'",
                )


def metric_name_hint(name: str, metrics: Iterable[Metric], fallback: str) -> str:
    """The hint for an unknown metric: the metric whose label it is (a Chinese label typed
    where the name belongs), else the closest names, else `fallback`."""
    candidates = list(metrics)
    by_label = [m.name for m in candidates if m.label and m.label.strip() == name.strip()]
    if by_label:
        return f"'{name}' is the label of '{by_label[0]}': did you mean '{by_label[0]}'?"
    return did_you_mean(name, [m.name for m in candidates]) or fallback


def valid_models(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for model in spec.models:
        if model.valid is not None and model.primary_key is None:
            yield _error(
                "E291",
                f"model '{model.name}' has 'valid' but no primary_key",
                model.spots.at("valid", model.loc),
                "a model with 'valid' holds one row per version of a key: name the key, e.g."
                " 'primary_key: agent_id'",
            )


def period_end_in_active(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for metric in spec.metrics:
        if not isinstance(metric, BaseMetric) or metric.active is not None:
            continue
        for key, tree in (("expr", metric.expr), ("filter", metric.filter)):
            if uses_period_end(tree):
                yield _error(
                    "E293",
                    f"{PERIOD_END}() in {key} of metric '{metric.name}', which has no 'active'",
                    metric.spots.at(key, metric.loc),
                    f"{PERIOD_END}() is the end instant of the period an 'active' metric counts"
                    " its open rows at; add 'active: {from: ..., until: ...}' or use a column",
                )


def known_metrics(spec: ProjectSpec) -> Iterable[Diagnostic]:
    names = [m.name for m in spec.metrics]
    known = set(names)  # spec.metric() scans: once per dependency is quadratic in metrics
    for metric in spec.metrics:
        if isinstance(metric, DerivedMetric):
            for dep in metric.depends_on:
                if dep not in known:
                    yield _error(
                        "E211",
                        f"unknown metric '{dep}' in expr of '{metric.name}'",
                        metric.name_loc(dep),
                        metric_name_hint(
                            dep,
                            (m for m in spec.metrics if m.name != metric.name),
                            "define it under 'metrics:' first",
                        ),
                    )


def no_cycles(spec: ProjectSpec) -> Iterable[Diagnostic]:
    metrics = {m.name: m for m in spec.metrics}
    cycle = find_cycle(metrics)
    if cycle:
        first = metrics[cycle[0]]
        # point at the use of the next metric in the first metric's formula
        loc = first.name_loc(cycle[1]) if isinstance(first, DerivedMetric) else first.loc
        yield _error(
            "E230",
            f"metrics depend on each other in a cycle: {' -> '.join(cycle)}",
            loc,
            "a derived metric cannot use itself, directly or through others; break the cycle",
        )


# A query writes a derived metric's formula out in full, through every derived metric it uses:
# past these, the SQL grows beyond what the parser and the engines take (or exponentially).
MAX_CHAIN = 50  # derived metrics computed from each other in a row
MAX_FORMULA_NODES = 2_000  # operators, numbers and metric names once written out


def over_limits(depth: int, size: int) -> bool:
    return depth > MAX_CHAIN or size > MAX_FORMULA_NODES


def short_chains(spec: ProjectSpec) -> Iterable[Diagnostic]:
    metrics = {m.name: m for m in spec.metrics}
    sizes = formula_sizes(metrics)
    for name, (depth, size) in sorted(sizes.items()):
        metric = metrics[name]
        assert isinstance(metric, DerivedMetric)
        if any(d in sizes and over_limits(*sizes[d]) for d in metric.depends_on):
            continue  # one error per chain: at the first metric past the limit
        if depth > MAX_CHAIN:
            yield _error(
                "E705",
                f"metric '{name}' is computed through a chain of {depth} derived metrics"
                f" (the limit is {MAX_CHAIN})",
                metric.loc,
                "compute the intermediate step as a base metric (an expr over the model's"
                " columns) or in the model's SQL",
            )
        elif size > MAX_FORMULA_NODES:
            yield _error(
                "E705",
                f"metric '{name}' written out in full has {size:,} terms (the limit is"
                f" {MAX_FORMULA_NODES:,}): its derived metrics use each other many times over",
                metric.loc,
                "compute the repeated part as a base metric, or use each derived metric once"
                " per formula",
            )


def report_references(spec: ProjectSpec) -> Iterable[Diagnostic]:
    metrics = {m.name: m for m in spec.metrics}
    has_cycle = find_cycle(metrics) is not None
    for report in spec.reports:
        for i, name in enumerate(report.metrics):
            if name not in metrics:
                yield _error(
                    "E240",
                    f"unknown metric '{name}' in report '{report.name}'",
                    report.spots.at(f"metrics[{i}]", report.loc),
                    metric_name_hint(
                        name, spec.metrics, "check the metric names with 'mfl list metrics'"
                    ),
                )
        # listed twice, a report built (a view with `offered_1`, or E252 "in --by") and failed
        # when read: E602, whose hint, build again, could not help
        for field, names, what in (
            ("metrics", report.metrics, "metric"),
            ("by", report.by, "dimension"),
        ):
            for i, name in enumerate(names):
                if name in names[:i]:
                    yield _error(
                        "E243",
                        f"report '{report.name}' lists the {what} '{name}' twice",
                        report.spots.at(f"{field}[{i}]", report.loc),
                        f"list each {what} once",
                    )
        dims = {name: report.spots.at(f"by[{i}]", report.loc) for i, name in enumerate(report.by)}
        if report.filter is not None:
            for name in dimension_names(report.filter):
                dims.setdefault(name, report.spots.at("filter", report.loc))
        reported: set[str] = set()
        for name in report.metrics:
            if name not in metrics or has_cycle:
                continue
            for base in base_metrics_of(name, metrics):
                metric = metrics[base]
                assert isinstance(metric, BaseMetric)
                if spec.model(metric.model) is None:
                    continue
                for dim, loc in sorted(dims.items()):
                    if dim in TIME_PARTS or dim in reported:
                        continue
                    found = resolve_dimension(spec, metric.model, dim)
                    if found.found is None:
                        reported.add(dim)  # once per dimension, at its first failing metric
                        yield _dimension_error(
                            spec,
                            dim,
                            metric.model,
                            found.known,
                            found.ambiguous,
                            loc,
                            f"report '{report.name}' (metric '{name}')",
                        )
        for chart in report.charts:
            for i, name in enumerate(chart.metrics):
                if name not in report.metrics:
                    yield _error(
                        "E241",
                        f"chart metric '{name}' is not among the metrics of report '{report.name}'",
                        chart.spots.at(f"metrics[{i}]", chart.loc),
                        did_you_mean(name, report.metrics) or "add it to the report's metrics",
                    )
            if chart.kind is ChartKind.PIE and not has_cycle:
                for i, name in enumerate(chart.metrics):
                    if name in metrics and not adds_up(name, metrics):
                        yield _error(
                            "E242",
                            f"a pie of '{name}' is meaningless: its slices do not add up to the"
                            " whole",
                            chart.spots.at(f"metrics[{i}]", chart.loc),
                            "a pie shows shares of a sum or count (calls, tickets); show rates,"
                            " averages and distinct counts as a bar chart",
                        )
            if chart.by and chart.by not in report.by:
                yield _error(
                    "E241",
                    f"chart dimension '{chart.by}' is not in 'by' of report '{report.name}'",
                    chart.spots.at("by", chart.loc),
                    did_you_mean(chart.by, report.by) or "add it to the report's 'by'",
                )


def report_window_grains(spec: ProjectSpec) -> Iterable[Diagnostic]:
    """A report grain that a window in one of its metrics cannot be computed at (E234, E235)."""
    metrics = {m.name: m for m in spec.metrics}
    if find_cycle(metrics) is not None:
        return
    for report in spec.reports:
        known = tuple(name for name in report.metrics if name in metrics)
        for i, grain in enumerate(report.grains):
            for err in window_grain_errors(known, metrics, grain):
                yield _error(
                    err.code,
                    f"{err.message} (report '{report.name}' has grain {grain.value},"
                    f" at {report.spots.at(f'grains[{i}]', report.loc)})",
                    err.loc,
                    err.hint,
                )


def windows_over_states(spec: ProjectSpec) -> Iterable[Diagnostic]:
    """A window or total() over an `active` or `snapshot` metric, at the call: a warning
    (W233), as the other metrics still answer; querying this one is E233."""
    metrics = {m.name: m for m in spec.metrics}
    if find_cycle(metrics) is not None:
        return
    for err in state_window_errors(metrics):
        yield _warning("W233", err.message, err.loc, err.hint)


def filter_values(spec: ProjectSpec) -> Iterable[Diagnostic]:
    """A value label compared where its code belongs, in a metric's or a report's filter
    (E224, as for --where): `channel = '电话'` matches no row, the rows hold `tel`."""
    metrics = {m.name: m for m in spec.metrics}
    has_cycle = find_cycle(metrics) is not None
    filters: list[tuple[exp.Expr, str, Location, list[str]]] = []
    for metric in spec.metrics:
        if isinstance(metric, BaseMetric) and metric.filter is not None:
            base = metric.spots.at("filter", metric.loc)
            filters.append((metric.filter, metric.filter_text, base, [metric.model]))
    for report in spec.reports:
        if report.filter is None or has_cycle:
            continue
        read = {
            metric.model
            for name in report.metrics
            if name in metrics
            for base_name in base_metrics_of(name, metrics)
            if isinstance(metric := metrics[base_name], BaseMetric)
        }
        base = report.spots.at("filter", report.loc)
        filters.append((report.filter, report.filter_text, base, sorted(read)))
    for tree, text, base, models in filters:
        for misuse in label_values(spec, tree, [m for m in models if spec.model(m)]):
            yield _error("E224", misuse.message, locate(base, text, misuse.value), misuse.hint)


def report_comparisons(spec: ProjectSpec) -> Iterable[Diagnostic]:
    """`same_period_last_week` on a report with a grain of a week or coarser (E206): a week has
    no "same weekday a week earlier" other than the previous week, and a month has none."""
    for report in spec.reports:
        if Comparison.SAME_PERIOD_LAST_WEEK not in report.compare:
            continue
        at = report.compare.index(Comparison.SAME_PERIOD_LAST_WEEK)
        coarse = [g.value for g in report.grains if not (g.intraday or g is Grain.DAY)]
        if coarse:
            yield _error(
                "E206",
                f"report '{report.name}' compares with the same period last week, which its"
                f" grain {coarse[0]} does not have",
                report.spots.at(f"compare[{at}]", report.loc),
                "same_period_last_week needs grains of a day or finer (15min, 30min, hour, day);"
                " compare a week with previous_period, or move the coarse grains to a report"
                " of their own",
            )


def adds_up(name: str, metrics: Mapping[str, Metric]) -> bool:
    """True when a metric's values over a dimension's members sum to the whole: a sum or a count,
    or a sum of such metrics. Rates, averages, percentiles and distinct counts do not."""
    metric = metrics[name]
    if isinstance(metric, BaseMetric):
        return metric.agg in (Agg.SUM, Agg.COUNT)

    def summed(node: exp.Expr) -> bool:
        if isinstance(node, exp.Paren):
            return summed(node.this)
        if isinstance(node, exp.Add):
            return summed(node.this) and summed(node.expression)
        return isinstance(node, exp.Column) and node.name in metrics and adds_up(node.name, metrics)

    return summed(metric.expr)


def business_hours(spec: ProjectSpec) -> Iterable[Diagnostic]:
    """business_seconds(A, B[, 'calendar']) calls: their shape and a calendar that exists."""
    for metric in spec.metrics:
        if not isinstance(metric, BaseMetric):
            continue
        for key, tree, text in (
            ("expr", metric.expr, metric.expr_text),
            ("filter", metric.filter, metric.filter_text),
        ):
            if tree is None:
                continue
            base = metric.spots.at(key, metric.loc)
            for call in business_calls(tree):
                args = call.expressions
                third = args[2] if len(args) == 3 else None
                if len(args) not in (2, 3) or (
                    third is not None and not (isinstance(third, exp.Literal) and third.is_string)
                ):
                    yield _error(
                        "E275",
                        f"business_seconds in {key} of metric '{metric.name}' takes a start, an"
                        f" end and optionally a calendar name, not {written(text, call)}",
                        locate(base, text, call),
                        "write business_seconds(created_ts, first_reply_ts) or"
                        " business_seconds(created_ts, first_reply_ts, 'service_hours')",
                    )
                    continue
                try:
                    find_calendar(spec.calendars, calendar_name(call), None)
                except MflError as err:
                    yield _error(
                        err.code,
                        f"{err.message} in {key} of metric '{metric.name}'",
                        locate(base, text, third)
                        if third is not None
                        else locate(base, text, call),
                        err.hint,
                    )


def documented_metrics(spec: ProjectSpec) -> Iterable[Diagnostic]:
    for metric in spec.metrics:
        missing = [k for k in ("label", "description") if not getattr(metric, k)]
        if missing:
            yield _warning(
                "W201",
                f"metric '{metric.name}' has no {' or '.join(missing)}",
                metric.loc,
                "reports show the label; the description says which formula variant this is",
            )


def used_metrics(spec: ProjectSpec) -> Iterable[Diagnostic]:
    if not spec.reports:
        return
    used_by = dependents({m.name: m for m in spec.metrics})
    in_reports = {name for r in spec.reports for name in r.metrics}
    for metric in spec.metrics:
        if metric.name not in in_reports and not used_by.get(metric.name):
            yield _warning(
                "W202",
                f"metric '{metric.name}' is not used by any report or derived metric",
                metric.loc,
                "add it to a report, or ignore this if analysts query it directly",
            )


RULES: tuple[Rule, ...] = (
    unique_names,
    known_models,
    time_columns,
    valid_models,
    period_end_in_active,
    known_metrics,
    no_cycles,
    short_chains,
    report_references,
    filter_values,
    report_comparisons,
    business_hours,
    report_window_grains,
    windows_over_states,
    documented_metrics,
    used_metrics,
)


def check_spec(spec: ProjectSpec) -> list[Diagnostic]:
    """Every diagnostic the rules find."""
    return [d for rule in RULES for d in rule(spec)]


def inherit_formats(metrics: Sequence[Metric]) -> list[Metric]:
    """A derived metric that names no `format` shows the format its formula keeps:
    rolling(offered_calls, '7 days') is a count (integer), shift(abandonment_rate, '1 week') a
    rate (percent), offered_calls - abandoned_calls a count, talk_seconds + hold_seconds a
    duration. Any other formula (a ratio, a product of two metrics) keeps the default."""
    by_name = {m.name: m for m in metrics}
    found: dict[str, Format | None] = {}

    def format_of(name: str, seen: frozenset[str]) -> Format | None:
        metric = by_name.get(name)
        if metric is None or name in seen:  # unknown names and cycles: errors of their own
            return None
        if not isinstance(metric, DerivedMetric) or metric.format_given:
            return metric.format
        if name not in found:
            found[name] = kept_format(metric.expr, lambda m: format_of(m, seen | {name}))
        return found[name] or metric.format

    return [
        replace(m, format=format_of(m.name, frozenset()) or m.format)
        if isinstance(m, DerivedMetric) and not m.format_given
        else m
        for m in metrics
    ]


# Functions whose value is one of their arguments', so in that argument's unit.
_SAME_UNIT_CALLS = (exp.Coalesce, exp.Greatest, exp.Least, exp.Abs)


def kept_format(formula: exp.Expr, format_of: Callable[[str], Format | None]) -> Format | None:
    """The one format of the metrics a formula adds, subtracts or scales by a constant, or
    None: `a - b` of two counts is a count, `2 * aht` a duration, `1 - service_level` a rate;
    `a / b`, `a * b`, a rate times 100 or a count times 0.5 are none of these."""
    formats: set[Format] = set()
    fractional = scaled = False

    def walk(node: exp.Expr) -> bool:
        nonlocal fractional, scaled
        if call_name(node) in WINDOW_CALLS and node.expressions:
            # a window keeps the unit of what it reads, nested or not:
            # shift(to_date(offered_calls, 'month'), '1 year') is a count
            return walk(node.expressions[0])
        if isinstance(node, exp.Column) and not node.table:
            formats.add(format_of(node.name) or Format.NUMBER)
            return True
        if isinstance(node, exp.Literal) and not node.is_string:
            fractional = fractional or not node.is_int
            return True
        if isinstance(node, exp.Paren | exp.Neg):
            return walk(node.this)
        if isinstance(node, exp.Add | exp.Sub):
            return walk(node.this) and walk(node.expression)
        if isinstance(node, exp.Mul):
            # a unit times a constant keeps the unit; a unit times a unit does not
            if not any(isinstance(side, exp.Literal) for side in (node.this, node.expression)):
                return False
            scaled = True
            return walk(node.this) and walk(node.expression)
        if isinstance(node, _SAME_UNIT_CALLS):
            return all(walk(arg) for arg in node.iter_expressions())
        return False

    if not walk(formula) or len(formats) != 1:
        return None
    (kept,) = formats
    if kept is Format.NUMBER or (kept is Format.INTEGER and fractional):
        return None
    if kept is Format.PERCENT and scaled:  # abandonment_rate * 100 is a number of percent
        return None
    return kept


WINDOW_CALLS = ("rolling", "to_date", "shift", "total")


def collect_spec(project: Project) -> tuple[ProjectSpec, list[Diagnostic]]:
    """Read metrics/ and reports/ and check them: the spec and every problem found."""
    out = Collector()
    folders = [("metrics", project.path("metrics")), ("reports", project.path("reports"))]
    documents = read_documents(project.root, folders, out)
    models, metrics, indicators, reports = parse_documents(documents, out)
    metrics = inherit_formats(metrics)
    spec = ProjectSpec(
        tuple(models), tuple(metrics), tuple(indicators), tuple(reports), project.calendars
    )
    targets = {t.type: t.name for t in sorted(project.targets, key=lambda t: t.name, reverse=True)}
    unreadable = [d for d in out.diagnostics if d.code in UNREADABLE_CODES and d.loc]
    checks = check_spec(spec) + list(functions_on_targets(spec, targets))
    # a metric or model whose entry has an error is left out of the spec: its name is defined
    # all the same, so its users get no "unknown metric ... did you mean" of their own
    parsed = {m.name for m in spec.metrics} | {m.name for m in spec.models}
    broken = defined_names(documents) - parsed
    if unreadable or broken:
        checks = skip_dependent(checks, names_in_files(unreadable, project.root) | broken)
    return spec, out.diagnostics + checks


# A file that does not parse: its names are unknown, not missing.
UNREADABLE_CODES = ("E001", "E003")
# Checks whose finding may only mean that the name is defined (or used) in an unreadable file.
DEPENDENT_CODES = ("E210", "E211", "E212", "E214", "E240", "E241")
_QUOTED_NAME = re.compile(r"'([^']+)'")
# `name: x` on its own line or first in a flow mapping (`- {name: x, label: ...}`)
_DEFINED_NAME = re.compile(r"^\s*-?\s*\{?\s*name\s*:\s*['\"]?([^'\"#\s,}]+)", re.MULTILINE)


def defined_names(documents: Iterable[SpecDocument]) -> set[str]:
    """The names the `models:` and `metrics:` entries of parsed files give themselves."""
    names: set[str] = set()
    for doc in documents:
        if not isinstance(doc.data, YMap):
            continue
        for key in ("models", "metrics"):
            entries = doc.data.get(key)
            for entry in entries if isinstance(entries, YSeq) else ():
                if isinstance(entry, YMap) and isinstance(entry.get("name"), str):
                    names.add(entry["name"])
    return names


def names_in_files(unreadable: list[Diagnostic], root: Path) -> set[str]:
    """The names unreadable YAML files define, read from their text (`name: x` lines)."""
    defined: set[str] = set()
    for diag in unreadable:
        assert diag.loc is not None
        try:
            text = (root / diag.loc.file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        defined.update(_DEFINED_NAME.findall(text))
    return defined


def skip_dependent(checks: list[Diagnostic], defined: set[str]) -> list[Diagnostic]:
    """The cross-file checks minus those a definition that did not parse explains: one syntax
    error is one error, not "unknown model" in every file that uses a name it defines (#20).

    Unused-metric warnings go too, as the broken definition may be what uses them."""
    kept = []
    for diag in checks:
        if diag.code == "W202":
            continue
        quoted = _QUOTED_NAME.findall(diag.message)
        if diag.code in DEPENDENT_CODES and quoted and quoted[0] in defined:
            continue
        kept.append(diag)
    return kept


def functions_on_targets(spec: ProjectSpec, targets: Mapping[str, str]) -> Iterable[Diagnostic]:
    """Row-level SQL may call a dialect-specific function only when every target has it."""
    for metric in spec.metrics:
        if not isinstance(metric, BaseMetric):
            continue
        for key, tree in (("expr", metric.expr), ("filter", metric.filter)):
            for call, dialect in unavailable_functions(tree, targets) if tree else ():
                name = function_name(call)
                yield _error(
                    "E703",
                    f"{name}() in {key} of '{metric.name}' is not available on {dialect}"
                    f" (target '{targets[dialect]}')",
                    metric.spots.at(key, metric.loc),
                    "use a function every target has (docs/security.md lists them), or remove"
                    " the target from metricflow_lite.yml",
                )


def load_spec(project: Project) -> ProjectSpec:
    """The project's checked spec; raises MflError with every error when there is one."""
    spec, diagnostics = collect_spec(project)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise MflError.from_diagnostics(d for d in diagnostics if d.severity is Severity.ERROR)
    return spec
