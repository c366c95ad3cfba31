"""What every warehouse offers the rest of mfl: run SQL, fetch rows, apply a build atomically."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Rows fetched from a warehouse, with their column names."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a build, with what it builds (for error messages)."""

    sql: str
    what: str  # e.g. "model models/source/call_legs.sql" or "indicator ind.call_legs_day"
    layer: str = ""


class Warehouse(Protocol):
    """A connection to one target."""

    dialect: str
    target_name: str

    def execute(self, sql: str) -> None:
        """Run one statement that returns nothing."""

    def fetch(self, sql: str) -> QueryResult:
        """Run one query and return all its rows."""

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema, sorted."""

    def apply_build(self, statements: Sequence[Statement], schemas: Sequence[str]) -> None:
        """Replace the given schemas with what the statements create, all or nothing."""

    def close(self) -> None:
        """Release the connection (and any file lock)."""
