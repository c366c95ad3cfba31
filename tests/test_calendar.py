"""Calendars in metricflow_lite.yml and business_seconds(): parsing, validation, and the seconds
themselves, worked out by hand from tests/fixtures/hours (default calendar: Mon-Fri 09-12 and
13-18, Sat 10-16, the 2024 National Day week closed, Sat 2024-10-12 worked with Monday's hours;
cn_hours: Mon-Fri 09-18 with China's official holidays and make-up days, and 2024-12-24)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.calendar import Calendar, find_calendar, read_calendars
from metricflow_lite.spec.loader import parse_yaml

H = 3600


def calendars_of(text: str) -> tuple:
    data = parse_yaml(text, "metricflow_lite.yml")
    return read_calendars(data["calendars"], Location("metricflow_lite.yml", 1, 1))


def errors_of(text: str) -> list[tuple[str, str, int]]:
    with pytest.raises(MflError) as caught:
        calendars_of(text)
    return [(d.code, d.message, d.loc.line if d.loc else 0) for d in caught.value.diagnostics]


SERVICE = """
calendars:
  service_hours:
    hours:
      mon-fri: ["09:00-12:00", "13:00-18:00"]
      sat: "10:00-16:00"
    holidays: [2024-10-01, 2024-10-07]
    workdays: {2024-10-12: mon}
