"""Erlang C in SQL: erlang_c_agents() and erlang_c_service_level() of a derived metric.

With traffic A = calls x aht / period_seconds() (erlangs) and N > A agents:
    C(N)  = (A^N/N! x N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! x N/(N-A))
    SL(N) = 1 - C(N) x exp(-(N - A) x answer_seconds / aht)
Every term is divided by e^A, which turns A^k/k! into the Poisson probability of k, at most 1:
nothing overflows (A^N/N! itself does past N = 170) and log(k!) is a running sum of log(j) over a
1,000-row series. Each row of the query is joined to the series n = 1..min(1000, bound(A)); a
running sum over n gives sum_{k<n}; the fewest n with SL(n) >= target is a MIN. The bound
A + 10 sqrt(A) + 30 is where C(n) has fallen below e^-50: past it SL(n) = 1 to double precision.

- erlang_c_agents: 0 when calls is 0 (whatever aht is) or aht is 0; NULL when aht is NULL and
  calls > 0; NULL when more than 1,000 agents would be needed.
- erlang_c_service_level: NULL when calls is 0 or aht is NULL or 0; 0 when agents <= A;
  agents are whole (a fraction of an agent is dropped: 12.6 logged in answers as 12); NULL past
  1,000 agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.compile.joins import typed_join
from metricflow_lite.spec.expr import ERLANG_FUNCTIONS

ERLANG_AGENTS = "erlang_c_agents"
ERLANG_SERVICE_LEVEL = "erlang_c_service_level"
MAX_AGENTS = 1000
SERIES = "erlang_series"
FLOOR_EXPONENT = -700  # exp() below this underflows to an error on PostgreSQL; it is 1e-304


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_ident(name), table=_ident(table) if table else None)


def _num(value: float) -> exp.Expr:
    return exp.Literal.number(value)


def _double(value: exp.Expr) -> exp.Expr:
    return exp.cast(value, exp.DataType.Type.DOUBLE)


def _exp(power: exp.Expr) -> exp.Expr:
    return exp.Exp(
        this=exp.Greatest(this=power, expressions=[_num(FLOOR_EXPONENT)], ignore_nulls=True)
    )


ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)


def _parenthesized(tree: exp.Expr) -> exp.Expr:
    """Hand-built arithmetic with each nested operation in parentheses: sqlglot writes a tree as
    it is, so Div(x, Sub(n, a)) would otherwise read x / n - a."""

    def wrap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, ARITHMETIC):
            for key in ("this", "expression"):
                child = node.args.get(key)
                if isinstance(child, ARITHMETIC):
                    node.set(key, exp.Paren(this=child))
        return node

    return tree.transform(wrap, copy=False)


def erlang_calls(tree: exp.Expr) -> list[exp.Anonymous]:
    """The erlang_c_*(...) calls in a formula, in order."""
    return [
        node
        for node in tree.walk()
        if isinstance(node, exp.Anonymous) and node.name.lower() in ERLANG_FUNCTIONS
    ]


def series_query() -> exp.Select:
    """n = 1..1000 with log(n!) and log((n-1)!), from ten digits cubed (portable SQL)."""
    digits = exp.select(exp.alias_(_num(0), _ident("d")))
    for digit in range(1, 10):
        digits = exp.union(digits, exp.select(exp.alias_(_num(digit), _ident("d"))), distinct=False)  # type: ignore[assignment]
    number = exp.Add(
        this=exp.Add(
            this=exp.Mul(this=_col("d", "h"), expression=_num(100)),
            expression=exp.Mul(this=_col("d", "t"), expression=_num(10)),
        ),
        expression=exp.Add(this=_col("d", "u"), expression=_num(1)),
    )
    numbers = exp.select(exp.alias_(number, _ident("n"))).from_(
        exp.Subquery(this=digits.copy(), alias=exp.TableAlias(this=_ident("h")))
    )
    for alias in ("t", "u"):
        numbers = numbers.join(
            typed_join(
                exp.Subquery(this=digits.copy(), alias=exp.TableAlias(this=_ident(alias))), "CROSS"
            ),
        )
    running = exp.Window(
        this=exp.Sum(this=exp.Ln(this=_double(_col("n")))),
        order=exp.Order(expressions=[exp.Ordered(this=_col("n"))]),
        spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING"),
    )
    log_factorial = exp.alias_(running, _ident("log_fact"))
    with_fact = exp.select(_col("n"), log_factorial).from_(
        exp.Subquery(this=numbers, alias=exp.TableAlias(this=_ident("numbers")))
    )
    previous = exp.Sub(this=_col("log_fact"), expression=exp.Ln(this=_double(_col("n"))))
    return exp.select(
        _col("n"), _col("log_fact"), exp.alias_(previous, _ident("log_fact_before"))
    ).from_(exp.Subquery(this=with_fact, alias=exp.TableAlias(this=_ident("facts"))))


@dataclass(frozen=True, slots=True)
class ErlangCall:
    """One erlang_c_* call of a query: its arguments as SQL over the query's own FROM."""

    function: str
    calls: exp.Expr
    aht: exp.Expr
    answer: exp.Expr
    goal: exp.Expr  # target (agents) or agents (service level)


