"""Per-dialect rewrites of DuckDB-flavoured trees, so every engine returns the same numbers.

sqlgen and the models build trees in DuckDB's terms; sqlglot transpiles most of them. The
rules here cover what it renders valid but different (or invalid) on PostgreSQL and Spark:

- EXTRACT returns numeric on PostgreSQL (hour 9 would come back as 9.0): cast to INT.
- EXTRACT(ISODOW) does not exist on Spark: DAYOFWEEK_ISO is the same 1 = Monday .. 7 = Sunday.
- PERCENTILE_CONT(x, p) is not Spark syntax; percentile(x, p) is the exact (not approximate)
  interpolated percentile, as on DuckDB and PostgreSQL.
- DuckDB's date_diff counts unit boundaries crossed (09:00:50 -> 09:01:10 is 1 minute); Spark's
  counts whole units elapsed (0): truncate both ends to the unit first.
- try_strptime (NULL where the text does not fit the format) is try_to_timestamp on Spark; on
  PostgreSQL, whose to_timestamp raises instead, the text must first match the format as a
  regular expression. regexp_full_match is an anchored ~ / RLIKE.
- INTERVAL (expr) SECOND loses its expression when rendered: expr * INTERVAL '1' SECOND.
- Spark has no infinite timestamp (CAST('infinity' AS TIMESTAMP) is NULL): the end of time of a
  current version is Spark's last instant, 9999-12-31 23:59:59.999999.
- LIKE without ESCAPE has no escape character on DuckDB, and a backslash one on PostgreSQL and
  Spark: `'%\\%'` finds every value holding a backslash only on DuckDB. Each backslash of the
  pattern is doubled, so that it matches itself there too.
- The report time spine is EXPLODE(GENERATE_SERIES(lo, hi, step)) in the select list: Spark allows
  no generator inside CAST, and PostgreSQL wants timestamps, not UNNEST.

NULL ordering (NULLS LAST), IS NOT DISTINCT FROM, float division of integers and QUALIFY are
transpiled by sqlglot itself; the engine tests check each of them.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import UnsupportedError

from metricflow_lite.errors import Location, MflError

Rule = Callable[[exp.Expr], exp.Expr | None]

INTEGER_PARTS = ("HOUR", "MINUTE", "DAY", "MONTH", "YEAR", "QUARTER", "WEEK", "ISODOW", "DOW")


def postgres_integer_extract(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Extract) and node.name.upper() in INTEGER_PARTS:
        if not isinstance(node.parent, exp.Cast):
            return exp.cast(node.copy(), exp.DataType.Type.INT)
    return None


def postgres_series(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.GenerateSeries):
        series = node.this
        return exp.func(
            "GENERATE_SERIES",
            exp.cast(series.args["start"].copy(), exp.DataType.Type.TIMESTAMP),
            exp.cast(series.args["end"].copy(), exp.DataType.Type.TIMESTAMP),
            series.args["step"].copy(),
        )
    return None


def spark_iso_day_of_week(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Extract) and node.name.upper() == "ISODOW":
        return exp.Extract(this=exp.var("DAYOFWEEK_ISO"), expression=node.expression.copy())
    return None


def spark_exact_percentile(node: exp.Expr) -> exp.Expr | None:
    # In models: PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), which sqlglot would make approx.
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression
        keys = order.expressions if isinstance(order, exp.Order) else []
        if len(keys) == 1:
            key = keys[0]
            value = key.this if isinstance(key, exp.Ordered) else key
            fraction: exp.Expr = node.this.this.copy()
            if isinstance(key, exp.Ordered) and key.args.get("desc"):
                fraction = exp.Sub(this=exp.Literal.number(1), expression=fraction)
            return exp.Anonymous(this="percentile", expressions=[value.copy(), fraction])
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), node.expression])
    if isinstance(node, exp.Median):
        return exp.Anonymous(
            this="percentile", expressions=[node.this.copy(), exp.Literal.number(0.5)]
        )
    return None


def spark_boundary_date_diff(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
        unit = node.args.get("unit")
        name = unit.name.upper() if unit is not None else "DAY"
        if name in ("SECOND", "MINUTE", "HOUR"):
            return exp.DateDiff(
                this=exp.TimestampTrunc(this=node.this.copy(), unit=exp.var(name)),
                expression=exp.TimestampTrunc(this=node.expression.copy(), unit=exp.var(name)),
                unit=exp.var(name),
            )
    return None


def spark_series(node: exp.Expr) -> exp.Expr | None:
    # CAST(EXPLODE(SEQUENCE(lo, hi, step)) AS DATE) -> EXPLODE(SEQUENCE(CAST(lo), CAST(hi), step))
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode):
        series = node.this.this
        if isinstance(series, exp.GenerateSeries):
            to = node.to.copy()
            return exp.Explode(
                this=exp.GenerateSeries(
                    start=exp.cast(series.args["start"].copy(), to),
                    end=exp.cast(series.args["end"].copy(), to),
                    step=series.args["step"].copy(),
                )
            )
    return None


# strptime specifiers as regular expressions: the shape (and range) of text that parses.
STRPTIME_PATTERNS = {
    "%Y": r"[0-9]{4}",
    "%y": r"[0-9]{2}",
    "%m": r"(0?[1-9]|1[0-2])",
    "%d": r"(0?[1-9]|[12][0-9]|3[01])",
    "%H": r"([01]?[0-9]|2[0-3])",
    "%M": r"[0-5]?[0-9]",
    "%S": r"[0-5]?[0-9]",
    "%f": r"[0-9]{1,6}",
    "%%": "%",
}


REGEX_SPECIAL = set(".^$*+?()[]{}|\\")


def strptime_call(node: exp.Expr, name: str) -> tuple[exp.Expr, str] | None:
    """(value, format) of a DuckDB call name(value, 'format'), else None."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == name:
        args = node.expressions
        if len(args) == 2 and isinstance(args[1], exp.Literal) and args[1].is_string:
            return args[0], args[1].name
    return None


