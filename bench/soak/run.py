"""One soak run: start the cluster, drive the load for ``seconds``, inject the three faults on a
fixed timeline, sample lag, outbox and memory, let everything settle, then check and report."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.journeys import Api
from bench.soak.cluster import Cluster
from bench.soak.load import Load
from bench.soak.records import RATES

__all__ = ["Fault", "Samples", "Timeline", "soak"]

_log = logging.getLogger(__name__)


@dataclass
class Timeline:
    """When each fault happens, in seconds into the load."""

    seconds: float
    warmup: float
    postgres_at: float
    postgres_for: float
    wechat_at: float
    wechat_for: float
    kill_at: float

    @classmethod
    def of(cls, seconds: float) -> Timeline:
        """The faults one after the other, each with time to recover before the next: for
        ten minutes PostgreSQL at 120 s, WeChat at 190 s (for a minute), the kill at 480 s."""
        postgres_at = max(12.0, 0.2 * seconds)
        wechat_at = postgres_at + 10.0 + max(6.0, 0.1 * seconds)
        return cls(
            seconds=seconds,
            warmup=max(10.0, 0.1 * seconds),
            postgres_at=postgres_at,
            postgres_for=10.0,
            wechat_at=wechat_at,
            wechat_for=min(60.0, 0.2 * seconds),
            kill_at=0.8 * seconds,
        )


@dataclass
class Fault:
    """A fault as it happened: its window, and what recovery took."""

    name: str
    start: float = 0.0
    end: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class Samples:
    """Once a second: projection lag and the outbox; every five: memory (RSS, bytes)."""

    lag: list[tuple[float, int]] = field(default_factory=list)
    outbox: list[tuple[float, int]] = field(default_factory=list)
    api_rss: list[tuple[float, int]] = field(default_factory=list)
    worker_rss: list[tuple[float, int]] = field(default_factory=list)


async def _connect(url: str) -> asyncpg.Connection | None:
    with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return await asyncpg.connect(url, timeout=2)
    return None


async def _sample(cluster: Cluster, load: Load, samples: Samples, stop: asyncio.Event) -> None:
    conn: asyncpg.Connection | None = None
    tick = 0
    while not stop.is_set():
        now = load.now()
        if tick % 5 == 0:
            samples.api_rss.append((now, cluster.rss(cluster.api)))
            workers = cluster.live_workers()
            samples.worker_rss.append((now, sum(cluster.rss(w) for w in workers)))
        if conn is None or conn.is_closed():
            conn = await _connect(cluster.postgres.url)
        if conn is not None:
            try:
                row = await conn.fetchrow(
                    "SELECT (SELECT coalesce(max(notification_id), 0) FROM onewindow_events)"
                    " - (SELECT coalesce(min(position), 0) FROM projection_tracking) AS lag,"
                    " (SELECT count(*) FROM notification_outbox"
                    "  WHERE status IN ('pending', 'sending')) AS waiting"
                )
                assert row is not None
                samples.lag.append((now, int(row["lag"])))
                samples.outbox.append((now, int(row["waiting"])))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn = None  # the outage: sample again when it is over
            except asyncpg.exceptions.InternalClientError:
                # a connection the outage left mid-statement: drop it, sample on a new one
                conn.terminate()
                conn = None
        tick += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    if conn is not None:
        await conn.close()


def _first_ack_after(load: Load, moment: float) -> float | None:
    later = [a.at for a in load.acks if a.at >= moment]
    return min(later) - moment if later else None


async def _postgres_down(cluster: Cluster, load: Load, plan: Timeline, fault: Fault) -> None:
    fault.start = load.now()
    await asyncio.to_thread(cluster.postgres.stop)
    await asyncio.sleep(plan.postgres_for)
    await asyncio.to_thread(cluster.postgres.start)
    fault.end = load.now()
    await asyncio.sleep(15)
    recovered = _first_ack_after(load, fault.end)
    fault.figures["first_write_after_start_s"] = recovered if recovered is not None else -1


async def _wechat_down(cluster: Cluster, load: Load, plan: Timeline, fault: Fault) -> None:
    fault.start = load.now()
    await asyncio.to_thread(cluster.wechat.stop)
    await asyncio.sleep(plan.wechat_for)
    await asyncio.to_thread(cluster.wechat.start)
    fault.end = load.now()
    conn = await _connect(cluster.postgres.url)
    if conn is None:
        return
    try:  # how long until every message queued while WeChat was away has gone out
        backlog = await conn.fetchval("SELECT coalesce(max(id), 0) FROM notification_outbox")
        async with asyncio.timeout(300):
            while True:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM notification_outbox"
                    " WHERE id <= $1 AND status IN ('pending', 'sending')",
                    backlog,
                )
                if not waiting:
                    break
                await asyncio.sleep(0.5)
        fault.figures["outbox_caught_up_s"] = load.now() - fault.end
    except TimeoutError:
        fault.figures["outbox_caught_up_s"] = -1
    finally:
        await conn.close()


async def _kill_worker(cluster: Cluster, load: Load, fault: Fault) -> None:
    conn = await _connect(cluster.postgres.url)
    if conn is None:
        fault.figures["takeover_s"] = -1
        return
    try:
        victim = await cluster.leader(conn)
        if victim is None:
            fault.figures["takeover_s"] = -1
            return
        await asyncio.to_thread(cluster.kill, victim)
        fault.start = load.now()
        async with asyncio.timeout(60):
            while True:
                leader = await cluster.leader(conn)
                if leader not in (None, victim):
                    break
                await asyncio.sleep(0.1)
        fault.end = load.now()
        fault.figures["takeover_s"] = fault.end - fault.start
        fault.figures["new_leader_pid"] = float(leader or 0)
        cluster.start_worker()  # as systemd would restart it
    except TimeoutError:
        fault.figures["takeover_s"] = -1
    finally:
        await conn.close()


async def _faults(cluster: Cluster, load: Load, plan: Timeline) -> list[Fault]:
    postgres = Fault("postgres stopped")
    wechat = Fault("wechat down")
    worker = Fault("worker killed")

    async def at(moment: float, action: Any) -> None:
        await asyncio.sleep(max(0.0, moment - load.now()))
        await action

    await asyncio.gather(
        at(plan.postgres_at, _postgres_down(cluster, load, plan, postgres)),
        at(plan.wechat_at, _wechat_down(cluster, load, plan, wechat)),
        at(plan.kill_at, _kill_worker(cluster, load, worker)),
    )
    return [postgres, wechat, worker]


async def _workers_ready(cluster: Cluster, within: float = 120.0) -> None:
    """Until both workers are connected and one leads the projections, caught up; else the
    first reads of one's own writes wait on workers still starting (a loaded machine takes
    seconds to start a Python process)."""
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        async with asyncio.timeout(within):
            while True:
                names = {
                    r["application_name"]
                    for r in await conn.fetch(
                        "SELECT DISTINCT application_name FROM pg_stat_activity"
                    )
                }
                workers = {f"onewindow-{w.pid}" for w in cluster.live_workers()}
                lag = await conn.fetchval(
                    "SELECT (SELECT coalesce(max(notification_id), 0) FROM onewindow_events)"
                    " - (SELECT coalesce(min(position), 0) FROM projection_tracking)"
                )
                if workers <= names and await cluster.leader(conn) is not None and lag == 0:
                    return
                await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _settle(cluster: Cluster, within: float = 180.0) -> float:
    """Wait for no lag and an empty outbox; how long it took (-1: not within the bound)."""
    started = time.monotonic()
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        while time.monotonic() - started < within:
            row = await conn.fetchrow(
                "SELECT (SELECT coalesce(max(notification_id), 0) FROM onewindow_events)"
                " - (SELECT coalesce(min(position), 0) FROM projection_tracking) AS lag,"
                " (SELECT count(*) FROM notification_outbox"
                "  WHERE status IN ('pending', 'sending')) AS waiting"
            )
            assert row is not None
            if row["lag"] == 0 and row["waiting"] == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return -1.0


async def soak(root: Path, seconds: float, rate: float = 1.0) -> dict[str, Any]:
    """Run the soak in ``root``; the measurements and the verdicts of the checks."""
    from bench.soak.checks import check

    plan = Timeline.of(seconds)
    cluster = Cluster(root)
    try:
        await cluster.prepare()
        await asyncio.to_thread(cluster.start_api)
        cluster.start_worker()
        cluster.start_worker()
        await _workers_ready(cluster)  # as a deployment starts them before it takes traffic
        # idle connections dropped before uvicorn's keep-alive (5 s) ends them: else a request
        # may go out on a connection the server is closing (an httpx ReadError, seen once in a
        # 25-minute run on a loaded machine)
        limits = httpx.Limits(keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=cluster.base_url, timeout=30, limits=limits) as http:
            load = Load(Api(http, prefix="soak"), cluster.pay, cluster.sf)
            load.api.on_call = load.on_call
            for _ in range(10):  # a few citizens before the clock starts
                await load.login()
            load.started = time.monotonic()
            samples, stop = Samples(), asyncio.Event()
            sampler = asyncio.create_task(_sample(cluster, load, samples, stop))
            faults = asyncio.create_task(_faults(cluster, load, plan))
            running: set[asyncio.Task[None]] = set()
            await asyncio.gather(
                *(
                    load.run(kind, per_second * rate, seconds, running)
                    for kind, per_second in RATES.items()
                )
            )
            if running:
                await asyncio.wait(running, timeout=60)
            ended = load.now()
            fault_list = await faults
            settled = await _settle(cluster)
            stop.set()
            await sampler
            return await check(
                cluster=cluster,
                load=load,
                plan=plan,
                faults=fault_list,
                samples=samples,
                ended=ended,
                settled=settled,
            )
    finally:
        await cluster.close()
