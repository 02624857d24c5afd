"""Numbered SQL migrations on scratch databases: applied once, safe to run concurrently, and an
edited or misnamed file stops the run instead of letting the schema drift."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from backend.db.migrate import (
    MIGRATIONS_DIR,
    MigrationChanged,
    apply_migrations,
    load_migrations,
    pending_migrations,
)
from backend.db.url import with_database

ALL_VERSIONS = [m.version for m in load_migrations()]


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """An empty database (no migrations), dropped afterwards."""
    name = f"m_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
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
def migrations_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


async def table_exists(conn: asyncpg.Connection, table: str) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))


async def test_applying_migrations_twice_applies_nothing_the_second_time(
    server_url: str,
) -> None:
    assert ALL_VERSIONS[:1] == [1]
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            assert await pending_migrations(conn) == len(ALL_VERSIONS)
            assert await apply_migrations(conn) == ALL_VERSIONS
            assert await apply_migrations(conn) == []
            assert await pending_migrations(conn) == 0
            rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
            assert [r[0] for r in rows] == ALL_VERSIONS
            assert await table_exists(conn, "onewindow_events")
        finally:
            await conn.close()


async def test_concurrent_migrations_of_one_fresh_database_apply_each_file_once(
    server_url: str,
) -> None:
    """Several API processes starting at once on a new database: the advisory lock serialises
    them, so none fails on a half-created schema."""
    async with scratch_database(server_url) as url:
        conns = [await asyncpg.connect(url) for _ in range(3)]
        try:
            results = await asyncio.gather(*(apply_migrations(c) for c in conns))
            assert sorted(results, key=len) == [[], [], ALL_VERSIONS]
            count = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
            assert count == len(ALL_VERSIONS)
        finally:
            for conn in conns:
                await conn.close()


async def test_concurrent_migrations_of_two_fresh_databases_both_succeed(
    server_url: str,
) -> None:
    async with scratch_database(server_url) as first, scratch_database(server_url) as second:
        conns = [await asyncpg.connect(first), await asyncpg.connect(second)]
        try:
            results = await asyncio.gather(*(apply_migrations(c) for c in conns))
            assert results == [ALL_VERSIONS, ALL_VERSIONS]
        finally:
            for conn in conns:
                await conn.close()


def edit_first_and_add_a_later_migration(directory: Path) -> None:
    first = next(directory.glob("0001_*.sql"))
    first.write_text(first.read_text(encoding="utf-8") + "\n-- tweak\n", "utf-8")
    later = max(ALL_VERSIONS) + 1
    (directory / f"{later:04d}_later.sql").write_text("CREATE TABLE later_table (id int);", "utf-8")


async def test_editing_an_applied_migration_is_refused(
    server_url: str, migrations_copy: Path
) -> None:
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            assert await apply_migrations(conn, migrations_copy) == ALL_VERSIONS
            edit_first_and_add_a_later_migration(migrations_copy)

            with pytest.raises(MigrationChanged, match="0001_"):
                await apply_migrations(conn, migrations_copy)

            assert not await table_exists(conn, "later_table")
            assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == max(
                ALL_VERSIONS
            )
            # the lock was released: the original files still apply cleanly
            assert await apply_migrations(conn) == []
        finally:
            await conn.close()


@pytest.mark.parametrize(
    "name",
    ["4_short_number.sql", "0004-dashes.sql", "0004_Upper.sql", "00004_five_digits.sql"],
)
async def test_a_misnamed_migration_file_is_refused_before_anything_is_applied(
    server_url: str, migrations_copy: Path, name: str
) -> None:
    (migrations_copy / name).write_text("CREATE TABLE misnamed (id int);", "utf-8")
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            with pytest.raises(ValueError, match=r"0001_name\.sql"):
                await apply_migrations(conn, migrations_copy)
            assert not await table_exists(conn, "schema_migrations")
            assert not await table_exists(conn, "onewindow_events")
        finally:
            await conn.close()


async def test_two_migrations_with_the_same_number_are_refused(
    server_url: str, migrations_copy: Path
) -> None:
    (migrations_copy / "0001_again.sql").write_text("CREATE TABLE again (id int);", "utf-8")
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            with pytest.raises(ValueError, match="two migrations numbered 1"):
                await apply_migrations(conn, migrations_copy)
            assert not await table_exists(conn, "schema_migrations")
        finally:
            await conn.close()
