"""The `mfl` command line: parse options, call the core, print. No logic of its own."""

from __future__ import annotations

import os
import sys
import typing as t

import click

if t.TYPE_CHECKING:
    from pathlib import Path

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
            click.echo(without_secrets(render_error(err, project_root(argv))), err=True)
            code = 1
        except click.ClickException as err:
            err.show()
            code = 1
        except OSError as err:
            if isinstance(err, BrokenPipeError) or os.environ.get("MFL_DEBUG"):
                raise
            from metricflow_lite.errors import os_error

            click.echo(without_secrets(render_error(os_error(err))), err=True)
            code = 1
        except click.Abort:
            code = 1
        except Exception as err:
            if os.environ.get("MFL_DEBUG"):
                raise
            message = without_secrets(f"internal error: {err!r}")
            click.echo(f"{message}\n  a bug in mfl; rerun with MFL_DEBUG=1", err=True)
            code = 2
        sys.exit(code if isinstance(code, int) else 0)


def without_secrets(text: str) -> str:
    """A message with every DSN and password of the environment masked."""
    from metricflow_lite.warehouse.dsn import environment_secrets, redact

    return redact(text, environment_secrets(dict(os.environ)))


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
@click.option(
    "--full-refresh", is_flag=True, help="Rebuild every table, not only the days that changed."
)
def build(project_dir: str | None, target: str | None, full_refresh: bool) -> None:
    """Create the src, ind and app layers, all or nothing.

    Only the days whose rows changed since the last build are rewritten (DuckDB); a failing
    model leaves the previous build in place. Example: mfl build
    """
    from metricflow_lite.jobs import pipeline

    project = open_project(project_dir)
    echo_build_summary(pipeline.build(project, target, _echo_progress, full_refresh), project.root)


def query_options(required: bool) -> t.Callable[[F], F]:
    """--metrics, --by, --grain, --start, --end, --where: spelled alike on query and compile."""

    def decorate(func: F) -> F:
        for option in reversed(
            (
                click.option(
                    "--metrics",
                    required=required,
                    default=None,
                    help="Comma-separated metric names.",
                ),
                click.option(
                    "--by",
                    default=None,
                    help="Comma-separated dimensions (team, queue, transfer_agent.team ...).",
                ),
                click.option(
                    "--grain",
                    default=None,
                    help="15min, 30min, hour, day, week, month, quarter or year.",
                ),
                click.option(
                    "--start",
                    default=None,
                    metavar="YYYY-MM-DD",
                    help="First day (inclusive); by week or coarser, the first day of its period.",
                ),
                click.option(
                    "--end",
                    default=None,
                    metavar="YYYY-MM-DD",
                    help="Last day (inclusive); by week or coarser, the last day of its period.",
                ),
                click.option(
                    "--where",
                    default=None,
                    metavar="EXPR",
                    help="Filter over dimensions, e.g. \"queue = 'VIP'\".",
                ),
                click.option(
                    "--no-indicators",
                    is_flag=True,
                    help="Read source rows even where an indicator table covers the query.",
                ),
            )
        ):
            func = option(func)
        return func

    return decorate


@cli.command(name="compile")
@project_options
@click.option(
    "--select", default=None, metavar="NAME", help="Only this view or table (or report, --plan)."
)
@click.option("--quiet", is_flag=True, help="Write the files without printing the SQL.")
@click.option(
    "--plan",
    "show_plan",
    is_flag=True,
    help="Print the plan tree instead: of a query (--metrics ...), or of --select's objects.",
)
@query_options(required=False)
def compile_command(
    project_dir: str | None,
    target: str | None,
    select: str | None,
    quiet: bool,
    show_plan: bool,
    metrics: str | None,
    by: str | None,
    grain: str | None,
    start: str | None,
    end: str | None,
    where: str | None,
    no_indicators: bool,
) -> None:
    """Write the generated SQL to target/compiled/<target>/ and print it.

    \b
    mfl compile --select app.queue_daily_week
    mfl compile --plan --metrics abandonment_rate --by team --grain week
    mfl compile --plan --select queue_daily    the plans of a report's views
    """
    from metricflow_lite.jobs import pipeline

    project = open_project(project_dir)
    if show_plan or metrics:
        if metrics and not show_plan:
            raise click.UsageError("--metrics ... goes with --plan: mfl compile --plan --metrics a")
        options = pipeline.QueryOptions(metrics, by, grain, start, end, where, not no_indicators)
        click.echo(pipeline.explain(project, options, select))
        return
    written = pipeline.compile_project(project, target, select)
    if not quiet:
        for _, text in written:
            click.echo(text)
    click.echo(f"wrote {len(written)} files under {project.path('target') / 'compiled'}", err=True)


