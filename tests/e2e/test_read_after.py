"""``?after=position`` on every read of a read model: the answer has the write, or it says it
has not got it yet (503 ``read_model_behind``, ``Retry-After``, ``Onewindow-Read-After:
timeout``), never an older answer that looks fresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from backend.settings.reads import ReadSettings
from tests.e2e.conftest import SECRET, citizen_headers, required_materials, staff_headers, upload

FOOD = "XK-00101-000"
HALL = "city-center"


async def _submit(client: httpx.AsyncClient, citizen: dict[str, str]) -> dict[str, Any]:
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
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


@pytest.fixture
async def idle(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API with no projection worker anywhere: nothing new reaches the read models."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        secret_key=SECRET,
        run_workers=False,
        projection_wait_seconds=0.2,
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as client:
        yield client


async def test_a_detail_read_straight_after_submit_is_never_a_404_but_a_503_until_applied(
    idle: AsyncTestClient[Any],
) -> None:
    citizen = await citizen_headers(idle)
    app = await _submit(idle, citizen)
    url = f"/api/v1/applications/{app['id']}?after={app['position']}"

    early = await idle.get(url, headers=citizen)
    assert early.status_code == 503, early.text  # not 404: the application exists
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "read_model_behind"
    assert early.json()["position"] == app["position"]
    assert early.headers["retry-after"] == "1"
    assert early.headers["onewindow-read-after"] == "timeout"

    services = idle.app.state.services

    async def apply_everything() -> None:
        for projection in services.runner.projections:
            await services.runner.catch_up(projection)

    idle.blocking_portal.call(apply_everything)  # on the app's own loop, where its pool is
    later = await idle.get(url, headers=citizen)
    assert later.status_code == 200, later.text
    assert later.json()["status"] == "submitted"
    assert later.headers["onewindow-read-after"] == "reached"
    assert later.headers["onewindow-read-source"] == "primary"

    metrics = (await idle.get("/metrics")).text
    assert 'onewindow_read_after_timeouts_total{projection="progress"} 1.0' in metrics


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("citizen", "/api/v1/applications"),
        ("citizen", "/api/v1/appointments"),
        ("amr-clerk", "/api/v1/admin/worklist"),
        ("supervisor", "/api/v1/admin/stuck-cases"),
        ("supervisor", "/api/v1/admin/stats"),
        ("supervisor", "/api/v1/admin/rectifications"),
        ("amr-clerk", f"/api/v1/admin/halls/{HALL}/appointments?date=2026-12-02"),
        ("amr-clerk", "/api/v1/admin/consultations"),
        ("amr-clerk", "/api/v1/admin/pre-reviews"),
        ("courier-sf", "/api/v1/courier/deliveries"),
        ("citizen", "/api/v1/me/certificates"),
        (None, "/api/v1/services"),
        (None, f"/api/v1/services/{FOOD}"),
        (None, "/api/v1/halls"),
        (None, f"/api/v1/halls/{HALL}/slots?date=2026-12-02"),
    ],
)
async def test_every_read_of_a_read_model_waits_for_after_and_says_when_it_did_not_get_there(
    idle: AsyncTestClient[Any], who: str | None, path: str
) -> None:
    headers: dict[str, str] = {}
    if who == "citizen":
        headers = await citizen_headers(idle)
    elif who is not None:
        headers = await staff_headers(idle, who)
    plain = await idle.get(path, headers=headers)
    assert plain.status_code == 200, plain.text
    assert plain.headers["onewindow-read-source"] == "primary"
    assert "onewindow-read-after" not in plain.headers

    # a position written (a submission) that no read model has applied: no worker runs
    ahead = (await _submit(idle, await citizen_headers(idle)))["position"]
    joiner = "&" if "?" in path else "?"
    behind = await idle.get(f"{path}{joiner}after={ahead}", headers=headers)
    assert behind.status_code == 503, behind.text
    assert behind.json()["code"] == "read_model_behind"
    assert behind.headers["onewindow-read-after"] == "timeout"


async def test_a_position_no_write_has_reached_is_refused_at_once_not_waited_for(
    idle: AsyncTestClient[Any],
) -> None:
    citizen = await citizen_headers(idle)
    app = await _submit(idle, citizen)
    beyond = app["position"] + 1000
    response = await idle.get(f"/api/v1/applications?after={beyond}", headers=citizen)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "after_beyond_head"
    assert response.json()["errors"] == {"after": f"最大为 {app['position']}"}
    metrics = (await idle.get("/metrics")).text
    assert "onewindow_read_after_timeouts_total{" not in metrics  # nothing was waited for


@pytest.fixture
async def unreachable_replica(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API with a read replica configured that nothing answers at (a closed port)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        secret_key=SECRET,
        reads=ReadSettings(
            replica_urls=("postgresql://onewindow:secret@127.0.0.1:9/onewindow",),
            health_interval_seconds=0.1,
        ),
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as client:
        yield client


async def test_a_replica_that_cannot_be_reached_leaves_every_read_to_the_primary(
    unreachable_replica: AsyncTestClient[Any],
) -> None:
    client = unreachable_replica
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text  # the primary answers: still in service
    (replica,) = ready.json()["replicas"]
    assert replica["name"] == "replica-1"
    assert replica["address"] == "127.0.0.1:9/onewindow"  # never the password
    assert replica["reachable"] is False
    assert replica["inReadPool"] is False
    assert "error" in replica

    citizen = await citizen_headers(client)
    app = await _submit(client, citizen)
    progress = await client.get(
        f"/api/v1/applications/{app['id']}?after={app['position']}", headers=citizen
    )
    assert progress.status_code == 200, progress.text
    assert progress.headers["onewindow-read-source"] == "primary"

    metrics = (await client.get("/metrics")).text
    assert 'onewindow_replica_in_read_pool{replica="replica-1"} 0.0' in metrics
    assert 'onewindow_replica_lag_seconds{replica="replica-1"} NaN' in metrics
    assert 'onewindow_read_model_reads_total{reason="no_replica",source="primary"}' in metrics
