"""A report as a terminal table, aligned by display width (a Chinese character takes two cells).

Borders are ASCII: box-drawing characters are East Asian "ambiguous" width and render two cells
wide in many Chinese terminals, which would break every line's alignment.

A table wider than the terminal is never left to wrap: its metric columns are split into several
tables that each repeat the period and dimension columns; when even one metric does not fit
beside them, each row is shown transposed (one `label | value` line per column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from metricflow_lite.report.cells import (
    DisplayCell,
    caption,
    display_columns,
    display_row,
    has_missed,
    legend,
    no_rows_text,
    period_notes,
    shown_rows,
)
from metricflow_lite.report.escaping import terminal_text
from metricflow_lite.report.formatting import TargetFlag, display_width
from metricflow_lite.report.frame import Column, ColumnRole, ReportTable

RED = "\x1b[31m"
RESET = "\x1b[0m"
MIN_WIDTH = 20  # below this a terminal cannot show a table at all; lines are cut there


def render_terminal(table: ReportTable, color: bool = False, width: int | None = None) -> str:
    """The table as text: caption, header, one line per row, a legend when a target is missed.

    `width` is the terminal's width in cells (None: unlimited); no line is wider.
    """
    columns = display_columns(table)
    headers = [terminal_text(c.label) for c in columns]
    rows = table.focus_rows()
    shown = shown_rows(table)
    body = [_safe(display_row(table, row)) for row, _ in shown]
    total_at = len(rows) if len(shown) > len(rows) else None  # a rule above the 合计 row
    top = [terminal_text(t) for t in caption_lines(table)]
    bottom = (
        [legend(table)] if has_missed(table, rows) else [no_rows_text(table)] if not rows else []
    )
    limit = None if width is None else max(width, MIN_WIDTH)
    keys = [i for i, c in enumerate(columns) if c.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION)]
    groups = _metric_groups(columns)
    whole = _table(top, headers, body, bottom, list(range(len(columns))), color, limit, total_at)
    if limit is None or _fits(whole, limit):
        return whole
    chunks = _pack(headers, body, keys, groups, limit)
    if chunks is not None:
        parts = []
        for n, chunk in enumerate(chunks, start=1):
            label = [f"({n}/{len(chunks)})"]
            parts.append(
                _table(
                    top + label if n == 1 else label,
                    headers,
                    body,
                    bottom if n == len(chunks) else [],
                    keys + chunk,
                    color,
                    limit,
                    total_at,
                )
            )
        return "".join(parts)
    return _transposed(top, headers, body, bottom, keys, color, limit)


def caption_lines(table: ReportTable) -> list[str]:
    """The caption and, when the period is partial or comparisons are cut, a note line each."""
    return [caption(table), *period_notes(table)]


def _safe(cells: Sequence[DisplayCell]) -> tuple[DisplayCell, ...]:
    return tuple(DisplayCell(terminal_text(c.text), c.numeric, c.flag, c.tone) for c in cells)


def _metric_groups(columns: Sequence[Column]) -> list[list[int]]:
    """Column indexes per metric: its value and its change columns stay together."""
    groups: list[list[int]] = []
    current: str | None = None
    for i, column in enumerate(columns):
        if column.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION):
            continue
        if column.metric != current or not groups:
            groups.append([])
            current = column.metric
        groups[-1].append(i)
    return groups


def _widths(
    headers: Sequence[str], body: Sequence[Sequence[DisplayCell]], idx: Sequence[int]
) -> list[int]:
    widths = [display_width(headers[i]) for i in idx]
    for cells in body:
        widths = [max(w, display_width(cells[i].text)) for w, i in zip(widths, idx, strict=True)]
    return widths


def _table_width(widths: Sequence[int]) -> int:
    return sum(widths) + 3 * (len(widths) - 1) + 4


def _pack(
    headers: Sequence[str],
    body: Sequence[Sequence[DisplayCell]],
    keys: list[int],
    groups: list[list[int]],
    limit: int,
) -> list[list[int]] | None:
    """Metric groups packed into tables that fit beside the key columns; None if one cannot."""
    chunks: list[list[int]] = []
    for group in groups:
        if _table_width(_widths(headers, body, keys + group)) > limit:
            return None
        if chunks and _table_width(_widths(headers, body, keys + chunks[-1] + group)) <= limit:
            chunks[-1] += group
        else:
            chunks.append(list(group))
    return chunks or None


def _table(
    top: Sequence[str],
    headers: Sequence[str],
    body: Sequence[Sequence[DisplayCell]],
    bottom: Sequence[str],
    idx: Sequence[int],
    color: bool,
    limit: int | None,
    total_at: int | None = None,
) -> str:
    widths = _widths(headers, body, idx)
    inner = sum(widths) + 3 * (len(widths) - 1)
    if limit is None:
        inner = max([inner, *(display_width(t) for t in [*top, *bottom])])
    top_lines = [line for t in top for line in _wrap(t, inner)]
    bottom_lines = [line for t in bottom for line in _wrap(t, inner)]
    # The last column absorbs any extra width a long caption needs.
    widths[-1] += inner - (sum(widths) + 3 * (len(widths) - 1))

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    full_rule = "+" + "-" * (inner + 2) + "+"
    lines = [full_rule, *(_wide_line(t, inner) for t in top_lines), rule]
    lines.append(_line([DisplayCell(headers[i], numeric=False) for i in idx], widths, color=False))
    if body:
        lines.append(rule)
    for n, cells in enumerate(body):
        if n == total_at:
            lines.append(rule)
        lines.append(_line([cells[i] for i in idx], widths, color))
    if bottom_lines:
        lines += [full_rule, *(_wide_line(t, inner) for t in bottom_lines)]
        lines.append(full_rule)
    else:
        lines.append(rule)
    return "\n".join(lines) + "\n"


def _transposed(
    top: Sequence[str],
    headers: Sequence[str],
    body: Sequence[Sequence[DisplayCell]],
    bottom: Sequence[str],
    keys: list[int],
    color: bool,
    limit: int,
) -> str:
    """One block per row: the row's keys as its title, then `label | value` per column."""
    inner = limit - 4
    label_w = min(max((display_width(h) for h in headers), default=1), inner // 2)
    value_w = inner - label_w - 3
    rule = "+" + "-" * (label_w + 2) + "+" + "-" * (value_w + 2) + "+"
    full_rule = "+" + "-" * (inner + 2) + "+"
    lines = [full_rule, *(_wide_line(t, inner) for x in top for t in _wrap(x, inner))]
    for cells in body:
        title = " / ".join(cells[i].text for i in keys)
        lines += [full_rule, *(_wide_line(t, inner) for t in _wrap(title, inner)), rule]
        for i, header in enumerate(headers):
            if i in keys:
                continue
            label = _cut(header, label_w)
            value = DisplayCell(_cut(cells[i].text, value_w), True, cells[i].flag)
            lines.append(_line([DisplayCell(label, False), value], [label_w, value_w], color))
    lines.append(full_rule)
    if bottom:
        lines += [*(_wide_line(t, inner) for x in bottom for t in _wrap(x, inner)), full_rule]
    return "\n".join(lines) + "\n"


def _fits(text: str, limit: int) -> bool:
    return all(display_width(line) <= limit for line in text.splitlines())


def _wrap(text: str, width: int) -> list[str]:
    """Text cut into lines of at most `width` cells, at spaces where it can be."""
    lines: list[str] = []
    line = ""
    for token in re.split(r"(?<= )", text):
        if display_width(line + token.rstrip()) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for char in token:
            if display_width(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    return [*lines, line.rstrip()] if line.strip() or not lines else lines


def _cut(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for char in text:
        if display_width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _line(cells: Sequence[DisplayCell], widths: Sequence[int], color: bool) -> str:
    parts = []
    for cell, width in zip(cells, widths, strict=True):
        text = _pad(cell.text, width, cell.numeric)
        if color and cell.flag is TargetFlag.MISSED:
            text = f"{RED}{text}{RESET}"
        parts.append(text)
    return "| " + " | ".join(parts) + " |"


def _wide_line(text: str, inner: int) -> str:
    return "| " + _pad(text, inner, right=False) + " |"
