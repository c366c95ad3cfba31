"""JSON Schemas of the YAML files: valid, accepting the shipped YAML, equal to the parser's keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from metricflow_lite.cli import cli
from metricflow_lite.schemas import load_schema
from metricflow_lite.spec import cases, parse
from metricflow_lite.spec.model import Agg, ChartKind, Comparison, Format, Grain
from metricflow_lite.spec.project import DEFAULT_PATHS, KNOWN_KEYS, TARGET_TYPES, WeekStart

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SCAFFOLD = ROOT / "src" / "metricflow_lite" / "scaffold"


def as_editor_sees(value: Any) -> Any:
    """YAML as a language server checks it: dates and times are text."""
    if isinstance(value, dict):
        return {str(k): as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def yaml_files() -> list[tuple[str, Path]]:
    found = []
    for project in [ROOT, SCAFFOLD, *sorted(p for p in FIXTURES.iterdir() if p.is_dir())]:
        if (project / "metricflow_lite.yml").is_file():
            found.append(("project", project / "metricflow_lite.yml"))
        for kind in ("metrics", "reports"):
            found.extend((kind, p) for p in sorted((project / kind).rglob("*.yml")))
    return found


FILES = yaml_files()


@pytest.mark.parametrize("kind", ["metrics", "reports", "project"])
def test_schema_is_valid_json_schema(kind: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema(kind))


@pytest.mark.parametrize(("kind", "path"), FILES, ids=[str(p.relative_to(ROOT)) for _, p in FILES])
def test_shipped_yaml_follows_the_schema(kind: str, path: Path) -> None:
    data = as_editor_sees(yaml.safe_load(path.read_text(encoding="utf-8")))
    jsonschema.validate(data, load_schema(kind), cls=jsonschema.Draft202012Validator)


def keys(node: dict[str, Any]) -> set[str]:
    return set(node["properties"])


def test_schema_keys_equal_the_parser_keys() -> None:
    metrics = load_schema("metrics")
    defs = metrics["$defs"]
    assert keys(metrics) == set(parse.METRICS_FILE_KEYS)
    assert keys(defs["model"]) == set(parse.MODEL_KEYS)
    assert keys(defs["dimension"]["oneOf"][1]) == set(parse.DIMENSION_KEYS)
    assert keys(defs["metric"]) == set(parse.METRIC_KEYS)
    assert keys(defs["target"]) == set(parse.TARGET_KEYS)
    assert keys(defs["indicator"]) == set(parse.INDICATOR_KEYS)
    assert keys(defs["test"]) == set(cases.CASE_KEYS)
    assert keys(defs["test"]["properties"]["given"]["additionalProperties"]["oneOf"][1]) == set(
        cases.GIVEN_KEYS
    )
    reports = load_schema("reports")
    assert keys(reports) == set(parse.REPORTS_FILE_KEYS)
    assert keys(reports["$defs"]["report"]) == set(parse.REPORT_KEYS)
    assert keys(reports["$defs"]["chart"]) == set(parse.CHART_KEYS)
    project = load_schema("project")
    assert keys(project) == set(KNOWN_KEYS)
    assert keys(project["properties"]["paths"]) == set(DEFAULT_PATHS)


def test_schema_choices_equal_the_enums() -> None:
    defs = load_schema("metrics")["$defs"]
    metric = defs["metric"]["properties"]
    assert metric["agg"]["enum"] == [a.value for a in Agg]
    assert metric["format"]["enum"] == [f.value for f in Format]
    assert defs["indicator"]["properties"]["grain"]["enum"] == [g.value for g in Grain]
    report = load_schema("reports")["$defs"]
    assert report["report"]["properties"]["compare"]["oneOf"][0]["items"]["enum"] == [
        c.value for c in Comparison
    ]
    assert report["chart"]["properties"]["type"]["enum"] == [c.value for c in ChartKind]
    project = load_schema("project")["properties"]
    assert project["week_start"]["enum"] == [w.value for w in WeekStart]
    assert project["targets"]["additionalProperties"]["properties"]["type"]["enum"] == list(
        TARGET_TYPES
    )


def test_schema_rejects_a_misspelled_key() -> None:
    data = {"metrics": [{"name": "aht", "expr": "a / b", "fliter": "x"}]}
    with pytest.raises(jsonschema.ValidationError, match="fliter"):
        jsonschema.validate(data, load_schema("metrics"))


@pytest.mark.parametrize("kind", ["metrics", "reports", "project"])
def test_mfl_schema_prints_the_shipped_schema(kind: str) -> None:
    result = CliRunner().invoke(cli, ["schema", kind], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.output) == load_schema(kind)
