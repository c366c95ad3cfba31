"""The spec's enumerations that reading rows needs: a metric's Format and Change, a Grain.

They import nothing but the standard library, so the CLI's fast path (jobs/fastpath.py) can
format values and mark periods without loading the compiler; spec/model.py re-exports them.
"""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    NUMBER = "number"
    INTEGER = "integer"
    PERCENT = "percent"
    DURATION = "duration"
    CURRENCY = "currency"


class Change(str, Enum):
    """How the change of a metric between two periods is computed and shown (DOMAIN.md §5)."""

    POINTS = "points"  # cur - prev: rates (in percentage points) and scores such as NPS
    RELATIVE = "relative"  # (cur - prev) / |prev|: volumes, durations, money


class Grain(str, Enum):
    MIN15 = "15min"
    MIN30 = "30min"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def intraday(self) -> bool:
        return self in (Grain.MIN15, Grain.MIN30, Grain.HOUR)

    def covers(self, finer: Grain) -> bool:
        """True when periods of this grain are unions of periods of `finer`."""
        order = list(Grain)
        if self is finer:
            return True
        if self is Grain.WEEK:
            return finer in (Grain.MIN15, Grain.MIN30, Grain.HOUR, Grain.DAY)
        if finer is Grain.WEEK:
            return False
        return order.index(self) > order.index(finer)
