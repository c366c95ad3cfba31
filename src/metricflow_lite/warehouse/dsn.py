"""Connection strings: which environment variables may hold one, and messages that never show one.

A DSN carries a password; it lives in an environment variable and never in a file or a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from metricflow_lite.errors import Location, MflError

DEFAULT_DSN_ENV = "MFL_PG_DSN"
# Names that hold connection strings by convention; any other variable (HOME, AWS_SECRET_...)
# is refused, so that a project file cannot make mfl read, and echo, an unrelated secret.
DSN_ENV_NAME = re.compile(r"^(?:[A-Z][A-Z0-9_]*_(?:DSN|URL|URI)|DATABASE_URL|PG[A-Z0-9_]*)$")
SECRET = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)@", re.I)
_KEY_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE
)


def check_dsn_env(name: str, loc: Location | None) -> str:
    """The variable name when it looks like a DSN variable (E706 otherwise)."""
    if DSN_ENV_NAME.match(name):
        return name
    raise MflError(
        "E706",
        f"dsn_env '{name}' does not look like a connection string variable",
        loc,
        f"name a variable such as {DEFAULT_DSN_ENV}, DATABASE_URL, <NAME>_DSN, <NAME>_URL"
        " or PG<NAME>, and put the DSN there",
    )


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with passwords (in URLs and password=...) and the given secrets replaced."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, SECRET)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + SECRET + "@", text)
    return _KEY_PASSWORD.sub(lambda m: m.group("head") + SECRET, text)


def password_of(dsn: str) -> str | None:
    """The password a DSN spells out, in either form (URL or key=value), if any."""
    for pattern in (_URL_PASSWORD, _KEY_PASSWORD):
        match = pattern.search(dsn)
        if match:
            return match.group("secret").strip("'")
    return None


def environment_secrets(environ: dict[str, str]) -> tuple[str, ...]:
    """Connection strings and passwords in the environment, to keep out of every message."""
    found: set[str] = set()
    for name, value in environ.items():
        if not DSN_ENV_NAME.match(name) or not value:
            continue
        if name == "PGPASSWORD":
            found.add(value)
        elif "=" in value or "://" in value:
            found.add(value)
            password = password_of(value)
            if password:
                found.add(password)
    return tuple(sorted(found))
