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


# What a Chinese-speaking lead writes for a grain (the reports' own words among them): each
# gets "did you mean" the grain's name where a grain is written (`grains:`, `--grain`).
GRAIN_WORDS: dict[str, Grain] = {
    "15分钟": Grain.MIN15,
    "一刻钟": Grain.MIN15,
    "30分钟": Grain.MIN30,
    "半小时": Grain.MIN30,
    "小时": Grain.HOUR,
    "时": Grain.HOUR,
    "日": Grain.DAY,
    "天": Grain.DAY,
    "每日": Grain.DAY,
    "日报": Grain.DAY,
    "周": Grain.WEEK,
    "星期": Grain.WEEK,
    "每周": Grain.WEEK,
    "周报": Grain.WEEK,
    "月": Grain.MONTH,
    "每月": Grain.MONTH,
    "月报": Grain.MONTH,
    "季": Grain.QUARTER,
    "季度": Grain.QUARTER,
    "年": Grain.YEAR,
    "年度": Grain.YEAR,
    "每年": Grain.YEAR,
}


def grain_hint(text: str) -> str | None:
    """'did you mean' a grain for a word that names it (月 -> month), else None."""
    found = GRAIN_WORDS.get(text.strip())
    if found is None:
        return None
    return f"'{text.strip()}' is the grain {found.value}: did you mean '{found.value}'?"
