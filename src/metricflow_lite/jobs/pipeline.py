"""The jobs behind the commands: compile, build and query a project (files and warehouse I/O)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.build import SCHEMAS, BuildObject, plan_build, statements_for
from metricflow_lite.compile.layers import render_models
from metricflow_lite.compile.plan import (
    QueryPlan,
    QueryRequest,
    ReadIndicator,
    ReadSource,
    plan_query,
)
from metricflow_lite.compile.sqlgen import col, overlap_query, render_query, table_ref, to_sql
from metricflow_lite.errors import Diagnostic, MflError, Severity
from metricflow_lite.spec.expr import parse_where
from metricflow_lite.spec.kinds import grain_hint
from metricflow_lite.spec.model import Grain, ProjectSpec
from metricflow_lite.spec.project import Project
from metricflow_lite.spec.validate import load_spec
from metricflow_lite.warehouse.base import QueryResult, Statement, Warehouse, fetch_built

if TYPE_CHECKING:
    from metricflow_lite.jobs.reports import WrittenReport
    from metricflow_lite.seeds.load import LoadSummary
    from metricflow_lite.text import QueryLayout

Progress = Callable[[str], None]
DIALECT_OF_TYPE = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}


def dialect_for(project: Project, target_name: str | None) -> str:
    return DIALECT_OF_TYPE[project.target(target_name).type]


def raw_tables(warehouse: Warehouse) -> tuple[str, ...]:
    """Tables in the raw schema (what source() may name)."""
    return warehouse.tables(names.RAW)


def build_objects(
    project: Project, spec: ProjectSpec, known_raw: tuple[str, ...] | None
) -> list[BuildObject]:
    from metricflow_lite.seeds.discovery import natural_keys

    models = render_models(
        project.root,
        project.path("models"),
        known_raw,
        dict(project.settings),
        natural_keys=natural_keys(project),
    )
    grace = int(project.complete_grace.total_seconds())
    return plan_build(spec, models, project.week_start.value, grace)


def compiled_objects(
    project: Project, known_raw: tuple[str, ...], dialect: str, spec: ProjectSpec | None = None
) -> tuple[ProjectSpec, list[BuildObject], dict[str, list[Statement]]]:
    """The checked spec, the build's objects and each one's statements, kept in target/ for
    the next build (`spec`: the caller's, already checked).

    Compiling them is most of the fixed cost of a build (0.9 s of the 3.7 s that the morning's
    incremental build takes at 1M legs). They depend on the spec files, the models, the seed
    .yml files (natural keys), the raw tables that exist, mfl's code and its libraries; not on
    the rows of the data files, so a new day's export keeps them (fastpath.key). A spec is
    kept only once it passed its checks, so a kept one needs none."""
    from metricflow_lite.jobs import fastpath

    words = ["build", dialect, str(project.root), *known_raw]
    cache_key = fastpath.key(project.root, words, data_files=False)
    found = fastpath.load_pickled(project.root, "build", cache_key)
    if found is not None:
        kept_spec, objects, rendered = found
        return (kept_spec if spec is None else spec), objects, rendered
    spec = load_spec(project) if spec is None else spec
    objects = build_objects(project, spec, known_raw)
    rendered = {o.qualified_name: statements_for([o], dialect) for o in objects}
    fastpath.store_pickled(project.root, "build", cache_key, (spec, objects, rendered))
    return spec, objects, rendered


@dataclass(frozen=True, slots=True)
class BuildResult:
    objects: tuple[BuildObject, ...]
    # (layer, seconds) in build order: drop, source, indicator, application, commit; then total
    seconds_per_layer: tuple[tuple[str, float], ...]
    warnings: tuple[Diagnostic, ...] = ()  # what the built data says about the spec (W290)
    # what was rewritten: "full build" or "rebuilt 1 of 92 days in 3 indicator tables"
    summary: str = "full build"


def build_project(
    project: Project,
    warehouse: Warehouse,
    progress: Progress | None = None,
    on_statement: Callable[[Statement], None] | None = None,
    full_refresh: bool = False,
) -> BuildResult:
    """Create src, ind and app, all or nothing; a failure keeps the previous build, which
    readers keep reading until the new one replaces it."""
    try:
        return _build_layers(project, warehouse, progress, on_statement, full_refresh)
    except MflError as err:
        if err.code != "E300":
            raise
        from metricflow_lite.jobs.validate import explain_failure

        # the statement the warehouse refused, after its cause in the YAML when validate finds one
        explained = explain_failure(project, err.diagnostics)
        if explained is None:
            raise
        raise explained from None


def _build_layers(
    project: Project,
    warehouse: Warehouse,
    progress: Progress | None,
    on_statement: Callable[[Statement], None] | None,
    full_refresh: bool,
) -> BuildResult:
    known = raw_tables(warehouse)
    if not known:
        load_spec(project)  # a spec's errors come before the empty warehouse's
        raise MflError(
            "E310", "the raw schema is empty", None, "run 'mfl seed' first (or 'mfl run')"
        )
    spec, objects, rendered = compiled_objects(project, known, warehouse.dialect)
    from metricflow_lite.warehouse.duckdb import DuckDBWarehouse
    from metricflow_lite.warehouse.postgres import PostgresWarehouse
    from metricflow_lite.warehouse.spark import STAGING_SUFFIX, SparkWarehouse

    in_copy = isinstance(warehouse, DuckDBWarehouse) and warehouse.path != ":memory:"
    staged = isinstance(warehouse, PostgresWarehouse | SparkWarehouse)
    if in_copy or staged:
        # a manifest in the warehouse: only the days that changed are rewritten
        from metricflow_lite.compile.incremental import MANIFEST_SCHEMA, histories
        from metricflow_lite.compile.plan import indicator_tables
        from metricflow_lite.jobs import incremental
        from metricflow_lite.seeds.discovery import natural_keys

        started = time.perf_counter()
        if progress:
            progress(f"building {len(objects)} views and tables")
        # Spark's apply_build stages by itself (its suffix is ""); here the statements do
        suffix = STAGING_SUFFIX if isinstance(warehouse, SparkWarehouse) else None
        layout = incremental.Layout(warehouse.dialect, suffix or warehouse.build_schema_suffix)

        def work(
            session: incremental.BuildSession,
        ) -> tuple[incremental.BuildSummary, tuple[Diagnostic, ...] | None]:
            summary = incremental.build(
                session,
                objects,
                indicator_tables(spec),
                histories(spec),
                project.week_start.value,
                full_refresh,
                on_statement,
                layout,
                natural_keys(project),
                rendered,
                definitions_checksum(project),
            )
            # a DuckDB build's copy has the tables under their own names: read there, the
            # file is not opened again after the build only for this
            return summary, history_warnings(
                spec, session.fetch, layout.dialect
            ) if in_copy else None

        if isinstance(warehouse, PostgresWarehouse | SparkWarehouse):
            (summary, warnings), layers = warehouse.build_staged(work, (*SCHEMAS, MANIFEST_SCHEMA))
        else:
            assert isinstance(warehouse, DuckDBWarehouse)
            (summary, warnings), layers = warehouse.build_in_copy(work)
        elapsed = time.perf_counter() - started
        return BuildResult(
            tuple(objects),
            (*layers, ("total", elapsed)),
            warnings
            if warnings is not None
            else history_warnings(spec, warehouse_rows(warehouse), warehouse.dialect),
            summary.describe(),
        )
    suffix = warehouse.build_schema_suffix
    statements = statements_for(
        objects, warehouse.dialect, {s: s + suffix for s in SCHEMAS} if suffix else None
    )
    started = time.perf_counter()
    if progress:
        progress(f"building {len(objects)} views and tables")
    layers = warehouse.apply_build(statements, SCHEMAS, on_statement)
    elapsed = time.perf_counter() - started
    warnings = history_warnings(spec, warehouse_rows(warehouse), warehouse.dialect)
    return BuildResult(tuple(objects), (*layers, ("total", elapsed)), warnings)


def definitions_checksum(project: Project) -> str | None:
    """A checksum of what a build compiles its objects from: the spec files, the models, the
    seed .yml files and mfl's own code (not the data files)."""
    from metricflow_lite.jobs import fastpath

    return fastpath.key(project.root, ["definitions"], data_files=False)


def built_definitions(warehouse: Warehouse) -> str | None:
    """The definitions checksum of the last build (None: no manifest, or one without it)."""
    from metricflow_lite.compile.incremental import MANIFEST_SCHEMA

    return fetch_optional(warehouse, definitions_query(MANIFEST_SCHEMA, warehouse.dialect))


def definitions_query(manifest_schema: str, dialect: str) -> str:
    return (
        exp.select(col("sql_hash"))
        .from_(table_ref(manifest_schema, "objects"))
        .where(exp.EQ(this=col("name"), expression=exp.Literal.string(names.DEFINITIONS_ROW)))
        .sql(dialect)
    )


def fetch_optional(warehouse: Warehouse, sql: str) -> str | None:
    try:
        rows = warehouse.fetch(sql).rows
    except Exception:  # noqa: BLE001 - no manifest: each engine raises its own error type
        return None
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def changed_since_build(
    project: Project, spec: ProjectSpec, warehouse: Warehouse, built: str | None
) -> frozenset[str]:
    """The objects (src.x, ind.y, app.z) whose definition differs from the last build's, that
    it did not build, or that read such an object: a metric edited, added or removed in the
    YAML without `mfl build`.
    Their built tables hold the old definition (or nothing); none when the files are those of
    the build (`built`: its definitions checksum), or when the warehouse has none to tell."""
    if built is None or definitions_checksum(project) == built:
        return frozenset()
    from metricflow_lite.compile.incremental import redefined_objects
    from metricflow_lite.jobs.incremental import built_hashes, hashes_query, object_hashes

    last = built_hashes(warehouse.fetch(hashes_query(warehouse.dialect)).rows)
    _, objects, rendered = compiled_objects(project, raw_tables(warehouse), warehouse.dialect, spec)
    return frozenset(redefined_objects(objects, object_hashes(rendered), last))


Rows = Callable[[str], Sequence[Sequence[Any]]]  # a query's rows, from a warehouse or a build


def warehouse_rows(warehouse: Warehouse) -> Rows:
    return lambda sql: warehouse.fetch(sql).rows


def history_warnings(spec: ProjectSpec, rows_of: Rows, dialect: str) -> tuple[Diagnostic, ...]:
    """W290 for each `valid` model whose versions of one key overlap, so that a row's time
    falls in two versions and a join into it counts the row twice."""
    found = []
    for model in spec.models:
        if model.valid is None or model.primary_key is None:
            continue
        rows = rows_of(to_sql(overlap_query(model), dialect))
        if not rows:
            continue
        key, start, until, next_from, overlaps = rows[0]
        ends = f"until {until}" if until is not None else "with no end"
        more = f" ({overlaps} overlapping pairs in all)" if overlaps > 1 else ""
        found.append(
            Diagnostic(
                "W290",
                f"versions of {model.primary_key} '{key}' in model '{model.name}' overlap: one"
                f" from {start} {ends}, the next from {next_from}{more}",
                model.spots.at("valid", model.loc),
                f"a row in both versions is counted in each: end each version of '{key}'"
                f" where the next one starts ({model.valid.until} = the next"
                f" {model.valid.start})",
                Severity.WARNING,
            )
        )
    return tuple(found)


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
            grain_hint(text) or f"grains: {', '.join(g.value for g in Grain)}",
        ) from None


