"""代办 over HTTP: a principal authorises an agent with a one-time code; the agent submits for
the principal (the application is the principal's) and may use the principal's certificates
when allowed; without an active authorisation covering the service it is 404, and revoking
ends the agent's access at once, to applications already submitted too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from domain.calendar import CST
from tests.e2e.conftest import citizen_headers, staff_headers, upload
from tests.e2e.test_certificates import BIRTH, birth_body, married, ok, wait_for

Headers = dict[str, str]


async def authorise(
    client: httpx.AsyncClient,
    principal: Headers,
    agent: Headers,
    *,
    scope: Any = (BIRTH,),
    use_certificates: bool = True,
) -> dict[str, Any]:
    """A granted and accepted authorisation; the acceptance's answer."""
    valid_until = (datetime.now(CST) + timedelta(days=30)).isoformat()
    granted = await ok(
        await client.post(
            "/api/v1/me/authorisations",
            json={
                "scope": scope if scope == "all" else list(scope),
                "validUntil": valid_until,
                "useCertificates": use_certificates,
                "principalName": "王阿姨",
            },
            headers=principal,
        ),
        201,
    )
    assert len(granted["inviteCode"]) == 10
    accepted = await ok(
        await client.post(
            "/api/v1/authorisations/accept",
            json={"inviteCode": granted["inviteCode"], "agentName": "小王"},
            headers=agent,
        )
    )
    assert accepted == {**accepted, "id": granted["id"], "principalName": "王阿姨"}
    return accepted


async def test_an_agent_submits_for_the_principal_with_the_principals_certificate_until_revoked(
    client: httpx.AsyncClient,
) -> None:
    principal, agent = await citizen_headers(client), await citizen_headers(client)
    certificate = await married(client, principal)
    accepted = await authorise(client, principal, agent)
    principal_id = accepted["principalId"]

    principals = await ok(await client.get("/api/v1/me/principals", headers=agent))
    assert [p["principalId"] for p in principals] == [principal_id]

    body = birth_body(
        certificate["id"], {"fileId": await upload(client, agent)}, onBehalfOf=principal_id
    )
    app = await ok(await client.post("/api/v1/applications", json=body, headers=agent), 201)

    # the application is the principal's, in their list; the agent follows it meanwhile
    after = f"?after={app['position']}"
    mine = await ok(await client.get(f"/api/v1/applications{after}", headers=principal))
    assert app["id"] in [a["id"] for a in mine]
    assert app["id"] not in [
        a["id"] for a in await ok(await client.get("/api/v1/applications", headers=agent))
    ]
    as_agent = await ok(await client.get("/api/v1/applications?asAgent=true", headers=agent))
    assert [a["id"] for a in as_agent] == [app["id"]]
    seen = await ok(await client.get(f"/api/v1/applications/{app['id']}", headers=agent))
    assert seen["timeline"][0]["text"] == "代办人已代您提交申请，等待窗口受理"

    # staff see who submitted for whom
    clerk = await staff_headers(client, "health-clerk")
    history = await ok(
        await client.get(f"/api/v1/admin/applications/{app['id']}/history", headers=clerk)
    )
    assert history[0]["actor"]["agent"] == "代办: 小王"
    assert history[0]["actor"]["onBehalfOf"] == principal_id

    # the holder sees the use, made by an agent
    async def used() -> Any:
        path = f"/api/v1/me/certificates/{certificate['id']}/uses"
        return await ok(await client.get(path, headers=principal))

    uses = await wait_for(used)
    assert [(u["applicationId"], u["byAgent"]) for u in uses] == [(app["id"], True)]

    # revoked: at once, also for what was already submitted
    await ok(
        await client.post(f"/api/v1/me/authorisations/{accepted['id']}/revoke", headers=principal)
    )
    gone = await client.get(f"/api/v1/applications/{app['id']}", headers=agent)
    assert gone.status_code == 404
    assert await ok(await client.get("/api/v1/applications?asAgent=true", headers=agent)) == []
    again = await client.post("/api/v1/applications", json=body, headers=agent)
    assert again.status_code == 404
    assert await ok(await client.get("/api/v1/me/principals", headers=agent)) == []
    granted = await ok(await client.get("/api/v1/me/authorisations", headers=principal))
    assert [(g["id"], g["status"], g["agentName"]) for g in granted] == [
        (accepted["id"], "revoked", "小王")
    ]
    # the principal still has their application
    assert (
        await client.get(f"/api/v1/applications/{app['id']}", headers=principal)
    ).status_code == 200


