"""A read-only PostgreSQL endpoint over the served build, for psql, psycopg and BI tools.

The PostgreSQL v3 protocol, the part clients use, on asyncio: SSLRequest and GSSENCRequest
answered 'N' (no TLS; bind to 127.0.0.1 or put a TLS proxy in front), SCRAM-SHA-256 password
authentication (the password is MFL_SERVE_TOKEN, never sent in the clear), the simple query
protocol (several statements in one message) and the extended one (Parse, Bind, Describe,
Execute, Sync, Close, Flush: psycopg 3 and JDBC), results in text format (binary for the
numeric, boolean, text and date/time types when asked), ErrorResponse with a SQLSTATE
(serve/pgerrors.py), CancelRequest accepted and ignored (every query has a time limit).

Each statement goes through serve/sqlgate.py: parsed with sqlglot, refused unless it is a read
or a harmless session command, and rewritten; nothing a client wrote reaches an engine as text.
Queries run on worker threads, so one slow query does not hold up other connections; a client
that sends garbage or goes away mid-result loses its own connection only.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import struct
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from metricflow_lite import __version__
from metricflow_lite.errors import MflError
from metricflow_lite.serve import pgtypes
from metricflow_lite.serve.pgcatalog import DATABASE, PgCatalog, Relation, load_relations
from metricflow_lite.serve.pgerrors import sqlstate_of
from metricflow_lite.serve.sqlgate import (
    Gated,
    Kind,
    Session,
    Statement,
    Target,
    bind_parameters,
    classify,
    gate,
    parameter_count,
    parameter_literal,
    search_path_of,
    split_statements,
)

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
SCRAM = "SCRAM-SHA-256"
SCRAM_ITERATIONS = 4096
MAX_STARTUP_BYTES = 10_000
STARTUP_TIMEOUT_S = 60.0  # from connect to a finished login
MAX_CONNECTIONS = 100  # clients served at once; more are refused with 53300
WRITE_BATCH_BYTES = 64 * 1024
PG_EPOCH = dt.datetime(2000, 1, 1)
PG_EPOCH_DATE = dt.date(2000, 1, 1)
SERVER_VERSION = "15.0"
# What SHOW answers and ParameterStatus reports; SET changes the session's copy only.
DEFAULT_SETTINGS: dict[str, str] = {
    "server_version": SERVER_VERSION,
    "server_version_num": "150000",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "intervalstyle": "postgres",
    "timezone": "UTC",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
    "default_transaction_read_only": "on",
    "transaction_read_only": "on",
    "transaction_isolation": "read committed",
    "max_identifier_length": "63",
    "extra_float_digits": "1",
    "application_name": "",
    "lc_collate": "C.UTF-8",
    "lc_ctype": "C.UTF-8",
}
_STATUS_NAMES = {
    "server_version": "server_version",
    "server_encoding": "server_encoding",
    "client_encoding": "client_encoding",
    "datestyle": "DateStyle",
    "intervalstyle": "IntervalStyle",
    "timezone": "TimeZone",
    "integer_datetimes": "integer_datetimes",
    "standard_conforming_strings": "standard_conforming_strings",
    "is_superuser": "is_superuser",
    "application_name": "application_name",
    "default_transaction_read_only": "default_transaction_read_only",
}


class ProtocolError(Exception):
    """The client broke the protocol; its connection is closed after an ErrorResponse."""


class Log:
    """Where the endpoint reports connections, refusals and failures: a logging.Logger, a
    function taking one line, or nowhere."""

    def __init__(self, sink: logging.Logger | Callable[[str], Any] | None) -> None:
        self.sink = sink

    def __call__(self, level: int, message: str) -> None:
        if isinstance(self.sink, logging.Logger):
            self.sink.log(level, message)
        elif self.sink is not None:
            self.sink(message)


@dataclass
class Result:
    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]
    tag: str
    sent: int = 0


@dataclass
class Prepared:
    statement: Statement
    param_oids: list[int]


@dataclass
class Portal:
    prepared: Prepared
    params: list[exp.Expr]
    formats: list[int]
    result: Result | None = None


@dataclass
class Endpoint:
    """What all connections share: the build, its catalog, the password and the limits."""

    snapshot: Any
    password: str
    max_rows: int
    timeout_s: float
    max_message_bytes: int
    max_sql_chars: int
    log: Log
    dialect: str
    catalog: PgCatalog | None = None
    catalog_lock: threading.Lock = field(default_factory=threading.Lock)
    catalog_build: object = None  # the snapshot's build_id the catalog was read from
    connections: int = 0

    def catalog_now(self) -> PgCatalog:
        """The catalog of the build served now: read again when the snapshot serves another
        build (or says nothing of its build), rebuilt when the relations changed."""
        build = getattr(self.snapshot, "build_id", None)
        with self.catalog_lock:
            if build is not None and self.catalog is not None and build == self.catalog_build:
                return self.catalog
        relations: tuple[Relation, ...] = load_relations(
            self.snapshot, self.dialect, self.timeout_s
        )
        with self.catalog_lock:
            if self.catalog is None or self.catalog.relations != relations:
                # a query still running on the old catalog finishes there; it is freed after
                self.catalog = PgCatalog(relations)
            self.catalog_build = build
            return self.catalog

    def run(
        self, catalog: PgCatalog, gated: Gated
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        if gated.target is Target.CATALOG:
            return catalog.run(gated.sql, self.max_rows, self.timeout_s)
        columns, rows = self.snapshot.run_select(
            gated.sql, self.dialect, self.max_rows, self.timeout_s
        )
        return list(columns), list(rows)


# --- messages ------------------------------------------------------------------------------


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def error_body(err: MflError, severity: str = "ERROR") -> bytes:
    fields = [
        b"S" + cstr(severity),
        b"V" + cstr(severity),
        b"C" + cstr(sqlstate_of(err)),
        b"M" + cstr(f"{err.message} [{err.code}]"),
    ]
    if err.hint:
        fields.append(b"H" + cstr(err.hint))
    return b"".join(fields) + b"\x00"


def row_description(columns: Sequence[tuple[str, str]], formats: Sequence[int]) -> bytes:
    body = struct.pack("!h", len(columns))
    for n, (name, type_name) in enumerate(columns):
        pg = pgtypes.pg_type_of(type_name)
        fmt = _format_for(formats, n, pg)
        body += cstr(name) + struct.pack("!ihihih", 0, 0, pg.oid, pg.size, -1, fmt)
    return message(b"T", body)


_BINARY_OIDS = {16, 17, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1184, 1700}


def _format_for(formats: Sequence[int], n: int, pg: pgtypes.PgType) -> int:
    wanted = formats[0] if len(formats) == 1 else (formats[n] if n < len(formats) else 0)
    return 1 if wanted == 1 and pg.oid in _BINARY_OIDS else 0


def binary_value(value: Any, pg: pgtypes.PgType) -> bytes:
    oid = pg.oid
    if oid == 16:
        return b"\x01" if value else b"\x00"
    if oid == 21:
        return struct.pack("!h", int(value))
    if oid == 23:
        return struct.pack("!i", int(value))
    if oid == 20:
        return struct.pack("!q", int(value))
    if oid == 700:
        return struct.pack("!f", float(value))
    if oid == 701:
        return struct.pack("!d", float(value))
    if oid == 1082:
        return struct.pack("!i", (value - PG_EPOCH_DATE).days)
    if oid == 1700:
        return numeric_binary(Decimal(value))
    if oid == 17:
        return bytes(value)
    if oid in (1114, 1184):
        naive = value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        delta = naive - PG_EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return struct.pack("!q", micros)
    text = pgtypes.text_value(value)
    return text if text is not None else b""


def numeric_binary(value: Decimal) -> bytes:
    """A numeric in PostgreSQL's binary format: base-10000 digits, weight, sign, scale."""
    if not value.is_finite():
        return struct.pack("!hhHh", 0, 0, 0xC000, 0)
    sign = 0x4000 if value < 0 else 0
    exponent = value.as_tuple().exponent
    dscale = max(0, -exponent) if isinstance(exponent, int) else 0
    whole, _, fraction = format(abs(value), "f").partition(".")
    whole = whole.lstrip("0")
    whole = whole.zfill((len(whole) + 3) // 4 * 4) if whole else ""
    fraction += "0" * ((4 - len(fraction) % 4) % 4)
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    head = struct.pack("!hhHh", len(groups), weight, sign, dscale)
    return head + struct.pack(f"!{len(groups)}h", *groups)


def data_row(row: Sequence[Any], types: Sequence[pgtypes.PgType], formats: Sequence[int]) -> bytes:
    parts = [struct.pack("!h", len(row))]
    for n, value in enumerate(row):
        if value is None:
            parts.append(b"\xff\xff\xff\xff")
            continue
        fmt = _format_for(formats, n, types[n])
        data = binary_value(value, types[n]) if fmt == 1 else pgtypes.text_value(value) or b""
        parts.append(struct.pack("!i", len(data)) + data)
    return message(b"D", b"".join(parts))


def decode_parameter(data: bytes | None, fmt: int, oid: int) -> str | None:
    """A bound parameter's value as text (binary ones decoded by their type)."""
    if data is None:
        return None
    if fmt == 0:
        return data.decode("utf-8")
    try:
        if oid == 16:
            return "true" if data[:1] == b"\x01" else "false"
        if oid == 21:
            return str(struct.unpack("!h", data)[0])
        if oid in (23, 26):
            return str(struct.unpack("!i", data)[0])
        if oid == 20:
            return str(struct.unpack("!q", data)[0])
        if oid == 700:
            return repr(struct.unpack("!f", data)[0])
        if oid == 701:
            return repr(struct.unpack("!d", data)[0])
        if oid == 1082:
            return (PG_EPOCH_DATE + dt.timedelta(days=struct.unpack("!i", data)[0])).isoformat()
        if oid in (1114, 1184):
            micros = struct.unpack("!q", data)[0]
            return (PG_EPOCH + dt.timedelta(microseconds=micros)).isoformat(sep=" ")
        if oid == 1700:
            return str(_numeric_from_binary(data))
        if oid in (25, 1043, 19, 705, 0, 114, 18):
            return data.decode("utf-8")
    except (struct.error, UnicodeDecodeError, ValueError) as err:
        raise MflError("E825", f"a bound parameter cannot be decoded: {err}", None, None) from None
    raise MflError(
        "E825", f"binary parameters of type {oid} are not supported", None, "send it as text"
    )


def _numeric_from_binary(data: bytes) -> Decimal:
    ndigits, weight, sign, dscale = struct.unpack("!hhHh", data[:8])
    digits = struct.unpack(f"!{ndigits}h", data[8 : 8 + 2 * ndigits])
    if sign == 0xC000:
        return Decimal("NaN")
    value = Decimal(0)
    for n, digit in enumerate(digits):
        value += Decimal(digit) * (Decimal(10000) ** (weight - n))
    value = -value if sign == 0x4000 else value
    return value.quantize(Decimal(1).scaleb(-dscale)) if dscale else value


# --- SCRAM-SHA-256 (RFC 5802 / 7677, as PostgreSQL uses it) ---------------------------------------


@dataclass(frozen=True, slots=True)
class ScramVerifier:
    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    @classmethod
    def of(cls, password: str) -> ScramVerifier:
        salt = secrets.token_bytes(16)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        return cls(
            salt,
            SCRAM_ITERATIONS,
            hashlib.sha256(client_key).digest(),
            hmac.digest(salted, b"Server Key", "sha256"),
        )


def _scram_fields(text: str) -> dict[str, str]:
    return {part[0]: part[2:] for part in text.split(",") if len(part) >= 2 and part[1] == "="}


# --- one connection ---------------------------------------------------------------------------


class Connection:
    def __init__(
        self,
        endpoint: Endpoint,
        verifier: ScramVerifier,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.endpoint = endpoint
        self.verifier = verifier
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.user = ""
        self.settings = dict(DEFAULT_SETTINGS)
        self.search_path: tuple[str, ...] = ()
        self.status = b"I"
        self.prepared: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.skip_to_sync = False
        self.catalog: PgCatalog | None = None
        self.pid = os.getpid() & 0x7FFFFFFF
        self.secret = secrets.randbits(31)

    def log(self, level: int, text: str) -> None:
        when = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.endpoint.log(level, f"{when} pg {self.peer} user={self.user or '?'}: {text}")

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def run(self) -> None:
        try:
            try:
                started = await asyncio.wait_for(self.startup(), STARTUP_TIMEOUT_S)
            except asyncio.TimeoutError:
                raise ProtocolError("no login within the time allowed") from None
            if not started:
                return
            while True:
                head = await self.reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                if length < 4 or length - 4 > self.endpoint.max_message_bytes:
                    raise ProtocolError(f"message of {length} bytes is too long or malformed")
                body = await self.reader.readexactly(length - 4)
                if kind == b"X":
                    return
                await self.dispatch(kind, body)
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
            pass  # the client went away
        except ProtocolError as err:
            self.log(logging.WARNING, f"closed: {err}")
            await self._fatal(MflError("E825", f"protocol violation: {err}", None, None))
        finally:
            self.writer.close()

    async def _fatal(self, err: MflError) -> None:
        try:
            await self.send(message(b"E", error_body(err, "FATAL")))
        except (ConnectionError, BrokenPipeError):
            pass

    # --- startup and authentication ---------------------------------------------------------

    async def startup(self) -> bool:
        while True:
            length = struct.unpack("!i", await self.reader.readexactly(4))[0]
            if not 8 <= length <= MAX_STARTUP_BYTES:
                raise ProtocolError("bad startup packet length")
            body = await self.reader.readexactly(length - 4)
            code = struct.unpack("!i", body[:4])[0]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                await self.send(b"N")
                continue
            if code == CANCEL_REQUEST:
                return False  # every query has a time limit; a cancel changes nothing
            if code != PROTOCOL_3:
                raise ProtocolError(f"unsupported protocol {code >> 16}.{code & 0xFFFF}")
            break
        parts = body[4:].split(b"\x00")
        params = {
            parts[i].decode("utf-8", "replace"): parts[i + 1].decode("utf-8", "replace")
            for i in range(0, len(parts) - 1, 2)
            if parts[i]
        }
        self.user = params.get("user", "")
        if params.get("application_name"):
            self.settings["application_name"] = params["application_name"]
        if not await self.authenticate():
            return False
        catalog = await asyncio.to_thread(self.endpoint.catalog_now)
        self.catalog = catalog
        self.search_path = catalog.schemas[::-1]
        self.log(logging.INFO, f"connected (database {params.get('database', DATABASE)})")
        out = message(b"R", struct.pack("!i", 0))
        for key, name in _STATUS_NAMES.items():
            out += message(b"S", cstr(name) + cstr(self.settings[key]))
        out += message(b"K", struct.pack("!ii", self.pid, self.secret))
        await self.send(out + message(b"Z", self.status))
        return True

    async def authenticate(self) -> bool:
        await self.send(message(b"R", struct.pack("!i", 10) + cstr(SCRAM) + b"\x00"))
        body = await self._auth_message()
        mechanism, rest = body.split(b"\x00", 1)
        if mechanism.decode() != SCRAM or len(rest) < 4:
            raise ProtocolError("expected SCRAM-SHA-256")
        first_len = struct.unpack("!i", rest[:4])[0]
        client_first = rest[4 : 4 + first_len].decode()
        if not client_first.startswith(("n,", "y,")):
            raise ProtocolError("SCRAM channel binding is not supported")
        bare = client_first.split(",", 2)[2]
        client_nonce = _scram_fields(bare).get("r", "")
        nonce = client_nonce + base64.b64encode(secrets.token_bytes(18)).decode()
        server_first = (
            f"r={nonce},s={base64.b64encode(self.verifier.salt).decode()},"
            f"i={self.verifier.iterations}"
        )
        await self.send(message(b"R", struct.pack("!i", 11) + server_first.encode()))
        client_final = (await self._auth_message()).decode()
        fields = _scram_fields(client_final)
        without_proof = client_final.rsplit(",p=", 1)[0]
        auth_message = f"{bare},{server_first},{without_proof}".encode()
        try:
            proof = base64.b64decode(fields.get("p", ""))
        except ValueError:
            proof = b""
        signature = hmac.digest(self.verifier.stored_key, auth_message, "sha256")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=False))
        ok = (
            fields.get("r") == nonce
            and len(proof) == len(signature)
            and hmac.compare_digest(hashlib.sha256(client_key).digest(), self.verifier.stored_key)
        )
        if not ok:
            self.log(logging.WARNING, "refused: wrong password (28P01)")
            err = MflError(
                "E824",
                f'password authentication failed for user "{self.user}"',
                None,
                "the password is the server's MFL_SERVE_TOKEN",
            )
            await self._fatal(err)
            return False
        server_signature = hmac.digest(self.verifier.server_key, auth_message, "sha256")
        final = b"v=" + base64.b64encode(server_signature)
        await self.send(message(b"R", struct.pack("!i", 12) + final))
        return True

    async def _auth_message(self) -> bytes:
        head = await self.reader.readexactly(5)
        length = struct.unpack("!i", head[1:])[0]
        if head[:1] != b"p" or not 4 <= length <= MAX_STARTUP_BYTES:
            raise ProtocolError("expected a password message")
        return await self.reader.readexactly(length - 4)

    # --- queries ---------------------------------------------------------------------------------

    def session(self) -> Session:
        return Session(
            user=self.user,
            database=DATABASE,
            search_path=self.search_path,
            server_version=SERVER_VERSION,
            pid=self.pid,
            version_text=(
                f"PostgreSQL {SERVER_VERSION} (metricflow-lite {__version__}) on"
                " x86_64-pc-linux-gnu, 64-bit"
            ),
        )

    async def dispatch(self, kind: bytes, body: bytes) -> None:
        if kind == b"Q":
            await self.simple_query(body.rstrip(b"\x00").decode("utf-8", "replace"))
            return
        if kind == b"S":
            self.skip_to_sync = False
            await self.send(message(b"Z", self.status))
            return
        if kind == b"H":
            return
        if kind not in (b"P", b"B", b"D", b"E", b"C"):
            raise ProtocolError(f"unknown message type {kind!r}")
        if self.skip_to_sync:
            return
        try:
            if kind == b"P":
                await self.parse(body)
            elif kind == b"B":
                await self.bind(body)
            elif kind == b"D":
                await self.describe(body)
            elif kind == b"E":
                await self.execute(body)
            else:
                what, name = body[:1], body[1:].split(b"\x00", 1)[0].decode()
                if what == b"S":
                    self.prepared.pop(name, None)
                else:
                    self.portals.pop(name, None)
                await self.send(message(b"3"))
        except MflError as err:
            self.skip_to_sync = True
            await self.error(err)
        except (struct.error, IndexError, UnicodeDecodeError, ValueError) as err:
            raise ProtocolError(f"malformed {kind.decode()} message: {err}") from None
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            self.skip_to_sync = True
            await self.internal_error(body.decode("utf-8", "replace"))

    async def error(self, err: MflError, sql: str | None = None) -> None:
        if self.status == b"T":
            self.status = b"E"
        level = logging.WARNING if err.code in ("E820", "E824") else logging.INFO
        shown = f" | {' '.join(sql.split())[:300]}" if sql else ""
        self.log(level, f"{err.code} {err.message}{shown}")
        await self.send(message(b"E", error_body(err)))

    def check_length(self, sql: str) -> None:
        if len(sql) > self.endpoint.max_sql_chars:
            raise MflError(
                "E820",
                f"refused: the SQL text is longer than {self.endpoint.max_sql_chars:,} characters",
                None,
                None,
            )

    async def simple_query(self, sql: str) -> None:
        try:
            self.check_length(sql)
            statements = [classify(text) for text in split_statements(sql)]
        except MflError as err:
            await self.error(err, sql)
            await self.send(message(b"Z", self.status))
            return
        except Exception:
            await self.internal_error(sql)
            await self.send(message(b"Z", self.status))
            return
        if not statements:
            await self.send(message(b"I") + message(b"Z", self.status))
            return
        for statement in statements:
            try:
                result = await self.run_statement(statement, [])
            except MflError as err:
                await self.error(err, statement.text)
                break
            except Exception:
                await self.internal_error(statement.text)
                break
            if result is None:
                await self.send(message(b"I"))
                continue
            if result.columns:
                await self.send(row_description(result.columns, []))
            await self.send_rows(result, [], 0)
        await self.send(message(b"Z", self.status))

    async def internal_error(self, sql: str) -> None:
        self.log(logging.ERROR, f"internal error | {sql[:300]}\n{traceback.format_exc()}")
        err = MflError("E899", "internal error in the endpoint; the server log has details")
        await self.send(message(b"E", error_body(err)))
        if self.status == b"T":
            self.status = b"E"

    async def run_statement(self, statement: Statement, params: list[exp.Expr]) -> Result | None:
        kind = statement.kind
        if self.status == b"E" and kind not in (Kind.ROLLBACK, Kind.COMMIT, Kind.ROLLBACK_TO):
            raise MflError(
                "E827",
                "current transaction is aborted, commands ignored until end of transaction block",
                None,
                "ROLLBACK",
            )
        if kind is Kind.EMPTY:
            return None
        if kind is Kind.READ:
            assert statement.tree is not None
            # the catalog of the build served now (a new build may have changed the relations)
            self.catalog = await asyncio.to_thread(self.endpoint.catalog_now)
            tree = bind_parameters(statement.tree, params) if params else statement.tree
            if parameter_count(tree) and not params:
                raise MflError("E826", "the query has parameters ($1) but none are bound")
            gated = gate(tree, self.session(), self.catalog.has, self.endpoint.dialect)
            columns, rows = await asyncio.to_thread(self.endpoint.run, self.catalog, gated)
            return Result(columns, rows, f"SELECT {len(rows)}")
        return self.session_command(statement)

    def session_command(self, statement: Statement) -> Result:
        kind = statement.kind
        if kind is Kind.SET:
            name, value = statement.name or "", statement.value or ""
            if name == "search_path" and self.catalog is not None:
                self.search_path = search_path_of(value, self.catalog.schemas)
                self.settings[name] = value
            elif name != "transaction":
                self.settings[name] = value
            return Result([], [], "SET")
        if kind is Kind.SHOW:
            name = statement.name or "all"
            if name == "all":
                rows = [(k, v, "") for k, v in sorted(self.settings.items())]
                cols = [("name", "VARCHAR"), ("setting", "VARCHAR"), ("description", "VARCHAR")]
                return Result(cols, list(rows), "SHOW")
            shown = self.settings.get(name)
            if name == "search_path":
                shown = shown or ", ".join(self.search_path)
            return Result([(name, "VARCHAR")], [(shown if shown is not None else "",)], "SHOW")
        if kind is Kind.RESET:
            if statement.name in DEFAULT_SETTINGS:
                self.settings[statement.name] = DEFAULT_SETTINGS[statement.name]
            return Result([], [], "RESET")
        if kind is Kind.BEGIN:
            self.status = b"T"
            return Result([], [], "BEGIN")
        if kind is Kind.COMMIT:
            tag = "ROLLBACK" if self.status == b"E" else "COMMIT"
            self.status = b"I"
            return Result([], [], tag)
        if kind is Kind.ROLLBACK:
            self.status = b"I"
            return Result([], [], "ROLLBACK")
        if kind is Kind.SAVEPOINT or kind is Kind.RELEASE:
            return Result([], [], kind.value)
        if kind is Kind.ROLLBACK_TO:
            self.status = b"T" if self.status != b"I" else b"I"
            return Result([], [], "ROLLBACK")
        if kind is Kind.DISCARD:
            self.prepared.clear()
            self.portals.clear()
            return Result([], [], "DISCARD ALL")
        return Result([], [], "DEALLOCATE")

    async def send_rows(self, result: Result, formats: list[int], limit: int) -> bool:
        """DataRows from where the last Execute stopped; True when all were sent."""
        types = [pgtypes.pg_type_of(t) for _, t in result.columns]
        end = len(result.rows) if limit <= 0 else min(len(result.rows), result.sent + limit)
        batch = bytearray()
        for row in result.rows[result.sent : end]:
            batch += data_row(row, types, formats)
            if len(batch) >= WRITE_BATCH_BYTES:
                await self.send(bytes(batch))
                batch.clear()
        result.sent = end
        if result.sent < len(result.rows):
            await self.send(bytes(batch) + message(b"s"))
            return False
        await self.send(bytes(batch) + message(b"C", cstr(result.tag)))
        return True

    # --- the extended protocol -----------------------------------------------------------

    async def parse(self, body: bytes) -> None:
        name, rest = body.split(b"\x00", 1)
        sql, rest = rest.split(b"\x00", 1)
        count = struct.unpack("!h", rest[:2])[0]
        oids = list(struct.unpack(f"!{count}i", rest[2 : 2 + 4 * count]))
        text = sql.decode("utf-8")
        self.check_length(text)
        try:
            parts = split_statements(text)
            if len(parts) > 1:
                raise MflError("E821", "cannot insert multiple commands into a prepared statement")
            statement = classify(parts[0]) if parts else Statement(Kind.EMPTY, "")
        except MflError as err:
            self.skip_to_sync = True
            await self.error(err, text)
            return
        if statement.tree is not None:
            wanted = parameter_count(statement.tree)
            oids += [0] * (wanted - len(oids))
        self.prepared[name.decode()] = Prepared(statement, oids)
        await self.send(message(b"1"))

    async def bind(self, body: bytes) -> None:
        portal, rest = body.split(b"\x00", 1)
        name, rest = rest.split(b"\x00", 1)
        prepared = self.prepared.get(name.decode())
        if prepared is None:
            raise MflError("E825", f'prepared statement "{name.decode()}" does not exist')
        pos = 0
        (nfmt,) = struct.unpack_from("!h", rest, pos)
        fmts = list(struct.unpack_from(f"!{nfmt}h", rest, pos + 2))
        pos += 2 + 2 * nfmt
        (nparams,) = struct.unpack_from("!h", rest, pos)
        pos += 2
        values: list[exp.Expr] = []
        for n in range(nparams):
            (size,) = struct.unpack_from("!i", rest, pos)
            pos += 4
            data = None if size < 0 else rest[pos : pos + size]
            pos += max(size, 0)
            fmt = fmts[0] if nfmt == 1 else (fmts[n] if n < nfmt else 0)
            oid = prepared.param_oids[n] if n < len(prepared.param_oids) else 0
            values.append(parameter_literal(decode_parameter(data, fmt, oid), oid))
        (nres,) = struct.unpack_from("!h", rest, pos)
        formats = list(struct.unpack_from(f"!{nres}h", rest, pos + 2))
        self.portals[portal.decode()] = Portal(prepared, values, formats)
        await self.send(message(b"2"))

    async def describe(self, body: bytes) -> None:
        what, name = body[:1], body[1:].split(b"\x00", 1)[0].decode()
        if what == b"S":
            prepared = self.prepared.get(name)
            if prepared is None:
                raise MflError("E825", f'prepared statement "{name}" does not exist')
            oids = [oid or pgtypes.TEXT.oid for oid in prepared.param_oids]
            out = message(b"t", struct.pack(f"!h{len(oids)}i", len(oids), *oids))
            columns = await self.describe_columns(prepared)
            await self.send(out + (row_description(columns, []) if columns else message(b"n")))
            return
        portal = self.portals.get(name)
        if portal is None:
            raise MflError("E825", f'portal "{name}" does not exist')
        if portal.prepared.statement.kind not in (Kind.READ, Kind.SHOW):
            await self.send(message(b"n"))
            return
        if portal.result is None:
            portal.result = await self.run_statement(portal.prepared.statement, portal.params)
        assert portal.result is not None
        await self.send(row_description(portal.result.columns, portal.formats))

    async def describe_columns(self, prepared: Prepared) -> list[tuple[str, str]]:
        statement = prepared.statement
        if statement.kind is Kind.SHOW:
            return [(statement.name or "setting", "VARCHAR")]
        if statement.kind is not Kind.READ or statement.tree is None:
            return []
        nulls: list[exp.Expr] = [exp.Null() for _ in prepared.param_oids]
        tree = bind_parameters(statement.tree, nulls) if nulls else statement.tree
        empty = exp.select("*").from_(exp.paren(tree.copy()).as_("mfl_described")).limit(0)
        result = await self.run_statement(Statement(Kind.READ, statement.text, empty), [])
        assert result is not None
        return result.columns

    async def execute(self, body: bytes) -> None:
        name = body.split(b"\x00", 1)[0].decode()
        limit = struct.unpack("!i", body[len(name) + 1 : len(name) + 5])[0]
        portal = self.portals.get(name)
        if portal is None:
            raise MflError("E825", f'portal "{name}" does not exist')
        if portal.result is None:
            try:
                portal.result = await self.run_statement(portal.prepared.statement, portal.params)
            except MflError:
                raise
            except Exception:
                self.skip_to_sync = True
                await self.internal_error(portal.prepared.statement.text)
                return
        if portal.result is None:
            await self.send(message(b"I"))
            return
        await self.send_rows(portal.result, portal.formats, limit)


