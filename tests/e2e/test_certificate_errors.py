"""Bad input to the e-certificate and 代办 routes is a problem+json with a stable code (the
field when there is one), never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.conftest import citizen_headers, staff_headers

PROBLEM = "application/problem+json"
NOBODY = str(uuid.uuid4())

# (method, path, JSON body or None, who asks, status, code)
CASES: list[tuple[str, str, Any, str, int, str]] = [
    ("GET", "/api/v1/me/certificates/not-a-uuid", None, "citizen", 404, "not_found"),
    ("GET", f"/api/v1/me/certificates/{NOBODY}", None, "citizen", 404, "not_found"),
    ("GET", f"/api/v1/me/certificates/{NOBODY}/uses", None, "citizen", 404, "not_found"),
    ("GET", f"/api/v1/me/certificates/{NOBODY}/document", None, "citizen", 404, "not_found"),
    ("GET", "/api/v1/me/certificates?refresh=maybe", None, "citizen", 400, "validation_failed"),
    # without a declared identity there is nobody to ask the platform about
    ("GET", "/api/v1/me/certificates?refresh=true", None, "citizen", 409, "invalid_state"),
    ("GET", "/api/v1/me/certificates", None, "nobody", 401, "unauthenticated"),
    ("PUT", "/api/v1/me/identity", {"name": "张三"}, "citizen", 400, "validation_failed"),
    (
        "PUT",
        "/api/v1/me/identity",
        {"name": "张三", "idNumber": "110101199003070010"},  # wrong check digit
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "PUT",
        "/api/v1/me/identity",
        {"name": "\x00", "idNumber": 5},
        "citizen",
        400,
        "validation_failed",
    ),
    ("GET", "/api/v1/me/identity", None, "citizen", 404, "not_found"),
    ("POST", "/api/v1/me/authorisations", {}, "citizen", 400, "validation_failed"),
    (
        "POST",
        "/api/v1/me/authorisations",
        {"scope": "some", "validUntil": "2099-01-01T00:00:00+08:00"},
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "POST",
        "/api/v1/me/authorisations",
        {"scope": "all", "validUntil": "2000-01-01T00:00:00+08:00"},
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "POST",
        "/api/v1/me/authorisations",
        {"scope": [], "validUntil": "2099-01-01T00:00:00+08:00"},
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "POST",
        "/api/v1/me/authorisations",
        {"scope": "all", "validUntil": "tomorrow"},
        "citizen",
        400,
        "validation_failed",
    ),
    ("POST", f"/api/v1/me/authorisations/{NOBODY}/revoke", None, "citizen", 404, "not_found"),
    ("POST", "/api/v1/me/authorisations/x/revoke", None, "citizen", 404, "not_found"),
    ("POST", "/api/v1/authorisations/accept", {}, "citizen", 400, "validation_failed"),
    (
        "POST",
        "/api/v1/authorisations/accept",
        {"inviteCode": "ABCDEFGHJK"},
        "citizen",
        404,
        "not_found",
    ),
    (
        "POST",
        "/api/v1/authorisations/accept",
        {"inviteCode": "x" * 5000},
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "POST",
        f"/api/v1/admin/certificates/{NOBODY}/revoke",
        {"reason": "x"},
        "admin",
        404,
        "not_found",
    ),
    ("POST", f"/api/v1/admin/certificates/{NOBODY}/revoke", {}, "admin", 400, "validation_failed"),
    (
        "POST",
        f"/api/v1/admin/certificates/{NOBODY}/revoke",
        {"reason": "x"},
        "citizen",
        403,
        "forbidden",
    ),
    ("GET", f"/api/v1/admin/applications/{NOBODY}/certificates", None, "admin", 404, "not_found"),
    (
        "POST",
        "/api/v1/applications",
        {
            "serviceCode": "GG-00901-000",
            "situationId": "registration",
            "materials": [{"materialId": "id-card", "certificateId": 12}],
            "delivery": {"method": "pickup"},
        },
        "citizen",
        400,
        "validation_failed",
    ),
    (
        "POST",
        "/api/v1/applications",
        {
            "serviceCode": "GG-00901-000",
            "situationId": "registration",
            "materials": [{"materialId": "id-card", "certificateId": NOBODY}],
            "delivery": {"method": "pickup"},
            "onBehalfOf": "not-a-uuid",
        },
        "citizen",
        400,  # the shape is wrong: said before anything is looked up
        "validation_failed",
    ),
]


async def test_bad_input_to_certificates_and_authorisations_is_a_problem_never_a_500(
    client: httpx.AsyncClient,
) -> None:
    who = {
        "citizen": await citizen_headers(client),
        "admin": await staff_headers(client, "admin"),
        "nobody": {},
    }
    wrong = []
    for method, path, body, asker, status, code in CASES:
        response = await client.request(method, path, json=body, headers=who[asker])
        problem = response.headers.get("content-type", "").startswith(PROBLEM)
        got = response.json().get("code") if problem else None
        if (response.status_code, got) != (status, code):
            wrong.append((method, path, body, response.status_code, response.text[:200]))
    assert wrong == []
