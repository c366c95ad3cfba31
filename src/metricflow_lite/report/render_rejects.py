"""Rejected seed lines as a terminal table, CSV or JSON (`mfl rejects`)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Protocol

from metricflow_lite.report.escaping import spreadsheet_text
from metricflow_lite.report.query_table import render_table

HEADERS = ("file", "line", "reason", "raw_text")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # escapes in a line must not drive the terminal
SHOWN = 60  # characters of a line's text in the terminal table


class Reject(Protocol):
    """A rejected line as raw._rejects holds it (seeds.rejects.Reject)."""

    @property
    def table(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def raw_text(self) -> str: ...


def render_rejects(rejects: Sequence[Reject], fmt: str) -> str:
    """`fmt` is table, csv or json; csv and json keep the raw text whole (in csv, behind a `'`
    where a spreadsheet would take it for a formula)."""
    if fmt == "json":
        return json.dumps(
            [{"table": r.table, **dict(zip(HEADERS, _values(r), strict=True))} for r in rejects],
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "csv":
        # Opened in a spreadsheet (`mfl rejects --format csv > rejects.csv`), a rejected line
        # of a hostile export (=cmd|'/c calc'!A1) would run as a formula: text keeps its
        # characters behind a leading ' there, as in report CSVs.
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("table", *HEADERS))
        writer.writerows(
            (spreadsheet_text(r.table), spreadsheet_text(r.file), r.line)
            + (spreadsheet_text(r.reason), spreadsheet_text(r.raw_text))
            for r in rejects
        )
        return out.getvalue()
    if not rejects:
        return "no rejected lines"
    rows = [
        (
            r.file,
            f"{r.line:,}",
            CONTROL.sub(" ", r.reason),
            _shorten(CONTROL.sub(" ", r.raw_text)),
        )
        for r in rejects
    ]
    table = render_table(HEADERS, rows, (False, True, False, False))
    return f"{table}\n{len(rejects):,} rejected line{'s' * (len(rejects) != 1)}"


def _values(reject: Reject) -> tuple[str, int, str, str]:
    return (reject.file, reject.line, reject.reason, reject.raw_text)


def _shorten(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
