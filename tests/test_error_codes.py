"""Each error code of docs/diagnostics.md provoked for real and run through the CLI: the exit
code, the code, its file:line:col and the words of its message and hint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from conftest import copy_fixture, invoke

ROOT = Path(__file__).parent.parent
PROJECT = "metricflow_lite.yml"
TINY_TARGET = "  dev: {type: duckdb, path: target/warehouse.duckdb}\n"


def tiny(tmp_path: Path) -> Path:
    return copy_fixture("tiny", tmp_path)


def patch(project: Path, file: str, old: str, new: str) -> None:
    """Replace the first `old` in a project file by `new`."""
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{file}: the patch does not match"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write(project: Path, file: str, text: str) -> None:
    path = project / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def assert_error(output: str, exit_code: int, code: str, where: str | None, *words: str) -> None:
    """Exit 1 and `where: error CODE: ...` (or `error CODE: ...` without a place) with the words
    in the output; `where` is `file` or `file:line` or `file:line:col`."""
    assert exit_code == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    head = f"{where}: error {code}: " if where else f"error {code}: "
    lines = output.splitlines()
    assert any(line.startswith(head) for line in lines), output
    for word in words:
        assert word in output, f"{word!r} not in:\n{output}"


def check(result: Result, code: str, where: str | None, *words: str) -> None:
    assert_error(result.output, result.exit_code, code, where, *words)


def codes_in(output: str) -> list[str]:
    return re.findall(r"\berror (E\d{3}):", output)


# --- metricflow_lite.yml (E020-E026) ---------------------------------------------------------

PROJECT_FILE_CASES = [
    pytest.param("- a\n- b\n", "E020", "1:1", ("must be a mapping of settings",), id="E020"),
    pytest.param(
        "timezone: Asia/Shanghai\nweek_start: monday\n",
        "E022",
        "1:1",
        ("needs a 'name'", "name: my_contact_center"),
        id="E022",
    ),
    pytest.param(
        "name: x\nweek_start: mon\n",
        "E023",
        "2:13",
        ("week_start must be monday or sunday, not 'mon'",),
        id="E023",
    ),
    pytest.param(
        "name: x\ntargets:\n  dev: {type: duck}\n",
        "E024",
        "3:15",
        ("target 'dev' has unknown type 'duck'", "did you mean 'duckdb'?"),
        id="E024-unknown-type",
    ),
    pytest.param(
        "name: x\ntargets: 5\n",
        "E024",
        "2:10",
        ("targets must be a mapping", "dev: {type: duckdb, path: target/warehouse.duckdb}"),
        id="E024-not-a-mapping",
    ),
    pytest.param(
        "name: x\ntargets:\n  dev: {path: x.duckdb}\n",
        "E024",
        "3:8",
        ("target 'dev' needs a 'type' (duckdb, postgres, spark)",),
        id="E024-no-type",
    ),
    pytest.param(
        "name: x\nsettings: 6\n",
        "E025",
        "2:11",
        ("settings must be a mapping", "settings: {short_abandon_seconds: 6"),
        id="E025",
    ),
    pytest.param(
        "name: x\ntimezone: Asia/Shangai\n",
        "E026",
        "2:11",
        ("unknown time zone 'Asia/Shangai'", "did you mean 'Asia/Shanghai'"),
        id="E026",
    ),
]


@pytest.mark.parametrize(("text", "code", "at", "words"), PROJECT_FILE_CASES)
def test_project_file_mistakes(
    tmp_path: Path, text: str, code: str, at: str, words: tuple[str, ...]
) -> None:
    project = tiny(tmp_path)
    write(project, PROJECT, text)
    result = invoke("validate", "--project-dir", str(project))
    check(result, code, f"{PROJECT}:{at}", *words)
    line = int(at.split(":")[0])
    assert f"   {line} | {text.splitlines()[line - 1]}" in result.output


def test_e002_duplicate_key(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    patch(
        project, "metrics/calls.yml", "    label: 呼入量\n", "    label: 呼入量\n    label: 来电\n"
    )
    result = invoke("validate", "--project-dir", str(project))
    check(
        result,
        "E002",
        "metrics/calls.yml:27:5",
        "duplicate key 'label'",
        "each key may appear once in a mapping",
    )


@pytest.mark.parametrize(
    ("file", "command"),
    [
        pytest.param("metrics/calls.yml", "validate", id="yaml"),
        pytest.param("models/source/agents.sql", "compile", id="model-sql"),
    ],
)
def test_e003_file_not_utf8(tmp_path: Path, file: str, command: str) -> None:
    project = tiny(tmp_path)
    path = project / file
    # a Chinese comment saved as GBK, as an editor on a Chinese Windows desktop does
    comment = "-- 坐席\n" if file.endswith(".sql") else "# 坐席\n"
    path.write_bytes((comment + path.read_text(encoding="utf-8")).encode("gbk"))
    result = invoke(command, "--project-dir", str(project))
    check(result, "E003", file, f"{file} is not UTF-8 text", "save the file as UTF-8")


def test_e004_no_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MFL_PROJECT_DIR", raising=False)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    result = invoke("validate", "--project-dir", str(empty))
    check(
        result,
        "E004",
        None,
        f"no {PROJECT} in {empty.resolve()}",
        "--project-dir DIR",
        "mfl init DIR",
    )


# --- targets and the warehouse (E009-E019) ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        pytest.param("memory_limit", "lots", "Memory must have a number", id="memory_limit"),
        pytest.param("threads", "many", "threads must be a whole number", id="threads"),
        pytest.param("threads", "2.5", "not 2.5", id="threads-fraction"),
    ],
)
def test_e009_invalid_duckdb_setting_points_at_its_value(
    tmp_path: Path, setting: str, value: str, words: str
) -> None:
    # a block-style target: the error is on the setting's own line, not on the target's
    project = tiny(tmp_path)
    block = f"  dev:\n    type: duckdb\n    path: target/warehouse.duckdb\n    {setting}: {value}\n"
    patch(project, PROJECT, TINY_TARGET, block)
    lines = (project / PROJECT).read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith(f"    {setting}:"))
    col = lines[line - 1].index(value) + 1
    result = invoke("seed", "--project-dir", str(project))
    check(
        result,
        "E009",
        f"{PROJECT}:{line}:{col}",
        "target 'dev'",
        words,
        "memory_limit is a size such as 4GB; threads a whole number",
    )


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        pytest.param("prod", "targets defined in metricflow_lite.yml: dev", id="unknown"),
        pytest.param("deb", "did you mean 'dev'?", id="typo"),
    ],
)
def test_e010_unknown_target(tmp_path: Path, name: str, hint: str) -> None:
    project = tiny(tmp_path)
    result = invoke("--project-dir", str(project), "--target", name, "build")
    check(result, "E010", PROJECT, f"unknown target '{name}'", hint)


def test_e012_query_before_any_build(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    result = invoke("query", "--project-dir", str(project), "--metrics", "offered_calls")
    warehouse = project.resolve() / "target" / "warehouse.duckdb"
    check(result, "E012", None, f"no warehouse at {warehouse}", "run 'mfl seed' and 'mfl build'")
    assert not warehouse.exists()


HOLDER = """
import sys
import duckdb