async def test_without_an_authorisation_covering_the_service_it_is_404(
    client: httpx.AsyncClient,
) -> None:
    principal, agent, stranger = [await citizen_headers(client) for _ in range(3)]
    certificate = await married(client, principal)
    accepted = await authorise(client, principal, agent, scope=["XK-00101-000"])
    body = birth_body(
        certificate["id"],
        {"fileId": await upload(client, agent)},
        onBehalfOf=accepted["principalId"],
    )
    outside_scope = await client.post("/api/v1/applications", json=body, headers=agent)
    assert outside_scope.status_code == 404
    body = birth_body(
        certificate["id"],
        {"fileId": await upload(client, stranger)},
        onBehalfOf=accepted["principalId"],
    )
    no_authorisation = await client.post("/api/v1/applications", json=body, headers=stranger)
    assert no_authorisation.status_code == 404
    body["onBehalfOf"] = "5f0b8f3e-0000-4000-8000-000000000000"  # nobody
    nobody = await client.post("/api/v1/applications", json=body, headers=stranger)
    assert nobody.status_code == 404
    assert nobody.json()["detail"] == no_authorisation.json()["detail"]


async def offered(client: httpx.AsyncClient, agent: Headers, on_behalf_of: str | None) -> Any:
    """The guide of BIRTH as the agent reads it: material id -> satisfiedBy."""
    query = f"?onBehalfOf={on_behalf_of}" if on_behalf_of else ""
    guide = await ok(await client.get(f"/api/v1/services/{BIRTH}{query}", headers=agent))
    (situation,) = [s for s in guide["situations"] if s["id"] == "registration"]
    return {m["id"]: m["satisfiedBy"] for m in situation["materials"] if m.get("satisfiedBy")}


async def test_an_agents_guide_offers_the_principals_certificates_while_allowed(
    client: httpx.AsyncClient,
) -> None:
    principal, agent = await citizen_headers(client), await citizen_headers(client)
    certificate = await married(client, principal)
    accepted = await authorise(client, principal, agent)
    principal_id = accepted["principalId"]
    assert await offered(client, agent, principal_id) == {"marriage-certificate": certificate["id"]}
    assert await offered(client, agent, None) == {}  # the agent's own: none
    # someone the agent may not act for: the agent's own, as without the parameter
    stranger = await citizen_headers(client)
    other = await authorise(client, stranger, await citizen_headers(client))
    assert await offered(client, agent, other["principalId"]) == {}

    await ok(
        await client.post(f"/api/v1/me/authorisations/{accepted['id']}/revoke", headers=principal)
    )
    assert await offered(client, agent, principal_id) == {}


async def test_using_the_principals_certificates_needs_the_permission(
    client: httpx.AsyncClient,
) -> None:
    principal, agent = await citizen_headers(client), await citizen_headers(client)
    certificate = await married(client, principal)
    accepted = await authorise(client, principal, agent, scope="all", use_certificates=False)
    assert await offered(client, agent, accepted["principalId"]) == {}
    body = birth_body(
        certificate["id"],
        {"fileId": await upload(client, agent)},
        onBehalfOf=accepted["principalId"],
    )
    refused = await client.post("/api/v1/applications", json=body, headers=agent)
    assert refused.status_code == 400, refused.text
    assert "authorisation" in refused.json()["errors"]["materials[1].certificateId"]
    # with uploads only, the agent may submit
    body["materials"][1] = {
        "materialId": "marriage-certificate",
        "fileId": await upload(client, agent),
    }
    await ok(await client.post("/api/v1/applications", json=body, headers=agent), 201)


async def test_an_invitation_code_is_redeemed_once_and_not_by_the_principal(
    client: httpx.AsyncClient,
) -> None:
    principal, agent, late = [await citizen_headers(client) for _ in range(3)]
    valid_until = (datetime.now(CST) + timedelta(days=7)).isoformat()
    granted = await ok(
        await client.post(
            "/api/v1/me/authorisations",
            json={"scope": "all", "validUntil": valid_until},
            headers=principal,
        ),
        201,
    )
    code = {"inviteCode": granted["inviteCode"]}
    own = await client.post("/api/v1/authorisations/accept", json=code, headers=principal)
    assert own.status_code == 400
    await ok(await client.post("/api/v1/authorisations/accept", json=code, headers=agent))
    twice = await client.post("/api/v1/authorisations/accept", json=code, headers=late)
    assert twice.status_code == 409
    unknown = await client.post(
        "/api/v1/authorisations/accept", json={"inviteCode": "ABCDEFGHJK"}, headers=late
    )
    assert unknown.status_code == 404
    # only the principal revokes, and it is 404 for anyone else
    other = await client.post(f"/api/v1/me/authorisations/{granted['id']}/revoke", headers=agent)
    assert other.status_code == 404
