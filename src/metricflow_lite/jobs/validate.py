"""Every problem in a project's YAML and SQL models, found without loading any data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from metricflow_lite.compile import names
from metricflow_lite.compile.layers import LAYERS, SqlModel, parse_model_sql, render_models
from metricflow_lite.compile.plan import QueryPlan, QueryRequest, plan_query, unknown_metric
from metricflow_lite.errors import Diagnostic, Location, MflError, Severity
from metricflow_lite.seeds.descriptor import SeedTable
from metricflow_lite.seeds.discovery import discover_seeds
from metricflow_lite.seeds.plan import file_columns, missing_column
from metricflow_lite.seeds.readers import peek_header
from metricflow_lite.spec.cases import MetricCase, parse_cases
from metricflow_lite.spec.columns import ModelColumns, Typed, check_columns
from metricflow_lite.spec.loader import relative_name
from metricflow_lite.spec.model import ProjectSpec
from metricflow_lite.spec.parse import Collector
from metricflow_lite.spec.project import PROJECT_FILE, Project
from metricflow_lite.spec.validate import collect_spec, model_name_hint
from metricflow_lite.warehouse.base import SeedFormat
from metricflow_lite.warehouse.probe import ProjectProbe, SeedShape, parquet_schema


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What `mfl validate` found, sorted by file and line, and which files it read."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    def fails(self, strict: bool = False) -> bool:
        """True when the project has errors (or, when strict, warnings)."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def shown(self, strict: bool = False, quiet: bool = False) -> tuple[Diagnostic, ...]:
        """What `mfl validate` prints: errors first, then warnings (none when `quiet`); the
        unused-metric warnings (W202) as one line unless `strict` asks for each."""
        errors = tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)
        if quiet:
            return errors
        warnings = [d for d in self.diagnostics if d.severity is Severity.WARNING]
        unused = [d for d in warnings if d.code == "W202"]
        if not strict and len(unused) > 1:
            names = [m.group(1) for d in unused if (m := _QUOTED.search(d.message))]
            line = Diagnostic(
                "W202",
                f"{len(unused)} metrics are used by no report and no derived metric: "
                + ", ".join(names),
                None,
                "'mfl validate --strict' lists each where it is defined",
                Severity.WARNING,
            )
            warnings = [d for d in warnings if d.code != "W202"] + [line]
        return errors + tuple(warnings)

    def summary(self) -> str:
        """`2 errors, 1 warning in 3 files`, or `no problems in 12 files`."""
        if not self.diagnostics:
            return f"no problems in {len(self.files)} files"
        with_problems = {d.loc.file for d in self.diagnostics if d.loc}
        errors = f"{self.errors} error{'s' if self.errors != 1 else ''}"
        warnings = f"{self.warnings} warning{'s' if self.warnings != 1 else ''}"
        count = len(with_problems) or 1
        return f"{errors}, {warnings} in {count} file{'s' if count != 1 else ''}"


def seed_shapes(project: Project) -> tuple[list[SeedShape], list[Diagnostic]]:
    """Each seed table's columns as `mfl seed` would create them: file headers (CSV) or schemas
    (parquet), typed by seeds/<table>.yml; no rows are read."""
    try:
        tables = discover_seeds(project)
    except MflError as err:
        return [], list(err.diagnostics)
    shapes: list[SeedShape] = []
    problems: list[Diagnostic] = []
    for table in tables:
        if not table.files:
            continue  # a descriptor without data: E110 is the loader's to report
        first = table.files[0]
        try:
            if first.format is SeedFormat.PARQUET:
                stored = parquet_schema(first.path, first.file)
                columns = file_columns(table, (), stored)
                columns = tuple((n, t or dict(stored)[n]) for n, t in columns)
            elif table.csv.header:
                columns = file_columns(table, peek_header(first, table), file=first.file)
                problems.extend(_missing_columns(table, columns))
                # as if the header were right: its models are checked, not failed for it
                have = {name for name, _ in columns}
                columns += tuple((n, t or "VARCHAR") for n, t in table.columns if n not in have)
            else:
                columns = table.columns
        except MflError as err:
            problems.extend(err.diagnostics)
            continue
        shapes.append(SeedShape(table.name, first.file, columns, table.type_locs))
    return shapes, problems


