"""Validation rules: unknown metrics and cycles, also behind reports."""

from __future__ import annotations

from pathlib import Path

from metricflow_lite.spec.project import Project
from metricflow_lite.spec.validate import collect_spec

METRICS = """version: 1
models:
  - {name: calls, time: ts, dimensions: [queue]}
metrics:
  - {name: offered, model: calls, agg: count}
  - {name: a, expr: b + offered}
  - {name: b, expr: a / offered}
  - {name: c, expr: offerd * 2}
"""
REPORTS = """version: 1
reports:
  - {name: r, by: [queue], grains: [day], metrics: [a, c, offered]}
"""


def codes(tmp_path: Path) -> list[str]:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "metrics" / "m.yml").write_text(METRICS, encoding="utf-8")
    (tmp_path / "reports" / "r.yml").write_text(REPORTS, encoding="utf-8")
    _, diagnostics = collect_spec(Project(root=tmp_path, name="t"))
    return sorted(d.code for d in diagnostics if d.severity.name == "ERROR")


def test_a_cycle_is_one_error_and_an_unknown_metric_another(tmp_path: Path) -> None:
    assert codes(tmp_path) == ["E211", "E230"]
