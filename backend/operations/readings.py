"""What /ready and /metrics read from the database and the runner at the moment of asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import generate_latest

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["projection_lag", "render_metrics"]


async def projection_lag(services: Services) -> dict[str, int]:
    """Events behind the head, per projection (from the database: true across processes)."""
    async with services.pool.acquire() as conn:
        head = await services.recorder.max_notification_id(conn)
        rows = await conn.fetch("SELECT name, position FROM projection_tracking")
    positions = {r["name"]: r["position"] for r in rows}
    return {p.name: head - positions.get(p.name, 0) for p in services.runner.projections}


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
    metrics.calendar_missing_years.set(len(services.calendar_keeper.missing_years(services)))
    data: bytes = generate_latest(metrics.registry)
    return data
