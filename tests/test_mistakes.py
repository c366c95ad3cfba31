"""Issue 21: a user's mistake is exit 1 with a code, a message and a hint, never exit 2 or a hang.

Each test is one finding of the issue, provoked through the CLI on the tiny fixture; each failed
(exit 2, a traceback, a leaked password or a hang) before the fix.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_fixture, invoke, seed_project
from test_engines import postgres_dsn, spark_session  # noqa: F401 - fixtures
from test_error_codes import PROJECT, assert_error, check, clean_env, patch, write

from metricflow_lite.warehouse.dsn import environment_secrets, redact

TINY_TARGET = "  dev: {type: duckdb, path: target/warehouse.duckdb}\n"
ENGINE_TARGETS = TINY_TARGET + "  pg: {type: postgres, dsn_env: MFL_PG_DSN}\n"


def tiny(tmp_path: Path) -> Path:
    return copy_fixture("tiny", tmp_path)


def first_legs(project: Path, queues: set[str] | None = None) -> int:
    """offered_calls by hand: first legs (leg_seq 1) of the fixture's calls, in the queues."""
    with open(project / "seeds" / "calls.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sum(1 for r in rows if r["leg_seq"] == "1" and (queues is None or r["queue"] in queues))


def query(project: Path, *args: str) -> Any:
    return invoke("query", "--project-dir", str(project), "--metrics", "offered_calls", *args)


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_dsn")
    return name


@pytest.fixture(scope="module")
def built(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The tiny project seeded and built on the engine, once per module."""
    project = tiny(tmp_path_factory.mktemp(f"mistakes-{engine}"))
    patch(project, PROJECT, TINY_TARGET, ENGINE_TARGETS)
    target = "pg" if engine == "postgres" else "dev"
    if engine == "duckdb":
        seed_project(project)
    else:
        assert invoke("seed", "--project-dir", str(project), "--target", target).exit_code == 0
    result = invoke("build", "--project-dir", str(project), "--target", target)
    assert result.exit_code == 0, result.output
    yield target, project


ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


# --- --where ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "at"),
    [("queue", "queue", 1), ("not queue", "queue", 5), ("queue = 'A' or team", "team", 16)],
    ids=["bare-dimension", "not-dimension", "or-dimension"],
)
def test_where_that_is_a_value_not_a_condition(
    tmp_path: Path, where: str, value: str, at: int
) -> None:
    """--where queue was exit 2 (DuckDB could not cast 'A' to BOOL)."""
    result = query(tiny(tmp_path), "--where", where)
    check(
        result,
        "E702",
        f"--where:1:{at}",
        f"--where must be a condition (true or false for each row), not the value '{value}'",
        f'"{value} IS NOT NULL"',
    )


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize(
    "where", ["queue = 1", "cast(queue as int) = 1"], ids=["text-equals-number", "cast"]
)
def test_where_comparing_text_with_a_number(built: tuple[str, Path], where: str) -> None:
    """Exit 2 with DuckDB's ConversionException (PostgreSQL: 'invalid input syntax')."""
    target, project = built
    result = query(project, "--target", target, "--where", where)
    check(result, "E707", None, "the query fails on", "text dimensions take quoted values")


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_three_thousand_term_where_answers(built: tuple[str, Path]) -> None:
    target, project = built
    where = " or ".join(f"queue = 'q{i}'" for i in range(3000)) + " or queue = 'A'"
    result = query(project, "--target", target, "--where", where, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["offered_calls", str(first_legs(project, {"A"}))]


def test_three_thousand_term_sum_is_refused(tmp_path: Path) -> None:
    """An operator chain DuckDB refuses at depth 1000 (exit 2) is E701 before any SQL runs."""
    where = " + ".join(["leg_seq"] * 3000) + " > 0"
    check(query(tiny(tmp_path), "--where", where), "E701", "--where:1:1", "too deeply nested", "IN")


def test_fifty_nested_parentheses_in_where(tmp_path: Path) -> None:
    """A RecursionError in the parser (exit 2) before."""
    where = "(" * 50 + "queue = 'A'" + ")" * 50
    check(
        query(tiny(tmp_path), "--where", where),
        "E701",
        "--where:1:26",
        "--where nests parentheses more than 25 deep",
        "remove redundant parentheses",
    )


@pytest.mark.parametrize("key", ["filter", "expr"])
def test_fifty_nested_parentheses_in_yaml(tmp_path: Path, key: str) -> None:
    project = tiny(tmp_path)
    text = "(" * 50 + "leg_seq = 1" + ")" * 50
    if key == "filter":
        patch(project, "metrics/calls.yml", "    filter: leg_seq = 1\n", f"    filter: {text}\n")
    else:
        patch(
            project,
            "metrics/calls.yml",
            "    expr: abandoned_calls / offered_calls\n",
            f"    expr: {'(' * 50}abandoned_calls{')' * 50} / offered_calls\n",
        )
    at = "metrics/calls.yml:30:38" if key == "filter" else "metrics/calls.yml:42:36"
    for command in ("validate", "build"):
        result = invoke(command, "--project-dir", str(project))
        check(result, "E701", at, "nests parentheses more than 25 deep")


# --- dates, paths, disks -------------------------------------------------------------------


@pytest.mark.parametrize("grain", ["day", "week", "month", "year"])
def test_end_9999_12_31(tmp_path: Path, grain: str) -> None:
    """OverflowError / 'year 10000 is out of range' (exit 2) before."""
    result = query(tiny(tmp_path), "--grain", grain, "--end", "9999-12-31")
    check(
        result,
        "E254",
        None,
        "--end 9999-12-31 is outside the dates mfl handles (1900-01-01 to 2999-12-31)",
        "leave --end out",
    )


def test_out_into_a_path_whose_parent_is_a_file(tiny_project: Path) -> None:
    (tiny_project / "afile").write_text("x", encoding="utf-8")
    out = tiny_project / "afile" / "report.csv"
    result = invoke(
        "report",
        "queue_daily",
        "--project-dir",
        str(tiny_project),
        "--format",
        "csv",
        "--out",
        str(out),
    )
    check(
        result,
        "E708",
        None,
        f"cannot write or read {tiny_project / 'afile'}",
        "choose another path",
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_out_onto_a_full_disk(tiny_project: Path) -> None:
    result = invoke(
        "report",
        "queue_daily",
        "--project-dir",
        str(tiny_project),
        "--format",
        "csv",
        "--out",
        "/dev/full",
    )
    check(result, "E709", None, "the disk is full: cannot write /dev/full", "free space")


def test_init_into_proc(tmp_path: Path) -> None:
    result = invoke("init", "/proc/mfl-cannot-be-here")
    check(
        result, "E708", None, "cannot write or read /proc/mfl-cannot-be-here", "choose another path"
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs (root only): a disk that a test can fill."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def fill(disk: Path) -> None:
    stat = os.statvfs(disk)
    with open(disk / "filler", "wb") as handle:
        handle.truncate(stat.f_bavail * stat.f_frsize)
        os.posix_fallocate(handle.fileno(), 0, stat.f_bavail * stat.f_frsize)


def test_full_disk_during_build(tmp_path: Path, small_disk: Path) -> None:
    """'cannot rollback - no transaction is active' (exit 2) before; the old build answers."""
    project = tiny(tmp_path)
    patch(
        project,
        PROJECT,
        TINY_TARGET,
        f"  dev: {{type: duckdb, path: '{small_disk / 'w.duckdb'}'}}\n",
    )
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    fill(small_disk)
    result = invoke("build", "--project-dir", str(project))
    check(result, "E709", None, "the disk is full", "No space left on device", "previous build")
    answer = query(project, "--format", "csv")
    assert answer.exit_code == 0, answer.output
    assert answer.output.splitlines() == ["offered_calls", str(first_legs(project))]


@pytest.mark.parametrize(
    "damage",
    ["empty", "first-block", "half", "garbage"],
)
def test_truncated_or_corrupt_warehouse(tiny_project: Path, damage: str) -> None:
    """E013 'another program may hold the file open', or exit 2 on the half file, before."""
    path = tiny_project.resolve() / "target" / "warehouse.duckdb"
    size = path.stat().st_size
    if damage == "garbage":
        path.write_bytes(bytes(range(256)) * 400)
    else:
        with open(path, "r+b") as handle:
            handle.truncate({"empty": 0, "first-block": 4096, "half": size // 2}[damage])
    for args in (("query", "--metrics", "offered_calls"), ("report", "queue_daily")):
        result = invoke(*args, "--project-dir", str(tiny_project))
        check(result, "E710", None, "is damaged (truncated or corrupt)", "run 'mfl run' to rebuild")


# --- settings, templates, YAML ---------------------------------------------------------------


def test_threads_100000(tmp_path: Path) -> None:
    """DuckDB started 100,000 threads: the command hung."""
    project = tiny(tmp_path)
    patch(
        project,
        PROJECT,
        TINY_TARGET,
        "  dev: {type: duckdb, path: target/w.duckdb, threads: 100000}\n",
    )
    result = invoke("seed", "--project-dir", str(project))
    check(
        result,
        "E009",
        f"{PROJECT}:6:55",
        "threads must be a whole number from 1 to 1024, not 100000",
    )


def test_recursive_jinja_macro(tmp_path: Path) -> None:
    """A RecursionError (exit 2) before."""
    project = tiny(tmp_path)
    seed_project(project)
    write(
        project,
        "models/source/sites.sql",
        "{% macro f(x) %}{{ f(x) }}{% endmacro %}\nselect {{ f(1) }} as site_id\n",
    )
    for command in ("validate", "build"):
        result = invoke(command, "--project-dir", str(project))
        check(result, "E305", "models/source/sites.sql", "a macro calls itself without end")


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("select '{{ ''.__class__.__mro__ }}' as site_id\n", "__class__"),
        ("select 1 as site_id {% for i in range(10**9) %}{% endfor %}\n", "MAX_RANGE"),
    ],
    ids=["python-internals", "huge-range"],
)
def test_model_template_is_sandboxed(tmp_path: Path, sql: str, words: str) -> None:
    project = tiny(tmp_path)
    write(project, "models/source/sites.sql", sql)
    result = invoke("validate", "--project-dir", str(project))
    check(result, "E305", "models/source/sites.sql", words)


BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def mfl(project: Path, *args: str, timeout: float = 120) -> tuple[int, str]:
    """mfl in its own process, stopped after `timeout` seconds: a hang fails the test."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mfl"), *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    "text",
    [BOMB, "version: 1\nmetrics: &m [*m]\n"],
    ids=["billion-laughs", "recursive-anchor"],
)
def test_alias_bomb_in_metrics(tmp_path: Path, text: str) -> None:
    """Every command hung while memory grew without bound."""
    project = tiny(tmp_path)
    write(project, "metrics/bomb.yml", text)
    for command in ("validate", "build"):
        code, output = mfl(project, command)
        assert code == 1, output
        assert re.search(r"^metrics/bomb\.yml:\d+:\d+: error E704: ", output, re.MULTILINE), output


def chain(project: Path, formulas: list[str]) -> None:
    lines = ["version: 1", "metrics:"]
    lines += [
        f"  - {{name: c{i}, expr: '{formula}', label: c, description: c}}"
        for i, formula in enumerate(formulas, 1)
    ]
    write(project, "metrics/chain.yml", "\n".join(lines) + "\n")


def test_chain_of_180_derived_metrics(tmp_path: Path) -> None:
    """validate accepted it; a query was a RecursionError (exit 2)."""
    project = tiny(tmp_path)
    chain(project, ["offered_calls + 1"] + [f"c{i} + offered_calls" for i in range(1, 180)])
    result = invoke("validate", "--project-dir", str(project))
    check(
        result, "E705", "metrics/chain.yml:53:12", "metric 'c51' is computed through a chain of 51"
    )
    assert result.output.count("E705") == 1  # one error per chain, not 130
    check(query(project), "E705", "metrics/chain.yml:53:12", "(the limit is 50)")


def test_formula_that_doubles_at_each_step(tmp_path: Path) -> None:
    """c12 = c11 + c11 ... wrote 4,096 copies of offered_calls: the query ran for minutes."""
    project = tiny(tmp_path)
    chain(project, ["offered_calls + offered_calls"] + [f"c{i} + c{i}" for i in range(1, 12)])
    # terms (operators and names): c1 = 3, c(n) = 2 * c(n-1) + 1 = 2^(n+1) - 1; c10 = 2,047
    result = invoke("validate", "--project-dir", str(project))
    check(
        result,
        "E705",
        "metrics/chain.yml:12:12",
        "metric 'c10' written out in full has 2,047 terms",
    )


def test_chain_of_fifty_derived_metrics_answers(tmp_path: Path) -> None:
    """The limit leaves room: c50 = offered_calls * 50 by hand."""
    project = tiny(tmp_path)
    chain(project, ["offered_calls"] + [f"c{i} + offered_calls" for i in range(1, 50)])
    seed_project(project)
    assert invoke("build", "--project-dir", str(project)).exit_code == 0
    result = invoke("query", "--project-dir", str(project), "--metrics", "c50", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["c50", str(50 * first_legs(project))]


# --- secrets -------------------------------------------------------------------------------


def pg_target(project: Path, env: str = "MFL_PG_DSN") -> None:
    patch(
        project, PROJECT, TINY_TARGET, TINY_TARGET + f"  pg: {{type: postgres, dsn_env: {env}}}\n"
    )


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://mfl:s3cr%zzet-pw@127.0.0.1:1/db",  # a percent-encoding typo
        "postgresql://mfl:s3cret-pw@[::1/db",
        "host=127.0.0.1 port=1 password=s3cret-pw dbname=x connect_timeout=2",
        "postgresql://mfl:s3cret-pw@127.0.0.1:1/db?connect_timeout=2",
    ],
    ids=["bad-percent", "bad-ipv6", "key-value-refused", "url-refused"],
)
def test_dsn_password_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dsn: str
) -> None:
    """E016 printed 'invalid percent-encoded token: "s3cr%zzet"' (the password) before."""
    pytest.importorskip("psycopg")
    project = tiny(tmp_path)
    pg_target(project)
    monkeypatch.setenv("MFL_PG_DSN", dsn)
    result = invoke("build", "--project-dir", str(project), "--target", "pg")
    check(result, "E016", f"{PROJECT}:7:7", "target 'pg'")
    assert "s3cr" not in result.output and "zzet" not in result.output, result.output


@pytest.mark.parametrize("name", ["HOME", "AWS_SECRET_ACCESS_KEY", "MFL_SERVE_TOKEN", "path"])
def test_dsn_env_may_name_only_connection_string_variables(tmp_path: Path, name: str) -> None:
    """dsn_env: HOME made mfl read HOME and print it in E016."""
    project = tiny(tmp_path)
    pg_target(project, name)
    result = invoke("build", "--project-dir", str(project), "--target", "pg")
    check(
        result,
        "E706",
        f"{PROJECT}:7:33",
        f"dsn_env '{name}' does not look like a connection string",
    )
    assert os.environ.get("HOME", "-") not in result.output or name != "HOME"


@pytest.mark.parametrize(
    "name", ["MFL_PG_DSN", "DATABASE_URL", "WAREHOUSE_URL", "ANALYTICS_DSN", "PGSERVICE"]
)
def test_dsn_env_accepts_connection_string_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    project = tiny(tmp_path)
    pg_target(project, name)
    monkeypatch.delenv(name, raising=False)
    result = invoke("build", "--project-dir", str(project), "--target", "pg")
    check(result, "E015", f"{PROJECT}:7:7", f"environment variable {name} is not set")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://u:pw1234@h/db failed", "postgresql://u:***@h/db failed"),
        ("host=h password=pw1234 user=u", "host=h password=*** user=u"),
        ("password = 'p w 1234' x", "password = *** x"),
        ("no secret here", "no secret here"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_messages_mask_the_environment_dsn() -> None:
    environ = {
        "MFL_PG_DSN": "host=h user=u password=hunter2-pw",
        "DATABASE_URL": "postgresql://u:tiger-pw@h/db",
        "HOME": "/root",
    }
    secrets = environment_secrets(environ)
    message = "boom: hunter2-pw and tiger-pw, home /root"
    assert redact(message, secrets) == "boom: *** and ***, home /root"


# --- Spark ---------------------------------------------------------------------------------


@pytest.mark.spark
def test_spark_where_type_mismatch_prints_no_java_trace(
    spark_session: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """--where "queue = 1" on Spark printed 6-10 KB of Java stack trace before mfl's message;
    seed and build here share the tests' session, the query runs as a user runs it."""
    project = tiny(tmp_path)
    spark_dir = tmp_path / "spark-warehouse"
    patch(
        project,
        PROJECT,
        TINY_TARGET,
        TINY_TARGET
        + f"  spark: {{type: spark, master: 'local[1]', warehouse_dir: '{spark_dir}'}}\n",
    )
    for command in ("seed", "build"):
        result = invoke(command, "--project-dir", str(project), "--target", "spark")
        assert result.exit_code == 0, result.output
    code, output = mfl(
        project,
        "query",
        "--target",
        "spark",
        "--metrics",
        "offered_calls",
        "--where",
        "queue = 1",
        timeout=600,
    )
    assert_error(output, code, "E707", None, "the query fails on spark", "CAST_INVALID_INPUT")
    assert "\tat org.apache" not in output and "Exception in task" not in output, output
    assert '"logger"' not in output  # pyspark's JSON error log
    assert len(output) < 1500, output
