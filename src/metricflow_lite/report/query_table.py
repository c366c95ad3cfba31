"""Query results as text: an aligned terminal table, CSV or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metricflow_lite.text import (
    display_width,
    format_number,
    pad,
    plain_value,
    render_result,
    render_table,
)

if TYPE_CHECKING:
    from metricflow_lite.compile.plan import QueryRequest
    from metricflow_lite.spec.model import ProjectSpec
    from metricflow_lite.warehouse.base import QueryResult

__all__ = [
    "display_width",
    "format_number",
    "pad",
    "plain_value",
    "render_result",
    "render_rows",
    "render_table",
]


def render_rows(result: QueryResult, spec: ProjectSpec, request: QueryRequest, fmt: str) -> str:
    """Query rows as table, csv or json."""
    formats = {m.name: m.format.value for m in spec.metrics if m.name in request.metrics}
    return render_result(result.columns, result.rows, formats, fmt)
