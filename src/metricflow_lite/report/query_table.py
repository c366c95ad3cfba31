"""Query results as text: an aligned terminal table, CSV or JSON.

The rendering itself is text.py's (it imports no compiler, so the CLI's fast path shares it);
this module reads what it needs from the spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from metricflow_lite.compile.plan import QueryRequest
from metricflow_lite.report.words import DEFAULT_LOCALE, word
from metricflow_lite.spec.model import Format, ProjectSpec
from metricflow_lite.text import QueryLayout, render_query_rows
from metricflow_lite.text import display_width as display_width
from metricflow_lite.text import format_value as format_value
from metricflow_lite.text import pad as pad
from metricflow_lite.text import plain_value as plain_value
from metricflow_lite.text import render_result as render_result
from metricflow_lite.text import render_table as render_table
from metricflow_lite.text import terminal_text as terminal_text
from metricflow_lite.warehouse.base import QueryResult


def format_number(value: Any, fmt: Format) -> str:
    """A metric value as a manager reads it, exactly as the reports print it; NULL is '-'."""
    if isinstance(value, Decimal):
        value = float(value)
    return format_value(value, fmt)


def query_layout(
    spec: ProjectSpec,
    request: QueryRequest,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    locale: str = DEFAULT_LOCALE,
) -> QueryLayout:
    """How the query table shows a request's rows: formats, value labels, period column, and
    a NULL member as the reports write it in the locale."""
    formats = {m.name: m.format for m in spec.metrics}
    return QueryLayout(
        {name: formats[name] for name in request.metrics if name in formats},
        value_labels or {},
        request.grain.value if request.grain else None,
        word(locale, "no_member"),
    )


def render_rows(
    result: QueryResult,
    spec: ProjectSpec,
    request: QueryRequest,
    fmt: str,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    complete: Sequence[bool] | None = None,
) -> str:
    """Query rows as table, csv or json.

    The table shows dimension values by their labels (`values:`) and marks an incomplete period
    with `*`; csv and json keep the codes, and carry `is_complete` when `complete` is given.
    """
    layout = query_layout(spec, request, value_labels)
    return render_query_rows(result.columns, result.rows, fmt, layout, complete)
