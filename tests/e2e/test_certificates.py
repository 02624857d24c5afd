"""E-certificates (电子证照) over HTTP: a material is satisfied by a certificate the applicant
holds, never by a string that merely looks like one. A marriage registration's result becomes
a 结婚证 that a second service takes without an upload; a certificate from the platform is
checked again there, and a revocation there reaches the reviewer and the stuck-case desk."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx

from backend.services import Services
from domain.identity import id_check_digit
from integrations.certificates.fake_platform import ID_CARD
from tests.e2e.conftest import citizen_headers, staff_headers, upload

UNEMPLOYMENT = "GF-00301-000"  # 失业保险金申领, situation "self": id-card, social security card
MARRIAGE = "QR-00701-000"  # 内地居民结婚登记: its result is a 结婚证
BIRTH = "GG-00901-000"  # 生育登记: takes a 结婚证 and a 居民身份证
MARRIAGE_CERTIFICATE = "11100000000013013K001"
Headers = dict[str, str]


def id_number(serial: int) -> str:
    first17 = f"1101011990030{serial:04d}"
    return first17 + id_check_digit(first17)


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def married(client: httpx.AsyncClient, citizen: Headers) -> dict[str, Any]:
    """A marriage registration through to its result; the citizen's 结婚证 as listed."""
    body = {
        "serviceCode": MARRIAGE,
        "situationId": "first",
        "materials": [{"materialId": "id-card", "fileId": await upload(client, citizen)}],
        "delivery": {"method": "pickup"},
    }
    app = await ok(await client.post("/api/v1/applications", json=body, headers=citizen), 201)
    clerk = await staff_headers(client, "civil-clerk")
    reviewer = await staff_headers(client, "civil-reviewer")
    base = f"/api/v1/admin/applications/{app['id']}"
    await ok(await client.post(f"{base}/accept", headers=clerk))
    approve = {"decision": "approve", "opinion": "符合结婚条件"}
    await ok(await client.post(f"{base}/review", json=approve, headers=reviewer))
    issued = await ok(
        await client.post(
            f"{base}/issue-result", json={"documentNo": "J310101-2026-000123"}, headers=clerk
        )
    )
    held = await ok(
        await client.get(f"/api/v1/me/certificates?after={issued['position']}", headers=citizen)
    )
    (certificate,) = [c for c in held if c["typeCode"] == MARRIAGE_CERTIFICATE]
    return {**certificate, "applicationId": app["id"]}


def birth_body(certificate_id: str, id_card: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "serviceCode": BIRTH,
        "situationId": "registration",
        "materials": [
            {"materialId": "id-card", **id_card},
            {"materialId": "marriage-certificate", "certificateId": certificate_id},
        ],
        "delivery": {"method": "pickup"},
        **extra,
    }


