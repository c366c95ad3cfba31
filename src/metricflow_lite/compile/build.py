"""The build: every layer's CREATE statements, in order, for one dialect."""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.calendar import (
    CalendarJoin,
    calendar_table_query,
    stored_joins,
    with_stored_ends,
)
from metricflow_lite.compile.dialects import render
from metricflow_lite.compile.layers import (
    SqlModel,
    inline_row_wise_ctes,
    materialized,
    parse_model_sql,
)
from metricflow_lite.compile.plan import (
    PlanNode,
    indicator_tables,
    plan_indicator_table,
    plan_report_views,
)
from metricflow_lite.compile.sqlgen import query_of, table_ref
from metricflow_lite.spec.model import BaseMetric, DerivedMetric, Metric, ProjectSpec, Report
from metricflow_lite.warehouse.base import Statement

SCHEMAS = names.LAYER_SCHEMAS
PACKED_QUERY = "_packed_query"  # an unpickled BuildObject's query until it is read
TOTAL_LABEL = ", 合计"  # in the comment of a _total view


@dataclass(frozen=True)
class BuildObject:
    """One view or table the build creates, as a tree (rendered per dialect later).

    Pickled (the compiled objects kept in target/), the query tree is packed and unpacked only
    when read: the report views' trees are most of a compiled build, and a DuckDB build that
    keeps them runs their statements as rendered without ever reading a tree."""

    schema: str
    name: str
    kind: str  # VIEW | TABLE
    query: exp.Query
    what: str  # for messages: which file or spec made it
    layer: str
    comment: str = ""
    column_comments: tuple[tuple[str, str], ...] = ()
    plan: PlanNode | None = None  # the plan behind a generated object (None: a model file)
    report: str | None = None  # the report a view belongs to
    # a source model's own query, when `query` adds the business_seconds() ends it carries
    model_query: exp.Query | None = None
    # (schema, name) of every table and view the query reads: walked once, when the object is
    # made (it is kept with the compiled objects), not at each build's every look at it
    tables_read: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        read = frozenset((t.db, t.name) for t in self.query.find_all(exp.Table) if t.db)
        object.__setattr__(self, "tables_read", read)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "query" in state:
            state[PACKED_QUERY] = pickle.dumps(state.pop("query"), pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str) -> Any:
        # reached only for an attribute the instance lacks: the query of an unpickled object
        packed = self.__dict__.get(PACKED_QUERY) if name == "query" else None
        if packed is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        query = pickle.loads(packed)
        object.__setattr__(self, "query", query)
        del self.__dict__[PACKED_QUERY]
        return query

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def reads(self, schema: str) -> tuple[str, ...]:
        """The names of the tables of a schema the query reads, sorted."""
        return tuple(sorted(name for db, name in self.tables_read if db == schema))


def metric_comment(metric: Metric) -> str:
    """Label and formula, so SQL clients show what a column means."""
    label = metric.label or metric.name
    if isinstance(metric, DerivedMetric):
        formula = metric.expr_text
    else:
        span = metric.span
        expr = metric.expr_text or (f"from {span.start} until {span.until}" if span else "*")
        formula = f"{metric.agg.value}({expr})"
        # a state's formula says which rows it reads: sum(waiting_calls) alone would not tell
        # the close of a day from its opening
        if metric.active is not None:
            formula += f" active from {metric.active.start} until {metric.active.until}"
        if metric.snapshot is not None:
            formula += f" at the {metric.snapshot.value} snapshot"
        if metric.filter_text:
            formula += f" where {metric.filter_text}"
    return f"{label}: {formula}"


def report_objects(
    spec: ProjectSpec, report: Report, week_start: str, complete_grace_seconds: int = 3600
) -> list[BuildObject]:
    """app.<report>_<grain> for each grain of a report, and for a report broken down by
    dimensions app.<report>_<grain>_total: the same metrics over all members, re-aggregated
    from the parts (a total rate is not the sum or mean of the rows' rates)."""
    metrics = {m.name: m for m in spec.metrics}
    comments = tuple((name, metric_comment(metrics[name])) for name in report.metrics)
    return [
        BuildObject(
            schema=names.APP,
            name=view.name,
            kind="VIEW",
            query=query_of(view.root),
            plan=view.root,
            report=report.name,
            what=f"report '{report.name}' ({report.loc.file})",
            layer="application",
            comment=f"{report.label or report.name} ({view.grain.value}{TOTAL_LABEL * view.total})",
            column_comments=comments,
        )
        for view in plan_report_views(spec, report, week_start, complete_grace_seconds)
    ]


