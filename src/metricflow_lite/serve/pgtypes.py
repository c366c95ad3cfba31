"""PostgreSQL type OIDs and the text form of values, for the PostgreSQL endpoint (serve/pgwire.py).

A warehouse column's type name (DuckDB's `DECIMAL(18,3)`, `HUGEINT`, `TIMESTAMP WITH TIME ZONE`;
PostgreSQL's `INT8`, `NUMERIC`, `TIMESTAMPTZ`) maps to the PostgreSQL type a client decodes; each
value is sent in PostgreSQL's text format (what psql prints and every driver parses).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class PgType:
    """One PostgreSQL type: its OID, name (as format_type shows it), size (-1: variable) and
    the OID of its array type."""

    oid: int
    name: str
    typname: str
    size: int
    array_oid: int
    category: str


BOOL = PgType(16, "boolean", "bool", 1, 1000, "B")
BYTEA = PgType(17, "bytea", "bytea", -1, 1001, "U")
INT8 = PgType(20, "bigint", "int8", 8, 1016, "N")
INT2 = PgType(21, "smallint", "int2", 2, 1005, "N")
INT4 = PgType(23, "integer", "int4", 4, 1007, "N")
TEXT = PgType(25, "text", "text", -1, 1009, "S")
OID = PgType(26, "oid", "oid", 4, 1028, "N")
JSON = PgType(114, "json", "json", -1, 199, "U")
FLOAT4 = PgType(700, "real", "float4", 4, 1021, "N")
FLOAT8 = PgType(701, "double precision", "float8", 8, 1022, "N")
VARCHAR = PgType(1043, "character varying", "varchar", -1, 1015, "S")
DATE = PgType(1082, "date", "date", 4, 1182, "D")
TIME = PgType(1083, "time without time zone", "time", 8, 1183, "D")
TIMESTAMP = PgType(1114, "timestamp without time zone", "timestamp", 8, 1115, "D")
TIMESTAMPTZ = PgType(1184, "timestamp with time zone", "timestamptz", 8, 1185, "D")
INTERVAL = PgType(1186, "interval", "interval", 16, 1187, "T")
NUMERIC = PgType(1700, "numeric", "numeric", -1, 1231, "N")
UUID = PgType(2950, "uuid", "uuid", 16, 2951, "U")
NAME = PgType(19, "name", "name", 64, 1003, "S")
CHAR = PgType(18, '"char"', "char", 1, 1002, "S")
REGPROC = PgType(24, "regproc", "regproc", 4, 1008, "N")
REGCLASS = PgType(2205, "regclass", "regclass", 4, 2210, "N")
REGTYPE = PgType(2206, "regtype", "regtype", 4, 2211, "N")
UNKNOWN = PgType(705, "unknown", "unknown", -2, 0, "X")

ALL_TYPES: tuple[PgType, ...] = (
    BOOL,
    BYTEA,
    CHAR,
    NAME,
    INT8,
    INT2,
    INT4,
    REGPROC,
    TEXT,
    OID,
    JSON,
    FLOAT4,
    FLOAT8,
    UNKNOWN,
    VARCHAR,
    DATE,
    TIME,
    TIMESTAMP,
    TIMESTAMPTZ,
    INTERVAL,
    NUMERIC,
    REGCLASS,
    REGTYPE,
    UUID,
)
BY_OID: dict[int, PgType] = {t.oid: t for t in ALL_TYPES}

# Warehouse type names (upper case, without parameters) -> the PostgreSQL type a client sees.
# HUGEINT (DuckDB's sum and count of integers) is numeric: a value may exceed bigint.
_BY_NAME: dict[str, PgType] = {
    "BOOLEAN": BOOL,
    "BOOL": BOOL,
    "TINYINT": INT2,
    "UTINYINT": INT2,
    "SMALLINT": INT2,
    "INT2": INT2,
    "USMALLINT": INT4,
    "INTEGER": INT4,
    "INT": INT4,
    "INT4": INT4,
    "UINTEGER": INT8,
    "BIGINT": INT8,
    "INT8": INT8,
    "UBIGINT": NUMERIC,
    "HUGEINT": NUMERIC,
    "UHUGEINT": NUMERIC,
    "FLOAT": FLOAT4,
    "REAL": FLOAT4,
    "FLOAT4": FLOAT4,
    "DOUBLE": FLOAT8,
    "DOUBLE PRECISION": FLOAT8,
    "FLOAT8": FLOAT8,
    "DECIMAL": NUMERIC,
    "NUMERIC": NUMERIC,
    "VARCHAR": TEXT,
    "TEXT": TEXT,
    "STRING": TEXT,
    "CHARACTER VARYING": TEXT,
    "BPCHAR": TEXT,
    "CHAR": TEXT,
    "NAME": TEXT,
    "DATE": DATE,
    "TIME": TIME,
    "TIME WITHOUT TIME ZONE": TIME,
    "TIMESTAMP": TIMESTAMP,
    "TIMESTAMP WITHOUT TIME ZONE": TIMESTAMP,
    "TIMESTAMP_NS": TIMESTAMP,
    "TIMESTAMP_MS": TIMESTAMP,
    "TIMESTAMP_S": TIMESTAMP,
    "DATETIME": TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": TIMESTAMPTZ,
    "TIMESTAMPTZ": TIMESTAMPTZ,
    "INTERVAL": INTERVAL,
    "UUID": UUID,
    "BLOB": BYTEA,
    "BYTEA": BYTEA,
    "JSON": JSON,
    "OID": INT8,
}
_PARAMS = re.compile(r"\((\d+)\s*,\s*(\d+)\)")


def pg_type_of(type_name: str) -> PgType:
    """The PostgreSQL type for a warehouse type name; text for anything not listed (lists,
    structs, enums are sent as their text)."""
    name = type_name.strip().upper()
    if name.endswith("[]"):
        return TEXT
    base = name.split("(", 1)[0].strip()
    return _BY_NAME.get(base, TEXT)


def typmod_of(type_name: str) -> int:
    """The type modifier PostgreSQL stores for numeric(p, s); -1 for every other type."""
    found = _PARAMS.search(type_name)
    if found and pg_type_of(type_name) is NUMERIC:
        return ((int(found.group(1)) << 16) | int(found.group(2))) + 4
    return -1


def format_type(pg: PgType, typmod: int) -> str:
    """The type as PostgreSQL's format_type() writes it: numeric(18,3), integer, text."""
    if pg is NUMERIC and typmod >= 4:
        return f"numeric({(typmod - 4) >> 16},{(typmod - 4) & 0xFFFF})"
    return pg.name


