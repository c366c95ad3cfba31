"""Values as managers read them: formats, changes (pp for rates, relative for counts), flags.

DOMAIN.md §5: the change of a rate is its percentage-point difference (abandonment 5 % -> 7 %
is +2 pp, not +40 %); the change of anything else is relative ((cur - prev) / prev), unless the
metric says `change: points` (a score such as NPS: -5 -> 5 is +10, not -200 %).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import Enum
from typing import NoReturn

from wcwidth import wcswidth

from metricflow_lite.spec.model import Change, Format, Grain, Target

NULL_TEXT = "-"
MISSED_MARK = "✗"  # U+2717 is narrow in every terminal (▼ is East Asian "ambiguous")

Cell = date | str | int | float | bool | None


def assert_never(value: NoReturn) -> NoReturn:
    """Exhaustive Enum matches (typing.assert_never is 3.11+; we support 3.10)."""
    raise AssertionError(f"unhandled value: {value!r}")


class TargetFlag(str, Enum):
    """How a value stands against its metric's target."""

    MET = "met"
    MISSED = "missed"
    NO_DATA = "no data"
    NO_TARGET = "no target"

    @property
    def label(self) -> str:
        """The flag in the managers' words (Chinese)."""
        match self:
            case TargetFlag.MET:
                return "达标"
            case TargetFlag.MISSED:
                return "未达标"
            case TargetFlag.NO_DATA:
                return "无数据"
            case TargetFlag.NO_TARGET:
                return "无目标"
            case _:
                assert_never(self)


def as_number(value: Cell) -> float | None:
    """A cell as a float; None for NULL, NaN, booleans and text."""
    if value is None or isinstance(value, bool | str | date):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def format_value(value: Cell, fmt: Format) -> str:
    """A metric value as text: `5.2%`, `4:32`, `12,345`, `1,234.57`, `¥1,234.50`; NULL -> `-`."""
    number = as_number(value)
    if number is None:
        return NULL_TEXT
    match fmt:
        case Format.PERCENT:
            return _signless(f"{number * 100:.1f}") + "%"
        case Format.DURATION:
            return format_duration(number)
        case Format.INTEGER:
            return _signless(f"{number:,.0f}")
        case Format.NUMBER:
            return _signless(f"{number:,.2f}")
        case Format.CURRENCY:
            text = _signless(f"{abs(number):,.2f}")
            return f"-¥{text}" if number < 0 and text.strip("0.,") else f"¥{text}"
        case _:
            assert_never(fmt)


def format_duration(seconds: float) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour on; negative with a leading `-`."""
    total = round(abs(seconds))
    sign = "-" if seconds < 0 and total else ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def format_change(change: Cell, fmt: Format, kind: Change) -> str:
    """A change as text: `+2.0 pp` for a rate's points, `+12.5%` for a relative change, and a
    signed value in the metric's own format for other points (`+10.00` NPS, `+0:12` AHT)."""
    number = as_number(change)
    if number is None:
        return NULL_TEXT
    if kind is Change.POINTS and fmt is not Format.PERCENT:
        text = format_value(abs(number), fmt)
        return text if text.strip("0.,:¥") == "" else ("-" if number < 0 else "+") + text
    text = f"{number * 100:+.1f}"
    if text in ("+0.0", "-0.0"):
        text = "0.0"
    return f"{text} pp" if kind is Change.POINTS else f"{text}%"


def flag_of(target: Target | None, met: Cell) -> TargetFlag:
    """The flag of a `<metric>_target_met` cell: met, missed, no data, or no target."""
    if target is None:
        return TargetFlag.NO_TARGET
    if met is None:
        return TargetFlag.NO_DATA
    return TargetFlag.MET if bool(met) else TargetFlag.MISSED


def format_target(target: Target | None, fmt: Format) -> str:
    """A target as text: `≤ 5.0%`, `≥ 80.0%`, `80.0% ~ 95.0%`; empty when there is none."""
    if target is None:
        return ""
    low = None if target.min is None else format_value(target.min, fmt)
    high = None if target.max is None else format_value(target.max, fmt)
    if low is not None and high is not None:
        return f"{low} ~ {high}"
    if high is not None:
        return f"≤ {high}"
    if low is not None:
        return f"≥ {low}"
    return ""


def change_tone(change: Cell, target: Target | None) -> str:
    """Whether a change is `good`, `bad` or `neutral` news given the target's direction."""
    number = as_number(change)
    if number is None or number == 0 or target is None:
        return "neutral"
    lower_is_better = target.max is not None and target.min is None
    higher_is_better = target.min is not None and target.max is None
    if not (lower_is_better or higher_is_better):
        return "neutral"
    return "good" if (number > 0) == higher_is_better else "bad"


def format_period(value: Cell, grain: Grain) -> str:
    """A period start as text for its grain: `2026-11-16`, `2026-11-16 ~ 11-22`, `2026-11`."""
    if not isinstance(value, date):
        return NULL_TEXT if value is None else str(value)
    match grain:
        case Grain.MIN15 | Grain.MIN30 | Grain.HOUR:
            if isinstance(value, datetime):
                return value.strftime("%Y-%m-%d %H:%M")
            return value.isoformat()
        case Grain.DAY:
            return value.isoformat()[:10]
        case Grain.WEEK:
            end = date.fromordinal(value.toordinal() + 6)
            return f"{value.isoformat()[:10]} ~ {end:%m-%d}"
        case Grain.MONTH:
            return f"{value:%Y-%m}"
        case Grain.QUARTER:
            return f"{value.year} Q{(value.month - 1) // 3 + 1}"
        case Grain.YEAR:
            return f"{value.year}"
        case _:
            assert_never(grain)


def format_cell(value: Cell) -> str:
    """A dimension value as text; NULL -> `-`."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _signless(text: str) -> str:
    """`-0.0` as `0.0`: a value that rounds to zero carries no sign."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def display_width(text: str) -> int:
    """Terminal cells the text takes (CJK two, combining marks zero)."""
    width = wcswidth(text)
    return len(text) if width < 0 else int(width)