# Dates mfl accepts on the command line: periods, comparisons a year back and windows must fit
# in the calendar of every engine (and Python's, which ends at 9999-12-31).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)


def parse_date(text: str | None, option: str) -> dt.date | None:
    """A date from command-line text, between FIRST_DATE and LAST_DATE (E254 otherwise)."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise MflError(
            "E254", f"{option} '{text}' is not a date", None, "write dates as YYYY-MM-DD"
        ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise MflError(
            "E254",
            f"{option} {text} is outside the dates mfl handles ({FIRST_DATE} to {LAST_DATE})",
            None,
            f"leave {option} out to use the data's first or last day",
        )
    return day


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


# ---------------------------------------------------------------------------------------------
# The commands, end to end: each opens the target's warehouse, does its work, closes it.


def build(
    project: Project,
    target: str | None,
    progress: Progress | None = None,
    full_refresh: bool = False,
) -> BuildResult:
    """`mfl build`: src, ind and app, all or nothing; only the days that changed."""
    from metricflow_lite.warehouse import connect

    # A DuckDB build only reads the warehouse file: it writes a copy and swaps it in. Before the
    # first seed there is no file: opened for writing it is created, and the build says E310
    # (or what is wrong with the spec) as it always did.
    try:
        warehouse = connect(project, target, read_only=True)
    except MflError as err:
        if err.code != "E012":
            raise
        warehouse = connect(project, target)
    with warehouse:
        return build_project(project, warehouse, progress, full_refresh=full_refresh)


@dataclass(frozen=True, slots=True)
class RunSteps:
    """What `mfl run` tells as it goes: a step starts, the seed and the build are done."""

    step: Callable[[str, str], None]
    seeded: Callable[[LoadSummary], None]
    built: Callable[[BuildResult], None]
    progress: Progress


def run(
    project: Project, target: str | None, steps: RunSteps, full_refresh: bool = False
) -> list[WrittenReport]:
    """`mfl run`: seed, build, then every report into target/reports/."""
    from metricflow_lite.jobs.reports import write_all_reports
    from metricflow_lite.seeds.load import load_seeds
    from metricflow_lite.warehouse import connect

    spec = load_spec(project)  # a broken YAML stops the job before anything is loaded
    with connect(project, target) as warehouse:
        steps.step("seed", "loading seeds/ into raw")
        steps.seeded(load_seeds(project, warehouse, full_refresh=full_refresh))
        steps.step("build", "building src, ind and app")
        steps.built(build_project(project, warehouse, steps.progress))
        count = len(spec.reports)
        steps.step("reports", f"rendering {count} report{'s' if count != 1 else ''}")
        return write_all_reports(spec, project, warehouse, steps.progress)


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    """What `mfl query` found: the plan, its SQL, and the rows rendered (None: --sql only)."""

    plan: QueryPlan
    sql: str
    text: str | None
    incomplete: tuple[str, ...] = ()  # the periods the data does not cover whole (DESIGN-2 §2)
    notes: tuple[str, ...] = ()  # what the answer reads that the last build did not define so


def query(
    project: Project,
    target: str | None,
    options: QueryOptions,
    fmt: str = "table",
    sql_only: bool = False,
    completeness: bool = False,
    cache_key: str | None = None,
) -> QueryAnswer:
    """`mfl query`: plan the request, then (unless only the SQL is asked for) fetch and render.

    The table marks the periods the data does not cover whole and shows dimension values by
    their labels; csv and json carry `is_complete` only when `completeness` asks for it. With a
    cache_key, what a repeated query needs is kept for the CLI's fast path."""
    from metricflow_lite.jobs.reports import dimension_value_labels, row_completeness
    from metricflow_lite.report.query_table import query_layout
    from metricflow_lite.text import incomplete_periods, no_rows_note, render_query_rows
    from metricflow_lite.warehouse import connect

    spec = load_spec(project)
    request = options.request(spec)
    # a mistake in the request is reported before the warehouse is opened (or found missing)
    plan, sql = query_sql(project, request, dialect_for(project, target), spec)
    labels = dimension_value_labels(spec, plan.request.by)
    layout = query_layout(spec, plan.request, labels, project.locale.value)
    if sql_only:
        # the SQL of the YAML as it is, whatever was built: kept for a repeated --sql only
        if cache_key is not None:
            remember_query(project, target, cache_key, spec, plan, sql, layout, None, (), None)
        return QueryAnswer(plan, sql, None)
    with connect(project, target, read_only=True) as warehouse:
        built = built_definitions(warehouse)
        changed = changed_since_build(project, spec, warehouse, built)
        notes: tuple[str, ...] = ()
        if changed:
            plan, sql, notes = _plan_around(
                project, spec, request, plan, warehouse.dialect, changed
            )
        if cache_key is not None and built is not None:
            remember_query(
                project, target, cache_key, spec, plan, sql, layout, built, notes, options.where
            )
        result = _fetch_explained(project, warehouse, sql)
        if empty := no_rows_note(options.where, result.rows):
            notes = (*notes, empty)
        found = None
        if fmt == "table" or completeness:
            found = row_completeness(
                spec, project, warehouse, plan.request, result.columns, result.rows
            )
    complete = found.flags if found is not None else None
    incomplete = incomplete_periods(
        result.columns, result.rows, layout.period, complete, found.range_label if found else None
    )
    text = render_query_rows(result.columns, result.rows, fmt, layout, complete)
    return QueryAnswer(plan, sql, text, incomplete, notes)