def text_value(value: Any) -> bytes | None:
    """A value in PostgreSQL's text format (UTF-8), None for SQL NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        if math.isnan(value):
            return b"NaN"
        if math.isinf(value):
            return b"Infinity" if value > 0 else b"-Infinity"
        return repr(value).encode()
    if isinstance(value, Decimal):
        return (str(value) if value.is_finite() else "NaN").encode()
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
        if value.tzinfo is not None:
            text = re.sub(r"([+-]\d\d):00$", r"\1", text)  # +08:00 -> +08, as PostgreSQL writes it
        return text.encode()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat().encode()
    if isinstance(value, dt.timedelta):
        return _interval(value).encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return b"\\x" + bytes(value).hex().encode()
    if isinstance(value, uuid.UUID):
        return str(value).encode()
    if isinstance(value, list | tuple):
        return ("{" + ",".join(_array_item(v) for v in value) + "}").encode()
    return str(value).encode()


def _array_item(value: Any) -> str:
    text = text_value(value)
    if text is None:
        return "NULL"
    item = text.decode()
    if item == "" or any(c in item for c in ',{}"\\ ') or item.upper() == "NULL":
        return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return item


def _interval(value: dt.timedelta) -> str:
    days = value.days
    seconds = value.seconds + value.microseconds / 1_000_000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{int(hours):02d}:{int(minutes):02d}:{int(secs):02d}"
    if value.microseconds:
        clock += f".{value.microseconds:06d}".rstrip("0")
    return f"{days} days {clock}" if days else clock


__all__ = ["PgType", "pg_type_of", "text_value", "typmod_of", "format_type", "BY_OID"]