connection = duckdb.connect(sys.argv[1])  # read-write: DuckDB locks the file
print("holding", flush=True)
sys.stdin.readline()
connection.close()
"""


def test_e013_warehouse_held_by_another_process(tiny_project: Path) -> None:
    warehouse = tiny_project.resolve() / "target" / "warehouse.duckdb"
    # the with block closes both pipes and waits for the holder (an open pipe would surface
    # later as a ResourceWarning in whichever test the garbage collector happens to run in)
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline() == "holding\n"
            for args in (("build",), ("query", "--metrics", "offered_calls")):
                result = invoke(*args, "--project-dir", str(tiny_project))
                check(
                    result,
                    "E013",
                    None,
                    f"cannot open {warehouse}",
                    "a running 'mfl seed' (or another program that writes the file, such as a"
                    " DuckDB shell) holds it; readers and builds share the file, writers wait:"
                    " retry when it has finished",
                )
        finally:
            holder.stdin.close()  # the holder lets go of the file and exits
    assert holder.returncode == 0
    released = invoke("query", "--project-dir", str(tiny_project), "--metrics", "offered_calls")
    assert released.exit_code == 0, released.output


def test_e014_postgres_without_psycopg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tiny(tmp_path)
    patch(project, PROJECT, TINY_TARGET, TINY_TARGET + "  pg: {type: postgres}\n")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    result = invoke("build", "--project-dir", str(project), "--target", "pg")
    check(
        result,
        "E014",
        f"{PROJECT}:7:7",
        "target 'pg' needs psycopg, which is not installed",
        "pip install 'metricflow-lite[postgres]'",
    )


def spark_target(project: Path, master: str) -> None:
    warehouse_dir = project.parent / "spark-warehouse"
    patch(
        project,
        PROJECT,
        TINY_TARGET,
        TINY_TARGET
        + f"  spark: {{type: spark, master: '{master}', warehouse_dir: '{warehouse_dir}'}}\n",
    )


def test_e017_spark_without_pyspark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tiny(tmp_path)
    spark_target(project, "local[2]")
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = invoke("build", "--project-dir", str(project), "--target", "spark")
    check(
        result,
        "E017",
        f"{PROJECT}:7:10",
        "target 'spark' needs pyspark, which is not installed",
        "pip install 'metricflow-lite[spark]'",
    )


def mfl_process(project: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """The console script in a process of its own: no SparkSession of another test is reused,
    and a JVM it starts dies with it."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mfl"), *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("MFL_PROJECT_DIR", "MFL_TARGET")}


