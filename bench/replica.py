"""The progress query served by a streaming replica against the same query on the primary.

A durable (fsync on) primary and hot standby of the embedded PostgreSQL on loopback
(``backend.db.embedded_replica``); the real server runs twice on the same data, once with
reads on the primary and once with ``ONEWINDOW_READ_DATABASE_URL`` naming the replica, and
``wrk`` GETs ``/api/v1/applications/{id}`` on each for the same time. Both servers share the
machine's two cores with both PostgreSQL servers, so the ratio says what the read path costs
through a replica, not what a replica on its own host would add.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import asyncpg
import httpx

from backend.db.embedded_replica import start_streaming_pair
from bench.commands import prepare
from bench.common import CpuMeter, postmaster_pid
from bench.queries import Measured, one_application, serve, time_wrk, wait_until_up

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run_replica"]

DATABASE = "bench_replica"


async def _replica_in_pool(client: httpx.AsyncClient, within: float = 30.0) -> None:
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        replicas = (await client.get("/ready")).json().get("replicas", [])
        if replicas and all(r["inReadPool"] for r in replicas):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the replica did not join the read pool")


async def run_replica(
    tmp: Path, *, connections: int, warmup: float, duration: float
) -> dict[str, Measured]:
    """wrk on the progress query read from the primary, then from the replica."""
    pair = await asyncio.to_thread(start_streaming_pair, durable=True, lifetime_seconds=600)
    try:
        admin = await asyncpg.connect(pair.primary_url())
        try:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await admin.close()
        url = pair.primary_url(DATABASE)
        await prepare(url, tmp / "prepare")
        # both servers' CPU counted together (the meter follows one postmaster: the primary)
        meter = CpuMeter(postmaster_pid(pair.primary_dir))
        found: dict[str, Measured] = {}
        for source, env in (
            ("primary", {}),
            ("replica-1", {"ONEWINDOW_READ_DATABASE_URL": pair.replica_url(DATABASE)}),
        ):
            with serve(url, tmp / source, env) as (base_url, pid):
                async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                    await wait_until_up(client)
                    if env:
                        await _replica_in_pool(client)
                    app_id, headers = await one_application(client, url)
                    path = f"/api/v1/applications/{app_id}"
                    seen = await client.get(path, headers=headers)
                    if seen.headers.get("onewindow-read-source") != source:
                        msg = f"read from {seen.headers.get('onewindow-read-source')}, not {source}"
                        raise RuntimeError(msg)
                found[source] = await time_wrk(
                    base_url,
                    path,
                    pid,
                    meter,
                    headers=headers,
                    connections=connections,
                    warmup=warmup,
                    duration=duration,
                )
        return found
    finally:
        await asyncio.to_thread(pair.stop)
