"""The ``onewindow`` command line, run as the operator runs it: a separate process configured only
through ``ONEWINDOW_*`` variables, against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import pytest

from backend.auth.passwords import verify_password
from backend.db.url import with_database

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "backend" / "demo" / "catalog.json"
DEMO_ITEMS = len(msgspec.json.decode(CATALOG.read_bytes())["services"])
DEMO_LIFE_EVENTS = len(msgspec.json.decode(CATALOG.read_bytes())["lifeEvents"])
DEMO_EVENTS = DEMO_ITEMS + DEMO_LIFE_EVENTS  # one Published event each


class Run(msgspec.Struct, frozen=True):
    returncode: int
    stdout: str
    stderr: str


def _command() -> list[str]:
    script = Path(sys.executable).with_name("onewindow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


async def onewindow(db_url: str, data_dir: Path, *args: str, **more_env: str) -> Run:
    """Run the console script with nothing but the environment telling it where to work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {"ONEWINDOW_DATABASE_URL": db_url, "ONEWINDOW_DATA_DIR": str(data_dir), **more_env}
    process = await asyncio.create_subprocess_exec(
        *_command(),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(60):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def empty_db_url(server_url: str) -> AsyncIterator[str]:
    """A database with no migrations applied at all."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(server_url, name)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _table_exists(url: str, table: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))
    finally:
        await conn.close()


async def test_migrate_builds_the_schema_and_can_run_again(
    empty_db_url: str, tmp_path: Path
) -> None:
    assert not await _table_exists(empty_db_url, "onewindow_events")

    first = await onewindow(empty_db_url, tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrations applied" in first.stdout
    for table in ("onewindow_events", "staff", "projection_tracking", "application_view"):
        assert await _table_exists(empty_db_url, table), table

    again = await onewindow(empty_db_url, tmp_path, "migrate")
    assert again.returncode == 0, again.stderr


async def test_serve_demo_is_refused_when_wechat_credentials_are_configured(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    run = await onewindow(
        db_url,
        tmp_path,
        "serve",
        "--demo",
        ONEWINDOW_WECHAT_APPID="wx0123456789abcdef",
        ONEWINDOW_WECHAT_SECRET="a-real-secret",
    )
    assert run.returncode == 2, run.stdout
    assert "--demo" in run.stderr
    assert "published password" in run.stderr
    assert await pool.fetchval("SELECT count(*) FROM staff") == 0  # no demo admin was made


async def test_the_sandbox_refuses_to_listen_beyond_loopback(db_url: str, tmp_path: Path) -> None:
    run = await onewindow(db_url, tmp_path, "serve", "--host", "0.0.0.0")  # noqa: S104
    assert run.returncode == 2, run.stdout
    assert "loopback" in run.stderr
    assert "--unsafe-public-sandbox" in run.stderr


async def test_a_secret_key_shorter_than_32_bytes_is_refused_at_start(
    db_url: str, tmp_path: Path
) -> None:
    run = await onewindow(db_url, tmp_path, "migrate", ONEWINDOW_SECRET_KEY="short-key")
    assert run.returncode == 2
    assert "at least 32 bytes" in run.stderr


async def test_staff_create_makes_an_account_and_refuses_a_taken_username(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    args = ["staff", "create", "--username", "u1", "--password", "longenough1"]
    args += ["--role", "clerk", "--department", "市民政局"]

    created = await onewindow(db_url, tmp_path, *args)
    assert created.returncode == 0, created.stderr
    assert "u1" in created.stdout
    row = await pool.fetchrow(
        "SELECT role, department, password_hash FROM staff WHERE username = 'u1'"
    )
    assert row is not None
    assert (row["role"], row["department"]) == ("clerk", "市民政局")
    assert verify_password(row["password_hash"], "longenough1")

    again = await onewindow(db_url, tmp_path, *args)
    assert again.returncode != 0
    assert "u1" in again.stderr
    assert "已被使用" in again.stderr
    assert "Traceback" not in again.stderr
    assert await pool.fetchval("SELECT count(*) FROM staff WHERE username = 'u1'") == 1


async def test_staff_update_moves_an_account_and_deactivate_closes_it(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    create = ["staff", "create", "--username", "u2", "--password", "longenough2"]
    assert (
        await onewindow(db_url, tmp_path, *create, "--role", "clerk", "--department", "市民政局")
    ).returncode == 0
    moved = await onewindow(
        db_url, tmp_path, "staff", "update", "--username", "u2", "--department", "市公安局"
    )
    assert moved.returncode == 0, moved.stderr
    row = await pool.fetchrow("SELECT role, department, active FROM staff WHERE username = 'u2'")
    assert row is not None
    assert (row["role"], row["department"], row["active"]) == ("clerk", "市公安局", True)
    closed = await onewindow(db_url, tmp_path, "staff", "deactivate", "--username", "u2")
    assert closed.returncode == 0, closed.stderr
    assert await pool.fetchval("SELECT active FROM staff WHERE username = 'u2'") is False
    unknown = await onewindow(db_url, tmp_path, "staff", "deactivate", "--username", "nobody")
    assert unknown.returncode == 1
    assert "nobody" in unknown.stderr


async def test_staff_create_refuses_a_short_password(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    refused = await onewindow(
        db_url,
        tmp_path,
        *("staff", "create", "--username", "u2", "--password", "short7!"),
        *("--role", "reviewer", "--department", "市民政局"),
    )

    assert refused.returncode != 0
    assert "password" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert await pool.fetchval("SELECT count(*) FROM staff WHERE username = 'u2'") == 0


async def test_catalog_load_publishes_every_item_of_the_file(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    loaded = await onewindow(db_url, tmp_path, "catalog", "load", str(CATALOG))

    assert loaded.returncode == 0, loaded.stderr
    assert f"published: {DEMO_ITEMS}" in loaded.stdout
    assert f"life events published: {DEMO_LIFE_EVENTS}" in loaded.stdout
    assert await pool.fetchval("SELECT count(*) FROM onewindow_events") == DEMO_EVENTS


async def test_loading_the_same_catalogue_again_leaves_every_item_unchanged(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    first = await onewindow(db_url, tmp_path, "catalog", "load", str(CATALOG))
    assert first.returncode == 0, first.stderr

    again = await onewindow(db_url, tmp_path, "catalog", "load", str(CATALOG))

    assert again.returncode == 0, again.stderr
    assert f"unchanged: {DEMO_ITEMS}" in again.stdout
    assert f"life events unchanged: {DEMO_LIFE_EVENTS}" in again.stdout
    assert await pool.fetchval("SELECT count(*) FROM onewindow_events") == DEMO_EVENTS


async def test_projections_rebuild_replays_the_log_into_the_read_models(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    loaded = await onewindow(db_url, tmp_path, "catalog", "load", str(CATALOG))
    assert loaded.returncode == 0, loaded.stderr
    # the command line runs no worker: nothing is in the read model yet
    assert await pool.fetchval("SELECT count(*) FROM catalog_view") == 0

    rebuilt = await onewindow(db_url, tmp_path, "projections", "rebuild")

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"catalog: {DEMO_EVENTS} events replayed" in rebuilt.stderr
    assert f"progress: {DEMO_EVENTS} events replayed" in rebuilt.stderr
    assert await pool.fetchval("SELECT count(*) FROM catalog_view") == DEMO_ITEMS
    tracked = await pool.fetch("SELECT name, position FROM projection_tracking")
    positions = {r["name"]: r["position"] for r in tracked}
    head = await pool.fetchval("SELECT max(notification_id) FROM onewindow_events")
    assert positions["catalog"] == positions["progress"] == head


async def test_rebuilding_an_unknown_projection_exits_with_2(db_url: str, tmp_path: Path) -> None:
    refused = await onewindow(db_url, tmp_path, "projections", "rebuild", "nope")

    assert refused.returncode == 2
    assert "nope" in refused.stderr
    assert "Traceback" not in refused.stderr


# The 2027 file has invented dates (tests/fixtures/README.md): never a real schedule.
TEST_ONLY_2027 = ROOT / "tests" / "fixtures" / "calendar-2027-TEST-ONLY-invented.json"


async def test_calendar_load_makes_a_year_official_and_status_lists_it(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    before = await onewindow(db_url, tmp_path, "calendar", "status")
    assert before.returncode == 0, before.stderr
    assert "years with official data: 2004-2026" in before.stdout
    assert "chinese-calendar 1.11.0: 2004-2026" in before.stdout

    loaded = await onewindow(db_url, tmp_path, "calendar", "load", str(TEST_ONLY_2027))

    assert loaded.returncode == 0, loaded.stderr
    assert "2027: 7 days loaded" in loaded.stdout
    row = await pool.fetchrow("SELECT source, loaded_by FROM calendar_years WHERE year = 2027")
    assert row is not None
    assert row["loaded_by"] == "cli"
    assert row["source"].startswith("TEST ONLY")
    after = await onewindow(db_url, tmp_path, "calendar", "status")
    assert after.returncode == 0, after.stderr
    assert "years with official data: 2004-2027" in after.stdout
    assert "loaded 2027: TEST ONLY" in after.stdout


async def test_calendar_load_refuses_a_file_breaking_a_rule_with_each_place_named(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    broken = msgspec.json.decode(TEST_ONLY_2027.read_bytes())
    broken["workdays"][0]["day"] = "2027-01-08"  # a Friday
    broken["source"] = ""
    path = tmp_path / "broken-2027.json"
    path.write_bytes(msgspec.json.encode(broken))

    refused = await onewindow(db_url, tmp_path, "calendar", "load", str(path))

    assert refused.returncode == 1
    assert "未导入任何数据" in refused.stderr
    assert "  workdays[0].day: 2027-01-08 is a Friday" in refused.stderr
    assert "  source: required" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert await pool.fetchval("SELECT count(*) FROM calendar_years") == 0
    assert await pool.fetchval("SELECT count(*) FROM calendar_overrides") == 0
