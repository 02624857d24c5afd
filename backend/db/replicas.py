"""The read pool: hot-standby replicas of the primary for the queries of read models, each
measured every ``health_interval_seconds`` and left out while it lags or cannot be reached.

A replica is in the read pool while it answers, is in recovery (a standby, not a promoted
copy) and its replay is at most ``max_lag_seconds`` behind the primary; it comes back by
itself once that holds again. Without replicas every read goes to the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg

from backend.db import connect_pool
from backend.db.fair import FairQueries
from backend.db.replica_lag import LagClock

if TYPE_CHECKING:
    from backend.settings.reads import ReadSettings

__all__ = ["LOST", "ReadPools", "Replica", "ReplicaHealth"]

_log = logging.getLogger(__name__)

# what a replica's failure looks like to a query: the connection or the server went away, the
# standby cancelled the statement (a recovery conflict) or refuses connections now
LOST: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.SerializationError,
)

_REPLAY = (
    "SELECT pg_is_in_recovery() AS standby,"
    " pg_wal_lsn_diff(coalesce(pg_last_wal_replay_lsn(), '0/0'), '0/0')::bigint AS replayed,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused"
)
_PRIMARY_LSN = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
_POSITIONS = "SELECT name, position FROM projection_tracking"


@dataclass
class ReplicaHealth:
    """What the last check found (``None``: not measured yet)."""

    reachable: bool = False
    standby: bool = False
    replay_paused: bool = False
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str | None = None


class Replica:
    """One hot standby: its pool, health, and the tracking positions last read on it."""

    def __init__(self, name: str, url: str, pool: asyncpg.Pool) -> None:
        self.name = name
        parts = urlsplit(url)
        self.address = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        self.pool = pool
        self.reads = FairQueries(pool)  # the read models' queries, in their turn
        self.health = ReplicaHealth()
        self.in_pool = False
        # the projections' positions as last read here: a lower bound, replay only moves on
        self.positions: dict[str, int] = {}

    async def read_positions(self) -> dict[str, int]:
        """The projections' tracking positions as this replica has replayed them."""
        rows = await self.pool.fetch(_POSITIONS)
        self.positions = {r["name"]: int(r["position"]) for r in rows}
        return self.positions


class ReadPools:
    """The primary and the replicas that read models may be read from."""

    def __init__(
        self,
        primary: asyncpg.Pool,
        replicas: list[Replica] | None = None,
        *,
        max_lag_seconds: float = 5.0,
        replica_wait_seconds: float = 0.25,
        health_interval_seconds: float = 1.0,
    ) -> None:
        self.primary = primary
        self.primary_reads = FairQueries(primary)  # the read models' queries, in their turn
        self.replicas = replicas or []
        self.max_lag_seconds = max_lag_seconds
        self.replica_wait_seconds = replica_wait_seconds
        self.interval = health_interval_seconds
        self._clock = LagClock(keep_seconds=max(60.0, 4 * self.max_lag_seconds))
        self._turn = itertools.count()

    @classmethod
    async def open(cls, primary: asyncpg.Pool, settings: ReadSettings) -> ReadPools:
        """Pools for the configured replicas (connected lazily: one that is down at start
        only stays out of the read pool), checked once before the first request."""
        replicas = []
        for number, url in enumerate(settings.replica_urls, start=1):
            pool = await connect_pool(
                url, min_size=0, max_size=settings.pool_size, connect_timeout=2.0
            )
            replicas.append(Replica(f"replica-{number}", url, pool))
        reads = cls(
            primary,
            replicas,
            max_lag_seconds=settings.max_lag_seconds,
            replica_wait_seconds=settings.replica_wait_seconds,
            health_interval_seconds=settings.health_interval_seconds,
        )
        await reads.check()
        return reads

    def candidates(self) -> list[Replica]:
        """The replicas in the read pool, a different one first on each call."""
        ready = [r for r in self.replicas if r.in_pool]
        if len(ready) < 2:
            return ready
        start = next(self._turn) % len(ready)
        return ready[start:] + ready[:start]

    def lost(self, replica: Replica, error: BaseException) -> None:
        """A query on ``replica`` failed as if it were gone: out until the next check."""
        if replica.in_pool:
            _log.warning("read replica %s left the read pool: %r", replica.name, error)
        replica.in_pool = False
        replica.health = ReplicaHealth(error=repr(error))  # lag unknown while unreachable

    async def check(self) -> None:
        """Measure every replica's replay against the primary's WAL position now."""
        if not self.replicas:
            return
        loop = asyncio.get_running_loop()
        try:
            self._clock.record(loop.time(), int(await self.primary.fetchval(_PRIMARY_LSN)))
        except LOST:
            _log.warning("cannot read the primary's WAL position", exc_info=True)
        await asyncio.gather(*(self._check(r, loop.time) for r in self.replicas))

    async def _check(self, replica: Replica, now: Callable[[], float]) -> None:
        health = replica.health
        try:
            row = await replica.pool.fetchrow(_REPLAY)
            assert row is not None
            await replica.read_positions()
        except LOST as exc:
            self.lost(replica, exc)
            return
        health.reachable, health.error = True, None
        health.standby, health.replay_paused = row["standby"], row["paused"]
        health.lag_bytes = self._clock.lag_bytes(row["replayed"])
        health.lag_seconds = self._clock.lag_seconds(row["replayed"], now())
        fit = health.standby and (health.lag_seconds or 0.0) <= self.max_lag_seconds
        if not health.standby:
            health.error = "not in recovery: a promoted copy is not a replica of this primary"
        if fit != replica.in_pool:
            _log.warning(
                "read replica %s %s the read pool (replay %s s, %s bytes behind%s)",
                replica.name,
                "is back in" if fit else "left",
                health.lag_seconds,
                health.lag_bytes,
                ", paused" if health.replay_paused else "",
            )
        replica.in_pool = fit

    async def watch(self, stop: asyncio.Event) -> None:
        """Check every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
            if not stop.is_set():
                await self.check()

    async def close(self) -> None:
        """Close the replicas' pools (the primary's belongs to its owner)."""
        for replica in self.replicas:
            await replica.pool.close()
