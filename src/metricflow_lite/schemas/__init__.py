"""JSON Schemas of the project's YAML files, shipped with the package for editors."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_FILES = {
    "metrics": "metrics.json",
    "reports": "reports.json",
    "project": "project.json",
}


def schema_text(kind: str) -> str:
    """The JSON Schema of one kind of file (metrics, reports, project) as text."""
    return resources.files(__package__).joinpath(SCHEMA_FILES[kind]).read_text(encoding="utf-8")


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file as a mapping."""
    data: dict[str, Any] = json.loads(schema_text(kind))
    return data
