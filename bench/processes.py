"""``onewindow`` processes run as an operator runs them (the soak, and tests of the real server):
a free loopback port, an environment holding nothing but ``ONEWINDOW_*`` settings, start, wait
until healthy, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

__all__ = ["ROOT", "free_port", "onewindow_env", "start", "stop", "wait_healthy"]

ROOT = Path(__file__).resolve().parents[1]

# every simulated citizen comes from 127.0.0.1: the limits are tested elsewhere
_NO_LIMITS = {
    "ONEWINDOW_RATE_LIMIT_LOGIN_PER_IP": "0",
    "ONEWINDOW_RATE_LIMIT_CREATE_PER_CITIZEN": "0",
}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def onewindow_env(
    db_url: str, data_dir: Path, secret_key: str, *, limits: bool = False, **extra: str
) -> dict[str, str]:
    """This process's environment without any ``ONEWINDOW_*`` of its own, plus the given ones
    (``limits``: keep the rate limits; off by default, as every caller is 127.0.0.1)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {
        "ONEWINDOW_DATABASE_URL": db_url,
        "ONEWINDOW_DATA_DIR": str(data_dir),
        "ONEWINDOW_SECRET_KEY": secret_key,
    }
    if not limits:
        env |= _NO_LIMITS
    env |= extra
    return env


def start(
    *args: str, env: dict[str, str], log: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """``onewindow ARGS`` in its own process group, output (stdout and stderr) to ``log``: a
    file, ``subprocess.PIPE``, or nowhere."""
    target: IO[bytes] | int = log if log is not None else subprocess.DEVNULL
    return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=target,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until ``/health`` on ``port`` answers 200; fail if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"the server on port {port} exited with {process.returncode} while starting"
            raise RuntimeError(msg)
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    msg = f"the server on port {port} did not start within {timeout} s"
    raise RuntimeError(msg)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit within ``timeout``."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
