"""Query -> plan: which models, tables, joins, grains and partial aggregates answer a query.

The plan decides *what*; sqlgen.py decides how it is written. Additivity rules (DOMAIN.md):
sums and counts roll up from day-level partials; an average is sum/count of partials; distinct
counts, medians and percentiles are recomputed from rows at the requested grain; a derived
metric is re-computed from its parts after they are aggregated, never averaged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from sqlglot import exp

from metricflow_lite.compile.frames import PLAIN, Frame, check_grain, usages
from metricflow_lite.compile.periods import whole_periods
from metricflow_lite.errors import Location, MflError, did_you_mean
from metricflow_lite.spec.expr import dimension_names
from metricflow_lite.spec.joins import ReachableDimension, reachable_dimensions, resolve_dimension
from metricflow_lite.spec.model import (
    TIME_PARTS,
    Agg,
    BaseMetric,
    Grain,
    Metric,
    ProjectSpec,
)


class Source(str, Enum):
    ROWS = "src"  # the source-layer view, row by row
    INDICATOR = "ind"  # a pre-aggregated indicator table


@dataclass(frozen=True, slots=True)
class Partial:
    """One aggregate column a base metric needs: e.g. aht's sum and count."""

    metric: str
    part: str  # sum | count | min | max | value
    agg: Agg

    @property
    def column(self) -> str:
        return f"{self.metric}__{self.part}"

    @property
    def reaggregate(self) -> str:
        """How day-level values of this partial combine into a coarser period."""
        return {"sum": "SUM", "count": "SUM", "min": "MIN", "max": "MAX"}[self.part]


def partials_of(metric: BaseMetric) -> tuple[Partial, ...]:
    """The aggregate columns behind a base metric."""
    match metric.agg:
        case Agg.SUM:
            return (Partial(metric.name, "sum", metric.agg),)
        case Agg.COUNT:
            return (Partial(metric.name, "count", metric.agg),)
        case Agg.AVG:
            return (
                Partial(metric.name, "sum", metric.agg),
                Partial(metric.name, "count", metric.agg),
            )
        case Agg.MIN:
            return (Partial(metric.name, "min", metric.agg),)
        case Agg.MAX:
            return (Partial(metric.name, "max", metric.agg),)
        case Agg.COUNT_DISTINCT | Agg.MEDIAN | Agg.PERCENTILE:
            return (Partial(metric.name, "value", metric.agg),)
    raise AssertionError(metric.agg)


