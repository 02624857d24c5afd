"""What every response says about itself: no sniffing, nothing private cached, no CDN for the
API's documentation, and /metrics only for whoever holds its token outside the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from tests.e2e.conftest import SECRET, citizen_headers


async def test_every_response_says_nosniff_and_private_ones_are_not_stored(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    for response in (
        await client.get("/health"),
        await client.get("/api/v1/applications", headers=citizen),
        await client.get("/api/v1/applications/not-a-uuid", headers=citizen),  # a problem
        await client.get("/schema/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
    login = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-headers"})
    assert login.headers["cache-control"] == "no-store"  # it carries a token
    mine = await client.get("/api/v1/applications", headers=citizen)
    assert mine.headers["cache-control"] == "no-store"


async def test_swagger_ui_is_served_from_our_own_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200, page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets, page.text[:500]
    assert all(a.startswith("/schema/static/") for a in assets), assets  # no CDN
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 0


async def test_metrics_need_their_token_when_one_is_set(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, secret_key=SECRET, metrics_token="scrape-me-please"
    )
    app: Any = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer scrape-me-not"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 401
        right = {"Authorization": "Bearer scrape-me-please"}
        scraped = await client.get("/metrics", headers=right)
        assert scraped.status_code == 200
        assert "onewindow_" in scraped.text
