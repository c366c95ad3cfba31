"""The CLI's fast path: a repeated `mfl query` or `mfl validate` on unchanged files skips the
compiler, and any change to the files is seen at once.

Numbers by hand from tests/fixtures/tiny/seeds/calls.csv: 17 legs, 16 of them first legs
(offered_calls, `filter: leg_seq = 1`); with `leg_seq >= 1` every leg counts: 17.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import invoke

# What the fast path must not load: the compiler's libraries and mfl's spec, compiler, pipeline
# and report packages (spec/kinds.py, the enums alone, is light).
HEAVY = (
    "sqlglot",
    "jinja2",
    "yaml",
    "metricflow_lite.compile",
    "metricflow_lite.spec.model",
    "metricflow_lite.spec.validate",
    "metricflow_lite.jobs.pipeline",
    "metricflow_lite.report",
)
WATCH = (
    "import sys, atexit\n"
    f"HEAVY = {HEAVY!r}\n"
    "def heavy():\n"
    "    return sorted(m for m in sys.modules if m in HEAVY or m.startswith(\n"
    "        tuple(h + '.' for h in HEAVY)))\n"
    "atexit.register(lambda: print('compiler' if heavy() else 'light', file=sys.stderr))\n"
    "sys.argv = ['mfl', *sys.argv[1:]]\n"
    "from metricflow_lite.cli import main\n"
    "main()\n"
)


def mfl(project: Path, *args: str, script: str = WATCH) -> tuple[int, str, str]:
    """Run mfl in a fresh interpreter; stderr ends with whether it imported the compiler."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def offered(stdout: str) -> int:
    [row] = json.loads(stdout)
    return int(row["offered_calls"])


QUERY = ("query", "--metrics", "offered_calls", "--format", "json")


def test_a_repeated_query_skips_the_compiler_and_sees_changes(tiny_project: Path) -> None:
    code, first, err = mfl(tiny_project, *QUERY)
    assert code == 0 and offered(first) == 16 and err.endswith("compiler\n"), err
    code, second, err = mfl(tiny_project, *QUERY)
    assert code == 0 and second == first and err.endswith("light\n"), err
    # another question is another entry
    code, out, err = mfl(tiny_project, *QUERY, "--where", "queue = 'B'")
    assert code == 0 and offered(out) == 4 and err.endswith("compiler\n"), err
    # a metric's definition changes: the next query plans again
    metrics = tiny_project / "metrics" / "calls.yml"
    metrics.write_text(
        metrics.read_text().replace("filter: leg_seq = 1", "filter: leg_seq >= 1", 1)
    )
    assert invoke("build", "--project-dir", str(tiny_project)).exit_code == 0
    code, out, err = mfl(tiny_project, *QUERY)
    assert code == 0 and offered(out) == 17 and err.endswith("compiler\n"), err
    code, out, err = mfl(tiny_project, *QUERY)
    assert code == 0 and offered(out) == 17 and err.endswith("light\n"), err


def test_the_fast_path_reads_the_current_build(tiny_project: Path) -> None:
    assert offered(mfl(tiny_project, *QUERY)[1]) == 16
    calls = tiny_project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text() + "L90,c90,1,A,a1,u10,2025-01-08 09:00:00,,,\n")
    for command in ("seed", "build"):
        assert invoke(command, "--project-dir", str(tiny_project)).exit_code == 0
    code, out, err = mfl(tiny_project, *QUERY)
    assert code == 0 and offered(out) == 17, err


def test_a_missing_warehouse_is_explained_on_the_fast_path(tiny_project: Path) -> None:
    assert mfl(tiny_project, *QUERY)[0] == 0
    (tiny_project / "target" / "warehouse.duckdb").unlink()
    code, _, err = mfl(tiny_project, *QUERY)
    assert code == 1 and "E012" in err, err


def test_a_repeated_validate_is_the_same_and_sees_a_new_mistake(tiny_project: Path) -> None:
    code, first, err = mfl(tiny_project, "validate")
    assert code == 0 and err.endswith("compiler\n"), err
    code, second, err = mfl(tiny_project, "validate")
    assert code == 0 and second == first and err.endswith("light\n"), err
    metrics = tiny_project / "metrics" / "calls.yml"
    metrics.write_text(metrics.read_text().replace("agg: count\n", "agg: cuont\n", 1))
    code, out, err = mfl(tiny_project, "validate")
    assert code == 1 and "cuont" in out, out


SEED_HEAVY = ("metricflow_lite.compile.build", "metricflow_lite.compile.plan", "jinja2")


def test_seeding_loads_no_compiler(tiny_project: Path) -> None:
    # `mfl seed` of a large export is mostly DuckDB's scan: the compiler's imports were a
    # seventh of a 1M-row load
    script = WATCH.replace(f"HEAVY = {HEAVY!r}", f"HEAVY = {SEED_HEAVY!r}")
    code, out, err = mfl(tiny_project, "seed", "--full-refresh", script=script)
    assert code == 0 and "rows" in out and err.endswith("light\n"), err


def test_a_build_compiles_again_only_when_what_it_compiles_from_changes(
    tiny_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metricflow_lite.jobs import pipeline

    cache = tiny_project / "target" / ".mfl-cache"
    assert len(list(cache.glob("build-*.pickle"))) == 1

    def compile_again(*args: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(pipeline, "build_objects", compile_again)
    # the morning's rows are new data, not a new definition: the kept objects build them
    calls = tiny_project / "seeds" / "calls.csv"
    calls.write_text(calls.read_text() + "L90,c90,1,A,a1,u10,2025-01-08 09:00:00,,,\n")
    for command in ("seed", "build"):
        assert invoke(command, "--project-dir", str(tiny_project)).exit_code == 0
    assert offered(mfl(tiny_project, *QUERY)[1]) == 17
    # a metric's definition changes: the build compiles again
    metrics = tiny_project / "metrics" / "calls.yml"
    metrics.write_text(
        metrics.read_text().replace("filter: leg_seq = 1", "filter: leg_seq >= 1", 1)
    )
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code != 0 and "compiled again" in result.output, result.output
    monkeypatch.undo()
    assert invoke("build", "--project-dir", str(tiny_project)).exit_code == 0
    assert offered(mfl(tiny_project, *QUERY)[1]) == 18
    # a kept file that cannot be read is compiled anew, not an error
    for kept in cache.glob("build-*.pickle"):
        kept.write_bytes(b"\x80\x05not a pickle")
    result = invoke("build", "--project-dir", str(tiny_project), "--full-refresh")
    assert result.exit_code == 0, result.output
    assert offered(mfl(tiny_project, *QUERY)[1]) == 18
