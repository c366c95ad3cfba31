"""`mfl serve`: the dashboard, the JSON API and the PostgreSQL endpoint, until SIGINT/SIGTERM.

The token comes from $MFL_SERVE_TOKEN (no token, no server); the HTTP side listens on
127.0.0.1:8080 and the PostgreSQL side on 127.0.0.1:5433 unless told otherwise. Both read the
last good build through one BuildSnapshot (serve/snapshot.py) and apply the same Limits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from metricflow_lite.errors import MflError
from metricflow_lite.serve.access import Access, all_interfaces, check_token
from metricflow_lite.serve.limits import Limits
from metricflow_lite.serve.served_project import ServedProject, now

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What `mfl serve` is asked: where to listen and the limits (None: the default)."""

    project_dir: str | None
    target: str | None
    host: str = "127.0.0.1"
    port: int = 8080
    pg_port: int = 5433  # 0: no PostgreSQL endpoint
    max_rows: int | None = None
    timeout_s: float | None = None


def listening_socket(host: str, port: int, what: str) -> socket.socket:
    """A bound, listening TCP socket (E813 when the address is taken or cannot be bound)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise MflError(
            "E813",
            f"cannot listen on {host}:{port} for {what}: {err.strerror or err}",
            None,
            f"another program uses port {port}: pick another with --port / --pg-port, or stop it",
        ) from None
    sock.set_inheritable(False)
    return sock


def start_pg(served: ServedProject, options: ServeOptions, token: str, log: Log) -> Any:
    """The PostgreSQL endpoint on --pg-port, over the same snapshot and limits; its handle."""
    from metricflow_lite.serve.pgwire import start_pg_endpoint

    return start_pg_endpoint(
        served.snapshot, options.host, options.pg_port, token, served.limits, log
    )


class _UvicornLog(logging.Handler):
    """uvicorn's own messages (a malformed request it refused, ...) into the server's log."""

    def __init__(self, log: Log) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Invalid HTTP request" in message:
            self.log(f"{now()} refused - - 400 malformed HTTP request ({message.rstrip('.')})")
        else:
            self.log(f"{now()} {record.levelname.lower()}: {message}")


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[bool], None]) -> Iterator[list[int]]:
    """SIGINT and SIGTERM end the server cleanly (requests in flight finish first); a second
    one ends it without waiting for them."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handle(sig: int, frame: FrameType | None) -> None:
        received.append(sig)
        stop(len(received) > 1)

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(options: ServeOptions, log: Log, env: Mapping[str, str] | None = None) -> str:
    """Serve until SIGINT or SIGTERM; what ended it."""
    import uvicorn

    from metricflow_lite.serve.http import HttpApp
    from metricflow_lite.spec.project import find_project_dir

    environ = dict(os.environ if env is None else env)
    token = check_token(environ)  # before anything is opened or bound
    limits = Limits.from_env(environ, options.max_rows, options.timeout_s)
    if not 1 <= options.port <= 65535 or not 0 <= options.pg_port <= 65535:
        raise MflError(
            "E813",
            f"port out of range: --port {options.port}, --pg-port {options.pg_port}",
            None,
            "ports are 1 to 65535 (--pg-port 0 turns the PostgreSQL endpoint off)",
        )
    root = Path(find_project_dir(options.project_dir))
    served = ServedProject.open(root, options.target, limits, log)
    handle: Any = None
    try:
        http_socket = listening_socket(options.host, options.port, "HTTP")
        if all_interfaces(options.host):
            log(
                f"warning: --host {options.host} listens on every interface without TLS: the"
                " token and the data cross the network in clear text; put a TLS proxy in"
                " front (docs/security.md) or listen on 127.0.0.1"
            )
        if options.pg_port:
            handle = start_pg(served, options, token, log)
        app = HttpApp(served, Access(token), log)
        config = uvicorn.Config(
            app.app,
            log_config=None,
            access_log=False,  # an access log would print ?token= of a page's first visit
            server_header=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
            limit_concurrency=200,
            h11_max_incomplete_event_size=limits.max_body_bytes,
        )
        server = uvicorn_server(config)
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.handlers = [_UvicornLog(log)]
        uvicorn_log.propagate = False
        where = f"http://{options.host}:{options.port}/"
        pg = f"; PostgreSQL on {options.host}:{options.pg_port}" if handle is not None else ""
        log(
            f"{now()} serving {served.project.name} (build {served.snapshot.build_id or 'none'})"
            f" at {where}{pg}; Ctrl-C stops"
        )

        def stop(at_once: bool) -> None:
            server.should_exit = True
            server.force_exit = server.force_exit or at_once

        with _stop_on_signals(stop) as received:
            server.run(sockets=[http_socket])
        http_socket.close()
        ended = signal.Signals(received[0]).name if received else "the server stopped"
    finally:
        if handle is not None:
            handle.close()
        served.close()
    log(f"{now()} stopped ({ended})")
    return ended


def uvicorn_server(config: Any) -> Any:
    """A uvicorn server without its own signal handling: serve() has it (a clean stop, exit 0,
    where uvicorn would raise the signal again after its shutdown)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)
