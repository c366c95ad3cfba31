"""Rendering diagnostics for people, programs and GitHub workflow annotations."""

from __future__ import annotations

import json
from pathlib import Path

from metricflow_lite.errors import Diagnostic, Location, Severity
from metricflow_lite.report.diagnostics import render_github, render_json, render_text

TYPO = Diagnostic(
    "E211",
    "unknown metric 'abandon_calls' in expr of 'abandonment_rate'",
    Location("metrics/center.yml", 2, 11, 13),
    "did you mean 'abandoned_calls'?",
)
UNUSED = Diagnostic(
    "W202", "metric 'x' is not used", Location("metrics/center.yml", 1, 3), None, Severity.WARNING
)


def test_text_has_the_source_line_and_a_caret_under_the_spot(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "center.yml").write_text(
        "metrics:\n    expr: abandon_calls / offered_calls\n", encoding="utf-8"
    )
    assert render_text([TYPO], root=tmp_path) == (
        "metrics/center.yml:2:11: error E211: unknown metric 'abandon_calls'"
        " in expr of 'abandonment_rate'\n"
        "   2 |     expr: abandon_calls / offered_calls\n"
        "     |           ^^^^^^^^^^^^^\n"
        "  hint: did you mean 'abandoned_calls'?"
    )


def test_text_without_the_file_still_names_the_place() -> None:
    assert render_text([UNUSED]) == "metrics/center.yml:1:3: warning W202: metric 'x' is not used"


def test_json_lists_every_field() -> None:
    assert json.loads(render_json([TYPO, UNUSED]))[1] == {
        "file": "metrics/center.yml",
        "line": 1,
        "col": 3,
        "severity": "warning",
        "code": "W202",
        "message": "metric 'x' is not used",
        "hint": None,
    }


def test_github_escapes_messages_and_properties() -> None:
    odd = Diagnostic("E204", "50% off\nnext", Location("a,b:c.yml", 1, 2), "h")
    assert render_github([odd, UNUSED]).splitlines() == [
        "::error file=a%2Cb%3Ac.yml,line=1,col=2,title=E204::50%25 off%0Anext (hint: h)",
        "::warning file=metrics/center.yml,line=1,col=3,title=W202::metric 'x' is not used",
    ]


def test_the_caret_stays_under_the_spot_after_a_chinese_label(tmp_path: Path) -> None:
    # 放弃率 takes six terminal columns: padding by characters put the caret three to the left,
    # and a label underlined by characters was half underlined.
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "center.yml").write_text(
        "  - {label: 放弃率, expr: abandon_calls / offered_calls}\n    metrics: [放弃率]\n",
        encoding="utf-8",
    )
    typo = Diagnostic(
        "E211", "unknown metric 'abandon_calls'", Location("metrics/center.yml", 1, 24, 13)
    )
    label = Diagnostic("E301", "unknown metric '放弃率'", Location("metrics/center.yml", 2, 15, 3))
    assert render_text([typo, label], root=tmp_path) == (
        "metrics/center.yml:1:24: error E211: unknown metric 'abandon_calls'\n"
        "   1 |   - {label: 放弃率, expr: abandon_calls / offered_calls}\n"
        f"     | {' ' * 26}^^^^^^^^^^^^^\n"  # 23 characters, 3 of them wide
        "metrics/center.yml:2:15: error E301: unknown metric '放弃率'\n"
        "   2 |     metrics: [放弃率]\n"
        "     |               ^^^^^^"
    )