def _plan_around(
    project: Project,
    spec: ProjectSpec,
    request: QueryRequest,
    planned: QueryPlan,
    dialect: str,
    changed: frozenset[str],
) -> tuple[QueryPlan, str, tuple[str, ...]]:
    """The plan of a request (`planned`: its plan for the YAML alone) that reads no indicator
    table the YAML has changed since the last build (the rows answer with the definition as it
    is now), and what to tell about it."""
    unbuilt = frozenset(n.split(".", 1)[1] for n in changed if n.startswith(f"{names.IND}."))
    avoided = sorted(
        f"{names.IND}.{r.table.name}"
        for r in planned.reads
        if isinstance(r, ReadIndicator) and r.table.name in unbuilt
    )
    plan, sql = query_sql(project, replace(request, unbuilt=unbuilt), dialect, spec)
    read = {f"{names.SRC}.{r.model}" for r in plan.reads if isinstance(r, ReadSource)}
    notes = []
    if avoided:
        notes.append(
            f"note: {', '.join(avoided)} changed since the last build: answered from the rows,"
            " with the metrics as the YAML defines them now; run 'mfl build' to bring the"
            " indicator tables and reports up to date"
        )
    if stale := sorted(read & changed):
        notes.append(
            f"note: the model of {', '.join(stale)} changed since the last build: its rows are"
            " the last build's; run 'mfl build'"
        )
    return plan, sql, tuple(notes)


