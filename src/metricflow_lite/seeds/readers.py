"""Reading seed files: checksums, line counts, headers, and each file made ready for the
warehouse's reader (a UTF-8 CSV from its header line on, or parquet)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import itertools
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from metricflow_lite.errors import Location, MflError
from metricflow_lite.seeds import encodings, excel
from metricflow_lite.seeds.descriptor import HEADER_AUTO, SeedFile, SeedTable
from metricflow_lite.warehouse.base import CsvOptions, SeedFormat

HEADER_SEARCH = 50  # rows header_row: auto looks through

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A file's checksum and physical line count (after decompression; 0 for parquet)."""

    sha256: str
    lines: int


def inspect_file(seed: SeedFile) -> FileFacts:
    """The file's sha256 and, for CSV, its physical line count (a last line without \\n counts)."""
    digest = hashlib.sha256()
    try:
        if seed.format is SeedFormat.CSV_GZ:
            lines = _gzip_lines(seed.path, digest)
        else:
            lines = 0
            last = b"\n"
            with seed.path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
            lines += last != b"\n"
            if seed.format in (SeedFormat.PARQUET, SeedFormat.XLSX, SeedFormat.XLS):
                lines = 0
    except OSError as err:
        raise _unreadable(seed, err.strerror or str(err)) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _unreadable(seed, f"not a valid gzip file ({err})") from None
    return FileFacts(digest.hexdigest(), lines)


def _gzip_lines(path: Path, digest: hashlib._Hash) -> int:
    # One pass: the checksum is of the bytes on disk, the line count of the text inside.
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            data = inflate.decompress(chunk)
            while data or inflate.unconsumed_tail:
                lines += data.count(b"\n")
                last = data[-1:] or last
                data = (
                    inflate.decompress(inflate.unconsumed_tail) if inflate.unconsumed_tail else b""
                )
            while inflate.eof and inflate.unused_data:  # concatenated gzip members
                rest = inflate.unused_data
                inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
                data = inflate.decompress(rest)
                lines += data.count(b"\n")
                last = data[-1:] or last
    if not inflate.eof:
        raise EOFError("the file ends before the compressed data does")
    return lines + (last != b"\n")


def _unreadable(seed: SeedFile, why: str) -> MflError:
    return MflError(
        "E107",
        f"cannot read {seed.file}: {why}",
        Location(seed.file),
        "check that the file is complete and readable, then run 'mfl seed' again",
    )


def read_header(seed: SeedFile, options: CsvOptions) -> tuple[str, ...]:
    """The column names on the first line of a UTF-8 CSV file; () for an empty file."""
    try:
        with encodings.open_bytes(seed) as handle:
            reader = csv.reader(
                _utf8_lines(seed, handle),
                delimiter=options.delimiter,
                quotechar=options.quote,
                escapechar=None if options.escape == options.quote else options.escape,
                doublequote=options.escape == options.quote,
            )
            first = next(reader, None)
    except csv.Error as err:
        raise MflError(
            "E105", f"cannot read the header of {seed.file}: {err}", Location(seed.file, 1)
        ) from None
    if first is None:
        return ()
    names = tuple(name.strip() for name in first)
    if not options.header:
        return names
    if not named_count(names):
        # a blank row where header_row says the header is: "column 1 has no name" sent the
        # user to name columns that were not there
        raise MflError(
            "E105",
            f"the header of {seed.file} is an empty line",
            Location(seed.file, 1),
            f"set header_row: in seeds/{seed.table}.yml to the line (sheet row) holding the"
            " header, or header_row: auto with the from: headers under columns:",
        )
    seen: set[str] = set()
    for index, name in enumerate(names[: named_count(names)], start=1):
        if not name or name in seen:
            what = f"column {index} has no name" if not name else f"column '{name}' appears twice"
            raise MflError(
                "E105",
                f"in the header of {seed.file}, {what}",
                Location(seed.file, 1),
                "give every column a distinct name on the first line",
            )
        seen.add(name)
    return names


def named_count(names: tuple[str, ...]) -> int:
    """The header's fields up to its last named one: exports that end every line with a
    delimiter (`a,b,`), or a sheet with a note right of the table, have empty ones after it."""
    count = len(names)
    while count and not names[count - 1]:
        count -= 1
    return count


