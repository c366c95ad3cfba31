"""Window and offset functions in a derived formula: rolling, to_date, shift, total, period_seconds.

A call is kept in the formula's tree as `exp.Anonymous` with a lower-case name; this module
says what each call means (a `WindowStep`), checks its arguments where the formula is parsed,
and checks it against a query's grain where a query or report asks for one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sqlglot import exp

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.model import Grain


class WindowKind(str, Enum):
    ROLLING = "rolling"  # the N days (7N days) that end on the period's last day
    TO_DATE = "to_date"  # from the start of the week/month/... holding the last day, to it
    SHIFT = "shift"  # the period that starts N units earlier
    TOTAL = "total"  # all members of the query's --by dimensions


PERIOD_SECONDS = "period_seconds"
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "rolling": ("metric", "'N days' or 'N weeks'"),
    "to_date": ("metric", "'week', 'month', 'quarter' or 'year'"),
    "shift": ("metric", "'N days', 'N weeks', 'N months', 'N quarters' or 'N years'"),
    "total": ("metric",),
    PERIOD_SECONDS: (),
}
EXAMPLES = {
    "rolling": "rolling(abandonment_rate, '7 days')",
    "to_date": "to_date(offered_calls, 'month')",
    "shift": "shift(offered_calls, '1 week')",
    "total": "offered_calls / total(offered_calls)",
    PERIOD_SECONDS: "logged_in_seconds / period_seconds()",
}


class Unit(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        """Months in one unit (0 for days and weeks)."""
        return {Unit.MONTH: 1, Unit.QUARTER: 3, Unit.YEAR: 12}.get(self, 0)

    @property
    def days(self) -> int:
        """Days in one unit (0 for calendar units)."""
        return {Unit.DAY: 1, Unit.WEEK: 7}.get(self, 0)


@dataclass(frozen=True, slots=True)
class Span:
    """A length of time written in a window: '7 days', '1 month', '52 weeks'."""

    amount: int
    unit: Unit

    @property
    def months(self) -> int:
        return self.amount * self.unit.months

    @property
    def days(self) -> int:
        return self.amount * self.unit.days

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}{'s' if self.amount != 1 else ''}"


@dataclass(frozen=True, slots=True)
class WindowStep:
    """One window call: what it does to the period its argument is computed over."""

    kind: WindowKind
    span: Span | None = None  # rolling, shift
    unit: Unit | None = None  # to_date

    def __str__(self) -> str:
        match self.kind:
            case WindowKind.ROLLING | WindowKind.SHIFT:
                return f"{self.kind.value} {self.span}"
            case WindowKind.TO_DATE:
                assert self.unit is not None
                return f"{self.unit.value} to date"
            case WindowKind.TOTAL:
                return "total"


_SPAN = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")


def call_name(node: exp.Expr) -> str | None:
    """The window function a node calls (lower case), or None."""
    if isinstance(node, exp.Anonymous) and str(node.name).lower() in ARGUMENTS:
        return str(node.name).lower()
    return None


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    return list(node.expressions)


def check_call(
    node: exp.Anonymous,
    at: Callable[[exp.Expr], Location],
    what: str,
    written: Callable[[exp.Expr], str] | None = None,
) -> WindowStep | None:
    """A window call's step (None for period_seconds), or MflError at the wrong argument;
    `written` gives an argument as the user wrote it (default: rendered, names lower case)."""
    name = str(node.name).lower()
    args = _arguments(node)
    wanted = ARGUMENTS[name]

    def shown(arg: exp.Expr) -> str:
        if written is not None:
            return written(arg)
        return arg.sql(dialect="duckdb", normalize_functions="lower")

    if len(args) != len(wanted):
        shape = ", ".join(wanted)
        raise MflError(
            "E232",
            f"{name}() takes {len(wanted)} argument{'s' if len(wanted) != 1 else ''}"
            f" ({shape or 'none'}), not {len(args)}, in {what}",
            at(args[len(wanted)] if len(args) > len(wanted) else node),
            f"write it as {EXAMPLES[name]}",
        )
    if name == PERIOD_SECONDS:
        return None
    inner = args[0]
    if not (isinstance(inner, exp.Column) and not inner.table) and call_name(inner) in (
        None,
        PERIOD_SECONDS,
    ):
        raise MflError(
            "E233",
            f"{name}() is computed over a metric, not over '{shown(inner)}', in {what}",
            at(inner),
            "name a metric (define the arithmetic as its own derived metric first),"
            f" e.g. {EXAMPLES[name]}",
        )
    kind = WindowKind(name)
    if kind is WindowKind.TOTAL:
        return WindowStep(kind)
    arg = args[1]
    if not (isinstance(arg, exp.Literal) and arg.is_string):
        raise MflError(
            "E231",
            f"the second argument of {name}() must be text such as {wanted[1]}, in {what}",
            at(arg),
            f"write it as {EXAMPLES[name]}",
        )
    value = str(arg.this)
    step = parse_step(kind, value)
    if step is None:
        raise MflError(
            "E231",
            f"unknown unit '{value}' in {name}(), in {what}",
            at(arg),
            f"{name}() takes {wanted[1]}, e.g. {EXAMPLES[name]}",
        )
    return step


def parse_step(kind: WindowKind, value: str) -> WindowStep | None:
    """The step that a call's text argument describes, or None when it is not one."""
    lowered = value.strip().lower()
    if kind is WindowKind.TO_DATE:
        try:
            unit = Unit(lowered)
        except ValueError:
            return None
        return WindowStep(kind, unit=unit) if unit is not Unit.DAY else None
    match = _SPAN.match(lowered)
    if match is None:
        return None
    amount = int(match.group(1))
    try:
        unit = Unit(match.group(2))
    except ValueError:
        return None
    if amount < 1:
        return None
    if kind is WindowKind.ROLLING and unit not in (Unit.DAY, Unit.WEEK):
        return None
    return WindowStep(kind, span=Span(amount, unit))


