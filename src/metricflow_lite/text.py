"""Query rows out of mfl as text: CSV, JSON, and the aligned table with each metric's format,
dimension values by their labels and incomplete periods marked.

It imports no compiler, so the CLI's fast path (jobs/fastpath.py) renders a cached query
byte for byte as the full path does; report/formatting.py, report/escaping.py and
report/query_table.py re-export what they share with the reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from wcwidth import wcswidth

from metricflow_lite.spec.kinds import Format

NULL_TEXT = "-"
NULL_CELL = "(null)"  # a NULL dimension value in the query table
INCOMPLETE_MARK = "*"

Cell = dt.date | str | int | float | bool | None


def assert_never(value: NoReturn) -> NoReturn:
    """Exhaustive Enum matches (typing.assert_never is 3.11+; we support 3.10)."""
    raise AssertionError(f"unhandled value: {value!r}")


def display_width(text: str) -> int:
    """Terminal columns a string takes (CJK characters two, combining marks zero)."""
    width = wcswidth(text)
    return int(width) if width >= 0 else len(text)


# ESC-introduced sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, two-byte `ESC x`),
# their 8-bit C1 forms, then any other C0/C1 control character and DEL.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, to BEL or ST (or the end)
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[ -~]?"  # any other escape
)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """Text that prints as itself: escape sequences and control characters removed, line
    breaks and tabs as one space (a cell stays on its line)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    return _CONTROL.sub("", text)


def as_number(value: Cell) -> float | None:
    """A cell as a float; None for NULL, NaN, booleans and text."""
    if value is None or isinstance(value, bool | str | dt.date):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def format_value(value: Cell, fmt: Format) -> str:
    """A metric value as text: `5.2%`, `4:32`, `12,345`, `1,234.57`, `¥1,234.50`; NULL -> `-`."""
    number = as_number(value)
    if number is None:
        return NULL_TEXT
    match fmt:
        case Format.PERCENT:
            return _signless(f"{number * 100:.1f}") + "%"
        case Format.DURATION:
            return format_duration(number)
        case Format.INTEGER:
            return _signless(f"{number:,.0f}")
        case Format.NUMBER:
            return _signless(f"{number:,.2f}")
        case Format.CURRENCY:
            text = _signless(f"{abs(number):,.2f}")
            return f"-¥{text}" if number < 0 and text.strip("0.,") else f"¥{text}"
        case _:
            assert_never(fmt)


def format_duration(seconds: float) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour on; negative with a leading `-`."""
    total = round(abs(seconds))
    sign = "-" if seconds < 0 and total else ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def _signless(text: str) -> str:
    """`-0.0` as `0.0`: a value that rounds to zero carries no sign."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def plain_value(value: Any) -> Any:
    """A JSON/CSV-ready value: ISO dates, full-precision numbers."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else value


def render_result(columns: Sequence[str], result_rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """Rows as csv or json (machine formats: codes, full precision, ISO dates)."""
    rows = [[plain_value(v) for v in row] for row in result_rows]
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    if fmt != "csv":
        raise ValueError(f"not a row format: {fmt}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] = ()
) -> str:
    """An aligned plain-text table; numbers right-aligned, CJK text measured by display width.

    Every cell is made terminal-safe: escape sequences and control characters from the data
    never reach the terminal, and a line break cannot split a row.
    """
    headers = [terminal_text(h) for h in headers]
    rows = [[terminal_text(c) for c in row] for row in rows]
    right = list(numeric) + [False] * (len(headers) - len(numeric))
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    lines = ["  ".join(pad(h, widths[i], right[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(pad(c, widths[i], right[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class QueryLayout:
    """How the query table shows a query's rows, as plain data (the CLI's cache keeps it):
    each asked metric's format, the labels `values:` gives dimension codes, the period column."""

    formats: Mapping[str, Format]  # the metrics asked for, in their order
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    period: str | None = None  # the grain's column, marked `*` where incomplete
    no_member: str = NULL_CELL  # a NULL dimension value, in the project's locale

    def to_data(self) -> dict[str, Any]:
        """The layout as JSON-ready data (`from_data` reads it back)."""
        return {
            "formats": [[name, fmt.value] for name, fmt in self.formats.items()],
            "value_labels": {dim: dict(codes) for dim, codes in self.value_labels.items()},
            "period": self.period,
            "no_member": self.no_member,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> QueryLayout:
        """A layout from `to_data`'s data (KeyError or ValueError when it is not one)."""
        formats = {str(name): Format(fmt) for name, fmt in data["formats"]}
        labels = {
            str(dim): {str(code): str(label) for code, label in codes.items()}
            for dim, codes in data["value_labels"].items()
        }
        period = data["period"]
        return cls(formats, labels, None if period is None else str(period), str(data["no_member"]))


def render_query_rows(
    columns: Sequence[str],
    result_rows: Sequence[Sequence[Any]],
    fmt: str,
    layout: QueryLayout,
    complete: Sequence[bool] | None = None,
) -> str:
    """Query rows as table, csv or json.

    The table shows dimension values by their labels (`values:`) and marks an incomplete period
    with `*`; csv and json keep the codes, and carry `is_complete` when `complete` is given.
    """
    rows = [[plain_value(v) for v in row] for row in result_rows]
    if fmt in ("csv", "json"):
        names = list(columns)
        if complete is not None:
            names.append("is_complete")
            rows = [[*row, flag] for row, flag in zip(rows, complete, strict=True)]
        return render_result(names, rows, fmt)
    cells = []
    for n, row in enumerate(rows):
        line = []
        for name, value in zip(columns, row, strict=True):
            if name in layout.formats:
                line.append(format_value(value, layout.formats[name]))
            elif value is None:
                line.append(layout.no_member)
            else:
                text = layout.value_labels.get(name, {}).get(str(value), str(value))
                if name == layout.period and complete is not None and not complete[n]:
                    text += INCOMPLETE_MARK
                line.append(text)
        cells.append(line)
    numeric = [name in layout.formats for name in columns]
    return render_table(columns, cells, numeric)


def incomplete_periods(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    period: str | None,
    complete: Sequence[bool] | None,
    range_label: str | None = None,
) -> tuple[str, ...]:
    """The periods (as text, sorted, once each) of the rows not marked complete; without a
    period column, the query's range (`range_label`) when its rows are not complete."""
    if complete is None:
        return ()
    if period is None or period not in columns:
        return (range_label,) if range_label is not None and not all(complete) else ()
    at = list(columns).index(period)
    flagged = zip(rows, complete, strict=True)
    return tuple(sorted({str(plain_value(r[at])) for r, ok in flagged if not ok}))


def no_rows_note(where: str | None, rows: Sequence[object]) -> str | None:
    """The stderr note for a filtered query that found nothing: a value mistyped in --where
    (or a label where the data has codes) would otherwise read as an empty table."""
    if rows or not where:
        return None
    return f"note: no rows match --where {where}"


def incomplete_note(grain: str | None, periods: Sequence[str]) -> str:
    """The stderr note that names a query's incomplete periods (without a grain: its range)."""
    return f"note: incomplete {grain or 'range'}: {', '.join(periods)}"
