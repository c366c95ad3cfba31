"""What a repeated command can skip: reading and checking the spec, when no file changed.

`mfl validate` and `mfl query` spend most of their time importing the compiler (sqlglot,
jinja2, yaml) and checking the spec, not on their answer. Their results are kept in
target/.mfl-cache/, keyed by a checksum of every file the spec is read from (the project file,
metrics/, models/, reports/, the seed .yml files; the size and time of each seed data file), of
mfl's own code and of the command's words; any change is a new key. This module imports no
part of the compiler, so a command served from the cache starts about as fast as a script.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CACHE_DIR = ".mfl-cache"
PROJECT_FILE = "metricflow_lite.yml"  # as spec/project.py
PROJECT_DIR_ENV = "MFL_PROJECT_DIR"
WATCHED = ("metrics", "models", "reports", "seeds")
READ_WHOLE = (".yml", ".yaml", ".sql", ".jinja", ".md")  # spec files: by content
FORMAT = 1
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


def key(root: Path, words: Sequence[str]) -> str | None:
    """The cache key of a command in a project; None when there is no project to key on."""
    config = root / PROJECT_FILE
    if not config.is_file():
        return None
    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT, sys.version, list(words)]).encode("utf-8"))
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("MFL_"))
    digest.update(json.dumps(env).encode("utf-8"))
    for path in _files(PACKAGE):  # mfl's own code: an upgrade or an edit is a new key
        if path.suffix in (".py", ".properties"):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update(config.read_bytes())
    for folder in WATCHED:
        for path in _files(root / folder):
            digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            if path.suffix in READ_WHOLE:
                digest.update(path.read_bytes())
            else:
                stat = path.stat()
                digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _path(root: Path, kind: str, cache_key: str) -> Path:
    return root / "target" / CACHE_DIR / f"{kind}-{cache_key[:32]}.json"


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
    path = _path(root, kind, cache_key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = list(path.parent.glob(f"{kind}-*.json"))
        if len(entries) >= 64:  # a bounded cache: start again
            for old in entries:
                old.unlink(missing_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({**data, "key": cache_key}), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        return
