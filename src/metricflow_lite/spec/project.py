"""Find and read metricflow_lite.yml: the project's name, settings, paths and targets."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from metricflow_lite.errors import Location, MflError, did_you_mean
from metricflow_lite.spec.calendar import Calendar, read_calendars
from metricflow_lite.spec.loader import YMap, read_yaml

PROJECT_FILE = "metricflow_lite.yml"
PROJECT_DIR_ENV = "MFL_PROJECT_DIR"


class WeekStart(str, Enum):
    MONDAY = "monday"
    SUNDAY = "sunday"


class Locale(str, Enum):
    """The language of every word a report prints."""

    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_GRACE = dt.timedelta(hours=1)
_GRACE = re.compile(r"^\s*(\d+)\s*(h|hours?|m|min|minutes?)\s*$")


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Where a project is built: a warehouse type and its settings (no secrets, only env names)."""

    name: str
    type: str
    settings: tuple[tuple[str, Any], ...] = ()
    loc: Location | None = None
    setting_locs: tuple[tuple[str, Location], ...] = ()  # where each setting's value is written

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.settings).get(key, default)

    def loc_of(self, key: str) -> Location | None:
        """Where a setting's value is written, else where the target is."""
        return dict(self.setting_locs).get(key, self.loc)


@dataclass(frozen=True, slots=True)
class Project:
    """A project on disk: its root folder and the settings from metricflow_lite.yml."""

    root: Path
    name: str
    timezone: str = "Asia/Shanghai"  # an IANA name, checked: local days and timestamp offsets
    week_start: WeekStart = WeekStart.MONDAY
    default_target: str = "dev"
    targets: tuple[TargetConfig, ...] = ()
    paths: tuple[tuple[str, str], ...] = field(default=())
    settings: tuple[tuple[str, Any], ...] = ()
    calendars: tuple[Calendar, ...] = ()
    locale: Locale = Locale.ZH_CN
    # A period is complete when the data reaches its end minus this (DESIGN-2 §2).
    complete_grace: dt.timedelta = DEFAULT_GRACE

    def setting(self, name: str, default: Any = None) -> Any:
        """A value from the project's `settings:` (thresholds the models and metrics share)."""
        return dict(self.settings).get(name, default)

    def path(self, kind: str) -> Path:
        """The folder for seeds, models, metrics, reports or target."""
        return self.root / dict(self.paths).get(kind, kind)

    def target(self, name: str | None = None) -> TargetConfig:
        """The named target, or the default one."""
        wanted = name or self.default_target
        for target in self.targets:
            if target.name == wanted:
                return target
        known = [t.name for t in self.targets]
        raise MflError(
            "E010",
            f"unknown target '{wanted}'",
            Location(PROJECT_FILE),
            did_you_mean(wanted, known) or f"targets defined in {PROJECT_FILE}: {', '.join(known)}",
        )


DEFAULT_PATHS = {
    "seeds": "seeds",
    "models": "models",
    "metrics": "metrics",
    "reports": "reports",
    "target": "target",
}
KNOWN_KEYS = (
    "name",
    "version",
    "target",
    "targets",
    "timezone",
    "week_start",
    "paths",
    "settings",
    "calendars",
    "locale",
    "complete_grace",
)
TARGET_TYPES = ("duckdb", "postgres", "spark")


def find_project_dir(project_dir: str | Path | None) -> Path:
    """The project folder: the option, else $MFL_PROJECT_DIR, else the current directory."""
    chosen = project_dir or os.environ.get(PROJECT_DIR_ENV) or "."
    return Path(chosen).expanduser().resolve()


def load_project(project_dir: str | Path | None = None) -> Project:
    """Read metricflow_lite.yml from the project folder."""
    root = find_project_dir(project_dir)
    config_path = root / PROJECT_FILE
    if not config_path.is_file():
        raise MflError(
            "E004",
            f"no {PROJECT_FILE} in {root}",
            None,
            "run mfl inside a project, pass --project-dir DIR (or set MFL_PROJECT_DIR),"
            " or create one with 'mfl init DIR'",
        )
    data = read_yaml(config_path, root)
    if not isinstance(data, YMap):
        raise MflError(
            "E020", f"{PROJECT_FILE} must be a mapping of settings", Location(PROJECT_FILE, 1, 1)
        )
    for key in data:
        if key not in KNOWN_KEYS:
            raise MflError(
                "E021",
                f"unknown key '{key}' in {PROJECT_FILE}",
                data.key_loc(key),
                did_you_mean(key, KNOWN_KEYS) or f"known keys: {', '.join(KNOWN_KEYS)}",
            )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise MflError(
            "E022",
            f"{PROJECT_FILE} needs a 'name'",
            data.loc,
            "add a line such as 'name: my_contact_center'",
        )
    week_text = str(data.get("week_start", "monday")).lower()
    try:
        week_start = WeekStart(week_text)
    except ValueError:
        raise MflError(
            "E023",
            f"week_start must be monday or sunday, not '{week_text}'",
            data.value_loc("week_start"),
        ) from None
    paths = dict(DEFAULT_PATHS)
    raw_paths = data.get("paths") or {}
    if isinstance(raw_paths, dict):
        paths.update({str(k): str(v) for k, v in raw_paths.items() if k in DEFAULT_PATHS})
    targets = _read_targets(data)
    default_target = str(data.get("target") or targets[0].name)
    if default_target in TARGET_TYPES and default_target not in {t.name for t in targets}:
        # `target: postgres` names an engine: its default settings, as `mfl init` writes them.
        targets = (*targets, engine_default_target(default_target, data.value_loc("target")))
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise MflError(
            "E025",
            "settings must be a mapping of names to values",
            data.value_loc("settings"),
            "for example: settings: {short_abandon_seconds: 6, service_level_seconds: 20}",
        )
    project = Project(
        locale=_read_locale(data),
        complete_grace=_read_grace(data),
        root=root,
        name=name,
        timezone=_timezone(data),
        week_start=week_start,
        default_target=default_target,
        targets=targets,
        paths=tuple(sorted(paths.items())),
        settings=tuple(sorted((str(k), v) for k, v in settings.items())),
        calendars=read_calendars(data.get("calendars"), data.value_loc("calendars")),
    )
    project.target(default_target)  # the default must exist
    return project


