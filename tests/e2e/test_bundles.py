"""一件事一次办 over HTTP: the 出生一件事 is submitted once (one form, each material once, one
delivery choice); the 出生医学证明 issued for the first item stands for the household
registration's material without the citizen doing anything, and that registration's 户口簿
for the medical insurance's. A denial stops only what depends on it, and the bundle view
says which items go on. Bad input is a 4xx problem with a stable code."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from backend.bundles.release import release_waiting
from backend.services import Services
from domain.application import Application
from tests.e2e.conftest import citizen_headers, staff_headers, upload
from tests.e2e.test_console import console, sign_in

__all__ = ["console"]  # the console app on loopback (its session cookie needs no HTTPS)

BIRTH_CERT, HUKOU, INSURANCE = "GG-01001-000", "GG-01101-000", "GF-01201-000"
LICENCE, FOOD, FIRE = "QT-01301-000", "XK-00101-000", "XK-00501-000"
BIRTH_MEDICAL_CERTIFICATE = "11100000MB1679224X002"
Headers = dict[str, str]
FORM = {
    "childName": "王小明",
    "childGender": "男",
    "birthDate": "2026-11-20",
    "birthPlace": "市第一人民医院",
    "motherName": "李华",
    "householdAddress": "某区某路1号",
    "relation": "子",
    "phone": "13800138000",
}
# staff per department: (clerk, reviewer)
STAFF = {
    BIRTH_CERT: ("health-clerk", "health-reviewer"),
    HUKOU: ("police-clerk", "police-reviewer"),
    INSURANCE: ("nhsa-clerk", "nhsa-reviewer"),
}


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def birth_bundle(
    client: httpx.AsyncClient, citizen: Headers, **answers: str
) -> dict[str, Any]:
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in ("parents-id-cards", "delivery-record", "household-register")
    ]
    body = {
        "lifeEventCode": "birth",
        "answers": {"localHukou": "是", "insurance": "是", **answers},
        "form": FORM,
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    return await ok(await client.post("/api/v1/bundles", json=body, headers=citizen), 201)


async def issued(client: httpx.AsyncClient, application_id: str, code: str, doc: str) -> int:
    """Accept, approve and issue one item's result; the position of the last step."""
    clerk = await staff_headers(client, STAFF[code][0])
    reviewer = await staff_headers(client, STAFF[code][1])
    base = f"/api/v1/admin/applications/{application_id}"
    await ok(await client.post(f"{base}/accept", headers=clerk))
    approve = {"decision": "approve", "opinion": "符合条件"}
    await ok(await client.post(f"{base}/review", json=approve, headers=reviewer))
    done = await ok(
        await client.post(f"{base}/issue-result", json={"documentNo": doc}, headers=clerk)
    )
    position: int = done["position"]
    return position


async def denied(client: httpx.AsyncClient, application_id: str, code: str) -> int:
    clerk = await staff_headers(client, STAFF[code][0])
    reviewer = await staff_headers(client, STAFF[code][1])
    base = f"/api/v1/admin/applications/{application_id}"
    await ok(await client.post(f"{base}/accept", headers=clerk))
    deny = {"decision": "deny", "opinion": "助产机构记录与申报信息不符"}
    done = await ok(await client.post(f"{base}/review", json=deny, headers=reviewer))
    position: int = done["position"]
    return position


async def view(
    client: httpx.AsyncClient, citizen: Headers, bundle_id: str, after: int = 0
) -> dict[str, Any]:
    return await ok(await client.get(f"/api/v1/bundles/{bundle_id}?after={after}", headers=citizen))


def apps_numbers(bundle: dict[str, Any]) -> dict[str, str]:
    return {a["serviceCode"]: a["number"] for a in bundle["applications"]}


def _items(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["serviceCode"]: i for i in bundle["items"]}


async def test_life_events_are_listed_and_shown_without_logging_in(
    client: httpx.AsyncClient,
) -> None:
    listed = await ok(await client.get("/api/v1/life-events"))
    guide = await ok(await client.get("/api/v1/life-events/birth"))
    assert {e["code"]: e["items"] for e in listed}["birth"] == [BIRTH_CERT, HUKOU, INSURANCE]
    (cards,) = [m for m in guide["materials"] if m["id"] == "parents-id-cards"]
    assert cards["forItems"] == [BIRTH_CERT, HUKOU, INSURANCE]
    assert {i["serviceCode"]: i["dependsOn"] for i in guide["items"]} == {
        BIRTH_CERT: [],
        HUKOU: [BIRTH_CERT],
        INSURANCE: [HUKOU],
    }