# --- the server ------------------------------------------------------------------------------


class PgEndpoint:
    """A running endpoint: its own event loop on a thread; close() stops it."""

    def __init__(self, endpoint: Endpoint, host: str, port: int) -> None:
        self.endpoint = endpoint
        self.verifier = ScramVerifier.of(endpoint.password)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.thread = threading.Thread(
            target=self._serve, args=(host, port), name="mfl-pgwire", daemon=True
        )
        self.thread.start()
        self.ready.wait()
        if self.failure is not None:
            raise MflError(
                "E828",
                f"cannot listen on {host}:{port} for PostgreSQL clients: {self.failure}",
                None,
                "choose another --pg-port, or stop what uses it",
            )
        assert self.server is not None
        self.port: int = self.server.sockets[0].getsockname()[1]
        self.host = host

    def _serve(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.server = self.loop.run_until_complete(
                asyncio.start_server(self._client, host, port, reuse_address=True)
            )
        except OSError as err:
            self.failure = err
            self.ready.set()
            return
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        connection = Connection(self.endpoint, self.verifier, reader, writer)
        if len(self.tasks) > MAX_CONNECTIONS:
            connection.log(logging.WARNING, "refused: too many connections (53300)")
            busy = MflError("E829", f"too many connections (at most {MAX_CONNECTIONS})")
            try:
                writer.write(message(b"E", error_body(busy, "FATAL")))
                await writer.drain()
            finally:
                writer.close()
                if task is not None:
                    self.tasks.discard(task)
            return
        try:
            await connection.run()
        except Exception:
            connection.log(logging.ERROR, f"connection failed\n{traceback.format_exc()}")
            writer.close()
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def _stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.server is not None:
            await self.server.wait_closed()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self._stop(), self.loop)
        try:
            future.result(timeout=10)
        except Exception:  # noqa: BLE001 - stopping: nothing left to report to
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        with self.endpoint.catalog_lock:
            if self.endpoint.catalog is not None:
                self.endpoint.catalog.close()
                self.endpoint.catalog = None


