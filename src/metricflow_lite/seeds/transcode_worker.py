"""One byte range of a text export decoded strictly and written out as UTF-8.

Run in a process of its own by `encodings.transcode` (Python's multibyte decoders hold the GIL,
so threads would not run side by side):
`python -I -S transcode_worker.py SOURCE START END CODEC OUT RESULT`. It imports the standard
library only, so that it starts in milliseconds. It writes one JSON object to the file RESULT:
`{"newlines": N, "ends_with_newline": B, "empty": B}`, or `{"bad_line": L}` with L the 1-based
line, counted from START, of the first bytes that do not decode, or `{"utf8_line": L}` with L
the first line that is UTF-8 text (see utf8_line).
"""

from __future__ import annotations

import codecs
import json
import re
import sys

CHUNK = 1 << 20
BIG5_ERRORS = "mfl-big5-extensions"


def big5_extensions(err: UnicodeError) -> tuple[str, int]:
    """A pair of bytes Python's Big5 does not know, read as the Big5 that Windows (cp950:
    裏 恒 碁 €) or Hong Kong (HKSCS: 嘅 咗) writes; still an error when neither knows it."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    pair = bytes(err.object[err.start : err.start + 2])
    for codec in ("cp950", "big5hkscs"):
        try:
            return pair.decode(codec), err.start + 2
        except UnicodeDecodeError:
            pass
    raise err


codecs.register_error(BIG5_ERRORS, big5_extensions)


def decode_errors(codec: str) -> str:
    """The error handler a strict decode of `codec` runs with."""
    return BIG5_ERRORS if codecs.lookup(codec).name == "big5" else "strict"


# Chinese characters and full-width forms: what a UTF-8 line in a Chinese export holds
CHINESE = re.compile("[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]")


def utf8_line(block: bytes) -> int | None:
    """In whole lines of a GB18030 or Big5 export, the 0-based number of the first line that is
    UTF-8 text with Chinese in it (typed in by another program), else None.

    Such a line decodes as GB18030 too, into other characters (售后 into 鍞悗), so the strict
    decoder cannot see it. Real GB18030 lines almost never form valid UTF-8 with Chinese in it
    (none of 215,000 distinct lines of the demo's exports did): a line that does is UTF-8."""
    text = block.decode("utf-8", "replace")
    for match in CHINESE.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        if "\ufffd" not in text[start : end if end >= 0 else len(text)]:
            return text.count("\n", 0, start)
    return None


class Utf8Lines:
    """utf8_line over a file read in chunks: each chunk's whole lines, the rest carried on."""

    def __init__(self) -> None:
        self.tail = b""
        self.lines = 0  # lines checked so far

    def check(self, chunk: bytes) -> int | None:
        """The 1-based line (of all chunks so far) of the first UTF-8 line, else None; an
        empty chunk (the end) checks what is left."""
        block = self.tail + chunk
        cut = block.rfind(b"\n") + 1 if chunk else len(block)
        found = utf8_line(block[:cut])
        if found is not None:
            return self.lines + found + 1
        self.lines += block.count(b"\n", 0, cut)
        self.tail = block[cut:]
        return None


def transcode_range(source: str, start: int, end: int, codec: str, out: str) -> dict[str, object]:
    """Decode bytes [start, end) of `source` as `codec` into the UTF-8 file `out`; the range
    begins and ends on a line boundary, so it is decoded as a whole (final at its end)."""
    decoder = codecs.getincrementaldecoder(codec)(errors=decode_errors(codec))
    utf8 = Utf8Lines()
    newlines = 0
    last = ""
    with open(source, "rb") as handle, open(out, "w", encoding="utf-8", newline="") as target:
        handle.seek(start)
        left = end - start
        while True:
            chunk = handle.read(min(CHUNK, left)) if left > 0 else b""
            left -= len(chunk)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                return {"bad_line": newlines + chunk[: max(err.start, 0)].count(b"\n") + 1}
            found = utf8.check(chunk)
            if found is not None:
                return {"utf8_line": found}
            if text:
                newlines += text.count("\n")
                target.write(text)
                last = text[-1]
            if not chunk:
                break
    return {"newlines": newlines, "ends_with_newline": last == "\n", "empty": not last}


def main(argv: list[str]) -> int:
    source, start, end, codec, out, result = argv
    found = transcode_range(source, int(start), int(end), codec, out)
    with open(result, "w", encoding="utf-8") as handle:
        json.dump(found, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
