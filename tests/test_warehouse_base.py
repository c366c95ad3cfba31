"""warehouse.base: what the engines share, here the line between "not built" and a real error."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from metricflow_lite.errors import MflError
from metricflow_lite.warehouse.base import fetch_built
from metricflow_lite.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    built = DuckDBWarehouse.in_memory()
    built.execute("CREATE SCHEMA app")
    built.execute("CREATE VIEW app.daily AS SELECT DATE '2025-01-01' AS day, 3 AS offered")
    yield built
    built.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM app.weekly",  # a view of a report added since the build
        "SELECT day, handled FROM app.daily",  # a column of a metric added since the build
        "SELECT * FROM ind.daily",  # a schema the build has not made
    ],
    ids=["view", "column", "schema"],
)
def test_an_object_missing_from_the_build_asks_for_a_build(
    warehouse: DuckDBWarehouse, sql: str
) -> None:
    with pytest.raises(MflError) as raised:
        fetch_built(warehouse, sql)
    assert raised.value.code == "E312"


def test_other_engine_errors_are_not_read_as_a_missing_build(warehouse: DuckDBWarehouse) -> None:
    # a function unknown to the engine is a bug in the generated SQL, not a stale build
    with pytest.raises(duckdb.CatalogException, match="no_such_function"):
        fetch_built(warehouse, "SELECT no_such_function(offered) FROM app.daily")


def test_built_objects_are_read(warehouse: DuckDBWarehouse) -> None:
    assert fetch_built(warehouse, "SELECT offered FROM app.daily").rows == ((3,),)
