"""The fast path serves the query table and `--completeness` too (issue 19): a warm run prints
what the cold one printed, byte for byte on stdout and stderr, reads the data bounds from the
warehouse on every run, and loads no compiler.

Numbers by hand from tests/fixtures/tiny/seeds/calls.csv, weeks from Monday. Week 2024-12-30:
queue A has 10 first legs, 3 never answered (L07 L08 L09: 30.0 %), 8 answered legs of
300+100+200+400+100+600+120+180 = 2000 s (aht 250 s, 4:10); queue B 4 first legs, 1 abandoned
(25.0 %), 3 answered legs of 500+250+350 = 1100 s (366.7 s, 6:07). Week 2025-01-06: A one leg
answered in 240 s (0.0 %, 4:00); L17 without a queue (NULL), not answered (100.0 %, no aht: -).
The data ends at 2025-01-06 11:00, before that week's end minus the 1 h grace: it is incomplete.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from conftest import invoke
from test_fastpath import HEAVY, mfl

from metricflow_lite.jobs import fastpath

WEEKLY = ("query", "--metrics", "offered_calls,abandonment_rate,aht", "--by", "queue")
WEEKLY = (*WEEKLY, "--grain", "week")
# Labels from `values:`, CJK (two columns each) and an escape sequence the table drops.
LABELS = '      - {name: queue, values: {A: 普通咨询, B: "VIP\\e[31m专线"}}\n'
WEEKLY_TABLE = (
    "week         queue     offered_calls  abandonment_rate   aht\n"
    "-----------  --------  -------------  ----------------  ----\n"
    "2024-12-30   普通咨询             10             30.0%  4:10\n"
    "2024-12-30   VIP专线               4             25.0%  6:07\n"
    "2025-01-06*  普通咨询              1              0.0%  4:00\n"
    "2025-01-06*  (无)                  1            100.0%     -\n"
)
WEEKLY_NOTE = "note: incomplete week: 2025-01-06\n"


@pytest.fixture
def labelled(tiny_project: Path) -> Path:
    """The tiny project with labelled queues, built."""
    metrics = tiny_project / "metrics" / "calls.yml"
    metrics.write_text(metrics.read_text().replace("      - queue\n", LABELS, 1))
    assert invoke("build", "--project-dir", str(tiny_project)).exit_code == 0
    return tiny_project


def without_marker(stderr: str) -> str:
    """stderr without the last line, which says whether the compiler was loaded."""
    return stderr.rsplit("\n", 2)[0] + "\n" if stderr.count("\n") > 1 else ""


def test_the_cold_table_is_as_counted_by_hand(labelled: Path) -> None:
    code, out, err = mfl(labelled, *WEEKLY)
    assert code == 0 and err.endswith("compiler\n"), err
    assert out == WEEKLY_TABLE
    assert without_marker(err) == WEEKLY_NOTE


@pytest.mark.parametrize(
    "args",
    [
        WEEKLY,
        ("query", "--metrics", "offered_calls,aht", "--by", "queue"),
        ("query", "--metrics", "abandonment_rate", "--grain", "day"),
        ("query", "--metrics", "offered_calls", "--by", "queue", "--grain", "month"),
        (*WEEKLY, "--format", "csv", "--completeness"),
        (*WEEKLY, "--format", "json", "--completeness"),
        ("query", "--metrics", "offered_calls", "--grain", "day", "--format", "csv"),
        (*WEEKLY, "--sql"),
        ("query", "--metrics", "offered_calls", "--grain", "day", "--where", "queue = 'Z'"),
    ],
    ids=[
        "week",
        "no-grain",
        "day",
        "month",
        "csv-complete",
        "json-complete",
        "csv",
        "sql",
        "no-rows",
    ],
)
def test_a_warm_run_prints_the_cold_run_byte_for_byte(
    labelled: Path, args: tuple[str, ...]
) -> None:
    cold = mfl(labelled, *args)
    warm = mfl(labelled, *args)
    assert cold[0] == 0 and cold[2].endswith("compiler\n"), cold[2]
    assert warm[0] == 0 and warm[2].endswith("light\n"), warm[2]
    assert warm[1] == cold[1]
    assert without_marker(warm[2]) == without_marker(cold[2])


def test_completeness_flags_the_incomplete_day(labelled: Path) -> None:
    args = ("query", "--metrics", "offered_calls", "--grain", "day", "--format", "csv")
    mfl(labelled, *args, "--completeness")
    code, out, err = mfl(labelled, *args, "--completeness")
    assert code == 0 and err.endswith("light\n"), err
    # 12-30: L01 L03-L09 (8 first legs); 12-31: L10-L13; 01-01: L14 L15; 01-06: L16 L17.
    assert out == (
        "day,offered_calls,is_complete\n"
        "2024-12-30,8,true\n"
        "2024-12-31,4,true\n"
        "2025-01-01,2,true\n"
        "2025-01-06,2,false\n"
    )
    assert without_marker(err) == "note: incomplete day: 2025-01-06\n"


def test_new_rows_move_the_marks_on_a_warm_run(labelled: Path) -> None:
    """The bounds are read on every run, never cached: a leg late on Sunday 2025-01-12 makes
    the week of 01-06 complete (23:30 is past the week's end minus the hour of grace)."""
    mfl(labelled, *WEEKLY)
    assert mfl(labelled, *WEEKLY)[1] == WEEKLY_TABLE
    key_before = fastpath.key(labelled, ["probe"])
    with duckdb.connect(str(labelled / "target" / "warehouse.duckdb")) as con:
        con.execute(
            "INSERT INTO raw.calls SELECT 'L18', 'c17', '1', 'B', 'a3', 'u10',"
            " '2025-01-12 23:30:00', '2025-01-12 23:30:05', '60', NULL, _load_id, _file, 99"
            " FROM raw.calls WHERE leg_id = 'L01'"
        )
    build = invoke("build", "--full-refresh", "--project-dir", str(labelled))
    assert build.exit_code == 0, build.output
    assert fastpath.key(labelled, ["probe"]) == key_before  # the files did not change
    code, out, err = mfl(labelled, *WEEKLY)
    assert code == 0 and err.endswith("light\n"), err
    assert out == (
        "week        queue     offered_calls  abandonment_rate   aht\n"
        "----------  --------  -------------  ----------------  ----\n"
        "2024-12-30  普通咨询             10             30.0%  4:10\n"
        "2024-12-30  VIP专线               4             25.0%  6:07\n"
        "2025-01-06  普通咨询              1              0.0%  4:00\n"
        "2025-01-06  VIP专线               1              0.0%  1:00\n"
        "2025-01-06  (无)                  1            100.0%     -\n"
    )
    assert without_marker(err) == ""
    # and the full path agrees
    cold = invoke(*WEEKLY, "--project-dir", str(labelled), "--no-indicators")
    assert "*" not in cold.stdout and "incomplete" not in cold.stderr


PROBE = (
    "import json, sys\n"
    "sys.argv = ['mfl', *sys.argv[1:]]\n"
    "from metricflow_lite.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def loaded_modules(project: Path, *args: str) -> list[str]:
    code, _, err = mfl(project, *args, script=PROBE)
    assert code == 0, err
    found: list[str] = json.loads(err.splitlines()[-1])
    return found


@pytest.mark.parametrize(
    "args", [WEEKLY, (*WEEKLY, "--format", "json", "--completeness")], ids=["table", "json"]
)
def test_a_warm_query_loads_no_compiler(labelled: Path, args: tuple[str, ...]) -> None:
    cold = loaded_modules(labelled, *args)
    assert "sqlglot" in cold and "metricflow_lite.compile.plan" in cold  # the probe sees them
    warm = loaded_modules(labelled, *args)
    heavy = [m for m in warm if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY))]
    assert heavy == []
    assert "duckdb" in warm and "metricflow_lite.jobs.fastpath" in warm


