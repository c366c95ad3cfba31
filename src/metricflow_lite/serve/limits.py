"""The limits of a server: what one request may cost (`mfl serve` options and environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from metricflow_lite.errors import MflError


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may cost; every endpoint (HTTP and PostgreSQL) applies the same.

    max_rows:   rows one query may return (more is an error, E802; at most max_rows + 1 rows
                are ever fetched). `mfl serve --max-rows`, $MFL_SERVE_MAX_ROWS; default 10,000.
    timeout_s:  seconds one query may run before it is stopped (E803). `--timeout`,
                $MFL_SERVE_TIMEOUT; default 30.
    max_body_bytes: the largest request body (HTTP) or message (PostgreSQL) read; default 64 KiB.
    max_sql_chars:  the longest SQL text or --where accepted; default 100,000.
    memory_limit:   DuckDB's memory limit for the served copy; default 1GB.
    """

    max_rows: int = 10_000
    timeout_s: float = 30.0
    max_body_bytes: int = 64 * 1024
    max_sql_chars: int = 100_000
    memory_limit: str = "1GB"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        max_rows: int | None = None,
        timeout_s: float | None = None,
    ) -> Limits:
        """The limits from options (first) or the environment, checked (E800 when nonsense)."""
        rows = max_rows if max_rows is not None else _number(env, "MFL_SERVE_MAX_ROWS", int)
        seconds = timeout_s if timeout_s is not None else _number(env, "MFL_SERVE_TIMEOUT", float)
        limits = cls()
        if rows is not None:
            limits = replace(limits, max_rows=int(rows))
        if seconds is not None:
            limits = replace(limits, timeout_s=float(seconds))
        if limits.max_rows < 1 or not 0 < limits.timeout_s <= 3600:
            raise MflError(
                "E800",
                f"serve limits out of range: max rows {limits.max_rows}, timeout"
                f" {limits.timeout_s:g} s",
                None,
                "--max-rows is a whole number from 1, --timeout seconds from 0.1 to 3600",
            )
        return limits


def _number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> float | None:
    text = env.get(name)
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise MflError(
            "E800", f"${name} is not a number: {text!r}", None, f"unset it or export {name}=..."
        ) from None


__all__ = ["Limits"]
