"""``onewindow serve`` on its embedded PostgreSQL: after SIGTERM nothing of it is left running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_healthy(port: int, serve: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # first start runs initdb and every migration
    while time.monotonic() < deadline:
        assert serve.poll() is None, "serve exited before it was up"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("serve did not answer /health in time")


def test_sigterm_stops_the_embedded_postgresql_before_serve_exits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env["ONEWINDOW_DATA_DIR"] = str(tmp_path)  # no database URL: the embedded server
    port = _free_port()
    script = Path(sys.executable).with_name("onewindow")
    serve = subprocess.Popen(  # noqa: S603 - our own console script
        [str(script), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    postmaster = 0
    try:
        _wait_healthy(port, serve)
        postmaster = int((tmp_path / "pg" / "postmaster.pid").read_text().split()[0])
        assert _running(postmaster)
        serve.send_signal(signal.SIGTERM)
        log = tmp_path / "serve.log"
        assert serve.wait(timeout=30) == 128 + signal.SIGTERM, log.read_text()[-3000:]
        # the postmaster is our child's child: once serve has exited it must be gone already
        assert not _running(postmaster), "the embedded PostgreSQL outlived serve"
        assert not (tmp_path / "pg" / "postmaster.pid").exists()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        if postmaster and _running(postmaster):
            os.kill(postmaster, signal.SIGQUIT)  # leave no server behind a failed test
