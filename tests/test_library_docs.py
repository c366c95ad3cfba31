"""docs/metrics.md is generated from metrics/*.yml, and every metric has a hand-SQL test."""

from __future__ import annotations

from pathlib import Path

import test_library_calls
import test_library_chats
import test_library_customers
import test_library_outbound
import test_library_state
import test_library_tickets
import test_library_windows
import test_library_workforce
from conftest import invoke

ROOT = Path(__file__).parent.parent


def test_committed_catalogue_is_the_generated_one() -> None:
    result = invoke("list", "metrics", "--format", "md", "--project-dir", str(ROOT))
    assert result.exit_code == 0, result.output
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == result.stdout, (
        "docs/metrics.md is out of date: mfl list metrics --format md > docs/metrics.md"
    )


def test_catalogue_groups_metrics_by_file_with_labels() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## metrics/calls.yml",
        "## metrics/chats.yml",
        "## metrics/customers.yml",
        "## metrics/outbound.yml",
        "## metrics/state.yml",
        "## metrics/tickets.yml",
        "## metrics/workforce.yml",
    ]
    assert "| `abandonment_rate` | 放弃率 | `abandoned_calls / offered_calls` | percent |" in text


def test_markdown_lists_metrics_only() -> None:
    result = invoke("list", "models", "--format", "md", "--project-dir", str(ROOT))
    assert result.exit_code == 1
    assert "--format md lists metrics only" in result.output


def test_every_metric_is_checked_against_hand_sql() -> None:
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    spec = load_spec(load_project(str(ROOT)))
    checked: set[str] = set()
    for module in (
        test_library_calls,
        test_library_outbound,
        test_library_chats,
        test_library_tickets,
        test_library_workforce,
        test_library_customers,
        test_library_state,
        test_library_windows,
    ):
        assert not checked & set(module.CASES), module.__name__
        checked |= set(module.CASES)
    assert checked == {m.name for m in spec.metrics}


def test_every_metric_has_a_label_description_and_format() -> None:
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    spec = load_spec(load_project(str(ROOT)))
    for metric in spec.metrics:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in metric.label or ""), metric.name
        assert (metric.description or " ")[0].isascii(), metric.name  # English, formula variant
