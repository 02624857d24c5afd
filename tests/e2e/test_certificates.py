"""E-certificates (电子证照) over HTTP: a material is satisfied by a certificate the applicant
holds, never by a string that merely looks like one."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import citizen_headers, upload

UNEMPLOYMENT = "GF-00301-000"  # 失业保险金申领, situation "self": id-card, social security card


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
