"""`mfl init`: a small project that runs as it is, to copy and grow."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from metricflow_lite.errors import MflError
from metricflow_lite.spec.project import PROJECT_FILE


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.startswith(("__", ".")):
            continue
        name = f"{prefix}{item.name}"
        if item.is_dir():
            found.extend(_files(item, name + "/"))
        else:
            found.append((name, item))
    return found


def create_project(destination: Path) -> list[Path]:
    """Write the scaffold into a new or empty folder; the files written, relative to it."""
    if (destination / PROJECT_FILE).exists():
        raise MflError(
            "E030",
            f"{destination} already holds a project ({PROJECT_FILE})",
            None,
            "choose a new folder name: mfl init my_center",
        )
    if destination.exists() and any(destination.iterdir()):
        raise MflError(
            "E031",
            f"{destination} is not empty",
            None,
            "run 'mfl init' with a new folder name so nothing of yours is overwritten",
        )
    written = []
    for name, item in _files(resources.files("metricflow_lite") / "scaffold"):
        path = destination / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.read_bytes())
        written.append(Path(name))
    (destination / ".gitignore").write_text("target/\n", encoding="utf-8")
    return written
