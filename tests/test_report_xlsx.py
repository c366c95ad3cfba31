"""The Excel workbook read back with openpyxl: real numbers, formats, panes, charts, flags."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, center_table, team_report, team_table

from metricflow_lite.report import render_report
from metricflow_lite.report.frame import ReportTable
from metricflow_lite.report.render_xlsx import render_xlsx
from metricflow_lite.spec.model import Change, Grain


def read(data: bytes | str) -> Workbook:
    assert isinstance(data, bytes)
    return load_workbook(io.BytesIO(data))


def data_sheet(data: bytes | str) -> Worksheet:
    """The first grain's data sheet (the workbook opens on its summary, sheet 0)."""
    return read(data).worksheets[1]


def chart_sheet(data: bytes | str) -> Worksheet:
    """The first grain's chart sheet, beside the data sheet."""
    return read(data).worksheets[2]


def test_one_sheet_per_grain_in_one_workbook() -> None:
    week = team_table()
    day = replace(week, grain=Grain.DAY)
    book = read(render_xlsx([day, week]))
    assert book.sheetnames == ["摘要", "日报", "日报 图表", "周报", "周报 图表"]
    assert book.active is not None and book.active.title == "摘要"  # #20: opens on the summary


def test_headers_are_labels_and_cells_are_numbers_with_formats() -> None:
    sheet = data_sheet(render_report(team_table(), "xlsx"))
    assert sheet is not None
    header = [c.value for c in sheet[1]][:6]
    assert header == ["周", "班组", "呼入量", "呼入量 上期", "呼入量 环比", "呼入量 达标"]
    cells = {c.value: i for i, c in enumerate(sheet[1], start=1) if c.value}
    last = sheet.max_row  # 二组, week 2
    assert sheet.cell(last, 1).value == datetime(2026, 11, 16)
    assert sheet.cell(last, 2).value == "二组"

    def cell(label: str) -> tuple[object, str]:
        c = sheet.cell(last, cells[label])
        return c.value, c.number_format

    assert cell("呼入量") == (125, "#,##0")
    assert cell("呼入量 环比") == (0.25, "+0.0%;-0.0%;0.0%")
    assert cell("放弃率") == (0.072, "0.0%")  # a real fraction, shown 7.2%
    value, fmt = cell("放弃率 环比")
    assert value == pytest.approx(1.2) and fmt == '+0.0" pp";-0.0" pp";0.0" pp"'
    value, fmt = cell("平均处理时长")
    # an Excel time (310/86400 of a day, shown 5:10); openpyxl reads it back as a duration
    assert value == timedelta(seconds=310) and fmt == "[m]:ss"
    assert cell("平均处理时长 达标") == ("未达标", "General")  # #20: words, not TRUE/FALSE


def test_a_duration_declared_change_points_is_a_signed_time() -> None:
    """AHT with `change: points`: the change cell is seconds as an Excel time, signed."""
    metrics = {**METRICS, "aht_seconds": replace(METRICS["aht_seconds"], change=Change.POINTS)}
    change = TEAM_COLUMNS.index("aht_seconds_change")
    rows = tuple(
        (*row[:change], None if row[change] is None else row[10] - row[11], *row[change + 1 :])
        for row in TEAM_ROWS
    )
    table = ReportTable.from_rows(team_report(), metrics, Grain.WEEK, TEAM_COLUMNS, rows)
    sheet = data_sheet(render_xlsx([table]))
    assert sheet is not None
    cells = {c.value: i for i, c in enumerate(sheet[1], start=1) if c.value}
    change_cell = sheet.cell(sheet.max_row, cells["平均处理时长 环比"])  # 二组: 290 s -> 310 s
    assert change_cell.value == timedelta(seconds=20)
    assert change_cell.number_format == "+[m]:ss;-[m]:ss;[m]:ss"


def test_currency_and_blank_nulls() -> None:
    sheet = data_sheet(render_report(center_table(), "xlsx"))
    assert sheet is not None
    cells = {c.value: i for i, c in enumerate(sheet[1], start=1) if c.value}
    assert sheet.cell(3, cells["revenue"]).number_format == '"¥"#,##0.00'
    assert sheet.cell(3, cells["revenue"]).value == 1000
    assert sheet.cell(2, cells["revenue 上期"]).value is None  # NULL stays empty


