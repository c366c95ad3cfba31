"""Values as managers read them: formats, changes (pp for rates, relative for counts), flags.

DOMAIN.md §5: the change of a rate is its percentage-point difference (abandonment 5 % -> 7 %
is +2 pp, not +40 %); the change of anything else is relative ((cur - prev) / prev), unless the
metric says `change: points` (a score such as NPS: -5 -> 5 is +10, not -200 %).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from metricflow_lite.spec.model import Change, Format, Grain, Target
from metricflow_lite.text import NULL_TEXT as NULL_TEXT
from metricflow_lite.text import Cell as Cell
from metricflow_lite.text import as_number as as_number
from metricflow_lite.text import assert_never as assert_never
from metricflow_lite.text import display_width as display_width
from metricflow_lite.text import format_duration as format_duration
from metricflow_lite.text import format_value as format_value

MISSED_MARK = "✗"  # U+2717 is narrow in every terminal (▼ is East Asian "ambiguous")


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


# a change between two values equal but for a double's last digits (sums of the same rows
# added in another order) is 0 or 1e-16: shown as 0.0%, it is no news, good or bad
CHANGE_NOISE = 1e-9


def change_direction(change: Cell) -> str:
    """`up`, `down` or `flat` (no change, float noise, or none to tell) for a change's arrow."""
    number = as_number(change)
    if number is None or abs(number) < CHANGE_NOISE:
        return "flat"
    return "up" if number > 0 else "down"


def change_tone(change: Cell, target: Target | None) -> str:
    """Whether a change is `good`, `bad` or `neutral` news given the target's direction."""
    direction = change_direction(change)
    if direction == "flat" or target is None:
        return "neutral"
    lower_is_better = target.max is not None and target.min is None
    higher_is_better = target.min is not None and target.max is None
    if not (lower_is_better or higher_is_better):
        return "neutral"
    return "good" if (direction == "up") == higher_is_better else "bad"


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