def step_of(node: exp.Expr) -> WindowStep:
    """The step of a call that parse_derived already checked."""
    name = call_name(node)
    assert name is not None and name != PERIOD_SECONDS, node
    kind = WindowKind(name)
    if kind is WindowKind.TOTAL:
        return WindowStep(kind)
    arg = _arguments(node)[1]
    step = parse_step(kind, str(arg.this))
    assert step is not None, node
    return step


def grain_problem(step: WindowStep, grain: Grain | None) -> tuple[str, str, str] | None:
    """(code, message, hint) when a step cannot be computed at a grain, else None."""
    if step.kind is WindowKind.TOTAL:
        return None
    if grain is not None and grain.intraday:
        return (
            "E234",
            f"{step.kind.value}() needs a grain of a day or coarser, not {grain.value}",
            "query it with --grain day (or week, month, ...); windows are whole days",
        )
    if step.kind is not WindowKind.SHIFT or grain is None:
        return None
    assert step.span is not None
    aligned = {
        Grain.DAY: True,
        Grain.WEEK: step.span.days % 7 == 0 and step.span.days > 0,
        Grain.MONTH: step.span.months > 0,
        Grain.QUARTER: step.span.months % 3 == 0 and step.span.months > 0,
        Grain.YEAR: step.span.months % 12 == 0 and step.span.months > 0,
    }.get(grain, True)
    if aligned:
        return None
    takes = {
        Grain.WEEK: "days in sevens or weeks, e.g. '1 week' or '52 weeks'",
        Grain.MONTH: "months, quarters or years, e.g. '1 month' or '1 year'",
        Grain.QUARTER: "quarters, years or months in threes, e.g. '1 quarter' or '1 year'",
        Grain.YEAR: "years, e.g. '1 year'",
    }[grain]
    return (
        "E235",
        f"shift by '{step.span}' does not land on the start of a {grain.value}",
        f"at {grain.value} grain shift takes {takes}",
    )


def window_calls(tree: exp.Expr) -> tuple[exp.Anonymous, ...]:
    """Every window call in a formula (period_seconds included), outermost first."""
    return tuple(n for n in tree.walk() if isinstance(n, exp.Anonymous) and call_name(n))
