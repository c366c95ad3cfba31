"""mfl seed, the raw layer: what lands in raw.<table>, raw._rejects and raw._loads."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import duckdb
import pytest

from metricflow_lite.errors import MflError
from metricflow_lite.seeds.load import LoadStatus, LoadSummary, load_seeds
from metricflow_lite.spec.project import load_project
from metricflow_lite.warehouse.duckdb import DuckDBWarehouse


def make_project(root: Path, files: dict[str, str | bytes]) -> Path:
    (root / "metricflow_lite.yml").write_text("name: test_center\n", encoding="utf-8")
    (root / "seeds").mkdir(exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def seed(root: Path, *, full_refresh: bool = False, prune: bool = False) -> LoadSummary:
    project = load_project(root)
    warehouse = DuckDBWarehouse.open(project, project.target())
    try:
        return load_seeds(project, warehouse, full_refresh=full_refresh, prune=prune)
    finally:
        warehouse.close()


def query(root: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(root / "target" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def statuses(summary: LoadSummary) -> list[tuple[str, LoadStatus, int, int]]:
    return [(r.file, r.status, r.rows, r.rejected) for r in summary.results]


def legs_parquet(root: Path, rows: str, columns: str) -> Path:
    """A project whose seeds/legs.parquet holds the rows of `rows` (a SELECT) and whose
    seeds/legs.yml declares `columns` (a YAML mapping of column types)."""
    project = make_project(root, {})
    with duckdb.connect() as con:
        con.execute(f"COPY ({rows}) TO '{project / 'seeds' / 'legs.parquet'}' (FORMAT parquet)")
    (project / "seeds/legs.yml").write_text(f"columns: {columns}\n", encoding="utf-8")
    return project


CALLS = (
    "leg_id,queue,talk_seconds\n"  # line 1
    "L1,sales,30\n"  # 2
    "L2,sales,abc\n"  # 3: not an integer
    "L3,support\n"  # 4: a column short
    "L4,support,45\n"  # 5
    "L5,support,12,extra\n"  # 6: a column too many
    "L6,billing,60\n"  # 7
)


def test_declared_types_rejects_with_lines_and_reasons(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/calls.csv": CALLS, "seeds/calls.yml": "columns:\n  talk_seconds: INTEGER\n"},
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/calls.csv", LoadStatus.LOADED, 3, 3)]
    # 6 data lines (7 lines minus the header) = 3 loaded + 3 rejected
    assert summary.rows + summary.rejected == CALLS.count("\n") - 1
    assert query(root, "SELECT leg_id, queue, talk_seconds, _file, _line FROM raw.calls") == [
        ("L1", "sales", 30, "seeds/calls.csv", 2),
        ("L4", "support", 45, "seeds/calls.csv", 5),
        ("L6", "billing", 60, "seeds/calls.csv", 7),
    ]
    assert query(root, "SELECT file, line, raw_text, reason FROM raw._rejects ORDER BY line") == [
        ("seeds/calls.csv", 3, "L2,sales,abc", "column talk_seconds: abc is not a valid INTEGER"),
        ("seeds/calls.csv", 4, "L3,support", "expected 3 columns, found 2"),
        ("seeds/calls.csv", 6, "L5,support,12,extra", "expected 3 columns, found 4"),
    ]
    types = dict(
        query(
            root,
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name = 'calls'",
        )
    )
    assert types == {
        "leg_id": "VARCHAR",  # undeclared: raw stays raw
        "queue": "VARCHAR",
        "talk_seconds": "INTEGER",
        "_load_id": "BIGINT",
        "_file": "VARCHAR",
        "_line": "BIGINT",
    }
    assert query(root, "SELECT table_name, file, rows, rejected FROM raw._loads") == [
        ("calls", "seeds/calls.csv", 3, 3)
    ]


def test_second_load_of_unchanged_files_is_a_no_op(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/calls.csv": CALLS})
    seed(root)
    before = query(root, "SELECT * FROM raw.calls ORDER BY _line")
    again = seed(root)
    # untyped, 'abc' is a fine VARCHAR: only the two lines with a wrong column count are rejected
    assert statuses(again) == [("seeds/calls.csv", LoadStatus.UNCHANGED, 4, 2)]
    assert again.load_id is None
    assert query(root, "SELECT * FROM raw.calls ORDER BY _line") == before
    assert query(root, "SELECT count(*) FROM raw._loads") == [(1,)]


def test_changed_file_replaces_its_own_rows_and_rejects(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": CALLS,
            "seeds/calls.yml": "columns: {talk_seconds: INTEGER}\n",
            "seeds/agents.csv": "agent_id\nA1\n",
        },
    )
    seed(root)
    (root / "seeds/calls.csv").write_text("leg_id,queue,talk_seconds\nL9,vip,5\n", encoding="utf-8")
    summary = seed(root)
    assert statuses(summary) == [
        ("seeds/agents.csv", LoadStatus.UNCHANGED, 1, 0),
        ("seeds/calls.csv", LoadStatus.REPLACED, 1, 0),
    ]
    # a load id per file loaded (agents 1, calls 2, then calls again 3): later versions of a
    # natural key sort after earlier ones even within one `mfl seed`
    assert query(root, "SELECT leg_id, _line, _load_id FROM raw.calls") == [("L9", 2, 3)]
    assert query(root, "SELECT count(*) FROM raw._rejects") == [(0,)]
    assert query(root, "SELECT file, rows FROM raw._loads ORDER BY file") == [
        ("seeds/agents.csv", 1),
        ("seeds/calls.csv", 1),
    ]


def test_folder_of_daily_files_is_appended_in_name_order(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls/2024-08-02.csv": "leg_id,queue\nL3,a\nL4,b\n",
            "seeds/calls/2024-08-01.csv": "leg_id,queue\nL1,a\nL2,a\n",
        },
    )
    summary = seed(root)
    assert [r.file for r in summary.results] == [
        "seeds/calls/2024-08-01.csv",
        "seeds/calls/2024-08-02.csv",
    ]
    assert query(root, "SELECT leg_id, _file, _line FROM raw.calls ORDER BY leg_id") == [
        ("L1", "seeds/calls/2024-08-01.csv", 2),
        ("L2", "seeds/calls/2024-08-01.csv", 3),
        ("L3", "seeds/calls/2024-08-02.csv", 2),
        ("L4", "seeds/calls/2024-08-02.csv", 3),
    ]
    # the next day's export arrives: only it is loaded
    (root / "seeds/calls/2024-08-03.csv").write_text("leg_id,queue\nL5,c\n", encoding="utf-8")
    assert [r.status for r in seed(root).results] == [
        LoadStatus.UNCHANGED,
        LoadStatus.UNCHANGED,
        LoadStatus.LOADED,
    ]
    assert query(root, "SELECT count(*) FROM raw.calls") == [(5,)]


def test_a_later_file_may_add_columns(tmp_path: Path) -> None:
    # union by name: a file with more (or fewer) columns fills the others with NULL
    root = make_project(
        tmp_path,
        {
            "seeds/calls/d1.csv": "leg_id,queue\nL1,a\n",
            "seeds/calls/d2.csv": "leg_id,queue,region\nL2,b,华东\n",
            "seeds/calls/d3.csv": "leg_id\nL3\n",
        },
    )
    seed(root)
    assert query(root, "SELECT leg_id, queue, region FROM raw.calls ORDER BY leg_id") == [
        ("L1", "a", None),
        ("L2", "b", "华东"),
        ("L3", None, None),
    ]


def test_schema_drift_names_both_files(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls/d1.csv": "leg_id,queue\nL1,a\n",
            "seeds/calls/d2.csv": "leg_id,skill\nL2,b\n",
        },
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    err = caught.value
    assert err.code == "E106"
    assert err.message == (
        "the columns of seeds/calls/d2.csv do not match seeds/calls/d1.csv:"
        " it lacks queue and adds skill"
    )
    assert str(err.loc) == "seeds/calls/d2.csv:1"


def test_csv_gz_and_parquet(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/chats.csv.gz": gzip.compress(b"chat_id,csat\nC1,5\nC2,x\nC3,4\n")},
    )
    (root / "seeds/chats.yml").write_text("columns: {csat: INTEGER}\n", encoding="utf-8")
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT 'T' || i AS ticket_id, i AS priority FROM range(1, 4) t(i))"
            f" TO '{root / 'seeds' / 'tickets.parquet'}' (FORMAT parquet)"
        )
    summary = seed(root)
    assert statuses(summary) == [
        ("seeds/chats.csv.gz", LoadStatus.LOADED, 2, 1),
        ("seeds/tickets.parquet", LoadStatus.LOADED, 3, 0),
    ]
    assert query(root, "SELECT chat_id, csat, _line FROM raw.chats") == [("C1", 5, 2), ("C3", 4, 4)]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (3, "column csat: x is not a valid INTEGER")
    ]
    # parquet has no lines: _line is the 1-based row number
    assert query(root, "SELECT ticket_id, priority, _line FROM raw.tickets ORDER BY _line") == [
        ("T1", 1, 1),
        ("T2", 2, 2),
        ("T3", 3, 3),
    ]


def test_parquet_numbers_too_large_for_the_declared_type_go_to_rejects(tmp_path: Path) -> None:
    """A BIGINT column declared INTEGER is checked row by row; one already stored as the
    declared type loads as it is."""
    root = legs_parquet(
        tmp_path,
        "SELECT * FROM (VALUES ('L1', 60::BIGINT, 5::INTEGER),"
        " ('L2', 9000000000::BIGINT, 6::INTEGER)) t(leg_id, talk_seconds, hold_seconds)",
        "{talk_seconds: INTEGER, hold_seconds: INTEGER}",
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/legs.parquet", LoadStatus.LOADED, 1, 1)]
    assert query(root, "SELECT leg_id, talk_seconds, hold_seconds, _line FROM raw.legs") == [
        ("L1", 60, 5, 1)
    ]
    assert query(root, "SELECT line, raw_text FROM raw._rejects") == [(2, "L2,9000000000,6")]


def test_parquet_column_names_with_quotes_reach_the_rejects_intact(tmp_path: Path) -> None:
    root = legs_parquet(
        tmp_path,
        "SELECT * FROM (VALUES ('L1', '60'), ('L2', 'x')) t(leg_id, \"it's\")",
        '{"it\'s": INTEGER}',
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/legs.parquet", LoadStatus.LOADED, 1, 1)]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (2, "column it's: x is not a valid INTEGER")
    ]


def test_a_line_with_several_errors_is_one_reject(tmp_path: Path) -> None:
    """DuckDB reports a line once per error in it; the load counts and keeps it once."""
    text = (
        "leg_id,queue,talk_seconds,hold_seconds\n"  # 1
        "L1,sales,30,5\n"  # 2
        "L2,sales\n"  # 3: two columns short
        "L3,sales,30,5,x,y\n"  # 4: two columns too many
        "L4,sales,abc,zz\n"  # 5: two values that are not integers
        "L5,abc\n"  # 6: columns short, and nothing to cast
        "L6,support,45,0\n"  # 7
    )
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": text,
            "seeds/calls.yml": "columns: {talk_seconds: INTEGER, hold_seconds: INTEGER}\n",
        },
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/calls.csv", LoadStatus.LOADED, 2, 4)]
    assert query(root, "SELECT leg_id, _line FROM raw.calls ORDER BY _line") == [
        ("L1", 2),
        ("L6", 7),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects ORDER BY line") == [
        (3, "expected 4 columns, found 2"),
        (4, "expected 4 columns, found 6"),
        (
            5,
            "column talk_seconds: abc is not a valid INTEGER;"
            " column hold_seconds: zz is not a valid INTEGER",
        ),
        (6, "expected 4 columns, found 2"),
    ]
    assert query(root, "SELECT rows, rejected FROM raw._loads") == [(2, 4)]


def test_line_numbers_stay_exact_in_a_file_read_by_several_threads(tmp_path: Path) -> None:
    """A CSV large enough for DuckDB to read in parallel chunks, with bad lines spread through
    it: every row keeps its physical line, every reject too."""
    root = make_project(tmp_path, {})
    path = root / "seeds" / "legs.csv"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT 'L' || i AS leg_id, CASE WHEN i % 100000 = 7 THEN 'x' ELSE"
            " (i % 600)::VARCHAR END AS talk_seconds, repeat('z', 40) AS note"
            f" FROM range(400000) t(i)) TO '{path}' (HEADER)"
        )
    (root / "seeds/legs.yml").write_text("columns: {talk_seconds: INTEGER}\n", encoding="utf-8")
    summary = seed(root)
    assert statuses(summary) == [("seeds/legs.csv", LoadStatus.LOADED, 399996, 4)]
    # leg L<i> is on line i + 2 (the header is line 1)
    assert query(
        root,
        "SELECT count(*) FILTER (WHERE _line <> substr(leg_id, 2)::BIGINT + 2) FROM raw.legs",
    ) == [(0,)]
    assert query(root, "SELECT line FROM raw._rejects ORDER BY line") == [
        (9,), (100009,), (200009,), (300009,)
    ]  # fmt: skip


def test_chinese_text_and_duplicate_rows_stay_raw(tmp_path: Path) -> None:
    text = 'agent_id,team\nA1,一组\nA1,一组\nA2,"二组,夜班"\n'
    root = make_project(tmp_path, {"seeds/agents.csv": text})
    seed(root)
    # the duplicate stays: deduplication on the natural key is the source layer's job
    assert query(root, "SELECT agent_id, team, _line FROM raw.agents ORDER BY _line") == [
        ("A1", "一组", 2),
        ("A1", "一组", 3),
        ("A2", "二组,夜班", 4),
    ]


def test_values_spanning_lines_and_unterminated_quotes_keep_exact_lines(tmp_path: Path) -> None:
    text = (
        "ticket_id,note\n"  # 1
        'T1,"first\n'  # 2
        'second"\n'  # 3
        "T2,ok\n"  # 4
        "\n"  # 5: blank
        "T3,a,b\n"  # 6: a column too many
        "T4,ok\n"  # 7
        'T5,"never closed\n'  # 8
        "T6,lost\n"  # 9
    )
    root = make_project(tmp_path, {"seeds/tickets.csv": text})
    summary = seed(root)
    assert statuses(summary) == [("seeds/tickets.csv", LoadStatus.LOADED, 3, 3)]
    assert query(root, "SELECT ticket_id, note, _line FROM raw.tickets ORDER BY _line") == [
        ("T1", "first\nsecond", 2),
        ("T2", "ok", 4),
        ("T4", "ok", 7),
    ]
    assert query(root, "SELECT line, raw_text, reason FROM raw._rejects ORDER BY line") == [
        (6, "T3,a,b", "expected 2 columns, found 3"),
        (
            8,
            'T5,"never closed',
            "unterminated quote: the value opened on this line never closes,"
            " so the lines after it were not loaded",
        ),
        (9, "T6,lost", "inside the unterminated quote opened on line 8"),
    ]


@pytest.mark.parametrize(
    ("content", "rows"),
    [("", 0), ("leg_id,queue\n", 0), ("leg_id,queue", 0)],
    ids=["empty", "header-only", "header-without-newline"],
)
def test_empty_and_header_only_files_load_zero_rows(
    tmp_path: Path, content: str, rows: int
) -> None:
    root = make_project(tmp_path, {"seeds/calls.csv": content})
    assert statuses(seed(root)) == [("seeds/calls.csv", LoadStatus.LOADED, rows, 0)]
    assert statuses(seed(root)) == [("seeds/calls.csv", LoadStatus.UNCHANGED, rows, 0)]


def test_unknown_key_in_seed_yml(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": "leg_id,talk_seconds\nL1,3\n",
            "seeds/calls.yml": "columns:\n  talk_seconds: INTEGER\nnatural_keys: [leg_id]\n",
        },
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    err = caught.value
    assert (err.code, err.message, str(err.loc), err.hint) == (
        "E102",
        "unknown key 'natural_keys' in seeds/calls.yml",
        "seeds/calls.yml:3:1",
        "did you mean 'natural_key'?",
    )


@pytest.mark.parametrize(
    ("files", "code", "message"),
    [
        (
            {"seeds/calls.csv": "leg_id\nL1\n", "seeds/calls.yml": "natural_key: [leg]\n"},
            "E104",
            "column 'leg' of seeds/calls.yml is in none of raw.calls's files",
        ),
        (
            {"seeds/calls.csv": "leg_id\n", "seeds/calls.yml": "columns: {leg_id: NUMBERISH}\n"},
            "E103",
            "'NUMBERISH' is not a column type (column 'leg_id')",
        ),
        (
            {"seeds/call-legs.csv": "leg_id\n"},
            "E101",
            "'call-legs' (from seeds/call-legs.csv) is not a valid table name",
        ),
        (
            {"seeds/calls.csv": "leg_id,leg_id\n"},
            "E105",
            "in the header of seeds/calls.csv, column 'leg_id' appears twice",
        ),
        (
            {"seeds/calls.csv.gz": b"not gzip at all"},
            "E107",
            "cannot read seeds/calls.csv.gz: not a valid gzip file"
            " (Error -3 while decompressing data: incorrect header check)",
        ),
        (
            {"seeds/agents.yml": "description: the agents\n"},
            "E110",
            "seeds/agents.yml describes raw.agents, but there is no data file for it",
        ),
    ],
    ids=["natural-key", "bad-type", "table-name", "duplicate-header", "broken-gzip", "yml-only"],
)
def test_user_mistakes(
    tmp_path: Path, files: dict[str, str | bytes], code: str, message: str
) -> None:
    root = make_project(tmp_path, files)
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_a_folder_per_month_inside_a_tables_folder(tmp_path: Path) -> None:
    """Exports kept in a folder per month were left out without a word: rows lost."""
    root = make_project(
        tmp_path,
        {
            "seeds/calls/2024-09-30.csv": "leg_id,queue\nL0,a\n",
            "seeds/calls/2024-10/2024-10-9.csv": "leg_id,queue\nL1,a\nL2,a\n",
            "seeds/calls/2024-10/2024-10-10.csv": "leg_id,queue\nL3,b\n",
            "seeds/calls/2024-10/notes.txt": "not an export",
            "seeds/calls/.archive/2024-08-01.csv": "leg_id,queue\nOLD,a\n",
        },
    )
    (root / "seeds/calls/2024-10/loop").symlink_to(root / "seeds/calls")
    summary = seed(root)
    assert [r.file for r in summary.results] == [
        "seeds/calls/2024-09-30.csv",
        "seeds/calls/2024-10/2024-10-9.csv",
        "seeds/calls/2024-10/2024-10-10.csv",
    ]
    assert query(root, "SELECT leg_id, _file FROM raw.calls ORDER BY leg_id") == [
        ("L0", "seeds/calls/2024-09-30.csv"),
        ("L1", "seeds/calls/2024-10/2024-10-9.csv"),
        ("L2", "seeds/calls/2024-10/2024-10-9.csv"),
        ("L3", "seeds/calls/2024-10/2024-10-10.csv"),
    ]
    # moved into its month's folder: the same export, nothing doubled
    (root / "seeds/calls/2024-09").mkdir()
    (root / "seeds/calls/2024-09-30.csv").rename(root / "seeds/calls/2024-09/2024-09-30.csv")
    assert [(r.file, r.status) for r in seed(root).results][0] == (
        "seeds/calls/2024-09/2024-09-30.csv",
        LoadStatus.MOVED,
    )
    assert query(root, "SELECT count(*) FROM raw.calls") == [(4,)]


def test_a_dated_file_name_that_is_no_table_name_points_at_a_folder(tmp_path: Path) -> None:
    """'call legs 2024-10-09.csv' was told to become call_legs_2024_10_09: a table a day."""
    root = make_project(tmp_path, {"seeds/call legs 2024-10-09.csv": "leg_id\nL1\n"})
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E101"
    assert "move it to seeds/call_legs/2024-10-09.csv" in (caught.value.hint or "")


@pytest.mark.parametrize("rejects", [False, True], ids=["clean", "with-a-reject"])
def test_a_line_of_delimiters_only_is_no_row(tmp_path: Path, rejects: bool) -> None:
    """Excel saves a sheet's empty rows into a CSV as ',,': each loaded as a row of NULLs, one
    more call for every count."""
    body = "L1,sales,30\n,,\nL2,,\n" + ("L3,sales,abc\n" if rejects else "") + ',"",\nL4,x,5\n,,\n'
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": "leg_id,queue,talk\n" + body,
            "seeds/calls.yml": "columns: {talk: INTEGER}\n",
        },
    )
    summary = seed(root)
    assert [(r.rows, r.rejected) for r in summary.results] == [(3, int(rejects))]
    assert query(root, "SELECT leg_id, queue, talk, _line FROM raw.calls ORDER BY _line") == [
        ("L1", "sales", 30, 2),
        ("L2", None, None, 4),
        ("L4", "x", 5, 6 + rejects),
    ]
    if rejects:
        assert query(root, "SELECT line, raw_text FROM raw._rejects") == [(5, "L3,sales,abc")]


def test_missing_seeds_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path, {})
    (root / "seeds").rmdir()
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == ("E100", "no seeds folder at seeds")


def test_file_gone_from_seeds_keeps_its_rows(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, {"seeds/calls/d1.csv": "leg_id\nL1\n", "seeds/calls/d2.csv": "leg_id\nL2\n"}
    )
    seed(root)
    (root / "seeds/calls/d1.csv").unlink()
    summary = seed(root)
    assert statuses(summary) == [
        ("seeds/calls/d2.csv", LoadStatus.UNCHANGED, 1, 0),
        ("seeds/calls/d1.csv", LoadStatus.MISSING, 1, 0),
    ]
    assert [w.code for w in summary.warnings] == ["E111"]
    assert query(root, "SELECT leg_id FROM raw.calls ORDER BY 1") == [("L1",), ("L2",)]


def test_failed_load_leaves_the_previous_rows(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/calls.csv": "leg_id,n\nL1,1\n"})
    seed(root)
    # someone dropped a bookkeeping column by hand: the insert fails halfway through the file
    with duckdb.connect(str(root / "target" / "warehouse.duckdb")) as con:
        con.execute("ALTER TABLE raw.calls DROP COLUMN _line")
    (root / "seeds/calls.csv").write_text("leg_id,n\nL2,2\n", encoding="utf-8")
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E108"
    assert query(root, "SELECT leg_id, n FROM raw.calls") == [("L1", "1")]
    assert query(root, "SELECT file, rows FROM raw._loads") == [("seeds/calls.csv", 1)]


def test_parquet_value_that_does_not_parse_goes_to_rejects(tmp_path: Path) -> None:
    """A text '3:25' in a parquet column declared INTEGER rejects its row, not the whole file."""
    root = legs_parquet(
        tmp_path,
        "SELECT * FROM (VALUES ('L1', '60'), ('L2', '3:25'), ('L3', NULL), ('L4', '90'))"
        " t(leg_id, talk_seconds)",
        "{talk_seconds: INTEGER}",
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/legs.parquet", LoadStatus.LOADED, 3, 1)]
    assert query(root, "SELECT leg_id, talk_seconds, _line FROM raw.legs ORDER BY _line") == [
        ("L1", 60, 1),
        ("L3", None, 3),
        ("L4", 90, 4),
    ]
    assert query(root, "SELECT line, raw_text, reason FROM raw._rejects") == [
        (2, "L2,3:25", "column talk_seconds: 3:25 is not a valid INTEGER")
    ]
