"""The `mfl` command line: parse options, call the core, print. No logic of its own."""

from __future__ import annotations

import os
import sys
import typing as t

import click

if t.TYPE_CHECKING:
    from metricflow_lite.errors import MflError
    from metricflow_lite.project import Project

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class MflGroup(click.Group):
    def main(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:  # type: ignore[override]
        """Run one command; exit 0 ok, 1 the user's mistake, 2 a bug in mfl."""
        from metricflow_lite.errors import MflError

        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})  # --help: 0
        except MflError as err:
            click.echo(render_error(err), err=True)
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


def render_error(err: MflError) -> str:
    """Every diagnostic of an error, rendered like a compiler would."""
    from metricflow_lite.diagnostics import render_text

    return render_text(err.diagnostics, color=sys.stderr.isatty())


def project_options(func: F) -> F:
    """--project-dir and --target, spelled alike on every command."""
    func = click.option(
        "--target",
        "target",
        default=None,
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
    from metricflow_lite.project import load_project

    return load_project(project_dir)


@click.group(cls=MflGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="metricflow-lite", prog_name="mfl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """metricflow-lite: contact-center metrics as code, over DuckDB.

    \b
    mfl run                      seed + build + render every report
    mfl query --metrics abandonment_rate --by queue --grain week
    mfl validate                 check every YAML file, report every problem
    """
    if debug:
        os.environ["MFL_DEBUG"] = "1"


def main() -> None:
    cli.main(prog_name="mfl")


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
    from metricflow_lite.diagnostics import render_text
    from metricflow_lite.load import LoadStatus, load_seeds

    project = open_project(project_dir)
    connection = warehouse.connect(project, target)
    try:
        summary = load_seeds(project, connection, full_refresh=full_refresh)
    finally:
        connection.close()
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