def _utf8_lines(seed: SeedFile, handle: BinaryIO) -> Iterator[str]:
    """The file's lines decoded one at a time: a bad byte further down is the reader's to
    find, with its line number."""
    number = 0
    while line := handle.readline(1 << 20):
        number += 1
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise encodings.invalid_text(seed, "utf-8", number) from None


@dataclass(frozen=True, slots=True)
class ReadyFile:
    """A seed file as the warehouse's reader takes it."""

    path: Path  # the export itself, or a UTF-8 CSV written from it into a scratch folder
    format: SeedFormat  # CSV, CSV_GZ or PARQUET
    csv: CsvOptions  # how to split `path` (UTF-8 unless the export is read as it is)
    header: tuple[str, ...]  # the header as the export writes it (() for parquet)
    lines: int  # physical lines of `path`, header included
    line_offset: int  # lines (sheet rows) of the export above `path`'s first line
    encoding: str  # the export's encoding ("" for parquet and Excel)
    line_breaks: bool = False  # an Excel sheet's line breaks in cells, hidden in `path`
    padding: int = 0  # fields after the header's last named one (`a,b,`): no column, no value


def _padded(ready: ReadyFile) -> ReadyFile:
    """The file with its header cut after its last named field, the rest counted as padding."""
    named = named_count(ready.header)
    if not ready.csv.header or named == len(ready.header) or not named:
        return ready
    return replace(ready, header=ready.header[:named], padding=len(ready.header) - named)


def ready_file(seed: SeedFile, table: SeedTable, facts: FileFacts, scratch: Path) -> ReadyFile:
    """The file made ready for the reader: Excel sheets and non-UTF-8 text are written out as
    UTF-8 CSV, and lines above the header (a title, an export date) are left out."""
    out = scratch / f"{len(list(scratch.iterdir()))}.csv"
    if seed.format is SeedFormat.PARQUET:
        return ReadyFile(seed.path, seed.format, table.csv, (), 0, 0, "")
    if seed.format in (SeedFormat.XLSX, SeedFormat.XLS):
        return _ready_sheet(seed, table, out)
    options = table.csv
    encoding = encodings.resolve_encoding(seed, options.encoding)
    header_index = _header_index(seed, table, encoding)
    cr = encodings.cr_lines(seed)
    if encodings.CODECS.get(encoding) in encodings.NATIVE and header_index == 0 and not cr:
        header = read_header(seed, replace(options, encoding="utf-8"))
        return _padded(
            ReadyFile(
                seed.path,
                seed.format,
                replace(options, encoding="utf-8"),
                header,
                facts.lines,
                0,
                encoding,
            )
        )
    done = encodings.transcode(seed, encoding, out, header_index, cr)
    if not done.lines and done.skipped:
        raise _no_header_row(seed, table, done.skipped, "line")
    ready = SeedFile(seed.table, out, seed.file, SeedFormat.CSV)
    options = replace(options, encoding="utf-8")
    header = read_header(ready, options) if done.lines else ()
    return _padded(
        ReadyFile(out, SeedFormat.CSV, options, header, done.lines, done.skipped, encoding)
    )


def _wanted_headers(table: SeedTable) -> set[str]:
    """The headers header_row: auto looks for: the from: ones (a column declared only for its
    type may be one that later exports add), else every declared column's name."""
    if table.sources:
        return {header for _, header in table.sources}
    return {name for name, _ in table.columns}


def _header_index(seed: SeedFile, table: SeedTable, encoding: str) -> int:
    """The 0-based line of the header: header_row - 1, or the first line holding every
    declared column's header (header_row: auto)."""
    if table.header_row != HEADER_AUTO:
        return table.header_row - 1
    head = encodings.decode_head(seed, encoding, HEADER_SEARCH)
    options = table.csv
    rows = csv.reader(
        head,
        delimiter=options.delimiter,
        quotechar=options.quote,
        doublequote=options.escape == options.quote,
    )
    return _find_header(seed, table, ([c.strip() for c in row] for row in rows))


def _find_header(seed: SeedFile, table: SeedTable, rows: Iterator[list[str]]) -> int:
    wanted = _wanted_headers(table)
    first: list[str] = []
    for index, row in enumerate(rows):
        if index >= HEADER_SEARCH:
            break
        first = first or [c for c in row if c]
        if wanted <= set(row):
            return index
    raise MflError(
        "E116",
        f"no row among the first {HEADER_SEARCH} of {seed.file} holds every"
        f" {'from:' if table.sources else 'declared'} header"
        f" ({', '.join(sorted(wanted))})",
        Location(seed.file, 1),
        f"the first row reads: {', '.join(first[:8]) or '(empty)'}; check the from: headers in"
        f" seeds/{seed.table}.yml, or set header_row: to the header's line number",
    )


