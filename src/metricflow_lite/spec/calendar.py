"""Business calendars from `calendars:` in metricflow_lite.yml: open hours per weekday, holidays
and make-up working days (调休), in the project's local time.

```yaml
calendars:
  service_hours:
    hours:
      mon-fri: ["09:00-12:00", "13:00-18:00"]
      sat: "10:00-16:00"              # a weekday not listed is closed
    holidays: [cn, 2024-12-24]        # China's official holidays and make-up days, and a date
    workdays: {2024-10-12: mon}       # a make-up working day with that weekday's hours
```
`cn` comes from the `chinese-calendar` package: its holidays are closed and its make-up days
have Monday's hours. A date written in the project wins over `cn`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from metricflow_lite.errors import Diagnostic, Location, MflError, Severity, did_you_mean
from metricflow_lite.spec.loader import YMap, YSeq

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO order: mon = 1
CALENDAR_KEYS = ("hours", "holidays", "workdays")
HOLIDAY_SETS = ("cn",)
DEFAULT_CALENDAR = "default"
BUSINESS_SECONDS = "business_seconds"
DAY_SECONDS = 86_400
RANGE_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Ranges = tuple[tuple[int, int], ...]  # (open, close) in seconds after local midnight, sorted


@dataclass(frozen=True, slots=True)
class Calendar:
    """Open hours by ISO weekday, closed dates and make-up working days of one calendar."""

    name: str
    hours: tuple[Ranges, ...]  # seven entries, Monday first
    holidays: tuple[dt.date, ...] = ()  # sorted
    workdays: tuple[tuple[dt.date, int], ...] = ()  # (date, ISO weekday whose hours it has)
    loc: Location | None = None
    # the first and last date its holiday sets know (cn: the years of the installed
    # chinese-calendar); None: every date. Outside them a date's hours are not known.
    known: tuple[dt.date, dt.date] | None = None

    def weekday_of(self, day: dt.date) -> int | None:
        """The ISO weekday whose hours a date has; None when the date is a holiday."""
        for date, weekday in self.workdays:
            if date == day:
                return weekday
        if day in self.holidays:
            return None
        return day.isoweekday()

    def ranges_on(self, day: dt.date) -> Ranges:
        """The open ranges of a local date."""
        weekday = self.weekday_of(day)
        return () if weekday is None else self.hours[weekday - 1]

    @property
    def ranges_per_day(self) -> int:
        """The most open ranges any weekday has (at least 1: the calendar table's width)."""
        return max([1, *(len(r) for r in self.hours)])


def _error(code: str, message: str, loc: Location | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, loc, hint, Severity.ERROR)


def read_calendars(raw: Any, loc: Location) -> tuple[Calendar, ...]:
    """The calendars of `calendars:`; MflError listing every problem found."""
    if raw is None:
        return ()
    problems: list[Diagnostic] = []
    if not isinstance(raw, YMap):
        raise MflError(
            "E040",
            "calendars must be a mapping of calendar names to settings",
            loc,
            "for example: calendars: {service_hours: {hours: {mon-fri: '09:00-18:00'}}}",
        )
    calendars = []
    folded: dict[str, str] = {}  # lower-case name -> the name first written so
    for name, body in raw.items():
        where = raw.key_loc(name)
        if not name.isidentifier() or not name.isascii():
            problems.append(
                _error(
                    "E040",
                    f"calendar name '{name}' must be letters, digits and underscores, not"
                    " starting with a digit",
                    where,
                    "business_seconds(a, b, 'name') names the calendar",
                )
            )
            continue
        if (other := folded.setdefault(name.lower(), name)) != name:
            # each calendar is a table src._calendar_<name>, and engines fold the case of
            # table names: the two would be one table
            problems.append(
                _error(
                    "E040",
                    f"calendar names '{other}' and '{name}' differ only in case",
                    where,
                    "rename one of them: engines take both for the same table",
                )
            )
            continue
        calendar = _read_calendar(name, body, raw.value_loc(name), problems)
        if calendar is not None:
            calendars.append(calendar)
    if problems:
        raise MflError.from_diagnostics(problems)
    return tuple(calendars)


def _read_calendar(
    name: str, body: Any, loc: Location, problems: list[Diagnostic]
) -> Calendar | None:
    if not isinstance(body, YMap):
        problems.append(
            _error(
                "E040",
                f"calendar '{name}' must be a mapping with hours, holidays and workdays",
                loc,
                "for example: {hours: {mon-fri: '09:00-18:00'}, holidays: [cn]}",
            )
        )
        return None
    for key in body:
        if key not in CALENDAR_KEYS:
            problems.append(
                _error(
                    "E040",
                    f"unknown key '{key}' in calendar '{name}'",
                    body.key_loc(key),
                    did_you_mean(key, CALENDAR_KEYS) or f"keys: {', '.join(CALENDAR_KEYS)}",
                )
            )
    before = len(problems)
    hours = _read_hours(name, body, problems)
    holidays, cn_workdays, known = _read_holidays(name, body, problems)
    workdays = _read_workdays(name, body, problems)
    written = {d for d, from_set in holidays.items() if not from_set}
    days_written = body.get("workdays")
    for day in sorted(written & set(workdays)):
        problems.append(
            _error(
                "E046",
                f"{day} is both a holiday and a workday of calendar '{name}'",
                _workday_loc(days_written, day) or body.value_loc("workdays"),
                "remove it from one of the two lists",
            )
        )
    if len(problems) > before:
        return None
    # A date the project writes wins over the `cn` set: a cn make-up day the project lists as a
    # holiday is closed, a cn holiday listed under workdays is open.
    made_up = {d: 1 for d in cn_workdays if d not in written}
    made_up.update(workdays)
    closed = {d for d in holidays if d not in made_up}
    return Calendar(
        name=name,
        hours=hours,
        holidays=tuple(sorted(closed)),
        workdays=tuple(sorted(made_up.items())),
        loc=loc,
        known=known,
    )


def _weekdays(key: str) -> tuple[int, ...] | None:
    """ISO weekdays of 'mon-fri', 'sat', 'sat,sun'; None when a part is not a weekday."""
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            return None
        first, last = WEEKDAYS.index(ends[0]) + 1, WEEKDAYS.index(ends[-1]) + 1
        if last < first:
            return None
        days.extend(range(first, last + 1))
    return tuple(days)


def _weekdays_hint(key: str) -> str:
    """What to write instead of a weekday key _weekdays() refuses: the misspelt day, or a
    range that wraps past Sunday split in two."""
    for part in key.lower().replace(" ", "").split(","):
        ends = part.split("-")
        for end in ends:
            if end not in WEEKDAYS:
                close = difflib.get_close_matches(end, WEEKDAYS, n=1, cutoff=0.6)
                if close:
                    return f"did you mean '{key.lower().replace(end, close[0], 1)}'?"
                return (
                    "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or"
                    " a list such as sat,sun"
                )
        if len(ends) == 2 and WEEKDAYS.index(ends[1]) < WEEKDAYS.index(ends[0]):
            # ranges run Monday to Sunday, so fri-mon has to be written as two
            before, after = _day_range(ends[0], "sun"), _day_range("mon", ends[1])
            return f"a range runs from Monday to Sunday: write '{before},{after}'"
    return "write one range of weekdays per part, such as mon-fri or sat,sun"


def _day_range(first: str, last: str) -> str:
    return first if first == last else f"{first}-{last}"


def _read_hours(name: str, body: YMap, problems: list[Diagnostic]) -> tuple[Ranges, ...]:
    raw = body.get("hours")
    by_day: list[list[tuple[int, int, Location]]] = [[] for _ in WEEKDAYS]
    if raw is None:
        problems.append(
            _error(
                "E040",
                f"calendar '{name}' has no 'hours'",
                body.loc,
                "add hours: {mon-fri: ['09:00-12:00', '13:00-18:00']}",
            )
        )
        return tuple(() for _ in WEEKDAYS)
    if not isinstance(raw, YMap):
        problems.append(
            _error(
                "E040",
                f"hours of calendar '{name}' must map weekdays to ranges",
                body.value_loc("hours"),
                "for example: hours: {mon-fri: '09:00-18:00', sat: '10:00-16:00'}",
            )
        )
        return tuple(() for _ in WEEKDAYS)
    for key, value in raw.items():
        days = _weekdays(key)
        if days is None:
            problems.append(
                _error(
                    "E041",
                    f"'{key}' in hours of calendar '{name}' is not a weekday or a range of them",
                    raw.key_loc(key),
                    _weekdays_hint(key),
                )
            )
            continue
        if value is None:
            # {sat,sun: '10:00-16:00'} reads as two keys, 'sat' without a value
            problems.append(
                _error(
                    "E042",
                    f"'{key}' in hours of calendar '{name}' has no range",
                    raw.key_loc(key),
                    "give it 'HH:MM-HH:MM' (a weekday not listed is closed); inside { } a"
                    " comma ends the key: quote a list of weekdays, 'sat,sun': '10:00-16:00'",
                )
            )
            continue
        items: list[tuple[Any, Location]]
        if isinstance(value, YSeq):
            items = [(v, value.item_loc(i)) for i, v in enumerate(value)]
        else:
            items = [(value, raw.value_loc(key))]
        for text, loc in items:
            parsed = _range(text)
            if parsed is None:
                problems.append(
                    _error(
                        "E042",
                        f"'{text}' in hours of calendar '{name}' is not a range of local times",
                        loc,
                        "write 'HH:MM-HH:MM' with the end after the start, e.g. '09:00-12:00'"
                        " (a range may end at 24:00; a night crosses midnight as two ranges)",
                    )
                )
                continue
            for day in days:
                by_day[day - 1].append((*parsed, loc))
    hours: list[Ranges] = []
    # one error per overlap as written: mon-fri: [09-12, 11-18] is one mistake, not five
    overlaps: dict[tuple[int, int, int, int, Location], list[str]] = {}
    for index, ranges in enumerate(by_day):
        ranges.sort(key=lambda r: (r[0], r[1]))
        for (start, end, _), (next_start, next_end, loc) in zip(ranges, ranges[1:], strict=False):
            if next_start < end:
                pair = (start, end, next_start, next_end, loc)
                overlaps.setdefault(pair, []).append(WEEKDAYS[index])
        hours.append(tuple((start, end) for start, end, _ in ranges))
    for (start, end, next_start, next_end, loc), weekdays in overlaps.items():
        problems.append(
            _error(
                "E043",
                f"hours of calendar '{name}' overlap on {', '.join(weekdays)}:"
                f" {_clock(start)}-{_clock(end)} and {_clock(next_start)}-{_clock(next_end)}",
                loc,
                "give each weekday ranges that do not overlap",
            )
        )
    return tuple(hours)


def _range(text: Any) -> tuple[int, int] | None:
    if not isinstance(text, str):
        return None
    match = RANGE_TEXT.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2 != 0):
        return None
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    return (start, end) if end > start else None


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _read_holidays(
    name: str, body: YMap, problems: list[Diagnostic]
) -> tuple[dict[dt.date, bool], tuple[dt.date, ...], tuple[dt.date, dt.date] | None]:
    """Closed dates (True when from a holiday set), the sets' make-up working days, and the
    dates the sets know (None without a set)."""
    raw = body.get("holidays")
    if raw is None:
        return {}, (), None
    items: list[tuple[Any, Location]]
    if isinstance(raw, YSeq):
        items = [(v, raw.item_loc(i)) for i, v in enumerate(raw)]
    else:
        items = [(raw, body.value_loc("holidays"))]
    closed: dict[dt.date, bool] = {}
    made_up: list[dt.date] = []
    known: tuple[dt.date, dt.date] | None = None
    for value, loc in items:
        if isinstance(value, str) and value.strip().lower() in HOLIDAY_SETS:
            days, workdays = china_holidays()
            for holiday in days:
                closed.setdefault(holiday, True)
            made_up.extend(workdays)
            known = china_years(days)
            continue
        day = _date(value)
        if day is None:
            text = str(value)
            problems.append(
                _error(
                    "E044",
                    f"holiday '{text}' of calendar '{name}' is not a date",
                    loc,
                    did_you_mean(text.lower(), HOLIDAY_SETS)
                    or "write dates as YYYY-MM-DD, or 'cn' for China's official holidays",
                )
            )
            continue
        closed[day] = False
    return closed, tuple(made_up), known


