"""Parse user expressions (metric expr/filter, derived formulas, --where) and allow only what
the allowlists name.

The allowlists are data: ROW_FUNCTIONS (a base metric's expr and filter), DERIVED_FUNCTIONS (a
derived metric's formula), ROW_OPERATORS and WHERE_NODES. To allow a function, add one line,
`Allowed("<example call>")` (or `Allowed("...", DUCKDB)` for a function of some dialects only);
tests/test_hostile.py runs every row example on DuckDB, PostgreSQL and Spark. Window and
calendar functions (rolling, to_date, shift, total, period_seconds, business_seconds,
erlang_c_*) are added the same way. Anything not listed is refused on every command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from metricflow_lite.errors import FULL_WIDTH, Location, MflError
from metricflow_lite.spec.windows import EXAMPLES, call_name, check_call

ALL_DIALECTS: frozenset[str] = frozenset({"duckdb", "postgres", "spark"})
DUCKDB: frozenset[str] = frozenset({"duckdb"})


@dataclass(frozen=True, slots=True)
class Allowed:
    """One function users may call: how it is written (the example's first word is its name,
    the example itself runs on every dialect listed) and the dialects it is allowed on."""

    example: str
    dialects: frozenset[str] = ALL_DIALECTS

    @property
    def name(self) -> str:
        return self.example.split("(", 1)[0].strip().lower()


# The allowlists. A function is refused unless it is listed here; to allow one more, add one line
# (`Allowed("rolling(offered_calls, '7 days')")`) whose example works on every dialect named;
# tests/test_hostile.py runs every row example on each engine, and refuses names that read files,
# the network, the environment, the catalog or other tables (query_to_xml, pg_read_file, dblink,
# read_csv, read_text, getenv, reflect, java_method ...).
#
# Functions of a derived metric's formula (over metric values; the windows of DESIGN-2 go here).
DERIVED_FUNCTIONS: tuple[Allowed, ...] = (
    Allowed("abs(a)"),
    Allowed("coalesce(a, 0)"),
    Allowed("greatest(a, b)"),
    Allowed("least(a, b)"),
    Allowed("nullif(a, 0)"),
    Allowed("round(a, 2)"),
)
# Functions of a base metric's `expr` and `filter` (row-level SQL over a model's columns).
ROW_FUNCTIONS: tuple[Allowed, ...] = (
    Allowed("abs(-2.5)"),
    Allowed("ceil(2.5)"),
    Allowed("coalesce(NULL, 1)"),
    Allowed("concat('a', 'b')"),
    Allowed(
        "date_diff('second', TIMESTAMP '2024-01-01 09:00:00', TIMESTAMP '2024-01-01 09:01:10')"
    ),
    Allowed("date_trunc('day', TIMESTAMP '2024-01-01 09:00:00')"),
    Allowed("extract(hour FROM TIMESTAMP '2024-01-01 09:00:00')"),
    Allowed("floor(2.5)"),
    Allowed("greatest(1, 2)"),
    Allowed("if(1 < 2, 'y', 'n')"),
    Allowed("least(1, 2)"),
    Allowed("length('abc')"),
    Allowed("lower('AB')"),
    Allowed("ln(2.0)"),
    Allowed("nullif(1, 1)"),
    Allowed("power(2, 3)"),
    Allowed("regexp_full_match('ab', 'a.')"),
    Allowed("replace('abc', 'b', 'x')"),
    Allowed("round(2.567, 2)"),
    Allowed("sign(-3)"),
    Allowed("sqrt(16.0)"),
    Allowed("substring('abcdef', 2, 3)"),
    Allowed("trim('  a  ')"),
    Allowed("try_strptime('2024/01/02', '%Y/%m/%d')"),
    Allowed("upper('ab')"),
)
# Operators and other non-function nodes of row-level SQL (CASE, CAST and IN are written as such).
ROW_OPERATORS: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.DPipe,
    exp.EQ,
    exp.NEQ,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Tuple,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Interval,
)
# CAST targets: plain scalar types only (no regclass, no user-defined type).
CAST_TYPES: frozenset[exp.DType] = frozenset(
    {
        exp.DataType.Type.BOOLEAN,
        exp.DataType.Type.TINYINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.INTERVAL,
    }
)
DERIVED_OPERATORS: tuple[type[exp.Expr], ...] = (
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Paren,
    exp.Neg,
)
# Staffing functions of a derived metric (compile/erlang.py): four metric names or numbers each.
ERLANG_FUNCTIONS: dict[str, str] = {
    "erlang_c_agents": "erlang_c_agents(offered_calls, aht_seconds, 20, 0.8)",
    "erlang_c_service_level": "erlang_c_service_level(offered_calls, aht_seconds, 20, agents)",
}
DERIVED_HINT = (
    "a derived metric may use metric names, numbers, + - * /, parentheses and the functions "
    + ", ".join(sorted(a.name for a in DERIVED_FUNCTIONS))
    + "; windows: "
    + ", ".join(EXAMPLES.values())
    + "; staffing: "
    + ", ".join(ERLANG_FUNCTIONS.values())
)
ROW_SQL_HINT = (
    "write a scalar SQL expression over the model's columns, e.g. "
    "\"direction = 'inbound' AND leg_seq = 1\"; aggregates, subqueries, window functions"
    " and other tables are not allowed here"
)
ROW_FUNCTION_HINT = (
    "row-level SQL may call "
    + ", ".join(sorted(a.name for a in ROW_FUNCTIONS))
    + ", and use CASE, CAST, IN, BETWEEN, LIKE and arithmetic (docs/security.md)"
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
# What a filter's top level may be: a condition, never a bare value (`--where queue`).
PREDICATES: tuple[type[exp.Expr], ...] = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Boolean,
)
WHERE_HINT = (
    "use comparisons (=, <>, <, >, IN, BETWEEN, LIKE, IS NULL) over dimension names,"
    " combined with AND / OR / NOT, e.g. \"queue = 'VIP' AND region IN ('华东', '华北')\""
)
# Limits on user expressions: deeper nesting overflows the parser and the engines (DuckDB stops
# at an expression depth of 1000, Python's recursion earlier); no real metric comes near them.
MAX_NESTING = 25  # parentheses and function calls inside each other
MAX_DEPTH = 200  # operators inside each other; a chain of AND or OR counts as one level
MAX_LENGTH = 200_000  # characters of one expression


@cache
def _function_classes(allowed: tuple[Allowed, ...]) -> dict[type[exp.Expr], Allowed]:
    """The sqlglot node type each allowed example parses to (sqlglot types most functions).
    Parsed on first use: a build or query from the kept compiled objects checks no SQL."""
    classes: dict[type[exp.Expr], Allowed] = {}
    for entry in allowed:
        root = sqlglot.parse_one(entry.example, read="duckdb")
        if not isinstance(root, exp.Anonymous):
            classes.setdefault(type(root), entry)
    return classes


_ROW_NAMES = {a.name: a for a in ROW_FUNCTIONS}
_DERIVED_NAMES = {a.name: a for a in DERIVED_FUNCTIONS}


def function_name(node: exp.Expr) -> str:
    """A function call's name as a user would write it: `query_to_xml`, `read_csv`."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    for classes in (_function_classes(ROW_FUNCTIONS), _function_classes(DERIVED_FUNCTIONS)):
        entry = classes.get(type(node))
        if entry is not None:
            return entry.name
    return node.sql_name().lower() if isinstance(node, exp.Func) else node.key