def strptime_regex(fmt: str) -> str | None:
    """An anchored regular expression for the text strptime accepts; None for a specifier
    without one here."""
    parts = ["^"]
    index = 0
    while index < len(fmt):
        if fmt[index] == "%":
            pattern = STRPTIME_PATTERNS.get(fmt[index : index + 2])
            if pattern is None:
                return None
            parts.append(pattern)
            index += 2
        else:
            char = fmt[index]
            parts.append("\\" + char if char in REGEX_SPECIAL else char)
            index += 1
    return "".join(parts) + "$"


def time_format(value: exp.Expr, fmt: str, dialect: str) -> str:
    """A DuckDB strptime format in the dialect's own spelling."""
    parse = exp.StrToTime(this=value.copy(), format=exp.Literal.string(fmt))
    spelled = Dialect.get_or_raise(dialect).generator().format_time(parse) or fmt
    # format_time renders the SQL literal: keep the text inside its quotes.
    return spelled[1:-1] if spelled[:1] == spelled[-1:] == "'" else spelled


def postgres_try_strptime(node: exp.Expr) -> exp.Expr | None:
    call = strptime_call(node, "try_strptime")
    regex = strptime_regex(call[1]) if call else None
    if call is None or regex is None:
        return None
    value, fmt = call
    parsed = exp.func(
        "TO_TIMESTAMP", value.copy(), exp.Literal.string(time_format(value, fmt, "postgres"))
    )
    fits = exp.RegexpLike(this=value.copy(), expression=exp.Literal.string(regex))
    return exp.Case(ifs=[exp.If(this=fits, true=exp.cast(parsed, exp.DataType.Type.TIMESTAMP))])


def spark_try_strptime(node: exp.Expr) -> exp.Expr | None:
    call = strptime_call(node, "try_strptime")
    if call is None:
        return None
    value, fmt = call
    return exp.Anonymous(
        this="try_to_timestamp",
        expressions=[value.copy(), exp.Literal.string(time_format(value, fmt, "spark"))],
    )


def anchored_regexp_match(node: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.RegexpFullMatch) or not isinstance(node.expression, exp.Literal):
        return None
    anchored = exp.Literal.string(f"^(?:{node.expression.name})$")
    return exp.RegexpLike(this=node.this.copy(), expression=anchored)


def interval_of_expression(node: exp.Expr) -> exp.Expr | None:
    # INTERVAL (n * 86400) SECOND would lose its expression: n * 86400 times INTERVAL '1' SECOND.
    if isinstance(node, exp.Interval) and not isinstance(node.this, exp.Literal | None):
        unit = node.args.get("unit")
        if unit is not None:
            one = exp.Interval(this=exp.Literal.string("1"), unit=unit.copy())
            value = node.this.unnest().copy()
            return exp.Mul(this=exp.paren(value, copy=False), expression=one)
    return None


