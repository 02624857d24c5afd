"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from backend.api.guards import ServicesDep
from backend.migrate import pending_migrations

__all__ = ["health", "ready"]


@get("/health", operation_id="health", tags=["operations"])
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["operations"])
async def ready(services: ServicesDep) -> Response[dict[str, Any]]:
    """Database reachable, migrations applied, and how far behind each projection is."""
    try:
        async with services.pool.acquire() as conn:
            pending = await pending_migrations(conn)
            head = await services.recorder.max_notification_id(conn)
            rows = await conn.fetch("SELECT name, position FROM projection_tracking")
    except (OSError, TimeoutError) as exc:
        return Response({"status": "unready", "reason": f"database: {exc}"}, status_code=503)
    positions = {r["name"]: r["position"] for r in rows}
    lag = {p.name: head - positions.get(p.name, 0) for p in services.runner.projections}
    ok = pending == 0
    body = {"status": "ready" if ok else "unready", "pendingMigrations": pending, "lag": lag}
    return Response(body, status_code=200 if ok else 503)