"""


def test_weekday_hours_with_several_ranges_holidays_and_a_make_up_day() -> None:
    [calendar] = calendars_of(SERVICE)
    assert calendar.name == "service_hours"
    assert calendar.ranges_on(dt.date(2024, 10, 14)) == ((9 * H, 12 * H), (13 * H, 18 * H))
    assert calendar.ranges_on(dt.date(2024, 10, 19)) == ((10 * H, 16 * H),)  # a Saturday
    assert calendar.ranges_on(dt.date(2024, 10, 20)) == ()  # Sunday is not listed: closed
    assert calendar.ranges_on(dt.date(2024, 10, 1)) == ()  # a holiday (a Tuesday)
    # Saturday 2024-10-12 is worked with Monday's hours, not Saturday's
    assert calendar.ranges_on(dt.date(2024, 10, 12)) == ((9 * H, 12 * H), (13 * H, 18 * H))
    assert calendar.ranges_per_day == 2


def test_cn_takes_chinas_holidays_and_make_up_days_with_mondays_hours() -> None:
    [calendar] = calendars_of(
        "calendars:\n  cn_hours:\n    hours: {mon-fri: '09:00-18:00', sun: '10:00-12:00'}\n"
        "    holidays: [cn, 2024-12-24]\n    workdays: {2024-10-07: tue}\n"
    )
    assert calendar.ranges_on(dt.date(2024, 10, 1)) == ()  # National Day
    assert calendar.ranges_on(dt.date(2024, 2, 12)) == ()  # Spring Festival, a Monday
    # Sunday 2024-09-29 is a make-up working day: Monday's hours, not Sunday's 10-12
    assert calendar.ranges_on(dt.date(2024, 9, 29)) == ((9 * H, 18 * H),)
    assert calendar.ranges_on(dt.date(2024, 9, 22)) == ((10 * H, 12 * H),)  # a plain Sunday
    assert calendar.ranges_on(dt.date(2024, 12, 24)) == ()  # the project's own holiday
    # a cn holiday the project lists as a workday is open, with the weekday it names
    assert calendar.ranges_on(dt.date(2024, 10, 7)) == ((9 * H, 18 * H),)


def test_a_cn_make_up_day_the_project_lists_as_a_holiday_is_closed() -> None:
    [calendar] = calendars_of(
        "calendars:\n  c:\n    hours: {mon-fri: '09:00-18:00'}\n    holidays: [cn, 2024-10-12]\n"
    )
    assert calendar.ranges_on(dt.date(2024, 10, 12)) == ()


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ("hours: {mon-fri: '09:00-12:00', mon: '11:00-13:00'}", "E043", "overlap on mon"),
        ("hours: {mon-fry: '09:00-12:00'}", "E041", "'mon-fry'"),
        ("hours: {monday: '09:00-12:00'}", "E041", "'monday'"),
        ("hours: {mon: '18:00-09:00'}", "E042", "'18:00-09:00'"),
        ("hours: {mon: '9-12'}", "E042", "'9-12'"),
        ("hours: {mon: '09:00-12:00'}\n    holidays: [2024-13-01]", "E044", "'2024-13-01'"),
        ("hours: {mon: '09:00-12:00'}\n    holidays: [cm]", "E044", "'cm'"),
        ("hours: {mon: '09:00-12:00'}\n    workdays: {2024-10-12: monday}", "E045", "'monday'"),
        ("hours: {mon: '09:00-12:00'}\n    workdays: [2024-10-12]", "E045", "map dates"),
        (
            "hours: {mon: '09:00-12:00'}\n    holidays: [2024-10-12]\n"
            "    workdays: {2024-10-12: mon}",
            "E046",
            "both a holiday and a workday",
        ),
        ("hours: {mon: '09:00-12:00'}\n    holiday: [2024-10-01]", "E040", "'holiday'"),
    ],
    ids=[
        "overlapping_hours",
        "bad_weekday_range",
        "weekday_spelled_out",
        "end_before_start",
        "not_hh_mm",
        "holiday_not_a_date",
        "unknown_holiday_set",
        "workday_weekday_unknown",
        "workdays_not_a_mapping",
        "holiday_and_workday",
        "unknown_key",
    ],
)
def test_calendar_mistakes_are_located_errors(body: str, code: str, words: str) -> None:
    [(got_code, message, line)] = errors_of(f"calendars:\n  c:\n    {body}\n")
    assert got_code == code
    assert words in message
    assert line >= 3


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("mon-fir", "did you mean 'mon-fri'?"),  # was 'mon', a weekday the key already has
        ("sat,snu", "did you mean 'sat,sun'?"),
        # was "did you mean 'fri'?": the days are right, the range wraps past Sunday
        ("fri-mon", "a range runs from Monday to Sunday: write 'fri-sun,mon'"),
        ("sun-tue", "a range runs from Monday to Sunday: write 'sun,mon-tue'"),
    ],
    ids=["misspelt_end", "misspelt_in_a_list", "wraps_to_monday", "wraps_from_sunday"],
)
def test_a_bad_weekday_key_hints_at_the_key_to_write(key: str, hint: str) -> None:
    with pytest.raises(MflError) as caught:
        calendars_of(f"calendars:\n  c:\n    hours:\n      {key}: '09:00-12:00'\n")
    assert (caught.value.code, caught.value.hint) == ("E041", hint)


def test_an_overlap_in_a_weekday_range_is_one_error() -> None:
    # five weekdays, one mistake: it was reported once per weekday, at the same place
    errors = errors_of(
        "calendars:\n  c:\n    hours:\n      mon-fri: ['09:00-12:00', '11:00-18:00']\n"
        "      fri: '17:30-19:00'\n"
    )
    assert errors == [
        (
            "E043",
            "hours of calendar 'c' overlap on mon, tue, wed, thu, fri: 09:00-12:00 and 11:00-18:00",
            4,
        ),
        ("E043", "hours of calendar 'c' overlap on fri: 11:00-18:00 and 17:30-19:00", 5),
    ]


def test_calendar_names_that_differ_only_in_case_are_a_mistake() -> None:
    # src._calendar_Night and src._calendar_night are one table to the engines: the build
    # failed in a model's SQL ("no column close_2") with nothing about the calendars
    errors = errors_of(
        "calendars:\n  night:\n    hours: {mon: '00:00-06:00', tue: ['00:00-01:00', '22:00-24:00']}"
        "\n  Night:\n    hours: {mon: '08:00-09:00'}\n"
    )
    assert errors == [("E040", "calendar names 'night' and 'Night' differ only in case", 4)]


def test_a_weekday_list_unquoted_in_braces_says_why() -> None:
    # YAML reads {sat,sun: ...} as the keys 'sat' (no value) and 'sun': it said "'None' ..."
    with pytest.raises(MflError) as caught:
        calendars_of(
            "calendars:\n  c:\n    hours: {mon-fri: '09:00-18:00', sat,sun: '10:00-16:00'}\n"
        )
    assert (caught.value.code, caught.value.message) == (
        "E042",
        "'sat' in hours of calendar 'c' has no range",
    )
    assert caught.value.hint is not None and "'sat,sun': '10:00-16:00'" in caught.value.hint


def test_a_date_both_holiday_and_workday_is_pointed_at_in_the_workdays() -> None:
    # it pointed at the start of the workdays mapping, whichever of its dates it was
    errors = errors_of(
        "calendars:\n  c:\n    hours: {mon: '09:00-12:00'}\n    holidays: [2024-10-12]\n"
        "    workdays:\n      2024-10-11: mon\n      2024-10-12: mon\n"
    )
    assert errors == [("E046", "2024-10-12 is both a holiday and a workday of calendar 'c'", 7)]


def test_hints_say_did_you_mean() -> None:
    with pytest.raises(MflError) as caught:
        calendars_of("calendars:\n  c:\n    hours: {mon: '09:00-12:00'}\n    holidays: [cm]\n")
    assert caught.value.hint == "write dates as YYYY-MM-DD, or 'cn' for China's official holidays"
    with pytest.raises(MflError) as caught:
        calendars_of("calendars:\n  c:\n    hours: {thurs: '09:00-12:00'}\n")
    assert caught.value.hint == "did you mean 'thu'?"
    calendars = calendars_of(SERVICE)
    with pytest.raises(MflError) as caught:
        find_calendar(calendars, "service_hour", None)
    assert (caught.value.code, caught.value.hint) == ("E274", "did you mean 'service_hours'?")


def test_the_name_may_be_left_out_with_one_calendar_or_one_named_default() -> None:
    [only] = calendars_of(SERVICE)
    assert find_calendar((only,), None, None) is only
    two = calendars_of(SERVICE + "  default:\n    hours: {sat: '10:00-11:00'}\n")
    assert find_calendar(two, None, None).name == "default"
    three = calendars_of(SERVICE + "  other:\n    hours: {sat: '10:00-11:00'}\n")
    with pytest.raises(MflError) as caught:
        find_calendar(three, None, None)
    assert caught.value.code == "E274"


def hours_project(tmp_path: Path) -> Path:
    project = tmp_path / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    return project


def validate_output(project: Path) -> str:
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1, result.output
    return result.output


def test_validate_shows_a_bad_business_seconds_call_as_written(tmp_path: Path) -> None:
    project = hours_project(tmp_path)
    metrics = project / "metrics" / "tickets.yml"
    text = metrics.read_text(encoding="utf-8")
    old = "business_seconds(created_ts, first_reply_ts)\n"
    assert old in text
    metrics.write_text(text.replace(old, "business_seconds(created_ts)\n", 1), encoding="utf-8")
    output = validate_output(project)
    # it read "not BUSINESS_SECONDS(created_ts)", a spelling the user never wrote
    assert "calendar name, not business_seconds(created_ts)" in output


def test_validate_points_at_an_unknown_calendar_name(tmp_path: Path) -> None:
    project = hours_project(tmp_path)
    metrics = project / "metrics" / "tickets.yml"
    metrics.write_text(
        metrics.read_text(encoding="utf-8").replace("'cn_hours'", "'cn_hour'"), encoding="utf-8"
    )
    output = validate_output(project)
    assert "metrics/tickets.yml:25:56: error E274: unknown calendar 'cn_hour'" in output
    assert "did you mean 'cn_hours'?" in output


def test_validate_a_business_seconds_end_that_is_not_a_timestamp(tmp_path: Path) -> None:
    project = hours_project(tmp_path)
    metrics = project / "metrics" / "tickets.yml"
    metrics.write_text(
        metrics.read_text(encoding="utf-8").replace(
            "business_seconds(created_ts, resolved_ts, 'default')",
            "business_seconds(created_ts, ticket_id, 'default')",
        ),
        encoding="utf-8",
    )
    output = validate_output(project)
    assert "error E275: business_seconds in expr of metric 'resolve_business_seconds' needs a" in (
        output
    )
    assert "ticket_id is VARCHAR" in output


def test_validate_a_business_seconds_call_with_a_wrong_shape(tmp_path: Path) -> None:
    project = hours_project(tmp_path)
    metrics = project / "metrics" / "tickets.yml"
    metrics.write_text(
        metrics.read_text(encoding="utf-8").replace(
            "business_seconds(created_ts, resolved_ts, 'default')",
            "business_seconds(created_ts)",
        ),
        encoding="utf-8",
    )
    assert "error E275: business_seconds in expr of metric 'resolve_business_seconds'" in (
        validate_output(project)
    )


def test_validate_points_at_bad_hours_in_the_project_file(tmp_path: Path) -> None:
    project = hours_project(tmp_path)
    config = project / "metricflow_lite.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('sat: "10:00-16:00"', 'sat: "10:00-09:00"'),
        encoding="utf-8",
    )
    output = validate_output(project)
    # line 9 of the hours fixture: `sat: "10:00-16:00"` of the default calendar
    assert "metricflow_lite.yml:9:13: error E042: '10:00-09:00'" in output


# Hand arithmetic per ticket, seconds: (default calendar, cn_hours) of created..first reply.
REPLY_SECONDS = {
    "t01": (1.5 * H, 1.5 * H),  # Mon 08:00 -> 10:30: the day opens at 09:00
    # Mon 17:00 -> Tue 10:00 crosses midnight: 17-18 and 09-10
    "t02": (2 * H, 2 * H),
    # Mon 09-30 17:30 -> Tue 10-08 09:30 over the National Day week: 30 min + 30 min
    "t03": (1 * H, 1 * H),
    # Fri 10-11 17:00 -> Mon 10-14 09:00: Fri 1 h, Sat 10-12 worked as a Monday (3 h + 5 h; cn: 9 h)
    "t04": (9 * H, 10 * H),
    # Sat 09-28 12:00 -> Mon 09-30 10:00: default Sat 12-16 (4 h) + Mon 1 h; cn Sat closed,
    # Sun 09-29 a make-up day with Monday's 9 h, Mon 1 h
    "t05": (5 * H, 10 * H),
    "t06": (0, 0),  # replied before it was created: 0, not negative
    "t07": (None, None),  # never replied: NULL
    # Tue 12-24 10:00 -> Wed 12-25 10:00: default 2 + 5 + 1 h; cn_hours closes 12-24: 1 h
    "t08": (8 * H, 1 * H),
    "t09": (2.5 * H, 0),  # Sat 09:00 -> 12:30: default opens at 10:00; cn is closed on Saturday
    "t10": (0, 40 * 60),  # Mon 12:10 -> 12:50: the default lunch break; cn is open
}


@pytest.fixture(scope="module")
def hours_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = hours_project(tmp_path_factory.mktemp("hours"))
    assert invoke("run", "--project-dir", str(project)).exit_code == 0
    return project


def query_rows(project: Path, *args: str) -> list[dict[str, object]]:
    import json

    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_business_seconds_per_ticket(hours_built: Path) -> None:
    rows = query_rows(
        hours_built, "--metrics", "reply_business_seconds,reply_cn_seconds", "--by", "ticket_id"
    )
    got = {r["ticket_id"]: (r["reply_business_seconds"], r["reply_cn_seconds"]) for r in rows}
    assert got == REPLY_SECONDS


def test_business_seconds_in_a_filter(hours_built: Path) -> None:
    [row] = query_rows(hours_built, "--metrics", "replied_within_4h,reply_within_4h_rate")
    # within 4 business hours: t01, t02, t03, t06 (0 s), t09, t10; t07 (NULL) does not count
    assert row == {"replied_within_4h": 6, "reply_within_4h_rate": 0.6}


def test_resolution_over_several_days(hours_built: Path) -> None:
    rows = query_rows(
        hours_built, "--metrics", "resolve_business_seconds", "--by", "ticket_id", "--where",
        "ticket_id in ('t02', 't08')",
    )  # fmt: skip
    # t02 Mon 17:00 -> Wed 17:00: 1 h + 8 h + 7 h; t08 Tue 12-24 10:00 -> Tue 12-31 18:00:
    # 12-24 7 h, 12-25..27 8 h each, Sat 12-28 6 h, Sun 0, 12-30 and 12-31 8 h each
    assert {r["ticket_id"]: r["resolve_business_seconds"] for r in rows} == {
        "t02": 16 * H,
        "t08": (7 + 24 + 6 + 16) * H,
    }


def reference_seconds(
    calendar: Calendar, a: dt.datetime | None, b: dt.datetime | None
) -> int | None:
    """business_seconds(A, B) day by day in Python: each date's open ranges cut to [A, B)."""
    if a is None or b is None:
        return None
    if b <= a:
        return 0
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        midnight = dt.datetime.combine(day, dt.time())
        for start, end in calendar.ranges_on(day):
            lo = max(a, midnight + dt.timedelta(seconds=start))
            hi = min(b, midnight + dt.timedelta(seconds=end))
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return int(total.total_seconds())


