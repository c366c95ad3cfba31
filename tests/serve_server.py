"""A real `mfl serve` in a subprocess on a free loopback port, and a small HTTP client for it
(tests/test_serve*.py and benchmarks/serve.py)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MFL = str(Path(sys.executable).parent / "mfl")
TOKEN = "test-token-" + "x" * 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    project: Path

    def request(
        self,
        method: str,
        path: str,
        token: str | None = TOKEN,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def query(self, **fields: object) -> Answer:
        return self.request("POST", "/api/query", body=fields)

    def build_id(self) -> str | None:
        answer = self.request("GET", "/api/status")
        assert answer.status == 200, answer.body
        build = answer.json()["build"]
        return str(build) if build is not None else None

    def wait_for_build(self, other_than: str | None, timeout: float = 120) -> str:
        """The build served once it is not `other_than` (a new build was taken)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.build_id()
            if found is not None and found != other_than:
                return found
            assert time.monotonic() < deadline, "the server did not take the new build"
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(60)


@contextmanager
def running_server(
    project: Path, *options: str, env: Mapping[str, str] | None = None, pg_port: int = 0
) -> Iterator[Server]:
    """`mfl serve` on a free port until the block ends (SIGTERM); pg_port 0: HTTP only."""
    port = free_port()
    log_path = project / f"serve-{port}.log"
    environ = {**os.environ, "MFL_SERVE_TOKEN": TOKEN, **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [MFL, "serve", "--project-dir", str(project), "--port", str(port)]
            + ["--pg-port", str(pg_port), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    server = Server(process, port, log_path, project)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, server.log()
            try:
                if server.request("GET", "/api/status").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        yield server
    finally:
        server.stop()