def _workday_loc(raw: Any, day: dt.date) -> Location | None:
    """Where `day` is written among the workdays (a key YAML read as a date or as text)."""
    if not isinstance(raw, YMap):
        return None
    return next((raw.key_loc(key) for key in raw if _date(key) == day), None)


def _read_workdays(name: str, body: YMap, problems: list[Diagnostic]) -> dict[dt.date, int]:
    raw = body.get("workdays")
    if raw is None:
        return {}
    if not isinstance(raw, YMap):
        problems.append(
            _error(
                "E045",
                f"workdays of calendar '{name}' must map dates to weekdays",
                body.value_loc("workdays"),
                "for example: workdays: {2024-10-12: mon} (a Saturday worked with Monday's hours)",
            )
        )
        return {}
    found: dict[dt.date, int] = {}
    for key, value in raw.items():
        day = _date(key)
        if day is None:
            problems.append(
                _error(
                    "E045",
                    f"workday '{key}' of calendar '{name}' is not a date",
                    raw.key_loc(key),
                    "write dates as YYYY-MM-DD",
                )
            )
            continue
        weekday = str(value).strip().lower()
        if weekday not in WEEKDAYS:
            problems.append(
                _error(
                    "E045",
                    f"workday {key} of calendar '{name}' names '{value}', not a weekday",
                    raw.value_loc(key),
                    did_you_mean(weekday, WEEKDAYS)
                    or "the weekday whose hours the date has: mon, tue, ... sun",
                )
            )
            continue
        found[day] = WEEKDAYS.index(weekday) + 1
    return found