@dataclass(frozen=True, slots=True)
class PlannedDimension:
    """A requested dimension as one group computes it."""

    name: str  # the output column name, as the user wrote it
    reach: ReachableDimension | None = None  # None for a time part
    time_part: str | None = None
    stored_as: str | None = None  # column name in an indicator table, when stored there


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    """A pre-aggregated table: additive partials of one model by period x dimensions."""

    name: str
    model: str
    grain: Grain
    dimensions: tuple[ReachableDimension, ...]
    time_columns: tuple[str, ...]
    metrics: tuple[str, ...]
    declared: bool = False  # from `indicators:` rather than the model's default day table

    def period_column(self, time_column: str) -> str:
        return f"{time_column}_{self.grain.value}"

    def stored_name(self, dim: ReachableDimension) -> str:
        return dim.qualified_name.replace(".", "__")

    def stores(self, dim: ReachableDimension) -> bool:
        return any(d.qualified_name == dim.qualified_name for d in self.dimensions)


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """Base metrics of one model and time column, aggregated together from one table."""

    name: str
    model: str
    time_column: str
    source: Source
    metrics: tuple[str, ...]
    dimensions: tuple[PlannedDimension, ...]
    where_dimensions: tuple[PlannedDimension, ...] = ()
    table: IndicatorTable | None = None
    frame: Frame = PLAIN  # window steps and total(): read over other days / all members

    @property
    def windowed(self) -> bool:
        """True when the group reads each period's frame of days, not the period itself."""
        return bool(self.frame.steps)


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """What a user asks: metrics by dimensions at a grain, over a date range, filtered."""

    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    grain: Grain | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    where: exp.Expr | None = None
    where_text: str = ""
    use_indicators: bool = True


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How to answer a request: groups to aggregate and join, then metric formulas."""

    request: QueryRequest
    groups: tuple[GroupPlan, ...]
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    week_start: str = "monday"
    seconds_frames: tuple[Frame, ...] = ()  # frames whose period_seconds() a formula uses

    @property
    def key_columns(self) -> tuple[str, ...]:
        grain = (self.request.grain.value,) if self.request.grain else ()
        return grain + self.request.by


QUERY_LOC = Location("<query>")


def _lookup_metrics(spec: ProjectSpec, names: tuple[str, ...]) -> dict[str, Metric]:
    by_name = {m.name: m for m in spec.metrics}
    for name in names:
        if name not in by_name:
            raise MflError(
                "E211",
                f"unknown metric '{name}'",
                None,
                did_you_mean(name, by_name) or "list the metrics with 'mfl list metrics'",
            )
    return by_name


def plan_query(spec: ProjectSpec, request: QueryRequest, week_start: str = "monday") -> QueryPlan:
    """A plan for the request, or MflError saying which metric, model or dimension is wrong."""
    if not request.metrics:
        raise MflError("E250", "no metrics requested", None, "pass --metrics a,b")
    if request.start and request.end and request.start > request.end:
        raise MflError("E251", f"--start {request.start} is after --end {request.end}", None)
    start, end = whole_periods(request.start, request.end, request.grain, week_start)
    request = replace(request, start=start, end=end)
    metrics = _lookup_metrics(spec, request.metrics)
    if len(set(request.by)) != len(request.by):
        raise MflError("E252", "a dimension is listed twice in --by", None)
    where_dims = dimension_names(request.where) if request.where is not None else ()
    check_grain(request.metrics, metrics, request.grain)
    needed = frozenset(u for name in request.metrics for u in usages(name, metrics))
    frames = sorted({u.frame for u in needed if u.metric is not None}, key=lambda f: f.key)
    if frames and all(f.total for f in frames) and request.by:
        # total() alone gives no --by members: the plain parts say which members there are.
        frames.insert(0, PLAIN)
    tables = indicator_tables(spec)
    groups: list[GroupPlan] = []
    for frame in frames:
        bases = sorted(
            {u.metric for u in needed if u.metric is not None and u.frame == frame}
            or {u.metric for u in needed if u.metric is not None}
        )
        groups.extend(_plan_groups(spec, request, metrics, tables, bases, frame, where_dims))
    seconds = tuple(sorted({u.frame for u in needed if u.metric is None}, key=lambda f: f.key))
    return QueryPlan(
        request=request,
        groups=tuple(groups),
        metrics=metrics,
        week_start=week_start,
        seconds_frames=seconds,
    )


def _plan_groups(
    spec: ProjectSpec,
    request: QueryRequest,
    metrics: Mapping[str, Metric],
    tables: tuple[IndicatorTable, ...],
    bases: list[str],
    frame: Frame,
    where_dims: tuple[str, ...],
) -> list[GroupPlan]:
    """The groups that aggregate base metrics in one frame, one or two per model/time column."""
    by_key: dict[tuple[str, str], list[BaseMetric]] = {}
    for name in bases:
        metric = metrics[name]
        assert isinstance(metric, BaseMetric)
        model = spec.model(metric.model)
        if model is None:
            raise MflError("E210", f"unknown model '{metric.model}' in metric '{name}'", metric.loc)
        time_column = metric.time or model.time
        if time_column is None:
            raise MflError("E202", f"metric '{name}' has no time column", metric.loc)
        by_key.setdefault((model.name, time_column), []).append(metric)
    # A window reads whole days around each period: only day tables hold them.
    choice = replace(request, grain=Grain.DAY) if frame.steps else request
    by = () if frame.total else request.by
    suffix = f"__{frame.key}" if frame.key else ""
    groups: list[GroupPlan] = []
    for (model_name, time_column), members in sorted(by_key.items()):
        dims = tuple(_plan_dimension(spec, model_name, d, members[0].name) for d in by)
        wdims = tuple(_plan_dimension(spec, model_name, d, members[0].name) for d in where_dims)
        additive = [m for m in members if m.agg.additive]
        rows = [m for m in members if not m.agg.additive]
        table = (
            _choose_table(tables, model_name, time_column, additive, dims + wdims, choice)
            if additive and request.use_indicators
            else None
        )
        if table is None:
            rows, additive = members, []
        base_name = f"{model_name}__{time_column}"
        if additive and table is not None:
            groups.append(
                GroupPlan(
                    name=f"{base_name}__ind{suffix}",
                    model=model_name,
                    time_column=time_column,
                    source=Source.INDICATOR,
                    metrics=tuple(m.name for m in additive),
                    dimensions=tuple(_stored(table, d) for d in dims),
                    where_dimensions=tuple(_stored(table, d) for d in wdims),
                    table=table,
                    frame=frame,
                )
            )
        if rows:
            groups.append(
                GroupPlan(
                    name=f"{base_name}__src{suffix}",
                    model=model_name,
                    time_column=time_column,
                    source=Source.ROWS,
                    metrics=tuple(m.name for m in rows),
                    dimensions=dims,
                    where_dimensions=wdims,
                    frame=frame,
                )
            )
    return groups


def _plan_dimension(spec: ProjectSpec, model: str, name: str, metric: str) -> PlannedDimension:
    if name in TIME_PARTS:
        return PlannedDimension(name=name, time_part=name)
    found = resolve_dimension(spec, model, name)
    if found.found is not None:
        return PlannedDimension(name=name, reach=found.found)
    if found.ambiguous:
        raise MflError(
            "E213",
            f"dimension '{name}' is ambiguous for model '{model}' (metric '{metric}')",
            None,
            f"name one of: {', '.join(found.ambiguous)}",
        )
    raise MflError(
        "E212",
        f"dimension '{name}' cannot be reached from model '{model}' (metric '{metric}')",
        None,
        did_you_mean(name, [*found.known, *TIME_PARTS])
        or f"dimensions reachable from '{model}': {', '.join(found.known) or 'none'}",
    )


def _stored(table: IndicatorTable, dim: PlannedDimension) -> PlannedDimension:
    if dim.reach is not None and table.stores(dim.reach):
        return PlannedDimension(dim.name, dim.reach, None, table.stored_name(dim.reach))
    return dim


def _covers(table: IndicatorTable, dim: PlannedDimension) -> bool:
    if dim.time_part is not None:
        return dim.time_part == "day_of_week" and table.grain is Grain.DAY
    assert dim.reach is not None
    if table.stores(dim.reach):
        return True
    # A joined dimension is reachable when the table keeps the first foreign key of its path.
    path = dim.reach.path
    return bool(path) and any(
        not d.path and d.dimension.name == path[0].column for d in table.dimensions
    )


def _choose_table(
    tables: tuple[IndicatorTable, ...],
    model: str,
    time_column: str,
    metrics: list[BaseMetric],
    dims: tuple[PlannedDimension, ...],
    request: QueryRequest,
) -> IndicatorTable | None:
    grain = request.grain
    if grain is not None and grain.intraday:
        return None
    candidates = []
    for table in tables:
        if table.model != model or time_column not in table.time_columns:
            continue
        if not all(m.name in table.metrics for m in metrics):
            continue
        if not all(_covers(table, d) for d in dims):
            continue
        if table.grain is not Grain.DAY:
            if grain is None or not grain.covers(table.grain):
                continue
            if request.start is not None or request.end is not None:
                continue  # a date range may cut a coarse period in half
        candidates.append(table)
    if not candidates:
        return None
    # The smallest table that covers the query: fewest dimensions, coarsest grain.
    order = list(Grain)
    return min(candidates, key=lambda t: (len(t.dimensions), -order.index(t.grain), t.name))


def indicator_tables(spec: ProjectSpec) -> tuple[IndicatorTable, ...]:
    """Every indicator table the build materialises: each model's day table, then rollups."""
    tables: list[IndicatorTable] = []
    for model in sorted(spec.models, key=lambda m: m.name):
        additive = [
            m
            for m in spec.metrics
            if isinstance(m, BaseMetric) and m.model == model.name and m.agg.additive
        ]
        if not additive:
            continue
        times = tuple(sorted({t for m in additive if (t := m.time or model.time) is not None}))
        own = tuple(d for d in reachable_dimensions(spec, model.name) if not d.path)
        names = tuple(sorted(m.name for m in additive))
        tables.append(IndicatorTable(f"{model.name}_day", model.name, Grain.DAY, own, times, names))
        for declared in spec.indicators:
            if declared.model != model.name:
                continue
            dims = []
            for name in declared.dimensions:
                found = resolve_dimension(spec, model.name, name).found
                if found is not None:
                    dims.append(found)
            tables.append(
                IndicatorTable(
                    declared.table_name,
                    model.name,
                    declared.grain,
                    tuple(dims),
                    times,
                    names,
                    declared=True,
                )
            )
    return tuple(tables)
