"""Text encodings of CSV exports: detecting one, and transcoding a file to UTF-8 for the reader.

DuckDB's CSV reader takes UTF-8 (and latin-1, utf-16) only, so a GB18030 or Big5 export is
decoded in one streaming pass into a temporary UTF-8 file (1 MiB at a time: memory stays
bounded whatever the file's size), which the reader then loads like any other CSV.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from metricflow_lite.errors import Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile
from metricflow_lite.warehouse.base import SeedFormat

CHUNK = 1 << 20
SAMPLE = 1 << 20  # bytes `encoding: auto` looks at
# Python's codec names for the encodings seeds/<table>.yml accepts
CODECS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "gb18030": "gb18030",
    "big5": "big5",
    "latin-1": "latin-1",
}
NATIVE = ("utf-8", "utf-8-sig")  # read by DuckDB as they are (it skips a UTF-8 BOM)


@contextmanager
def open_bytes(seed: SeedFile) -> Iterator[BinaryIO]:
    """The file's bytes, inflated when it is a .csv.gz."""
    try:
        if seed.format is SeedFormat.CSV_GZ:
            with gzip.open(seed.path, "rb") as handle:
                yield handle  # type: ignore[misc]
        else:
            with seed.path.open("rb") as handle:
                yield handle
    except OSError as err:
        raise unreadable(seed, err.strerror or str(err)) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise unreadable(seed, f"not a valid gzip file ({err})") from None


def unreadable(seed: SeedFile, why: str) -> MflError:
    return MflError(
        "E107",
        f"cannot read {seed.file}: {why}",
        Location(seed.file),
        "check that the file is complete and readable, then run 'mfl seed' again",
    )


def detect_encoding(seed: SeedFile) -> str:
    """The file's encoding as a Python codec name, judged from its first MiB."""
    with open_bytes(seed) as handle:
        sample = handle.read(SAMPLE)
    return detect_bytes(sample)


def detect_bytes(sample: bytes) -> str:
    """utf-8-sig / utf-16 by their BOM, utf-8 when the bytes decode as such, else the best
    guess of charset-normalizer (a maintained detector), else gb18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return "gb18030"
    found = codecs.lookup(best.encoding).name
    # GBK and GB2312 are subsets of GB18030: a later line with a rarer character still decodes
    return "gb18030" if found in ("gbk", "gb2312", "hz") else found


def likely_encoding(seed: SeedFile, tried: str) -> str | None:
    """A guess at the encoding a file that is not `tried` text is really in."""
    try:
        with open_bytes(seed) as handle:
            sample = handle.read(SAMPLE)
    except MflError:
        return None
    guess = detect_bytes(sample)
    return None if codecs.lookup(guess).name == codecs.lookup(tried).name else guess


@dataclass(frozen=True, slots=True)
class Transcoded:
    """A CSV export rewritten as UTF-8 from its header line on."""

    lines: int  # physical lines written
    skipped: int  # lines above the header that were left out (a title, an export date)


def transcode(seed: SeedFile, encoding: str, out: Path, skip_lines: int) -> Transcoded:
    """Write the file as UTF-8 to `out`, leaving out its first `skip_lines` lines; a byte
    sequence invalid in `encoding` is E115, naming the line and a likely encoding."""
    decoder = codecs.getincrementaldecoder(CODECS.get(encoding, encoding))(errors="strict")
    lines = 0  # lines of the export decoded so far
    written = 0
    last = "\n"
    with open_bytes(seed) as source, out.open("w", encoding="utf-8", newline="") as target:
        while True:
            chunk = source.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                line = lines + chunk[: max(err.start, 0)].count(b"\n") + 1
                raise invalid_text(seed, encoding, line) from None
            except UnicodeError:  # utf-16 without a byte-order mark
                raise invalid_text(seed, encoding, 1) from None
            if text:
                count = text.count("\n")
                if lines < skip_lines:
                    cut = 0
                    for _ in range(min(skip_lines - lines, count)):
                        cut = text.index("\n", cut) + 1
                    kept = text[cut:] if lines + count >= skip_lines else ""
                else:
                    kept = text
                lines += count
                if kept:
                    target.write(kept)
                    written += kept.count("\n")
                    last = kept[-1]
            if not chunk:
                break
    return Transcoded(written + (last != "\n"), min(skip_lines, lines))


def invalid_text(seed: SeedFile, encoding: str, line: int) -> MflError:
    guess = likely_encoding(seed, encoding)
    hint = f"set encoding: {guess} in seeds/{seed.table}.yml" if guess else "re-export it"
    return MflError(
        "E115",
        f"{seed.file} is not valid {encoding} text (first bad bytes on line {line:,})"
        + (f"; it looks like {guess}" if guess else ""),
        Location(seed.file, line),
        hint + " (or encoding: auto to detect each file's encoding); nothing was loaded from it",
    )


def decode_head(seed: SeedFile, encoding: str, lines: int) -> list[str]:
    """The first `lines` lines of the file as text (for finding its header)."""
    decoder = codecs.getincrementaldecoder(CODECS.get(encoding, encoding))(errors="strict")
    text = ""
    with open_bytes(seed) as handle:
        while text.count("\n") < lines:
            chunk = handle.read(1 << 16)
            try:
                text += decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                line = text.count("\n") + chunk[: max(err.start, 0)].count(b"\n") + 1
                raise invalid_text(seed, encoding, line) from None
            except UnicodeError:  # utf-16 without a byte-order mark
                raise invalid_text(seed, encoding, 1) from None
            if not chunk:
                break
    return text.splitlines(keepends=True)[:lines]
