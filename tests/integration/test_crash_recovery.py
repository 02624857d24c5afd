"""An API process killed with SIGKILL in the middle of commands leaves no half-written command,
and clients that retry with their Idempotency-Key get one application each."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.integration.test_scale_out import _cli, _env, _free_port, _wait_ready
from tests.samples import PDF

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "GF-00301-000"
CLIENTS = 40


async def _submit(client: httpx.AsyncClient, token: str, key: str, file_id: str) -> Any:
    body = {
        "serviceCode": SERVICE,
        "situationId": "self",
        "form": {"key": key},
        "materials": [
            {"materialId": "id-card", "fileId": file_id},
            {"materialId": "social-security-card", "fileId": file_id},
            {"materialId": "termination-proof", "fileId": file_id},
        ],
        "delivery": {"method": "pickup"},
    }
    return await client.post(
        "/api/v1/applications",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


async def test_a_killed_api_process_leaves_no_half_command_and_retries_get_one_answer(
    db_url: str, tmp_path: Path
) -> None:
    env = _env(db_url, tmp_path)  # (rate limits lifted: one citizen sends 80 creating POSTs)
    subprocess.run(  # noqa: ASYNC221 - a short setup command of our own CLI
        [".venv/bin/python", "-m", "backend.cli", "catalog", "load", "backend/demo/catalog.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    port = _free_port()
    server = _cli("serve", "--port", str(port), env=env)
    try:
        await _wait_ready(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            login = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-crash"})
            token = login.json()["token"]
            upload = await client.post(
                "/api/v1/files",
                files={"file": ("p.pdf", PDF, "application/pdf")},
                headers={"Authorization": f"Bearer {token}"},
            )
            file_id = upload.json()["fileId"]
            keys = [f"crash-{i}" for i in range(CLIENTS)]
            attempts = [asyncio.create_task(_submit(client, token, k, file_id)) for k in keys]
            await asyncio.sleep(0.05)
            server.send_signal(signal.SIGKILL)  # in the middle of the burst
            first = await asyncio.gather(*attempts, return_exceptions=True)
        server.wait(timeout=10)
        answered = {
            k: r.json()["id"]
            for k, r in zip(keys, first, strict=True)
            if isinstance(r, httpx.Response) and r.status_code == 201
        }

        assert len(answered) < CLIENTS, "the kill must interrupt the burst"

        server = _cli("serve", "--port", str(port), env=env)
        await _wait_ready(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            retried = await asyncio.gather(*(_submit(client, token, k, file_id) for k in keys))
        assert [r.status_code for r in retried] == [201] * CLIENTS
        ids = {k: r.json()["id"] for k, r in zip(keys, retried, strict=True)}
        # an answer the client got before the crash is the answer it gets again
        assert {k: ids[k] for k in answered} == answered
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)

    conn = await asyncpg.connect(db_url)
    try:
        streams = await conn.fetch(
            "SELECT originator_id, count(*) AS events FROM onewindow_events"
            " WHERE topic LIKE 'domain.application%' GROUP BY originator_id"
        )
        remembered = await conn.fetch("SELECT key, response->>'id' AS id FROM idempotency_keys")
    finally:
        await conn.close()
    # one application per key, each a whole Submitted event with its idempotency record
    assert len(streams) == CLIENTS
    assert {r["events"] for r in streams} == {1}
    assert {r["key"]: r["id"] for r in remembered} == ids
    assert {str(r["originator_id"]) for r in streams} == set(ids.values())
