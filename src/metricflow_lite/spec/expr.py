"""Parse and whitelist user expressions (metric expr/filter, derived formulas, --where)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.windows import EXAMPLES, call_name, check_call

DERIVED_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Coalesce: "coalesce",
    exp.Nullif: "nullif",
    exp.Round: "round",
    exp.Abs: "abs",
    exp.Greatest: "greatest",
    exp.Least: "least",
}
DERIVED_OPERATORS: tuple[type[exp.Expr], ...] = (
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Paren,
    exp.Neg,
)
DERIVED_HINT = (
    "a derived metric may use metric names, numbers, + - * /, parentheses and the functions "
    + ", ".join(sorted(DERIVED_FUNCTIONS.values()))
    + "; windows: "
    + ", ".join(EXAMPLES.values())
)

# Row-level SQL (metric expr/filter): anything scalar, nothing that reads other rows or tables.
FORBIDDEN_IN_ROW_SQL: tuple[type[exp.Expr], ...] = (
    exp.Query,
    exp.Subquery,
    exp.AggFunc,
    exp.Window,
    exp.Command,
    exp.Create,
    exp.Drop,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Table,
    exp.Star,
    exp.Placeholder,
    exp.Parameter,
)
ROW_SQL_HINT = (
    "write a scalar SQL expression over the model's columns, e.g. "
    "\"direction = 'inbound' AND leg_seq = 1\"; aggregates, subqueries, window functions"
    " and other tables are not allowed here"
)

# --where and report filters: comparisons and boolean logic over dimension names.
WHERE_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Tuple,
    exp.Cast,
    exp.DataType,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Coalesce,
)
WHERE_HINT = (
    "use comparisons (=, <>, <, >, IN, BETWEEN, LIKE, IS NULL) over dimension names,"
    " combined with AND / OR / NOT, e.g. \"queue = 'VIP' AND region IN ('华东', '华北')\""
)


def parse_sql(text: str, loc: Location, what: str) -> exp.Expr:
    """Parse one SQL expression in the DuckDB dialect; syntax errors point into the YAML."""
    if not text.strip():
        raise MflError("E221", f"{what} is empty", loc, "write an expression, e.g. 'talk_seconds'")
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        line = int(detail.get("line") or 1)
        col = int(detail.get("col") or 1)
        description = str(detail.get("description") or err).split("\n")[0]
        raise MflError(
            "E221",
            f"SQL syntax error in {what}: {description}",
            loc.shifted(line - 1, max(col - 1, 0)),
            "check parentheses and quotes: strings use single quotes ('inbound')",
        ) from None
    except TokenError as err:
        raise MflError("E221", f"SQL syntax error in {what}: {err}", loc) from None
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise MflError(
            "E221",
            f"{what} must be a single expression",
            loc,
            "remove the ';' and anything after it",
        )
    tree = found[0]
    if any(node.comments for node in tree.walk()):
        raise MflError(
            "E222", f"comments are not allowed in {what}", loc, "put notes in 'description:'"
        )
    return tree


def _first(tree: exp.Expr, bad: Callable[[exp.Expr], bool]) -> exp.Expr | None:
    return next((node for node in tree.walk() if bad(node)), None)


def parse_row_sql(text: str, loc: Location, what: str) -> exp.Expr:
    """A base metric's expr or filter: a scalar expression over the model's columns."""
    tree = parse_sql(text, loc, what)
    bad = _first(tree, lambda n: isinstance(n, FORBIDDEN_IN_ROW_SQL))
    if bad is not None:
        kind = "an aggregate" if isinstance(bad, exp.AggFunc) else repr(bad.sql(dialect="duckdb"))
        raise MflError(
            "E222", f"{kind} is not allowed in {what}", _spot(loc, text, bad), ROW_SQL_HINT
        )
    return tree


def parse_derived(text: str, loc: Location, what: str) -> tuple[exp.Expr, tuple[str, ...]]:
    """A derived metric's formula and the metric names it uses (sorted)."""
    tree = parse_sql(text, loc, what)
    names: set[str] = set()
    window_units: set[int] = set()  # ids of the text arguments of window calls
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and call_name(node) is not None:
            node.set("this", call_name(node))
            check_call(node, partial(_spot_in_call, loc, text, node), what)
            if len(node.expressions) == 2:
                window_units.add(id(node.expressions[1]))
            continue
        if id(node) in window_units:
            continue
        if isinstance(node, exp.Column):
            if node.table:
                raise MflError(
                    "E220",
                    f"'{node.sql()}' is not a metric name",
                    _spot(loc, text, node),
                    DERIVED_HINT,
                )
            names.add(node.name)
        elif isinstance(node, exp.Identifier):
            continue
        elif isinstance(node, exp.Literal):
            if node.is_string:
                raise MflError(
                    "E220",
                    f"text {node.sql()} is not allowed in a derived metric",
                    _spot(loc, text, node),
                    DERIVED_HINT,
                )
        elif isinstance(node, DERIVED_OPERATORS):
            continue
        elif type(node) in DERIVED_FUNCTIONS:
            continue
        elif isinstance(node, exp.Func):
            name = node.sql_name().lower() if not isinstance(node, exp.Anonymous) else node.name
            raise MflError(
                "E220",
                f"function '{name.lower()}' is not allowed in a derived metric",
                _spot(loc, text, node),
                DERIVED_HINT,
            )
        else:
            raise MflError(
                "E220",
                f"'{node.sql(dialect='duckdb')}' is not allowed in a derived metric",
                _spot(loc, text, node),
                DERIVED_HINT,
            )
    return tree, tuple(sorted(names))


