"""The happy path over HTTP: apply, review in parallel, issue the result."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.e2e.conftest import citizen_headers, required_materials, staff_headers, upload

FOOD = "XK-00101-000"  # 食品经营许可: stages AMR -> (health || fire) -> AMR


async def _submit_body(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = []
    for material_id in required_materials(guide, "new"):
        materials.append({"materialId": material_id, "fileId": await upload(client, headers)})
    return {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": "老王面馆", "address": "长宁路 88 号"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }


async def _progress(
    client: httpx.AsyncClient, headers: dict[str, str], app_id: str, position: int
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/applications/{app_id}?after={position}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_citizen_applies_and_departments_review_in_parallel_to_a_result(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client, "wang")
    services = (await client.get("/api/v1/services")).json()
    assert any(s["code"] == FOOD for s in services)

    body = await _submit_body(client, citizen)
    submitted = await client.post(
        "/api/v1/applications", json=body, headers={**citizen, "Idempotency-Key": "k-1"}
    )
    assert submitted.status_code == 201, submitted.text
    app = submitted.json()
    assert app["status"] == "submitted"
    assert app["number"].split("-")[1] == "XK00101"

    # the citizen reads their own write at once
    progress = await _progress(client, citizen, app["id"], app["position"])
    assert progress["status"] == "submitted"
    assert progress["statusText"] == "已提交，待受理"
    mine = await client.get(f"/api/v1/applications?after={app['position']}", headers=citizen)
    assert [a["id"] for a in mine.json()] == [app["id"]]

    clerk = await staff_headers(client, "amr-clerk")
    queue = (await client.get("/api/v1/admin/worklist?queue=acceptance", headers=clerk)).json()
    assert app["id"] in [item["id"] for item in queue]
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text

    amr = await staff_headers(client, "amr-reviewer")
    health = await staff_headers(client, "health-reviewer")
    fire = await staff_headers(client, "fire-reviewer")
    review = f"/api/v1/admin/applications/{app['id']}/review"
    approve = {"decision": "approve", "opinion": "材料齐全"}

    # the fire brigade's turn comes only after the first stage: until then not even its case
    early = await client.post(review, json=approve, headers=fire)
    assert early.status_code == 404
    assert early.json()["code"] == "not_found"

    assert (await client.post(review, json=approve, headers=amr)).status_code == 200
    both = await asyncio.gather(
        client.post(review, json=approve, headers=health),
        client.post(review, json=approve, headers=fire),
    )
    assert [r.status_code for r in both] == [200, 200], [r.text for r in both]
    last = await client.post(review, json=approve, headers=amr)
    assert last.status_code == 200
    assert last.json()["status"] == "approved"

    issued = await client.post(
        f"/api/v1/admin/applications/{app['id']}/issue-result",
        json={"documentNo": "JY13101050012345"},
        headers=clerk,
    )
    assert issued.status_code == 200, issued.text

    progress = await _progress(client, citizen, app["id"], issued.json()["position"])
    assert progress["status"] == "ready_for_pickup"
    assert progress["deadline"] is not None
    texts = [entry["text"] for entry in progress["timeline"]]
    assert texts[0] == "申请已提交，等待窗口受理"
    assert "市卫生健康委员会审查通过" in texts
    assert "市消防救援支队审查通过" in texts
    assert "JY13101050012345" in texts[-1]

    supervisor = await staff_headers(client, "supervisor")
    history = await client.get(
        f"/api/v1/admin/applications/{app['id']}/history", headers=supervisor
    )
    assert history.status_code == 200
    events = history.json()
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "Submitted"
    assert events[0]["actor"]["role"] == "citizen"
    reviews = [e for e in events if e["type"] == "Reviewed"]
    assert {e["actor"]["department"] for e in reviews} == {
        "市市场监督管理局",
        "市卫生健康委员会",
        "市消防救援支队",
    }


async def test_submitting_twice_with_one_idempotency_key_creates_one_application(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    body = await _submit_body(client, citizen)
    headers = {**citizen, "Idempotency-Key": "same-key"}
    first, second = await asyncio.gather(
        client.post("/api/v1/applications", json=body, headers=headers),
        client.post("/api/v1/applications", json=body, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    again = await client.post("/api/v1/applications", json=body, headers=headers)
    assert again.json() == first.json()
    position = first.json()["position"]
    mine = (await client.get(f"/api/v1/applications?after={position}", headers=citizen)).json()
    assert len(mine) == 1

    other = {**body, "form": {"shopName": "另一家"}}
    clash = await client.post("/api/v1/applications", json=other, headers=headers)
    assert clash.status_code == 409
    assert clash.json()["code"] == "idempotency_key_reused"


async def test_a_citizen_can_withdraw_before_a_decision_but_not_after(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    body = await _submit_body(client, citizen)
    first = (await client.post("/api/v1/applications", json=body, headers=citizen)).json()
    withdrawn = await client.post(
        f"/api/v1/applications/{first['id']}/withdraw", json={"reason": "不办了"}, headers=citizen
    )
    assert withdrawn.status_code == 200
    progress = await _progress(client, citizen, first["id"], withdrawn.json()["position"])
    assert progress["status"] == "withdrawn"
    again = await client.post(
        f"/api/v1/applications/{first['id']}/withdraw", json={"reason": "再撤"}, headers=citizen
    )
    assert again.status_code == 409
    assert again.json()["code"] == "withdraw_not_allowed"


async def test_the_promised_deadline_is_shown_once_accepted(client: httpx.AsyncClient) -> None:
    citizen = await citizen_headers(client)
    body = await _submit_body(client, citizen)
    app = (await client.post("/api/v1/applications", json=body, headers=citizen)).json()
    clerk = await staff_headers(client, "amr-clerk")
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    progress = await _progress(client, citizen, app["id"], accepted.json()["position"])
    assert progress["status"] == "accepted"
    assert progress["deadline"] > progress["submittedAt"][:10]
    assert "承诺5个工作日内办结" in progress["timeline"][-1]["text"]