def _fetch_explained(project: Project, warehouse: Warehouse, sql: str) -> QueryResult:
    """fetch_built, where an error of the warehouse's own is explained by what `mfl validate`
    finds (a text time column is the user's E283 or E292, never an internal error)."""
    try:
        return fetch_built(warehouse, sql)
    except MflError:
        raise
    except Exception as err:  # noqa: BLE001 - a warehouse's own error type differs per engine
        from metricflow_lite.jobs.validate import explain_failure

        message = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        failure = Diagnostic(
            "E707",
            f"the query fails on {warehouse.dialect}: {message}",
            None,
            "fix the errors above ('mfl validate' lists them), then run 'mfl build'",
        )
        explained = explain_failure(project, (failure,))
        if explained is None:
            raise
        raise explained from None


def remember_query(
    project: Project,
    target: str | None,
    cache_key: str,
    spec: ProjectSpec,
    plan: QueryPlan,
    sql: str,
    layout: QueryLayout,
    built: str | None,
    notes: tuple[str, ...],
    where: str | None,
) -> None:
    """What a repeated query needs without the spec, for jobs/fastpath.py (DuckDB targets run
    it): its SQL and note, the table's layout, and the SQL of the data bounds that say which
    periods are complete (the bounds change with the data: they are read on every run); and
    the build it was planned against (`built`: its definitions checksum; None for --sql,
    which reads no build), which it answers for only, with what it says about that build."""
    from metricflow_lite.compile.incremental import MANIFEST_SCHEMA
    from metricflow_lite.jobs import fastpath
    from metricflow_lite.jobs.reports import bounds_queries

    dialect = dialect_for(project, target)
    entry: dict[str, object] = {
        "sql": sql,
        "built": built,
        "built_sql": definitions_query(MANIFEST_SCHEMA, dialect),
        "built_notes": list(notes),
        "where": where,  # as given: a filter that finds no rows is noted
        "note": plan.note,
        "path": None,
        "config": {},
        "layout": layout.to_data(),
        "grain": plan.request.grain.value if plan.request.grain else None,
        "span": [
            None if day is None else day.isoformat()
            for day in (plan.request.start, plan.request.end)
        ],
        "grace_microseconds": project.complete_grace // dt.timedelta(microseconds=1),
        "bounds": [
            [model, to_sql(query, dialect)]
            for model, query in bounds_queries(spec, plan.request.metrics)
        ],
    }
    target_config = project.target(target)
    if target_config.type == "duckdb":
        from metricflow_lite.warehouse.duckdb import warehouse_file

        path, config = warehouse_file(project, target_config)
        if path != ":memory:":
            entry["path"], entry["config"] = path, config
    fastpath.store(project.root, "query", cache_key, entry)


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """A query as the command line gives it: text, parsed against the spec by `request`."""

    metrics: str | None = None
    by: str | None = None
    grain: str | None = None
    start: str | None = None
    end: str | None = None
    where: str | None = None
    use_indicators: bool = True

    def request(self, spec: ProjectSpec) -> QueryRequest:
        request = make_request(
            spec, self.metrics or "", self.by, self.grain, self.start, self.end, self.where
        )
        return replace(request, use_indicators=self.use_indicators)


