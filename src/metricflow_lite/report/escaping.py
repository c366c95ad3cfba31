"""Text from data and YAML made harmless for where it is read: a spreadsheet, Markdown, a terminal.

Labels and dimension values come from users' exports and YAML, so a report must never let them act
as a formula (CSV, Excel), as HTML or link markup (Markdown), or as a terminal control sequence.
"""

from __future__ import annotations

import re

from metricflow_lite.text import terminal_text as terminal_text

# OWASP "CSV injection": a cell that starts with one of these is read as a formula by Excel,
# LibreOffice and Google Sheets; tab and CR start one too after the program strips them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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
