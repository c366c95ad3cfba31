"""Business hours in SQL: the calendar table a build writes, and business_seconds(A, B[, name]).

`src._calendar_<name>` has one row per local date from 2000 to 2049: the ISO weekday whose
hours the date has (0 on a holiday), its open ranges as seconds from 2000-01-01 00:00
(`open_1`, `close_1`, ... as many pairs as the calendar's busiest weekday; an unused pair is
empty) and `open_before`, the open seconds of all earlier dates. With F(t) = open_before(date
of t) + the open seconds of t's date before t, the business seconds of [A, B) are F(B) - F(A):
two equality joins on a date per call, whatever the length of [A, B), and the same arithmetic
on every engine. The rows carry each end as seconds from 2000-01-01 (one date_diff per end and
row, in a subquery), so the arithmetic reads a column instead of recomputing it.

An end that is a plain column of the model costs no join per query: the model's source table
carries F(end) as a column of its own (`_<join alias>_open`), computed once per build by the
calendar joins (with_stored_ends), and business_seconds() reads it. Only an end written as an
expression joins the calendar in each query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.compile.joins import typed_join
from metricflow_lite.compile.names import (
    CALENDAR_SCHEMA,
    calendar_open_until,
    calendar_seconds,
    calendar_table,
)
from metricflow_lite.spec.calendar import (
    BUSINESS_SECONDS,
    Calendar,
    business_calls,
    calendar_name,
    find_calendar,
)

# The dates a calendar table covers: a business_seconds() end outside them is NULL. A small
# table keeps the two hash joins per call in cache (1970-2099 made them twice as slow).
CALENDAR_FIRST_DAY = dt.date(2000, 1, 1)
CALENDAR_LAST_DAY = dt.date(2049, 12, 31)
# the alias of a source model's own rows inside with_stored_ends
ROW_ALIAS = "_mfl_rows"


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_ident(name), table=_ident(table) if table else None)


def _date(day: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def _int(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _by_weekday(weekday: exp.Expr, values: list[int]) -> exp.Expr:
    """CASE weekday WHEN 1 THEN values[0] ... END, 0 for a holiday (weekday 0)."""
    ifs = [
        exp.If(this=exp.EQ(this=weekday.copy(), expression=_int(i)), true=_int(v))
        for i, v in enumerate(values, start=1)
        if v
    ]
    if not ifs:
        return _int(0)
    return exp.Case(ifs=ifs, default=_int(0))


def calendar_table_query(calendar: Calendar) -> exp.Select:
    """CREATE TABLE ind._calendar_<name> AS this: one row per local date, 2000..2049, its open
    ranges as seconds from 2000-01-01 00:00."""
    first, last = CALENDAR_FIRST_DAY, CALENDAR_LAST_DAY
    if calendar.known is not None:
        # a year `cn` does not know has no row, so its business seconds are NULL: counting
        # 2027-01-01 open because the installed chinese-calendar stops at 2026 is a wrong number
        first, last = max(first, calendar.known[0]), min(last, calendar.known[1])
    series = exp.Explode(
        this=exp.GenerateSeries(
            start=_date(first),
            end=_date(last),
            step=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY")),
        )
    )
    days = exp.select(exp.alias_(exp.cast(series, exp.DataType.Type.DATE), _ident("day")))
    day = _col("day")
    weekday: exp.Expr = exp.Extract(this=exp.var("ISODOW"), expression=day.copy())
    exceptions: list[exp.If] = []
    if calendar.holidays:
        closed = exp.In(this=day.copy(), expressions=[_date(d) for d in calendar.holidays])
        exceptions.append(exp.If(this=closed, true=_int(0)))
    for number in range(1, 8):
        dates = [d for d, w in calendar.workdays if w == number]
        if dates:
            made_up = exp.In(this=day.copy(), expressions=[_date(d) for d in dates])
            exceptions.append(exp.If(this=made_up, true=_int(number)))
    if exceptions:  # holidays and make-up days are disjoint (spec/calendar.py)
        weekday = exp.Case(ifs=exceptions, default=weekday)
    typed = exp.select(day.copy(), exp.alias_(weekday, _ident("weekday"))).from_(
        exp.Subquery(this=days, alias=exp.TableAlias(this=_ident("days")))
    )
    ranged = exp.select(_col("day"), _col("weekday"))
    weekday_column = _col("weekday")
    open_seconds = [sum(end - start for start, end in ranges) for ranges in calendar.hours]
    for k in range(calendar.ranges_per_day):
        opens = [r[k][0] if k < len(r) else 0 for r in calendar.hours]
        closes = [r[k][1] if k < len(r) else 0 for r in calendar.hours]
        ranged = ranged.select(
            exp.alias_(_by_weekday(weekday_column, opens), _ident(f"open_{k + 1}")),
            exp.alias_(_by_weekday(weekday_column, closes), _ident(f"close_{k + 1}")),
            copy=False,
        )
    ranged = ranged.select(
        exp.alias_(_by_weekday(weekday_column, open_seconds), _ident("open_seconds")), copy=False
    ).from_(exp.Subquery(this=typed, alias=exp.TableAlias(this=_ident("typed"))))
    earlier = exp.Window(
        this=exp.Sum(this=_col("open_seconds")),
        order=exp.Order(expressions=[exp.Ordered(this=_col("day"))]),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="1", end_side="PRECEDING"
        ),
    )
    before = exp.cast(exp.Coalesce(this=earlier, expressions=[_int(0)]), exp.DataType.Type.BIGINT)
    select = exp.select(_col("day"), _col("weekday"), exp.alias_(before, _ident("open_before")))
    day_start = since_epoch(exp.cast(_col("day"), exp.DataType.Type.TIMESTAMP))
    for k in range(calendar.ranges_per_day):
        for end in (f"open_{k + 1}", f"close_{k + 1}"):
            absolute = exp.Add(this=day_start.copy(), expression=_col(end))
            select = select.select(exp.alias_(absolute, _ident(end)), copy=False)
    select = select.select(_col("open_seconds"), copy=False)
    return select.from_(exp.Subquery(this=ranged, alias=exp.TableAlias(this=_ident("ranged"))))


@dataclass(frozen=True, slots=True)
class CalendarJoin:
    """A LEFT JOIN of a calendar table on the local date of one end of a business interval."""

    alias: str
    calendar: Calendar
    at: exp.Expr  # the timestamp whose date the row is joined on

    @property
    def stored(self) -> bool:
        """True when the end is a plain column of the rows: the source table carries F(end)."""
        return is_stored_end(self.at)

    @property
    def open_until_column(self) -> str:
        """The source table's column with F(at), when `stored`."""
        return calendar_open_until(self.alias)

    @property
    def seconds_column(self) -> str:
        """The row's column with `at` as seconds from the calendar's first day."""
        return calendar_seconds(self.alias)

    def seconds(self) -> exp.Expr:
        """`at` as seconds from the calendar's first day (the value of seconds_column)."""
        return since_epoch(self.at)

    def table(self) -> exp.Table:
        """The calendar's table under this join's alias."""
        return exp.Table(
            this=_ident(calendar_table(self.calendar.name)),
            db=_ident(CALENDAR_SCHEMA),
            alias=exp.TableAlias(this=_ident(self.alias)),
        )

    def join_on(self, at: exp.Expr) -> exp.Expr:
        """The calendar's row of the date of `at` (the end as the joining query names it)."""
        return exp.EQ(this=_col("day", self.alias), expression=exp.cast(at, exp.DataType.Type.DATE))


