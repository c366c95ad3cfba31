"""Real exports on every engine: a GBK folder of overlapping exports with Chinese headers and a
natural key, an .xlsx with a title row; a full refresh with a build present (PostgreSQL used to
fail with DependentObjectsStillExist), a moved export, latest versions per key."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import typing as t
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from conftest import FIXTURES, invoke
from test_engines import (  # noqa: F401 - fixtures
    ENGINES,
    TARGET_OF,
    own_database,
    postgres_dsn,
    raw_rows,
    spark_session,
    targets_yaml,
)

from metricflow_lite.compile.layers import latest_versions

ACD_YML = """encoding: gbk
natural_key: [call_no]
columns:
  call_no: {from: 通话编号}
  agent_id: {from: 坐席工号}
  offered_ts: {from: 来电时间, type: timestamp, format: "%Y/%m/%d %H:%M"}
  talk_seconds: {from: 通话时长(秒), type: integer}
"""
DAY_8 = (
    "通话编号,坐席工号,来电时间,通话时长(秒)\n"
    "C1,A1,2024/10/8 9:05,120\n"
    "C2,A2,2024/10/8 9:30,4.5\n"
    "C3,A1,2024/10/8 10:00,60\n"
)
# the 10th's export repeats C3 with a corrected duration
DAY_10 = (
    "通话编号,坐席工号,来电时间,通话时长(秒)\nC3,A1,2024/10/8 10:00,66\nC4,A2,2024/10/10 8:00,30\n"
)


@pytest.fixture
def export_project(tmp_path: Path, monkeypatch: Any, request: Any) -> t.Callable[[str], Path]:
    def make(engine: str) -> Path:
        project = tmp_path / "exports"
        shutil.copytree(FIXTURES / "tiny", project, ignore=shutil.ignore_patterns("target"))
        (project / "metricflow_lite.yml").write_text(targets_yaml(project, "monday"))
        seeds = project / "seeds"
        (seeds / "acd").mkdir()
        (seeds / "acd" / "2024-10-8.csv").write_bytes(DAY_8.encode("gbk"))
        (seeds / "acd" / "2024-10-10.csv").write_bytes(DAY_10.encode("gbk"))
        (seeds / "acd.yml").write_text(ACD_YML, encoding="utf-8")
        book = xlsxwriter.Workbook(str(seeds / "roster.xlsx"))
        sheet = book.add_worksheet("坐席名单")
        sheet.write_row(0, 0, ["坐席名单 (导出于 2024-10-09)"])
        sheet.write_row(1, 0, ["坐席工号", "姓名", "入职日期"])
        sheet.write_row(2, 0, ["A1", "张三", 45292])  # serial 45292 = 2024-01-01
        sheet.write_row(3, 0, ["A2", "李四", "不详"])
        book.close()
        (seeds / "roster.yml").write_text(
            "header_row: 2\ncolumns: {agent_id: {from: 坐席工号}, name: {from: 姓名},"
            " hired: {from: 入职日期, type: date}}\n",
            encoding="utf-8",
        )
        if engine == "postgres":
            own_database(request.getfixturevalue("postgres_dsn"), monkeypatch)
        elif engine == "spark":
            request.getfixturevalue("spark_session")
        return project

    return make


def latest(project: Path, engine: str) -> list[tuple[Any, ...]]:
    dialect = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}[engine]
    subquery = latest_versions("acd", ("call_no",)).sql(dialect)
    return raw_rows(
        project, engine, f"SELECT call_no, talk_seconds FROM {subquery} AS l ORDER BY call_no"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_exports_on_every_engine(engine: str, export_project: Any) -> None:
    project = export_project(engine)
    target = ("--project-dir", str(project), "--target", TARGET_OF[engine])
    first = invoke("seed", *target)
    assert first.exit_code == 0, first.output
    assert "acd/2024-10-8.csv   2 rows loaded, 1 rejected" in first.output
    assert "raw.acd: 1 row superseded" in first.output
    assert raw_rows(
        project,
        engine,
        "SELECT call_no, offered_ts, talk_seconds, _line FROM raw.acd ORDER BY _load_id, _line",
    ) == [
        ("C1", dt.datetime(2024, 10, 8, 9, 5), 120, 2),
        ("C3", dt.datetime(2024, 10, 8, 10, 0), 60, 4),
        ("C3", dt.datetime(2024, 10, 8, 10, 0), 66, 2),
        ("C4", dt.datetime(2024, 10, 10, 8, 0), 30, 3),
    ]
    assert latest(project, engine) == [("C1", 120), ("C3", 66), ("C4", 30)]
    assert raw_rows(project, engine, "SELECT agent_id, name, hired, _line FROM raw.roster") == [
        ("A1", "张三", dt.date(2024, 1, 1), 3)
    ]
    rejects = "SELECT file, line, reason FROM raw._rejects ORDER BY file, line"
    assert raw_rows(project, engine, rejects) == [
        ("seeds/acd/2024-10-8.csv", 3, "column talk_seconds: 4.5 is not a valid INTEGER"),
        ("seeds/roster.xlsx", 4, "column hired: 不详 is not a valid DATE"),
    ]
    built = invoke("build", *target)
    assert built.exit_code == 0, built.output
    # with the build's views reading raw.*: a full refresh reloads, all or nothing per table
    refreshed = invoke("seed", "--full-refresh", *target)
    assert refreshed.exit_code == 0, refreshed.output
    assert raw_rows(project, engine, "SELECT count(*) FROM raw.acd") == [(4,)]
    assert raw_rows(project, engine, "SELECT count(*) FROM raw.calls") == [(17,)]
    assert invoke("build", *target).exit_code == 0
    # the 10th's export moved into an archive name: relabelled, nothing doubled
    acd = project / "seeds" / "acd"
    (acd / "2024-10-10.csv").rename(acd / "2024-10-10-archived.csv")
    moved = invoke("seed", *target)
    assert moved.exit_code == 0, moved.output
    assert "moved from acd/2024-10-10.csv" in moved.output
    assert raw_rows(project, engine, "SELECT DISTINCT _file FROM raw.acd ORDER BY 1") == [
        ("seeds/acd/2024-10-10-archived.csv",),
        ("seeds/acd/2024-10-8.csv",),
    ]
    assert latest(project, engine) == [("C1", 120), ("C3", 66), ("C4", 30)]


XLS_YML = """sheet: 明细
header_row: 3
columns:
  call_no: {from: 通话编号}
  skill: {from: 技能组}
  agent_id: {from: 坐席工号}
  call_date: {from: 通话日期, type: date}
  offered_ts: {from: 来电时间, type: timestamp}
  talk_seconds: {from: 通话时长(秒), type: integer}