def allowed_function(
    node: exp.Expr, classes: dict[type[exp.Expr], Allowed], names: dict[str, Allowed]
) -> Allowed | None:
    """The allowlist entry of a function call, or None when the call is not allowed."""
    if isinstance(node, exp.Anonymous):
        return names.get(str(node.name).lower())
    return classes.get(type(node))


def row_function(node: exp.Expr) -> Allowed | None:
    """The ROW_FUNCTIONS entry of a function call in row-level SQL, None if not allowed."""
    return allowed_function(node, _function_classes(ROW_FUNCTIONS), _ROW_NAMES)


def unavailable_functions(tree: exp.Expr, dialects: Iterable[str]) -> list[tuple[exp.Expr, str]]:
    """The allowed calls of row-level SQL that one of the dialects lacks: (call, dialect)."""
    wanted = sorted(set(dialects))
    found: list[tuple[exp.Expr, str]] = []
    for node in tree.walk():
        if isinstance(node, exp.Func) and not isinstance(node, ROW_OPERATORS):
            entry = row_function(node)
            missing = [d for d in wanted if entry is not None and d not in entry.dialects]
            if missing:
                found.append((node, missing[0]))
    return found


# YAML's full-width marks and the operators an input method types in SQL (queue ＝ 'A').
SQL_FULL_WIDTH = {**FULL_WIDTH, "＝": "=", "＜": "<", "＞": ">", "＋": "+", "＊": "*", "！": "!"}


