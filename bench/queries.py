"""The progress query over HTTP against the bare SQL it runs.

The real server (``python -m backend.cli serve``: uvicorn, one worker, Litestar) runs as a
subprocess on 127.0.0.1 with its projection worker. A citizen logs in (sandbox WeChat),
submits one application, and 64 clients (httpx.AsyncClient tasks in this process, which shares
the two cores with the server and PostgreSQL) GET ``/api/v1/applications/{id}`` for a fixed
time; then the same with a minimal keep-alive client on asyncio streams, which leaves the
server more of the CPU. The ceiling: the same 64 clients running ``SELECT detail FROM
application_view WHERE id = $1`` through a bare asyncpg pool (20 connections, as the server's
pool; no JSON decoding).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import msgspec

from bench.commands import prepare, submission
from bench.common import SECRET_KEY, CpuMeter, Recorded, Window, process_cpu_seconds

__all__ = ["run_bare", "run_http", "serve"]

ROOT = Path(__file__).resolve().parents[1]
POOL_SIZE = 20  # the server's pool (backend.db.connect_pool)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(url: str, data_dir: Path) -> Iterator[tuple[str, int]]:
    """The API server as a subprocess; yields its base URL and pid, stops it afterwards."""
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_DATA_DIR": str(data_dir),
        "ONEWINDOW_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
    }
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def _wait_until_up(client: httpx.AsyncClient, within: float = 60.0) -> None:
    deadline = time.perf_counter() + within
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/health")).status_code == 200:
                return
        if time.perf_counter() > deadline:
            raise RuntimeError("the API server did not start; see server.log in the data dir")
        await asyncio.sleep(0.2)


async def _one_application(client: httpx.AsyncClient, url: str) -> tuple[str, dict[str, str]]:
    """Log a citizen in, give them a file, submit; return the id once the view has it."""
    login = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-bench"})
    login.raise_for_status()
    body = login.json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    file_id = uuid.uuid4()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO files (id, owner_id, sha256, size, content_type)"
            " VALUES ($1, $2, $3, $4, $5)",
            file_id,
            UUID(body["citizenId"]),
            "0" * 64,
            1024,
            "application/pdf",
        )
    finally:
        await conn.close()
    submitted = await client.post(
        "/api/v1/applications/",
        content=msgspec.json.encode(submission(file_id)),
        headers={**headers, "Content-Type": "application/json"},
    )
    submitted.raise_for_status()
    answer = submitted.json()
    app_id: str = answer["id"]
    for _ in range(20):  # the server's projection worker makes the view (read your writes)
        seen = await client.get(
            f"/api/v1/applications/{app_id}", params={"after": answer["position"]}, headers=headers
        )
        if seen.status_code == 200:
            return app_id, headers
    seen.raise_for_status()
    raise RuntimeError(f"the application never showed: HTTP {seen.status_code}")


async def _get_loop(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], recorded: Recorded
) -> None:
    while recorded.window.open():
        started = time.perf_counter()
        try:
            response = await client.get(path, headers=headers)
            if response.status_code != 200:
                recorded.error(RuntimeError(f"HTTP {response.status_code}"))
                continue
        except httpx.HTTPError as exc:
            recorded.error(exc)
            continue
        recorded.add("get", started, time.perf_counter())


async def _raw_loop(base_url: str, path: str, headers: dict[str, str], recorded: Recorded) -> None:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: GET, read the whole answer."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        while recorded.window.open():
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if status != b"200":
                recorded.error(RuntimeError(f"HTTP {status.decode()}"))
                continue
            recorded.add("get", started, time.perf_counter())
    finally:
        writer.close()


@dataclass
class HttpResult:
    """Both HTTP clients' recordings, with CPU use, and the application they read."""

    httpx: Recorded
    httpx_cpu: dict[str, float]
    raw: Recorded
    raw_cpu: dict[str, float]
    application_id: str


async def run_http(
    url: str,
    data_dir: Path,
    meter: CpuMeter,
    *,
    clients: int,
    warmup: float,
    duration: float,
) -> HttpResult:
    """Hammer the progress query over HTTP, first with httpx, then with the minimal client.

    httpx: one ``httpx.AsyncClient`` per simulated user, as each phone has its own connection
    (one shared client with 64 pooled connections costs about ten times more CPU per request
    in httpx 0.28 and measures the client, not the server).
    """
    await prepare(url, data_dir)
    with serve(url, data_dir / "server") as (base_url, pid):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await _wait_until_up(client)
            app_id, headers = await _one_application(client, url)
        path = f"/api/v1/applications/{app_id}"
        users = [httpx.AsyncClient(base_url=base_url, timeout=30) for _ in range(clients)]
        try:
            recorded = Recorded(Window.after(warmup, duration))
            started, server0 = meter.start(), process_cpu_seconds(pid)
            await asyncio.gather(*(_get_loop(u, path, headers, recorded) for u in users))
            httpx_cpu = meter.stop(started)
            httpx_cpu["server_cpu_s"] = round(process_cpu_seconds(pid) - server0, 3)
        finally:
            for user in users:
                await user.aclose()
        raw = Recorded(Window.after(warmup, duration))
        started, server0 = meter.start(), process_cpu_seconds(pid)
        await asyncio.gather(*(_raw_loop(base_url, path, headers, raw) for _ in range(clients)))
        raw_cpu = meter.stop(started)
        raw_cpu["server_cpu_s"] = round(process_cpu_seconds(pid) - server0, 3)
    return HttpResult(recorded, httpx_cpu, raw, raw_cpu, app_id)


async def run_bare(
    url: str, app_id: str, meter: CpuMeter, *, clients: int, warmup: float, duration: float
) -> tuple[Recorded, dict[str, float]]:
    """The same read as bare SQL through asyncpg, at the same concurrency."""
    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    assert pool is not None
    key = UUID(app_id)
    recorded = Recorded(Window.after(warmup, duration))

    async def loop() -> None:
        while recorded.window.open():
            started = time.perf_counter()
            detail = await pool.fetchval("SELECT detail FROM application_view WHERE id = $1", key)
            if detail is None:
                recorded.error(LookupError("no row"))
                continue
            recorded.add("get", started, time.perf_counter())

    try:
        started = meter.start()
        await asyncio.gather(*(loop() for _ in range(clients)))
        cpu = meter.stop(started)
    finally:
        await pool.close()
    return recorded, cpu
