"""Who may read: the serve token, compared in constant time, and the log of refused requests.

A program sends `Authorization: Bearer <token>`. A browser (a wall screen) opens a page once
with `?token=<token>`: the server answers with a cookie that stands for the token (HttpOnly,
SameSite=Strict, derived from the token, never the token itself) and sends the browser to the
same address without the token, so it stays out of the address bar, the history and logs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from metricflow_lite.errors import MflError

TOKEN_ENV = "MFL_SERVE_TOKEN"
COOKIE = "mfl_session"
MIN_TOKEN_CHARS = 16


def check_token(env: Mapping[str, str]) -> str:
    """The serve token from the environment (E809 when missing or too short to be secret)."""
    token = env.get(TOKEN_ENV, "")
    if not token:
        raise MflError(
            "E809",
            f"mfl serve needs a token: ${TOKEN_ENV} is not set",
            None,
            f"export {TOKEN_ENV}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
            " and give it to the people and tools that read (HTTP bearer token, PostgreSQL"
            " password)",
        )
    if len(token) < MIN_TOKEN_CHARS or token.strip() != token:
        raise MflError(
            "E809",
            f"${TOKEN_ENV} is too short to keep the server private ({len(token)} characters,"
            f" at least {MIN_TOKEN_CHARS} without spaces at either end)",
            None,
            f"export {TOKEN_ENV}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')",
        )
    return token


@dataclass(frozen=True, slots=True)
class Access:
    """The token and the cookie value that stands for it."""

    token: str

    @property
    def cookie_value(self) -> str:
        return hmac.new(self.token.encode(), b"mfl serve session", hashlib.sha256).hexdigest()

    def token_ok(self, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(given.encode(), self.token.encode())

    def cookie_ok(self, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(given.encode(), self.cookie_value.encode())

    def refusal(self, authorization: str | None, cookie: str | None) -> str | None:
        """Why a request is refused (None: it may read). Never the token in the reason."""
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer":
                return "not a bearer token"
            return None if self.token_ok(value.strip()) else "wrong token"
        if cookie:
            return None if self.cookie_ok(cookie) else "wrong session cookie"
        return "no token"


def all_interfaces(host: str) -> bool:
    """Whether a bind address listens on every interface (0.0.0.0, ::, or an empty host)."""
    return host.strip("[]") in ("", "0.0.0.0", "::", "*")
