"""The jobs behind the commands: compile, build and query a project (files and warehouse I/O)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from metricflow_lite.compile.build import SCHEMAS, BuildObject, plan_build, statements_for
from metricflow_lite.compile.layers import render_models
from metricflow_lite.compile.plan import QueryPlan, QueryRequest, plan_query
from metricflow_lite.compile.sqlgen import render_query, to_sql
from metricflow_lite.errors import MflError
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import Project
from metricflow_lite.spec.validate import load_spec
from metricflow_lite.warehouse.base import QueryResult, Warehouse, fetch_built

Progress = Callable[[str], None]
DIALECT_OF_TYPE = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}


def dialect_for(project: Project, target_name: str | None) -> str:
    return DIALECT_OF_TYPE[project.target(target_name).type]


def raw_tables(warehouse: Warehouse) -> tuple[str, ...]:
    """Tables in the raw schema (what source() may name)."""
    return warehouse.tables("raw")


def build_objects(
    project: Project, spec: ProjectSpec, known_raw: tuple[str, ...] | None
) -> list[BuildObject]:
    models = render_models(project.root, project.path("models"), known_raw, dict(project.settings))
    return plan_build(spec, models, project.week_start.value)


@dataclass(frozen=True, slots=True)
class BuildResult:
    objects: tuple[BuildObject, ...]
    # (layer, seconds) in build order: drop, source, indicator, application, commit; then total
    seconds_per_layer: tuple[tuple[str, float], ...]


def build_project(
    project: Project, warehouse: Warehouse, progress: Progress | None = None
) -> BuildResult:
    """Create src, ind and app in one transaction; a failure keeps the previous build."""
    spec = load_spec(project)
    known = raw_tables(warehouse)
    if not known:
        raise MflError(
            "E310", "the raw schema is empty", None, "run 'mfl seed' first (or 'mfl run')"
        )
    objects = build_objects(project, spec, known)
    statements = statements_for(objects, warehouse.dialect)
    started = time.perf_counter()
    if progress:
        progress(f"building {len(objects)} views and tables")
    layers = warehouse.apply_build(statements, SCHEMAS)
    elapsed = time.perf_counter() - started
    return BuildResult(tuple(objects), (*layers, ("total", elapsed)))


def compile_project(
    project: Project, target_name: str | None = None, select: str | None = None
) -> list[tuple[Path, str]]:
    """Write every generated statement to target/compiled/<target>/<layer>/<name>.sql."""
    spec = load_spec(project)
    target = project.target(target_name)
    dialect = DIALECT_OF_TYPE[target.type]
    objects = build_objects(project, spec, None)
    if select:
        chosen = [o for o in objects if select in (o.name, o.qualified_name)]
        if not chosen:
            from metricflow_lite.errors import did_you_mean

            raise MflError(
                "E311",
                f"nothing named '{select}' to compile",
                None,
                did_you_mean(
                    select, [o.qualified_name for o in objects] + [o.name for o in objects]
                )
                or f"objects: {', '.join(o.qualified_name for o in objects)}",
            )
        objects = chosen
    out_dir = project.path("target") / "compiled" / target.name
    written = []
    for obj in objects:
        [statement] = statements_for([replace(obj, comment="", column_comments=())], dialect)
        path = out_dir / obj.layer / f"{obj.schema}.{obj.name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"-- {obj.qualified_name}: {obj.what}\n{statement.sql};\n"
        path.write_text(text, encoding="utf-8")
        written.append((path, text))
    return written


def make_request(
    spec: ProjectSpec,
    metrics: str,
    by: str | None = None,
    grain: str | None = None,
    start: str | None = None,
    end: str | None = None,
    where: str | None = None,
) -> QueryRequest:
    """A query request from command-line text."""
    from metricflow_lite.errors import Location

    names = tuple(m.strip() for m in metrics.split(",") if m.strip())
    dims = tuple(d.strip() for d in (by or "").split(",") if d.strip())
    grain_value = parse_grain(grain) if grain else None
    where_tree = parse_where(where, Location("--where", 1, 1), "--where") if where else None
    return QueryRequest(
        metrics=names,
        by=dims,
        grain=grain_value,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
        where=where_tree,
    )


def parse_grain(text: str) -> Grain:
    """A grain from command-line text."""
    try:
        return Grain(text.lower())
    except ValueError:
        raise MflError(
            "E253",
            f"unknown grain '{text}'",
            None,
            f"grains: {', '.join(g.value for g in Grain)}",
        ) from None


def parse_date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise MflError(
            "E254", f"{option} '{text}' is not a date", None, "write dates as YYYY-MM-DD"
        ) from None


def query_sql(
    project: Project,
    request: QueryRequest,
    dialect: str = "duckdb",
    spec: ProjectSpec | None = None,
) -> tuple[QueryPlan, str]:
    """The plan and SQL of a query; pass the spec when it is already loaded."""
    # reading and validating the YAML costs more than planning: never do it twice per query
    spec = spec if spec is not None else load_spec(project)
    plan = plan_query(spec, request, project.week_start.value)
    return plan, to_sql(render_query(plan), dialect)


def run_query(
    project: Project,
    warehouse: Warehouse,
    request: QueryRequest,
    spec: ProjectSpec | None = None,
) -> QueryResult:
    """Answer a metric query from the built warehouse (spec: the loaded spec, if at hand)."""
    _, sql = query_sql(project, request, warehouse.dialect, spec)
    return fetch_built(warehouse, sql)
