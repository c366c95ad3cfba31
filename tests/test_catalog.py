"""catalog.metrics_markdown on the tiny fixture: one table per metrics file, in file order."""

from __future__ import annotations

from conftest import FIXTURES

from metricflow_lite.report.catalog import formula_of, metrics_markdown
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


def test_state_and_span_metrics_say_so_in_their_formula() -> None:
    """waiting_close and waiting_open are both sum(waiting_calls): the formula tells them apart,
    and an open count says which rows are open."""
    spec = load_spec(load_project(str(FIXTURES / "history")))
    formulas = {m.name: formula_of(m) for m in spec.metrics}
    assert formulas["open_tickets"] == "count(*) active from created_ts until resolved_ts"
    assert formulas["waiting_close"] == "sum(waiting_calls) at the last snapshot"
    assert formulas["waiting_open"] == "sum(waiting_calls) at the first snapshot"
    assert formulas["agents_on_roster"] == (
        "count_distinct(agent_id) active from valid_from until valid_to"
    )
    assert formulas["new_tickets"] == "count(*)"
