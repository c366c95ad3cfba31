"""One byte range of a text export decoded strictly and written out as UTF-8.

Run in a process of its own by `encodings.transcode` (Python's multibyte decoders hold the GIL,
so threads would not run side by side):
`python -I -S transcode_worker.py SOURCE START END CODEC OUT RESULT`. It imports the standard
library only, so that it starts in milliseconds. It writes one JSON object to the file RESULT:
`{"newlines": N, "ends_with_newline": B, "empty": B}`, or `{"bad_line": L}` with L the 1-based
line, counted from START, of the first bytes that do not decode.
"""

from __future__ import annotations

import codecs
import json
import sys

CHUNK = 1 << 20


def transcode_range(source: str, start: int, end: int, codec: str, out: str) -> dict[str, object]:
    """Decode bytes [start, end) of `source` as `codec` into the UTF-8 file `out`; the range
    begins and ends on a line boundary, so it is decoded as a whole (final at its end)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
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