@cli.command()
@project_options
@query_options(required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--sql", "show_sql", is_flag=True, help="Print the SQL instead of running it.")
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
    no_indicators: bool,
    fmt: str,
    show_sql: bool,
    completeness: bool,
) -> None:
    """Ask for metrics by dimensions and grain.

    Example: mfl query --metrics abandonment_rate,aht_seconds --by queue --grain week --format csv
    """
    from metricflow_lite.jobs import fastpath

    # The same question on unchanged files: the SQL, the table's layout and the queries of the
    # data bounds from target/.mfl-cache/, without importing the compiler (a script's
    # start-up); anything unusual takes the full path, which explains it.
    root = fastpath.project_root(project_dir)
    words = ["query", target or "", metrics, by, grain, start, end, where, str(no_indicators)]
    cache_key = fastpath.key(root, [w or "" for w in words])
    entry = fastpath.load(root, "query", cache_key)
    if entry is not None and show_sql and isinstance(entry.get("sql"), str):
        if entry.get("note"):
            click.echo(f"note: {entry['note']}", err=True)
        click.echo(entry["sql"])
        return
    cached = fastpath.answer_query(entry, fmt, completeness) if entry is not None else None
    if cached is not None:
        for note in cached.notes:
            click.echo(note, err=True)
        click.echo(cached.text, nl=False)
        return
    from metricflow_lite.jobs import pipeline
    from metricflow_lite.text import incomplete_note

    options = pipeline.QueryOptions(metrics, by, grain, start, end, where, not no_indicators)
    answer = pipeline.query(
        open_project(project_dir), target, options, fmt, show_sql, completeness, cache_key
    )
    if answer.plan.note:
        click.echo(f"note: {answer.plan.note}", err=True)
    for note in answer.notes:
        click.echo(note, err=True)
    if answer.text is None:
        click.echo(answer.sql)
        return
    if answer.incomplete:
        grain = answer.plan.request.grain
        click.echo(incomplete_note(grain.value if grain else None, answer.incomplete), err=True)
    click.echo(answer.text, nl=fmt == "table")


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
    from metricflow_lite.jobs import pipeline

    if fmt == "md" and kind != "metrics":
        raise click.UsageError("--format md lists metrics only: mfl list metrics --format md")
    text = pipeline.catalog(open_project(project_dir), kind, fmt)
    click.echo(text, nl=fmt != "md")


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
    from metricflow_lite.jobs import fastpath

    # Unchanged files validate as they did: the result is kept in target/.mfl-cache/.
    root = fastpath.project_root(project_dir)
    words = ["validate", target or "", fmt, str(strict), str(quiet), str(_color())]
    cache_key = fastpath.key(root, words)
    entry = fastpath.load(root, "validate", cache_key)
    if entry is None:
        entry = _validate(project_dir, fmt, strict, quiet)
        fastpath.store(root, "validate", cache_key, entry)
    for text, to_stderr in entry["lines"]:
        click.echo(text, err=to_stderr)
    if entry["failed"]:
        sys.exit(1)