def china_holidays() -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    """China's official holidays and make-up working days (调休), from `chinese-calendar`."""
    from chinese_calendar import constants  # type: ignore[import-untyped]

    return tuple(sorted(constants.holidays)), tuple(sorted(constants.workdays))


def china_years(holidays: tuple[dt.date, ...]) -> tuple[dt.date, dt.date]:
    """The first and last date China's holidays are known for: whole years, as
    `chinese-calendar` itself answers (it refuses a date of any other year)."""
    return dt.date(holidays[0].year, 1, 1), dt.date(holidays[-1].year, 12, 31)


def find_calendar(
    calendars: tuple[Calendar, ...], name: str | None, loc: Location | None
) -> Calendar:
    """The calendar a business_seconds call names; without a name the only one or `default`."""
    names = [c.name for c in calendars]
    if name is None:
        if len(calendars) == 1:
            return calendars[0]
        named = [c for c in calendars if c.name == DEFAULT_CALENDAR]
        if named:
            return named[0]
        raise MflError(
            "E274",
            "business_seconds needs a calendar name here"
            + (f": the project has {len(calendars)} calendars" if calendars else ""),
            loc,
            (
                f"name one: business_seconds(a, b, '{names[0]}'), or call one of them 'default'"
                if calendars
                else "add a calendar under 'calendars:' in metricflow_lite.yml"
            ),
        )
    for calendar in calendars:
        if calendar.name == name:
            return calendar
    raise MflError(
        "E274",
        f"unknown calendar '{name}'",
        loc,
        did_you_mean(name, names)
        or (
            f"calendars in metricflow_lite.yml: {', '.join(names)}"
            if names
            else "add it under 'calendars:' in metricflow_lite.yml"
        ),
    )


def business_calls(tree: exp.Expr) -> list[exp.Anonymous]:
    """The business_seconds(...) calls in a row expression, in order."""
    return [
        node
        for node in tree.walk()
        if isinstance(node, exp.Anonymous) and node.name.lower() == BUSINESS_SECONDS
    ]


def calendar_name(call: exp.Anonymous) -> str | None:
    """The calendar a business_seconds call names (its third argument), else None."""
    args = call.expressions
    if len(args) == 3 and isinstance(args[2], exp.Literal) and args[2].is_string:
        return str(args[2].name)
    return None
