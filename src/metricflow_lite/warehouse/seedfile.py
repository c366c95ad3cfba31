"""A seed CSV read for engines that load rows from Python (PostgreSQL COPY, Spark DataFrames).

The rules mirror the DuckDB loader: every column arrives as text, an empty field is NULL, a
line whose field count differs from the header's (or that is not UTF-8) goes to raw._rejects
with its line number, and a file whose checksum is already in raw._loads is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from metricflow_lite.errors import Location, MflError

Row = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Reject:
    """A line that could not be loaded: where it is, its text and why."""

    line: int
    raw_text: str
    reason: str


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file's header, good rows (with their 1-based line numbers) and rejected lines."""

    table: str
    file: str  # relative to the project, as recorded in raw._loads
    checksum: str  # sha256 of the bytes
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Row], ...]
    rejects: tuple[Reject, ...]


def read_seed(path: Path, file: str) -> SeedFile:
    """Parse one CSV seed; bad lines become rejects, never errors."""
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    lines = data.split(b"\n")
    if data.startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    header_text = lines[0].decode("utf-8", errors="replace").rstrip("\r")
    columns = tuple(next(csv.reader([header_text]), []))
    if not columns or any(not c.strip() for c in columns):
        raise MflError(
            "E401",
            f"{file} has no header line (or an empty column name)",
            Location(file, 1),
            "the first line names the columns, e.g. leg_id,call_id,offered_ts",
        )
    rows: list[tuple[int, Row]] = []
    rejects: list[Reject] = []
    text_lines: list[tuple[int, str]] = []
    for number, raw in enumerate(lines[1:], start=2):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append(Reject(number, raw.decode("utf-8", "replace"), "not UTF-8"))
            continue
        text_lines.append((number, text.rstrip("\r")))
    # A quoted field may hold a newline: let csv join physical lines into records.
    numbers = [n for n, _ in text_lines]
    reader = csv.reader(io.StringIO("\n".join(t for _, t in text_lines)))
    for record in reader:
        number = numbers[min(reader.line_num - 1, len(numbers) - 1)] if numbers else 2
        if not record or record == [""]:
            continue
        if len(record) != len(columns):
            rejects.append(
                Reject(
                    number,
                    ",".join(record),
                    f"{len(record)} fields, expected {len(columns)}",
                )
            )
            continue
        rows.append((number, tuple(value if value != "" else None for value in record)))
    return SeedFile(
        table=path.stem,
        file=file,
        checksum=checksum,
        columns=tuple(c.strip() for c in columns),
        rows=tuple(rows),
        rejects=tuple(sorted(rejects, key=lambda r: r.line)),
    )


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What loading one seed file did: rows added, lines rejected, or skipped as loaded before."""

    table: str
    file: str
    rows: int
    rejected: int
    skipped: bool