def explain(project: Project, options: QueryOptions | None, select: str | None) -> str:
    """`mfl compile --plan`: the plan tree of a query, or of a report's views / a build object.

    Each tree shows the result at the top and what it reads below, with why each indicator
    table was chosen (or why rows are read)."""
    from metricflow_lite.compile.plan import plan_tree

    spec = load_spec(project)
    if options is not None and options.metrics:
        plan = plan_query(spec, options.request(spec), project.week_start.value)
        head = f"-- note: {plan.note}\n" if plan.note else ""
        return head + plan_tree(plan.root)
    objects = [o for o in build_objects(project, spec, None) if o.plan is not None]
    if select:
        report = spec.report(select)
        chosen = [
            o
            for o in objects
            if select in (o.name, o.qualified_name) or (report and o.report == report.name)
        ]
        if not chosen:
            from metricflow_lite.errors import did_you_mean

            known = [o.qualified_name for o in objects] + [r.name for r in spec.reports]
            raise MflError(
                "E311",
                f"nothing named '{select}' to plan",
                None,
                did_you_mean(select, known)
                or f"reports: {', '.join(r.name for r in spec.reports)}",
            )
        objects = chosen
    trees = []
    for obj in objects:
        assert obj.plan is not None
        trees.append(f"{obj.qualified_name}:\n{plan_tree(obj.plan, '  ')}")
    return "\n\n".join(trees)


def catalog(project: Project, kind: str, fmt: str = "table") -> str:
    """`mfl list`: metrics, models or reports as a table; metrics as the docs page (md)."""
    from metricflow_lite.report.catalog import catalog_rows, metrics_markdown
    from metricflow_lite.report.query_table import render_table

    spec = load_spec(project)
    if fmt == "md":
        return metrics_markdown(spec)
    headers, rows = catalog_rows(spec, kind)
    return render_table(headers, rows)
