"""The whole app over HTTP (Litestar's ASGI test client), on a fresh database, in sandbox mode."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.bootstrap import bootstrap
from backend.db.url import with_database
from backend.demo_data import load_demo
from backend.settings import Settings
from tests import samples
from tests.conftest import TEMPLATE, scratch_database

DEMO_PASSWORD = "onewindow-demo"
_codes = itertools.count(1)


SECRET = "test-secret-key-that-is-long-enough-for-hs256"
DEMO_TEMPLATE = "onewindow_test_demo"


@pytest.fixture(scope="session")
async def demo_template(server_url: str, template_url: str, tmp_path_factory: Any) -> str:
    """A migrated database with the demo catalogue, halls and staff, built once per run (staff
    password hashing is deliberately slow) and cloned for each e2e test."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DEMO_TEMPLATE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DEMO_TEMPLATE}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    url = with_database(server_url, DEMO_TEMPLATE)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("demo"), database_url=url, secret_key=SECRET
    )
    async with bootstrap(settings, run_workers=False) as services:
        await load_demo(services)
    return DEMO_TEMPLATE


@pytest.fixture
async def db_url(server_url: str, demo_template: str) -> AsyncIterator[str]:
    """In e2e tests, each test's database is a copy of the demo database (the ``pool`` fixture
    and the ``client`` fixture share it)."""
    async with scratch_database(server_url, demo_template) as url:
        yield url


@pytest.fixture
async def client(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API in sandbox mode with the demo catalogue and staff loaded."""
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def citizen_headers(client: httpx.AsyncClient, name: str | None = None) -> dict[str, str]:
    """Log a sandbox citizen in; a new one unless ``name`` is given."""
    code = f"sandbox-{name or f'citizen{next(_codes)}'}"
    response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def staff_headers(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Log a demo staff member in."""
    response = await client.post(
        "/api/v1/auth/staff-login", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


PNG = samples.PNG


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes = PNG) -> str:
    """Upload a file and return its id."""
    response = await client.post(
        "/api/v1/files", files={"file": ("scan.png", data, "image/png")}, headers=headers
    )
    assert response.status_code == 201, response.text
    file_id: str = response.json()["fileId"]
    assert response.json()["id"] == file_id  # a resource's own id is also ``id``
    return file_id


async def scans(
    client: httpx.AsyncClient, headers: dict[str, str], *material_ids: str
) -> list[dict[str, str]]:
    """An uploaded scan for each material (an e-certificate would have to be one the citizen
    holds)."""
    return [{"materialId": m, "fileId": await upload(client, headers)} for m in material_ids]


def required_materials(guide: dict[str, Any], situation_id: str) -> list[str]:
    """Ids of the materials that must be handed in at submission."""
    situation = next(s for s in guide["situations"] if s["id"] == situation_id)
    return [m["id"] for m in situation["materials"] if m["required"] and not m["deferrable"]]


Submit = Callable[..., Any]