def engine_default_target(kind: str, loc: Location | None) -> TargetConfig:
    """The target an engine's name stands for when no `targets:` entry is called that."""
    settings: dict[str, tuple[tuple[str, Any], ...]] = {
        "duckdb": (("path", "target/warehouse.duckdb"),),
        "postgres": (("dsn_env", "MFL_PG_DSN"),),
        "spark": (("master", "local[*]"), ("warehouse_dir", "target/spark-warehouse")),
    }
    return TargetConfig(kind, kind, settings[kind], loc)


def _read_locale(data: YMap) -> Locale:
    text = str(data.get("locale", Locale.ZH_CN.value))
    for locale in Locale:
        if locale.value.lower() == text.lower().replace("_", "-"):
            return locale
    known = [loc.value for loc in Locale]
    raise MflError(
        "E028",
        f"unknown locale '{text}'",
        data.value_loc("locale"),
        did_you_mean(text, known) or f"locales: {', '.join(known)}",
    )


def _read_grace(data: YMap) -> dt.timedelta:
    raw = data.get("complete_grace")
    if raw is None:
        return DEFAULT_GRACE
    if not isinstance(raw, bool) and str(raw).strip() == "0":
        return dt.timedelta(0)  # no length needs no unit: only a whole last period is complete
    match = _GRACE.match(str(raw))
    if match is None:
        raise MflError(
            "E029",
            f"complete_grace must be a length such as 1h or 30min, not '{raw}'",
            data.value_loc("complete_grace"),
            "a center that closes at 21:00 writes complete_grace: 3h",
        )
    amount, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(hours=amount) if unit.startswith("h") else dt.timedelta(minutes=amount)


def _read_targets(data: YMap) -> tuple[TargetConfig, ...]:
    raw = data.get("targets")
    if raw is None:
        return (TargetConfig("dev", "duckdb", (("path", "target/warehouse.duckdb"),), data.loc),)
    if not isinstance(raw, YMap) or not raw:
        raise MflError(
            "E024",
            "targets must be a mapping of target names to settings",
            data.value_loc("targets"),
            "for example: targets: {dev: {type: duckdb, path: target/warehouse.duckdb}}",
        )
    targets = []
    for target_name, settings in raw.items():
        loc = raw.value_loc(target_name)
        if not isinstance(settings, YMap) or "type" not in settings:
            raise MflError(
                "E024",
                f"target '{target_name}' needs a 'type' ({', '.join(TARGET_TYPES)})",
                loc,
            )
        kind = str(settings["type"])
        if kind not in TARGET_TYPES:
            raise MflError(
                "E024",
                f"target '{target_name}' has unknown type '{kind}'",
                settings.value_loc("type"),
                did_you_mean(kind, TARGET_TYPES) or f"types: {', '.join(TARGET_TYPES)}",
            )
        rest = tuple(sorted((str(k), v) for k, v in settings.items() if k != "type"))
        locs = tuple((str(k), settings.value_loc(k)) for k in settings if k != "type")
        targets.append(TargetConfig(str(target_name), kind, rest, loc, locs))
    return tuple(targets)


def _timezone(data: YMap) -> str:
    """The project's IANA time zone (default Asia/Shanghai), or E026 naming the nearest ones."""
    import zoneinfo

    name = str(data.get("timezone", "Asia/Shanghai"))
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MflError(
            "E026",
            f"unknown time zone '{name}'",
            data.value_loc("timezone"),
            did_you_mean(name, zoneinfo.available_timezones())
            or "use an IANA name such as Asia/Shanghai, Asia/Hong_Kong or Europe/London",
        ) from None
    return name