def parse_where(text: str, loc: Location, what: str) -> exp.Expr:
    """A boolean filter over dimension names (--where, report filter)."""
    tree = parse_sql(text, loc, what)
    bad = _first(tree, lambda n: not isinstance(n, WHERE_NODES))
    if bad is not None:
        raise MflError(
            "E223",
            f"{bad.sql(dialect='duckdb')!r} is not allowed in {what}",
            _spot(loc, text, bad),
            WHERE_HINT,
        )
    return tree


def dimension_names(tree: exp.Expr) -> tuple[str, ...]:
    """The dimension names a filter uses: `team` or `transfer_agent.team`, sorted."""
    return tuple(sorted({column_path(c) for c in tree.find_all(exp.Column)}))


def column_path(column: exp.Column) -> str:
    """A column reference as a dotted name (`role.dim` or `dim`)."""
    return ".".join(part.name for part in column.parts)


def column_names(tree: exp.Expr) -> tuple[str, ...]:
    """The column names a row-level expression reads, sorted."""
    return tuple(sorted({c.name for c in tree.find_all(exp.Column)}))


def locate(loc: Location, text: str, node: exp.Expr) -> Location:
    """Where a node of a parsed expression is written in its text (for a caret)."""
    return _spot(loc, text, node)


def _spot_in_call(loc: Location, text: str, call: exp.Expr, node: exp.Expr) -> Location:
    """The location of a call's argument: searched from where the call is written."""
    found = re.search(rf"\b{re.escape(call.name)}\s*\(", text, re.IGNORECASE)
    if found is None or node is call:
        return _spot(loc, text, node, found.start() if found else 0)
    return _spot(loc, text, node, found.end())


def _spot(loc: Location, text: str, node: exp.Expr, start: int = 0) -> Location:
    """The location of a node inside an expression's text, found by its rendering."""
    needle = node.sql(dialect="duckdb")
    first_column = node.find(exp.Column)
    for candidate in (
        needle,
        getattr(node, "name", "") or "",
        first_column.name if first_column is not None else "",
    ):
        if candidate:
            index = text.lower().find(candidate.lower(), start)
            if index >= 0:
                line_offset = text.count("\n", 0, index)
                col = index - (text.rfind("\n", 0, index) + 1)
                return loc.shifted(line_offset, col, len(candidate))
    return loc


def safe_div(num: exp.Expr, den: exp.Expr) -> exp.Expr:
    """num / den as DOUBLE, NULL where den is 0 (5/8 = 0.625 on every engine)."""
    zero_to_null = exp.Nullif(this=den, expression=exp.Literal.number(0))
    return exp.Div(
        this=exp.cast(num, exp.DataType.Type.DOUBLE),
        expression=exp.cast(zero_to_null, exp.DataType.Type.DOUBLE),
    )


def substitute_columns(
    tree: exp.Expr, replacement: Callable[[exp.Column], exp.Expr | None]
) -> exp.Expr:
    """A copy of the tree with each column replaced (None keeps it)."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            new = replacement(node)
            return new if new is not None else node
        return node

    return tree.copy().transform(swap)


def with_safe_division(tree: exp.Expr) -> exp.Expr:
    """A copy where every division yields NULL on a zero denominator and divides as decimals."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div):
            return safe_div(node.this, node.expression)
        return node

    return tree.copy().transform(swap)


def names_in(items: Iterable[str]) -> str:
    """A short human list of names."""
    return ", ".join(sorted(items))