def test_a_missing_warehouse_is_explained_by_the_full_path(labelled: Path) -> None:
    mfl(labelled, *WEEKLY)
    (labelled / "target" / "warehouse.duckdb").unlink()
    code, out, err = mfl(labelled, *WEEKLY)
    assert code == 1 and out == "" and "E012" in err and err.endswith("compiler\n"), err


def test_a_warehouse_not_built_for_the_bounds_is_explained(labelled: Path) -> None:
    """The rows come from an indicator table; the bounds read src.calls, dropped here."""
    mfl(labelled, *WEEKLY)
    with duckdb.connect(str(labelled / "target" / "warehouse.duckdb")) as con:
        con.execute("DROP TABLE src.calls")
    code, _, err = mfl(labelled, *WEEKLY)
    assert code == 1 and "E312" in err and err.endswith("compiler\n"), err


ENTRY = {
    "sql": "SELECT 1 AS offered_calls",
    "note": None,
    "path": None,
    "config": {},
    "layout": {
        "formats": [["offered_calls", "integer"]],
        "value_labels": {},
        "period": None,
        "no_member": "(无)",
    },
    "grain": None,
    "span": [None, None],
    "grace_microseconds": 3_600_000_000,
    "bounds": [],
    "built": "b1",  # the definitions checksum of the build it was planned against
    "built_notes": [],  # what the answer says about that build
    "where": None,
    "built_sql": "SELECT sql_hash FROM _mfl.objects WHERE name = 'definitions'",
}