def test_e018_spark_without_java(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    project = tiny(tmp_path)
    spark_target(project, "local[2]")
    no_java = tmp_path / "jdk-missing"
    empty_bin = tmp_path / "bin"
    no_java.mkdir()
    empty_bin.mkdir()
    env = {**clean_env(), "JAVA_HOME": str(no_java), "PATH": str(empty_bin)}
    code, output = mfl_process(project, env, "build", "--target", "spark")
    assert_error(
        output,
        code,
        "E018",
        f"{PROJECT}:7:10",
        "target 'spark': Spark needs Java 17 or later, and no java was found",
        "install a Java runtime",
        "JAVA_HOME",
    )


def test_e019_spark_cannot_start_at_the_master_url(tmp_path: Path) -> None:
    """spark-submit refuses the URL before the JVM is up (about 5 s)."""
    pytest.importorskip("pyspark")
    home = os.environ.get("JAVA_HOME")
    if not (home and (Path(home) / "bin" / "java").exists()) and shutil.which("java") is None:
        pytest.skip("no Java: E018 comes first")
    project = tiny(tmp_path)
    spark_target(project, "bogus://nowhere")
    code, output = mfl_process(project, clean_env(), "build", "--target", "spark")
    assert_error(
        output,
        code,
        "E019",
        f"{PROJECT}:7:10",
        "target 'spark': cannot start Spark at bogus://nowhere",
        "check the master URL (local[2] or sc://host:15002)",
    )


def test_e030_init_into_a_project(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    before = (project / PROJECT).read_bytes()
    result = invoke("init", str(project))
    check(result, "E030", None, f"{project} already holds a project ({PROJECT})", "new folder")
    assert (project / PROJECT).read_bytes() == before
    assert not (project / ".gitignore").exists()


# --- commands (E250, E260, E273, E311) ---------------------------------------------------


@pytest.mark.parametrize("metrics", [",", " , "])
def test_e250_query_without_metrics(tmp_path: Path, metrics: str) -> None:
    """Reported before the warehouse is opened: this project was never built."""
    project = tiny(tmp_path)
    result = invoke("query", "--project-dir", str(project), "--metrics", metrics)
    check(result, "E250", None, "no metrics requested", "pass --metrics a,b")
    assert codes_in(result.output) == ["E250"]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        pytest.param("daly", "reports: queue_daily, team_capacity", id="far"),
        pytest.param("queue_dayly", "did you mean 'queue_daily'?", id="close"),
        pytest.param(
            "队列日报",
            "'队列日报' is the label of 'queue_daily': did you mean 'queue_daily'?",
            id="label",
        ),
    ],
)
def test_e260_unknown_report(tmp_path: Path, name: str, hint: str) -> None:
    result = invoke("report", name, "--project-dir", str(tiny(tmp_path)))
    check(result, "E260", None, f"unknown report '{name}'", hint)


