"""The one error type for anything the user can fix, with a place and a way out."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a project file: path relative to the project, 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0
    length: int = 0  # characters to underline; 0 = just the caret

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, line_offset: int, col: int, length: int = 0) -> Location:
        """The location of a spot inside this value (for errors inside an expression)."""
        if line_offset == 0:
            return Location(self.file, self.line, self.col + col, length)
        return Location(self.file, self.line + line_offset, col + 1, length)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a project."""

    code: str
    message: str
    loc: Location | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.loc or Location("")
        return (loc.file, loc.line, loc.col, self.code)


class MflError(Exception):
    """A mistake the user can fix: a code, a message, where it is and what to do."""

    def __init__(
        self,
        code: str,
        message: str,
        loc: Location | None = None,
        hint: str | None = None,
        diagnostics: tuple[Diagnostic, ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.loc = loc
        self.hint = hint
        # Several problems found at once (validation) travel in one error.
        self.diagnostics = diagnostics or (Diagnostic(code, message, loc, hint),)

    @classmethod
    def from_diagnostics(cls, diagnostics: Iterable[Diagnostic]) -> MflError:
        found = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        errors = [d for d in found if d.severity is Severity.ERROR] or list(found)
        first = errors[0]
        return cls(first.code, first.message, first.loc, first.hint, diagnostics=found)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# Full-width (全角) punctuation a Chinese input method types where YAML needs ASCII.
FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "（": "(",
    "）": ")",
    "／": "/",
    "；": ";",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "＂": '"',
    "＇": "'",
    "－": "-",
    "\u3000": "a space",
}


def full_width_hint(text: str) -> str | None:
    """A hint naming the full-width (全角) mark in a name or key (`label：放弃率` read as one
    key, `[offered_calls，abandoned_calls]` as one name); None when there is none."""
    char = next((c for c in text if c in FULL_WIDTH), None)
    if char is None:
        return None
    shown = "the full-width space" if char == "\u3000" else f"'{char}'"
    ascii_char = FULL_WIDTH[char]
    # said alike in YAML and on the command line (--metrics offered_calls，aht)
    return (
        f"{shown} is full-width (全角) punctuation: write "
        f"{ascii_char if ascii_char == 'a space' else repr(ascii_char)}; switch the input method"
        " to half-width (半角)"
    )


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A hint naming the closest known names, or None when nothing is close; a name that
    holds full-width punctuation gets the hint that names it instead."""
    known = sorted(set(known))
    if (full_width := full_width_hint(name)) is not None:
        half_width = "".join(FULL_WIDTH.get(c, c) if c != "\u3000" else " " for c in name)
        if half_width in known:  # `from: 通话时长（秒）` for the header 通话时长(秒)
            return f"did you mean {half_width!r}? {full_width}"
        return full_width
    matches = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"


def os_error(err: OSError) -> MflError:
    """A file the command cannot write or read (a full disk, a file where a folder should be,
    a read-only place) as the user's error, naming the path: E709 for a full disk, else E708."""
    import errno

    path = err.filename if err.filename is not None else "a file"
    reason = err.strerror or type(err).__name__
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return MflError(
            "E709",
            f"the disk is full: cannot write {path}",
            None,
            "free space on that disk and run the command again; a file half written is removed"
            " or rewritten on the next run",
        )
    hints = {
        errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
        errno.EEXIST: "a file is in the way where a folder should be: choose another path",
        errno.EACCES: "you may not write there: choose a folder you own",
        errno.EPERM: "you may not write there: choose a folder you own",
        errno.EROFS: "that file system is read-only: choose a folder on a writable disk",
        errno.ENOENT: "the folder does not exist and cannot be created there: choose another path",
        errno.EISDIR: "that is a folder: name a file inside it",
    }
    return MflError(
        "E708",
        f"cannot write or read {path}: {reason}",
        None,
        hints.get(err.errno or 0, "check the path and its permissions"),
    )
