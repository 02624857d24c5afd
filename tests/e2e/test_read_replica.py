"""Read models on a real streaming replica: the embedded PostgreSQL as a primary and, from
``pg_basebackup``, a hot standby, both on 127.0.0.1 (their own, not the shared test server).

The rules: reads of read models go to the replica; ``?after=`` still returns the citizen's own
write when the replica stops replaying (from the primary, within the wait); a replica that
stops replaying leaves the read pool and comes back once it has caught up; one that goes away
mid-request leaves the read to the primary."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.embedded_replica import (
    StreamingPair,
    pg_basebackup_available,
    start_streaming_pair,
)
from backend.settings import Settings
from backend.settings.reads import ReadSettings
from tests.e2e.conftest import SECRET, citizen_headers, required_materials, staff_headers, upload

pytestmark = pytest.mark.skipif(
    not pg_basebackup_available(), reason="the embedded PostgreSQL has no pg_basebackup"
)

FOOD = "XK-00101-000"
DATABASE = "onewindow"
WAIT = 5.0  # ONEWINDOW_PROJECTION_WAIT_SECONDS: the bound on ?after=
MAX_LAG = 2.0  # ONEWINDOW_READ_MAX_LAG_SECONDS (a loaded 2-core box replays late at times)
WITHIN = 120.0  # the whole journey, servers' start excluded (about 7 s on an idle 2-core box)


@pytest.fixture(scope="module")
def pair() -> Iterator[StreamingPair]:
    """A primary and its hot standby, stopped (and removed) after this module; a watchdog
    stops them after 10 minutes or when this process is gone, whatever happens here."""
    started = start_streaming_pair(lifetime_seconds=600)  # not under pytest's tmp: see there
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
async def client(
    pair: StreamingPair, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app with its events, commands and workers on the primary, its reads on the replica."""
    admin = await asyncpg.connect(pair.primary_url())
    try:
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("replica-app"),
        database_url=pair.primary_url(DATABASE),
        secret_key=SECRET,
        projection_wait_seconds=WAIT,
        reads=ReadSettings(
            replica_urls=(pair.replica_url(DATABASE),),
            max_lag_seconds=MAX_LAG,
            replica_wait_seconds=1.5,  # ?after= on the replica even when its replay is slow
            health_interval_seconds=0.1,
        ),
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as test_client:
        yield test_client


async def _until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def _replica(client: httpx.AsyncClient) -> dict[str, Any]:
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text  # a lagging replica never makes us unready
    (replica,) = ready.json()["replicas"]
    found: dict[str, Any] = replica
    return found


async def _in_pool(client: httpx.AsyncClient, wanted: bool) -> None:
    async def check() -> bool:
        return bool((await _replica(client))["inReadPool"]) is wanted

    await _until(check)


async def _submit(client: httpx.AsyncClient, citizen: dict[str, str]) -> dict[str, Any]:
    guide = await client.get(f"/api/v1/services/{FOOD}")
    assert guide.status_code == 200, guide.text
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide.json(), "new")
    ]
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": "老王面馆"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    submitted: dict[str, Any] = response.json()
    return submitted


async def _read(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], source: str
) -> httpx.Response:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["onewindow-read-source"] == source, url
    return response


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_reads_go_to_the_replica_and_a_paused_replica_still_shows_the_citizen_their_write(
    client: AsyncTestClient[Any], pair: StreamingPair
) -> None:
    async with asyncio.timeout(WITHIN):
        await _journey(client, pair)


async def _paused(standby: asyncpg.Connection) -> bool:
    # pg_wal_replay_pause() only asks: the startup process stops before its next record
    return bool(await standby.fetchval("SELECT pg_get_wal_replay_pause_state() = 'paused'"))