def _validate(project_dir: str | None, fmt: str, strict: bool, quiet: bool) -> dict[str, t.Any]:
    """What `mfl validate` prints, as (text, to stderr) lines, and whether it fails."""
    from metricflow_lite.jobs.validate import validate_project
    from metricflow_lite.report.diagnostics import render_github, render_json, render_text

    project = open_project(project_dir)
    result = validate_project(project)
    lines: list[tuple[str, bool]] = []
    if fmt == "json":
        shown = result.shown(strict=True, quiet=quiet)  # programs get every finding
        lines.append((render_json(shown), False))
    elif fmt == "github":
        shown = result.shown(strict=True, quiet=quiet)
        if shown:
            lines.append((render_github(shown), False))
        lines.append((result.summary(), True))
    else:
        shown = result.shown(strict=strict, quiet=quiet)
        if shown:
            lines.append((render_text(shown, root=project.root, color=_color()), False))
        if not quiet:
            if shown:
                lines.append(("", False))  # a blank line between the findings and the summary
            lines.append((result.summary(), False))
    return {"lines": lines, "failed": result.fails(strict)}


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
    from metricflow_lite.jobs import reports
    from metricflow_lite.report.diagnostics import render_text

    project = open_project(project_dir)
    color = sys.stdout.isatty()
    width = terminal_width() if out is None else None
    output = reports.report(project, target, name, grain, on, fmt, out, color, width)
    for note in output.notes:
        click.echo(note, err=True)
    if output.warning is not None:
        click.echo(
            render_text([output.warning], root=project.root, color=sys.stderr.isatty()), err=True
        )
    if output.path is not None:
        click.echo(f"wrote {output.path}")
        return
    assert isinstance(output.content, str)
    click.echo(output.content, nl=not output.content.endswith("\n"))


@cli.command()
@project_options
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Reload each seed table from the files present now (per table, all or nothing).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Accept an empty re-export of a file that had rows (its rows are removed).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Remove the rows of files no longer in seeds/ (by default they stay).",
)
def seed(
    project_dir: str | None, target: str | None, full_refresh: bool, allow_empty: bool, prune: bool
) -> None:
    """Load seeds/ into raw.* tables; unchanged files are skipped, bad lines go to raw._rejects.

    \b
    mfl seed                     load new and changed files
    mfl seed --full-refresh      reload every file from scratch
    mfl seed --prune             also drop the rows of files removed from seeds/
    """
    from metricflow_lite.jobs import seeding

    project = open_project(project_dir)
    echo_seed_summary(project, seeding.seed(project, target, full_refresh, allow_empty, prune))


def rows(count: int) -> str:
    """ "1 row", "12,345 rows"."""
    return f"{count:,} row{'s' * (count != 1)}"


def echo_seed_summary(project: Project, summary: LoadSummary) -> None:
    """One aligned line per seed file, warnings, then the total."""
    from metricflow_lite.seeds.load import LoadStatus

    names = [r.file.removeprefix("seeds/") for r in summary.results]
    width = max((len(n) for n in names), default=0)
    for name, result in zip(names, summary.results, strict=True):
        same = (result.same_as or "").removeprefix("seeds/")
        match result.status:
            case LoadStatus.UNCHANGED:
                what = "unchanged, skipped"
            case LoadStatus.MISSING:
                what = f"missing from seeds/, {rows(result.rows)} kept"
            case LoadStatus.PRUNED:
                what = f"missing from seeds/, {rows(result.rows)} removed (--prune)"
            case LoadStatus.MOVED:
                what = f"moved from {same}, {rows(result.rows)} kept (nothing loaded twice)"
            case LoadStatus.DUPLICATE:
                what = f"same content as {same}, skipped"
            case LoadStatus.LOADED | LoadStatus.REPLACED:
                verb = "loaded" if result.status is LoadStatus.LOADED else "replaced"
                what = f"{rows(result.rows)} {verb}"
                if result.rejected:
                    what += f", {result.rejected:,} rejected -> raw._rejects (see mfl rejects)"
            case _:
                t.assert_never(result.status)
        click.echo(f"{name.ljust(width)}  {what}")
    for table in summary.tables:
        if table.superseded:
            click.echo(
                f"raw.{table.table}: {rows(table.superseded)} superseded by a later version"
                f" of {'its' if table.superseded == 1 else 'their'} key (kept in raw, not read"
                " by source())"
            )
    if summary.warnings:
        from metricflow_lite.report.diagnostics import render_text

        click.echo(render_text(summary.warnings, project.root), err=True)
    files = sum(1 for r in summary.results if r.status in (LoadStatus.LOADED, LoadStatus.REPLACED))
    total = f"{rows(summary.rows)} from {files} file{'s' * (files != 1)}"
    if summary.rejected:
        total += f", {summary.rejected:,} rejected"
    click.echo(f"total: {total}" if files else "total: nothing new to load")


