"""Warehouses: the only code that talks to a database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metricflow_lite.warehouse.base import QueryResult, Statement, Warehouse

if TYPE_CHECKING:
    from metricflow_lite.spec.project import Project

__all__ = ["QueryResult", "Statement", "Warehouse", "connect"]


def connect(project: Project, target_name: str | None = None, read_only: bool = False) -> Warehouse:
    """Open the project's warehouse for the named (or default) target."""
    target = project.target(target_name)
    match target.type:
        case "postgres":
            from metricflow_lite.warehouse.postgres import PostgresWarehouse

            return PostgresWarehouse.open(project, target)
        case "spark":
            from metricflow_lite.warehouse.spark import SparkWarehouse

            return SparkWarehouse.open(project, target)
        case _:
            from metricflow_lite.warehouse.duckdb import DuckDBWarehouse

            return DuckDBWarehouse.open(project, target, read_only=read_only)