def _join_for(call: exp.Anonymous, end: exp.Expr, calendars: tuple[Calendar, ...]) -> CalendarJoin:
    calendar = find_calendar(calendars, calendar_name(call), None)
    key = f"{calendar.name}|{end.sql(dialect='duckdb')}".encode()
    digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()[:10]
    return CalendarJoin(f"cal_{calendar.name}_{digest}", calendar, end.copy())


def calendar_joins(
    trees: Iterable[exp.Expr | None], calendars: tuple[Calendar, ...]
) -> list[CalendarJoin]:
    """The calendar joins the business_seconds calls in these row expressions need, once each,
    sorted by alias (deterministic SQL)."""
    found: dict[str, CalendarJoin] = {}
    for tree in trees:
        if tree is None:
            continue
        for call in business_calls(tree):
            for end in call.expressions[:2]:
                join = _join_for(call, end, calendars)
                found.setdefault(join.alias, join)
    return [found[alias] for alias in sorted(found)]


def since_epoch(at: exp.Expr) -> exp.Expr:
    """Seconds from the calendar's first day to a timestamp: one date_diff from a constant,
    the cheapest way on every engine to place a time among the day's open ranges."""
    epoch = exp.cast(
        exp.Literal.string(f"{CALENDAR_FIRST_DAY.isoformat()} 00:00:00"),
        exp.DataType.Type.TIMESTAMP,
    )
    return exp.DateDiff(
        this=at.copy(), expression=epoch, unit=exp.var("SECOND"), date_part_boundary=True
    )