async def test_a_certificate_id_that_names_no_certificate_of_the_applicant_is_refused(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    body = {
        "serviceCode": UNEMPLOYMENT,
        "situationId": "self",
        "materials": [
            {"materialId": "id-card", "certificateId": "ANY-STRING-not-mine"},
            {"materialId": "social-security-card", "fileId": await upload(client, citizen)},
            {"materialId": "termination-proof", "fileId": await upload(client, citizen)},
        ],
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
    assert "materials[0].certificateId" in response.json()["errors"]


async def test_a_marriage_registration_becomes_a_certificate_that_a_second_service_takes(
    client: httpx.AsyncClient,
) -> None:
    """让信息多跑路: the 结婚证 onewindow issued stands for the 生育登记's material."""
    citizen = await citizen_headers(client)
    await ok(
        await client.put(
            "/api/v1/me/identity", json={"name": "张三", "idNumber": id_number(1)}, headers=citizen
        )
    )
    certificate = await married(client, citizen)
    assert certificate["status"] == "valid"
    assert certificate["source"] == "onewindow"
    assert certificate["number"] == "J310101-2026-000123"
    assert certificate["issuer"] == "市民政局"
    assert certificate["validUntil"] is None  # a 结婚证 does not expire

    detail = await ok(
        await client.get(f"/api/v1/me/certificates/{certificate['id']}", headers=citizen)
    )
    document = await client.get(
        f"/api/v1/me/certificates/{certificate['id']}/document", headers=citizen
    )
    assert document.status_code == 200
    assert document.content.startswith(b"%PDF-")
    assert detail["sha256"] == hashlib.sha256(document.content).hexdigest()

    # the guide says which material the citizen need not hand in (免提交), to them only
    public = await ok(await client.get(f"/api/v1/services/{BIRTH}"))
    mine = await ok(await client.get(f"/api/v1/services/{BIRTH}", headers=citizen))
    material = next(
        m for m in mine["situations"][0]["materials"] if m["id"] == "marriage-certificate"
    )
    assert material["satisfiedBy"] == certificate["id"]
    assert material["certificateTypes"] == [MARRIAGE_CERTIFICATE]
    assert all("satisfiedBy" not in m for s in public["situations"] for m in s["materials"])
    # the guide needs no login: a stale or broken token still gets the public guide
    stale = await client.get(f"/api/v1/services/{BIRTH}", headers={"Authorization": "Bearer x"})
    assert await ok(stale) == public
    assert (await ok(await client.get(f"/api/v1/services/{MARRIAGE}")))["issuesCertificate"] == {
        "typeCode": MARRIAGE_CERTIFICATE,
        "typeName": "结婚证",
        "validityYears": None,
    }

    body = birth_body(certificate["id"], {"fileId": await upload(client, citizen)})
    app = await ok(await client.post("/api/v1/applications", json=body, headers=citizen), 201)

    # the use is recorded on the certificate, and its holder sees it
    uses: list[dict[str, Any]] = []
    for _ in range(50):
        uses = await ok(
            await client.get(f"/api/v1/me/certificates/{certificate['id']}/uses", headers=citizen)
        )
        if uses:
            break
        await asyncio.sleep(0.1)
    (use,) = uses
    assert use["applicationId"] == app["id"]
    assert use["applicationNumber"] == app["number"]
    assert use["department"] == "市卫生健康委员会"
    assert use["purpose"] == "生育登记：结婚证"

    # another citizen cannot use it, nor see it or its uses
    other = await citizen_headers(client)
    body = birth_body(certificate["id"], {"fileId": await upload(client, other)})
    refused = await client.post("/api/v1/applications", json=body, headers=other)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"] == {
        "materials[1].certificateId": "no such e-certificate of yours"
    }
    for path in ("", "/uses", "/document"):
        seen = await client.get(f"/api/v1/me/certificates/{certificate['id']}{path}", headers=other)
        assert seen.status_code == 404

    # 免提交率: one of the two materials of the 生育登记 came from a certificate
    supervisor = await staff_headers(client, "supervisor")
    stats: list[dict[str, Any]] = []
    for _ in range(50):
        stats = await ok(await client.get("/api/v1/admin/stats", headers=supervisor))
        if any(s["serviceCode"] == BIRTH for s in stats):
            break
        await asyncio.sleep(0.1)
    (birth,) = [s for s in stats if s["serviceCode"] == BIRTH]
    assert birth["certificateShare"] == 0.5


async def test_a_revoked_certificate_is_refused_and_only_its_issuer_or_an_admin_revokes(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    certificate = await married(client, citizen)
    path = f"/api/v1/admin/certificates/{certificate['id']}/revoke"
    reason = {"reason": "登记时提供虚假材料，依法撤销"}
    refused = await client.post(path, json=reason, headers=await staff_headers(client, "amr-clerk"))
    assert refused.status_code == 403
    await ok(
        await client.post(path, json=reason, headers=await staff_headers(client, "civil-clerk"))
    )
    body = birth_body(certificate["id"], {"fileId": await upload(client, citizen)})
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 400
    assert "已注销" in response.json()["errors"]["materials[1].certificateId"]


async def wait_for(check: Any, tries: int = 60) -> Any:
    for _ in range(tries):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("not reached")


async def test_a_platform_certificate_revoked_there_shows_to_the_reviewer_and_as_stuck(
    client: httpx.AsyncClient,
) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    fake = services.certificates.fake
    assert fake is not None
    citizen = await citizen_headers(client)
    number = id_number(2)
    await ok(
        await client.put(
            "/api/v1/me/identity", json={"name": "李四", "idNumber": number}, headers=citizen
        )
    )
    held = await ok(await client.get("/api/v1/me/certificates?refresh=true", headers=citizen))
    (id_card,) = [c for c in held if c["typeCode"] == ID_CARD]
    assert (id_card["source"], id_card["number"]) == ("platform", number)

    marriage = await married(client, citizen)
    body = birth_body(marriage["id"], {"certificateId": id_card["id"]})
    app = await ok(await client.post("/api/v1/applications", json=body, headers=citizen), 201)

    fake.revoke(number, "证件已挂失")
    clerk = await staff_headers(client, "health-clerk")
    seen = await ok(
        await client.get(f"/api/v1/admin/applications/{app['id']}/certificates", headers=clerk)
    )
    by_material = {c["materialId"]: c for c in seen}
    assert by_material["id-card"]["status"] == "revoked"
    assert by_material["id-card"]["verification"]["by"] == "platform"
    assert by_material["id-card"]["verification"]["result"] == "revoked"
    assert by_material["marriage-certificate"]["verification"] == {
        **by_material["marriage-certificate"]["verification"],
        "by": "onewindow",
        "result": "valid",
    }

    supervisor = await staff_headers(client, "supervisor")

    async def stuck() -> Any:
        cases = await ok(
            await client.get(
                "/api/v1/admin/stuck-cases?reason=certificate_invalid", headers=supervisor
            )
        )
        return [c for c in cases if c["applicationId"] == app["id"]]

    (case,) = await wait_for(stuck)
    assert case["reasons"] == ["certificate_invalid"]
    assert "证件已挂失" in case["explanations"][0]

    # and the citizen's own copy says so too
    async def revoked() -> bool:
        path = f"/api/v1/me/certificates/{id_card['id']}"
        mine = await ok(await client.get(path, headers=citizen))
        return bool(mine["status"] == "revoked" and mine["statusReason"] == "证件已挂失")

    assert await wait_for(revoked)


async def test_a_forged_or_replayed_platform_answer_is_never_believed(
    client: httpx.AsyncClient,
) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    fake = services.certificates.fake
    assert fake is not None
    citizen = await citizen_headers(client)
    await ok(
        await client.put(
            "/api/v1/me/identity", json={"name": "王五", "idNumber": id_number(3)}, headers=citizen
        )
    )
    fake.forge_next_answer()
    forged = await client.get("/api/v1/me/certificates?refresh=true", headers=citizen)
    assert forged.status_code == 503
    assert forged.json()["code"] == "unavailable"
    held = await ok(await client.get("/api/v1/me/certificates?refresh=true", headers=citizen))
    (id_card,) = [c for c in held if c["typeCode"] == ID_CARD]

    # at use the certificate is verified again: a replayed answer cannot vouch for it
    fake.replay_next_answer()
    body = {
        "serviceCode": BIRTH,
        "situationId": "registration",
        "materials": [
            {"materialId": "id-card", "certificateId": id_card["id"]},
            {"materialId": "marriage-certificate", "fileId": await upload(client, citizen)},
        ],
        "delivery": {"method": "pickup"},
    }
    replayed = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert replayed.status_code == 400, replayed.text
    assert "证照平台暂时无法核验" in replayed.json()["errors"]["materials[0].certificateId"]
    # the platform answers genuinely again: the same submission goes through
    await ok(await client.post("/api/v1/applications", json=body, headers=citizen), 201)


async def test_refreshing_needs_a_declared_identity_and_an_id_number_binds_one_account(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    early = await client.get("/api/v1/me/certificates?refresh=true", headers=citizen)
    assert early.status_code == 409
    identity = {"name": "赵六", "idNumber": id_number(4)}
    declared = await ok(await client.put("/api/v1/me/identity", json=identity, headers=citizen))
    assert declared["idNumber"] == identity["idNumber"][:6] + "********" + identity["idNumber"][-4:]
    other = await citizen_headers(client)
    taken = await client.put("/api/v1/me/identity", json=identity, headers=other)
    assert taken.status_code == 409
    good = identity["idNumber"]
    wrong = good[:17] + ("1" if good[17] == "0" else "0")
    bad = await client.put(
        "/api/v1/me/identity", json={**identity, "idNumber": wrong}, headers=other
    )
    assert bad.status_code == 400
    assert "idNumber" in bad.json()["errors"]


async def test_a_supplement_may_hand_in_a_certificate_but_not_any_string(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    certificate = await married(client, citizen)
    body = {
        "serviceCode": BIRTH,
        "situationId": "registration",
        "materials": [
            {"materialId": "id-card", "fileId": await upload(client, citizen)},
            {"materialId": "marriage-certificate", "fileId": await upload(client, citizen)},
        ],
        "delivery": {"method": "pickup"},
    }
    app = await ok(await client.post("/api/v1/applications", json=body, headers=citizen), 201)
    clerk = await staff_headers(client, "health-clerk")
    await ok(
        await client.post(
            f"/api/v1/admin/applications/{app['id']}/request-supplement",
            json={"missing": ["marriage-certificate"], "note": "结婚证扫描件不清晰"},
            headers=clerk,
        )
    )
    path = f"/api/v1/applications/{app['id']}/supplements"
    forged = {"materials": [{"materialId": "marriage-certificate", "certificateId": "ANY"}]}
    refused = await client.post(path, json=forged, headers=citizen)
    assert refused.status_code == 400
    assert "materials[0].certificateId" in refused.json()["errors"]
    given = {
        "materials": [{"materialId": "marriage-certificate", "certificateId": certificate["id"]}]
    }
    await ok(await client.post(path, json=given, headers=citizen))

    async def used() -> Any:
        uses = await ok(
            await client.get(f"/api/v1/me/certificates/{certificate['id']}/uses", headers=citizen)
        )
        return [u for u in uses if u["applicationId"] == app["id"]]

    assert len(await wait_for(used)) == 1
