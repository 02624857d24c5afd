"""What /ready and /metrics read from the database and the runner at the moment of asking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import generate_latest

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["projection_lag", "render_metrics", "replica_health"]


async def projection_lag(services: Services) -> dict[str, int]:
    """Events behind the head, per projection (from the database: true across processes)."""
    async with services.pool.acquire() as conn:
        head = await services.recorder.max_notification_id(conn)
        rows = await conn.fetch("SELECT name, position FROM projection_tracking")
    positions = {r["name"]: r["position"] for r in rows}
    return {p.name: head - positions.get(p.name, 0) for p in services.runner.projections}


def replica_health(services: Services) -> list[dict[str, Any]]:
    """Each read replica as its last check found it (every few seconds, backend.db.replicas)."""
    return [
        {
            "name": r.name,
            "address": r.address,
            "inReadPool": r.in_pool,
            "reachable": r.health.reachable,
            "lagBytes": r.health.lag_bytes,
            "lagSeconds": None if r.health.lag_seconds is None else round(r.health.lag_seconds, 3),
            "replayPaused": r.health.replay_paused,
            **({"error": r.health.error} if r.health.error else {}),
        }
        for r in services.reads.replicas
    ]


async def render_metrics(services: Services) -> bytes:
    """The text exposition, with gauges read now."""
    metrics = services.metrics
    runner = services.runner
    for name, lag in (await projection_lag(services)).items():
        metrics.lag.labels(name).set(lag)
        metrics.leader.labels(name).set(1 if name in runner.leading else 0)
        metrics.batch.labels(name).set(runner.batch_sizes.get(name, 0))
        metrics.applied.labels(name).set(runner.events_applied.get(name, 0))
    if await services.pool.fetchval("SELECT to_regclass('notification_outbox') IS NOT NULL"):
        rows = await services.pool.fetch(
            "SELECT status, count(*) FROM notification_outbox GROUP BY status"
        )
        for row in rows:
            metrics.outbox.labels(row[0]).set(row[1])
    for replica in services.reads.replicas:
        health = replica.health
        metrics.replica_in_pool.labels(replica.name).set(1 if replica.in_pool else 0)
        metrics.replica_paused.labels(replica.name).set(1 if health.replay_paused else 0)
        # unknown (never measured, or unreachable since start): NaN, not a reassuring 0
        metrics.replica_lag_bytes.labels(replica.name).set(
            float("nan") if health.lag_bytes is None else health.lag_bytes
        )
        metrics.replica_lag_seconds.labels(replica.name).set(
            float("nan") if health.lag_seconds is None else health.lag_seconds
        )
    metrics.calendar_missing_years.set(len(services.calendar_keeper.missing_years(services)))
    data: bytes = generate_latest(metrics.registry)
    return data
