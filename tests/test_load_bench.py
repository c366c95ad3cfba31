"""Throughput of mfl seed against a plain DuckDB read_csv of the same ~1M-row file."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from metricflow_lite.load import load_seeds
from metricflow_lite.project import load_project
from metricflow_lite.warehouse.duckdb import DuckDBWarehouse

ROWS = 1_000_000


def write_calls(path: Path) -> None:
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT 'L' || i AS leg_id, 'C' || (i // 2) AS call_id, i % 2 + 1 AS leg_seq,"
            " 'Q' || (i % 13) AS queue, 'A' || (i % 250) AS agent_id, '华东' AS region,"
            " TIMESTAMP '2024-08-01 08:00:00' + to_seconds(i) AS offered_ts,"
            " i % 600 AS talk_seconds, i % 60 AS hold_seconds, 'completed' AS disposition"
            f" FROM range({ROWS}) t(i)) TO '{path}' (HEADER)"
        )


@pytest.mark.slow
def test_seed_throughput_is_at_least_70_percent_of_plain_read_csv(tmp_path: Path) -> None:
    (tmp_path / "metricflow_lite.yml").write_text("name: bench\n", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    write_calls(tmp_path / "seeds" / "call_legs.csv")
    csv_path = tmp_path / "seeds" / "call_legs.csv"
    plain, ours = [], []
    for attempt in range(3):
        db = tmp_path / f"plain{attempt}.duckdb"
        start = time.perf_counter()
        with duckdb.connect(str(db)) as con:
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
        plain.append(time.perf_counter() - start)
        (tmp_path / "target" / "warehouse.duckdb").unlink(missing_ok=True)
        start = time.perf_counter()
        project = load_project(tmp_path)
        warehouse = DuckDBWarehouse.open(project, project.target())
        summary = load_seeds(project, warehouse)
        warehouse.close()
        ours.append(time.perf_counter() - start)
        assert summary.rows == ROWS
    ratio = min(plain) / min(ours)
    print(f"plain {min(plain):.2f}s, mfl seed {min(ours):.2f}s, throughput ratio {ratio:.2f}")
    assert ratio >= 0.7
