"""The PostgreSQL endpoint's errors: each MflError code with the SQLSTATE a client shows.

E802 row limit (54000 program_limit_exceeded), E803 time limit (57014 query_canceled),
E820 (and the snapshot's E805) a refused statement or function (42501 insufficient_privilege),
E821 SQL that does not parse (42601 syntax_error), E822 an unknown relation (42P01
undefined_table), E823 a query that mixes the catalog and the warehouse (0A000
feature_not_supported), E824 a wrong password (28P01), E825 a protocol violation (08P01),
E826 an unbound parameter (42P02), E827 a statement in a failed transaction (25P02), E828 the
endpoint cannot listen, E829 too many connections (53300), E830 a statement that nests too deep
to be checked (54001 statement_too_complex); an engine's own refusal is E806
(42000), a relation the build has not made E312 (42P01).
"""

from __future__ import annotations

import re

from metricflow_lite.errors import MflError

SQLSTATE: dict[str, str] = {
    "E312": "42P01",
    "E801": "25006",
    "E802": "54000",
    "E803": "57014",
    "E804": "57P03",
    "E806": "42000",
    "E820": "42501",
    "E821": "42601",
    "E822": "42P01",
    "E823": "0A000",
    "E805": "42501",
    "E899": "XX000",
    "E824": "28P01",
    "E825": "08P01",
    "E826": "42P02",
    "E827": "25P02",
    "E828": "08006",
    "E829": "53300",
    "E830": "54001",
}
_MISSING = re.compile(
    r"Catalog Error: (Table|View|Schema) with name \S+ does not exist"
    r'|(relation|schema) "[^"]+" does not exist'
)
_MISSING_COLUMN = re.compile(r"Referenced column \S+ not found|column \S+ does not exist")


def sqlstate_of(err: MflError) -> str:
    """The SQLSTATE for an error; 42703 for an unknown column the engine named."""
    if err.code in ("E806", "E312") and _MISSING_COLUMN.search(err.message):
        return "42703"
    return SQLSTATE.get(err.code, "XX000")


def refused(reason: str, hint: str | None = None) -> MflError:
    return MflError(
        "E820",
        f"refused: {reason}",
        None,
        hint or "this endpoint is read-only: SELECT (and WITH ... SELECT) on app, ind and src",
    )