def plan_build(
    spec: ProjectSpec,
    models: Iterable[SqlModel],
    week_start: str = "monday",
    complete_grace_seconds: int = 3600,
) -> list[BuildObject]:
    """Every object of a build, in dependency order: src, ind, app."""
    models = list(models)
    objects: list[BuildObject] = []
    metrics = {m.name: m for m in spec.metrics}

    def from_model(model: SqlModel) -> BuildObject:
        query = parse_model_sql(model)
        carried = stored_ends(spec, model.name) if model.layer == "source" else []
        # a source table that carries business_seconds() ends joins the calendars: a table
        kind = "TABLE" if carried or materialized(model, query) == "table" else "VIEW"
        if model.layer == "source" and kind == "TABLE":
            query = inline_row_wise_ctes(query)
        return BuildObject(
            schema=model.schema,
            name=model.name,
            kind=kind,
            query=with_stored_ends(query, carried),
            what=f"model {model.file}",
            layer=model.layer,
            model_query=query if carried else None,
        )

    # the calendars first: the source tables that carry business_seconds() ends read them
    for calendar in sorted(spec.calendars, key=lambda c: c.name):
        objects.append(
            BuildObject(
                schema=names.CALENDAR_SCHEMA,
                name=names.calendar_table(calendar.name),
                kind="TABLE",
                query=calendar_table_query(calendar),
                what=f"calendar '{calendar.name}' (metricflow_lite.yml)",
                layer="source",
                comment=(
                    f"business calendar {calendar.name}: open ranges per local date and the"
                    " open seconds before each date, for business_seconds()"
                ),
            )
        )
    objects.extend(from_model(m) for m in models if m.layer == "source")
    tables = indicator_tables(spec)
    day_tables = {t.model: t for t in tables if not t.declared and t.span is None}
    for table in tables:
        day_table = day_tables.get(table.model) if table.declared else None
        aggregate = plan_indicator_table(table, spec, day_table, week_start)
        partial_comments = tuple(
            (p.column, f"{p.part} behind {metric_comment(metrics[p.metric])}")
            for p in aggregate.partials
        )
        objects.append(
            BuildObject(
                schema=names.IND,
                name=table.name,
                kind="TABLE",
                query=query_of(aggregate),
                plan=aggregate,
                what=f"indicator {names.IND}.{table.name}",
                layer="indicator",
                comment=(
                    f"additive partials of {table.model} by {table.grain.value}"
                    f" x {len(table.dimensions)} dimensions"
                    + (
                        f", seconds of [{table.span.start}, {table.span.until})"
                        if table.span
                        else ""
                    )
                ),
                column_comments=partial_comments,
            )
        )
    objects.extend(from_model(m) for m in models if m.layer == "indicator")
    for report in sorted(spec.reports, key=lambda r: r.name):
        objects.extend(report_objects(spec, report, week_start, complete_grace_seconds))
    objects.extend(from_model(m) for m in models if m.layer == "application")
    return objects


def stored_ends(spec: ProjectSpec, model: str) -> list[CalendarJoin]:
    """The business_seconds() ends a source model's table carries: the plain-column ends in
    the expressions and filters of the base metrics over it."""
    trees = [
        tree
        for metric in spec.metrics
        if isinstance(metric, BaseMetric) and metric.model == model
        for tree in (metric.expr, metric.filter)
    ]
    return stored_joins(trees, spec.calendars)


def statements_for(
    objects: Iterable[BuildObject],
    dialect: str,
    schema_names: Mapping[str, str] | None = None,
    replace: bool = False,
) -> list[Statement]:
    """CREATE (and COMMENT) statements for a dialect; schema_names moves the layers' schemas
    (src -> src__next), for a warehouse that builds beside the live build and swaps; replace
    writes CREATE OR REPLACE (an incremental build rewriting one object of the last build)."""
    names = dict(schema_names or {})
    statements = []
    for obj in objects:
        query = rename_schemas(obj.query, names) if names else obj.query
        create = exp.Create(
            this=table_ref(names.get(obj.schema, obj.schema), obj.name),
            kind=obj.kind,
            expression=query,
            replace=replace,
        )
        sql = render(create, dialect, obj.what)
        statements.append(Statement(sql, obj.what, obj.layer))
        statements.extend(comment_statements(obj, dialect, names))
    return statements


# (schema, object, column or None) -> the comment an object or column has
Comments = Mapping[tuple[str, str, str | None], str]


def comment_statements(
    obj: BuildObject,
    dialect: str,
    schema_names: Mapping[str, str] | None = None,
    existing: Comments | None = None,
) -> list[Statement]:
    """COMMENT ON the object and its columns (the engines that keep comments), but those
    that already say so (`existing`: the comments of the objects a build kept)."""
    if dialect not in ("duckdb", "postgres") or not obj.comment:
        return []
    names = dict(schema_names or {})
    comments = [(None, obj.comment), *obj.column_comments]
    found = existing or {}
    return [
        Statement(comment_sql(obj, column, text, dialect, names), obj.what, obj.layer)
        for column, text in comments
        if found.get((obj.schema, obj.name, column)) != text
    ]


def rename_schemas(query: exp.Query, names: Mapping[str, str]) -> exp.Query:
    """The query with every table of the given schemas read from other schemas."""
    renamed = query.copy()
    for table in renamed.find_all(exp.Table):
        if table.db in names:
            table.set("db", exp.to_identifier(names[table.db], quoted=True))
    return renamed


def comment_sql(
    obj: BuildObject,
    column: str | None,
    text: str,
    dialect: str,
    schema_names: Mapping[str, str] | None = None,
) -> str:
    table = table_ref((schema_names or {}).get(obj.schema, obj.schema), obj.name)
    target: exp.Expr = table
    if column is not None:
        target = exp.Column(
            this=exp.to_identifier(column, quoted=True), table=table.this, db=table.args.get("db")
        )
    kind = "COLUMN" if column is not None else obj.kind
    return exp.Comment(this=target, kind=kind, expression=exp.Literal.string(text)).sql(
        dialect=dialect
    )
