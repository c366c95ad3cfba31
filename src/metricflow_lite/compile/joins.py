"""Joins built as trees.

sqlglot's `Select.join(..., join_type="LEFT")` parses the text "FROM _ LEFT JOIN _" on every
call; planning the demo's report views made some 280 such joins, a fifth of the build's plan.
A Join node that carries its side or kind is appended as it is.
"""

from __future__ import annotations

from sqlglot import exp

# how each join type is spelled on a Join node (the parse of "<type> JOIN" gives the same)
JOIN_TYPES = {"LEFT": ("side", "LEFT"), "CROSS": ("kind", "CROSS"), "INNER": ("kind", "INNER")}


def typed_join(table: exp.Expr, join_type: str) -> exp.Join:
    """`table` as the right side of a join of that type (LEFT, CROSS or INNER)."""
    arg, value = JOIN_TYPES[join_type]
    return exp.Join(this=table, **{arg: value})