@cli.command()
@project_options
@click.argument("table", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def rejects(project_dir: str | None, target: str | None, table: str | None, fmt: str) -> None:
    """List the lines `mfl seed` rejected: file, line, reason and the line's text.

    Example: mfl rejects call_legs --format csv > rejects.csv
    """
    from metricflow_lite.jobs import seeding

    text = seeding.rejects(open_project(project_dir), target, table, fmt)
    click.echo(text, nl=fmt != "csv")  # a CSV ends with its last line's end


def echo_build_summary(result: BuildResult, root: Path | None = None) -> None:
    counts: dict[str, int] = {}
    for obj in result.objects:
        counts[obj.schema] = counts.get(obj.schema, 0) + 1
    from metricflow_lite.compile.names import LAYER_SCHEMAS

    summary = ", ".join(f"{counts.get(s, 0)} in {s}" for s in LAYER_SCHEMAS)
    seconds = dict(result.seconds_per_layer)["total"]
    click.echo(
        f"built {len(result.objects)} views and tables ({summary}) in {seconds:.2f}s:"
        f" {result.summary}"
    )
    if result.warnings:
        from metricflow_lite.report.diagnostics import render_text

        click.echo(render_text(result.warnings, root), err=True)


@cli.command()
@project_options
@click.option("--full-refresh", is_flag=True, help="Reload every seed file from scratch.")
def run(project_dir: str | None, target: str | None, full_refresh: bool) -> None:
    """The main job: seed, build, then render every report into target/reports/.

    Example: mfl run && open target/reports/index.html
    """
    from pathlib import Path

    from metricflow_lite.jobs import pipeline

    project = open_project(project_dir)
    steps = pipeline.RunSteps(
        step=_step_printer(),
        seeded=lambda summary: echo_seed_summary(project, summary),
        built=lambda result: echo_build_summary(result, project.root),
        progress=_echo_progress,
    )
    written = pipeline.run(project, target, steps, full_refresh)
    files = sum(len(item.paths) for item in written if item.report != "dashboard")
    reports = sum(1 for item in written if item.report != "dashboard")
    index = project.path("target") / "reports" / "index.html"
    where = os.path.relpath(index, Path.cwd()) if index.is_relative_to(Path.cwd()) else index
    noun = "report" if reports == 1 else "reports"
    click.echo(f"{reports} {noun}, {files} files; open {where}")


@cli.command()
@project_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="HTTP port.")
@click.option(
    "--pg-port",
    default=5433,
    show_default=True,
    type=int,
    help="PostgreSQL wire port (0: no PostgreSQL endpoint).",
)
@click.option(
    "--max-rows",
    default=None,
    type=int,
    help="Rows one query may return (default 10000, $MFL_SERVE_MAX_ROWS).",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=None,
    type=float,
    help="Seconds one query may run (default 30, $MFL_SERVE_TIMEOUT).",
)
def serve(
    project_dir: str | None,
    target: str | None,
    host: str,
    port: int,
    pg_port: int,
    max_rows: int | None,
    timeout_s: float | None,
) -> None:
    """Serve the dashboard, a JSON API and a PostgreSQL endpoint from the last good build.

    Needs $MFL_SERVE_TOKEN (the bearer token and the PostgreSQL password). Pages and numbers
    follow each `mfl build`; Ctrl-C or SIGTERM stops. Example: mfl serve --port 8080
    """
    from metricflow_lite.jobs.serve import ServeOptions
    from metricflow_lite.jobs.serve import serve as run_server

    options = ServeOptions(project_dir, target, host, port, pg_port, max_rows, timeout_s)
    run_server(options, _echo_progress)


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