def is_stored_end(end: exp.Expr) -> bool:
    """A business_seconds() end its model's source table carries F() of: a plain column (of
    the model's rows; an expression may read the clock or other tables, so it is computed per
    query)."""
    return isinstance(end, exp.Column) and not end.table and isinstance(end.this, exp.Identifier)


def stored_joins(
    trees: Iterable[exp.Expr | None], calendars: tuple[Calendar, ...]
) -> list[CalendarJoin]:
    """The calendar joins of the plain-column ends of the business_seconds() calls in a model's
    metrics: what its source table carries, sorted by alias."""
    return [j for j in calendar_joins(trees, calendars) if j.stored]


def with_stored_ends(query: exp.Query, joins: Iterable[CalendarJoin]) -> exp.Query:
    """SELECT m.*, F(end) AS _<alias>_open, ... FROM (query) AS m LEFT JOIN src._calendar_<name>
    per end on its date: a source model's query with its business_seconds() ends' open seconds
    (the model's own CTEs stay at the top, where every engine takes them)."""
    joins = list(joins)
    if not joins:
        return query
    inner = query.copy()
    ctes = inner.args.get("with_")
    if ctes is not None:
        inner.set("with_", None)
    frame = exp.select(exp.Column(this=exp.Star(), table=_ident(ROW_ALIAS))).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=_ident(ROW_ALIAS)))
    )
    for join in joins:
        at = _row_column(join)
        frame = frame.select(
            exp.alias_(_open_until(join, since_epoch(at)), _ident(join.open_until_column)),
            copy=False,
        )
    for join in joins:
        frame = frame.join(
            typed_join(join.table(), "LEFT"), on=join.join_on(_row_column(join)), copy=False
        )
    if ctes is not None:
        frame.set("with_", ctes)
    return frame


def _row_column(join: CalendarJoin) -> exp.Column:
    """A carried end as a column of the model's rows, spelled as the metric spells it (a quoted
    name stays quoted, an unquoted one follows the engine's case rules)."""
    return exp.Column(this=join.at.this.copy(), table=_ident(ROW_ALIAS))


def _open_until(join: CalendarJoin, at: exp.Expr | None = None) -> exp.Expr:
    """F(t): the calendar's open seconds from its first day to t (open_k and close_k are
    seconds from that day too): the day's earlier open seconds, plus per range all of it when
    t is past its close, the part up to t when t is inside, else nothing (a CASE is cheaper
    than GREATEST and LEAST here on DuckDB). In a query t's seconds are a column the rows
    carry (computed once per row by the JoinCalendars node: written out here they were
    computed once per use, which cost as much as the two joins); a source table's build, which
    runs once, passes them as `at`."""
    at = _col(join.seconds_column) if at is None else at
    total: exp.Expr = _col("open_before", join.alias)
    for k in range(1, join.calendar.ranges_per_day + 1):
        start, end = _col(f"open_{k}", join.alias), _col(f"close_{k}", join.alias)
        inside = exp.Case(
            ifs=[
                exp.If(
                    this=exp.GTE(this=at.copy(), expression=end.copy()),
                    true=exp.Paren(this=exp.Sub(this=end.copy(), expression=start.copy())),
                ),
                exp.If(
                    this=exp.GT(this=at.copy(), expression=start.copy()),
                    true=exp.Paren(this=exp.Sub(this=at.copy(), expression=start.copy())),
                ),
            ],
            default=_int(0),
        )
        total = exp.Add(this=total, expression=inside)
    return exp.Paren(this=total)


def _open_until_read(join: CalendarJoin) -> exp.Expr:
    """F(end) as a query reads it: the source table's column for a plain-column end, else the
    arithmetic over the calendar joined in the query."""
    return _col(join.open_until_column) if join.stored else _open_until(join)


def expand_business_seconds(tree: exp.Expr, calendars: tuple[Calendar, ...]) -> exp.Expr:
    """A copy with each business_seconds(A, B[, name]) as arithmetic over its calendar joins:
    NULL when A or B is NULL, 0 when B <= A, else F(B) - F(A)."""

    def swap(node: exp.Expr) -> exp.Expr:
        if not (isinstance(node, exp.Anonymous) and node.name.lower() == BUSINESS_SECONDS):
            return node
        start, end = node.expressions[0], node.expressions[1]
        seconds = exp.Sub(
            this=_open_until_read(_join_for(node, end, calendars)),
            expression=_open_until_read(_join_for(node, start, calendars)),
        )
        return exp.Case(
            ifs=[
                exp.If(this=exp.GT(this=end.copy(), expression=start.copy()), true=seconds),
                exp.If(this=exp.LTE(this=end.copy(), expression=start.copy()), true=_int(0)),
            ]
        )

    return tree.copy().transform(swap)
