"""Schemathesis against /schema/openapi.json of a running server: no 5xx on any input it makes.

It runs three times: with no token, as a citizen and as a supervisor, so that generated input
reaches the handlers behind the guards, not only the 401/403 answers in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import DEMO_PASSWORD
from tests.integration.test_scale_out import _cli, _env, _free_port, _wait_ready

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


async def _token(client: httpx.AsyncClient, who: str) -> str | None:
    if who == "anonymous":
        return None
    if who == "citizen":
        response = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-fuzz"})
    else:
        response = await client.post(
            "/api/v1/auth/staff-login", json={"username": who, "password": DEMO_PASSWORD}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


@pytest.mark.parametrize("who", ["anonymous", "citizen", "supervisor"])
async def test_no_generated_request_gets_a_server_error(
    db_url: str, tmp_path: Path, who: str
) -> None:
    env = _env(db_url, tmp_path)
    port = _free_port()
    server = _cli("serve", "--demo", "--port", str(port), env=env)
    try:
        await _wait_ready(port)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            token = await _token(client, who)
        args = [
            str(SCHEMATHESIS),
            "run",
            f"{base}/schema/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "6",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--no-color",
        ]
        if token:
            args += ["--header", f"Authorization: Bearer {token}"]
        run = await asyncio.create_subprocess_exec(
            *args,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        async with asyncio.timeout(240):
            output, _ = await run.communicate()
        text = output.decode(errors="replace")
        assert run.returncode == 0, text[-6000:]
        assert "Server error" not in text
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