def _full_width(text: str) -> tuple[int, str] | None:
    """The first full-width punctuation mark outside a quoted string, and where it is."""
    quote = ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in ("'", '"'):
            quote = char
        elif char in SQL_FULL_WIDTH and char != "\u3000":
            return i, char
    return None


def parse_sql(text: str, loc: Location, what: str) -> exp.Expr:
    """Parse one SQL expression in the DuckDB dialect; syntax errors point into the YAML."""
    if not text.strip():
        raise MflError("E221", f"{what} is empty", loc, "write an expression, e.g. 'talk_seconds'")
    _check_size(text, loc, what)
    full_width = _full_width(text)
    if full_width is not None:
        at, char = full_width
        before = text[:at]
        line, col = before.count("\n"), at - (before.rfind("\n") + 1)
        raise MflError(
            "E221",
            f"full-width '{char}' in {what}",
            loc.shifted(line, col, 1),
            f"'{char}' is full-width (全角) punctuation: SQL needs {SQL_FULL_WIDTH[char]!r};"
            " switch the input method to half-width (半角)",
        )
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        line = int(detail.get("line") or 1)
        col = int(detail.get("col") or 1)
        description = _plain_syntax_error(str(detail.get("description") or err).split("\n")[0])
        raise MflError(
            "E221",
            f"SQL syntax error in {what}: {description}",
            loc.shifted(line - 1, max(col - 1, 0)),
            "a '(' is not closed: inside an unquoted {...} mapping a comma ends the value, so"
            f' quote it: "{text}, ..."'
            if text.count("(") > text.count(")")
            else "check parentheses and quotes: strings use single quotes ('inbound')",
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
    empty_in = next((n for n in tree.find_all(exp.In) if not _in_values(n)), None)
    if empty_in is not None:
        # sqlglot reads `queue in` as `queue IN ()`, which is false for every row: a --where
        # typed half-way counted 0 calls instead of failing
        raise MflError(
            "E221",
            f"SQL syntax error in {what}: IN has no values",
            _spot(loc, text, empty_in),
            "list them: queue IN ('VIP', '普通')",
        )
    depth = expression_depth(tree)
    if depth > MAX_DEPTH:
        raise MflError(
            "E701",
            f"{what} is too deeply nested: {depth} operators inside each other (the limit is"
            f" {MAX_DEPTH})",
            loc,
            "split the expression: a long sum of columns belongs in the model's SQL, a long list"
            " of values in IN (...)",
        )
    if any(node.comments for node in tree.walk()):
        raise MflError(
            "E222", f"comments are not allowed in {what}", loc, "put notes in 'description:'"
        )
    return tree


def _in_values(node: exp.In) -> bool:
    return bool(node.expressions) or any(
        node.args.get(part) is not None for part in ("query", "unnest", "field")
    )


# sqlglot's words for an operator written without what follows it ("Required keyword:
# 'expression' missing for <class 'sqlglot.expressions.core.EQ'>"), as the user wrote it
_MISSING_OPERAND = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]*?(\w+)'>")
_OPERATOR_WORDS = {
    "EQ": "=",
    "NEQ": "<>",
    "GT": ">",
    "GTE": ">=",
    "LT": "<",
    "LTE": "<=",
    "Add": "+",
    "Sub": "-",
    "Mul": "*",
    "Div": "/",
    "Mod": "%",
    "And": "AND",
    "Or": "OR",
    "Not": "NOT",
    "Like": "LIKE",
    "ILike": "ILIKE",
    "Between": "BETWEEN ... AND",
    "Is": "IS",
}


