"""Shared fixtures: a real PostgreSQL (embedded unless ONEWINDOW_DATABASE_URL is set), one fresh
database per test cloned from a migrated template."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from backend.db import connect_pool
from backend.db.embedded import start_embedded_postgres, stop_embedded_postgres
from backend.db.migrate import apply_migrations
from backend.db.url import with_database

TEMPLATE = "onewindow_test_template"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run."""
    configured = os.environ.get("ONEWINDOW_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="onewindow-test-") as tmp:
        url = start_embedded_postgres(Path(tmp) / "pg")
        try:
            asyncio.run(_no_durability(url))
            yield url
        finally:
            stop_embedded_postgres(Path(tmp) / "pg")  # before its directory is removed


async def _no_durability(url: str) -> None:
    """A throw-away test server need not survive a power cut: skip fsync (reloadable)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ALTER SYSTEM SET fsync = off")
        await conn.execute("ALTER SYSTEM SET synchronous_commit = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def template_url(server_url: str) -> str:
    """A database with every migration applied, cloned for each test."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await admin.close()
    url = with_database(server_url, TEMPLATE)
    conn = await asyncpg.connect(url)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return url


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, template: str) -> AsyncIterator[str]:
    """A database cloned from ``template``, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def db_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    async with scratch_database(server_url, TEMPLATE) as url:
        yield url


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's own database."""
    p = await connect_pool(db_url, min_size=1, max_size=20)
    yield p
    await p.close()
