"""The build: layer order, atomic replacement, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from conftest import invoke
from sqlglot import exp


def tables(project: Path) -> set[str]:
    con = duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('src', 'ind', 'app')"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def test_build_creates_every_layer(tiny_project: Path) -> None:
    assert tables(tiny_project) == {
        "src.agents",
        "src.calls",
        "src.shifts",
        "src.sites",
        "ind.calls_day",
        "ind.calls_by_queue_team_day",
        "ind.shifts_day",
        "app.queue_daily_day",
        "app.queue_daily_week",
        "app.queue_daily_month",
        "app.team_capacity_week",
        "app.queue_daily_day_total",
        "app.queue_daily_week_total",
        "app.queue_daily_month_total",
        "app.team_capacity_week_total",
    }


def test_a_failing_model_leaves_the_previous_build_intact(tiny_project: Path) -> None:
    broken = tiny_project / "models" / "source" / "calls.sql"
    broken.write_text(broken.read_text().replace("handle_seconds", "no_such_column", 1))
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 1
    assert "build failed in model models/source/calls.sql" in result.output
    assert "no_such_column" in result.output
    assert "previous build is still in place" in result.output
    assert "Traceback" not in result.output
    # Analysts still query yesterday's numbers.
    con = duckdb.connect(str(tiny_project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        offered = con.execute("select sum(offered_calls) from app.queue_daily_month").fetchone()
    finally:
        con.close()
    assert offered == (16,)


def test_the_warehouse_is_not_locked_after_a_command(tiny_project: Path) -> None:
    con = duckdb.connect(str(tiny_project / "target" / "warehouse.duckdb"))
    assert con.execute("select count(*) from src.calls").fetchone() == (17,)
    con.close()


def test_unknown_ref_names_the_file(tiny_project: Path) -> None:
    model = tiny_project / "models" / "source" / "shifts.sql"
    model.write_text(model.read_text().replace("ref('agents')", "ref('agent')"))
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 1
    assert "models/source/shifts.sql" in result.output
    assert "ref('agent')" in result.output and "did you mean 'agents'?" in result.output


def test_ref_cycle_is_reported_with_its_path(tiny_project: Path) -> None:
    (tiny_project / "models" / "source" / "agents.sql").write_text(
        "select * from {{ ref('shifts') }}\n"
    )
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 1
    assert (
        "cycle: agents -> shifts -> agents" in result.output
        or "cycle: shifts -> agents -> shifts" in result.output
    )


def test_missing_project_file_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke("build", "--project-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no metricflow_lite.yml in" in result.output
    assert "mfl init" in result.output


def test_compile_is_deterministic(tiny_project: Path) -> None:
    first = invoke("compile", "--project-dir", str(tiny_project), "--quiet")
    assert first.exit_code == 0, first.output
    compiled = tiny_project / "target" / "compiled" / "dev"
    before = {p.relative_to(compiled): p.read_bytes() for p in sorted(compiled.rglob("*.sql"))}
    second = invoke("compile", "--project-dir", str(tiny_project), "--quiet")
    assert second.exit_code == 0
    after = {p.relative_to(compiled): p.read_bytes() for p in sorted(compiled.rglob("*.sql"))}
    assert before == after
    assert Path("indicator/ind.calls_day.sql") in before
    assert Path("application/app.queue_daily_week.sql") in before


def test_build_reports_seconds_per_layer_in_build_order(tiny_project: Path) -> None:
    from metricflow_lite.jobs.pipeline import build_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    project = load_project(tiny_project)
    warehouse = connect(project)
    try:
        result = build_project(project, warehouse, full_refresh=True)
    finally:
        warehouse.close()
    names = [name for name, _ in result.seconds_per_layer]
    assert names == [
        "copy",
        "drop",
        "source",
        "indicator",
        "application",
        "manifest",
        "commit",
        "total",
    ]
    seconds = dict(result.seconds_per_layer)
    assert all(value >= 0 for value in seconds.values())
    parts = sum(value for name, value in result.seconds_per_layer if name != "total")
    assert parts <= seconds["total"] + 1e-6


def test_duckdb_memory_limit_and_threads_from_the_target(tiny_project: Path) -> None:
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    config = tiny_project / "metricflow_lite.yml"
    config.write_text(
        config.read_text().replace(
            "path: target/warehouse.duckdb}",
            "path: target/warehouse.duckdb, memory_limit: 1GB, threads: 1}",
        )
    )
    warehouse = connect(load_project(tiny_project))
    try:
        limits = warehouse.fetch(
            "select current_setting('memory_limit'), current_setting('threads')"
        )
    finally:
        warehouse.close()
    assert limits.rows[0][1] == 1 and "953.6 MiB" in str(limits.rows[0][0])
    config.write_text(config.read_text().replace("memory_limit: 1GB", "memory_limit: lots"))
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 1
    assert "target 'dev'" in result.output and "memory_limit is a size" in result.output


def test_shared_macros_and_a_missing_macro_file(tiny_project: Path) -> None:
    macros = tiny_project / "models" / "macros"
    macros.mkdir()
    (macros / "text.sql").write_text("{% macro lower_of(col) %}lower({{ col }}){% endmacro %}\n")
    model = tiny_project / "models" / "source" / "agents.sql"
    model.write_text(
        "{% from 'text.sql' import lower_of %}\n"
        "select agent_id, agent_name, {{ lower_of('team') }} as team, site_id\n"
        "from {{ source('agents') }}\n"
    )
    assert invoke("build", "--project-dir", str(tiny_project)).exit_code == 0
    con = duckdb.connect(str(tiny_project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select distinct team from src.agents order by 1").fetchall() == [
            ("t1",),
            ("t2",),
        ]
    finally:
        con.close()
    model.write_text(model.read_text().replace("'text.sql'", "'texts.sql'"))
    result = invoke("build", "--project-dir", str(tiny_project))
    assert result.exit_code == 1
    assert (
        "models/source/agents.sql" in result.output and "no macro file 'texts.sql'" in result.output
    )


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("select a, b from src.x where c union all select a, b from src.y", "view"),
        ("select a, upper(b), cast(c as int), case when d then 1 end, 'k' as k from src.x", "view"),
        ("select * from src.x as x(b)", "view"),
        ("select a, now() from src.x", "table"),  # another value each time it is read
        ("select a, random() from src.x", "table"),
        ("select a, current_date from src.x", "table"),
        ("select a from src.x join src.y using (a)", "table"),
        ("select a from src.x, src.y", "table"),
        ("select a from (select a from src.x)", "table"),
        ("select a from src.x where a in (select a from src.y)", "table"),
        ("select count(*) from src.x", "table"),
        ("select a, row_number() over () from src.x", "table"),
        ("select distinct a from src.x", "table"),
        ("select a from src.x union select a from src.y", "table"),
        ("select a from src.x union all select a from src.y order by a", "table"),
        ("select a from src.x limit 3", "table"),
        ("select a from src.x qualify a > 1", "table"),
        ("select a from src.x tablesample 10%", "table"),
        ("with q as (select a from src.x) select a from q", "table"),
        ("select a from raw.x", "table"),
    ],
)
def test_which_source_models_are_views(sql: str, kind: str) -> None:
    """A source model that reshapes other source models row by row is a view of them."""
    from metricflow_lite.compile.layers import SqlModel, materialized, parse_model_sql

    model = SqlModel("m", "source", "models/source/m.sql", sql, ("x",), ())
    assert materialized(model, parse_model_sql(model)) == kind
    reads_raw = SqlModel("m", "source", "models/source/m.sql", sql, ("x",), ("x",))
    assert materialized(reads_raw, parse_model_sql(reads_raw)) == "table"


@pytest.mark.parametrize(
    ("cte", "inlined"),
    [
        ("select a, upper(b) as b, try_strptime(c, '%Y') as c from raw.x where a > 1", True),
        ("select a, md5(b) as h, coalesce(c, 0) as c from q0", True),
        ("select a, random() as r from raw.x", False),  # each reader would draw its own
        ("select a, nextval('s') as n from raw.x", False),
        ("select a, now() as t from raw.x", False),
        ("select a, count(*) over (partition by b) as n from raw.x", False),
        ("select a, count(*) as n from raw.x group by a", False),
        ("select a from raw.x join raw.y using (a)", False),
        ("select distinct a from raw.x", False),
        ("select a from raw.x limit 3", False),
        ("select a from raw.x order by a", False),
        ("select a from (select a from raw.x) as d", False),
        ("select a from raw.x where a in (select a from raw.y)", False),
        ("select a from raw.x union all select a from raw.y", False),
    ],
)
def test_a_source_table_inlines_the_ctes_that_pass_rows_on(cte: str, inlined: bool) -> None:
    """DuckDB materialises a CTE that several parts of a query read; one that computes each
    row from that row alone is marked NOT MATERIALIZED (each reader computes the columns it
    needs), for DuckDB only."""
    from metricflow_lite.compile.dialects import render
    from metricflow_lite.compile.layers import SqlModel, inline_row_wise_ctes, parse_model_sql

    sql = f"with q0 as (select a, b, c from raw.x), q as ({cte}) select * from q, q0"
    model = SqlModel("m", "source", "models/source/m.sql", sql, (), ("x",))
    query = inline_row_wise_ctes(parse_model_sql(model))
    marks = {cte.alias_or_name: cte.args.get("materialized") for cte in query.ctes}
    assert marks == {"q0": False, "q": False if inlined else None}
    assert ("q AS NOT MATERIALIZED" in render(query, "duckdb", "m")) is inlined
    for dialect in ("postgres", "spark"):
        assert "MATERIALIZED" not in render(query, dialect, "m")


def test_source_rows_of_a_natural_key_are_inlined_with_the_ctes_reading_them() -> None:
    from metricflow_lite.compile.layers import inline_row_wise_ctes, latest_versions

    source = latest_versions("x", ("a",)).sql("duckdb")
    query = sqlglot.parse_one(
        f"with latest as (select * from {source} as x where a is not null),"
        " typed as (select a, lower(b) as b from latest)"
        " select t.a, t.b, count(*) over (partition by t.b) from typed as t",
        read="duckdb",
    )
    assert isinstance(query, exp.Query)
    marked = inline_row_wise_ctes(query)
    assert [cte.args.get("materialized") for cte in marked.ctes] == [False, False]
    assert query.ctes[0].args.get("materialized") is None  # the input is left as it was


def test_a_kept_object_unpacks_its_query_only_when_read() -> None:
    """The compiled objects in target/ are unpickled on every build; their query trees, most of
    the file, only for the objects a build writes."""
    import pickle

    from metricflow_lite.compile.build import PACKED_QUERY, BuildObject

    query = sqlglot.parse_one("select a, b from src.x join src.y using (a)")
    made = BuildObject("app", "v", "VIEW", query, "report 'r'", "application", comment="标签")
    kept = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(made))))  # kept, then kept again
    assert PACKED_QUERY in kept.__dict__ and "query" not in kept.__dict__
    assert kept.tables_read == {("src", "x"), ("src", "y")} and kept.comment == "标签"
    assert kept.query.sql() == query.sql()
    assert PACKED_QUERY not in kept.__dict__
    assert kept == made
    with pytest.raises(AttributeError, match="no attribute 'querry'"):
        _ = kept.querry  # type: ignore[attr-defined]