def _plain_syntax_error(description: str) -> str:
    found = _MISSING_OPERAND.search(description)
    if found is None:
        return description
    word = _OPERATOR_WORDS.get(found.group(1), found.group(1).upper())
    return f"nothing after '{word}'"


def _check_size(text: str, loc: Location, what: str) -> None:
    """Refuse text the parser would overflow on, before parsing it (E701)."""
    if len(text) > MAX_LENGTH:
        raise MflError(
            "E701",
            f"{what} is {len(text):,} characters long (the limit is {MAX_LENGTH:,})",
            loc,
            "move long lists of values into a dimension of the model",
        )
    try:
        tokens = sqlglot.tokenize(text, read="duckdb")
    except TokenError as err:
        raise MflError("E221", f"SQL syntax error in {what}: {err}", loc) from None
    level = deepest = 0
    for token in tokens:
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
            level += 1
            if level > deepest:
                deepest = level
                if deepest > MAX_NESTING:
                    raise MflError(
                        "E701",
                        f"{what} nests parentheses more than {MAX_NESTING} deep",
                        loc.shifted(token.line - 1, token.col - 1),
                        "remove redundant parentheses: AND binds tighter than OR, and"
                        " a = 1 OR b = 2 needs none",
                    )
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
            level = max(level - 1, 0)


