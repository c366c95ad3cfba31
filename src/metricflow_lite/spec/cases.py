"""Metric unit tests from YAML: given rows per source model, a query, the expected values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metricflow_lite.errors import Location, MflError
from metricflow_lite.spec.loader import YMap, YSeq, read_yaml, relative_name
from metricflow_lite.spec.model import Grain
from metricflow_lite.spec.parse import (
    Collector,
    check_keys,
    expect,
    items_of,
    name_of,
    parse_enum,
    require,
)

CASE_FILE_KEYS = ("version", "tests")
CASE_KEYS = ("name", "description", "given", "metrics", "by", "grain", "expect", "tolerance")
GIVEN_KEYS = ("columns", "rows")
DEFAULT_TOLERANCE = 1e-9

# A YAML scalar as a test row holds it: text, a number, a flag, a date or a time, or null.
Scalar = str | int | float | bool | dt.date | dt.datetime | None


@dataclass(frozen=True, slots=True)
class GivenRows:
    """Rows of one source-layer model (src.<model>) as the metrics see them."""

    model: str
    columns: tuple[str, ...]  # in order of first appearance
    types: tuple[tuple[str, str], ...]  # declared DuckDB types (`columns:`)
    rows: tuple[tuple[Scalar, ...], ...]  # aligned with columns; absent keys are None
    loc: Location


@dataclass(frozen=True, slots=True)
class ExpectedRow:
    """One row of the expected result: its keys (period, dimensions) and metric values."""

    values: tuple[tuple[str, Scalar], ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class MetricCase:
    """One metric unit test."""

    name: str
    loc: Location
    metrics: tuple[str, ...]
    given: tuple[GivenRows, ...]
    expect: tuple[ExpectedRow, ...]
    by: tuple[str, ...] = ()
    grain: Grain | None = None
    tolerance: float = DEFAULT_TOLERANCE
    description: str | None = None
    metric_locs: tuple[Location, ...] = ()  # where each of `metrics` is written
    by_loc: Location | None = None  # where `by` is written


def case_nodes(root: Path, metrics_dir: Path, out: Collector) -> list[tuple[YMap, Location]]:
    """The test mappings under `tests:` in metrics/*.yml and metrics/tests/*.yml."""
    found: list[tuple[YMap, Location]] = []
    if not metrics_dir.is_dir():
        return found
    files = sorted(p for p in metrics_dir.rglob("*") if p.suffix in (".yml", ".yaml"))
    for path in files:
        in_tests = "tests" in path.relative_to(metrics_dir).parts[:-1]
        try:
            data = read_yaml(path, root)
        except MflError as err:
            if in_tests:  # metrics files report their own syntax errors
                out.catch(err)
            continue
        if data is None:
            continue
        file = relative_name(path, root)
        if not isinstance(data, YMap):
            if in_tests:
                out.error("E203", f"{file} must be a mapping with 'tests:'", Location(file, 1, 1))
            continue
        if in_tests:
            check_keys(data, CASE_FILE_KEYS, file, out)
        for item, loc in items_of(data, "tests", file, out):
            if isinstance(item, YMap):
                found.append((item, loc))
            else:
                out.error("E203", "each entry of 'tests' must be a mapping", loc)
    return found


def parse_case(node: YMap, out: Collector) -> MetricCase | None:
    """A metric test from its mapping; problems go to `out`."""
    name = name_of(node, "a test", out)
    where = f"test '{name}'" if name else "a test"
    check_keys(node, CASE_KEYS, where, out)
    ok = require(node, "metrics", where, out, "metrics: [abandonment_rate]")
    ok = require(node, "given", where, out, "given: {calls: [{leg_id: L1, ...}]}") and ok
    ok = require(node, "expect", where, out, "expect: [{week: 2024-12-30, metric: 0.25}]") and ok
    listed = items_of(node, "metrics", where, out)
    metrics = tuple(str(m) for m, _ in listed)
    by = tuple(str(d) for d, _ in items_of(node, "by", where, out))
    grain = None
    if node.get("grain") is not None:
        grain = parse_enum(Grain, node["grain"], node.value_loc("grain"), f"grain of {where}", out)
    tolerance = DEFAULT_TOLERANCE
    if "tolerance" in node:
        value = node["tolerance"]
        if expect(value, (int, float), node.value_loc("tolerance"), f"tolerance of {where}", out):
            tolerance = float(value)
    given = _given(node, where, out)
    expected = []
    for row, loc in items_of(node, "expect", where, out):
        if not isinstance(row, YMap):
            out.error("E203", f"each expected row of {where} must be a mapping", loc)
            continue
        expected.append(ExpectedRow(tuple((str(k), _scalar(v)) for k, v in row.items()), loc))
    if name is None or not ok:
        return None
    return MetricCase(
        name=name,
        loc=node.value_loc("name"),
        metrics=metrics,
        given=given,
        expect=tuple(expected),
        by=by,
        grain=grain,
        tolerance=tolerance,
        description=str(node["description"]) if node.get("description") else None,
        metric_locs=tuple(loc for _, loc in listed),
        by_loc=node.value_loc("by") if "by" in node else None,
    )


def _given(node: YMap, where: str, out: Collector) -> tuple[GivenRows, ...]:
    raw = node.get("given")
    if raw is None:
        return ()
    if not isinstance(raw, YMap):
        out.error(
            "E203",
            f"'given' of {where} must map model names to rows",
            node.value_loc("given"),
            "given: {calls: [{leg_id: L1, leg_seq: 1}]}",
        )
        return ()
    found = []
    for model, value in raw.items():
        loc = raw.key_loc(model)
        types: dict[str, str] = {}
        rows_value: Any = value
        if isinstance(value, YMap):
            check_keys(value, GIVEN_KEYS, f"rows of '{model}' in {where}", out)
            declared = value.get("columns")
            if isinstance(declared, YMap):
                types = {str(k): str(v) for k, v in declared.items()}
            elif declared is not None:
                out.error(
                    "E203",
                    f"'columns' of '{model}' in {where} must map column names to types",
                    value.value_loc("columns"),
                    "columns: {offered_ts: TIMESTAMP, handle_seconds: INTEGER}",
                )
            rows_value = value.get("rows") or YSeq()
        if not isinstance(rows_value, list):
            out.error("E203", f"rows of '{model}' in {where} must be a list of mappings", loc)
            continue
        columns: list[str] = list(types)
        mappings: list[YMap] = []
        for i, row in enumerate(rows_value):
            if not isinstance(row, YMap):
                item_loc = rows_value.item_loc(i) if isinstance(rows_value, YSeq) else loc
                out.error("E203", f"a row of '{model}' in {where} must be a mapping", item_loc)
                continue
            mappings.append(row)
            columns.extend(str(k) for k in row if str(k) not in columns)
        rows = tuple(tuple(_scalar(row.get(c)) for c in columns) for row in mappings)
        found.append(GivenRows(str(model), tuple(columns), tuple(types.items()), rows, loc))
    return tuple(found)


def _scalar(value: Any) -> Scalar:
    if value is None or isinstance(value, (str, int, float, bool, dt.date, dt.datetime)):
        return value
    return str(value)


def parse_cases(
    root: Path, metrics_dir: Path, out: Collector, select: Sequence[str] = ()
) -> list[MetricCase]:
    """Every metric test of the project (only the named ones when `select` is given)."""
    cases = []
    for node, _ in case_nodes(root, metrics_dir, out):
        case = parse_case(node, out)
        if case is not None and (not select or case.name in select):
            cases.append(case)
    return cases