def start_pg_endpoint(
    snapshot: Any,
    host: str,
    port: int,
    password: str,
    limits: Any,
    log: logging.Logger | Callable[[str], Any] | None,
    *,
    dialect: str | None = None,
) -> PgEndpoint:
    """Listen for PostgreSQL clients on host:port (0: a free port, see .port) and answer them
    from the snapshot; the password is MFL_SERVE_TOKEN. Returns the running endpoint."""
    if not password:
        raise MflError(
            "E824",
            "the PostgreSQL endpoint needs a password",
            None,
            "export MFL_SERVE_TOKEN=<a long random string>",
        )
    max_body = int(getattr(limits, "max_body_bytes", 64 * 1024))
    max_sql = int(getattr(limits, "max_sql_chars", 100_000))
    endpoint = Endpoint(
        snapshot=snapshot,
        password=password,
        max_rows=int(getattr(limits, "max_rows", 10_000)),
        timeout_s=float(getattr(limits, "timeout_s", 30.0)),
        max_message_bytes=max(max_body, 4 * max_sql + 1024),
        max_sql_chars=max_sql,
        log=Log(log),
        dialect=dialect or str(getattr(snapshot, "dialect", "duckdb")),
    )
    return PgEndpoint(endpoint, host, port)


__all__ = ["PgEndpoint", "start_pg_endpoint"]
