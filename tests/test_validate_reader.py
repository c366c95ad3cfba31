"""`mfl validate` that respects the reader's time (#20): one cause is one error, errors first,
the unused-metric warnings in one line, and hints for the mistakes a Chinese IME makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_fixture, invoke

from metricflow_lite.spec.project import load_project


def tiny(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    project = copy_fixture("tiny", tmp_path)
    if file:
        edit(project / file, old, new)
    return project


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file (which must hold it) with `new`."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def validate(project: Path, *args: str) -> tuple[int, str]:
    result = invoke("validate", "--project-dir", str(project), *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("    label: 呼入量", "    label： 呼入量", "'：', full-width (全角) punctuation"),
        ("    label: 呼入量", "\tlabel: 呼入量", "indented with a tab"),
        (
            "    filter: leg_seq = 1\n",
            "    filter: {x: leg_seq = 1 and queue in ('A', 'B')}\n",
            "line 30 has a comma inside ('A', 'B') in an unquoted {...} mapping, where a comma"
            " ends the value: quote the value",
        ),
    ],
    ids=["full-width-colon", "tab", "comma-in-a-flow-mapping"],
)
def test_one_yaml_syntax_error_is_one_error_with_its_cause(
    tmp_path: Path, old: str, new: str, hint: str
) -> None:
    # Before: 20 errors in 7 files, 19 of them "unknown metric/model" from the unread file.
    code, output = validate(tiny(tmp_path, "metrics/calls.yml", old, new))
    assert code == 1
    errors = [line for line in output.splitlines() if ": error " in line]
    assert len(errors) == 1 and " error E001: " in errors[0], output
    assert hint in output
    assert "W202" not in output  # the unread file may be what uses them


def test_a_syntax_error_in_a_file_of_flow_mappings_is_one_error(tmp_path: Path) -> None:
    # The names of `- {name: x, ...}` entries were not read from the broken file: every report
    # that used one of them got an "unknown metric" of its own.
    project = tiny(
        tmp_path,
        "metrics/calls.yml",
        "  - name: offered_calls\n    label: 呼入量\n"
        "    description: First legs of inbound calls.\n    model: calls\n    agg: count\n"
        "    filter: leg_seq = 1\n    format: integer\n",
        "  - {name: offered_calls, label: 呼入量, model: calls, agg: count, filter: leg_seq = 1}\n"
        "  - name: broken\n    label： 坏\n",
    )
    code, output = validate(project)
    assert code == 1
    errors = [line for line in output.splitlines() if ": error " in line]
    assert len(errors) == 1 and " error E001: " in errors[0], output


def test_a_metric_whose_expr_does_not_parse_is_one_error(tmp_path: Path) -> None:
    # Its users were told the metric is unknown, with a did-you-mean for another metric.
    project = tiny(
        tmp_path,
        "metrics/calls.yml",
        "expr: abandoned_calls / offered_calls",
        "expr: abandoned_calls / / offered_calls",
    )
    code, output = validate(project)
    assert code == 1
    errors = [line for line in output.splitlines() if ": error " in line]
    assert len(errors) == 1, output
    assert "error E221: SQL syntax error in expr of 'abandonment_rate'" in errors[0]


@pytest.mark.parametrize(
    ("file", "old", "new", "error"),
    [
        (
            "reports/daily.yml",
            "metrics: [offered_calls, abandonment_rate, aht]",
            "metrics: [offered_calls，abandonment_rate, aht]",
            "error E240: unknown metric 'offered_calls，abandonment_rate' in report 'queue_daily'",
        ),
        (
            "reports/daily.yml",
            "by: [queue]",
            "by: [queue，team]",
            "error E212: unknown dimension 'queue，team'",
        ),
        (
            "metrics/calls.yml",
            "target: {max: 0.3}",
            "target: {max：0.3}",
            "error E201: unknown key 'max：0.3'",
        ),
    ],
    ids=["comma-in-a-list", "comma-in-by", "colon-in-a-flow-mapping"],
)
def test_full_width_punctuation_inside_a_name_is_named(
    tmp_path: Path, file: str, old: str, new: str, error: str
) -> None:
    # YAML reads `[a，b]` as one name and `{max：0.3}` as one key: the hint was a did-you-mean
    # for a near name, or the list of allowed keys, never the full-width mark.
    code, output = validate(tiny(tmp_path, file, old, new))
    assert code == 1
    assert error in output
    mark = "，" if "，" in new else "："
    ascii_mark = "," if mark == "，" else ":"
    assert (
        f"hint: '{mark}' is full-width (全角) punctuation: write '{ascii_mark}';"
        " switch the input method to half-width (半角)"
    ) in output


def test_a_full_width_slash_in_an_expr_is_named(tmp_path: Path) -> None:
    project = tiny(
        tmp_path,
        "metrics/calls.yml",
        "expr: handle_seconds / handled_legs",
        "expr: handle_seconds ／ handled_legs",
    )
    code, output = validate(project)
    assert code == 1
    assert "error E221: full-width '／' in expr of 'aht'" in output
    assert "SQL needs '/'" in output and "全角" in output


def test_a_label_used_as_a_name_gets_did_you_mean_the_name(tmp_path: Path) -> None:
    project = tiny(
        tmp_path,
        "reports/daily.yml",
        "metrics: [offered_calls, abandonment_rate, aht]",
        "metrics: [呼入量, abandonment_rate, aht]",
    )
    code, output = validate(project)
    assert code == 1
    assert "error E240: unknown metric '呼入量' in report 'queue_daily'" in output
    assert "hint: '呼入量' is the label of 'offered_calls': did you mean 'offered_calls'?" in output


def test_a_dimension_label_used_as_a_name_gets_did_you_mean_the_name(tmp_path: Path) -> None:
    project = tiny(tmp_path, "reports/daily.yml", "by: [team]", "by: [城市]")
    code, output = validate(project)
    assert code == 1
    assert "error E212: unknown dimension '城市' for model 'calls' in report" in output
    assert "hint: '城市' is the label of 'city': did you mean 'city'?" in output


def test_a_model_label_used_as_a_name_gets_did_you_mean_the_name(tmp_path: Path) -> None:
    # The hint listed every model, as for any unknown name.
    project = tiny(
        tmp_path, "metrics/calls.yml", "  - name: calls\n", "  - name: calls\n    label: 来电\n"
    )
    edit(project / "metrics" / "calls.yml", "    model: calls\n", "    model: 来电\n")
    code, output = validate(project)
    assert code == 1
    assert "error E210: unknown model '来电' in metric 'offered_calls'" in output
    assert "hint: '来电' is the label of 'calls': did you mean 'calls'?" in output


def test_a_dimension_label_in_a_filter_gets_did_you_mean_the_column(tmp_path: Path) -> None:
    project = tiny(
        tmp_path, "metrics/calls.yml", "      - queue\n", "      - {name: queue, label: 队列}\n"
    )
    edit(project / "metrics" / "calls.yml", "filter: leg_seq = 1", "filter: 队列 = 'A'")
    code, output = validate(project)
    assert code == 1
    assert "error E280: unknown column '队列' in filter of metric 'offered_calls'" in output
    assert "hint: '队列' is the label of 'queue': did you mean 'queue'?" in output


def test_a_value_label_in_a_metric_or_report_filter_is_found_at_its_place(
    tmp_path: Path,
) -> None:
    # --where "queue = '售前'" was E224, but the same in a filter passed validate: a metric's
    # counted nothing, a report's failed `mfl build` without a place.
    project = tiny(
        tmp_path,
        "metrics/calls.yml",
        "      - queue\n",
        "      - {name: queue, label: 队列, values: {A: 售前, B: 售后}}\n",
    )
    path = project / "metrics" / "calls.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("filter: leg_seq = 1\n", "filter: leg_seq = 1 and queue <> '售后'\n", 1),
        encoding="utf-8",
    )
    report = project / "reports" / "daily.yml"
    text = report.read_text(encoding="utf-8")
    report.write_text(
        text.replace(
            "    by: [queue]\n", "    by: [queue]\n    filter: queue in ('售前', 'B')\n", 1
        ),
        encoding="utf-8",
    )
    code, output = validate(project, "--quiet")
    assert code == 1
    errors = [line for line in output.splitlines() if ": error " in line]
    assert errors == [
        "metrics/calls.yml:30:38: error E224: '售后' is the label of 'B' in dimension 'queue',"
        " not one of its values",
        "reports/daily.yml:6:23: error E224: '售前' is the label of 'A' in dimension 'queue',"
        " not one of its values",
    ], output
    assert "hint: did you mean 'B'? filters compare the codes; tables show their labels" in output


def test_a_comma_inside_an_unquoted_flow_mapping_gets_a_hint(tmp_path: Path) -> None:
    project = tiny(
        tmp_path,
        "metrics/calls.yml",
        "  - name: aht\n    label: 平均处理时长\n    description: handle seconds / handled legs.\n"
        "    expr: handle_seconds / handled_legs\n    format: duration\n",
        "  - {name: aht, label: 平均处理时长, description: x, format: duration,"
        " expr: handle_seconds / nullif(handled_legs, 0)}\n",
    )
    code, output = validate(project)
    assert code == 1
    assert "unknown key '0)'" in output
    assert (
        "a comma inside an unquoted flow mapping ends the value: quote it, "
        '{expr: "handle_seconds / nullif(handled_legs, 0)"}' in output
    )


def test_unused_metrics_are_one_line_unless_strict(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    code, output = validate(project)
    assert code == 0
    unused = [line for line in output.splitlines() if "W202" in line]
    assert unused == [
        "warning W202: 4 metrics are used by no report and no derived metric: "
        "avg_handle, callers, median_handle, p90_handle"
    ], output
    code, strict = validate(project, "--strict")
    assert code == 1
    assert sum("warning W202" in line for line in strict.splitlines()) > 1


def test_quiet_prints_errors_only_and_errors_come_first(tmp_path: Path) -> None:
    clean = tiny(tmp_path / "clean")
    assert validate(clean, "--quiet") == (0, "")
    broken = tiny(
        tmp_path / "broken",
        "reports/daily.yml",
        "metrics: [offered_calls, abandonment_rate, aht]",
        "metrics: [offered_call, abandonment_rate, aht]",
    )
    code, quiet = validate(broken, "-q")
    assert code == 1
    assert "warning" not in quiet and "error E240" in quiet
    assert quiet.endswith("did you mean 'offered_calls'?\n")  # errors only: no blank line after
    _, loud = validate(broken)
    lines = [line for line in loud.splitlines() if ": error " in line or "warning W" in line]
    kinds = ["error" if ": error " in line else "warning" for line in lines]
    assert kinds == sorted(kinds), loud  # every error before the first warning


@pytest.mark.parametrize(
    ("engine", "setting"),
    [("duckdb", ("path", "target/warehouse.duckdb")), ("postgres", ("dsn_env", "MFL_PG_DSN"))],
)
def test_target_may_name_an_engine(tmp_path: Path, engine: str, setting: tuple[str, str]) -> None:
    project = tiny(tmp_path)
    config = project / "metricflow_lite.yml"
    text = config.read_text(encoding="utf-8")
    start = text.index("target: dev")
    config.write_text(text[:start] + f"target: {engine}\n", encoding="utf-8")  # no targets:
    target = load_project(project).target()
    assert (target.name, target.type) == (engine, engine)
    assert target.get(setting[0]) == setting[1]
    if engine == "duckdb":
        code, output = validate(project)
        assert code == 0, output


@pytest.mark.parametrize(("word", "grain"), [("周", "week"), ("日报", "day"), ("季度", "quarter")])
def test_a_chinese_grain_word_gets_did_you_mean_the_grain(
    tmp_path: Path, word: str, grain: str
) -> None:
    project = tiny(tmp_path, "reports/daily.yml", "grains: [day, week, month]", f"grains: [{word}]")
    code, output = validate(project)
    assert code == 1
    assert f"error E204: grain of report 'queue_daily' '{word}' is not one of" in output
    assert f"hint: '{word}' is the grain {grain}: did you mean '{grain}'?" in output
    result = invoke("query", "--project-dir", str(project), "--metrics", "aht", "--grain", word)
    assert result.exit_code == 1
    assert f"did you mean '{grain}'?" in result.output
