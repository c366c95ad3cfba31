"""Render diagnostics for people (text with source lines), machines (json) and CI (github)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from metricflow_lite.errors import Diagnostic, Severity
from metricflow_lite.text import display_width


def render_text(
    diagnostics: Iterable[Diagnostic], root: Path | None = None, color: bool = False
) -> str:
    """Each diagnostic as `file:line:col: severity CODE: message`, the source line and a hint."""
    blocks = []
    for diag in diagnostics:
        where = f"{diag.loc}: " if diag.loc else ""
        severity = diag.severity.value
        if color:
            shade = "31" if diag.severity is Severity.ERROR else "33"
            severity = f"\x1b[1;{shade}m{severity}\x1b[0m"
        lines = [f"{where}{severity} {diag.code}: {diag.message}"]
        lines.extend(_source_excerpt(diag, root))
        if diag.hint:
            lines.append(f"  hint: {diag.hint}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _source_excerpt(diag: Diagnostic, root: Path | None) -> list[str]:
    loc = diag.loc
    if loc is None or loc.line <= 0 or root is None:
        return []
    try:
        text = (root / loc.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if loc.line > len(text):
        return []
    number = str(loc.line)
    gutter = " " * len(number)
    line = text[loc.line - 1]
    excerpt = [f"   {number} | {line}"]
    if loc.col > 0:
        # A CJK label before the spot takes two terminal columns a character: pad and underline
        # by display width, so that the caret stays under the spot (col counts characters).
        before = line[: loc.col - 1]
        pad = "".join("\t" if char == "\t" else " " * display_width(char) for char in before)
        marked = display_width(line[loc.col - 1 : loc.col - 1 + loc.length])
        excerpt.append(f"   {gutter} | {pad}{'^' * max(marked, 1)}")
    return excerpt


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list of diagnostics with file, line, col, severity, code, message, hint."""
    return json.dumps(
        [
            {
                "file": d.loc.file if d.loc else None,
                "line": d.loc.line if d.loc else None,
                "col": d.loc.col if d.loc else None,
                "severity": d.severity.value,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
            }
            for d in diagnostics
        ],
        ensure_ascii=False,
        indent=2,
    )


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands, so errors show on the changed line of a pull request."""
    out = []
    for d in diagnostics:
        level = "error" if d.severity is Severity.ERROR else "warning"
        props = []
        if d.loc:
            props.append(f"file={_property(d.loc.file)}")
            if d.loc.line:
                props.append(f"line={d.loc.line}")
            if d.loc.col:
                props.append(f"col={d.loc.col}")
        props.append(f"title={d.code}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        out.append(f"::{level} {','.join(props)}::{message}")
    return "\n".join(out)


def _property(value: str) -> str:
    """A workflow-command property value: '%', newlines, ':' and ',' escaped."""
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )
