"""catalog.metrics_markdown on the tiny fixture: one table per metrics file, in file order."""

from __future__ import annotations

from conftest import FIXTURES

from metricflow_lite.report.catalog import metrics_markdown
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec


def test_markdown_has_a_table_per_file_in_yaml_order() -> None:
    text = metrics_markdown(load_spec(load_project(str(FIXTURES / "tiny"))))
    lines = text.splitlines()
    assert lines[0] == "# Metric catalogue"
    assert [line for line in lines if line.startswith("## ")] == ["## metrics/calls.yml"]
    names = [line.split(" | ")[0].removeprefix("| ") for line in lines if line.startswith("| `")]
    assert names[:3] == ["`offered_calls`", "`abandoned_calls`", "`abandonment_rate`"]
    assert (
        "| `abandonment_rate` | 放弃率 | `abandoned_calls / offered_calls` | percent | <= 0.3"
        " | calls | abandoned / offered. |" in lines
    )
    assert (
        "| `cph` | 每小时处理量 | `handled_legs / staffed_hours` | number |  | calls, shifts |"
        in (text)
    )
    assert text.endswith("|\n")
