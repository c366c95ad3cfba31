"""Library metrics against hand-written SQL on the built demo project.

Each area's test module holds a table metric -> SQL template. A template is written straight
over the src views (the hand-written source layer) or raw tables, never over the compiler's
ind/app output; `{grain}` stands for day, week or month and the query returns (period, value).
The same numbers from `mfl query --format json` must match at every grain.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import cache
from pathlib import Path

import duckdb
import pytest
from conftest import invoke

GRAINS = ("day", "week", "month")
Value = float | int | None


def over(table: str, time: str, value: str, where: str = "TRUE") -> str:
    """(period, value) of one aggregate over one src view (or a subquery), bucketed on `time`."""
    relation = table if table.startswith("(") else f"src.{table}"
    return (
        f"SELECT CAST(date_trunc('{{grain}}', {time}) AS DATE) AS period, {value} AS value"
        f" FROM {relation} WHERE {time} IS NOT NULL AND ({where}) GROUP BY 1"
    )


def ratio(numerator: str, denominator: str) -> str:
    """(period, num / den) of two (period, value) queries, NULL where den is 0 or missing."""
    return (
        "SELECT period, CAST(n.value AS DOUBLE) / nullif(d.value, 0) AS value"
        f" FROM ({numerator}) AS n FULL JOIN ({denominator}) AS d USING (period)"
    )


@cache
def mfl_values(project: Path, metrics: tuple[str, ...], grain: str) -> dict[str, dict[str, Value]]:
    """{period: {metric: value}} from one `mfl query --format json` call."""
    result = invoke(
        "query",
        "--project-dir",
        str(project),
        "--metrics",
        ",".join(metrics),
        "--grain",
        grain,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Value]] = json.loads(result.stdout)
    return {str(row[grain]): row for row in rows}


@cache
def hand_connection(project: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of the warehouse's src views (as tables) and raw tables.

    The source layer is hand-written SQL (models/source); copying it once keeps each hand
    query fast. Nothing from the compiler's ind or app schemas is copied.
    """
    con = duckdb.connect()
    con.execute(f"ATTACH '{project / 'target' / 'warehouse.duckdb'}' AS wh (READ_ONLY)")
    for schema in ("src", "raw"):
        con.execute(f"CREATE SCHEMA {schema}")
        names = con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_catalog = 'wh' AND table_schema = ?",
            [schema],
        ).fetchall()
        for (name,) in names:
            con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM wh.{schema}.{name}")
    con.execute("DETACH wh")
    return con


def hand_values(project: Path, template: str, grain: str) -> dict[str, Value]:
    """{period: value} of a hand-written SQL template at one grain."""
    rows = hand_connection(project).execute(template.format(grain=grain)).fetchall()
    out: dict[str, Value] = {}
    for period, value in rows:
        assert isinstance(period, dt.date), period
        out[period.isoformat()] = None if value is None else float(value)
    return out


def check_metric(project: Path, cases: dict[str, str], metric: str, grain: str) -> dict[str, Value]:
    """Assert mfl's value of `metric` equals the hand SQL in every period; return them."""
    by_mfl = mfl_values(project, tuple(sorted(cases)), grain)
    expected = hand_values(project, cases[metric], grain)
    assert expected, f"hand SQL for {metric} returned no rows"
    got = {period: row.get(metric) for period, row in by_mfl.items()}
    # a query over several models has the periods of all: a count is 0 there, a ratio NULL
    missing = sorted(p for p in got if p not in expected and got[p] not in (None, 0))
    assert not missing, f"{metric} {grain}: values where the hand SQL has none: {missing}"
    assert not set(expected) - set(got), f"{metric} {grain}: periods missing from mfl"
    for period, want in expected.items():
        have = got[period]
        if want is None:
            assert have is None, f"{metric} {grain} {period}: {have} != NULL"
            continue
        assert have is not None, f"{metric} {grain} {period}: NULL != {want}"
        assert math.isclose(float(have), want, rel_tol=1e-9, abs_tol=1e-9), (
            f"{metric} {grain} {period}: mfl {have} != hand SQL {want}"
        )
    return got


def metric_params(cases: dict[str, str]) -> list[object]:
    """(metric, grain) pairs for parametrize, with readable ids."""
    return [pytest.param(m, g, id=f"{m}-{g}") for m in sorted(cases) for g in GRAINS]


def month_value(project: Path, cases: dict[str, str], metric: str, month: str) -> float:
    """mfl's value of a metric for one month (for plausibility ranges)."""
    value = mfl_values(project, tuple(sorted(cases)), "month")[month][metric]
    assert value is not None, f"{metric} is NULL in {month}"
    return float(value)