def _missing_columns(
    table: SeedTable, columns: tuple[tuple[str, str], ...]
) -> tuple[Diagnostic, ...]:
    """E104 as `mfl seed` gives it, for a column seeds/<table>.yml maps from a header none of
    the table's files has (`from: 通话时长（秒）`); the first file's header is read first."""
    have = [name for name, _ in columns]
    if missing_column(table, have) is None:
        return ()
    for other in table.files[1:]:
        if other.format is not SeedFormat.PARQUET:
            have += [name for name, _ in file_columns(table, peek_header(other, table))]
    absent = missing_column(table, have)
    return absent.diagnostics if absent is not None else ()


def validate_project(project: Project) -> ValidationResult:
    """Check metrics/, reports/ and models/ against empty raw tables shaped like seeds/."""
    spec, diagnostics = collect_spec(project)
    tests = Collector()
    cases = parse_cases(project.root, project.path("metrics"), tests)
    diagnostics.extend(tests.diagnostics)
    if not any(d.severity is Severity.ERROR for d in diagnostics):
        # a metric test naming a metric, dimension or model the spec lacks fails in CI's
        # `mfl validate`, not first in `mfl test` (a broken spec would only cascade)
        for case in cases:
            planned = plan_case(spec, case, project.week_start.value)
            if isinstance(planned, Diagnostic):
                diagnostics.append(planned)
    probe = ProjectProbe()
    try:
        shapes, problems = seed_shapes(project)
        diagnostics.extend(problems)
        if problems and not shapes:
            # without raw tables every model would fail: report the seeds problem only
            return _result(diagnostics, project)
        for shape in shapes:
            diagnostics.extend(probe.create_raw(shape))
        models, broken, problems = _create_models(project, probe, [s.table for s in shapes])
        diagnostics.extend(problems)
        columns = {
            m.name: probe.columns(m.schema, m.name)
            for m in models
            if m.layer == "source" and m.name not in broken
        }

        def types_of(model: str, expressions: Sequence[exp.Expr]) -> list[Typed]:
            return probe.types_of(names.SRC, model, expressions)

        found = ModelColumns(columns, frozenset(broken), types_of, project.timezone)
        diagnostics.extend(check_columns(spec, found))
    finally:
        probe.close()
    return _result(diagnostics, project)


# The planner's errors about the dimensions of `by` (unknown, ambiguous, not on the model).
BY_CODES = ("E212", "E213", "E214")


def plan_case(spec: ProjectSpec, case: MetricCase, week_start: str) -> QueryPlan | Diagnostic:
    """A metric test's query plan, or what keeps the test from running, at its place in the
    test: rows given for a model the spec lacks, an unknown metric, a dimension or grain its
    metrics cannot take."""
    models = [m.name for m in spec.models]
    for given in case.given:
        if given.model not in models:
            return Diagnostic(
                "E271",
                f"test '{case.name}' gives rows for unknown model '{given.model}'",
                given.loc,
                model_name_hint(spec, given.model),
            )
    known = {m.name for m in spec.metrics}
    locs = case.metric_locs or (case.loc,) * len(case.metrics)
    for name, loc in zip(case.metrics, locs, strict=True):
        if name not in known:
            unknown = unknown_metric(spec, name)
            message = f"test '{case.name}': {unknown.message}"
            return Diagnostic(unknown.code, message, loc, unknown.hint)
    request = QueryRequest(metrics=case.metrics, by=case.by, grain=case.grain, use_indicators=False)
    try:
        return plan_query(spec, request, week_start)
    except MflError as err:
        where = case.by_loc if err.code in BY_CODES and case.by_loc else case.loc
        message = f"test '{case.name}': {err.message}"
        return Diagnostic(err.code, message, err.loc or where, err.hint)


