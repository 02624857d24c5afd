"""Backup and restore as an operator runs them: data built through the API of a real server,
``onewindow backup`` while it runs, the database and the data dir destroyed, ``onewindow
restore`` into empty ones; every application, payment, booking and delivery then reads the
same over HTTP, the uploaded files are back byte for byte, and the read models equal the ones
the original server had built event by event."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import tarfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import pytest

from backend.bootstrap import projections
from bench.journeys import Api
from bench.processes import free_port, onewindow_env, start, stop, wait_healthy
from domain.calendar import CST
from tests.integration.test_cli import Run, onewindow

pytestmark = pytest.mark.slow

SECRET = "backup-test-secret-key-that-is-long-enough"
REASON = {"reason": "核对申请人信息"}


@contextlib.asynccontextmanager
async def served(db_url: str, data_dir: Path) -> AsyncIterator[Api]:
    """``onewindow serve`` on a free port, and a client of it."""
    port = free_port()
    server = start("serve", "--port", str(port), env=onewindow_env(db_url, data_dir, SECRET))
    try:
        await asyncio.to_thread(wait_healthy, port, server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield Api(http, prefix="backup")
    finally:
        await asyncio.to_thread(stop, server)


async def settled(api: Api) -> None:
    """Every read model has every event (``/ready`` says no lag)."""
    async with asyncio.timeout(30):
        while True:
            lag = (await api.http.get("/ready")).json().get("lag", {})
            if lag and not any(lag.values()):
                return
            await asyncio.sleep(0.1)


async def delivering(api: Api, app_id: str) -> dict[str, Any]:
    """The courier task of ``app_id`` once the fake SF has booked it."""
    async with asyncio.timeout(30):
        while True:
            task = next(
                (t for t in await api.courier_tasks() if t["applicationId"] == app_id), None
            )
            if task is not None and task["waybillNo"]:
                return task
            await asyncio.sleep(0.2)


async def build(api: Api) -> dict[str, Any]:
    """A few citizens' cases in different states: (citizen, application id) of each."""
    by_courier, payer, applicant, waiting = [await api.citizen() for _ in range(4)]
    delivered = (await api.submit_food(by_courier, courier=True))["id"]
    await api.approve_food(delivered)
    task = await delivering(api, delivered)
    for step in ("picked_up", "in_transit"):
        await api.courier_report(task["id"], step, location="杭州西湖营业部")

    fee = (await api.submit_id_card(payer))["id"]
    await api.act("police-clerk", fee, "accept")
    await api.act("police-reviewer", fee, "review", {"decision": "approve", "opinion": "同意"})
    assert (await api.pay(payer, fee))["notified"]
    today = datetime.now(UTC).astimezone(CST).date()
    assert await api.book(payer, "city-center", today) is not None

    form = {"name": "王小明", "phone": "13800138000", "idNumber": "110101199003078515"}
    accepted = (await api.submit_unemployment(applicant, form))["id"]
    await api.act("hrss-clerk", accepted, "accept")
    submitted = (await api.submit_unemployment(waiting, form))["id"]
    return {
        "cases": [
            (by_courier, delivered),
            (payer, fee),
            (applicant, accepted),
            (waiting, submitted),
        ],
        "payer": payer,
    }


async def reads(api: Api, built: dict[str, Any]) -> dict[str, Any]:
    """Everything the API shows of the built cases."""
    await settled(api)
    supervisor = await api.staff("supervisor", fresh=True)
    shown: dict[str, Any] = {}
    for citizen, app_id in built["cases"]:
        shown[f"progress {app_id}"] = await api.progress(citizen, app_id)
        history = await api.http.get(
            f"/api/v1/admin/applications/{app_id}/history", params=REASON, headers=supervisor
        )
        assert history.status_code == 200, history.text
        shown[f"history {app_id}"] = history.json()
    appointments = await api.http.get("/api/v1/appointments", headers=built["payer"])
    shown["appointments"] = appointments.json()
    shown["courier tasks"] = await api.courier_tasks()
    shown["stats"] = (await api.http.get("/api/v1/admin/stats", headers=supervisor)).json()
    shown["worklist"] = (
        await api.http.get("/api/v1/admin/worklist", headers=await api.staff("hrss-clerk"))
    ).json()
    return shown


