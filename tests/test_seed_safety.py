"""Loading that keeps data safe and values honest (issue #21, the load side): one test per
finding, named after it."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_load import make_project, query, seed, statuses

from metricflow_lite.cli import cli
from metricflow_lite.errors import MflError
from metricflow_lite.seeds.load import LoadStatus, load_seeds
from metricflow_lite.spec.project import load_project
from metricflow_lite.warehouse.duckdb import DuckDBWarehouse


def refresh(root: Path, **options: bool) -> None:
    project = load_project(root)
    warehouse = DuckDBWarehouse.open(project, project.target())
    try:
        load_seeds(project, warehouse, full_refresh=True, **options)
    finally:
        warehouse.close()


def test_full_refresh_is_not_atomic_a_broken_file_no_longer_drops_tables(tmp_path: Path) -> None:
    """One unreadable file (a truncated gzip) used to leave every table dropped."""
    root = make_project(
        tmp_path,
        {
            "seeds/agents.csv": "agent_id\nA1\nA2\n",
            "seeds/calls/d1.csv": "leg_id\nL1\n",
            "seeds/calls/d2.csv.gz": gzip.compress(b"leg_id\nL2\nL3\n"),
            "seeds/sites.csv": "site_id\nS1\n",
        },
    )
    seed(root)
    (root / "seeds/calls/d2.csv.gz").write_bytes(gzip.compress(b"leg_id\nL2\nL3\n")[:20])
    with pytest.raises(MflError) as caught:
        refresh(root)
    assert caught.value.code == "E107"
    assert query(root, "SELECT leg_id FROM raw.calls ORDER BY 1") == [("L1",), ("L2",), ("L3",)]
    assert query(root, "SELECT count(*) FROM raw.sites") == [(1,)]
    assert query(root, "SELECT file FROM raw._loads ORDER BY 1") == [
        ("seeds/agents.csv",),
        ("seeds/calls/d1.csv",),
        ("seeds/calls/d2.csv.gz",),
        ("seeds/sites.csv",),
    ]


def test_e108_hint_made_true_a_failed_load_keeps_the_previous_rows(tmp_path: Path) -> None:
    """The second file of a table fails in the warehouse: the first file's reload is undone
    too, and the table reads as before (E108 says so)."""
    root = make_project(
        tmp_path,
        {
            "seeds/calls/d1.csv": "leg_id,n\nL1,1\n",
            "seeds/calls/d2.csv": "leg_id,n\nL2,2\n",
            "seeds/calls.yml": "columns: {n: INTEGER}\n",
        },
    )
    seed(root)
    (root / "seeds/calls/d1.csv").write_text("leg_id,n\nL1,10\n", encoding="utf-8")
    # n now holds a number too large for the column the first file created: the insert fails
    (root / "seeds/calls.yml").write_text("columns: {n: HUGEINT}\n", encoding="utf-8")
    (root / "seeds/calls/d2.csv").write_text(f"leg_id,n\nL2,{10**30}\n", encoding="utf-8")
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E108"
    assert "keeps its earlier rows" in (caught.value.hint or "")
    assert query(root, "SELECT leg_id, n FROM raw.calls ORDER BY 1") == [("L1", 1), ("L2", 2)]


def test_timestamps_with_offsets_or_zones_convert_to_the_project_timezone(tmp_path: Path) -> None:
    """Z, +08:00 and Asia/Tokyo used to load as the same wall time; the project is in
    Asia/Shanghai (UTC+8): 09:05Z is 17:05 there, 09:05 Tokyo (UTC+9) is 08:05."""
    root = make_project(
        tmp_path,
        {
            "seeds/legs.csv": (
                "leg_id,offered_ts\n"
                "L1,2024-10-08 09:05:00Z\n"
                "L2,2024-10-08 09:05:00+08:00\n"
                "L3,2024-10-08 09:05:00 Asia/Tokyo\n"
                "L4,2024-10-08 09:05:00\n"
                "L5,2024-10-08 09:05:00 Mars/Olympus\n"
            ),
            "seeds/legs.yml": "columns: {offered_ts: TIMESTAMP}\n",
        },
    )
    (root / "metricflow_lite.yml").write_text(
        "name: t\ntimezone: Asia/Shanghai\n", encoding="utf-8"
    )
    assert statuses(seed(root)) == [("seeds/legs.csv", LoadStatus.LOADED, 4, 1)]
    assert query(root, "SELECT leg_id, offered_ts FROM raw.legs ORDER BY 1") == [
        ("L1", dt.datetime(2024, 10, 8, 17, 5)),
        ("L2", dt.datetime(2024, 10, 8, 9, 5)),
        ("L3", dt.datetime(2024, 10, 8, 8, 5)),
        ("L4", dt.datetime(2024, 10, 8, 9, 5)),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (6, "column offered_ts: 2024-10-08 09:05:00 Mars/Olympus is not a valid TIMESTAMP")
    ]


def test_project_timezone_is_validated(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "x\n1\n"})
    (root / "metricflow_lite.yml").write_text("name: t\ntimezone: Asia/Shangai\n", encoding="utf-8")
    with pytest.raises(MflError) as caught:
        load_project(root)
    assert caught.value.code == "E026"
    assert "Asia/Shanghai" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("written", "grace"),
    [("0", dt.timedelta(0)), ("'0'", dt.timedelta(0)), ("30min", dt.timedelta(minutes=30))],
)
def test_complete_grace_of_nothing_needs_no_unit(
    tmp_path: Path, written: str, grace: dt.timedelta
) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "x\n1\n"})
    (root / "metricflow_lite.yml").write_text(
        f"name: t\ntimezone: Asia/Shanghai\ncomplete_grace: {written}\n", encoding="utf-8"
    )
    assert load_project(root).complete_grace == grace


@pytest.mark.parametrize("written", ["5", "true", "1 day"])
def test_complete_grace_of_a_length_needs_its_unit(tmp_path: Path, written: str) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "x\n1\n"})
    (root / "metricflow_lite.yml").write_text(
        f"name: t\ntimezone: Asia/Shanghai\ncomplete_grace: {written}\n", encoding="utf-8"
    )
    with pytest.raises(MflError) as caught:
        load_project(root)
    assert caught.value.code == "E029"


@pytest.mark.parametrize(
    "value",
    ["4.5", "0x10", "1_000", "1e3", "12abc"],
    ids=["decimal", "hex", "underscore", "exp", "junk"],
)
def test_integer_columns_reject_decimals_hex_and_underscores(tmp_path: Path, value: str) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/legs.csv": f"leg_id,talk\nL1, 7 \nL2,{value}\nL3,-3\nL4,\n",
            "seeds/legs.yml": "columns: {talk: INTEGER}\n",
        },
    )
    assert statuses(seed(root)) == [("seeds/legs.csv", LoadStatus.LOADED, 3, 1)]
    assert query(root, "SELECT leg_id, talk FROM raw.legs ORDER BY 1") == [
        ("L1", 7),
        ("L3", -3),
        ("L4", None),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (3, f"column talk: {value} is not a valid INTEGER")
    ]


def test_integer_columns_keep_every_spelling_of_a_whole_number(tmp_path: Path) -> None:
    """Signs, spaces, leading zeros and the largest values: read as the numbers they are."""
    lines = ["+5", "007", "-0", " -12 ", "\t3", "2147483647", "-2147483648", "0"]
    body = "".join(f"L{i},{v}\n" for i, v in enumerate(lines, start=1))
    root = make_project(
        tmp_path,
        {"seeds/legs.csv": "leg_id,talk\n" + body, "seeds/legs.yml": "columns: {talk: INTEGER}\n"},
    )
    assert statuses(seed(root)) == [("seeds/legs.csv", LoadStatus.LOADED, 8, 0)]
    talk = [v for (v,) in query(root, "SELECT talk FROM raw.legs ORDER BY _line")]
    assert talk == [5, 7, 0, -12, 3, 2147483647, -2147483648, 0]


def test_integer_out_of_range_is_a_reject(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/legs.csv": "leg_id,talk\nL1,2147483648\nL2,1\n",
            "seeds/legs.yml": "columns: {talk: INTEGER}\n",
        },
    )
    assert statuses(seed(root)) == [("seeds/legs.csv", LoadStatus.LOADED, 1, 1)]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (2, "column talk: 2147483648 is not a valid INTEGER")
    ]


def test_integer_columns_of_parquet_files_reject_decimals_too(tmp_path: Path) -> None:
    """A 4.5 stored as DOUBLE, a '0x10' stored as text: rejects, not 5 and 16."""
    from test_load import legs_parquet

    root = legs_parquet(
        tmp_path,
        "SELECT * FROM (VALUES ('L1', 5.0, '7'), ('L2', 4.5, '8'), ('L3', 6.0, '0x10'))"
        " t(leg_id, talk, hold)",
        "{talk: INTEGER, hold: INTEGER}",
    )
    assert statuses(seed(root)) == [("seeds/legs.parquet", LoadStatus.LOADED, 1, 2)]
    assert query(root, "SELECT leg_id, talk, hold FROM raw.legs") == [("L1", 5, 7)]
    assert query(root, "SELECT line, reason FROM raw._rejects ORDER BY line") == [
        (2, "column talk: 4.5 is not a valid INTEGER"),
        (3, "column hold: 0x10 is not a valid INTEGER"),
    ]


@pytest.mark.parametrize("empty", [b"", b"leg_id,queue\n"], ids=["zero-bytes", "header-only"])
def test_empty_reexport_of_a_file_that_had_rows_is_refused(tmp_path: Path, empty: bytes) -> None:
    root = make_project(tmp_path, {"seeds/calls.csv": "leg_id,queue\nL1,a\nL2,b\n"})
    seed(root)
    (root / "seeds/calls.csv").write_bytes(empty)
    result = CliRunner().invoke(cli, ["seed", "--project-dir", str(root)])
    assert result.exit_code == 1
    assert "E112" in result.output and "--allow-empty" in result.output
    assert query(root, "SELECT count(*) FROM raw.calls") == [(2,)]
    result = CliRunner().invoke(cli, ["seed", "--project-dir", str(root), "--allow-empty"])
    assert result.exit_code == 0, result.output
    assert query(root, "SELECT count(*) FROM raw.calls") == [(0,)]


def test_tables_whose_names_differ_only_by_case_are_refused(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, {"seeds/CALLS.csv": "leg_id\nL1\n", "seeds/calls.csv": "leg_id\nL1\n"}
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == (
        "E114",
        "tables 'CALLS' and 'calls' differ only by case",
    )


def test_symlinks_that_leave_the_project_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "daily").mkdir(parents=True)
    (outside / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    (outside / "daily" / "d1.csv").write_text("leg_id\nL1\n", encoding="utf-8")
    (tmp_path / "project").mkdir()
    root = make_project(tmp_path / "project", {"seeds/calls.csv": "leg_id\nL1\n"})
    (root / "seeds/passwd.csv").symlink_to(outside / "passwd")
    (root / "seeds/legs").symlink_to(outside / "daily")
    # a link that stays inside the project is fine
    (root / "seeds/calls_copy.csv").symlink_to(root / "seeds/calls.csv")
    with pytest.raises(MflError) as caught:
        seed(root)
    assert sorted((d.code, d.loc.file if d.loc else "") for d in caught.value.diagnostics) == [
        ("E113", "seeds/legs"),
        ("E113", "seeds/passwd.csv"),
    ]


def test_encoding_utf16_on_a_utf8_file_is_exit_1(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/agents.csv": "agent_id,team\nA1,早班\n", "seeds/agents.yml": "encoding: utf-16\n"},
    )
    result = CliRunner().invoke(cli, ["seed", "--project-dir", str(root)])
    assert result.exit_code == 1, result.output
    assert "E115" in result.output


KILL_ROWS = 400_000


def test_kill_9_during_mfl_seed_keeps_the_previous_rows(tmp_path: Path) -> None:
    """mfl seed killed with SIGKILL while it replaces a file: the next reader sees the old rows
    or the new ones, whole, never a mix or a broken warehouse."""
    old = "leg_id,talk\n" + "".join(f"L{i},1\n" for i in range(KILL_ROWS))
    root = make_project(
        tmp_path, {"seeds/legs.csv": old, "seeds/legs.yml": "columns: {talk: INTEGER}\n"}
    )
    seed(root)
    new = "leg_id,talk\n" + "".join(f"N{i},2\n" for i in range(KILL_ROWS + 1))
    (root / "seeds/legs.csv").write_text(new, encoding="utf-8")
    wal = root / "target" / "warehouse.duckdb.wal"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mfl"), "seed", "--project-dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 60
        # the write-ahead log appears once the load's transaction writes
        while not wal.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    counts = query(root, "SELECT min(talk), max(talk), count(*) FROM raw.legs")
    loads = query(root, "SELECT rows FROM raw._loads")
    assert counts in ([(1, 1, KILL_ROWS)], [(2, 2, KILL_ROWS + 1)])
    assert loads == [(counts[0][2],)]
