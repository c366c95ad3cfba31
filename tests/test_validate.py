"""mfl validate: every problem at its exact file, line and column, with a hint; no tracebacks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import copy_fixture

from metricflow_lite.jobs.validate import validate_project
from metricflow_lite.spec.project import load_project
from metricflow_lite.text import display_width


@dataclass(frozen=True)
class Broken:
    """One mistake written into a copy of the tiny fixture, and where validate must find it."""

    id: str
    file: str
    old: str | None  # its first occurrence is replaced; None: `new` is a new file
    new: str
    code: str
    line: int
    col: int
    hint: str
    at: str | None = None  # the file the problem is reported in, when not `file`

    @property
    def where(self) -> str:
        return self.at or self.file


CASES = [
    Broken(
        "yaml-syntax",
        "metrics/calls.yml",
        "    format: percent\n",
        "    format: percent: x\n",
        "E001",
        43,
        20,
        "indentation",
    ),
    Broken(
        "unknown-key",
        "metrics/calls.yml",
        "    filter: answered_ts is not null",
        "    fliter: answered_ts is not null",
        "E201",
        50,
        5,
        "did you mean 'filter'?",
    ),
    Broken(
        "missing-key",
        "metrics/calls.yml",
        "    agg: count\n    filter: answered_ts is not null\n",
        "    filter: answered_ts is not null\n",
        "E202",
        45,
        5,
        "add 'agg: count'",
    ),
    Broken(
        "wrong-type",
        "metrics/calls.yml",
        "    label: 处理时长\n",
        "    label: [处理时长]\n",
        "E203",
        53,
        12,
        "",
    ),
    Broken(
        "invalid-format",
        "metrics/calls.yml",
        "    format: percent\n",
        "    format: percentage\n",
        "E204",
        43,
        13,
        "did you mean 'percent'?",
    ),
    Broken(
        "invalid-change",
        "metrics/calls.yml",
        "    format: percent\n",
        "    format: percent\n    change: point\n",
        "E204",
        44,
        13,
        "did you mean 'points'?",
    ),
    Broken(
        "invalid-target",
        "metrics/calls.yml",
        "    target: {max: 0.3}",
        "    target: {max: high}",
        "E204",
        44,
        19,
        "0.05 means 5%",
    ),
    Broken(
        "duplicate-across-files",
        "metrics/more.yml",
        None,
        "metrics:\n  - name: aht\n    expr: handle_seconds / handled_legs\n",
        "E205",
        2,
        11,
        "metrics/calls.yml:59:11",
    ),
    Broken(
        "unknown-model",
        "metrics/calls.yml",
        "    model: calls\n    agg: sum\n",
        "    model: call\n    agg: sum\n",
        "E210",
        55,
        12,
        "did you mean 'calls'?",
    ),
    Broken(
        "unknown-metric",
        "metrics/calls.yml",
        "expr: abandoned_calls / offered_calls",
        "expr: abandoned_calls / ofered_calls",
        "E211",
        42,
        29,
        "did you mean 'offered_calls'",
    ),
    Broken(
        "unknown-dimension",
        "reports/daily.yml",
        "by: [queue]",
        "by: [queu]",
        "E212",
        5,
        10,
        "did you mean 'queue'?",
    ),
    Broken(
        "last-week-at-week-grain",
        "reports/daily.yml",
        "compare: [previous_period]",
        "compare: [previous_period, same_period_last_week]",
        "E206",
        8,
        32,
        "needs grains of a day or finer",
    ),
    Broken(
        "unreachable-dimension",
        "reports/daily.yml",
        "by: [team]",
        "by: [queue]",
        "E214",
        11,
        10,
        "joins: calls",
    ),
    Broken(
        # the join is written, but not made: the hint said to add the join
        "unreachable-through-a-join-without-key",
        "metrics/calls.yml",
        "    primary_key: agent_id\n",
        "",
        "E214",
        11,
        10,
        "model 'agents' has no primary_key, so no join into it is made: add"
        " 'primary_key: agent_id' to model 'agents'",
        at="reports/daily.yml",
    ),
    Broken(
        # two codes shown as one member: a report's rows and bars could not be told apart
        "value-label-twice",
        "metrics/calls.yml",
        "dimensions: [{name: city, label: 城市}]",
        "dimensions: [{name: city, label: 城市, values: {sh: 上海, pd: 上海}}]",
        "E204",
        19,
        63,
        "gives the label '上海' to both 'sh' and 'pd'",
    ),
    Broken(
        "derived-function",
        "metrics/calls.yml",
        "expr: abandoned_calls / offered_calls",
        "expr: sqrt(abandoned_calls) / offered_calls",
        "E220",
        42,
        11,
        "coalesce, greatest, least, nullif, round",
    ),
    Broken(
        "filter-syntax",
        "metrics/calls.yml",
        "filter: leg_seq = 1 and answered_ts is null",
        "filter: leg_seq = = 1 and answered_ts is null",
        "E221",
        37,
        23,
        "parentheses and quotes",
    ),
    Broken(
        "cycle",
        "metrics/calls.yml",
        "expr: abandoned_calls / offered_calls",
        "expr: abandoned_calls / abandonment_rate",
        "E230",
        42,
        29,
        "break the cycle",
    ),
    Broken(
        "report-metric",
        "reports/daily.yml",
        "[handled_legs, staffed_hours, cph]",
        "[handled_legs, staffed_hour, cph]",
        "E240",
        13,
        29,
        "did you mean 'staffed_hours'?",
    ),
    Broken(
        "report-metric-twice",
        "reports/daily.yml",
        "[handled_legs, staffed_hours, cph]",
        "[handled_legs, staffed_hours, handled_legs]",
        "E243",
        13,
        44,
        "list each metric once",
    ),
    Broken(
        "report-dimension-twice",
        "reports/daily.yml",
        "    by: [team]",
        "    by: [team, team]",
        "E243",
        11,
        16,
        "list each dimension once",
    ),
    Broken(
        "chart-metric-not-in-report",
        "reports/daily.yml",
        "    compare: [previous_period]\n",
        "    compare: [previous_period]\n    charts:\n      - {type: line, metrics: [cph]}\n",
        "E241",
        10,
        32,
        "add it to the report's metrics",
    ),
    Broken(
        "pie-of-a-rate",
        "reports/daily.yml",
        "    compare: [previous_period]\n",
        "    compare: [previous_period]\n    charts:\n"
        "      - {type: pie, metrics: [offered_calls, abandonment_rate], by: queue}\n",
        "E242",
        10,
        46,
        "show rates, averages and distinct counts as a bar chart",
    ),
    Broken(
        "same-join-twice-without-a-role",
        "metrics/calls.yml",
        "      - {name: transfer_agent_id, joins: agents, as: transfer_agent}\n",
        "      - {name: transfer_agent_id, joins: agents}\n",
        "E216",
        9,
        42,
        "as: transfer_agent}",
    ),
    Broken(
        "ambiguous-dimension",
        "metrics/calls.yml",
        "      - {name: agent_id, joins: agents}\n      - {name: transfer",
        "      - {name: agent_id, joins: agents, as: agent}\n      - {name: transfer",
        "E213",
        22,
        40,
        "name one of: agent.team, transfer_agent.team",
    ),
    Broken(
        "unknown-column-in-expr",
        "metrics/calls.yml",
        "    expr: handle_seconds\n    format: duration\n  - name: aht",
        "    expr: handle_secs\n    format: duration\n  - name: aht",
        "E280",
        57,
        11,
        "did you mean 'handle_seconds'?",
    ),
    Broken(
        "unknown-column-in-filter",
        "metrics/calls.yml",
        "filter: answered_ts is not null\n    format: integer",
        "filter: answerd_ts is not null\n    format: integer",
        "E280",
        50,
        13,
        "did you mean 'answered_ts'",
    ),
    Broken(
        "dimension-not-a-column",
        "metrics/calls.yml",
        "      - queue\n",
        "      - queues\n",
        "E281",
        7,
        9,
        "did you mean 'queue'?",
    ),
    Broken(
        "time-not-a-column",
        "metrics/calls.yml",
        "    time: offered_ts\n",
        "    time: offered\n",
        "E281",
        4,
        11,
        "did you mean 'offered_ts'?",
    ),
    Broken(
        "non-numeric-sum",
        "metrics/calls.yml",
        "    expr: handle_seconds\n    format: duration\n  - name: aht",
        "    expr: queue\n    format: duration\n  - name: aht",
        "E282",
        57,
        11,
        "cast it to a number",
    ),
    Broken(
        "time-not-temporal",
        "metrics/calls.yml",
        "    time: offered_ts\n",
        "    time: leg_id\n",
        "E283",
        4,
        11,
        "offered_ts",
    ),
    Broken(
        "duckdb-rejects-expr",
        "metrics/calls.yml",
        "    expr: handle_seconds\n    format: duration\n  - name: aht",
        "    expr: handle_seconds + queue\n    format: duration\n  - name: aht",
        "E284",
        57,
        11,
        "argument types",
    ),
    Broken(
        "filter-not-boolean",
        "metrics/calls.yml",
        "    filter: leg_seq = 1\n",
        "    filter: leg_seq\n",
        "E285",
        30,
        13,
        "write a condition",
    ),
    Broken(
        "model-without-sql",
        "metrics/calls.yml",
        "    dimensions: [{name: city, label: 城市}]\n",
        "    dimensions: [{name: city, label: 城市}]\n  - name: chats\n",
        "E215",
        20,
        11,
        "create models/source/chats.sql",
    ),
    Broken(
        "primary-key-not-a-column",
        "metrics/calls.yml",
        "    primary_key: leg_id\n",
        "    primary_key: leg\n",
        "E281",
        5,
        18,
        "did you mean 'leg_id'",
    ),
    Broken(
        "model-unknown-source",
        "models/source/agents.sql",
        "source('agents')",
        "source('agent')",
        "E304",
        2,
        17,
        "did you mean 'agents'?",
    ),
    Broken(
        "model-sql-error",
        "models/source/shifts.sql",
        "s.staffed_seconds as integer",
        "s.staffed_secs as integer",
        "E314",
        4,
        10,
        "fix the SQL",
    ),
    Broken(
        "model-unknown-ref",
        "models/source/shifts.sql",
        "ref('agents')",
        "ref('agent')",
        "E303",
        6,
        14,
        "did you mean 'agents'?",
    ),
    Broken(
        "undocumented-metric",
        "metrics/calls.yml",
        "    label: 平均处理时长\n    description: handle seconds / handled legs.\n",
        "",
        "W201",
        59,
        11,
        "reports show the label",
    ),
    Broken(
        "unused-metric",
        "reports/daily.yml",
        "[offered_calls, abandonment_rate, aht]",
        "[offered_calls, abandonment_rate]",
        "W202",
        59,
        11,
        "add it to a report",
        at="metrics/calls.yml",
    ),
]


def broken_project(tmp_path: Path, *cases: Broken) -> Path:
    project = copy_fixture("tiny", tmp_path)
    for case in cases:
        path = project / case.file
        if case.old is None:
            path.write_text(case.new, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        assert case.old in text, f"{case.id}: the patch does not match"
        path.write_text(text.replace(case.old, case.new, 1), encoding="utf-8")
    return project


def run(*args: str) -> Result:
    from metricflow_lite.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_mistake_is_found_at_its_place(tmp_path: Path, case: Broken) -> None:
    project = broken_project(tmp_path, case)
    result = validate_project(load_project(project))
    found = [d for d in result.diagnostics if d.code == case.code]
    assert found, [f"{d.loc}: {d.code} {d.message}" for d in result.diagnostics]
    places = [(d.loc.file, d.loc.line, d.loc.col) for d in found if d.loc]
    assert (case.where, case.line, case.col) in places
    diag = next(d for d in found if d.loc and (d.loc.line, d.loc.col) == (case.line, case.col))
    assert case.hint in (diag.hint or "") + diag.message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_prints_the_line_and_no_traceback(tmp_path: Path, case: Broken) -> None:
    project = broken_project(tmp_path, case)
    # unused metrics are one summary line unless --strict lists each (#20)
    strict = ("--strict",) if case.code == "W202" else ()
    result = run("validate", "--project-dir", str(project), *strict)
    assert "Traceback" not in result.output
    warning_only = case.code.startswith("W")
    assert result.exit_code == (0 if warning_only and not strict else 1), result.output
    severity = "warning" if warning_only else "error"
    assert f"{case.where}:{case.line}:{case.col}: {severity} {case.code}: " in result.output
    assert f"   {case.line} | " in result.output  # the source line under the message
    caret_line = next(
        line
        for line in result.output.splitlines()[
            result.output.splitlines().index(
                next(
                    x
                    for x in result.output.splitlines()
                    if x.startswith(f"{case.where}:{case.line}:{case.col}: ")
                )
            ) :
        ]
        if line.strip().startswith("|") and "^" in line
    )
    # the caret sits under the spot in a terminal: wide (CJK) characters count two columns
    source = project.joinpath(case.where).read_text(encoding="utf-8").splitlines()[case.line - 1]
    assert caret_line.index("^") - caret_line.index("|") - 2 == display_width(
        source[: case.col - 1]
    )


def test_the_fixture_itself_is_clean_of_errors(tmp_path: Path) -> None:
    result = run("validate", "--project-dir", str(copy_fixture("tiny", tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 errors, 4 warnings in 1 file"


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    result = run("validate", "--strict", "--project-dir", str(copy_fixture("tiny", tmp_path)))
    assert result.exit_code == 1
    assert "warning W202" in result.output


def test_five_different_errors_are_all_reported(tmp_path: Path) -> None:
    chosen = {
        "unknown-key",
        "invalid-format",
        "report-metric",
        "non-numeric-sum",
        "model-sql-error",
    }
    project = broken_project(tmp_path, *[c for c in CASES if c.id in chosen])
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    for code in ("E201", "E204", "E240", "E282", "E314"):
        assert f" error {code}: " in result.output, code
    assert result.output.splitlines()[-1] == "5 errors, 4 warnings in 3 files"


def test_misspelled_formula_gives_two_errors_with_hints(tmp_path: Path) -> None:
    typo = Broken(
        "typo",
        "metrics/calls.yml",
        "expr: abandoned_calls / offered_calls",
        "expr: abandon_calls / offered_call",
        "E211",
        42,
        11,
        "",
    )
    result = run("validate", "--project-dir", str(broken_project(tmp_path, typo)))
    assert result.exit_code == 1
    assert (
        "metrics/calls.yml:42:11: error E211: unknown metric 'abandon_calls'"
        " in expr of 'abandonment_rate'\n"
        "   42 |     expr: abandon_calls / offered_call\n"
        "      |           ^^^^^^^^^^^^^\n"
        "  hint: did you mean 'abandoned_calls'?\n"
        "metrics/calls.yml:42:27: error E211: unknown metric 'offered_call'"
        " in expr of 'abandonment_rate'\n"
        "   42 |     expr: abandon_calls / offered_call\n"
        "      |                           ^^^^^^^^^^^^\n"
        "  hint: did you mean 'offered_calls'?\n"
    ) in result.output


def test_json_format(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "unknown-key")
    result = run(
        "validate", "--format", "json", "--project-dir", str(broken_project(tmp_path, case))
    )
    assert result.exit_code == 1
    items = json.loads(result.output)
    assert {
        "file": "metrics/calls.yml",
        "line": 50,
        "col": 5,
        "severity": "error",
        "code": "E201",
        "message": "unknown key 'fliter' in metric 'handled_legs'",
        "hint": "did you mean 'filter'?",
    } in items


def test_github_format(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "unknown-key")
    result = run(
        "validate", "--format", "github", "--project-dir", str(broken_project(tmp_path, case))
    )
    assert result.exit_code == 1
    assert (
        "::error file=metrics/calls.yml,line=50,col=5,title=E201::unknown key 'fliter'"
        " in metric 'handled_legs' (hint: did you mean 'filter'?)"
    ) in result.output.splitlines()


def test_other_commands_show_the_source_line(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "unknown-key")
    result = run("list", "metrics", "--project-dir", str(broken_project(tmp_path, case)))
    assert result.exit_code == 1
    assert "   50 |     fliter: answered_ts is not null" in result.output
    assert "Traceback" not in result.output


def test_a_broken_model_does_not_stop_the_other_checks(tmp_path: Path) -> None:
    chosen = [c for c in CASES if c.id in ("model-sql-error", "unknown-column-in-expr")]
    result = validate_project(load_project(broken_project(tmp_path, *chosen)))
    codes = sorted(d.code for d in result.diagnostics if d.code.startswith("E"))
    # staffed_hours (on the broken shifts model) is skipped, not reported twice
    assert codes == ["E280", "E314"]


def test_project_file_mistake_shows_its_line(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(config.read_text().replace("timezone:", "timezon:"), encoding="utf-8")
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "metricflow_lite.yml:2:1: error E021: unknown key 'timezon'" in result.output
    assert "   2 | timezon: Asia/Shanghai" in result.output
    assert "hint: did you mean 'timezone'?" in result.output


def test_metric_test_files_are_checked_too(tmp_path: Path) -> None:
    project = copy_fixture("tiny", tmp_path)
    tests = project / "metrics" / "tests" / "calls.yml"
    tests.write_text(tests.read_text().replace("    grain: day\n", "    grian: day\n", 1))
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "metrics/tests/calls.yml:15:5: error E201: unknown key 'grian'" in result.output


def test_every_code_is_documented() -> None:
    import re

    root = Path(__file__).parent.parent
    used = set()
    for path in (root / "src").rglob("*.py"):
        used |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    doc = (root / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\b([EW]\d{3})\b", doc))
    for first, last in re.findall(r"\bE(\d{3})-E(\d{3})\b", doc):
        documented |= {f"E{n:03d}" for n in range(int(first), int(last) + 1)}
    assert sorted(used - documented) == []


def test_pre_commit_hook_and_ci_example() -> None:
    import yaml

    root = Path(__file__).parent.parent
    hooks = {h["id"]: h for h in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["mfl-validate"]["entry"] == "mfl validate"
    assert hooks["mfl-validate"]["files"] == "^(metrics|reports|models)/"
    assert hooks["mfl-validate"]["pass_filenames"] is False
    workflow = yaml.safe_load((root / "docs" / "ci-example.yml").read_text())
    steps = [s.get("run", "") for s in workflow["jobs"]["check"]["steps"]]
    assert "mfl validate --format github" in steps
    assert "mfl test" in steps


def test_reading_project_yaml_leaves_pyyaml_booleans_alone() -> None:
    import yaml

    from metricflow_lite.spec.loader import parse_yaml

    assert parse_yaml("flag: on\nother: true\n", "x.yml") == {"flag": "on", "other": True}
    assert yaml.safe_load("flag: false") == {"flag": False}


def test_missing_seeds_folder_is_one_error_not_one_per_model(tmp_path: Path) -> None:
    import shutil

    project = copy_fixture("tiny", tmp_path)
    shutil.rmtree(project / "seeds")
    result = validate_project(load_project(project))
    assert [d.code for d in result.diagnostics if d.code.startswith("E")] == ["E100"]


def test_a_from_header_no_file_has_is_e104_not_a_failing_model(tmp_path: Path) -> None:
    # The export's header is 处理时长(秒); the team lead typed the parentheses full-width.
    # validate said 'model calls fails in DuckDB: Binder Error: Referenced column
    # "handle_seconds" not found', and only `mfl seed` named the header.
    project = copy_fixture("tiny", tmp_path)
    seeds = project / "seeds"
    text = (seeds / "calls.csv").read_text(encoding="utf-8")
    (seeds / "calls.csv").write_text(text.replace("handle_seconds", "处理时长(秒)", 1), "utf-8")
    (seeds / "calls.yml").write_text(
        "columns:\n  handle_seconds: {from: 处理时长（秒）, type: INTEGER}\n", encoding="utf-8"
    )
    result = run("validate", "--project-dir", str(project), "--quiet")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "seeds/calls.yml:2:3: error E104: column 'handle_seconds' (from: 处理时长（秒）) of"
        " seeds/calls.yml is in none of raw.calls's files",
        "   2 |   handle_seconds: {from: 处理时长（秒）, type: INTEGER}",
        "     |   ^^^^^^^^^^^^^^",
        "  hint: did you mean '处理时长(秒)'? '（' is full-width (全角) punctuation: write '('"
        "; switch the input method to half-width (半角)",
    ]
    # with the header typed as the export has it, the project is clean
    (seeds / "calls.yml").write_text(
        "columns:\n  handle_seconds: {from: 处理时长(秒), type: INTEGER}\n", encoding="utf-8"
    )
    assert run("validate", "--project-dir", str(project), "--quiet").output == ""
