"""Text encodings of CSV exports: detecting one, and transcoding a file to UTF-8 for the reader.

DuckDB's CSV reader takes UTF-8 (and latin-1, utf-16) only, so a GB18030 or Big5 export is
decoded strictly into a temporary UTF-8 file (1 MiB at a time: memory stays bounded whatever
the file's size), which the reader then loads in parallel like any other CSV. A large GB18030
or Big5 file is cut at line boundaries and decoded by one process per core; a byte that does
not decode is one error naming its physical line either way (nothing is loaded from the file).
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from typing_extensions import Buffer

from metricflow_lite.errors import Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile
from metricflow_lite.seeds.transcode_worker import decode_errors
from metricflow_lite.warehouse.base import SeedFormat

CHUNK = 1 << 20
SAMPLE = 1 << 20  # bytes `encoding: auto` looks at
NON_ASCII = re.compile(rb"[\x80-\xff]")
# Python's codec names for the encodings seeds/<table>.yml accepts
CODECS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "gb18030": "gb18030",
    "big5": "big5",
    "latin-1": "mfl_windows_1252",
}
NATIVE = ("utf-8", "utf-8-sig")  # read by DuckDB as they are (it skips a UTF-8 BOM)


# `latin-1` is read as Windows-1252, as browsers read it (the WHATWG Encoding Standard): a
# "latin-1" export from Windows is cp1252, and ISO-8859-1 would load its “ ” – € as C1 control
# characters. The five bytes cp1252 leaves undefined read as those controls, so any byte reads.
def _windows_1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_WINDOWS_1252 = "".join(_windows_1252_char(b) for b in range(256))
_WINDOWS_1252_ENCODE = codecs.charmap_build(_WINDOWS_1252)


class _Windows1252Decoder(codecs.IncrementalDecoder):
    def decode(self, input: Buffer, final: bool = False) -> str:  # noqa: A002 (codecs' name)
        return codecs.charmap_decode(input, self.errors, _WINDOWS_1252)[0]


def _windows_1252_codec(name: str) -> codecs.CodecInfo | None:
    if name != "mfl_windows_1252":
        return None
    return codecs.CodecInfo(
        name="mfl_windows_1252",
        encode=lambda text, errors="strict": codecs.charmap_encode(
            text, errors, _WINDOWS_1252_ENCODE
        ),
        decode=lambda data, errors="strict": codecs.charmap_decode(data, errors, _WINDOWS_1252),
        incrementaldecoder=_Windows1252Decoder,
    )


codecs.register(_windows_1252_codec)


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


# What `encoding: auto` chooses among when a file is neither UTF-8 nor UTF-16: the encodings
# seeds/<table>.yml accepts. Left to choose among all it knows, the detector takes a short Big5
# export for Shift_JIS and a GB18030 one with a four-byte character for cp1250, and the file
# loads as other characters without an error.
DETECTED = ("gb18030", "big5", "cp950", "big5hkscs", "cp1252", "latin_1")


def detect_encoding(seed: SeedFile) -> str:
    """The file's encoding as a Python codec name, judged from its first MiB that is not
    all ASCII."""
    with open_bytes(seed) as handle:
        return detect_bytes(telling_sample(handle))


def telling_sample(handle: BinaryIO) -> bytes:
    """The first MiB of the file, or when that is all ASCII (a GBK export whose Chinese starts
    further down: ASCII is valid UTF-8, and UTF-8 was chosen for it), a MiB from the line
    where the first other byte is."""
    sample = handle.read(SAMPLE)
    if not sample.isascii() or utf16_order(sample) is not None:
        return sample
    while chunk := handle.read(SAMPLE):
        if not chunk.isascii():
            found = NON_ASCII.search(chunk)
            start = chunk.rfind(b"\n", 0, found.start() if found else len(chunk)) + 1
            return chunk[start:] + handle.read(start)
    return sample


def resolve_encoding(seed: SeedFile, declared: str) -> str:
    """The encoding to read this file in: `auto` detected, UTF-8 with its byte-order mark left
    out, and UTF-16 given its byte order (by the byte-order mark, or for a file without one
    by where its zero bytes are)."""
    if declared == "auto":
        return detect_encoding(seed)
    if declared not in ("utf-8", "utf-16", "utf-16le", "utf-16be"):
        return declared
    with open_bytes(seed) as handle:
        sample = handle.read(SAMPLE if declared != "utf-8" else len(codecs.BOM_UTF8))
    if declared == "utf-8":
        # Excel's "CSV UTF-8" starts with a BOM: read as part of the first header, it kept
        # header_row: auto from finding the header on line 1
        return "utf-8-sig" if sample == codecs.BOM_UTF8 else declared
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the mark says the order, and is not read as a character
    if declared != "utf-16":
        return declared
    return utf16_order(sample) or declared


def utf16_order(sample: bytes) -> str | None:
    """utf-16-le or utf-16-be for UTF-16 text without a byte-order mark, told by its zero
    bytes: every ASCII character of it (digits, commas, line ends) has one, on the same side.
    UTF-8, GB18030, Big5 and latin-1 text has none (a stray NUL in a cell is not enough)."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    high, low, order = (odd, even, "utf-16-le") if odd >= even else (even, odd, "utf-16-be")
    if high < 2 or high * 20 < pairs or low * 10 > high:
        return None
    try:
        text = codecs.getincrementaldecoder(order)().decode(sample[: pairs * 2], final=False)
    except UnicodeDecodeError:
        return None
    # a line end read as such, or ASCII text (one line, or lines longer than the sample)
    return order if "\n" in text or high * 2 >= pairs else None