def erlang_query(
    call: ErlangCall,
    keys: Sequence[tuple[str, exp.Expr]],
    period_seconds: exp.Expr,
    source: exp.Select,
) -> exp.Select:
    """SELECT keys, value: the call's value per row of `source` (a SELECT whose FROM and joins
    give one row per key), computed in SQL."""
    inputs = source.copy()
    inputs.set("expressions", [])
    inputs.set("order", None)
    inputs.set("with_", None)
    traffic = exp.Div(
        this=exp.Mul(this=_double(call.calls.copy()), expression=_double(call.aht.copy())),
        expression=_double(exp.Nullif(this=period_seconds.copy(), expression=_num(0))),
    )
    for name, key in keys:
        inputs = inputs.select(exp.alias_(key.copy(), _ident(name)), copy=False)
    inputs = inputs.select(
        exp.alias_(_double(call.calls.copy()), _ident("calls")),
        exp.alias_(_double(call.aht.copy()), _ident("aht")),
        exp.alias_(_double(call.answer.copy()), _ident("answer")),
        exp.alias_(_double(call.goal.copy()), _ident("goal")),
        exp.alias_(traffic, _ident("traffic")),
        copy=False,
    )
    a = _col("traffic", "i")
    n = _col("n", "s")
    log_a = exp.Ln(this=a.copy())
    # Poisson(k; A) = exp(k ln A - ln k! - A): the terms of sum_{k<n}, k = n - 1 on row n
    below_term = _exp(
        exp.Sub(
            this=exp.Sub(
                this=exp.Mul(
                    this=exp.Sub(this=n.copy(), expression=_num(1)), expression=log_a.copy()
                ),
                expression=_col("log_fact_before", "s"),
            ),
            expression=a.copy(),
        )
    )
    top = exp.Div(
        this=exp.Mul(
            this=_exp(
                exp.Sub(
                    this=exp.Sub(
                        this=exp.Mul(this=n.copy(), expression=log_a.copy()),
                        expression=_col("log_fact", "s"),
                    ),
                    expression=a.copy(),
                )
            ),
            expression=_double(n.copy()),
        ),
        # n = A exactly (an integer traffic) is no queue that empties: NULL, not an error
        expression=exp.Nullif(this=exp.Sub(this=n.copy(), expression=a.copy()), expression=_num(0)),
    )
    partition = [_col(name, "i") for name, _ in keys]
    below = exp.Window(
        this=exp.Sum(this=below_term),
        partition_by=partition,
        order=exp.Order(expressions=[exp.Ordered(this=n.copy())]),
        spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING"),
    )
    bound: exp.Expr = exp.Add(
        this=exp.Add(
            this=a.copy(),
            expression=exp.Mul(this=_num(10), expression=exp.Sqrt(this=a.copy())),
        ),
        expression=_num(30),
    )
    if call.function == ERLANG_SERVICE_LEVEL:
        bound = exp.Floor(this=_col("goal", "i"))
    in_range = exp.and_(
        exp.GT(this=a.copy(), expression=_num(0)),
        exp.GT(this=_col("aht", "i"), expression=_num(0)),
        exp.LTE(this=n.copy(), expression=bound),
    )
    terms = (
        exp.select(
            *[_col(name, "i") for name, _ in keys],
            _col("traffic", "i"),
            _col("aht", "i"),
            _col("answer", "i"),
            _col("goal", "i"),
            n.copy(),
            exp.alias_(below, _ident("below")),
            exp.alias_(top, _ident("top")),
        )
        .from_(exp.Subquery(this=inputs, alias=exp.TableAlias(this=_ident("i"))))
        .join(
            typed_join(
                exp.Subquery(this=series_query(), alias=exp.TableAlias(this=_ident("s"))), "INNER"
            ),
            on=in_range,
        )
    )
    t = "t"
    wait_c = exp.Div(
        this=_col("top", t),
        expression=exp.Nullif(
            this=exp.Add(this=_col("below", t), expression=_col("top", t)), expression=_num(0)
        ),
    )
    decay = _exp(
        exp.Neg(
            this=exp.Div(
                this=exp.Mul(
                    this=exp.Sub(this=_col("n", t), expression=_col("traffic", t)),
                    expression=_col("answer", t),
                ),
                expression=_col("aht", t),
            )
        )
    )
    level = exp.Sub(this=_num(1), expression=exp.Mul(this=wait_c, expression=decay))
    above = exp.GT(this=_col("n", t), expression=_col("traffic", t))
    terms_table = exp.Subquery(this=terms, alias=exp.TableAlias(this=_ident(t)))
    picked = exp.select(*[_col(name, t) for name, _ in keys])
    if call.function == ERLANG_AGENTS:
        met = exp.and_(above, exp.GTE(this=level, expression=_col("goal", t)))
        value: exp.Expr = exp.Min(this=exp.Case(ifs=[exp.If(this=met, true=_col("n", t))]))
    else:
        at_n = exp.EQ(this=_col("n", t), expression=exp.Floor(this=_col("goal", t)))
        value = exp.Max(
            this=exp.Case(
                ifs=[exp.If(this=exp.and_(at_n, above.copy()), true=level)],
            )
        )
    picked = picked.select(exp.alias_(value, _ident("value")), copy=False).from_(terms_table)
    if keys:
        picked = picked.group_by(*[_col(name, t) for name, _ in keys])
    edged = _with_edges(call, keys, inputs_query=source, computed=picked, period=period_seconds)
    return _parenthesized(edged)  # type: ignore[return-value]