def expression_depth(tree: exp.Expr) -> int:
    """How many operators sit inside each other; a chain of one connector (AND, OR) is one."""
    deepest = 0
    stack: list[tuple[exp.Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.iter_expressions():
            same_chain = isinstance(node, exp.Connector) and type(child) is type(node)
            stack.append((child, depth if same_chain else depth + 1))
    return deepest


# AND / OR chains longer than this are grouped into parenthesised runs of this many terms, so
# that the engines' parsers see a shallow tree (Spark overflows its stack on ~1,000 terms).
CHAIN_RUN = 64


def grouped_connectors(tree: exp.Expr) -> exp.Expr:
    """The tree with each long AND / OR chain split into parenthesised runs of CHAIN_RUN terms
    (same meaning: both are associative); short chains are left as they are."""
    if expression_depth(tree) <= CHAIN_RUN and not _long_chain(tree):
        return tree

    def group(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Connector) or isinstance(node.parent, type(node)):
            return node
        terms = chain_terms(node)
        if len(terms) <= CHAIN_RUN:
            return node
        kind = type(node)
        while len(terms) > CHAIN_RUN:
            runs = [terms[i : i + CHAIN_RUN] for i in range(0, len(terms), CHAIN_RUN)]
            terms = [exp.paren(_chain(kind, run), copy=False) for run in runs]
        return _chain(kind, terms)

    return tree.transform(group, copy=False)


def _long_chain(tree: exp.Expr) -> bool:
    return any(
        isinstance(n, exp.Connector) and len(chain_terms(n)) > CHAIN_RUN
        for n in tree.find_all(exp.Connector)
        if not isinstance(n.parent, type(n))
    )


def chain_terms(node: exp.Expr) -> list[exp.Expr]:
    """The operands of a chain of one connector (a AND b AND c: [a, b, c]), in order."""
    kind = type(node)
    terms: list[exp.Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is kind:
            stack.extend((current.expression, current.this))
        else:
            terms.append(current)
    return terms


def _chain(kind: type[exp.Expr], terms: list[exp.Expr]) -> exp.Expr:
    result = terms[0]
    for term in terms[1:]:
        result = kind(this=result, expression=term)
    return result


def _first(tree: exp.Expr, bad: Callable[[exp.Expr], bool]) -> exp.Expr | None:
    return next((node for node in tree.walk() if bad(node)), None)


def _row_sql_refusal(node: exp.Expr) -> str | None:
    """Why a node may not appear in row-level SQL, or None when it may."""
    if isinstance(node, exp.AggFunc):
        return f"an aggregate ({function_name(node)})"
    if isinstance(node, exp.DataType):
        if node.this not in CAST_TYPES:
            return f"the type {node.sql(dialect='duckdb')}"
        return None
    if isinstance(node, exp.Var):
        # a unit keyword: extract(hour FROM ..), INTERVAL 1 DAY, date_trunc's part
        parent = node.parent
        return None if isinstance(parent, exp.Func | exp.Interval) else repr(node.sql())
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
        return "'*'"
    if isinstance(node, ROW_OPERATORS):
        return None
    if isinstance(node, exp.Func):
        # period_end() is mfl's own placeholder, replaced by a timestamp literal before any engine
        # sees it; validate (period_end_in_active) keeps it to `active` metrics. So is
        # business_seconds(a, b[, 'calendar']): the compiler writes it as arithmetic over
        # calendar-table joins (compile/calendar.py); its arguments are checked here like the rest.
        if row_function(node) is not None or is_period_end(node) or is_business_seconds(node):
            return None
        return f"the function {function_name(node)}()"
    return repr(node.sql(dialect="duckdb"))


def parse_row_sql(text: str, loc: Location, what: str) -> exp.Expr:
    """A base metric's expr or filter: a scalar expression over the model's columns, using only
    the functions and operators of the allowlist (ROW_FUNCTIONS, ROW_OPERATORS)."""
    tree = parse_sql(text, loc, what)
    for node in tree.walk():
        refusal = _row_sql_refusal(node)
        if refusal is not None:
            is_function = isinstance(node, exp.Func) and not isinstance(node, exp.AggFunc)
            raise MflError(
                "E222",
                f"{refusal} is not allowed in {what}",
                _spot(loc, text, node),
                ROW_FUNCTION_HINT if is_function else ROW_SQL_HINT,
            )
    return grouped_connectors(tree)


def parse_derived(text: str, loc: Location, what: str) -> tuple[exp.Expr, tuple[str, ...]]:
    """A derived metric's formula and the metric names it uses (sorted)."""
    tree = parse_sql(text, loc, what)
    names: set[str] = set()
    window_units: set[int] = set()  # ids of the text arguments of window calls
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and call_name(node) is not None:
            node.set("this", call_name(node))
            check_call(
                node,
                partial(_spot_in_call, loc, text, node),
                what,
                partial(_written_in_call, text, node),
            )
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
        elif (
            allowed_function(node, _function_classes(DERIVED_FUNCTIONS), _DERIVED_NAMES) is not None
        ):
            continue
        elif isinstance(node, exp.Anonymous) and node.name.lower() in ERLANG_FUNCTIONS:
            _check_erlang(node, loc, text, what)
            node.set("this", node.name.lower())
            continue
        elif isinstance(node, exp.Func):
            raise MflError(
                "E220",
                f"function '{function_name(node)}' is not allowed in a derived metric",
                _spot(loc, text, node),
                DERIVED_HINT,
            )
        else:
            raise MflError(
                "E220",
                f"'{written(text, node)}' is not allowed in a derived metric",
                _spot(loc, text, node),
                DERIVED_HINT,
            )
    return tree, tuple(sorted(names))


def _check_erlang(node: exp.Anonymous, loc: Location, text: str, what: str) -> None:
    """erlang_c_*(calls, aht_seconds, answer_seconds, target | agents): metric names or numbers."""
    name = node.name.lower()
    args = node.expressions
    example = ERLANG_FUNCTIONS[name]
    if len(args) != 4:
        raise MflError(
            "E276",
            f"{name} takes 4 arguments in {what}, not {len(args)}",
            _spot(loc, text, node),
            f"write {example}",
        )
    for arg in args:
        plain = isinstance(arg, exp.Column) and not arg.table
        number = isinstance(arg, exp.Literal) and not arg.is_string
        if isinstance(arg, exp.Neg) and isinstance(arg.this, exp.Literal):
            # a number, but no count of calls, handle time, wait or agents is below zero
            raise MflError(
                "E276",
                f"argument {_written_in_call(text, node, arg)!r} of {name} in {what} is negative",
                _spot(loc, text, arg),
                f"each argument is 0 or more: {example}",
            )
        if not (plain or number):
            raise MflError(
                "E276",
                f"argument {_written_in_call(text, node, arg)!r} of {name} in {what} is not a"
                " metric name or a number",
                _spot(loc, text, arg),
                f"define the value as a metric of its own and name it: {example}",
            )
    target = args[3]
    if name == "erlang_c_agents" and isinstance(target, exp.Literal) and not target.is_string:
        # a target written as a percent (80) can never be met: NULL in every period with calls
        share = float(target.name)
        if not 0 < share <= 1:
            raise MflError(
                "E276",
                f"target {_written_in_call(text, node, target)!r} of {name} in {what} is not a"
                " share between 0 and 1",
                _spot(loc, text, target),
                f"write the share of calls answered in time as a fraction: {example}",
            )


def parse_where(text: str, loc: Location, what: str) -> exp.Expr:
    """A boolean filter over dimension names (--where, report filter)."""
    tree = parse_sql(text, loc, what)
    bad = _first(tree, lambda n: not isinstance(n, WHERE_NODES))
    if bad is not None:
        raise MflError(
            "E223",
            f"{written(text, bad)!r} is not allowed in {what}",
            _spot(loc, text, bad),
            WHERE_HINT,
        )
    value = first_value(tree)
    if value is not None:
        shown = written(text, value)
        raise MflError(
            "E702",
            f"{what} must be a condition (true or false for each row), not the value {shown!r}",
            _spot(loc, text, value),
            f'compare it with something: "{shown} = \'...\'" or "{shown} IS NOT NULL"',
        )
    return grouped_connectors(tree)


def first_value(tree: exp.Expr) -> exp.Expr | None:
    """The first operand of AND / OR / NOT that is a value, not a condition (None: all are)."""
    stack = [tree]
    while stack:
        node = stack.pop().unnest()
        if isinstance(node, exp.Connector):
            stack.extend((node.expression, node.this))
        elif isinstance(node, exp.Not):
            stack.append(node.this)
        elif not isinstance(node, PREDICATES):
            return node
    return None


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


def written(text: str, node: exp.Expr, start: int = 0) -> str:
    """A node of a parsed expression as the user wrote it, for a message: the span of `text`
    (from `start`) that reads as the node's rendering, whatever its case and spacing
    (`period_seconds()`, not sqlglot's `PERIOD_SECONDS()`); the rendering with function names
    in lower case when the span is not found."""
    shown = node.sql(dialect="duckdb", normalize_functions="lower")
    pattern = r"\s*".join(re.escape(c) for c in shown if not c.isspace())
    found = re.compile(pattern, re.IGNORECASE).search(text, start) if pattern else None
    return found.group(0) if found is not None else shown


def _written_in_call(text: str, call: exp.Expr, node: exp.Expr) -> str:
    """An argument of a call as written: searched from where the call is written."""
    found = re.search(rf"\b{re.escape(call.name)}\s*\(", text, re.IGNORECASE)
    return written(text, node, found.end() if found is not None else 0)


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


# In an `active` metric's expr or filter: the instant its rows are active at (a period's end).
PERIOD_END = "period_end"


BUSINESS_SECONDS = "business_seconds"


def is_business_seconds(node: exp.Expr) -> bool:
    """True for business_seconds(...), mfl's own function of row SQL (spec/calendar.py)."""
    return isinstance(node, exp.Anonymous) and node.name.lower() == BUSINESS_SECONDS


def is_period_end(node: exp.Expr) -> bool:
    """True for `period_end()`, the end instant of the period an active metric is read at."""
    return (
        isinstance(node, exp.Anonymous) and node.name.lower() == PERIOD_END and not node.expressions
    )


def uses_period_end(tree: exp.Expr | None) -> bool:
    """True when an expression reads `period_end()`."""
    return tree is not None and any(is_period_end(n) for n in tree.walk())


def substitute_period_end(tree: exp.Expr, instant: exp.Expr) -> exp.Expr:
    """A copy with each `period_end()` replaced by `instant`."""
    return tree.copy().transform(lambda n: instant.copy() if is_period_end(n) else n)