def detect_bytes(sample: bytes) -> str:
    """utf-8-sig / utf-16 by their BOM, UTF-16 without one by its zero bytes, utf-8 when the
    bytes decode as such, else the best guess of charset-normalizer (a maintained detector)
    among the other encodings seeds accept, else gb18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if order := utf16_order(sample):
        return order
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(DETECTED)).best()
    if best is None:
        return _likelier_chinese(sample)
    found = codecs.lookup(best.encoding).name
    if found in ("cp1252", "iso8859-1"):
        return "latin-1"  # read as Windows-1252 either way
    if found in ("cp950", "big5hkscs"):
        return "big5"  # which reads their extensions too
    # GBK and GB2312 are subsets of GB18030: a later line with a rarer character still decodes
    return "gb18030" if found in ("gbk", "gb2312", "hz") else found


COMMON_HAN = re.compile("[\u4e00-\u9fff]")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _likelier_chinese(sample: bytes) -> str:
    """gb18030 or big5 for a sample the detector could not judge (a few short lines with
    Big5's Windows or Hong Kong extensions): the one that decodes it into the more common
    Chinese characters. GB18030 decodes almost any bytes, Big5 read as GB18030 gives rare and
    private-use characters."""
    scores = {}
    for encoding in ("gb18030", "big5"):
        decoder = codecs.getincrementaldecoder(encoding)(errors=decode_errors(encoding))
        try:
            text = decoder.decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        scores[encoding] = len(COMMON_HAN.findall(text)) - 10 * len(PRIVATE_USE.findall(text))
    return max(scores, key=lambda e: scores[e]) if scores else "gb18030"


def likely_encoding(seed: SeedFile, tried: str) -> str | None:
    """A guess at the encoding a file that is not `tried` text is really in."""
    try:
        with open_bytes(seed) as handle:
            sample = telling_sample(handle)
    except MflError:
        return None
    guess = detect_bytes(sample)
    same = (
        codecs.lookup(CODECS.get(guess, guess)).name == codecs.lookup(CODECS.get(tried, tried)).name
    )
    return None if same else guess


# Encodings in which a 0x0A byte is always a newline (no multibyte character holds one), so a
# file can be cut after any of them and its parts decoded apart: GB18030's trail bytes are
# 0x30-0x39, 0x40-0x7E and 0x80-0xFE, Big5's 0x40-0x7E and 0xA1-0xFE.
SPLITTABLE = ("gb18030", "big5")
PARALLEL_MIN = 8 << 20  # bytes from which a file is decoded in parts
MAX_PARTS = 4


@dataclass(frozen=True, slots=True)
class Transcoded:
    """A CSV export rewritten as UTF-8 from its header line on."""

    lines: int  # physical lines written
    skipped: int  # lines above the header that were left out (a title, an export date)


def cr_lines(seed: SeedFile) -> bool:
    """True for a file whose lines end in a carriage return alone (Excel for Mac's "CSV
    (Macintosh)"): no line feed in its first MiB, and a carriage return."""
    with open_bytes(seed) as handle:
        sample = handle.read(SAMPLE)
    return b"\r" in sample and b"\n" not in sample


def transcode(
    seed: SeedFile, encoding: str, out: Path, skip_lines: int, cr: bool = False
) -> Transcoded:
    """Write the file as UTF-8 to `out`, leaving out its first `skip_lines` lines; a byte
    sequence invalid in `encoding` is E115, naming the line and a likely encoding. With `cr`,
    lines that end in a carriage return alone are written ending in a line feed.

    A large plain file in an encoding whose multibyte characters never hold a newline byte is
    cut at line boundaries and its parts decoded side by side, one process per core."""
    codec = codecs.lookup(CODECS.get(encoding, encoding)).name
    if cr:
        return _transcode_serial(seed, encoding, codec, out, skip_lines, cr)
    if (
        seed.format is SeedFormat.CSV
        and codec in SPLITTABLE
        and (os.cpu_count() or 1) > 1
        and seed.path.stat().st_size >= PARALLEL_MIN
    ):
        done = _transcode_parts(seed, encoding, codec, out, skip_lines)
        if done is not None:
            return done
    return _transcode_serial(seed, encoding, codec, out, skip_lines)


def _transcode_serial(
    seed: SeedFile, encoding: str, codec: str, out: Path, skip_lines: int, cr: bool = False
) -> Transcoded:
    from metricflow_lite.seeds.transcode_worker import Utf8Lines

    name = CODECS.get(encoding, encoding)
    decoder = codecs.getincrementaldecoder(name)(errors=decode_errors(name))
    utf8 = Utf8Lines() if codec in SPLITTABLE else None  # GB18030 and Big5: see utf8_line
    lines = 0  # lines of the export decoded so far
    written = 0
    last = "\n"
    with open_bytes(seed) as source, out.open("w", encoding="utf-8", newline="") as target:
        while True:
            chunk = source.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                line = lines + chunk[: max(err.start, 0)].count(b"\r" if cr else b"\n") + 1
                raise invalid_text(seed, encoding, line) from None
            except UnicodeError:  # utf-16 without a byte-order mark
                raise invalid_text(seed, encoding, 1) from None
            if cr:
                text = text.replace("\r", "\n")
                chunk = chunk.replace(b"\r", b"\n")  # for the UTF-8 line check's numbers
            found = utf8.check(chunk) if utf8 is not None else None
            if found is not None:
                raise utf8_text(seed, encoding, found)
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


def utf8_text(seed: SeedFile, encoding: str, line: int) -> MflError:
    if likely_encoding(seed, encoding) in ("utf-8", "utf-8-sig"):
        # all of it UTF-8, not a line typed in by another program: "save that line in
        # gb18030 like the rest" would send the user looking for a rest that is not there
        return MflError(
            "E115",
            f"{seed.file} is UTF-8 text, not {encoding}: its Chinese would load as other"
            " characters",
            Location(seed.file, line),
            f"set encoding: utf-8 (or auto, which detects each file's encoding) in"
            f" seeds/{seed.table}.yml; nothing was loaded from it",
        )
    return MflError(
        "E115",
        f"{seed.file} is {encoding} text, but line {line:,} is UTF-8 (typed in by another"
        " program): its Chinese would load as other characters",
        Location(seed.file, line),
        f"save that line in {encoding} like the rest, or the whole file as UTF-8 (encoding:"
        f" auto, or utf-8, in seeds/{seed.table}.yml); nothing was loaded from it",
    )


def decode_head(seed: SeedFile, encoding: str, lines: int) -> list[str]:
    """The first `lines` lines of the file as text (for finding its header)."""
    name = CODECS.get(encoding, encoding)
    decoder = codecs.getincrementaldecoder(name)(errors=decode_errors(name))
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


def _transcode_parts(
    seed: SeedFile, encoding: str, codec: str, out: Path, skip_lines: int
) -> Transcoded | None:
    """transcode() in parts: the lines above the header decoded here, the rest cut after a
    newline into one part per core, the first decoded in this process and the others each in a
    worker process; the parts are then joined into `out`. None when a worker could not run (the
    caller decodes the file in one pass then)."""
    from metricflow_lite.seeds import transcode_worker

    size = seed.path.stat().st_size
    with seed.path.open("rb") as handle:
        begin, skipped = _skip_lines(seed, encoding, handle, skip_lines)
        cuts = [begin]
        parts = min(os.cpu_count() or 1, MAX_PARTS)
        for k in range(1, parts):
            handle.seek(max(begin + (size - begin) * k // parts, cuts[-1]))
            window = handle.read(CHUNK)
            newline = window.find(b"\n")
            if newline >= 0 and handle.tell() - len(window) + newline + 1 < size:
                cuts.append(handle.tell() - len(window) + newline + 1)
    bounds = list(zip(cuts, [*cuts[1:], size], strict=True))
    paths = [out] + [out.with_name(f"{out.name}.part{k}") for k in range(1, len(bounds))]
    worker = str(Path(transcode_worker.__file__))
    reports = [path.with_name(f"{path.name}.json") for path in paths]
    try:
        launched = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    worker,
                    str(seed.path),
                    str(lo),
                    str(hi),
                    codec,
                    str(path),
                    str(report),
                ],
                stdout=subprocess.DEVNULL,
            )
            for (lo, hi), path, report in zip(bounds[1:], paths[1:], reports[1:], strict=True)
        ]
    except OSError:
        return None
    results: list[dict[str, object]] = []
    failed = False
    try:
        results.append(transcode_range_here(seed, bounds[0], codec, out))
        for process, report in zip(launched, reports[1:], strict=True):
            failed = process.wait() != 0 or failed
            try:
                results.append(dict(json.loads(report.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                failed = True
    finally:
        for process in launched:  # when this process's own part failed (a full disk)
            if process.poll() is None:
                process.kill()
                process.wait()
    try:
        if failed:
            return None
        lines = skipped
        for result in results:
            if "bad_line" in result:
                raise invalid_text(seed, encoding, lines + int(str(result["bad_line"])))
            if "utf8_line" in result:
                raise utf8_text(seed, encoding, lines + int(str(result["utf8_line"])))
            lines += int(str(result["newlines"]))
        with out.open("ab") as target:
            for path in paths[1:]:
                with path.open("rb") as part:
                    shutil.copyfileobj(part, target, 1 << 22)
    finally:
        for path in [*paths[1:], *reports[1:]]:
            path.unlink(missing_ok=True)
    last = next((r for r in reversed(results) if not r["empty"]), None)
    written = lines - skipped + (last is not None and not last["ends_with_newline"])
    return Transcoded(written, skipped)


def transcode_range_here(
    seed: SeedFile, bounds: tuple[int, int], codec: str, out: Path
) -> dict[str, object]:
    from metricflow_lite.seeds.transcode_worker import transcode_range

    return transcode_range(str(seed.path), bounds[0], bounds[1], codec, str(out))


def _skip_lines(
    seed: SeedFile, encoding: str, handle: BinaryIO, skip_lines: int
) -> tuple[int, int]:
    """The byte offset after the first `skip_lines` lines, and how many there were; their bytes
    must decode too (a bad byte in a title line is E115 like any other)."""
    if not skip_lines:
        return 0, 0
    head = b""
    while head.count(b"\n") < skip_lines:
        chunk = handle.read(1 << 16)
        if not chunk:
            break
        head += chunk
    cut = 0
    skipped = 0
    while skipped < skip_lines:
        newline = head.find(b"\n", cut)
        if newline < 0:  # fewer lines than that: all of it is above the header
            cut = len(head)
            break
        cut = newline + 1
        skipped += 1
    try:
        name = CODECS.get(encoding, encoding)
        head[:cut].decode(name, errors=decode_errors(name))
    except UnicodeDecodeError as err:
        raise invalid_text(seed, encoding, head[: err.start].count(b"\n") + 1) from None
    return cut, skipped