@pytest.mark.parametrize(
    "select",
    [
        pytest.param(("nope",), id="only"),
        pytest.param(("abandonment_rate_by_day", "nope"), id="one-of-two"),
    ],
)
def test_e273_test_select_names_no_test(tmp_path: Path, select: tuple[str, ...]) -> None:
    args = [word for name in select for word in ("--select", name)]
    result = invoke("test", *args, "--project-dir", str(tiny(tmp_path)))
    check(result, "E273", None, "no metric test named nope", "tests live under 'tests:'")
    assert "abandonment_rate_by_day" not in result.output  # nothing ran


@pytest.mark.parametrize(
    ("select", "hint"),
    [
        pytest.param("app.queue_daly_day", "did you mean 'app.queue_daily_day'", id="close"),
        pytest.param("nothing_here", "objects: src.agents, src.calls", id="far"),
    ],
)
def test_e311_compile_select_names_nothing(tmp_path: Path, select: str, hint: str) -> None:
    project = tiny(tmp_path)
    result = invoke("compile", "--select", select, "--project-dir", str(project))
    check(result, "E311", None, f"nothing named '{select}' to compile", hint)
    assert not (project / "target" / "compiled").exists()


# --- models and builds (E300-E313) ---------------------------------------------------------


def test_e300_failed_build_keeps_the_previous_one(tiny_project: Path) -> None:
    patch(
        tiny_project,
        "models/source/shifts.sql",
        "s.staffed_seconds as integer",
        "s.staffed_secs as integer",
    )
    result = invoke("build", "--project-dir", str(tiny_project))
    check(
        result,
        "E300",
        None,
        "build failed in model models/source/shifts.sql",
        "staffed_secs",
        "nothing was changed: the previous build is still in place",
    )
    kept = invoke(
        "query", "--project-dir", str(tiny_project), "--metrics", "offered_calls", "--format", "csv"
    )
    assert kept.exit_code == 0, kept.output
    assert kept.stdout == "offered_calls\n16\n"


AGENTS = "select agent_id, agent_name, team, site_id\nfrom {{ source('agents') }}\n"


@pytest.mark.parametrize("command", ["compile", "validate"])
def test_e301_model_file_name(tmp_path: Path, command: str) -> None:
    project = tiny(tmp_path)
    write(project, "models/source/call-legs.sql", AGENTS)
    result = invoke(command, "--project-dir", str(project))
    check(
        result,
        "E301",
        "models/source/call-legs.sql",
        "model file name 'call-legs.sql' is not a valid SQL name",
        "e.g. call_legs.sql",
    )
    assert codes_in(result.output) == ["E301"]  # no 'model has no SQL model' (E215) for each


@pytest.mark.parametrize("command", ["compile", "validate"])
def test_e302_two_models_with_one_name(tmp_path: Path, command: str) -> None:
    project = tiny(tmp_path)
    write(project, "models/application/agents.sql", "select agent_id from {{ ref('calls') }}\n")
    result = invoke(command, "--project-dir", str(project))
    check(
        result,
        "E302",
        "models/application/agents.sql",
        "two models are named 'agents'",
        "unique across models/source, models/indicator and models/application",
    )
    assert codes_in(result.output) == ["E302"]


E305_CASES = [
    pytest.param(
        AGENTS + "{% if true %}\nwhere 1 = 1\n",
        "models/source/agents.sql:3",
        ("template error in models/source/agents.sql", "'endif'"),
        id="unclosed-if",
    ),
    pytest.param(
        AGENTS + "where {{ sla }} > 0\n",
        "models/source/agents.sql",
        ("'sla' is undefined", "only source('table'), ref('model') and var('setting')"),
        id="undefined",
    ),
    pytest.param(
        "{% from 'cleaning.sql' import parse_ts %}\n" + AGENTS,
        "models/source/agents.sql",
        ("no macro file 'cleaning.sql'", "models/macros/<name>.sql"),
        id="missing-macro-file",
    ),
]


@pytest.mark.parametrize(("sql", "where", "words"), E305_CASES)
def test_e305_template_error(tmp_path: Path, sql: str, where: str, words: tuple[str, ...]) -> None:
    project = tiny(tmp_path)
    write(project, "models/source/agents.sql", sql)
    result = invoke("compile", "--quiet", "--project-dir", str(project))
    check(result, "E305", where, *words)


