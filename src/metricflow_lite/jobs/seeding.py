"""The seed commands, end to end: `mfl seed` and `mfl rejects`.

Apart from the pipeline so that loading files imports no compiler: on a 1M-row export the
compiler's imports were a seventh of the command's time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metricflow_lite.spec.project import Project

if TYPE_CHECKING:
    from metricflow_lite.seeds.load import LoadSummary


def seed(
    project: Project,
    target: str | None,
    full_refresh: bool = False,
    allow_empty: bool = False,
    prune: bool = False,
) -> LoadSummary:
    """`mfl seed`: load new and changed seed files into raw, a table at a time."""
    from metricflow_lite.seeds.load import load_seeds
    from metricflow_lite.warehouse import connect

    with connect(project, target) as warehouse:
        return load_seeds(
            project, warehouse, full_refresh=full_refresh, allow_empty=allow_empty, prune=prune
        )


def rejects(project: Project, target: str | None, table: str | None, fmt: str) -> str:
    """`mfl rejects`: the lines mfl seed rejected (of one table), as a table, CSV or JSON."""
    from metricflow_lite.report.render_rejects import render_rejects
    from metricflow_lite.seeds.rejects import list_rejects
    from metricflow_lite.warehouse import connect

    with connect(project, target, read_only=True) as warehouse:
        return render_rejects(list_rejects(warehouse, table), fmt)
