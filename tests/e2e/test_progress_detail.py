"""The progress detail carries what the mini-program's screen needs, in one round trip: the
situation, the department, the materials handed in, names of what is missing, the pickup
place, and what the citizen may do now (computed by the domain, never by the client)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import citizen_headers, required_materials, staff_headers, upload
from tests.e2e.test_notifications import eventually, template_ids

BENEFIT = "GF-00301-000"  # 失业保险金申领: one stage (人社局), no fee, pickup
HRSS = "市人力资源和社会保障局"


async def submit(client: httpx.AsyncClient, citizen: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Submit with the first material as two pages; returns the answer and that material."""
    guide = (await client.get(f"/api/v1/services/{BENEFIT}")).json()
    ids = required_materials(guide, "self")
    pages = [await upload(client, citizen), await upload(client, citizen)]
    materials: list[dict[str, Any]] = [{"materialId": ids[0], "fileIds": pages}]
    materials += [{"materialId": m, "fileId": await upload(client, citizen)} for m in ids[1:]]
    body = {
        "serviceCode": BENEFIT,
        "situationId": "self",
        "form": {"reason": "合同到期"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    return response.json(), ids[0]


async def progress(
    client: httpx.AsyncClient, citizen: dict[str, str], app: dict[str, Any], position: int
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/applications/{app['id']}", params={"after": position}, headers=citizen
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_detail_shows_situation_department_materials_pickup_place_and_actions(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    app, paged = await submit(client, citizen)

    detail = await progress(client, citizen, app, app["position"])

    assert detail["situationId"] == "self"
    assert detail["department"] == HRSS
    assert detail["pickupPlace"] == "市民中心C区社保8号窗口"
    handed_in = {m["materialId"]: m for m in detail["materials"]}
    assert len(handed_in[paged]["fileIds"]) == 2  # both pages, in order
    assert all(m["name"] and m["name"] != m["materialId"] for m in detail["materials"])
    assert detail["actions"] == ["withdraw"]  # before a decision, and nothing else yet
    # every timestamp in China time
    assert detail["submittedAt"].endswith("+08:00")
    mine = await client.get("/api/v1/applications", headers=citizen)
    assert mine.json()[0]["updatedAt"].endswith("+08:00")
    assert all(entry["at"].endswith("+08:00") for entry in detail["timeline"])


async def test_a_supplement_notice_names_what_is_missing_and_offers_handing_it_in(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    app, paged = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    asked = await client.post(
        f"/api/v1/admin/applications/{app['id']}/request-supplement",
        json={"missing": [paged], "note": "请上传清晰的扫描件"},
        headers=clerk,
    )
    assert asked.status_code == 200, asked.text

    detail = await progress(client, citizen, app, asked.json()["position"])

    supplement = detail["supplement"]
    assert supplement["missing"] == [paged]
    name = next(m["name"] for m in detail["materials"] if m["materialId"] == paged)
    assert supplement["missingMaterials"] == [{"materialId": paged, "name": name}]
    assert detail["actions"] == ["withdraw", "supplement"]


async def test_a_finished_case_offers_evaluation_until_the_window_closes(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    app, _ = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    reviewer = await staff_headers(client, "hrss-reviewer")
    base = f"/api/v1/admin/applications/{app['id']}"
    for url, body, headers in [
        (f"{base}/accept", None, clerk),
        (f"{base}/review", {"decision": "deny", "opinion": "缴费不满一年"}, reviewer),
    ]:
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 200, response.text

    detail = await progress(client, citizen, app, response.json()["position"])

    assert detail["status"] == "denied"
    assert detail["actions"] == ["evaluate"]
    until = datetime.fromisoformat(detail["actionsUntil"]["evaluate"])
    denied_at = datetime.fromisoformat(detail["timeline"][-1]["at"])
    assert until - denied_at == timedelta(days=30)
    # one line for the denial, with the department and its reason
    texts = [e["text"] for e in detail["timeline"]]
    assert texts[-1] == f"审批未通过（{HRSS}）：缴费不满一年"
    assert sum("未通过" in t for t in texts) == 1


async def test_when_the_one_time_quota_is_used_up_the_detail_suggests_subscribing_again(
    client: httpx.AsyncClient,
) -> None:
    ids = await template_ids(client)
    citizen = await citizen_headers(client, "quota-zhou")
    subscribed = await client.post(
        "/api/v1/me/subscriptions", json={"accepted": [ids["Accepted"]]}, headers=citizen
    )
    assert subscribed.status_code == 200, subscribed.text
    app, _ = await submit(client, citizen)
    assert (await progress(client, citizen, app, app["position"])).get("resubscribe") is None

    clerk = await staff_headers(client, "hrss-clerk")
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text

    async def used_up() -> bool:  # the acceptance message went out and took the one unit
        detail = await progress(client, citizen, app, accepted.json()["position"])
        return detail.get("resubscribe") is not None

    await eventually(used_up)
    detail = await progress(client, citizen, app, accepted.json()["position"])
    assert detail["resubscribe"]["templateIds"] == [ids["Accepted"]]
    assert "重新订阅" in detail["resubscribe"]["text"]