async def read_models(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every read model's rows, in a stable order."""
    conn = await asyncpg.connect(db_url)
    try:
        tables = {t: None for p in projections() for t in p.tables}
        return {
            t: sorted(tuple(map(str, r.values())) for r in await conn.fetch(f"SELECT * FROM {t}"))
            for t in tables
        }
    finally:
        await conn.close()


def file_hashes(root: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


async def recreate_empty(server_url: str, db_url: str) -> None:
    name = urlsplit(db_url).path.lstrip("/")
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def cli(db_url: str, data_dir: Path, *args: str) -> Run:
    return await onewindow(db_url, data_dir, *args, ONEWINDOW_SECRET_KEY=SECRET)


async def test_a_backup_restored_into_an_empty_database_and_data_dir_reads_the_same(
    db_url: str, server_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    archive = tmp_path / "backups" / "onewindow.tar"
    async with served(db_url, data) as api:
        built = await build(api)
        before = await reads(api, built)
        models = await read_models(db_url)
        made = await cli(db_url, data, "backup", str(archive))  # while the server runs
    assert made.returncode == 0, made.stderr
    assert "the secret key is not in the archive" in made.stdout.lower()
    uploaded = file_hashes(data / "files")
    assert len(uploaded) >= 2

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = msgspec.json.decode(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[:2] == ["manifest.json", "database.dump"]
    assert all(n.startswith("files/") for n in names[2:])
    assert manifest["files"] == len(names) - 2 == len(uploaded)
    assert manifest["events"] > 20
    newest = sorted((Path(__file__).parents[2] / "migrations").glob("*.sql"))[-1]
    assert manifest["migrations"][-1]["name"] == newest.stem.split("_", 1)[1]  # all of them
    assert SECRET.encode() not in archive.read_bytes(), "the secret key must not be archived"

    # the disaster: the database and the data dir are gone
    await recreate_empty(server_url, db_url)
    shutil.rmtree(data)
    restored = await cli(db_url, data, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "read models rebuilt" in restored.stdout

    assert file_hashes(data / "files") == uploaded
    assert await read_models(db_url) == models, "the rebuilt read models differ"
    async with served(db_url, data) as api:
        after = await reads(api, built)
    assert after == before


async def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    db_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar"
    made = await cli(db_url, tmp_path / "data", "backup", str(archive))
    assert made.returncode == 0, made.stderr

    refused = await cli(db_url, tmp_path / "data", "restore", str(archive))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr
    assert "--force" in refused.stderr

    forced = await cli(db_url, tmp_path / "data", "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr


async def test_restore_refuses_an_archive_whose_keys_are_not_configured(
    db_url: str, server_url: str, tmp_path: Path
) -> None:
    async with served(db_url, tmp_path / "data") as api:
        await api.submit_unemployment(await api.citizen(), {"name": "李四"})  # a data key
    archive = tmp_path / "b.tar"
    assert (await cli(db_url, tmp_path / "data", "backup", str(archive))).returncode == 0
    await recreate_empty(server_url, db_url)

    other = await onewindow(
        db_url, tmp_path / "other", "restore", str(archive),
        ONEWINDOW_SECRET_KEY="another-secret-key-of-at-least-32-bytes",
    )  # fmt: skip
    assert other.returncode == 1
    assert "not configured" in other.stderr
    conn = await asyncpg.connect(db_url)
    try:  # nothing was restored
        assert await conn.fetchval("SELECT to_regclass('onewindow_events')") is None
    finally:
        await conn.close()


async def test_a_damaged_archive_is_refused_before_anything_is_written(
    db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not a tar at all")
    refused = await cli(db_url, tmp_path / "data", "restore", str(bad))
    assert refused.returncode == 1
    assert "cannot be read as a onewindow backup" in refused.stderr
    assert not (tmp_path / "data" / "files").exists()