def _with_edges(
    call: ErlangCall,
    keys: Sequence[tuple[str, exp.Expr]],
    inputs_query: exp.Select,
    computed: exp.Select,
    period: exp.Expr,
) -> exp.Select:
    """The computed values with the edge cases of the contract: no calls, no aht, no agents."""
    source = inputs_query.copy()
    source.set("expressions", [])
    source.set("order", None)
    source.set("with_", None)
    calls, aht = _double(call.calls.copy()), _double(call.aht.copy())
    traffic = exp.Div(
        this=exp.Mul(this=calls.copy(), expression=aht.copy()),
        expression=_double(exp.Nullif(this=period.copy(), expression=_num(0))),
    )
    result = _col("value", "e")
    if call.function == ERLANG_AGENTS:
        value: exp.Expr = exp.Case(
            ifs=[
                exp.If(this=exp.EQ(this=calls.copy(), expression=_num(0)), true=_num(0)),
                exp.If(this=exp.Is(this=aht.copy(), expression=exp.Null()), true=exp.Null()),
                exp.If(this=exp.LTE(this=aht.copy(), expression=_num(0)), true=_num(0)),
            ],
            default=result,
        )
    else:
        agents = exp.Floor(this=_double(call.goal.copy()))  # whole agents answer calls
        value = exp.Case(
            ifs=[
                exp.If(this=exp.EQ(this=calls.copy(), expression=_num(0)), true=exp.Null()),
                exp.If(this=exp.LTE(this=aht.copy(), expression=_num(0)), true=exp.Null()),
                exp.If(this=exp.LTE(this=agents.copy(), expression=traffic), true=_num(0)),
                exp.If(
                    this=exp.GT(this=agents.copy(), expression=_num(MAX_AGENTS)),
                    true=exp.Null(),
                ),
            ],
            default=result,
        )
    for name, expr in keys:
        source = source.select(exp.alias_(expr.copy(), _ident(name)), copy=False)
    source = source.select(exp.alias_(value, _ident("value")), copy=False)
    joined = exp.Subquery(this=computed, alias=exp.TableAlias(this=_ident("e")))
    # a query without keys (no --grain, no --by) is one row: nothing to join on
    if not keys:
        return source.join(typed_join(joined, "CROSS"))
    condition = exp.and_(
        *[exp.NullSafeEQ(this=expr.copy(), expression=_col(name, "e")) for name, expr in keys]
    )
    return source.join(typed_join(joined, "LEFT"), on=condition)


def with_erlang(
    select: exp.Select, keys: Sequence[tuple[str, exp.Expr]], period_seconds: exp.Expr
) -> exp.Select:
    """The query with each erlang_c_*(...) of its select list computed in a CTE joined on the
    keys (`keys`: each key's name and its expression in `select`)."""
    found: dict[str, exp.Anonymous] = {}
    for output in select.expressions:
        for node in erlang_calls(output):
            found.setdefault(node.sql(dialect="duckdb"), node)
    if not found:
        return select
    names = {text: f"erlang__{i}" for i, text in enumerate(sorted(found), start=1)}
    ctes = []
    for text, node in sorted(found.items()):
        calls, aht, answer, goal = node.expressions
        call = ErlangCall(node.name.lower(), calls, aht, answer, goal)
        ctes.append((names[text], erlang_query(call, keys, period_seconds, select)))

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() in ERLANG_FUNCTIONS:
            return _col("value", names[node.sql(dialect="duckdb")])
        return node

    result = select.copy()
    result.set("expressions", [e.transform(swap) for e in result.expressions])
    for name, query in ctes:
        if keys:
            condition = exp.and_(
                *[
                    exp.NullSafeEQ(this=expr.copy(), expression=_col(key, name))
                    for key, expr in keys
                ]
            )
            result = result.join(typed_join(exp.Table(this=_ident(name)), "LEFT"), on=condition)
        else:
            result = result.join(typed_join(exp.Table(this=_ident(name)), "CROSS"))
        result = result.with_(_ident(name), as_=query)
    return result