"""


def write_legacy_xls(path: Path) -> None:
    """A legacy Excel 97-2003 (BIFF8) workbook as an old ACD exports it: a notes sheet first,
    then 明细 with a title merged across the columns, an export date, the header on row 3,
    a skill merged down two rows (Excel keeps it in the first row's cell only; it holds for
    both), times as bare serials and
    as date-formatted cells, a blank row."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("说明").write(0, 0, "本文件由 ACD 系统导出")
    sheet = book.add_sheet("明细")
    when = xlwt.easyxf(num_format_str="yyyy/m/d h:mm")
    sheet.write_merge(0, 0, 0, 5, "通话明细报表")  # row 1
    sheet.write(1, 0, "导出时间：2024-10-09 08:00")  # row 2
    for c, name in enumerate(
        ("通话编号", "技能组", "坐席工号", "通话日期", "来电时间", "通话时长(秒)")
    ):
        sheet.write(2, c, name)  # row 3
    sheet.write_merge(3, 4, 1, 1, "热线")  # rows 4-5: one skill for two calls
    rows: list[tuple[int, list[object]]] = [
        (3, ["C1", None, "A1", 45573, 45573 + (9 * 60 + 5) / 1440, 120]),
        (4, ["C2", None, "A2", 45573, dt.datetime(2024, 10, 8, 9, 30), 45.0]),
        (5, ["C3", "在线客服", "A1", 45574, 45574.5, 4.5]),  # row 6: not a whole number
        # row 7 blank
        (7, ["C4", "在线客服", "A3", 45574, "昨天", 30]),  # row 8: not a time
        (8, ["C5", "在线客服", "A2", 45575, 45575 + 86399 / 86400, 0]),  # row 9
    ]
    for r, values in rows:
        for c, value in enumerate(values):
            if isinstance(value, dt.datetime):
                sheet.write(r, c, value, when)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


@pytest.mark.parametrize("engine", ENGINES)
def test_legacy_xls_on_every_engine(engine: str, export_project: Any) -> None:
    project = export_project(engine)
    seeds = project / "seeds"
    write_legacy_xls(seeds / "acd_legacy.xls")
    assert (seeds / "acd_legacy.xls").read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # OLE2
    (seeds / "acd_legacy.yml").write_text(XLS_YML, encoding="utf-8")
    target = ("--project-dir", str(project), "--target", TARGET_OF[engine])
    seeded = invoke("seed", *target)
    assert seeded.exit_code == 0, seeded.output
    # 6 sheet rows below the header: 3 loaded + 2 rejected + 1 blank
    assert re.search(r"acd_legacy.xls +3 rows loaded, 2 rejected", seeded.output), seeded.output
    # serials are days since 1899-12-30: 45573 = 2024-10-08; 45573 + 545/1440 = 09:05;
    # 45575 + 86399/86400 = 2024-10-10 23:59:59
    assert raw_rows(
        project,
        engine,
        "SELECT call_no, skill, agent_id, call_date, offered_ts, talk_seconds, _line"
        " FROM raw.acd_legacy ORDER BY _line",
    ) == [
        ("C1", "热线", "A1", dt.date(2024, 10, 8), dt.datetime(2024, 10, 8, 9, 5), 120, 4),
        ("C2", "热线", "A2", dt.date(2024, 10, 8), dt.datetime(2024, 10, 8, 9, 30), 45, 5),
        (
            "C5",
            "在线客服",
            "A2",
            dt.date(2024, 10, 10),
            dt.datetime(2024, 10, 10, 23, 59, 59),
            0,
            9,
        ),
    ]
    rejects = (
        "SELECT file, line, reason, raw_text FROM raw._rejects"
        " WHERE file = 'seeds/acd_legacy.xls' ORDER BY line"
    )
    assert raw_rows(project, engine, rejects) == [
        (
            "seeds/acd_legacy.xls",
            6,
            "column talk_seconds: 4.5 is not a valid INTEGER",
            "C3,在线客服,A1,2024-10-09,2024-10-09 12:00:00,4.5",
        ),
        (
            "seeds/acd_legacy.xls",
            8,
            "column offered_ts: 昨天 is not a valid TIMESTAMP",
            "C4,在线客服,A3,2024-10-09,昨天,30",
        ),
    ]
    listed = invoke("rejects", "acd_legacy", "--format", "json", *target)
    assert listed.exit_code == 0, listed.output
    assert [(r["file"], r["line"]) for r in json.loads(listed.output)] == [
        ("seeds/acd_legacy.xls", 6),
        ("seeds/acd_legacy.xls", 8),
    ]