def explain_failure(project: Project, failures: Sequence[Diagnostic]) -> MflError | None:
    """The errors `mfl validate` finds, followed by `failures`, or None when it finds none:
    a build or query the warehouse refuses often has its cause in the project (a time or
    `active` column left as text), and that cause has a file and a line."""
    errors = [d for d in validate_project(project).diagnostics if d.severity is Severity.ERROR]
    if not errors:
        return None
    first = errors[0]
    return MflError(
        first.code, first.message, first.loc, first.hint, diagnostics=(*errors, *failures)
    )


def _result(diagnostics: list[Diagnostic], project: Project) -> ValidationResult:
    unique = sorted(set(diagnostics), key=Diagnostic.sort_key)
    return ValidationResult(tuple(unique), _checked_files(project))


def _create_models(
    project: Project, probe: ProjectProbe, raw_tables: list[str]
) -> tuple[list[SqlModel], set[str], list[Diagnostic]]:
    """Render and create every model as a view; a failing model is reported and skipped, and
    so are the models that ref() it."""
    problems: list[Diagnostic] = []
    broken: set[str] = set()

    def failed(err: MflError) -> None:
        for diag in err.diagnostics:
            problems.append(_with_line(project.root, diag))
            if diag.loc and diag.loc.file.endswith(".sql"):
                broken.add(Path(diag.loc.file).stem)

    from metricflow_lite.seeds.discovery import natural_keys

    try:
        keys = natural_keys(project)
    except MflError:
        keys = {}  # the seeds' own problems are reported with the seed shapes
    try:
        models = render_models(
            project.root,
            project.path("models"),
            raw_tables if raw_tables else None,
            dict(project.settings),
            on_error=failed,
            natural_keys=keys,
        )
    except MflError as err:
        failed(err)
        # E301, E302, E306, E307: no model was created, so none is reported missing (E215)
        models_dir = project.path("models")
        broken.update(p.stem for layer in LAYERS for p in (models_dir / layer).glob("*.sql"))
        return [], broken, problems
    for model in models:
        if any(target in broken for target in model.refs):
            broken.add(model.name)  # the cause is reported at the model it reads
            continue
        try:
            parse_model_sql(model)
        except MflError as err:
            failed(err)
            continue
        text = (project.root / model.file).read_text(encoding="utf-8")
        problem = probe.create_model(model.schema, model.name, model.sql, model.file, text)
        if problem is not None:
            problems.append(problem)
            broken.add(model.name)
    return models, broken, problems


_QUOTED = re.compile(r"'([^']+)'")


def _with_line(root: Path, diag: Diagnostic) -> Diagnostic:
    """A model-file diagnostic without a line gets the line of the name it quotes (ref('x'))."""
    loc = diag.loc
    if loc is None or loc.line > 0 or not loc.file.endswith(".sql"):
        return diag
    try:
        lines = (root / loc.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return diag
    for name in _QUOTED.findall(diag.message):
        for number, line in enumerate(lines, start=1):
            for quote in ("'", '"'):
                index = line.find(f"{quote}{name}{quote}")
                if index >= 0:
                    spot = Location(loc.file, number, index + 2, len(name))
                    return Diagnostic(diag.code, diag.message, spot, diag.hint, diag.severity)
    return diag


def _checked_files(project: Project) -> tuple[str, ...]:
    found = [PROJECT_FILE]
    for kind, patterns in (
        ("metrics", ("*.yml", "*.yaml")),
        ("reports", ("*.yml", "*.yaml")),
        ("models", ("*.sql",)),
        ("seeds", ("*.yml",)),
    ):
        folder = project.path(kind)
        if folder.is_dir():
            for pattern in patterns:
                found.extend(relative_name(p, project.root) for p in folder.rglob(pattern))
    return tuple(sorted(set(found)))


def source_columns(project: Project) -> dict[str, dict[str, str]]:
    """Column types of every source-layer model that builds over empty seeds (others left out)."""
    probe = ProjectProbe()
    try:
        shapes, _ = seed_shapes(project)
        for shape in shapes:
            probe.create_raw(shape)
        models, broken, _ = _create_models(project, probe, [s.table for s in shapes])
        return {
            m.name: probe.columns(m.schema, m.name)
            for m in models
            if m.layer == "source" and m.name not in broken
        }
    finally:
        probe.close()
