"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
from litestar import Request, Response, get

from backend.db.migrate import pending_migrations
from backend.http.guards import ServicesDep
from backend.operations.readings import projection_lag, render_metrics, replica_health
from backend.working_days.status import calendar_health
from domain.errors import NotFound, Unauthenticated

__all__ = ["health", "metrics", "ready"]


_UP = {"status": "ok"}


@get("/health", operation_id="health", tags=["operations"], sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up."""
    return _UP


@get("/ready", operation_id="ready", tags=["operations"])
async def ready(services: ServicesDep) -> Response[dict[str, Any]]:
    """Database reachable, migrations applied, projections no further behind than allowed.
    ``calendar`` says whether a year deadlines may reach lacks an official holiday schedule:
    degraded, reported, but never a reason to take the process out of service; nor is a read
    replica that lags or is down (``replicas``: the primary answers its reads meanwhile)."""
    try:
        async with services.pool.acquire() as conn:
            pending = await pending_migrations(conn)
        lag = await projection_lag(services)
    except (OSError, TimeoutError) as exc:
        return Response({"status": "unready", "reason": f"database: {exc}"}, status_code=503)
    limit = services.settings.ready_max_lag
    behind = sorted(name for name, events in lag.items() if events > limit)
    failing = dict(services.runner.failures)
    ok = pending == 0 and not behind and not failing
    body: dict[str, Any] = {
        "status": "ready" if ok else "unready",
        "pendingMigrations": pending,
        "lag": lag,
        "maxLag": limit,
        "leading": sorted(services.runner.leading),
        "calendar": msgspec.to_builtins(calendar_health(services)),
    }
    if services.reads.replicas:
        body["replicas"] = replica_health(services)
    if behind:
        body["reason"] = f"projections behind by more than {limit} events: {', '.join(behind)}"
    if failing:
        body["failing"] = failing
    return Response(body, status_code=200 if ok else 503)


@get("/metrics", operation_id="metrics", tags=["operations"], include_in_schema=False)
async def metrics(services: ServicesDep, request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition of this process; outside the sandbox only for a scraper that
    sends ``Authorization: Bearer $ONEWINDOW_METRICS_TOKEN`` (404 when no token is set)."""
    token = services.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthenticated("需要指标令牌")
    elif not services.settings.sandbox:
        raise NotFound("请设置 ONEWINDOW_METRICS_TOKEN 以开放 /metrics")
    return Response(
        await render_metrics(services), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