def test_e306_source_model_reads_an_application_model(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    write(project, "models/application/team_list.sql", "select agent_id, team\n" + AGENTS[40:])
    write(
        project,
        "models/source/agents.sql",
        AGENTS + "where agent_id in (select agent_id from {{ ref('team_list') }})\n",
    )
    words = (
        "models/source/agents.sql (source layer) refers to 'team_list' in the later application",
        "source -> indicator -> application",
    )
    built = invoke("compile", "--quiet", "--project-dir", str(project))
    check(built, "E306", "models/source/agents.sql", *words)
    validated = invoke("validate", "--project-dir", str(project))
    check(validated, "E306", "models/source/agents.sql:3:49", *words)  # at the name in ref()
    assert codes_in(validated.output) == ["E306"]


def test_e307_models_in_a_cycle(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    write(
        project,
        "models/source/agents.sql",
        AGENTS + "where agent_id in (select agent_id from {{ ref('shifts') }})\n",
    )
    result = invoke("compile", "--quiet", "--project-dir", str(project))
    check(
        result,
        "E307",
        "models/source/agents.sql",
        "models refer to each other in a cycle: agents -> shifts -> agents",
        "break the cycle",
    )


E308_CASES = [
    pytest.param(
        AGENTS.replace("}}\n", "}};\nselect 1\n"),
        "models/source/agents.sql",
        ("must hold exactly one SELECT query", "a model is one SELECT"),
        id="two-statements",
    ),
    pytest.param(
        # blank lines and a {% set %} before the query: the line is the file's, not the SQL's
        "\n\n{% set x = 1 %}\n" + AGENTS + "where agent_id in (select from where)\n",
        "models/source/agents.sql:6:36",
        ("SQL syntax error in models/source/agents.sql: Expected table name but got 'where'",),
        id="syntax-after-blank-lines",
    ),
    pytest.param(
        "\n  select ) agent_id from {{ source('agents') }}\n",
        "models/source/agents.sql:2:10",
        ("SQL syntax error in models/source/agents.sql",),
        id="syntax-on-an-indented-first-line",
    ),
    pytest.param(
        AGENTS + "where team = 'A\n",
        "models/source/agents.sql",
        ("a quote or a comment is not closed",),
        id="unclosed-quote",
    ),
]


@pytest.mark.parametrize(("sql", "where", "words"), E308_CASES)
def test_e308_model_is_not_one_select(
    tmp_path: Path, sql: str, where: str, words: tuple[str, ...]
) -> None:
    project = tiny(tmp_path)
    write(project, "models/source/agents.sql", sql)
    for command in ("compile", "validate"):
        result = invoke(command, "--project-dir", str(project))
        check(result, "E308", where, *words)
        assert "<Token" not in result.output


def test_e309_var_names_no_setting(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    write(
        project,
        "models/source/agents.sql",
        AGENTS + "where length(agent_id) < {{ var('sla_seconds') }}\n",
    )
    words = (
        "var('sla_seconds') in models/source/agents.sql: no setting named 'sla_seconds'",
        "add it under 'settings:' in metricflow_lite.yml",
    )
    validated = invoke("validate", "--project-dir", str(project))
    check(validated, "E309", "models/source/agents.sql:3:34", *words)
    compiled = invoke("compile", "--quiet", "--project-dir", str(project))
    check(compiled, "E309", "models/source/agents.sql", *words)
    patch(project, PROJECT, "timezone:", "settings: {sla_seconds: 20}\ntimezone:")
    assert invoke("compile", "--quiet", "--project-dir", str(project)).exit_code == 0


def test_e313_seed_column_type_duckdb_refuses(tmp_path: Path) -> None:
    project = tiny(tmp_path)
    write(project, "seeds/calls.yml", "columns:\n  handle_seconds: DECIMAL(40,2)\n")
    result = invoke("validate", "--project-dir", str(project))
    check(
        result,
        "E313",
        "seeds/calls.yml:2:19",  # the type, not the column's name
        "DuckDB does not accept the column type 'DECIMAL(40, 2)' of 'handle_seconds'",
        "width must be between 1 and 38",
        "use a DuckDB type",
    )


# --- retired codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["E011", "E401"])
def test_retired_codes_are_raised_nowhere(code: str) -> None:
    """E011 (unsupported target type) and E401 (header-less seed on another engine) are gone:
    the doc says so, and no code raises them (codes are never reused)."""
    for path in (ROOT / "src").rglob("*.py"):
        assert f'"{code}"' not in path.read_text(encoding="utf-8"), path
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| {code} \| retired: ", doc, re.MULTILINE)
