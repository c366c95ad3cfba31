"""The build: every layer's CREATE statements, in order, for one dialect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.dialects import render
from metricflow_lite.compile.layers import SqlModel, parse_model_sql
from metricflow_lite.compile.plan import (
    PlanNode,
    indicator_tables,
    plan_indicator_table,
    plan_report_views,
)
from metricflow_lite.compile.sqlgen import query_of, table_ref
from metricflow_lite.spec.model import DerivedMetric, Metric, ProjectSpec, Report
from metricflow_lite.warehouse.base import Statement

SCHEMAS = names.LAYER_SCHEMAS
TOTAL_LABEL = ", 合计"  # in the comment of a _total view


@dataclass(frozen=True, slots=True)
class BuildObject:
    """One view or table the build creates, as a tree (rendered per dialect later)."""

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

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


def metric_comment(metric: Metric) -> str:
    """Label and formula, so SQL clients show what a column means."""
    label = metric.label or metric.name
    if isinstance(metric, DerivedMetric):
        formula = metric.expr_text
    else:
        expr = metric.expr_text or "*"
        formula = f"{metric.agg.value}({expr})" + (
            f" where {metric.filter_text}" if metric.filter_text else ""
        )
    return f"{label}: {formula}"


def report_objects(spec: ProjectSpec, report: Report, week_start: str) -> list[BuildObject]:
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
        for view in plan_report_views(spec, report, week_start)
    ]


def plan_build(
    spec: ProjectSpec, models: Iterable[SqlModel], week_start: str = "monday"
) -> list[BuildObject]:
    """Every object of a build, in dependency order: src, ind, app."""
    models = list(models)
    objects: list[BuildObject] = []
    metrics = {m.name: m for m in spec.metrics}

    def from_model(model: SqlModel) -> BuildObject:
        return BuildObject(
            schema=model.schema,
            name=model.name,
            kind="TABLE" if model.materialized == "table" else "VIEW",
            query=parse_model_sql(model),
            what=f"model {model.file}",
            layer=model.layer,
        )

    objects.extend(from_model(m) for m in models if m.layer == "source")
    tables = indicator_tables(spec)
    day_tables = {t.model: t for t in tables if not t.declared}
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
                ),
                column_comments=partial_comments,
            )
        )
    objects.extend(from_model(m) for m in models if m.layer == "indicator")
    for report in sorted(spec.reports, key=lambda r: r.name):
        objects.extend(report_objects(spec, report, week_start))
    objects.extend(from_model(m) for m in models if m.layer == "application")
    return objects


def statements_for(objects: Iterable[BuildObject], dialect: str) -> list[Statement]:
    """CREATE (and COMMENT) statements for a dialect."""
    statements = []
    for obj in objects:
        create = exp.Create(
            this=table_ref(obj.schema, obj.name), kind=obj.kind, expression=obj.query
        )
        sql = render(create, dialect, obj.what)
        statements.append(Statement(sql, obj.what, obj.layer))
        if dialect in ("duckdb", "postgres") and obj.comment:
            statements.append(
                Statement(comment_sql(obj, None, obj.comment, dialect), obj.what, obj.layer)
            )
            for column, text in obj.column_comments:
                statements.append(
                    Statement(comment_sql(obj, column, text, dialect), obj.what, obj.layer)
                )
    return statements


def comment_sql(obj: BuildObject, column: str | None, text: str, dialect: str) -> str:
    table = table_ref(obj.schema, obj.name)
    target: exp.Expr = table
    if column is not None:
        target = exp.Column(
            this=exp.to_identifier(column, quoted=True), table=table.this, db=table.args.get("db")
        )
    kind = "COLUMN" if column is not None else obj.kind
    return exp.Comment(this=target, kind=kind, expression=exp.Literal.string(text)).sql(
        dialect=dialect
    )
