"""Metric expressions: what a team lead may write, and the message when it is not allowed."""

from __future__ import annotations

import pytest
from sqlglot import exp

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.expr import parse_derived, parse_row_sql, parse_where, safe_div

LOC = Location("metrics/calls.yml", 14, 11)


@pytest.mark.parametrize(
    ("text", "deps"),
    [
        ("abandoned_calls / offered_calls", ("abandoned_calls", "offered_calls")),
        ("a - b", ("a", "b")),
        ("a + b", ("a", "b")),
        ("(a - short) / (offered - short)", ("a", "offered", "short")),
        ("handled / staffed * 100", ("handled", "staffed")),
        ("-a + 2.5", ("a",)),
        ("coalesce(a, 0) / nullif(b, 0)", ("a", "b")),
        ("round(abs(a - b), 2)", ("a", "b")),
        ("greatest(a, b) - least(a, b)", ("a", "b")),
        ("(promoters - detractors) / responses * 100", ("detractors", "promoters", "responses")),
    ],
    ids=[
        "ratio",
        "minus",
        "plus",
        "nested",
        "constant",
        "negative",
        "coalesce-nullif",
        "round-abs",
        "greatest-least",
        "nps",
    ],
)
def test_derived_allowed(text: str, deps: tuple[str, ...]) -> None:
    _, found = parse_derived(text, LOC, "expr of 'm'")
    assert found == deps


@pytest.mark.parametrize(
    ("text", "code", "col", "message"),
    [
        ("a / sqrt(b)", "E220", 15, "function 'sqrt' is not allowed"),
        ("a / b; drop table raw.calls", "E221", 11, "must be a single expression"),
        ("(select count(*) from raw.calls)", "E220", 11, "is not allowed in a derived metric"),
        ("a /* note */ + b", "E222", 11, "comments are not allowed"),
        ("calls.a / b", "E220", 11, "'calls.a' is not a metric name"),
        ("a + 'x'", "E220", 15, "text 'x' is not allowed"),
        ("a +", "E221", 13, "SQL syntax error"),
        ("sum(a) / b", "E220", 11, "function 'sum' is not allowed"),
        ("case when a > 0 then a end", "E220", 11, "is not allowed in a derived metric"),
    ],
    ids=[
        "function",
        "statement",
        "subquery",
        "comment",
        "column",
        "string",
        "syntax",
        "aggregate",
        "case",
    ],
)
def test_derived_rejected(text: str, code: str, col: int, message: str) -> None:
    with pytest.raises(MflError) as caught:
        parse_derived(text, LOC, "expr of 'm'")
    err = caught.value
    assert err.code == code
    assert message in err.message
    assert err.loc is not None and (err.loc.file, err.loc.line, err.loc.col) == (LOC.file, 14, col)
    if code == "E220":
        assert err.hint is not None and "coalesce, greatest, least, nullif, round" in err.hint


@pytest.mark.parametrize(
    "text",
    ["sum(talk_seconds)", "(select 1)", "row_number() over ()", "x from y"],
    ids=["aggregate", "subquery", "window", "garbage"],
)
def test_row_sql_rejects_non_scalar(text: str) -> None:
    with pytest.raises(MflError) as caught:
        parse_row_sql(text, LOC, "filter of 'm'")
    assert caught.value.code in ("E221", "E222")


def test_row_sql_allows_scalar_logic() -> None:
    tree = parse_row_sql(
        "direction = 'inbound' and leg_seq = 1 and wait_seconds < 20", LOC, "filter"
    )
    assert sorted(c.name for c in tree.find_all(exp.Column)) == [
        "direction",
        "leg_seq",
        "wait_seconds",
    ]


def test_where_rejects_functions_outside_whitelist() -> None:
    with pytest.raises(MflError) as caught:
        parse_where("queue = 'A' or exists (select 1)", LOC, "--where")
    assert caught.value.code == "E223"
    parse_where("queue in ('A', 'B') and transfer_agent.team is not null", LOC, "--where")


@pytest.mark.parametrize(
    ("text", "char", "ascii_char", "col"),
    [
        ("queue ＝ 'A'", "＝", "=", 7),
        ("wait_seconds ＞ 20", "＞", ">", 14),
        ("wait_seconds ＜＝ 20", "＜", "<", 14),
        ("talk_seconds ＋ hold_seconds > 0", "＋", "+", 14),
        ("queue ！= 'A'", "！", "!", 7),
    ],
    ids=["equals", "greater", "less-equal", "plus", "not"],
)
def test_full_width_operators_are_named(text: str, char: str, ascii_char: str, col: int) -> None:
    with pytest.raises(MflError) as caught:
        parse_where(text, LOC, "--where")
    assert caught.value.code == "E221"
    assert caught.value.message == f"full-width '{char}' in --where"
    assert caught.value.hint is not None and f"SQL needs {ascii_char!r}" in caught.value.hint
    assert caught.value.loc is not None and caught.value.loc.col == LOC.col + col - 1


def test_safe_div_yields_decimal_and_null_on_zero() -> None:
    import duckdb

    five_eighths = safe_div(exp.Literal.number(5), exp.Literal.number(8))
    by_zero = safe_div(exp.Literal.number(5), exp.Literal.number(0))
    sql = f"select {five_eighths.sql('duckdb')}, {by_zero.sql('duckdb')}"
    row = duckdb.connect().execute(sql).fetchone()
    assert row == (0.625, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("queue = ", "SQL syntax error in --where: nothing after '='"),
        ("queue = 'A' and", "SQL syntax error in --where: nothing after 'AND'"),
        ("not", "SQL syntax error in --where: nothing after 'NOT'"),
        ("queue between 'A' and", "SQL syntax error in --where: nothing after 'BETWEEN ... AND'"),
        ("queue in", "SQL syntax error in --where: IN has no values"),
        ("queue in () or queue = 'B'", "SQL syntax error in --where: IN has no values"),
    ],
)
def test_a_condition_written_half_way_says_what_is_missing(text: str, message: str) -> None:
    """sqlglot's own words ("Required keyword: 'expression' missing for <class
    'sqlglot.expressions.core.EQ'>") were the message, and `queue in` parsed as `IN ()`: no
    error, and 0 calls counted."""
    with pytest.raises(MflError) as caught:
        parse_where(text, LOC, "--where")
    assert caught.value.code == "E221"
    assert caught.value.message == message