def like_without_escape(node: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.Like | exp.ILike) or isinstance(node.parent, exp.Escape):
        return None
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        if "\\" not in pattern.name:
            return None
        doubled: exp.Expr = exp.Literal.string(pattern.name.replace("\\", "\\\\"))
    else:
        backslash = exp.Literal.string("\\")
        doubled = exp.func("REPLACE", pattern.copy(), backslash, exp.Literal.string("\\\\"))
    rewritten = node.copy()  # keeps NOT (negate) and any other argument
    rewritten.set("expression", doubled)
    return rewritten


def spark_double_literals(node: exp.Expr) -> exp.Expr | None:
    """`3600.0` as DOUBLE: Spark reads it as DECIMAL(5,1), and a division by it keeps 6 digits."""
    if (
        isinstance(node, exp.Literal)
        and not node.is_string
        and any(mark in node.this.lower() for mark in (".", "e"))
        and isinstance(node.parent, exp.Div | exp.Mul | exp.Add | exp.Sub)
    ):
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    return None


SPARK_LAST_INSTANT = "9999-12-31 23:59:59.999999"


def spark_end_of_time(node: exp.Expr) -> exp.Expr | None:
    if (
        isinstance(node, exp.Cast)
        and node.to.is_type(exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and node.this.this.lower() == "infinity"
    ):
        return exp.cast(exp.Literal.string(SPARK_LAST_INSTANT), node.to.copy())
    return None


def without_inlining_marks(node: exp.Expr) -> exp.Expr | None:
    """A CTE without NOT MATERIALIZED, which compile/layers writes on a source model's
    row-wise CTEs for DuckDB: PostgreSQL inlines a CTE read once and materialises one read
    more often, its rows are read whole either way; Spark has no such hint."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is False:
        unmarked = node.copy()
        unmarked.set("materialized", None)
        return unmarked
    return None


def spark_without_materialized(node: exp.Expr) -> exp.Expr | None:
    """A CTE without MATERIALIZED: Spark decides itself which CTEs it computes once."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        unmarked = node.copy()
        unmarked.set("materialized", None)
        return unmarked
    return None


RULES: dict[str, tuple[Rule, ...]] = {
    "duckdb": (),
    "postgres": (
        postgres_integer_extract,
        postgres_series,
        postgres_try_strptime,
        anchored_regexp_match,
        interval_of_expression,
        like_without_escape,
        without_inlining_marks,
    ),
    "spark": (
        spark_iso_day_of_week,
        spark_exact_percentile,
        spark_boundary_date_diff,
        spark_series,
        spark_try_strptime,
        anchored_regexp_match,
        interval_of_expression,
        like_without_escape,
        spark_double_literals,
        spark_end_of_time,
        spark_without_materialized,
    ),
}
# Constructs sqlglot renders without complaint but the engine rejects: (node type, what, hint).
UNSUPPORTED: dict[str, tuple[tuple[type[exp.Expr], str, str], ...]] = {
    "duckdb": (),
    "postgres": (
        (exp.DayOfWeek, "dayofweek()", "use extract(isodow from x)"),
        (exp.DateBin, "time_bucket()", "use date_trunc() or leave bucketing to --grain 30min"),
    ),
    "spark": (
        (exp.DateBin, "time_bucket()", "use date_trunc() or leave bucketing to --grain 30min"),
    ),
}


def adapt(tree: exp.Expr, dialect: str) -> exp.Expr:
    """The tree rewritten for a dialect (a copy; the input is left as it is)."""
    adapted = tree.copy()
    for rule in RULES.get(dialect, ()):

        def apply(node: exp.Expr, rule: Rule = rule) -> exp.Expr:
            return rule(node) or node

        adapted = adapted.transform(apply, copy=False)
    return adapted


def render(tree: exp.Expr, dialect: str, what: str, loc: Location | None = None) -> str:
    """Pretty SQL for a dialect; a construct the dialect lacks is an MflError naming `what`."""
    for kind, construct, hint in UNSUPPORTED.get(dialect, ()):
        if tree.find(kind) is not None:
            raise MflError("E320", f"{what}: {construct} has no {dialect} equivalent", loc, hint)
    if dialect == "duckdb":
        return tree.sql(dialect=dialect, pretty=True)
    try:
        return adapt(tree, dialect).sql(
            dialect=dialect, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE
        )
    except UnsupportedError as err:
        message = str(err).strip().splitlines()[0]
        raise MflError(
            "E320",
            f"{what}: cannot be written for {dialect}: {message}",
            loc,
            "rewrite the construct in plain SQL that every target supports",
        ) from None
