"""mfl test: given rows in, expected metric values out; a changed value fails with a diff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import copy_fixture

from metricflow_lite.cli import cli
from metricflow_lite.jobs.metric_tests import infer_type
from metricflow_lite.spec.cases import Scalar

TESTS_FILE = "metrics/tests/calls.yml"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    project = copy_fixture("tiny", tmp_path)
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return project


def test_fixture_tests_pass(tmp_path: Path) -> None:
    result = run("test", "--project-dir", str(copy_fixture("tiny", tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "PASS abandonment_rate_by_day\n"
        "PASS abandonment_rate_by_week\n"
        "PASS aht_counts_every_answered_leg\n"
        "PASS aht_week\n"
        "PASS cph_by_team_across_models\n"
        "PASS callers_are_distinct_per_period\n"
        "6 passed, 0 failed\n"
    )


def test_changed_expected_value_fails_with_a_diff(tmp_path: Path) -> None:
    # the mean of the daily rates (1/3 + 1) / 2 is what a wrong engine would return
    project = edited(
        tmp_path,
        TESTS_FILE,
        "abandonment_rate: 0.5}",
        "abandonment_rate: 0.6666666667}",
    )
    result = run("test", "--project-dir", str(project), "--select", "abandonment_rate_by_week")
    assert result.exit_code == 1
    assert result.output == (
        "FAIL abandonment_rate_by_week (metrics/tests/calls.yml:20:11)\n"
        "  row week=2024-12-30: abandonment_rate expected 0.6666666667, got 0.5\n"
        "0 passed, 1 failed\n"
    )


def test_missing_and_unexpected_rows_are_named(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "team: T2, handled_legs: 1", "team: T3, handled_legs: 1")
    result = run("test", "--project-dir", str(project), "--select", "cph_by_team_across_models")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        "  missing row week=2024-12-30 team=T3:"
        " expected handled_legs=1, staffed_hours=2, cph=0.5" in lines
    )
    assert (
        "  unexpected row week=2024-12-30 team=T2: handled_legs=1, staffed_hours=2, cph=0.5"
        in lines
    )


def test_tolerance_allows_rounded_expectations(tmp_path: Path) -> None:
    project = edited(
        tmp_path,
        TESTS_FILE,
        "      - {day: 2024-12-31, abandonment_rate: 1.0}\n",
        "      - {day: 2024-12-31, abandonment_rate: 1.0}\n    tolerance: 0.001\n",
    )
    path = project / TESTS_FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace("0.3333333333333333", "0.3333", 1),
        encoding="utf-8",
    )
    result = run("test", "--project-dir", str(project), "--select", "abandonment_rate_by_day")
    assert result.exit_code == 0, result.output


def test_tests_section_in_a_metrics_file(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    (project / TESTS_FILE).unlink()
    with (project / "metrics" / "calls.yml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\ntests:\n"
            "  - name: offered_total\n"
            "    given:\n"
            "      calls:\n"
            "        - {leg_id: L1, leg_seq: 1, offered_ts: 2024-12-30 09:00:00}\n"
            "        - {leg_id: L2, leg_seq: 2, offered_ts: 2024-12-30 09:01:00}\n"
            "    metrics: [offered_calls]\n"
            "    expect:\n"
            "      - {offered_calls: 1}\n"
        )
    result = run("test", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert result.output == "PASS offered_total\n1 passed, 0 failed\n"


def test_unknown_model_in_given(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "      calls:\n", "      call:\n")
    result = run("test", "--project-dir", str(project), "--select", "abandonment_rate_by_day")
    assert result.exit_code == 1
    assert (
        "  metrics/tests/calls.yml:8:7: error E271: test 'abandonment_rate_by_day'"
        " gives rows for unknown model 'call'" in result.output
    )
    assert "  hint: did you mean 'calls'?" in result.output


@pytest.mark.parametrize("command", ["test", "validate"])
def test_an_unknown_metric_in_a_test_is_an_error_at_its_name(tmp_path: Path, command: str) -> None:
    """CI runs `mfl validate`: a test naming a metric the spec lacks fails there too, at the
    metric in the test (it passed validate and failed `mfl test` at the test's name)."""
    project = edited(
        tmp_path,
        TESTS_FILE,
        "    metrics: [abandonment_rate]\n",
        "    metrics: [abandonmnt_rate]\n",
    )
    result = run(command, "--project-dir", str(project))
    assert result.exit_code == 1
    assert (
        "metrics/tests/calls.yml:14:15: error E211: test 'abandonment_rate_by_day': unknown"
        " metric 'abandonmnt_rate'" in result.output
    )
    assert "hint: did you mean 'abandonment_rate'?" in result.output


def test_a_dimension_a_test_cannot_take_fails_validate_at_its_by(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "    grain: day\n", "    grain: day\n    by: [queu]\n")
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "metrics/tests/calls.yml:16:9: error E212: test 'abandonment_rate_by_day'" in (
        result.output
    )
    assert "did you mean 'queue'" in result.output


def test_unknown_model_in_given_fails_validate(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "      calls:\n", "      call:\n")
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "metrics/tests/calls.yml:8:7: error E271" in result.output


def test_a_model_label_in_given_gets_did_you_mean_the_name(tmp_path: Path) -> None:
    project = edited(
        tmp_path, "metrics/calls.yml", "  - name: calls\n", "  - name: calls\n    label: 来电\n"
    )
    path = project / TESTS_FILE
    path.write_text(path.read_text("utf-8").replace("      calls:\n", "      来电:\n"), "utf-8")
    result = run("test", "--project-dir", str(project), "--select", "abandonment_rate_by_day")
    assert result.exit_code == 1
    assert "  hint: '来电' is the label of 'calls': did you mean 'calls'?" in result.output


def test_malformed_test_file_is_a_located_error(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "    grain: day\n", "    grian: day\n")
    result = run("test", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "metrics/tests/calls.yml:15:5: error E201: unknown key 'grian'" in result.output
    assert "   15 |     grian: day" in result.output
    assert "hint: did you mean 'grain'" in result.output


def test_rows_that_do_not_fit_the_column_type(tmp_path: Path) -> None:
    project = edited(tmp_path, TESTS_FILE, "leg_seq: 1, offered_ts", "leg_seq: one, offered_ts")
    result = run("test", "--project-dir", str(project), "--select", "abandonment_rate_by_day")
    assert result.exit_code == 1
    assert "error E272: test 'abandonment_rate_by_day': the rows of 'calls' do not load" in (
        result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, None], "BIGINT"),
        ([1, 2.5], "DOUBLE"),
        ([True, None], "BOOLEAN"),
        ([dt.date(2024, 12, 30)], "DATE"),
        ([dt.date(2024, 12, 30), dt.datetime(2024, 12, 30, 9)], "TIMESTAMP"),
        (["A", 1], "VARCHAR"),
        ([None], "VARCHAR"),
    ],
    ids=["ints", "numbers", "flags", "dates", "times", "mixed", "empty"],
)
def test_infer_type(values: list[Scalar], expected: str) -> None:
    assert infer_type(values) == expected


def test_the_demo_ships_passing_metric_tests() -> None:
    """The demo project's metrics/tests/ cover its key metrics and pass."""
    from conftest import invoke

    root = Path(__file__).parent.parent
    result = invoke("test", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert "9 passed, 0 failed" in result.output
