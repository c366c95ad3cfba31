"""Terminal, Markdown and CSV renderings of hand-made report tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_tables import center_table, team_table

from metricflow_lite.cli import cli
from metricflow_lite.errors import MflError
from metricflow_lite.report import render_report
from metricflow_lite.report.formatting import display_width
from metricflow_lite.report.render_terminal import render_terminal


def test_terminal_lines_all_have_the_same_display_width() -> None:
    """Chinese labels take two cells each: padding by len() would skew every column."""
    for table in (team_table(), center_table()):
        text = render_report(table, "table")
        assert isinstance(text, str)
        lines = text.rstrip("\n").split("\n")
        assert len({display_width(line) for line in lines}) == 1, text
        assert len({len(line) for line in lines}) > 1  # CJK lines are shorter in characters


def test_terminal_table_reads_like_the_report() -> None:
    text = render_terminal(team_table())
    lines = text.splitlines()
    assert "班组运营报表 (team_overview) - 周 2026-11-16 ~ 11-22" in lines[1]
    header = lines[3]
    assert header.split("|")[1:4] == [" 班组 ", " 呼入量 ", " 呼入量 环比 "]
    # 二组: 125 calls (+25 %), 7.2 % abandoned (missed, +1.2 pp), AHT 5:10 (missed)
    second = next(line for line in lines if "二组" in line)
    cells = [c.strip() for c in second.strip("|").split("|")]
    assert cells == ["二组", "125", "+25.0%", "7.2% ✗", "+1.2 pp", "5:10 ✗", "+6.9%"]
    assert "✗ 未达标" in text and "missed target" not in text  # #20: no English in zh-CN


def test_terminal_numbers_are_right_aligned() -> None:
    lines = render_terminal(team_table()).splitlines()
    first, second = (next(ln for ln in lines if team in ln) for team in ("一组", "二组"))
    # "400" and "125" end at the same column
    assert first.index("400") == second.index("125")


def test_terminal_color_marks_missed_values_red() -> None:
    text = render_terminal(team_table(), color=True)
    assert "\x1b[31m" in text and "7.2% ✗" in text
    assert "\x1b[" not in render_terminal(team_table())


def test_markdown_table() -> None:
    text = render_report(center_table(), "md")
    assert text == (
        "### 运营日报 (center_daily) - 日 2026-11-16\n"
        "\n"
        "| 日 | 呼入量 | 呼入量 环比 | 放弃率 | 放弃率 环比 | revenue | revenue 环比 |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        "| 2026-11-16 | 1,125 | +12.5% | 7.0% ✗ | +2.0 pp | ¥1,000.00 | -19.0% |\n"
        "| 2026-11-15 | 1,000 | - | 5.0% | - | ¥1,234.50 | - |\n"
        "\n"
        "✗ 未达标\n"
    )


def test_a_null_member_is_named_not_shown_as_a_missing_number() -> None:
    # Calls of an agent without a team version at the time have team NULL: their row read
    # "| - | 3 |", the mark of a missing value, and its bar was labelled "-".
    from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, team_report

    from metricflow_lite.report.frame import ReportTable
    from metricflow_lite.spec.model import Grain

    rows = (*TEAM_ROWS[:3], (TEAM_ROWS[3][0], None, *TEAM_ROWS[3][2:]))
    for locale, member in (("zh-CN", "(无)"), ("en", "(none)")):
        table = ReportTable.from_rows(
            team_report(), METRICS, Grain.WEEK, TEAM_COLUMNS, rows, locale=locale
        )
        md = render_report(table, "md")
        assert f"| {member} | 125 |" in md and "| - | 125 |" not in md
        assert f">{member}<" in str(render_report(table, "html"))
    text = render_report(table, "csv")
    assert isinstance(text, str) and "2026-11-16,,125," in text  # csv keeps the code: empty


def test_markdown_escapes_pipes_in_labels() -> None:
    from dataclasses import replace

    from report_tables import METRICS, TEAM_COLUMNS, TEAM_ROWS, team_report

    from metricflow_lite.report.frame import ReportTable
    from metricflow_lite.spec.model import Grain

    metrics = dict(METRICS, offered_calls=replace(METRICS["offered_calls"], label="呼入|量"))
    table = ReportTable.from_rows(team_report(), metrics, Grain.WEEK, TEAM_COLUMNS, TEAM_ROWS)
    header = render_report(table, "md").splitlines()[2]
    assert "| 呼入\\|量 |" in header


def test_csv_has_machine_names_raw_numbers_and_iso_dates() -> None:
    text = render_report(team_table(), "csv")
    assert isinstance(text, str)
    assert text.startswith("\ufeff")  # a BOM, so that Excel reads UTF-8 (DESIGN-2 §6)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows[0][:4] == ["week", "team", "offered_calls", "offered_calls_prev"]
    assert len(rows) == 1 + 4  # every period, not just the one in focus
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert last["week"] == "2026-11-16"
    assert last["abandonment_rate"] == "0.072"  # a fraction, not "7.2%"
    assert float(last["aht_seconds_change"]) == 20 / 290  # full precision
    assert last["aht_seconds_target_met"] == "false"
    assert last["offered_calls_target_met"] == ""  # NULL


def test_unknown_format_is_a_user_error_with_a_suggestion() -> None:
    with pytest.raises(MflError) as caught:
        render_report(team_table(), "xslx")
    assert caught.value.code == "E603"
    assert caught.value.hint == "did you mean 'xlsx'?"


@pytest.mark.parametrize("width", [120, 80, 60, 40, 24])
def test_terminal_table_fits_the_width_without_wrapping(width: int) -> None:
    """#20: a table wider than the terminal is split or transposed, never left to wrap."""
    table = team_table()
    whole = render_terminal(table)
    text = render_terminal(table, width=width)
    assert all(display_width(line) <= width for line in text.splitlines()), text
    if display_width(whole.splitlines()[0]) <= width:
        assert text == whole  # a table that fits is left alone
    # every value is still there: 二组's 125 calls, its missed 7.2 % and its AHT 5:10
    for value in ("125", "7.2% ✗", "5:10 ✗", "+6.9%"):
        assert value in text, (width, value)


def test_terminal_split_repeats_the_key_columns() -> None:
    # 89 cells wide whole; at 50 each metric (value and 环比) is a table of its own, each with
    # the 班组 column, the caption over the first and the legend under the last
    text = render_terminal(team_table(), width=50)
    assert [line for line in text.splitlines() if line.startswith("| (") and "/3)" in line] == [
        "| (1/3)                       |",
        "| (2/3)                       |",
        "| (3/3)                                   |",
    ]
    assert text.count("| 班组 |") == 3 and text.count("| 二组 |") == 3
    assert text.index("班组运营报表") < text.index("(1/3)") and text.rstrip().endswith(
        "+-----------------------------------------+"
    )
    assert text.index("✗ 未达标") > text.index("(3/3)")


def test_terminal_transposes_when_one_metric_does_not_fit() -> None:
    text = render_terminal(team_table(), width=24)
    assert "| 二组" in text and "| 呼入量" in text  # one block per team, a line per column
    assert all(display_width(line) == 24 for line in text.splitlines()), text


def test_report_cli_fits_columns(tiny_project: Path) -> None:
    result = CliRunner(env={"COLUMNS": "50"}).invoke(
        cli, ["report", "queue_daily", "--project-dir", str(tiny_project)]
    )
    assert result.exit_code == 0, result.output
    assert all(display_width(line) <= 50 for line in result.output.splitlines()), result.output
