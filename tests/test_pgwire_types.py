"""serve/pgtypes.py and the binary formats of serve/pgwire.py: values as PostgreSQL writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metricflow_lite.serve import pgtypes
from metricflow_lite.serve.pgwire import _numeric_from_binary, decode_parameter, numeric_binary


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, b"t"),
        (12, b"12"),
        (2.5, b"2.5"),
        (float("nan"), b"NaN"),
        (float("-inf"), b"-Infinity"),
        (Decimal("1.50"), b"1.50"),
        (dt.date(2024, 2, 29), b"2024-02-29"),
        (dt.datetime(2024, 1, 1, 9, 0, 5), b"2024-01-01 09:00:05"),
        (
            dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            b"2024-01-01 09:00:00+08",
        ),
        (dt.timedelta(days=2, seconds=3661), b"2 days 01:01:01"),
        ("华东", "华东".encode()),
        ([1, None, "a b"], b'{1,NULL,"a b"}'),
        (b"\x00\xff", b"\\x00ff"),
        (None, None),
    ],
)
def test_text_values(value: object, text: bytes | None) -> None:
    assert pgtypes.text_value(value) == text


@pytest.mark.parametrize(
    ("type_name", "oid", "shown"),
    [
        ("INTEGER", 23, "integer"),
        ("BIGINT", 20, "bigint"),
        ("HUGEINT", 1700, "numeric"),
        ("DECIMAL(18,3)", 1700, "numeric(18,3)"),
        ("DOUBLE", 701, "double precision"),
        ("VARCHAR", 25, "text"),
        ("DATE", 1082, "date"),
        ("TIMESTAMP WITH TIME ZONE", 1184, "timestamp with time zone"),
        ("INT8", 20, "bigint"),
        ("VARCHAR[]", 25, "text"),
    ],
)
def test_warehouse_types(type_name: str, oid: int, shown: str) -> None:
    pg = pgtypes.pg_type_of(type_name)
    assert pg.oid == oid
    assert pgtypes.format_type(pg, pgtypes.typmod_of(type_name)) == shown


@pytest.mark.parametrize(
    "text", ["0", "1", "10000", "12345.678", "-0.001", "3.14159", "99999999.5"]
)
def test_numeric_binary_round_trip(text: str) -> None:
    assert _numeric_from_binary(numeric_binary(Decimal(text))) == Decimal(text)
    assert decode_parameter(numeric_binary(Decimal(text)), 1, 1700) == str(Decimal(text))
