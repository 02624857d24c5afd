"""The API while its PostgreSQL is stopped for real: every request answers at once with 503
``unavailable`` and ``Retry-After`` (never a 500, never a hang), and the server recovers by
itself when the database is back, with what it acknowledged before still there."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from bench.processes import free_port, onewindow_env, start, stop, wait_healthy
from bench.soak.postgres import Postgres

pytestmark = pytest.mark.slow
SECRET = "outage-test-secret-key-of-enough-length"


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    """A server of its own (stopping it harms no other test), outside pytest's temporary
    directories (their modes and clean-ups are not the embedded server's)."""
    with tempfile.TemporaryDirectory(prefix="onewindow-outage-") as tmp:
        server = Postgres(Path(tmp) / "pg")
        try:
            yield server
        finally:
            if server.pid() is not None:
                server.stop()


async def test_a_stopped_database_is_503_with_retry_after_and_the_api_recovers_by_itself(
    postgres: Postgres, tmp_path: Path
) -> None:
    port = free_port()
    env = onewindow_env(postgres.url, tmp_path / "data", SECRET)
    server = start("serve", "--demo", "--port", str(port), env=env)
    try:
        await asyncio.to_thread(wait_healthy, port, server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            login = await http.post("/api/v1/auth/wechat-login", json={"code": "sandbox-o"})
            assert login.status_code == 200, login.text
            citizen = {"Authorization": f"Bearer {login.json()['token']}"}

            # a read of one's own write (?after=) waits on the process's LISTEN connection,
            # which the outage takes away: it must be listened for again afterwards
            conn = await asyncpg.connect(postgres.url)
            try:
                head = await conn.fetchval(
                    "SELECT coalesce(max(notification_id), 0) FROM onewindow_events"
                )
            finally:
                await conn.close()
            assert head > 0
            own = {"after": head}
            listened = await http.get("/api/v1/applications", params=own, headers=citizen)
            assert listened.status_code == 200, listened.text

            await asyncio.to_thread(postgres.stop)
            for method, path, body in (
                ("GET", "/api/v1/services", None),
                ("GET", "/api/v1/applications", None),
                ("POST", "/api/v1/auth/wechat-login", {"code": "sandbox-p"}),
            ):
                started = time.perf_counter()
                down = await http.request(method, path, json=body, headers=citizen)
                assert time.perf_counter() - started < 5, "an outage must not hang a request"
                assert down.status_code == 503, (path, down.text)
                assert down.json()["code"] == "unavailable"
                assert int(down.headers["retry-after"]) > 0
            assert (await http.get("/health")).status_code == 200  # the process is alive

            await asyncio.to_thread(postgres.start)
            again = await http.get("/api/v1/applications", headers=citizen)
            assert again.status_code == 200, again.text
            after = await http.get("/api/v1/applications", params=own, headers=citizen)
            assert after.status_code == 200, after.text
            back = await http.post("/api/v1/auth/wechat-login", json={"code": "sandbox-o"})
            assert back.status_code == 200, back.text  # the same citizen: their row survived
    finally:
        await asyncio.to_thread(stop, server)
