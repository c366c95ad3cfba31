"""Window functions in a derived formula: what parses, and one error per mistake at its argument."""

from __future__ import annotations

import datetime as dt

import pytest

from metricflow_lite.compile.periods import minus_months, window_frame
from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.expr import parse_derived, parse_where
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.windows import (
    Span,
    Unit,
    WindowKind,
    WindowStep,
    grain_problem,
    parse_step,
)

LOC = Location("metrics/calls.yml", 14, 11)


@pytest.mark.parametrize(
    ("text", "deps"),
    [
        ("rolling(abandonment_rate, '7 days')", ("abandonment_rate",)),
        ("ROLLING(aht, '2 Weeks')", ("aht",)),
        ("to_date(offered_calls, 'month')", ("offered_calls",)),
        ("offered_calls / shift(offered_calls, '1 week') - 1", ("offered_calls",)),
        ("shift(to_date(offered_calls, 'month'), '1 year')", ("offered_calls",)),
        ("offered_calls / total(offered_calls)", ("offered_calls",)),
        ("logged_in_seconds / period_seconds()", ("logged_in_seconds",)),
        ("coalesce(rolling(a, '7 days'), 0) + shift(b, '52 weeks')", ("a", "b")),
    ],
    ids=["rolling", "upper-case", "to_date", "wow", "nested", "total", "seconds", "mixed"],
)
def test_window_formulas_parse(text: str, deps: tuple[str, ...]) -> None:
    _, found = parse_derived(text, LOC, "expr of 'x'")
    assert found == deps


@pytest.mark.parametrize(
    ("text", "code", "col", "width"),
    [
        ("rolling(aht, '7 months')", "E231", 24, 10),
        ("rolling(aht, 'seven days')", "E231", 24, 12),
        ("to_date(offered_calls, 'day')", "E231", 34, 5),
        ("shift(offered_calls, '0 days')", "E231", 32, 8),
        ("rolling(aht, 7)", "E231", 24, 1),
        ("rolling(aht)", "E232", 11, 12),
        ("total(a, b)", "E232", 20, 1),
        ("a / period_seconds(a)", "E232", 30, 1),
        ("rolling(a / b, '7 days')", "E233", 19, 5),
        ("rolling(3, '7 days')", "E233", 19, 1),
        ("total(period_seconds())", "E233", 17, 16),
    ],
    ids=[
        "rolling months",
        "words",
        "to_date day",
        "zero shift",
        "number unit",
        "one argument",
        "total two",
        "seconds with argument",
        "arithmetic",
        "number",
        "seconds inside",
    ],
)
def test_window_mistakes(text: str, code: str, col: int, width: int) -> None:
    with pytest.raises(MflError) as caught:
        parse_derived(text, LOC, "expr of 'x'")
    err = caught.value
    assert err.code == code
    assert err.loc is not None
    assert (err.loc.line, err.loc.col, err.loc.length) == (14, col, width)
    assert err.hint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "total(period_seconds())",
            "total() is computed over a metric, not over 'period_seconds()', in expr of 'x'",
        ),
        (
            "rolling(Period_Seconds(), '7 days')",
            "rolling() is computed over a metric, not over 'Period_Seconds()', in expr of 'x'",
        ),
        (
            "shift(coalesce(a,0), '1 week')",
            "shift() is computed over a metric, not over 'coalesce(a,0)', in expr of 'x'",
        ),
        (
            "to_date(a/b, 'month')",
            "to_date() is computed over a metric, not over 'a/b', in expr of 'x'",
        ),
        (
            "erlang_c_agents(rolling(c, '7 days'), a, 20, 0.8)",
            "argument \"rolling(c, '7 days')\" of erlang_c_agents in expr of 'x' is not a"
            " metric name or a number",
        ),
        (
            "ROLLING(aht)",
            "rolling() takes 2 arguments (metric, 'N days' or 'N weeks'), not 1, in expr of 'x'",
        ),
        ("rolling(aht, '7 Months')", "unknown unit '7 Months' in rolling(), in expr of 'x'"),
    ],
    ids=["seconds", "seconds, mixed case", "function", "arithmetic", "erlang", "count", "unit"],
)
def test_window_messages_quote_the_formula_as_written(text: str, message: str) -> None:
    with pytest.raises(MflError) as caught:
        parse_derived(text, LOC, "expr of 'x'")
    assert caught.value.message == message


