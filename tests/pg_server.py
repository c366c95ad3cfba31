"""A throwaway PostgreSQL server from the Debian binaries, for the engine tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, if any."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: its DSN; stop() removes it and its data directory."""

    bin_dir: Path
    data_dir: Path
    port: int
    run_as: list[str]

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=mfl dbname=postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start_postgres(locale: str = "C.UTF-8", icu_locale: str | None = "en-US") -> PostgresServer:
    """initdb in a temporary folder and start a server on a free local port.

    Root may not run postgres: as root, the server runs as the 'postgres' (or 'nobody') user,
    which owns the data directory. The database's own locale is deliberately not "C", so a
    test proves that mfl's ordering does not depend on the server's collation.
    """
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb")
    base = Path(tempfile.mkdtemp(prefix="mfl-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        run_as = ["runuser", "-u", user, "--"]
        shutil.chown(base, user=user)
    os.chmod(base, 0o755)
    server = PostgresServer(bin_dir, base, free_port(), run_as)
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(base / "data"),
            "-U",
            "mfl",
            "--auth=trust",
            "-E",
            "UTF8",
            f"--locale={locale}",
            *(["--locale-provider=icu", f"--icu-locale={icu_locale}"] if icu_locale else []),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = (
        f"-p {server.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off"
    )
    server.pg_ctl("start", "-w", "-l", str(base / "server.log"), "-o", options)
    return server


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
