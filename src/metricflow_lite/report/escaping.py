"""Text from data and YAML made harmless for where it is read: a spreadsheet, Markdown, a terminal.

Labels and dimension values come from users' exports and YAML, so a report must never let them act
as a formula (CSV, Excel), as HTML or link markup (Markdown), or as a terminal control sequence.
"""

from __future__ import annotations

import re

# OWASP "CSV injection": a cell that starts with one of these is read as a formula by Excel,
# LibreOffice and Google Sheets; tab and CR start one too after the program strips them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# ESC-introduced sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, two-byte `ESC x`),
# their 8-bit C1 forms, then any other C0/C1 control character and DEL.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, to BEL or ST (or the end)
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[ -~]?"  # any other escape
)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Markdown: punctuation that can start emphasis, a link or image, code or a strikeout, or end a
# table cell; `<`, `>` and `&` become entities, so no HTML tag or autolink survives.
# An underscore inside a word (`center_daily`) never starts emphasis in GFM, so it stays bare.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")


def spreadsheet_text(text: str) -> str:
    """A text cell for CSV: prefixed with `'` when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would take the text for a formula (OWASP's list)."""
    return text.startswith(FORMULA_STARTS)


def terminal_text(text: str) -> str:
    """Text that prints as itself: escape sequences and control characters removed, line
    breaks and tabs as one space (a cell stays on its line)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    return _CONTROL.sub("", text)


def markdown_text(text: str) -> str:
    """Text that Markdown shows as written: no HTML, no links, no emphasis, one line."""
    text = terminal_text(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def chart_title(text: str) -> str:
    """An xlsx chart title that xlsxwriter keeps as text: it reads `Sheet!A1` (with or without
    `=`) as a cell reference, so a zero-width word joiner goes after the first `!`."""
    head, bang, tail = text.partition("!")
    return f"{head}!\u2060{tail}" if bang else text