def test_where_messages_quote_a_window_call_as_written() -> None:
    with pytest.raises(MflError) as caught:
        parse_where("rolling(x, '7 days') > 1", LOC, "--where")
    assert caught.value.code == "E223"
    assert caught.value.message == "\"rolling(x, '7 days')\" is not allowed in --where"


@pytest.mark.parametrize(
    ("kind", "text", "step"),
    [
        (WindowKind.ROLLING, "7 days", WindowStep(WindowKind.ROLLING, Span(7, Unit.DAY))),
        (WindowKind.ROLLING, " 1 week ", WindowStep(WindowKind.ROLLING, Span(1, Unit.WEEK))),
        (WindowKind.SHIFT, "52 weeks", WindowStep(WindowKind.SHIFT, Span(52, Unit.WEEK))),
        (WindowKind.SHIFT, "1 quarter", WindowStep(WindowKind.SHIFT, Span(1, Unit.QUARTER))),
        (WindowKind.TO_DATE, "Year", WindowStep(WindowKind.TO_DATE, unit=Unit.YEAR)),
        (WindowKind.ROLLING, "1 month", None),
        (WindowKind.SHIFT, "1 fortnight", None),
        (WindowKind.TO_DATE, "7 days", None),
    ],
)
def test_parse_step(kind: WindowKind, text: str, step: WindowStep | None) -> None:
    assert parse_step(kind, text) == step


@pytest.mark.parametrize(
    ("span", "grain", "code"),
    [
        (Span(1, Unit.MONTH), Grain.WEEK, "E235"),
        (Span(3, Unit.DAY), Grain.WEEK, "E235"),
        (Span(14, Unit.DAY), Grain.WEEK, None),
        (Span(52, Unit.WEEK), Grain.WEEK, None),
        (Span(1, Unit.WEEK), Grain.MONTH, "E235"),
        (Span(1, Unit.YEAR), Grain.MONTH, None),
        (Span(1, Unit.MONTH), Grain.QUARTER, "E235"),
        (Span(6, Unit.MONTH), Grain.QUARTER, None),
        (Span(1, Unit.QUARTER), Grain.YEAR, "E235"),
        (Span(1, Unit.MONTH), Grain.DAY, None),
        (Span(1, Unit.DAY), Grain.MIN30, "E234"),
        (Span(1, Unit.MONTH), None, None),
    ],
)
def test_shift_alignment(span: Span, grain: Grain | None, code: str | None) -> None:
    problem = grain_problem(WindowStep(WindowKind.SHIFT, span), grain)
    assert (problem[0] if problem else None) == code


def test_total_works_at_every_grain() -> None:
    assert grain_problem(WindowStep(WindowKind.TOTAL), Grain.MIN30) is None


D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 3, 31), 1, D(2024, 2, 29)),  # DuckDB: DATE '2024-03-31' - INTERVAL 1 MONTH
        (D(2023, 3, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2023, 12, 31)),
        (D(2024, 5, 31), 3, D(2024, 2, 29)),
        (D(2024, 3, 15), 14, D(2023, 1, 15)),
    ],
)
def test_minus_months_clamps_like_duckdb(day: dt.date, months: int, expected: dt.date) -> None:
    assert minus_months(day, months) == expected


def rolling(n: int) -> WindowStep:
    return WindowStep(WindowKind.ROLLING, Span(n, Unit.DAY))


def shift(n: int, unit: Unit) -> WindowStep:
    return WindowStep(WindowKind.SHIFT, Span(n, unit))


