"""What a repeated command can skip: reading and checking the spec, when no file changed.

`mfl validate` and `mfl query` spend most of their time importing the compiler (sqlglot,
jinja2, yaml) and checking the spec, not on their answer. Their results are kept in
target/.mfl-cache/, keyed by a checksum of every file the spec is read from (the project file,
metrics/, models/, reports/, the seed .yml files; the size and time of each seed data file), of
mfl's own code and of the command's words; any change is a new key. A query's entry holds its
SQL, how the table shows the rows (text.QueryLayout), the SQL of the data bounds and the
build it was planned against; rows, bounds and the build's definitions checksum are read from
the warehouse on every run. This module imports no part of the compiler,
so a command served from the cache starts about as fast as a script.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metricflow_lite.periods import DataBounds, model_bounds, query_completeness
from metricflow_lite.spec.kinds import Grain
from metricflow_lite.text import (
    QueryLayout,
    incomplete_note,
    incomplete_periods,
    no_rows_note,
    render_query_rows,
)

CACHE_DIR = ".mfl-cache"
PROJECT_FILE = "metricflow_lite.yml"  # as spec/project.py
PROJECT_DIR_ENV = "MFL_PROJECT_DIR"
WATCHED = ("metrics", "models", "reports", "seeds")
READ_WHOLE = (".yml", ".yaml", ".sql", ".jinja", ".md")  # spec files: by content
FORMAT = 4  # of an entry: a new format is a new key
LIBRARIES = ("sqlglot", "chinese_calendar", "jinja2", "duckdb")  # modules
PACKAGE = Path(__file__).resolve().parent.parent


def project_root(project_dir: str | None) -> Path:
    """The project folder as spec.project.find_project_dir finds it."""
    chosen = project_dir or os.environ.get(PROJECT_DIR_ENV) or "."
    return Path(chosen).expanduser().resolve()


def _files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for base, dirs, names in os.walk(folder):
        dirs.sort()
        found.extend(Path(base) / n for n in sorted(names))
    return found


def _library_stamps() -> list[str]:
    """Where the libraries whose output a cached result holds (SQL, holiday dates) are, and
    when they were installed: found without importing them, as that is what the cache saves."""
    from importlib.util import find_spec

    found = []
    for name in LIBRARIES:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        try:
            stat = os.stat(origin) if origin else None
        except OSError:
            stat = None
        found.append(f"{name}:{origin}:{stat.st_size}:{stat.st_mtime_ns}" if stat else name)
    return found


def key(root: Path, words: Sequence[str], data_files: bool = True) -> str | None:
    """The cache key of a command in a project; None when there is no project to key on.
    Without `data_files` the seed data files are left out (their .yml files are kept): what a
    build compiles depends on which raw tables exist, not on the rows a new export brings."""
    config = root / PROJECT_FILE
    if not config.is_file():
        return None
    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT, sys.version, list(words)]).encode("utf-8"))
    digest.update(json.dumps(_library_stamps()).encode("utf-8"))
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("MFL_"))
    digest.update(json.dumps(env).encode("utf-8"))
    for path in _files(PACKAGE):  # mfl's own code: an upgrade or an edit is a new key
        if path.suffix in (".py", ".properties"):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update(config.read_bytes())
    for folder in WATCHED:
        for path in _files(root / folder):
            if folder == "seeds" and not data_files and path.suffix not in READ_WHOLE:
                continue
            digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            if path.suffix in READ_WHOLE:
                digest.update(path.read_bytes())
            else:
                stat = path.stat()
                digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _path(root: Path, kind: str, cache_key: str, suffix: str = ".json") -> Path:
    return root / "target" / CACHE_DIR / f"{kind}-{cache_key[:32]}{suffix}"


def load(root: Path, kind: str, cache_key: str | None) -> dict[str, Any] | None:
    if cache_key is None:
        return None
    try:
        data = json.loads(_path(root, kind, cache_key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("key") == cache_key else None


def store(root: Path, kind: str, cache_key: str | None, data: dict[str, Any]) -> None:
    """Keep a result; a cache that cannot be written is only slower, never an error."""
    if cache_key is None:
        return
    text = json.dumps({**data, "key": cache_key})
    _write(_path(root, kind, cache_key), kind, text.encode("utf-8"), 64)


def _write(path: Path, kind: str, content: bytes, bound: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = list(path.parent.glob(f"{kind}-*{path.suffix}"))
        if len(entries) >= bound:  # a bounded cache: start again
            for old in entries:
                old.unlink(missing_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError:
        return


def load_pickled(root: Path, kind: str, cache_key: str | None) -> Any | None:
    """A compiled result kept by store_pickled (None when there is none or it is unreadable).
    The file is mfl's own, in the project's target/, written as the build's tables are."""
    if cache_key is None:
        return None
    try:
        with _path(root, kind, cache_key, ".pickle").open("rb") as file:
            found = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == cache_key):
        return None
    return found[1]


