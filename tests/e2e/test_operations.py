"""Operations endpoints: liveness, readiness with projection lag, Prometheus metrics."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import citizen_headers


async def test_ready_reports_each_projection_lag_and_this_process_leads_them(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["pendingMigrations"] == 0
    assert {"catalog", "progress"} <= set(body["lag"])
    assert all(isinstance(v, int) and v >= 0 for v in body["lag"].values())


async def test_metrics_expose_lag_request_latency_and_command_saves(
    client: httpx.AsyncClient,
) -> None:
    headers = await citizen_headers(client)
    await client.post(
        "/api/v1/applications/00000000-0000-0000-0000-000000000000/withdraw",
        json={"reason": "x"},
        headers=headers,
    )
    text = (await client.get("/metrics")).text
    assert 'onewindow_projection_lag_events{projection="progress"}' in text
    assert "onewindow_http_request_duration_seconds_bucket" in text
    # requests are labelled by route template, never by raw ids
    assert 'route="/api/v1/applications/{applicationId}/withdraw"' in text
    assert "00000000-0000" not in text
    assert "onewindow_command_save_duration_seconds_count" in text