def test_random_intervals_equal_a_day_by_day_reference(tmp_path: Path) -> None:
    """500 random tickets (seeded) from late September 2024 to January 2025: the National Day
    week, a make-up Saturday, China's holidays and make-up Sundays, ends across midnight and
    weeks, B <= A and NULLs; the SQL (F(B) - F(A) over the calendar table) equals a plain
    day-by-day sum of each date's open ranges cut to [A, B)."""
    import random

    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    rng = random.Random(17)
    first = dt.datetime(2024, 9, 25)
    offsets = [
        lambda: -rng.randint(0, 3 * 86400),  # B before A
        lambda: 0,  # B == A
        lambda: rng.randint(1, 3600),
        lambda: rng.randint(1, 30 * 3600),
        lambda: rng.randint(1, 20 * 86400),
    ]
    tickets: list[tuple[str, dt.datetime, dt.datetime | None, dt.datetime | None]] = []
    for i in range(500):
        created = first + dt.timedelta(seconds=rng.randint(0, 108 * 86400))
        if rng.random() < 0.2:  # exactly at an opening or closing time, or midnight
            created = created.replace(
                hour=rng.choice([0, 9, 10, 12, 13, 16, 18]), minute=0, second=0
            )
        ends: list[dt.datetime | None] = []
        for _ in range(2):
            if rng.random() < 0.05:
                ends.append(None)
            else:
                ends.append(created + dt.timedelta(seconds=rng.choice(offsets)()))
        tickets.append((f"r{i:03d}", created, ends[0], ends[1]))
    project = hours_project(tmp_path)
    lines = ["ticket_id,created_ts,first_reply_ts,resolved_ts"]
    for ticket, created, reply, resolved in tickets:
        cells = [ticket, str(created), "" if reply is None else str(reply)]
        lines.append(",".join([*cells, "" if resolved is None else str(resolved)]))
    (project / "seeds" / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("run", "--project-dir", str(project)).exit_code == 0
    calendars = {c.name: c for c in load_spec(load_project(project)).calendars}
    default, cn = calendars["default"], calendars["cn_hours"]
    metrics = "reply_business_seconds,reply_cn_seconds,resolve_business_seconds"
    # column ends read the open seconds the source table carries; the expression end of
    # touch_business_seconds joins the calendar in the query; from the day table and from rows
    for source in ((), ("--no-indicators",)):
        rows = query_rows(
            project, "--metrics", f"{metrics},touch_business_seconds", "--by", "ticket_id", *source
        )
        got = {r["ticket_id"]: r for r in rows}
        assert len(got) == 500
        for ticket, created, reply, resolved in tickets:
            row = got[ticket]
            expected = (
                reference_seconds(default, created, reply),
                reference_seconds(cn, created, reply),
                reference_seconds(default, created, resolved),
                reference_seconds(default, created, reply if reply is not None else resolved),
            )
            actual = (
                row["reply_business_seconds"],
                row["reply_cn_seconds"],
                row["resolve_business_seconds"],
                row["touch_business_seconds"],
            )
            assert actual == expected, (ticket, created, reply, resolved, source)


def test_a_year_cn_does_not_know_has_no_business_seconds(tmp_path: Path) -> None:
    """Past the last year of the installed chinese-calendar (2026 for 1.11.0) China's holidays
    are not known: its New Year's Day was counted as an ordinary Friday. A calendar with `cn`
    now says NULL there, as the package itself refuses such a date; one without counts on."""
    import chinese_calendar

    last = dt.date(max(chinese_calendar.constants.holidays).year, 12, 31)
    project = hours_project(tmp_path)
    tickets = project / "seeds" / "tickets.csv"
    # the package's last 31 December 17:00 -> the next 1 January 10:00, and the same a
    # year earlier (inside what it knows)
    rows = [
        f"u1,{last} 17:00:00,{last + dt.timedelta(days=1)} 10:00:00,\n",
        f"u2,{last.replace(year=last.year - 1)} 17:00:00,"
        f"{last.replace(year=last.year - 1) + dt.timedelta(days=1)} 10:00:00,\n",
    ]
    tickets.write_text(tickets.read_text(encoding="utf-8") + "".join(rows), encoding="utf-8")
    assert invoke("run", "--project-dir", str(project)).exit_code == 0
    got = {
        r["ticket_id"]: (r["reply_business_seconds"], r["reply_cn_seconds"])
        for r in query_rows(
            project, "--metrics", "reply_business_seconds,reply_cn_seconds", "--by", "ticket_id",
            "--where", "ticket_id in ('u1', 'u2')",
        )
    }  # fmt: skip

    # default calendar (no cn, no holiday then): 17:00-18:00 on 31 December and 09:00-10:00
    # on 1 January, each on a weekday (Saturday opens 10:00-16:00: nothing of either)
    def default(day: dt.date) -> float:
        after = day + dt.timedelta(days=1)
        return (H if day.isoweekday() <= 5 else 0) + (H if after.isoweekday() <= 5 else 0)

    # cn_hours (09-18 on China's working days, asked of chinese-calendar itself): 17:00-18:00
    # on 31 December when it is a working day; 1 January is a holiday
    earlier = last.replace(year=last.year - 1)
    known = H if chinese_calendar.is_workday(earlier) else 0
    assert got == {"u1": (default(last), None), "u2": (default(earlier), known)}
