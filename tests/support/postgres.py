"""A real, throw-away PostgreSQL server in a temporary folder (Debian's postgresql package).

initdb refuses to run as root, so when the tests run as root the server runs as the `postgres`
system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import uuid
from pathlib import Path

from tests.support.net import HOST, free_port


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install Debian's `postgresql` package "
            "(scripts/install-system.sh does)"
        )
    return Path(found[-1]).parent


class PostgresServer:
    """Start with `start()`, stop with `stop()`; `url(dbname)` gives a SQLAlchemy URL."""

    def __init__(self, base_dir: Path) -> None:
        self.bindir = _bindir()
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.socket_dir = base_dir / "sock"
        self.port = free_port()
        self.user = "meatyapis"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._as_user, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self._as_user:
            pg = pwd.getpwnam("postgres")
            for d in (self.base_dir, self.socket_dir):
                os.chown(d, pg.pw_uid, pg.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.base_dir / "server.log"),
            "-o",
            f"-c listen_addresses={HOST} -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        if self.data_dir.exists():
            subprocess.run(
                [
                    *self._as_user,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    "60",
                    "stop",
                ],
                capture_output=True,
                timeout=90,
                check=False,
            )

    def restart(self) -> None:
        """Stop and start the same cluster on the same port (for outage tests)."""
        self.stop()
        self._pg_ctl_start()  # the same options: a bare `pg_ctl start` would listen on 5432

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database and return its SQLAlchemy (psycopg 3) URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run(
            str(self.bindir / "createdb"), "-h", HOST, "-p", str(self.port), "-U", self.user, name
        )
        return self.url(name)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{dbname}"

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)