async def _journey(client: AsyncTestClient[Any], pair: StreamingPair) -> None:
    await _in_pool(client, True)
    citizen = await citizen_headers(client, "replica-wang")
    clerk = await staff_headers(client, "amr-clerk")

    # the journey, every read on the replica, each with the position its command answered
    app = await _submit(client, citizen)
    detail = f"/api/v1/applications/{app['id']}"
    progress = await _read(client, f"{detail}?after={app['position']}", citizen, "replica-1")
    assert progress.json()["status"] == "submitted"
    assert progress.headers["onewindow-read-after"] == "reached"
    mine = await _read(
        client, f"/api/v1/applications?after={app['position']}", citizen, "replica-1"
    )
    assert [a["id"] for a in mine.json()] == [app["id"]]
    queue = await _read(
        client,
        f"/api/v1/admin/worklist?queue=acceptance&after={app['position']}",
        clerk,
        "replica-1",
    )
    assert app["id"] in [item["id"] for item in queue.json()]
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text
    progress = await _read(
        client, f"{detail}?after={accepted.json()['position']}", citizen, "replica-1"
    )
    assert progress.json()["status"] == "accepted"
    # the reviews of both stages and the result, each followed by a read on the replica
    review = f"/api/v1/admin/applications/{app['id']}/review"
    approve = {"decision": "approve", "opinion": "材料齐全"}
    for reviewer in ("amr-reviewer", "health-reviewer", "fire-reviewer", "amr-reviewer"):
        reviewed = await client.post(
            review, json=approve, headers=await staff_headers(client, reviewer)
        )
        assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "approved"
    issued = await client.post(
        f"/api/v1/admin/applications/{app['id']}/issue-result",
        json={"documentNo": "JY13101050099999"},
        headers=clerk,
    )
    assert issued.status_code == 200, issued.text
    progress = await _read(
        client, f"{detail}?after={issued.json()['position']}", citizen, "replica-1"
    )
    assert progress.json()["status"] == "ready_for_pickup"
    assert "JY13101050099999" in progress.json()["timeline"][-1]["text"]

    # the replica stops replaying; the citizen's next write is still in what they read
    standby = await asyncpg.connect(pair.replica_url(DATABASE))
    try:
        await standby.execute("SELECT pg_wal_replay_pause()")
        await _until(lambda: _paused(standby))
        second = await _submit(client, citizen)
        started = time.monotonic()
        own = await _read(
            client,
            f"/api/v1/applications/{second['id']}?after={second['position']}",
            citizen,
            "primary",
        )
        assert time.monotonic() - started < WAIT
        assert own.json()["status"] == "submitted"
        assert own.headers["onewindow-read-after"] == "reached"

        # a replica that has stopped replaying leaves the read pool once it is too far behind
        await _in_pool(client, False)
        replica = await _replica(client)
        assert replica["replayPaused"] is True
        assert replica["lagBytes"] > 0
        assert replica["lagSeconds"] > MAX_LAG
        await _read(client, "/api/v1/applications", citizen, "primary")  # no ?after= either
        metrics = (await client.get("/metrics")).text
        assert _metric(metrics, "onewindow_replica_in_read_pool", replica="replica-1") == 0
        assert _metric(metrics, "onewindow_replica_replay_paused", replica="replica-1") == 1
        assert _metric(metrics, "onewindow_replica_lag_seconds", replica="replica-1") > MAX_LAG
        assert _metric(metrics, "onewindow_replica_lag_bytes", replica="replica-1") > 0
        assert (
            _metric(
                metrics,
                "onewindow_read_model_reads_total",
                source="primary",
                reason="replica_behind",
            )
            >= 1
        )

        # replaying again, it catches up and is back in the pool: reads go to it again
        await standby.execute("SELECT pg_wal_replay_resume()")
        await _in_pool(client, True)
    finally:
        await standby.close()
    back = await _read(
        client,
        f"/api/v1/applications/{second['id']}?after={second['position']}",
        citizen,
        "replica-1",
    )
    assert back.json()["id"] == second["id"]
    metrics = (await client.get("/metrics")).text
    assert (
        _metric(metrics, "onewindow_read_model_reads_total", source="replica-1", reason="replica")
        > 0
    )

    # the replica goes away: the read that was given to it is answered by the primary
    pair.stop_replica()
    gone = await client.get("/api/v1/applications", headers=citizen)
    assert gone.status_code == 200, gone.text
    assert gone.headers["onewindow-read-source"].endswith("primary")
    assert [a["id"] for a in gone.json()] == [second["id"], app["id"]]
    await _in_pool(client, False)
    assert (await _replica(client))["reachable"] is False