def store_pickled(root: Path, kind: str, cache_key: str | None, value: Any) -> None:
    """Keep a compiled result (a few MB each: only the last few are kept)."""
    if cache_key is None:
        return
    content = pickle.dumps((cache_key, value), protocol=pickle.HIGHEST_PROTOCOL)
    _write(_path(root, kind, cache_key, ".pickle"), kind, content, 4)


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """What `mfl query` prints for a cached query: the notes on stderr, then the text."""

    notes: tuple[str, ...]
    text: str


def answer_query(entry: dict[str, Any], fmt: str, completeness: bool) -> CachedAnswer | None:
    """A cached query answered from its DuckDB warehouse and rendered as the full path renders
    it; None (take the full path) for a warehouse that is not a DuckDB file, or is missing or
    not built for the query, and for an entry that is not one.

    The bounds that say which periods are complete are read from the warehouse on every run
    (with the rows, in one connection): new rows move them."""
    try:
        sql = str(entry["sql"])
        layout = QueryLayout.from_data(entry["layout"])
        grain = None if entry["grain"] is None else Grain(entry["grain"])
        start, end = (None if day is None else dt.date.fromisoformat(day) for day in entry["span"])
        grace = dt.timedelta(microseconds=int(entry["grace_microseconds"]))
        bounds_sql = [(str(model), str(query)) for model, query in entry["bounds"]]
        note = entry.get("note")
        built, built_sql = entry["built"], str(entry["built_sql"])
        built_notes = [str(n) for n in entry["built_notes"]]
        where = entry["where"]
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(built, str):
        return None  # kept by --sql, which planned against no build
    if not entry.get("path"):
        return None
    flagged = fmt == "table" or completeness
    if not flagged:
        bounds_sql = []  # as the full path: bounds only where periods are marked
    from metricflow_lite.warehouse.readonly import run_duckdb_queries

    found = run_duckdb_queries(entry, [built_sql, sql, *(query for _, query in bounds_sql)])
    if found is None:
        return None
    (_, built_rows), (columns, rows), *bound_rows = found
    if built_rows != [(built,)]:
        return None  # planned against another build: the full path plans again
    covered = None
    # as the full path: without a grain, a range only when some model has a time column
    if flagged and (grain is not None or bounds_sql):
        bounds: list[DataBounds] = []
        for (model, _), (_, values) in zip(bounds_sql, bound_rows, strict=True):
            one = model_bounds(model, *values[0]) if values and len(values[0]) == 2 else None
            if one is not None:
                bounds.append(one)
        covered = query_completeness(
            columns, rows, grain, bounds, grace, None if grain is not None else (start, end)
        )
    complete = covered.flags if covered is not None else None
    notes = [f"note: {note}"] if note else []
    notes += built_notes
    if empty := no_rows_note(where if isinstance(where, str) else None, rows):
        notes.append(empty)
    period = grain.value if grain is not None else None
    if incomplete := incomplete_periods(
        columns, rows, period, complete, covered.range_label if covered else None
    ):
        notes.append(incomplete_note(period, incomplete))
    text = render_query_rows(columns, rows, fmt, layout, complete)
    return CachedAnswer(tuple(notes), text + "\n" if fmt == "table" else text)
