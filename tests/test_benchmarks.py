"""The benchmark harness at a tiny scale: mfl and hand-written SQL give the same numbers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_run", REPO / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_benchmark_queries_agree_with_hand_sql_at_a_tiny_scale(tmp_path: Path) -> None:
    runner = load_runner()
    out = tmp_path / "results.md"
    argv = ["--scales", "5k", "--reps", "1", "--data", str(tmp_path / "data")]
    argv += ["--out", str(out), "--only", "load,build,query", "--project", str(REPO)]
    # run() raises if any standard query differs from its hand-written SQL (1e-9 relative)
    text = runner.run(runner.parse_args(argv))
    assert out.read_text(encoding="utf-8") == text
    for query in runner.STANDARD_QUERIES:
        assert f"| 5k | {query.name} |" in text
    assert "## Load" in text and "## Build" in text
    assert "| 5k |" in text.split("The CSV files alone")[1].split("## Build")[0]


@pytest.mark.slow
def test_synthetic_projects_validate_with_every_metric() -> None:
    runner = load_runner()
    [result] = runner.bench_compile(REPO, [30], reps=1)
    assert result.metrics == 30
    assert result.objects > 0


@pytest.mark.slow
def test_compiling_ten_times_the_metrics_copies_about_ten_times_the_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9: each column appended to an indicator query copied the whole query, so compiling
    1,000 metrics took 12 s. Counted in copied SQL nodes, not seconds: linear growth gives a
    ratio near 10 between 1,000 and 100 metrics, the quadratic copy gave about 100."""
    from sqlglot import exp

    from metricflow_lite.jobs.pipeline import compile_project
    from metricflow_lite.spec.project import load_project

    runner = load_runner()
    copied = 0
    deepcopy = exp.Expression.__deepcopy__

    def counting(self: exp.Expression, memo: dict[int, object]) -> exp.Expression:
        nonlocal copied
        copied += sum(1 for _ in self.walk())
        return deepcopy(self, memo)

    monkeypatch.setattr(exp.Expression, "__deepcopy__", counting)
    counts = {}
    for n in (100, 1000):
        copied = 0
        compile_project(load_project(runner.synthetic_project(REPO, n, tmp_path / f"p{n}")))
        counts[n] = copied
    assert counts[100] > 0
    assert counts[1000] / counts[100] < 20, counts