async def test_a_birth_bundle_runs_end_to_end_each_result_flowing_into_the_next_item(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    bundle = await birth_bundle(client, citizen)
    apps = {a["serviceCode"]: a for a in bundle["applications"]}
    first = await view(client, citizen, bundle["id"], bundle["position"])
    assert [(i["serviceCode"], i["status"]) for i in first["items"]] == [
        (BIRTH_CERT, "submitted"),
        (HUKOU, "waiting"),
        (INSURANCE, "waiting"),
    ]
    position = await issued(client, apps[BIRTH_CERT]["id"], BIRTH_CERT, "出生医学证明Q310000001")
    after_first = await view(client, citizen, bundle["id"], position)
    assert _items(after_first)[HUKOU]["status"] == "submitted", after_first
    # the household registration took the 出生医学证明 the first item became: no upload
    hukou = await ok(await client.get(f"/api/v1/applications/{apps[HUKOU]['id']}", headers=citizen))
    held = await ok(await client.get(f"/api/v1/me/certificates?after={position}", headers=citizen))
    (certificate,) = [c for c in held if c["typeCode"] == BIRTH_MEDICAL_CERTIFICATE]
    (taken,) = [m for m in hukou["materials"] if m["materialId"] == "birth-medical-certificate"]
    assert taken.get("certificateId") == certificate["id"]
    position = await issued(client, apps[HUKOU]["id"], HUKOU, "户310101-2026-0001")
    position = await issued(client, apps[INSURANCE]["id"], INSURANCE, "医保2026-0001")
    done = await view(client, citizen, bundle["id"], position)
    assert (done["status"], done["statusText"]) == ("completed", "全部事项已办结")
    assert {i["department"] for i in done["items"]} == {
        "市卫生健康委员会",
        "市公安局",
        "市医疗保障局",
    }
    assert any(e["type"] == "BundleItemReleased" for e in done["timeline"])


async def test_one_item_denied_blocks_only_what_depends_on_it_and_the_view_says_what_goes_on(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in ("id-card", "premises-proof")
    ]
    body = {
        "lifeEventCode": "restaurant",
        "answers": {"publicVenue": "是"},
        "form": {
            "shopName": "老王面馆",
            "operatorName": "王五",
            "address": "某区某路2号",
            "businessScope": "餐饮服务",
            "phone": "13900139000",
        },
        "materials": [
            *materials,
            *[
                {"materialId": m, "fileId": await upload(client, citizen)}
                for m in (
                    f"application-form@{FOOD}",
                    "floor-plan",
                    f"application-form@{FIRE}",
                    "commitment-letter",
                )
            ],
        ],
        "delivery": {"method": "pickup"},
    }
    bundle = await ok(await client.post("/api/v1/bundles", json=body, headers=citizen), 201)
    apps = {a["serviceCode"]: a["id"] for a in bundle["applications"]}
    amr_clerk = await staff_headers(client, "amr-clerk")
    amr_reviewer = await staff_headers(client, "amr-reviewer")
    base = f"/api/v1/admin/applications/{apps[LICENCE]}"
    await ok(await client.post(f"{base}/accept", headers=amr_clerk))
    approve = {"decision": "approve", "opinion": "符合条件"}
    await ok(await client.post(f"{base}/review", json=approve, headers=amr_reviewer))
    await ok(
        await client.post(f"{base}/issue-result", json={"documentNo": "GT-0001"}, headers=amr_clerk)
    )
    # both later items were submitted with the 营业执照 the first became; fire denies its own
    fire_clerk = await staff_headers(client, "fire-clerk")
    fire_reviewer = await staff_headers(client, "fire-reviewer")
    base = f"/api/v1/admin/applications/{apps[FIRE]}"
    await ok(await client.post(f"{base}/accept", headers=fire_clerk))
    deny = {"decision": "deny", "opinion": "疏散通道不符合要求"}
    done = await ok(await client.post(f"{base}/review", json=deny, headers=fire_reviewer))
    food = await ok(
        await client.get(
            f"/api/v1/applications/{apps[FOOD]}?after={done['position']}", headers=citizen
        )
    )
    (licence,) = [m for m in food["materials"] if m["materialId"] == "business-licence"]
    assert licence.get("certificateId")  # the 营业执照 the first item became
    shown = await view(client, citizen, bundle["id"], done["position"])
    items = _items(shown)
    assert (items[FIRE]["status"], items[FIRE]["goesOn"]) == ("denied", False)
    assert (items[FOOD]["status"], items[FOOD]["goesOn"]) == ("submitted", True)
    assert shown["status"] == "in_progress"
    assert shown["notice"] == (
        "“公众聚集场所投入使用、营业前消防安全检查”未能办理；“食品经营许可”继续办理"
    )


async def test_a_denied_earlier_item_blocks_the_item_waiting_for_it_with_a_chinese_reason(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    bundle = await birth_bundle(client, citizen, insurance="否")
    apps = {a["serviceCode"]: a["id"] for a in bundle["applications"]}
    position = await denied(client, apps[BIRTH_CERT], BIRTH_CERT)
    shown = await view(client, citizen, bundle["id"], position)
    hukou = _items(shown)[HUKOU]
    assert (hukou["status"], hukou["statusText"]) == (
        "blocked",
        "因“出生医学证明首次签发”未能办理，本事项无法继续办理",
    )
    assert shown["status"] == "ended"


async def test_an_unknown_life_event_is_refused_with_its_code(client: httpx.AsyncClient) -> None:
    citizen = await citizen_headers(client)
    body = {"lifeEventCode": "moving-house", "delivery": {"method": "pickup"}}
    refused = await client.post("/api/v1/bundles", json=body, headers=citizen)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "unknown_life_event"


async def test_an_unknown_life_event_guide_is_not_found(client: httpx.AsyncClient) -> None:
    refused = await client.get("/api/v1/life-events/moving-house")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")


async def test_an_answer_not_among_the_options_is_refused_with_its_code(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    body = {
        "lifeEventCode": "birth",
        "answers": {"localHukou": "也许", "insurance": "是"},
        "form": FORM,
        "delivery": {"method": "pickup"},
    }
    refused = await client.post("/api/v1/bundles", json=body, headers=citizen)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_answers")
    assert set(refused.json()["errors"]) == {"answers.localHukou"}


async def test_a_missing_required_merged_field_is_refused_and_nothing_is_submitted(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in ("parents-id-cards", "delivery-record", "household-register")
    ]
    body = {
        "lifeEventCode": "birth",
        "answers": {"localHukou": "是", "insurance": "是"},
        "form": {k: v for k, v in FORM.items() if k != "childName"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    refused = await client.post("/api/v1/bundles", json=body, headers=citizen)
    assert (refused.status_code, refused.json()["code"]) == (400, "validation_failed")
    assert refused.json()["errors"] == {"form.childName": "请填写新生儿姓名"}
    mine = await ok(await client.get("/api/v1/applications", headers=citizen))
    assert mine == []


async def test_the_case_page_of_an_item_names_its_bundle_and_the_other_items(
    console: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(console)
    bundle = await birth_bundle(console, citizen)
    apps = {a["serviceCode"]: a["id"] for a in bundle["applications"]}
    await view(console, citizen, bundle["id"], bundle["position"])
    await sign_in(console, "health-clerk")
    page = await console.get(f"/console/cases/{apps[BIRTH_CERT]}")
    assert page.status_code == 200
    assert f"属于一件事：出生一件事（{bundle['number']}）" in page.text
    assert (
        "新生儿出生登记（户口登记）（市公安局，等待“出生医学证明首次签发”办结后自动提交）"
        in page.text
    )
    worklist = await console.get(f"/console/worklist?after={bundle['position']}")
    row = worklist.text.split(f'data-number="{apps_numbers(bundle)[BIRTH_CERT]}"')[1].split(
        "</tr>"
    )[0]
    assert "一件事·出生一件事" in row  # the worklist marks the case as an item of a bundle


async def test_the_watcher_submits_an_item_a_crash_after_the_result_left_waiting(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies between saving the result and releasing the items waiting for it
    (the release after ``issue-result`` does not run): the watcher's next pass submits them."""
    import backend.back_office.commands as back_office

    async def crashed(*_: object) -> int:
        return 0

    monkeypatch.setattr(back_office, "after_result_issued", crashed)
    citizen = await citizen_headers(client)
    bundle = await birth_bundle(client, citizen, insurance="否")
    apps = {a["serviceCode"]: a["id"] for a in bundle["applications"]}
    position = await issued(client, apps[BIRTH_CERT], BIRTH_CERT, "出生医学证明Q310000002")
    stuck = await view(client, citizen, bundle["id"], position)
    assert _items(stuck)[HUKOU]["status"] == "waiting"
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    portal = client.blocking_portal  # type: ignore[attr-defined]
    assert portal.call(release_waiting, services) == 1  # on the app's loop, where its pool is
    hukou = portal.call(services.repository.get, Application, UUID(apps[HUKOU]))
    taken = {m["materialId"]: m for m in hukou.materials}["birth-medical-certificate"]
    assert taken.get("certificateId")  # submitted, with the 出生医学证明 the first item became


async def test_the_same_idempotency_key_and_body_get_the_first_bundle_and_another_body_409(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in ("parents-id-cards", "delivery-record", "household-register")
    ]
    body = {
        "lifeEventCode": "birth",
        "answers": {"localHukou": "是", "insurance": "是"},
        "form": FORM,
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    keyed = {**citizen, "Idempotency-Key": "birth-once"}
    first = await ok(await client.post("/api/v1/bundles", json=body, headers=keyed), 201)
    again = await ok(await client.post("/api/v1/bundles", json=body, headers=keyed), 201)
    assert again["id"] == first["id"]
    assert again["applications"] == first["applications"]
    mine = await ok(await client.get(f"/api/v1/bundles?after={first['position']}", headers=citizen))
    assert [b["id"] for b in mine] == [first["id"]]  # one bundle, not two
    other = await client.post(
        "/api/v1/bundles", json={**body, "form": {**FORM, "childName": "王小红"}}, headers=keyed
    )
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
