"""Values as managers read them: each Format, NULL, negatives, pp vs relative change, flags."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from metricflow_lite.report.formatting import (
    TargetFlag,
    change_tone,
    flag_of,
    format_change,
    format_period,
    format_target,
    format_value,
)
from metricflow_lite.spec.model import Change, Format, Grain, Target, default_change

VALUES = [
    (0.052, Format.PERCENT, "5.2%"),
    (0.0, Format.PERCENT, "0.0%"),
    (-0.0001, Format.PERCENT, "0.0%"),
    (1.0, Format.PERCENT, "100.0%"),
    (272, Format.DURATION, "4:32"),
    (59.6, Format.DURATION, "1:00"),
    (3725, Format.DURATION, "1:02:05"),
    (-90, Format.DURATION, "-1:30"),
    (12345, Format.INTEGER, "12,345"),
    (12345.6, Format.INTEGER, "12,346"),
    (-1234, Format.INTEGER, "-1,234"),
    (1234.567, Format.NUMBER, "1,234.57"),
    (-0.5, Format.NUMBER, "-0.50"),
    (1234.5, Format.CURRENCY, "¥1,234.50"),
    (-1234.5, Format.CURRENCY, "-¥1,234.50"),
    (None, Format.PERCENT, "-"),
    (None, Format.DURATION, "-"),
    (float("nan"), Format.INTEGER, "-"),
]


@pytest.mark.parametrize(
    ("value", "fmt", "text"), VALUES, ids=[f"{f.value}:{v}" for v, f, _ in VALUES]
)
def test_format_value(value: float | None, fmt: Format, text: str) -> None:
    assert format_value(value, fmt) == text


# The views compute the change (tests/test_sqlgen.py: one rule, in SQL); here it is shown.
CHANGES = [
    # abandonment 5 % -> 7 % is +2 pp, not +40 % (DOMAIN.md §5)
    (0.07 - 0.05, Format.PERCENT, "+2.0 pp"),
    (0.05 - 0.07, Format.PERCENT, "-2.0 pp"),
    (0.02 - 0.0, Format.PERCENT, "+2.0 pp"),  # a rate from 0 % still has a point difference
    # offered 1000 -> 1125 is +12.5 %
    ((1125 - 1000) / 1000, Format.INTEGER, "+12.5%"),
    ((900 - 1000) / 1000, Format.INTEGER, "-10.0%"),
    ((272 - 280) / 280, Format.DURATION, "-2.9%"),
    (0.0, Format.CURRENCY, "0.0%"),
    (None, Format.INTEGER, "-"),  # from 0, or without a previous value
    (None, Format.PERCENT, "-"),
]


@pytest.mark.parametrize(
    ("change", "fmt", "text"), CHANGES, ids=[f"{f.value}:{c}" for c, f, _ in CHANGES]
)
def test_change_is_points_for_rates_and_relative_otherwise(
    change: float | None, fmt: Format, text: str
) -> None:
    kind = default_change(fmt)
    assert format_change(change, fmt, kind) == text


POINT_CHANGES = [
    # NPS -5 -> 5 is +10 points; as a relative change it would read -200 %
    (5 - -5, Format.NUMBER, "+10.00"),
    (-5 - 5, Format.NUMBER, "-10.00"),
    (12 - 12, Format.NUMBER, "0.00"),
    (272 - 280, Format.DURATION, "-0:08"),
    (3725 - 0, Format.DURATION, "+1:02:05"),
    (1300 - 1000, Format.INTEGER, "+300"),
    (0.07 - 0.05, Format.PERCENT, "+2.0 pp"),
    (None, Format.NUMBER, "-"),
]


@pytest.mark.parametrize(("change", "fmt", "text"), POINT_CHANGES)
def test_change_in_points_is_a_signed_value_in_the_metrics_format(
    change: float | None, fmt: Format, text: str
) -> None:
    assert format_change(change, fmt, Change.POINTS) == text


@pytest.mark.parametrize(
    ("target", "met", "flag"),
    [
        (Target(max=0.05), True, TargetFlag.MET),
        (Target(max=0.05), False, TargetFlag.MISSED),
        (Target(max=0.05), None, TargetFlag.NO_DATA),
        (None, None, TargetFlag.NO_TARGET),
        (None, True, TargetFlag.NO_TARGET),
    ],
    ids=["met", "missed", "no-data", "no-target", "no-target-with-value"],
)
def test_target_flag(target: Target | None, met: bool | None, flag: TargetFlag) -> None:
    assert flag_of(target, met) is flag


@pytest.mark.parametrize(
    ("target", "fmt", "text"),
    [
        (Target(max=0.05), Format.PERCENT, "≤ 5.0%"),
        (Target(min=0.8), Format.PERCENT, "≥ 80.0%"),
        (Target(min=0.8, max=0.95), Format.PERCENT, "80.0% ~ 95.0%"),
        (Target(max=300), Format.DURATION, "≤ 5:00"),
        (None, Format.INTEGER, ""),
    ],
    ids=["max", "min", "band", "duration", "none"],
)
def test_format_target(target: Target | None, fmt: Format, text: str) -> None:
    assert format_target(target, fmt) == text


@pytest.mark.parametrize(
    ("change", "target", "tone"),
    [
        (0.02, Target(max=0.05), "bad"),  # abandonment up: bad
        (-0.02, Target(max=0.05), "good"),
        (0.02, Target(min=0.8), "good"),  # service level up: good
        (0.02, None, "neutral"),
        (0.02, Target(min=0.8, max=0.95), "neutral"),
        (None, Target(max=0.05), "neutral"),
        (-1.7626716525423175e-16, Target(min=0.8), "neutral"),  # equal sums, added apart
        (0.0, Target(max=0.05), "neutral"),
    ],
    ids=["max-up", "max-down", "min-up", "no-target", "band", "null", "float-noise", "zero"],
)
def test_change_tone_follows_the_target_direction(
    change: float | None, target: Target | None, tone: str
) -> None:
    assert change_tone(change, target) == tone


@pytest.mark.parametrize(
    ("value", "grain", "text"),
    [
        (date(2026, 11, 16), Grain.DAY, "2026-11-16"),
        (date(2026, 11, 16), Grain.WEEK, "2026-11-16 ~ 11-22"),
        (date(2026, 12, 28), Grain.WEEK, "2026-12-28 ~ 01-03"),
        (date(2026, 11, 1), Grain.MONTH, "2026-11"),
        (date(2026, 10, 1), Grain.QUARTER, "2026 Q4"),
        (datetime(2026, 11, 16, 9, 30), Grain.MIN30, "2026-11-16 09:30"),
        (None, Grain.DAY, "-"),
    ],
    ids=["day", "week", "week-over-new-year", "month", "quarter", "30min", "null"],
)
def test_format_period(value: date | None, grain: Grain, text: str) -> None:
    assert format_period(value, grain) == text


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_grain_has_a_name_in_every_locale(locale: str) -> None:
    """A 15min report once had no grain word (KeyError while rendering): each grain, each locale."""
    from metricflow_lite.report.words import grain_word

    names = [grain_word(locale, grain) for grain in Grain]
    assert all(names) and len(set(names)) == len(names)
    if locale == "zh-CN":
        assert grain_word(locale, Grain.MIN15) == "15分钟"


@pytest.mark.parametrize(
    ("change", "direction"),
    [(0.02, "up"), (-0.02, "down"), (0.0, "flat"), (-1.76e-16, "flat"), (None, "flat")],
)
def test_a_change_of_float_noise_has_no_direction(change: float | None, direction: str) -> None:
    """A change shown as 0.0% gets the flat arrow, not a red one for -1.8e-16."""
    from metricflow_lite.report.formatting import change_direction

    assert change_direction(change) == direction
