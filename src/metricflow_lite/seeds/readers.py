"""Reading seed files: checksums, line counts, headers."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from metricflow_lite.errors import Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile
from metricflow_lite.warehouse.base import CsvOptions, SeedFormat

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
            if seed.format is SeedFormat.PARQUET:
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
    """The column names on the first line of a CSV file; () for an empty file."""
    encoding = "utf-8-sig" if options.encoding == "utf-8" else options.encoding
    try:
        with _open_text(seed, encoding) as text:
            reader = csv.reader(
                text,
                delimiter=options.delimiter,
                quotechar=options.quote,
                escapechar=None if options.escape == options.quote else options.escape,
                doublequote=options.escape == options.quote,
            )
            first = next(reader, None)
    except OSError as err:
        raise _unreadable(seed, err.strerror or str(err)) from None
    except UnicodeDecodeError:
        raise MflError(
            "E107",
            f"the header of {seed.file} is not {options.encoding} text",
            Location(seed.file, 1),
            f"set encoding: in seeds/{seed.table}.yml, or convert the file to UTF-8",
        ) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _unreadable(seed, f"not a valid gzip file ({err})") from None
    except csv.Error as err:
        raise MflError(
            "E105", f"cannot read the header of {seed.file}: {err}", Location(seed.file, 1)
        ) from None
    if first is None:
        return ()
    names = tuple(name.strip() for name in first)
    if not options.header:
        return names
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
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


def _open_text(seed: SeedFile, encoding: str) -> io.TextIOBase:
    if seed.format is SeedFormat.CSV_GZ:
        return io.TextIOWrapper(gzip.open(seed.path, "rb"), encoding=encoding, newline="")
    codecs.lookup(encoding)
    return io.TextIOWrapper(seed.path.open("rb"), encoding=encoding, newline="")
