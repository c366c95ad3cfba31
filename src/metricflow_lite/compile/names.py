"""The names everyone shares: schemas, raw meta columns, view and column names of the layers.

A name spelled in two places drifts apart; every module that writes or reads one of these
asks this module (the compiler writes them, the warehouse, seeds, reports and jobs read them).
Pure values and string functions only: importing this module costs nothing.
"""

from __future__ import annotations

# Schemas, in the order data flows through them.
RAW = "raw"  # seed rows as they came, plus the meta columns below
SRC = "src"  # source models: tables the build writes from raw (views of other source tables)
IND = "ind"  # indicator tables: additive partials by period x dimensions
APP = "app"  # report views and application models
LAYER_SCHEMAS = (SRC, IND, APP)  # what a build creates (and swaps) in one go
ALL_SCHEMAS = (RAW, *LAYER_SCHEMAS)
# The build's manifest (SQL hashes, fingerprints): written with the layers, read by the next build.
MANIFEST_SCHEMA = "_mfl"
# The row of the manifest's `objects` (name, sql_hash) that holds, instead of an object's SQL
# hash, the checksum of the definitions (spec files, models, mfl) the build was compiled from:
# a query asks it whether the YAML changed since the build (no object is named without a schema).
DEFINITIONS_ROW = "definitions"

# Columns every raw.<table> carries besides the file's own, in this order.
LOAD_ID = "_load_id"
FILE = "_file"
LINE = "_line"
META_COLUMNS = (LOAD_ID, FILE, LINE)
# Bookkeeping tables in raw: what was loaded, and the lines that were not.
LOADS_TABLE = "_loads"
REJECTS_TABLE = "_rejects"
RESERVED_RAW_TABLES = (LOADS_TABLE, REJECTS_TABLE)
# source('<table>') of a natural-key table (compile/layers.latest_versions): the aliases of
# raw.<table> inside it, which incremental builds look for to rewrite it by key.
SOURCE_ROW_ALIAS = "_mfl_row"  # the rows source() yields
SOURCE_OLDER_ALIAS = "_mfl_older"  # ... a row that a later version of its key supersedes
SOURCE_NEWER_ALIAS = "_mfl_newer"  # ... that later version
SOURCE_SUPERSEDED_ALIAS = "_mfl_superseded"  # the superseded rows' key, _load_id and _line
# A join into a model with `valid:` reads its versions with this column beside theirs: `until`,
# or +infinity for the current version (compile/sqlgen.versions_with_end).
VERSION_END = "_mfl_version_end"
# The meta columns' types where the warehouse creates them (DuckDB names; sqlglot transpiles).
META_COLUMN_TYPES = ((LOAD_ID, "BIGINT"), (FILE, "VARCHAR"), (LINE, "BIGINT"))

# Report view columns: <metric>, then per comparison <metric>_prev and <metric>_change
# (previous period; at interval grains the same interval of the previous day),
# <metric>_prev_year and <metric>_change_year (same period last year), <metric>_prev_week and
# <metric>_change_week (same weekday, and interval, a week earlier), then <metric>_target_met.
PREV = "_prev"
CHANGE = "_change"
PREV_YEAR = "_prev_year"
CHANGE_YEAR = "_change_year"
PREV_WEEK = "_prev_week"
CHANGE_WEEK = "_change_week"
# A report's `compare:` value -> the suffixes of its value and change columns, in view order.
COMPARISON_SUFFIXES: dict[str, tuple[str, str]] = {
    "previous_period": (PREV, CHANGE),
    "same_period_last_year": (PREV_YEAR, CHANGE_YEAR),
    "same_period_last_week": (PREV_WEEK, CHANGE_WEEK),
}
TARGET_MET = "_target_met"
TOTAL = "_total"  # app.<report>_<grain>_total: the metrics over all members of the dimensions
IS_COMPLETE = "is_complete"  # a report view's last column: the data covers the period whole


def report_view(report: str, grain: str, total: bool = False) -> str:
    """The name (without schema) of a report's view at a grain: <report>_<grain>[_total]."""
    return f"{report}_{grain}{TOTAL if total else ''}"


def partial_column(metric: str, part: str) -> str:
    """An aggregate part of a base metric in indicator tables and plans: <metric>__<part>."""
    return f"{metric}__{part}"


def period_column(time_column: str, grain: str) -> str:
    """An indicator table's period of a time column: <time_column>_<grain>."""
    return f"{time_column}_{grain}"


def stored_dimension(qualified_name: str) -> str:
    """A dimension's column in an indicator table: agents.team -> agents__team."""
    return qualified_name.replace(".", "__")


def target_met_column(metric: str) -> str:
    """Whether a metric meets its target, in a report view."""
    return metric + TARGET_MET


def day_table(model: str) -> str:
    """The day-level indicator table every model with additive metrics has."""
    return f"{model}_day"


# Business calendars are reference tables of the source layer: the source tables that carry
# business_seconds() ends read them while they are built (compile/calendar.py).
CALENDAR_SCHEMA = SRC


def calendar_table(calendar: str) -> str:
    """A business calendar's table in src (compile/calendar.py): _calendar_<name>."""
    return f"_calendar_{calendar}"


def calendar_open_until(join_alias: str) -> str:
    """The column of a source table that holds, per row, the open seconds of a calendar from
    its first day until one business_seconds() end (a column of the row), computed once per
    build (compile/calendar.py): _<join alias>_open."""
    return f"_{join_alias}_open"


def calendar_seconds(join_alias: str) -> str:
    """The column that holds one business_seconds() end as seconds from the calendar's first
    day, computed once per row next to the rows (compile/calendar.py): <join alias>_at."""
    return f"{join_alias}_at"


def span_table(model: str, start: str, until: str, grain: str) -> str:
    """The indicator table of a model's span seconds: <model>_<from>_<until>_<grain>."""
    return f"{model}_{start}_{until}_{grain}"


# Window frames: each period of a query's range and the days its window reads.
WINDOW_SPINE = "window_spine"
FRAME_FIRST = "frame_first"
FRAME_LAST = "frame_last"
FRAME_SECONDS = "frame_seconds"


def framed_column(column: str, frame_key: str) -> str:
    """A partial read through a window frame: <metric>__<part>__<frame>, e.g.
    offered_calls__count__rolling_7_days ('' keeps the plain name)."""
    return f"{column}__{frame_key}" if frame_key else column


def frame_cte(frame_key: str) -> str:
    """The CTE listing each period's frame of days."""
    return f"frame__{frame_key}" if frame_key else WINDOW_SPINE


def seconds_cte(frame_key: str) -> str:
    """The CTE holding period_seconds() of each period in a frame."""
    return f"seconds__{frame_key}" if frame_key else "seconds"