def to_date(unit: Unit) -> WindowStep:
    return WindowStep(WindowKind.TO_DATE, unit=unit)


@pytest.mark.parametrize(
    ("steps", "period", "frame"),
    [
        ((rolling(7),), (D(2024, 11, 1), D(2024, 11, 1)), (D(2024, 10, 26), D(2024, 11, 1))),
        ((rolling(7),), (D(2024, 11, 1), D(2024, 11, 30)), (D(2024, 11, 24), D(2024, 11, 30))),
        ((to_date(Unit.MONTH),), (D(2024, 3, 5), D(2024, 3, 5)), (D(2024, 3, 1), D(2024, 3, 5))),
        # a Monday week holding Sunday 2024-03-10 starts on 03-04
        ((to_date(Unit.WEEK),), (D(2024, 3, 10), D(2024, 3, 10)), (D(2024, 3, 4), D(2024, 3, 10))),
        (
            (to_date(Unit.QUARTER),),
            (D(2024, 5, 1), D(2024, 5, 31)),
            (D(2024, 4, 1), D(2024, 5, 31)),
        ),
        # April a month back is all of March, not 03-01..03-30
        (
            (shift(1, Unit.MONTH),),
            (D(2024, 4, 1), D(2024, 4, 30)),
            (D(2024, 3, 1), D(2024, 3, 31)),
        ),
        (
            (shift(1, Unit.MONTH),),
            (D(2024, 3, 31), D(2024, 3, 31)),
            (D(2024, 2, 29), D(2024, 2, 29)),
        ),
        (
            (shift(1, Unit.MONTH),),
            (D(2024, 3, 30), D(2024, 3, 30)),
            (D(2024, 2, 29), D(2024, 2, 29)),
        ),
        # a day that ends a shorter month is one day a month back, not 03-30..03-31
        (
            (shift(1, Unit.MONTH),),
            (D(2024, 4, 30), D(2024, 4, 30)),
            (D(2024, 3, 30), D(2024, 3, 30)),
        ),
        (
            (shift(1, Unit.YEAR),),
            (D(2025, 2, 28), D(2025, 2, 28)),
            (D(2024, 2, 28), D(2024, 2, 28)),
        ),
        # seven days stay seven days: 04-24..04-30 a month back is 03-24..03-30
        (
            (rolling(7), shift(1, Unit.MONTH)),
            (D(2024, 4, 30), D(2024, 4, 30)),
            (D(2024, 3, 24), D(2024, 3, 30)),
        ),
        (
            (shift(1, Unit.YEAR),),
            (D(2024, 2, 1), D(2024, 2, 29)),
            (D(2023, 2, 1), D(2023, 2, 28)),
        ),
        ((shift(1, Unit.WEEK),), (D(2024, 3, 4), D(2024, 3, 10)), (D(2024, 2, 26), D(2024, 3, 3))),
        # month to date a year earlier, as of the same day
        (
            (shift(1, Unit.YEAR), to_date(Unit.MONTH)),
            (D(2024, 3, 15), D(2024, 3, 15)),
            (D(2023, 3, 1), D(2023, 3, 15)),
        ),
        # the same steps the other way round: a year before month to date
        (
            (to_date(Unit.MONTH), shift(1, Unit.YEAR)),
            (D(2024, 3, 15), D(2024, 3, 15)),
            (D(2023, 3, 1), D(2023, 3, 15)),
        ),
        (
            (rolling(7), shift(1, Unit.WEEK)),
            (D(2024, 3, 10), D(2024, 3, 10)),
            (D(2024, 2, 26), D(2024, 3, 3)),
        ),
    ],
)
def test_window_frame(
    steps: tuple[WindowStep, ...],
    period: tuple[dt.date, dt.date],
    frame: tuple[dt.date, dt.date],
) -> None:
    assert window_frame(steps, *period, "monday") == frame
