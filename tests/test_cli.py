"""The command line end to end: init, run, project discovery, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import invoke


def test_init_then_run_writes_every_report(tmp_path: Path) -> None:
    project = tmp_path / "center"
    created = invoke("init", str(project))
    assert created.exit_code == 0, created.output
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    reports = project / "target" / "reports"
    for name in (
        "index.html",
        "queue_overview.xlsx",
        "queue_overview_week.html",
        "queue_overview_month.md",
    ):
        assert (reports / name).exists(), name
    assert "==> seed" in result.output and "==> build" in result.output
    assert "==> reports: rendering 1 report\n" in result.output  # not "1 reports"
    # #20: the run ends with one line that says where to open the dashboard
    last = result.output.splitlines()[-1]
    assert last == f"1 report, 10 files; open {reports / 'index.html'}"
    # The scaffold's seed has 252 calls; nothing is lost between raw and src.
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from src.calls").fetchone() == (252,)
    finally:
        con.close()


def test_second_seed_loads_nothing(tiny_project: Path) -> None:
    again = invoke("seed", "--project-dir", str(tiny_project))
    assert again.exit_code == 0
    assert "total: nothing new to load" in again.output
    assert again.output.count("unchanged, skipped") == 4


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 1
    assert "is not empty" in result.output


def test_project_dir_from_environment(tiny_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFL_PROJECT_DIR", str(tiny_project))
    result = invoke("query", "--metrics", "offered_calls", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == "offered_calls\n16\n"


def test_bad_option_is_a_user_error() -> None:
    result = invoke("query", "--metricz", "x")
    assert result.exit_code == 1
    assert "No such option" in result.output


def test_internal_error_is_one_line_and_exit_2(
    tiny_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import metricflow_lite.jobs.pipeline as pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "build_project", broken)
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 2
    assert "internal error: RuntimeError('boom')" in result.output
    assert "Traceback" not in result.output


def test_console_script_runs_from_another_directory(tiny_project: Path, tmp_path: Path) -> None:
    mfl = Path(sys.executable).parent / "mfl"
    env = {k: v for k, v in os.environ.items() if k != "MFL_PROJECT_DIR"}
    done = subprocess.run(
        [
            str(mfl),
            "query",
            "--project-dir",
            str(tiny_project),
            "--metrics",
            "callers",
            "--format",
            "csv",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "callers\n9\n"  # u1 .. u9


def test_project_dir_and_target_before_the_command(tiny_project: Path) -> None:
    result = invoke(
        "--project-dir",
        str(tiny_project),
        "--target",
        "dev",
        "query",
        "--metrics",
        "offered_calls",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "offered_calls\n16\n"
    unknown = invoke("--project-dir", str(tiny_project), "--target", "prod", "build")
    assert unknown.exit_code == 1 and "unknown target 'prod'" in unknown.output
