"""`mfl seed` end to end: the summary it prints, its exit codes, and the lock it leaves (none)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from metricflow_lite.cli import cli

CALLS = "leg_id,talk_seconds\nL1,30\nL2,abc\nL3,45\nL4\n"


def make_project(root: Path) -> Path:
    (root / "metricflow_lite.yml").write_text("name: test_center\n", encoding="utf-8")
    seeds = root / "seeds"
    (seeds / "call_legs").mkdir(parents=True)
    (seeds / "call_legs" / "2024-08-01.csv").write_text(CALLS, encoding="utf-8")
    (seeds / "call_legs.yml").write_text("columns:\n  talk_seconds: INTEGER\n", encoding="utf-8")
    (seeds / "agents.csv").write_text("agent_id,team\nA1,一组\n", encoding="utf-8")
    return root


def run(root: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["seed", "--project-dir", str(root)])
    return result.exit_code, result.stdout, result.stderr


def test_seed_prints_a_line_per_file_and_a_total(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run(root) == (
        0,
        "agents.csv                1 row loaded\n"
        "call_legs/2024-08-01.csv  2 rows loaded, 2 rejected -> raw._rejects (see mfl rejects)\n"
        "total: 3 rows from 2 files, 2 rejected\n",
        "",
    )
    # no lock left behind: the file opens again, even for writing
    with duckdb.connect(str(root / "target" / "warehouse.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM raw.call_legs").fetchall() == [(2,)]
    assert run(root) == (
        0,
        "agents.csv                unchanged, skipped\n"
        "call_legs/2024-08-01.csv  unchanged, skipped\n"
        "total: nothing new to load\n",
        "",
    )


def test_seed_warns_about_a_file_that_disappeared(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    run(root)
    (root / "seeds" / "agents.csv").unlink()
    code, out, err = run(root)
    assert code == 0
    assert out.splitlines()[-2:] == [
        "agents.csv                missing from seeds/, 1 row kept",
        "total: nothing new to load",
    ]
    assert err.startswith(
        "seeds/agents.csv: warning E111: seeds/agents.csv is no longer in seeds/;"
        " its 1 row stays in raw.agents\n"
    )


def test_seed_user_mistake_exits_1_with_the_place(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "seeds" / "call_legs.yml").write_text("column:\n  talk_seconds: INTEGER\n", "utf-8")
    code, out, err = run(root)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "seeds/call_legs.yml:1:1: error E102: unknown key 'column' in seeds/call_legs.yml",
        "   1 | column:",
        "     | ^^^^^^",
        "  hint: did you mean 'columns'?",
    ]


def test_seed_without_seeds_folder_exits_1(tmp_path: Path) -> None:
    (tmp_path / "metricflow_lite.yml").write_text("name: test_center\n", encoding="utf-8")
    code, out, err = run(tmp_path)
    assert code == 1
    assert err.startswith("error E100: no seeds folder at seeds\n")


def test_a_file_in_no_format_mfl_reads_is_a_warning(tmp_path: Path) -> None:
    """Excel's "Text (Tab delimited)" saves a .txt: in seeds/ it was left out without a word,
    and the day's calls were missing."""
    root = make_project(tmp_path)
    (root / "seeds" / "call_legs" / "2024-08-02.txt").write_text(CALLS, encoding="utf-8")
    (root / "seeds" / "queues.tsv").write_text("queue\tname\n", encoding="utf-8")
    (root / "seeds" / "README.md").write_text("what the exports are\n", encoding="utf-8")
    (root / "seeds" / "call_legs" / "Thumbs.db").write_bytes(b"\0")  # left by Explorer
    code, out, err = run(root)
    assert code == 0 and "total: 3 rows from 2 files" in out
    assert err.count("warning E119") == 2, err
    assert (
        "seeds/call_legs/2024-08-02.txt: warning E119: seeds/call_legs/2024-08-02.txt is not" in err
    )
    assert "seeds/queues.tsv: warning E119" in err and "README" not in err
    assert "Thumbs" not in err
