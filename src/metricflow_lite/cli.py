"""The `mfl` command line: parse options, call the core, print. No logic of its own."""

from __future__ import annotations

import os
import sys
import typing as t

import click

if t.TYPE_CHECKING:
    from pathlib import Path

    from metricflow_lite.compile.plan import QueryRequest
    from metricflow_lite.errors import MflError
    from metricflow_lite.jobs.pipeline import BuildResult
    from metricflow_lite.seeds.load import LoadSummary
    from metricflow_lite.spec.project import Project

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class MflGroup(click.Group):
    def main(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Run one command; exit 0 ok, 1 the user's mistake, 2 a bug in mfl."""
        from metricflow_lite.errors import MflError

        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})  # --help: 0
        except MflError as err:
            argv = kwargs.get("args", args[0] if args else None)
            click.echo(render_error(err, project_root(argv)), err=True)
            code = 1
        except click.ClickException as err:
            err.show()
            code = 1
        except click.Abort:
            code = 1
        except Exception as err:
            if os.environ.get("MFL_DEBUG"):
                raise
            click.echo(f"internal error: {err!r}\n  a bug in mfl; rerun with MFL_DEBUG=1", err=True)
            code = 2
        sys.exit(code if isinstance(code, int) else 0)


def render_error(err: MflError, root: Path | None = None) -> str:
    """Every diagnostic of an error, rendered like a compiler would, with its source line."""
    from metricflow_lite.report.diagnostics import render_text

    return render_text(err.diagnostics, root=root, color=sys.stderr.isatty())


def project_root(argv: t.Sequence[str] | None) -> Path | None:
    """The project folder a command line points at (error locations are relative to it)."""
    from metricflow_lite.spec.project import find_project_dir

    words = list(sys.argv[1:] if argv is None else argv)
    chosen: str | None = None
    for i, word in enumerate(words):
        if word == "--project-dir" and i + 1 < len(words):
            chosen = words[i + 1]
        elif word.startswith("--project-dir="):
            chosen = word.split("=", 1)[1]
    try:
        return find_project_dir(chosen)
    except OSError:
        return None


def project_options(func: F) -> F:
    """--project-dir and --target, spelled alike on every command."""
    func = click.option(
        "--target",
        "target",
        default=None,
        envvar="MFL_TARGET",
        metavar="NAME",
        help="Target from metricflow_lite.yml (default: the project's default target).",
    )(func)
    func = click.option(
        "--project-dir",
        "project_dir",
        default=None,
        envvar="MFL_PROJECT_DIR",
        type=click.Path(file_okay=False),
        help="Project folder (default: $MFL_PROJECT_DIR or the current folder).",
    )(func)
    return func


def open_project(project_dir: str | None) -> Project:
    from metricflow_lite.spec.project import load_project

    return load_project(project_dir)