@pytest.mark.parametrize(
    "entry",
    [
        ENTRY,  # a PostgreSQL or Spark target, or an in-memory DuckDB: no file to read
        {**ENTRY, "path": "/nonexistent/warehouse.duckdb"},
        {k: v for k, v in ENTRY.items() if k != "layout"},  # an entry of an older mfl
        {k: v for k, v in ENTRY.items() if k != "span"},  # older still: no range kept
        {**ENTRY, "grain": "fortnight"},
        {**ENTRY, "built": None},  # kept by --sql: planned against no build
    ],
    ids=["no-file", "missing-file", "old-entry", "no-span", "bad-grain", "sql-only"],
)
def test_anything_unusual_takes_the_full_path(entry: dict[str, object]) -> None:
    assert fastpath.answer_query(entry, "table", False) is None


def test_a_cached_entry_renders_from_a_warehouse_file(tmp_path: Path) -> None:
    """The pieces alone: rows, bounds from their SQL text, grace and labels, on a file."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT DATE '2025-01-06' AS day, 'x' AS q, 3 AS n")
        con.execute("INSERT INTO t VALUES (DATE '2025-01-07', NULL, NULL)")
        con.execute("CREATE SCHEMA _mfl")
        con.execute("CREATE TABLE _mfl.objects AS SELECT 'definitions' AS name, 'b1' AS sql_hash")
    entry = {
        **ENTRY,
        "path": str(path),
        "sql": "SELECT day, q, n FROM t ORDER BY day",
        "layout": {
            "formats": [["n", "percent"]],
            "value_labels": {"q": {"x": "甲"}},
            "period": "day",
            "no_member": "(无)",
        },
        "grain": "day",
        # the data reaches 2025-01-07 22:30: with 2 h of grace that day is complete too
        "grace_microseconds": int(dt.timedelta(hours=2) / dt.timedelta(microseconds=1)),
        "bounds": [["t", "SELECT TIMESTAMP '2025-01-06 08:00', TIMESTAMP '2025-01-07 22:30'"]],
    }
    answer = fastpath.answer_query(entry, "table", False)
    assert answer is not None and answer.notes == ()
    assert answer.text == (
        "day         q          n\n"
        "----------  ----  ------\n"
        "2025-01-06  甲    300.0%\n"
        "2025-01-07  (无)       -\n"
    )
    # planned against another build than the one in the file: the full path plans again
    assert fastpath.answer_query({**entry, "built": "b0"}, "table", False) is None
    short = fastpath.answer_query({**entry, "grace_microseconds": 0}, "csv", True)
    assert short is not None
    assert short.notes == ("note: incomplete day: 2025-01-07",)
    assert short.text == "day,q,n,is_complete\n2025-01-06,x,3,true\n2025-01-07,,,false\n"


def test_a_15min_query_marks_the_last_quarter_hour(labelled: Path) -> None:
    """A query by 15 minutes was an internal error (no interval length for 15min). With no
    grace, the quarter hour of the last leg (L17, 2025-01-06 11:00) ends at 11:15, after the
    data: incomplete; the first (L01 at 2024-12-30 09:00; L02 is a second leg) is whole."""
    config = labelled / "metricflow_lite.yml"
    config.write_text(config.read_text() + "complete_grace: 0min\n")
    args = ("query", "--metrics", "offered_calls", "--grain", "15min", "--format", "csv")
    code, out, err = mfl(labelled, *args, "--completeness")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["15min,offered_calls,is_complete", "2024-12-30 09:00,1,true"]
    assert lines[-1] == "2025-01-06 11:00,1,false"
    assert without_marker(err) == "note: incomplete 15min: 2025-01-06 11:00\n"
    warm = mfl(labelled, *args, "--completeness")
    assert warm[1] == out and warm[2].endswith("light\n"), warm[2]
