"""Interval grains (15min joins 30min, hour, day ...) and spans, on tests/fixtures/hours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke

from metricflow_lite.spec.model import Grain


@pytest.fixture(scope="module")
def hours_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("intervals") / "hours"
    shutil.copytree(FIXTURES / "hours", project, ignore=shutil.ignore_patterns("target"))
    result = invoke("run", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    return project


def query_rows(project: Path, *args: str) -> list[dict[str, object]]:
    result = invoke("query", "--project-dir", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_15min_is_finer_than_30min_hour_and_day() -> None:
    assert Grain("15min") is Grain.MIN15 and Grain.MIN15.intraday
    for coarser in (Grain.MIN30, Grain.HOUR, Grain.DAY, Grain.WEEK, Grain.MONTH):
        assert coarser.covers(Grain.MIN15)
    assert not Grain.MIN15.covers(Grain.MIN30)


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        # calls at 09:02, 09:10, 09:29:59, 09:45 and 10:31 on 2024-10-14
        ("15min", {"09:00": 2, "09:15": 1, "09:45": 1, "10:30": 1}),
        ("30min", {"09:00": 3, "09:30": 1, "10:30": 1}),
        ("hour", {"09:00": 4, "10:00": 1}),
    ],
    ids=["15min", "30min", "hour"],
)
def test_calls_per_interval(hours_built: Path, grain: str, expected: dict[str, int]) -> None:
    rows = query_rows(hours_built, "--metrics", "offered_calls", "--grain", grain)
    got = {str(r[grain])[11:16]: r["offered_calls"] for r in rows}
    assert got == expected