@click.group(cls=MflGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="metricflow-lite", prog_name="mfl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option(
    "--project-dir",
    "project_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Project folder for the command (the command's own option wins).",
)
@click.option("--target", default=None, metavar="NAME", help="Target for the command.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, project_dir: str | None, target: str | None) -> None:
    """metricflow-lite: contact-center metrics as code, over DuckDB.

    \b
    mfl run                      seed + build + render every report
    mfl query --metrics abandonment_rate --by queue --grain week
    mfl validate                 check every YAML file, report every problem
    """
    if debug:
        os.environ["MFL_DEBUG"] = "1"
    # `mfl --target pg run` and `mfl run --target pg` mean the same.
    given = {k: v for k, v in (("project_dir", project_dir), ("target", target)) if v}
    if given:
        ctx.default_map = {name: dict(given) for name in ctx.command.commands}  # type: ignore[attr-defined]


def main() -> None:
    cli.main(prog_name="mfl")


def _echo_progress(message: str) -> None:
    click.echo(message, err=True)


@cli.command()
@project_options
def build(project_dir: str | None, target: str | None) -> None:
    """Create the src, ind and app layers, all or nothing.

    A failing model leaves the previous build in place. Example: mfl build
    """
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.warehouse import connect

    project = open_project(project_dir)
    warehouse = connect(project, target)
    try:
        result = build_project(project, warehouse, _echo_progress)
    finally:
        warehouse.close()
    echo_build_summary(result)


@cli.command(name="compile")
@project_options
@click.option("--select", default=None, metavar="NAME", help="Only this view or table.")
@click.option("--quiet", is_flag=True, help="Write the files without printing the SQL.")
def compile_command(
    project_dir: str | None, target: str | None, select: str | None, quiet: bool
) -> None:
    """Write the generated SQL to target/compiled/<target>/ and print it.

    Example: mfl compile --select app.queue_daily_week
    """
    from metricflow_lite.jobs.pipeline import compile_project

    project = open_project(project_dir)
    written = compile_project(project, target, select)
    if not quiet:
        for _, text in written:
            click.echo(text)
    click.echo(f"wrote {len(written)} files under {project.path('target') / 'compiled'}", err=True)


@cli.command()
@project_options
@click.option("--metrics", required=True, help="Comma-separated metric names.")
@click.option(
    "--by", default=None, help="Comma-separated dimensions (team, queue, transfer_agent.team ...)."
)
@click.option("--grain", default=None, help="30min, hour, day, week, month, quarter or year.")
@click.option(
    "--start",
    default=None,
    metavar="YYYY-MM-DD",
    help="First day (inclusive); by week or coarser, the first day of its period.",
)
@click.option(
    "--end",
    default=None,
    metavar="YYYY-MM-DD",
    help="Last day (inclusive); by week or coarser, the last day of its period.",
)
@click.option(
    "--where", default=None, metavar="EXPR", help="Filter over dimensions, e.g. \"queue = 'VIP'\"."
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--sql", "show_sql", is_flag=True, help="Print the SQL instead of running it.")
@click.option(
    "--no-indicators",
    is_flag=True,
    help="Read source rows even where an indicator table covers the query.",
)
@click.option(
    "--completeness",
    is_flag=True,
    help="csv/json: add an is_complete column (the table always marks incomplete periods *).",
)
def query(
    project_dir: str | None,
    target: str | None,
    metrics: str,
    by: str | None,
    grain: str | None,
    start: str | None,
    end: str | None,
    where: str | None,
    fmt: str,
    show_sql: bool,
    no_indicators: bool,
    completeness: bool,
) -> None:
    """Ask for metrics by dimensions and grain.

    Example: mfl query --metrics abandonment_rate,aht_seconds --by queue --grain week --format csv
    """
    from dataclasses import replace

    from metricflow_lite.jobs.pipeline import dialect_for, make_request, query_sql
    from metricflow_lite.jobs.reports import dimension_value_labels, row_completeness
    from metricflow_lite.report.query_table import plain_value, render_rows
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect
    from metricflow_lite.warehouse.base import fetch_built

    project = open_project(project_dir)
    spec = load_spec(project)
    request = make_request(spec, metrics, by, grain, start, end, where)
    widened = _widened_range(request, project.week_start.value)
    if widened:
        click.echo(f"note: {widened}", err=True)
    if no_indicators:
        request = replace(request, use_indicators=False)
    # a mistake in the request is reported before the warehouse is opened (or found missing)
    _, sql = query_sql(project, request, dialect_for(project, target), spec)
    if show_sql:
        click.echo(sql)
        return
    warehouse = connect(project, target, read_only=True)
    try:
        result = fetch_built(warehouse, sql)
        complete = None
        if fmt == "table" or completeness:
            complete = row_completeness(
                spec, project, warehouse, request, result.columns, result.rows
            )
    finally:
        warehouse.close()
    if complete is not None and request.grain is not None:
        at = result.columns.index(request.grain.value)
        partial = sorted(
            {str(plain_value(r[at])) for r, ok in zip(result.rows, complete, strict=True) if not ok}
        )
        if partial:
            click.echo(f"note: incomplete {request.grain.value}: {', '.join(partial)}", err=True)
    labels = dimension_value_labels(spec, request.by) if fmt == "table" else {}
    text = render_rows(result, spec, request, fmt, labels, complete)
    click.echo(text, nl=fmt == "table")


def _widened_range(request: QueryRequest, week_start: str) -> str:
    """What the query does to a --start/--end that cuts a period, said in a sentence ('' when
    the range is whole periods already)."""
    from metricflow_lite.compile.periods import whole_periods

    start, end = whole_periods(request.start, request.end, request.grain, week_start)
    moved = [
        f"{option} {given} is widened to {whole}"
        for option, given, whole in (("--start", request.start, start), ("--end", request.end, end))
        if given != whole
    ]
    if not moved or request.grain is None:
        return ""
    return f"{' and '.join(moved)}, so every {request.grain.value} shown is whole"


@cli.command(name="list")
@project_options
@click.argument("kind", type=click.Choice(["metrics", "models", "reports"]))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "md"]),
    default="table",
    help="table for the terminal; md (metrics only) for the docs page, grouped by file.",
)
def list_command(project_dir: str | None, target: str | None, kind: str, fmt: str) -> None:
    """Catalog of metrics, models or reports, with labels and formulas.

    Example: mfl list metrics --format md > docs/metrics.md
    """
    from metricflow_lite.report.catalog import catalog_rows, metrics_markdown
    from metricflow_lite.report.query_table import render_table
    from metricflow_lite.spec.validate import load_spec

    if fmt == "md" and kind != "metrics":
        raise click.UsageError("--format md lists metrics only: mfl list metrics --format md")
    project = open_project(project_dir)
    spec = load_spec(project)
    if fmt == "md":
        click.echo(metrics_markdown(spec), nl=False)
        return
    headers, rows = catalog_rows(spec, kind)
    click.echo(render_table(headers, rows))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Create a small project that 'mfl run' accepts as it is.

    Example: mfl init my_center && cd my_center && mfl run
    """
    from pathlib import Path

    from metricflow_lite.jobs.init import create_project

    destination = Path(directory)
    written = create_project(destination)
    for path in written:
        click.echo(f"  created {destination / path}")
    click.echo(f"\nNext: cd {directory} && mfl run")


@cli.command()
@project_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    help="text for people, json for programs, github for workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too, and list each one.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def validate(
    project_dir: str | None, target: str | None, fmt: str, strict: bool, quiet: bool
) -> None:
    """Check every YAML file and SQL model without loading data; report every problem.

    Each problem is printed as file:line:col: severity CODE: message, with the source line
    and a hint. Exit 1 on errors (with --strict, on warnings too). Example: mfl validate
    """
    from metricflow_lite.jobs.validate import validate_project
    from metricflow_lite.report.diagnostics import render_github, render_json, render_text

    project = open_project(project_dir)
    result = validate_project(project)
    if fmt == "json":
        shown = result.shown(strict=True, quiet=quiet)  # programs get every finding
        click.echo(render_json(shown))
    elif fmt == "github":
        shown = result.shown(strict=True, quiet=quiet)
        if shown:
            click.echo(render_github(shown))
        click.echo(result.summary(), err=True)
    else:
        shown = result.shown(strict=strict, quiet=quiet)
        if shown:
            click.echo(render_text(shown, root=project.root, color=_color()))
            click.echo()
        if not quiet:
            click.echo(result.summary())
    if result.fails(strict):
        sys.exit(1)


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@cli.command(name="test")
@project_options
@click.option(
    "--select", "select", multiple=True, metavar="NAME", help="Only this test (repeatable)."
)
def test_command(project_dir: str | None, target: str | None, select: tuple[str, ...]) -> None:
    """Run the metric unit tests: given rows in, expected metric values out.

    Tests live under 'tests:' in metrics/*.yml or in metrics/tests/*.yml; each runs on its
    own in-memory DuckDB. Exit 1 when one fails. Example: mfl test --select aht_by_day
    """
    from metricflow_lite.jobs.metric_tests import render_results, run_metric_tests

    project = open_project(project_dir)
    results = run_metric_tests(project, select)
    if not results:
        click.echo("no metric tests found (add 'tests:' to metrics/*.yml or metrics/tests/*.yml)")
        return
    click.echo(render_results(results))
    if not all(r.passed for r in results):
        sys.exit(1)


@cli.command()
@click.argument(
    "kind", type=click.Choice(["metrics", "reports", "project"]), default="metrics", required=False
)
def schema(kind: str) -> None:
    """Print the JSON Schema of metrics/*.yml, reports/*.yml or metricflow_lite.yml.

    Editors with a YAML language server use it for completion and checks (docs/editor.md).
    Example: mfl schema reports > reports.schema.json
    """
    from metricflow_lite.schemas import schema_text

    click.echo(schema_text(kind), nl=False)


@cli.command()
@project_options
@click.argument("name")
@click.option(
    "--grain", default=None, help="day, week, month ... (default: the report's first grain)."
)
@click.option(
    "--date",
    "on",
    default=None,
    metavar="YYYY-MM-DD",
    help="A day in the period to show (default: the latest complete period).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "md", "csv", "html", "xlsx"]), default="table"
)
@click.option(
    "--out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write to this file instead of printing.",
)
def report(
    project_dir: str | None,
    target: str | None,
    name: str,
    grain: str | None,
    on: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """Render one report for one period.

    Example: mfl report daily_operations --grain week --format table
    """
    from pathlib import Path

    from metricflow_lite.jobs.pipeline import parse_date, parse_grain
    from metricflow_lite.jobs.reports import find_report, outside_data, report_table
    from metricflow_lite.report import render_report
    from metricflow_lite.report.diagnostics import render_text
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect

    project = open_project(project_dir)
    spec = load_spec(project)
    chosen = find_report(spec, name)
    grain_value = parse_grain(grain) if grain else chosen.grains[0]
    day = parse_date(on, "--date")
    warehouse = connect(project, target, read_only=True)
    try:
        table = report_table(spec, project, warehouse, chosen, grain_value, day)
        empty = outside_data(spec, project, warehouse, chosen, grain_value, day) if day else None
    finally:
        warehouse.close()
    if empty is not None:
        click.echo(render_text([empty], root=project.root, color=sys.stderr.isatty()), err=True)
    width = terminal_width() if out is None else None
    content = render_report(table, fmt, color=out is None and sys.stdout.isatty(), width=width)
    if fmt == "xlsx" and out is None:
        out = str(project.path("target") / "reports" / f"{chosen.name}_{grain_value.value}.xlsx")
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        click.echo(f"wrote {path}")
        return
    assert isinstance(content, str)
    click.echo(content, nl=not content.endswith("\n"))


@cli.command()
@project_options
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Drop each seed table's raw rows and load every file again.",
)
def seed(project_dir: str | None, target: str | None, full_refresh: bool) -> None:
    """Load seeds/ into raw.* tables; unchanged files are skipped, bad lines go to raw._rejects.

    \b
    mfl seed                     load new and changed files
    mfl seed --full-refresh      reload every file from scratch
    """
    from metricflow_lite import warehouse
    from metricflow_lite.seeds.load import load_seeds

    project = open_project(project_dir)
    connection = warehouse.connect(project, target)
    try:
        summary = load_seeds(project, connection, full_refresh=full_refresh)
    finally:
        connection.close()
    echo_seed_summary(project, summary)


def echo_seed_summary(project: Project, summary: LoadSummary) -> None:
    """One aligned line per seed file, warnings, then the total."""
    from metricflow_lite.report.diagnostics import render_text
    from metricflow_lite.seeds.load import LoadStatus

    names = [r.file.removeprefix("seeds/") for r in summary.results]
    width = max((len(n) for n in names), default=0)
    for name, result in zip(names, summary.results, strict=True):
        match result.status:
            case LoadStatus.UNCHANGED:
                what = "unchanged, skipped"
            case LoadStatus.MISSING:
                what = f"missing from seeds/, {result.rows:,} rows kept"
            case LoadStatus.LOADED | LoadStatus.REPLACED:
                verb = "loaded" if result.status is LoadStatus.LOADED else "replaced"
                what = f"{result.rows:,} rows {verb}"
                if result.rejected:
                    what += f", {result.rejected:,} rejected -> raw._rejects"
            case _:
                t.assert_never(result.status)
        click.echo(f"{name.ljust(width)}  {what}")
    if summary.warnings:
        click.echo(render_text(summary.warnings, project.root), err=True)
    files = sum(1 for r in summary.results if r.status in (LoadStatus.LOADED, LoadStatus.REPLACED))
    total = f"{summary.rows:,} rows from {files} file{'s' * (files != 1)}"
    if summary.rejected:
        total += f", {summary.rejected:,} rejected"
    click.echo(f"total: {total}" if files else "total: nothing new to load")


def echo_build_summary(result: BuildResult) -> None:
    counts: dict[str, int] = {}
    for obj in result.objects:
        counts[obj.schema] = counts.get(obj.schema, 0) + 1
    summary = ", ".join(f"{counts.get(s, 0)} in {s}" for s in ("src", "ind", "app"))
    seconds = dict(result.seconds_per_layer)["total"]
    click.echo(f"built {len(result.objects)} views and tables ({summary}) in {seconds:.2f}s")


@cli.command()
@project_options
@click.option("--full-refresh", is_flag=True, help="Reload every seed file from scratch.")
def run(project_dir: str | None, target: str | None, full_refresh: bool) -> None:
    """The main job: seed, build, then render every report into target/reports/.

    Example: mfl run && open target/reports/index.html
    """
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.jobs.reports import write_all_reports
    from metricflow_lite.seeds.load import load_seeds
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect

    project = open_project(project_dir)
    spec = load_spec(project)  # a broken YAML stops the job before anything is loaded
    step = _step_printer()
    warehouse = connect(project, target)
    try:
        step("seed", "loading seeds/ into raw")
        echo_seed_summary(project, load_seeds(project, warehouse, full_refresh=full_refresh))
        step("build", "building src, ind and app")
        echo_build_summary(build_project(project, warehouse, _echo_progress))
        step("reports", f"rendering {len(spec.reports)} reports")
        written = write_all_reports(spec, project, warehouse, _echo_progress)
    finally:
        warehouse.close()
    from pathlib import Path

    files = sum(len(item.paths) for item in written if item.report != "dashboard")
    reports = sum(1 for item in written if item.report != "dashboard")
    index = project.path("target") / "reports" / "index.html"
    where = os.path.relpath(index, Path.cwd()) if index.is_relative_to(Path.cwd()) else index
    noun = "report" if reports == 1 else "reports"
    click.echo(f"{reports} {noun}, {files} files; open {where}")


def terminal_width() -> int | None:
    """The width tables must fit: $COLUMNS, else the terminal's; None when not a terminal."""
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _step_printer() -> t.Callable[[str, str], None]:
    """Step headers: bold on a terminal, plain lines when piped into a log."""
    styled = sys.stdout.isatty()

    def step(name: str, text: str) -> None:
        line = f"==> {name}: {text}"
        click.echo(click.style(line, bold=True) if styled else line)

    return step
