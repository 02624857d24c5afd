"""The soak's own embedded PostgreSQL, which it stops and starts for real (``pg_ctl``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from backend.db.embedded import start_embedded_postgres
from backend.db.tools import pg_program

__all__ = ["Postgres"]


class Postgres:
    """A server with its data in ``pgdata``, on a Unix socket only, never shared with tests."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        self.url = start_embedded_postgres(self.pgdata, keep_running=True)
        # postmaster.pid: pid, data dir, start time, port, socket dir, ...
        self.socket_dir = (self.pgdata / "postmaster.pid").read_text().splitlines()[4].strip()
        # as root, the embedded server runs as its own system user
        self._user = "embedded_postgres" if os.geteuid() == 0 else None

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own pg_ctl on our own data directory
            [pg_program("pg_ctl"), "-D", str(self.pgdata), "-w", *args],
            user=self._user,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        """A real stop (``-m fast``): sessions are ended, the socket goes away."""
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        """Start again on the same socket (the URL stays valid)."""
        self._pg_ctl(
            "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start"
        )

    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        path = self.pgdata / "postmaster.pid"
        return int(path.read_text().split()[0]) if path.exists() else None
