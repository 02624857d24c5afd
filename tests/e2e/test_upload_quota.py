"""Uploads are held to a quota per uploader until a submission uses them, and the ones never
used are gone a day later (row and content), while the same scan used elsewhere stays."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import system_clock
from backend.files.cleanup import delete_unattached_files
from backend.settings import Settings
from tests import samples
from tests.e2e.conftest import SECRET, citizen_headers, required_materials

BENEFIT = "GF-00301-000"  # 失业保险金申领, situation "self": three materials


class Clock:
    def __init__(self) -> None:
        self.now = system_clock()

    def __call__(self) -> datetime:
        return self.now


async def post_file(client: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> Any:
    return await client.post(
        "/api/v1/files", files={"file": ("scan.png", data, "image/png")}, headers=headers
    )


async def test_unused_uploads_are_capped_per_citizen_and_a_submission_frees_them(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, secret_key=SECRET, upload_quota_files=3
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        citizen = await citizen_headers(client)
        ids = []
        for i in range(3):
            uploaded = await post_file(client, citizen, samples.png(4 + i, 4))
            assert uploaded.status_code == 201, uploaded.text
            ids.append(uploaded.json()["fileId"])
        full = await post_file(client, citizen, samples.png(9, 9))
        assert full.status_code == 413, full.text
        assert full.json()["code"] == "upload_quota_exceeded"
        # another citizen has a quota of their own
        assert (
            await post_file(client, await citizen_headers(client), samples.PNG)
        ).status_code == 201

        guide = (await client.get(f"/api/v1/services/{BENEFIT}")).json()
        materials = [
            {"materialId": m, "fileId": f}
            for m, f in zip(required_materials(guide, "self"), ids, strict=True)
        ]
        body = {
            "serviceCode": BENEFIT,
            "situationId": "self",
            "materials": materials,
            "delivery": {"method": "pickup"},
        }
        submitted = await client.post("/api/v1/applications", json=body, headers=citizen)
        assert submitted.status_code == 201, submitted.text
        assert (await post_file(client, citizen, samples.png(9, 9))).status_code == 201


async def test_uploads_never_used_are_deleted_after_a_day_but_shared_content_stays(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    clock = Clock()
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    app = create_app(settings, clock=clock)
    async with AsyncTestClient(app=app) as client:
        services = app.state.services
        owner, other = await citizen_headers(client), await citizen_headers(client)
        lonely = (await post_file(client, owner, samples.png(5, 5))).json()
        shared_a = (await post_file(client, owner, samples.PNG)).json()
        shared_b = (await post_file(client, other, samples.PNG)).json()  # the same content
        await pool.execute(
            "UPDATE files SET attached_at = now() WHERE id = $1::uuid", shared_b["fileId"]
        )

        def cleanup() -> int:  # on the app's own loop, where its pool lives
            return int(client.blocking_portal.call(delete_unattached_files, services))

        assert cleanup() == 0  # not a day old yet
        clock.now += timedelta(days=1, minutes=1)
        assert cleanup() == 2
        left = {str(r["id"]) for r in await pool.fetch("SELECT id FROM files")}
        assert left == {shared_b["fileId"]}
        stored = tmp_path / "files"
        assert not any(stored.rglob(lonely["sha256"]))
        assert any(stored.rglob(shared_b["sha256"]))  # still someone's material
        assert shared_a["sha256"] == shared_b["sha256"]
