"""Personal data over HTTP: sealed in the event store, readable by those who may see it, and
erased everywhere at once when an admin forgets the citizen (crypto-shredding)."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from backend.bootstrap import projections
from backend.clock import system_clock
from backend.db.tools import pg_program
from backend.eventstore import KeyRing, Recorder, Repository, build_mapper, decoder
from domain.application import Application
from projections.runner import ProjectionRunner
from tests.e2e.conftest import SECRET, citizen_headers, required_materials, staff_headers, upload

FOOD = "XK-00101-000"  # AMR -> (health || fire) -> AMR; pickup or courier
ID_NUMBER = "110101199003078515"
PHONE = "13800138000"
STREET = "长宁路88号"
ADDRESS = {
    "name": "王小明",
    "phone": PHONE,
    "province": "上海市",
    "city": "上海市",
    "district": "长宁区",
    "detail": STREET,
}
FORM = {"shopName": "老王面馆", "name": "王小明", "idNumber": ID_NUMBER, "phone": PHONE}
SECRETS = (ID_NUMBER, PHONE, STREET, "王小明")


def repository(pool: asyncpg.Pool) -> Repository:
    """The event store as another process of the app sees it: the same secret key, an empty
    key cache (the app's own services live on the test client's event loop)."""
    return Repository(pool, Recorder(), build_mapper(KeyRing(SECRET)))


async def issued_by_courier(client: httpx.AsyncClient) -> tuple[str, dict[str, str], int]:
    """A courier application of a new citizen taken to its issued result: (id, citizen, pos)."""
    citizen = await citizen_headers(client)
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": FORM,
        "materials": materials,
        "delivery": {"method": "courier", "address": ADDRESS},
    }
    submitted = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert submitted.status_code == 201, submitted.text
    app_id: str = submitted.json()["id"]

    async def act(username: str, action: str, payload: Any = None) -> int:
        response = await client.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=payload,
            headers=await staff_headers(client, username),
        )
        assert response.status_code == 200, response.text
        position: int = response.json()["position"]
        return position

    await act("amr-clerk", "accept")
    approve = {"decision": "approve", "opinion": "同意"}
    for reviewer in ("amr-reviewer", "health-reviewer", "fire-reviewer", "amr-reviewer"):
        await act(reviewer, "review", approve)
    position = await act("amr-clerk", "issue-result", {"documentNo": "JY13101050012345"})
    return app_id, citizen, position


async def raw_states(pool: asyncpg.Pool) -> str:
    """Every stored event and snapshot, as the bytes in the tables (decoded as text)."""
    rows = await pool.fetch(
        "SELECT state FROM onewindow_events UNION ALL SELECT state FROM onewindow_snapshots"
    )
    return "\n".join(bytes(r["state"]).decode("utf-8", "replace") for r in rows)


async def history(client: httpx.AsyncClient, app_id: str) -> list[dict[str, Any]]:
    """The case's history as a supervisor reads it, personal data revealed (with a reason)."""
    supervisor = await staff_headers(client, "supervisor")
    response = await client.get(
        f"/api/v1/admin/applications/{app_id}/history",
        params={"reason": "核对申请人信息"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def test_no_id_number_phone_or_address_lies_in_the_event_table_yet_staff_read_them(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    app_id, citizen, position = await issued_by_courier(client)
    store = repository(pool)
    application = await store.get(Application, UUID(app_id))
    await store.take_snapshot(application)  # snapshots are sealed too

    raw = await raw_states(pool)
    assert await pool.fetchval("SELECT count(*) FROM onewindow_snapshots") >= 1
    for secret in SECRETS:
        assert secret not in raw, f"{secret} lies in the event store in plain text"
    assert '"_type_":"personal"' in raw  # sealed, not dropped

    submitted = (await history(client, app_id))[0]
    assert submitted["type"] == "Submitted"
    assert submitted["data"]["form"] == FORM
    assert submitted["data"]["delivery"] == {"method": "courier", "address": ADDRESS}
    progress = await client.get(f"/api/v1/applications/{app_id}?after={position}", headers=citizen)
    assert progress.status_code == 200, progress.text
    assert progress.json()["delivery"]["method"] == "courier"
    loaded = await repository(pool).get(Application, UUID(app_id))  # from the snapshot
    assert loaded.delivery.address is not None
    assert loaded.delivery.address.detail == STREET
    assert loaded.form.value == FORM


async def test_personal_data_in_the_history_needs_a_reason_and_every_view_is_recorded(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    app_id, _, _ = await issued_by_courier(client)
    url = f"/api/v1/admin/applications/{app_id}/history"
    supervisor = await staff_headers(client, "supervisor")
    plain = (await client.get(url, headers=supervisor)).json()
    assert plain[0]["data"]["form"] == "[说明理由后查看]"
    assert plain[0]["data"]["delivery"]["address"] == "[说明理由后查看]"
    assert not any(secret in str(plain) for secret in SECRETS)
    assert await pool.fetchval("SELECT count(*) FROM personal_data_reveals") == 0

    # a clerk of a department with a step, but not the lead window: never, reason or not
    fire_clerk = await staff_headers(client, "fire-clerk")
    nosy = await client.get(url, params={"reason": "随便看看"}, headers=fire_clerk)
    assert nosy.status_code == 200, nosy.text
    assert nosy.json()[0]["data"]["form"] == "[说明理由后查看]"
    assert await pool.fetchval("SELECT count(*) FROM personal_data_reveals") == 0

    reviewer = await staff_headers(client, "fire-reviewer")
    seen = await client.get(url, params={"reason": "现场核查需要"}, headers=reviewer)
    assert seen.json()[0]["data"]["form"] == FORM
    audit = await client.get(f"/api/v1/admin/applications/{app_id}/reveals", headers=supervisor)
    assert audit.status_code == 200, audit.text
    [entry] = audit.json()
    assert (entry["staffName"], entry["role"], entry["department"]) == (
        "fire-reviewer",
        "reviewer",
        "市消防救援支队",
    )
    assert entry["fields"] == ["form", "delivery.address"]
    assert entry["reason"] == "现场核查需要"
    refused = await client.get(f"/api/v1/admin/applications/{app_id}/reveals", headers=reviewer)
    assert refused.status_code == 403


async def test_forgetting_a_citizen_erases_their_data_and_keeps_their_cases_working(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    app_id, citizen, _ = await issued_by_courier(client)
    owner = await pool.fetchval(
        "SELECT citizen_id FROM application_view WHERE id = $1", UUID(app_id)
    )
    url = f"/api/v1/admin/citizens/{owner}/personal-data"

    # only an admin may do it
    for who in (citizen, await staff_headers(client, "supervisor")):
        refused = await client.delete(url, headers=who)
        assert refused.status_code == 403, refused.text
    admin = await staff_headers(client, "admin")
    erased = await client.delete(url, headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"citizenId": str(owner), "erased": True}
    again = await client.delete(url, headers=admin)
    assert again.json()["erased"] is False

    # the history shows the case, with the personal data erased
    events = await history(client, app_id)
    assert events[0]["data"]["form"] == "[已删除]"
    assert events[0]["data"]["delivery"] == {"method": "courier", "address": "[已删除]"}
    assert "ResultIssued" in [e["type"] for e in events]
    text = str(events)
    for secret in SECRETS:
        assert secret not in text

    # the aggregate still loads and takes commands; the address is simply gone
    loaded = await repository(pool).get(Application, UUID(app_id))
    assert loaded.form.erased
    assert loaded.delivery.method == "courier"
    assert loaded.delivery.address is None
    supervisor = await staff_headers(client, "supervisor")
    note = await client.post(
        f"/api/v1/admin/applications/{app_id}/notes",
        json={"text": "已按申请人要求删除个人信息"},
        headers=supervisor,
    )
    assert note.status_code == 200, note.text
    progress = await client.get(
        f"/api/v1/applications/{app_id}?after={note.json()['position']}", headers=citizen
    )
    assert progress.status_code == 200
    stats = await client.get("/api/v1/admin/stats", headers=supervisor)
    assert stats.status_code == 200
    assert sum(row["received"] for row in stats.json() if row["serviceCode"] == FOOD) == 1

    # read models rebuild from the log as before
    view = "SELECT status, version, detail FROM application_view WHERE id = $1"
    before = await pool.fetchrow(view, UUID(app_id))
    runner = ProjectionRunner(
        pool, Recorder(), decoder(build_mapper(KeyRing(SECRET))), projections()
    )
    await runner.rebuild(runner.projection("progress"))
    after = await pool.fetchrow(view, UUID(app_id))
    assert dict(after) == dict(before)


async def _eventually(check: Any, what: str, within: float = 20.0) -> Any:
    async with asyncio.timeout(within):
        while True:
            found = await check()
            if found:
                return found
            await asyncio.sleep(0.1)
    raise AssertionError(what)  # pragma: no cover - the timeout raises first


def _dump(db_url: str) -> bytes:
    """The whole database as ``pg_dump`` writes it (a backup would hold exactly this)."""
    return subprocess.run(  # noqa: S603 - our own PostgreSQL program, our own URL
        [pg_program("pg_dump"), "--no-owner", "--dbname", db_url],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout


async def test_after_erasure_a_dump_of_the_whole_database_holds_no_name_phone_or_id_number(
    client: httpx.AsyncClient, pool: asyncpg.Pool, db_url: str
) -> None:
    name, words = "王小明", ("王小明", PHONE, ID_NUMBER)
    citizen = await citizen_headers(client)
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": FORM,
        "materials": materials,
        "delivery": {"method": "courier", "address": ADDRESS},
    }
    submitted = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["id"]

    async def act(username: str, action: str, payload: Any = None) -> dict[str, Any]:
        response = await client.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=payload,
            headers=await staff_headers(client, username),
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    # free text about the citizen, at every step where staff and couriers write some
    note = f"{name}（身份证{ID_NUMBER}）的平面图看不清，请重传"
    await act("amr-clerk", "request-supplement", {"missing": ["floor-plan"], "note": note})
    again = [{"materialId": "floor-plan", "fileId": await upload(client, citizen)}]
    answered = await client.post(
        f"/api/v1/applications/{app_id}/supplements", json={"materials": again}, headers=citizen
    )
    assert answered.status_code == 200, answered.text
    await act("amr-clerk", "accept")
    await act("supervisor", "notes", {"text": f"{name}来电催办，回电{PHONE}"})
    for reviewer in ("amr-reviewer", "health-reviewer", "fire-reviewer", "amr-reviewer"):
        await act(reviewer, "review", {"decision": "approve", "opinion": "同意"})
    await act("amr-clerk", "issue-result", {"documentNo": "JY13101050099999"})

    courier = await staff_headers(client, "courier-sf")

    async def booked() -> dict[str, Any] | None:
        listed = (await client.get("/api/v1/courier/deliveries", headers=courier)).json()
        return next((d for d in listed if d["applicationId"] == app_id and d["waybillNo"]), None)

    delivery = await _eventually(booked, "the courier order was never booked")
    for report in (
        {"type": "picked_up"},
        {"type": "out_for_delivery", "note": f"联系{name} {PHONE}"},
        {"type": "delivered", "signedBy": name},
    ):
        reported = await client.post(
            f"/api/v1/courier/deliveries/{delivery['id']}/events",
            json={"at": system_clock().isoformat(), **report},
            headers=courier,
        )
        assert reported.status_code == 200, reported.text
    rated = await client.post(
        f"/api/v1/applications/{app_id}/evaluation",
        json={"rating": 1, "comment": f"态度差，请回电{PHONE}"},
        headers=citizen,
    )
    assert rated.status_code == 200, rated.text
    position = rated.json()["position"]

    async def settled() -> bool:
        tracked = await pool.fetch("SELECT position FROM projection_tracking")
        return bool(tracked) and all(r["position"] >= position for r in tracked)

    await _eventually(settled, "the read models did not catch up")
    before = _dump(db_url)
    assert name.encode() in before  # the timeline says who signed, the rectification the comment

    owner = await pool.fetchval(
        "SELECT citizen_id FROM application_view WHERE id = $1", UUID(app_id)
    )
    admin = await staff_headers(client, "admin")
    erased = await client.delete(f"/api/v1/admin/citizens/{owner}/personal-data", headers=admin)
    assert erased.status_code == 200, erased.text

    after = _dump(db_url)
    for word in words:
        assert word.encode() not in after, f"{word} is still in the database"
    progress = await client.get(f"/api/v1/applications/{app_id}", headers=citizen)
    assert progress.status_code == 200
    assert "签收人：[已删除]" in progress.text  # the case itself still reads whole