def _no_header_row(seed: SeedFile, table: SeedTable, there: int, unit: str) -> MflError:
    """header_row below the file's last line: every line would be above the header and the
    file would load as empty, its rows lost without a word."""
    return MflError(
        "E116",
        f"seeds/{table.name}.yml puts the header on {unit} {table.header_row}, but {seed.file}"
        f" has {there:,} {unit}{'s' * (there != 1)}",
        Location(table.descriptor or seed.file),
        f"set header_row: to the {unit} holding the header (or auto, with the from: headers"
        " under columns:)",
    )


def _ready_sheet(seed: SeedFile, table: SeedTable, out: Path) -> ReadyFile:
    rows = excel.sheet_rows(seed, table.sheet)  # read once: a big sheet takes seconds
    fixed = table.header_row - 1
    head = list(itertools.islice(rows, max(HEADER_SEARCH, fixed + 1)))
    if table.header_row == HEADER_AUTO:
        texts = ([excel.cell_text(c, "VARCHAR").strip() for c in row] for row in head)
        header_index = _find_header(seed, table, texts)
    else:
        header_index = fixed
    if head and header_index >= len(head):
        raise _no_header_row(seed, table, len(head), "row")
    if seed.format is SeedFormat.XLSX:
        cell = excel.uncalculated_formula(seed, table.sheet, header_index + 1)
        if cell is not None:
            raise MflError(
                "E118",
                f"cell {cell} of {seed.file} holds a formula whose value was never calculated"
                " (the program that wrote the workbook left that to Excel): its rows would load"
                " without it",
                Location(seed.file, int("".join(c for c in cell if c.isdigit()))),
                "open the workbook in Excel or LibreOffice and save it (that calculates it), or"
                " export values; nothing was loaded from it",
            )
    header = (
        [excel.cell_text(c, "VARCHAR").strip() for c in head[header_index]]
        if header_index < len(head)
        else []
    )
    renames = table.renames()
    formats = dict(table.formats)
    kinds = [
        (
            table.declared_type(renames.get(name, name)) or "VARCHAR",
            formats.get(renames.get(name, name)),
        )
        for name in header
    ]

    def kind_of(position: int) -> excel.Kind:
        return kinds[position] if position < len(kinds) else ("VARCHAR", None)

    epoch = excel.workbook_epoch(seed)
    lines, breaks = excel.write_sheet(
        itertools.chain(head, rows), header_index, kind_of, out, epoch
    )
    options = CsvOptions(header=table.csv.header)
    ready = SeedFile(seed.table, out, seed.file, SeedFormat.CSV)
    names = read_header(ready, options) if lines else ()
    names = tuple(excel.restore_breaks(name) for name in names)
    return _padded(ReadyFile(out, SeedFormat.CSV, options, names, lines, header_index, "", breaks))


def peek_header(seed: SeedFile, table: SeedTable) -> tuple[str, ...]:
    """A CSV or Excel file's header as `mfl seed` finds it (encoding, header_row, sheet), read
    from the top of the file only (for mfl validate)."""
    if seed.format in (SeedFormat.XLSX, SeedFormat.XLS):
        head = list(itertools.islice(excel.sheet_rows(seed, table.sheet), HEADER_SEARCH))
        texts = [[excel.cell_text(c, "VARCHAR").strip() for c in row] for row in head]
        if table.header_row == HEADER_AUTO:
            index = _find_header(seed, table, iter(texts))
        else:
            index = table.header_row - 1
        names = tuple(texts[index]) if index < len(texts) else ()
        return names[: named_count(names) or None]
    encoding = encodings.resolve_encoding(seed, table.csv.encoding)
    index = _header_index(seed, table, encoding)
    options = table.csv
    lines = encodings.decode_head(seed, encoding, index + 1)[index:]
    rows = csv.reader(
        lines,
        delimiter=options.delimiter,
        quotechar=options.quote,
        doublequote=options.escape == options.quote,
    )
    first = next(rows, None)
    names = tuple(name.strip() for name in first) if first else ()
    return names[: named_count(names) or None] if table.csv.header else names