def test_header_row_and_keys_are_frozen() -> None:
    team = data_sheet(render_report(team_table(), "xlsx"))
    center = data_sheet(render_report(center_table(), "xlsx"))
    assert team is not None and center is not None
    assert team.freeze_panes == "C2"  # header row, period and team columns
    assert center.freeze_panes == "B2"


def test_missed_targets_are_conditionally_formatted() -> None:
    sheet = data_sheet(render_report(team_table(), "xlsx"))
    assert sheet is not None
    rules = {
        str(rng.sqref): [r.formula for r in rule_list]
        for rng, rule_list in sheet.conditional_formatting._cf_rules.items()
    }
    # 放弃率 is column G: flagged where above its 5 % maximum
    assert rules["G2:G5"] == [["AND(ISNUMBER($G2),$G2>0.05)"]]
    # 平均处理时长 (K) compares Excel times: 300 s = 300/86400 of a day
    assert rules["K2:K5"] == [[f"AND(ISNUMBER($K2),$K2>{300 / 86400!r})"]]


def test_native_charts_are_present_beside_their_data() -> None:
    team = chart_sheet(render_report(team_table(), "xlsx"))
    center = chart_sheet(render_report(center_table(), "xlsx"))
    team_kinds = sorted(type(c).__name__ for c in team._charts)
    assert team_kinds == ["BarChart", "LineChart"]  # trend per team, bars by team
    assert [type(c).__name__ for c in center._charts] == ["LineChart"]
    # the trend's data at the top left: period, then one column per team
    assert [c.value for c in team[1]][:3] == ["周期", "一组", "二组"]
    # #20: each chart starts two columns right of its data (column D = index 3), not at AF97
    anchors = sorted((c.anchor._from.row, c.anchor._from.col) for c in team._charts)
    assert anchors[0] == (1, 4)


def test_render_workbook_is_the_entry_point_for_several_grains() -> None:
    from metricflow_lite.report import render_workbook

    week = team_table()
    book = read(render_workbook([replace(week, grain=Grain.MONTH), week]))
    assert book.sheetnames == [
        "摘要",
        "月报",
        "月报 图表",
        "周报",
        "周报 图表",
    ]


def test_summary_sheet_first_with_each_grains_headline() -> None:
    """#20: the workbook opens on 摘要: the period in focus and each metric's value and flag."""
    totals = [(r[0], *r[2:]) for r in TEAM_ROWS if r[1] == "二组"]  # stand-in whole-team rows
    table = ReportTable.from_rows(
        team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS, totals=totals
    )
    book = read(render_xlsx([table]))
    summary = book.worksheets[0]
    assert summary.title == "摘要" and book.active is not None and book.active.title == "摘要"
    rows = [tuple(c.value for c in row) for row in summary.iter_rows()]
    assert rows[0][0] == "班组运营报表"
    assert ("指标", "本期", "目标", "达标", "环比", "同比") in rows
    by_metric = {r[0]: r for r in rows if r[0] in ("呼入量", "放弃率")}
    assert by_metric["呼入量"][1] == 125 and by_metric["呼入量"][4] == 0.25
    assert by_metric["放弃率"][1:4] == (0.072, "≤ 5.0%", "未达标")


def test_every_sheet_prints_on_a4_landscape_one_page_wide() -> None:
    book = read(render_report(team_table(), "xlsx"))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.paperSize == 9, sheet.title  # A4
        # fit to pages: one wide (fitToWidth's default, 1), as many tall as it takes (0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert book.worksheets[1].print_title_rows == "$1:$1"  # the header row on every page


def test_total_rows_follow_the_data_with_the_total_views_values() -> None:
    totals = [(r[0], *r[2:]) for r in TEAM_ROWS if r[1] == "一组"]
    table = ReportTable.from_rows(
        team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS, totals=totals
    )
    sheet = read(render_xlsx([table])).worksheets[1]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[1] == "合计" and last[2] == 400  # from the _total rows, not a sum of teams
    header = [c.value for c in sheet[1]]
    assert header[-1] == "完整"
