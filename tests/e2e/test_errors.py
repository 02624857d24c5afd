"""Bad input never gives a 500: every error is application/problem+json with a stable ``code``."""

from __future__ import annotations

import logging
import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.url import with_database
from backend.ratelimit import RateLimits, Rule
from backend.settings import Settings
from tests.conftest import TEMPLATE
from tests.e2e.conftest import PNG, citizen_headers, required_materials, staff_headers, upload
from tests.samples import JPEG, PDF

SECRET = "test-secret-key-that-is-long-enough-for-hs256"
FOOD = "XK-00101-000"  # pickup or courier
BENEFIT = "GF-00301-000"  # 失业保险金申领: pickup only
PROBLEM = "application/problem+json"
MIB = 1024 * 1024
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32

Headers = dict[str, str]


@pytest.fixture(scope="module")
async def client(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncTestClient[Any]]:
    """One app for the module: starting one costs seconds (argon2 hashes of the demo staff).
    Nothing here changes state another test reads."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("errors")),
        database_url=with_database(server_url, name),
        secret_key=SECRET,
        # one citizen sends every bad request of the module: far more than 30 a minute
        rate_limits=RateLimits(create_per_citizen=Rule(0)),
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as test_client:
        yield test_client
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def citizen(client: httpx.AsyncClient) -> Headers:
    return await citizen_headers(client, "errors")


@pytest.fixture(scope="module")
async def clerk(client: httpx.AsyncClient) -> Headers:
    return await staff_headers(client, "amr-clerk")


@pytest.fixture(scope="module")
def logged_in(citizen: Headers, clerk: Headers) -> dict[str, Headers]:
    return {"citizen": citizen, "clerk": clerk}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the problem+json shape and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    return body


async def valid_body(client: httpx.AsyncClient, citizen: Headers) -> dict[str, Any]:
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    return {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": "老王面馆"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }


@pytest.fixture(scope="module")
async def food_body(client: httpx.AsyncClient, citizen: Headers) -> dict[str, Any]:
    """A valid submission of the module's citizen; tests derive bad ones from copies."""
    return await valid_body(client, citizen)


async def submit(
    client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/api/v1/applications", json=body, headers=headers)


# --- submitting -------------------------------------------------------------------------------


async def test_malformed_json_is_400_validation_failed(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    for raw in (b"{not json", b'{"serviceCode": "XK-00101-000",', b"\xff\xfe", b""):
        response = await client.post(
            "/api/v1/applications",
            content=raw,
            headers={**citizen, "Content-Type": "application/json"},
        )
        problem(response, 400, "validation_failed")


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


SHAPE_ERRORS: dict[str, Any] = {
    "code is a number": lambda b: {**b, "serviceCode": 101},
    "materials is an object": lambda b: {**b, "materials": {"id-card": "x"}},
    "material id is a number": lambda b: {**b, "materials": [{"materialId": 1}]},
    "fileId is not a uuid": lambda b: {
        **b,
        "materials": [{"materialId": "id-card", "fileId": "abc"}],
    },
    "form is a string": lambda b: {**b, "form": "老王面馆"},
    "delivery by drone": lambda b: {**b, "delivery": {"method": "drone"}},
    "unknown top-level field": lambda b: {**b, "priority": "vip"},
    "unknown material field": lambda b: {
        **b,
        "materials": [{**b["materials"][0], "verified": True}, *b["materials"][1:]],
    },
    "unknown address field": lambda b: {
        **b,
        "delivery": {"method": "courier", "address": {"name": "王", "floor": 3}},
    },
    "no serviceCode": lambda b: _without(b, "serviceCode"),
    "no situationId": lambda b: _without(b, "situationId"),
    "no materials": lambda b: _without(b, "materials"),
    "no delivery": lambda b: _without(b, "delivery"),
    "a list": lambda b: [b],
    "null": lambda b: None,
}


@pytest.mark.parametrize("case", SHAPE_ERRORS)
async def test_a_submission_of_the_wrong_shape_is_400_validation_failed(
    client: httpx.AsyncClient, citizen: Headers, food_body: dict[str, Any], case: str
) -> None:
    body = SHAPE_ERRORS[case](food_body)
    problem(await submit(client, citizen, body), 400, "validation_failed")


CJK = re.compile(r"[\u4e00-\u9fff]")
ADDRESS = {
    "name": "张三",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路100号",
}


async def test_a_missing_body_says_so_in_words(client: httpx.AsyncClient, citizen: Headers) -> None:
    for headers in (citizen, {**citizen, "Content-Type": "application/json"}):
        response = await client.post("/api/v1/applications", content=b"", headers=headers)
        body = problem(response, 400, "validation_failed")
        assert body["detail"] == "缺少请求体：请以 JSON 对象发送"
        assert body["errors"] == {"body": "缺少请求体"}


async def test_every_field_error_of_a_body_comes_in_one_answer_in_chinese(
    client: httpx.AsyncClient, citizen: Headers, food_body: dict[str, Any]
) -> None:
    body = {
        **_without(food_body, "situationId"),
        "serviceCode": 101,
        "form": "老王面馆",
        "delivery": {"method": "drone"},
        "materials": [{"materialId": 1}, {"materialId": "id-card", "fileId": "abc"}],
        "priority": "vip",
    }
    refused = problem(await submit(client, citizen, body), 400, "validation_failed")
    assert refused["errors"] == {
        "serviceCode": "应为文字，实际为整数",
        "situationId": "必填",
        "form": "应为对象，实际为文字",
        "delivery.method": "取值“drone”无效",
        "materials[0].materialId": "应为文字，实际为整数",
        "materials[1].fileId": "应为 UUID",
        "priority": "不认识的字段",
    }
    assert refused["detail"] == "请求有7处需要修改，请按提示修改"


async def test_the_rules_of_a_submission_are_reported_together_in_chinese(
    client: httpx.AsyncClient, citizen: Headers, food_body: dict[str, Any]
) -> None:
    body = {
        **food_body,
        "materials": food_body["materials"][1:],
        "delivery": {"method": "courier", "address": {**ADDRESS, "phone": "12"}},
    }
    refused = problem(await submit(client, citizen, body), 400, "validation_failed")
    missing = food_body["materials"][0]["materialId"]
    assert {f"materials.{missing}", "delivery.address.phone"} <= set(refused["errors"]), refused
    assert all(CJK.search(text) for text in [refused["detail"], *refused["errors"].values()])


async def test_refusals_a_citizen_meets_are_in_chinese(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    answers = [
        await client.get("/api/v1/applications"),  # no token
        await client.get("/api/v1/applications", headers={"Authorization": "Bearer nope"}),
        await client.get(f"/api/v1/applications/{uuid.uuid4()}", headers=citizen),
        await client.get("/api/v1/nope"),
        await client.delete("/api/v1/services"),
        await client.get("/api/v1/admin/worklist", headers=citizen),
        await client.get("/api/v1/halls/city-center/slots?date=tomorrow", headers=citizen),
    ]
    for response in answers:
        assert response.status_code >= 400, response.text
        assert CJK.search(response.json()["detail"]), response.text
        for text in response.json().get("errors", {}).values():
            assert CJK.search(text), response.text


async def test_submission_rules_are_400_with_the_field_that_broke_them(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    body = await valid_body(client, citizen)
    courier_address = {
        "name": "王小明",
        "phone": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "长宁区",
        "detail": "长宁路 88 号",
    }
    someone_else = await upload(client, await citizen_headers(client))
    cases: list[tuple[dict[str, Any], str]] = [
        ({**body, "serviceCode": "XK-99999-000"}, "serviceCode"),
        ({**body, "situationId": "time-travel"}, "situationId"),
        ({**body, "materials": body["materials"][1:]}, body["materials"][0]["materialId"]),
        (
            {**body, "materials": [{**body["materials"][0], "fileId": someone_else}]},
            "materials[0].fileId",
        ),
        ({**body, "delivery": {"method": "courier"}}, "delivery.address"),
        (
            {
                **body,
                "serviceCode": BENEFIT,
                "situationId": "self",
                "materials": [
                    {"materialId": m, "fileId": body["materials"][0]["fileId"]}
                    for m in ("id-card", "social-security-card", "termination-proof")
                ],
                "delivery": {"method": "courier", "address": courier_address},
            },
            "delivery.method",
        ),
    ]

    for bad, field in cases:
        errors = problem(await submit(client, citizen, bad), 400, "validation_failed")["errors"]
        assert any(field in key for key in errors), (field, errors)
    # none of them created anything; the valid body does
    assert (await client.get("/api/v1/applications", headers=citizen)).json() == []
    created = await submit(client, citizen, body)
    assert created.status_code == 201, created.text


async def test_an_idempotency_key_over_200_characters_is_400(
    client: httpx.AsyncClient, citizen: Headers, food_body: dict[str, Any]
) -> None:
    body = food_body
    too_long = await client.post(
        "/api/v1/applications", json=body, headers={**citizen, "Idempotency-Key": "k" * 201}
    )
    assert "Idempotency-Key" in problem(too_long, 400, "validation_failed")["errors"]
    longest = await client.post(
        "/api/v1/applications", json=body, headers={**citizen, "Idempotency-Key": "k" * 200}
    )
    assert longest.status_code == 201, longest.text


# --- routes and resources that do not exist ---------------------------------------------------


async def test_an_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    problem(await client.get("/api/v1/services/NOPE"), 404, "not_found")
    problem(await client.get("/api/v1/services/XK-99999-000"), 404, "not_found")


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem(await client.get("/api/v1/nope"), 404, "not_found")
    problem(await client.post("/api/v2/applications", json={}), 404, "not_found")


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient, citizen: Headers) -> None:
    problem(await client.delete("/api/v1/services"), 405, "method_not_allowed")
    problem(
        await client.put("/api/v1/applications", json={}, headers=citizen),
        405,
        "method_not_allowed",
    )
    problem(await client.get("/api/v1/auth/staff-login"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", "/api/v1/applications/123", "citizen"),
        ("GET", "/api/v1/applications/not-a-uuid?after=1", "citizen"),
        ("POST", "/api/v1/applications/123/withdraw", "citizen"),
        ("GET", "/api/v1/admin/applications/123/history", "clerk"),
        ("POST", "/api/v1/admin/applications/%27%3B--/accept", "clerk"),
    ],
)
async def test_an_application_id_that_is_not_a_uuid_is_400_or_404(
    client: httpx.AsyncClient, logged_in: dict[str, Headers], method: str, path: str, who: str
) -> None:
    headers = logged_in[who]
    response = await client.request(
        method, path, headers=headers, json={"reason": "x"} if method == "POST" else None
    )
    assert response.status_code in (400, 404), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] in ("validation_failed", "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/XK%00",
        "/api/v1/services?q=%00",
        "/api/v1/services?department=%00",
        "/api/v1/services?q=%25%27%3B--",
    ],
)
async def test_odd_characters_in_a_catalogue_lookup_are_never_500(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code in (200, 400, 404), response.text


async def test_a_worklist_offset_beyond_64_bits_is_400(
    client: httpx.AsyncClient, clerk: Headers
) -> None:
    response = await client.get("/api/v1/admin/worklist?offset=99999999999999999999", headers=clerk)
    problem(response, 400, "validation_failed")


async def test_a_bad_worklist_query_is_400(client: httpx.AsyncClient, clerk: Headers) -> None:
    for query in ("queue=everything", "limit=0", "limit=201", "offset=-1", "limit=ten"):
        response = await client.get(f"/api/v1/admin/worklist?{query}", headers=clerk)
        problem(response, 400, "validation_failed")


# --- logins -----------------------------------------------------------------------------------


async def test_a_wechat_code_wechat_refuses_is_401_invalid_login_code(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "bad"})
    problem(response, 401, "invalid_login_code")


async def test_an_empty_wechat_code_is_a_client_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": ""})
    assert response.status_code in (400, 401), response.text


async def test_an_absurdly_long_wechat_code_is_a_client_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "x" * 100_000})
    problem(response, 413, "too_large")  # a login body is at most 16 KiB
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "x" * 10_000})
    assert response.status_code in (400, 401), response.text


async def test_a_bad_login_body_is_400(client: httpx.AsyncClient) -> None:
    for path, body in [
        ("/api/v1/auth/wechat-login", {}),
        ("/api/v1/auth/wechat-login", {"code": 42}),
        ("/api/v1/auth/staff-login", {"username": "amr-clerk"}),
        ("/api/v1/auth/staff-login", {"username": "a", "password": "b", "otp": "1"}),
    ]:
        problem(await client.post(path, json=body), 400, "validation_failed")


async def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.post(
        "/api/v1/auth/staff-login", json={"username": "amr-clerk", "password": "not-the-one"}
    )
    unknown = await client.post(
        "/api/v1/auth/staff-login", json={"username": "nobody", "password": "onewindow-demo"}
    )

    assert wrong.json() == problem(unknown, 401, "unauthenticated")
    assert wrong.status_code == 401


async def test_a_username_with_a_nul_character_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/staff-login", json={"username": "amr-clerk\x00", "password": "x"}
    )
    problem(response, 400, "validation_failed")


# --- files ------------------------------------------------------------------------------------


async def post_file(
    client: httpx.AsyncClient, citizen: Headers, data: bytes, name: str = "scan.png"
) -> httpx.Response:
    return await client.post(
        "/api/v1/files", files={"file": (name, data, "image/png")}, headers=citizen
    )


async def test_files_other_than_jpeg_png_pdf_are_415_whatever_their_name(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    for data, name in [(GIF, "photo.gif"), (GIF, "photo.png"), (b"hello, world\n", "id.pdf")]:
        response = await post_file(client, citizen, data, name)
        problem(response, 415, "unsupported_media_type")


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels: a few hundred bytes that a
    decoder would expand to width * height * 3 bytes (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


async def test_a_file_that_only_starts_like_a_png_jpeg_or_pdf_is_415(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    html = b"<html><script>alert(document.cookie)</script></html>"
    for data, name in [
        (b"\x89PNG\r\n\x1a\n" + html, "scan.png"),
        (b"%PDF-1.4\n" + html, "licence.pdf"),
        (b"\xff\xd8\xff\xe0" + html, "photo.jpg"),
        (PNG[: len(PNG) // 2], "cut.png"),  # a truncated image
        (_png_declaring(50_000, 50_000), "bomb.png"),  # 2.5 gigapixels
        (_png_declaring(8_000, 8_000), "huge.png"),  # 64 megapixels: over the limit
    ]:
        refused = problem(
            await post_file(client, citizen, data, name), 415, "unsupported_media_type"
        )
        assert "已损坏" in refused["detail"], refused


async def test_jpeg_png_and_pdf_are_accepted_by_content(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    for data, name, content_type in [
        (PDF, "licence.pdf", "application/pdf"),
        (JPEG, "notes.txt", "image/jpeg"),  # the name does not matter
        (PNG, "scan", "image/png"),
    ]:
        response = await post_file(client, citizen, data, name)
        assert response.status_code == 201, response.text
        info = response.json()
        assert info["contentType"] == content_type
        assert info["size"] == len(data)


async def test_a_file_over_10_mib_is_413(client: httpx.AsyncClient, citizen: Headers) -> None:
    at_limit = PNG + b"\x00" * (10 * MIB - len(PNG))
    assert (await post_file(client, citizen, at_limit)).status_code == 201
    problem(await post_file(client, citizen, at_limit + b"\x00"), 413, "too_large")
    problem(await post_file(client, citizen, at_limit * 2), 413, "too_large")


async def test_an_empty_file_is_400(client: httpx.AsyncClient, citizen: Headers) -> None:
    problem(await post_file(client, citizen, b""), 400, "validation_failed")


async def test_an_upload_that_is_not_multipart_is_400(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    response = await client.post("/api/v1/files", json={"file": "aGVsbG8="}, headers=citizen)
    problem(response, 400, "validation_failed")


# --- the OpenAPI document ---------------------------------------------------------------------


async def test_the_openapi_document_lists_the_contracts_operations(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operation_ids = {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }

    assert {
        "wechatLogin",
        "staffLogin",
        "listServices",
        "getService",
        "uploadFile",
        "submitApplication",
        "listMyApplications",
        "getApplication",
        "withdrawApplication",
        "worklist",
        "acceptApplication",
        "reviewApplication",
        "issueResult",
        "applicationHistory",
    } <= operation_ids
    assert "/api/v1/applications/{applicationId}/withdraw" in document["paths"]


async def test_a_multipart_form_without_a_file_part_is_400(
    client: httpx.AsyncClient, citizen: Headers
) -> None:
    """Found by schemathesis: a form with only text parts used to crash the upload (500)."""
    for parts in (
        b'--b1\r\nContent-Disposition: form-data; name="x"\r\n\r\n{"G": 1}\r\n--b1--\r\n',
        b'--b1\r\nContent-Disposition: form-data; name="file"\r\n\r\nnull\r\n--b1--\r\n',
    ):
        response = await client.post(
            "/api/v1/files",
            content=parts,
            headers={**citizen, "content-type": "multipart/form-data; boundary=b1"},
        )
        problem(response, 400, "validation_failed")


# --- hostile input from the red-team pass: never a 500, never a traceback in the log ----------

LOGINS = ("/api/v1/auth/staff-login", "/api/v1/auth/wechat-login")
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await staff_headers(client, "admin")


def no_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize("path", LOGINS)
@pytest.mark.parametrize(
    "body",
    [
        b'\xff\xfe{"username": "x", "password": "y"}',
        b'{"username": "\xff\xfe", "password": "y", "code": "\xc3\x28"}',
        b'{"code": "sandbox-\xed\xa0\x80"}',
    ],
    ids=["bom", "inside-a-string", "surrogate"],
)
async def test_invalid_utf8_in_a_login_is_400(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
) -> None:
    problem(await client.post(path, content=body, headers=JSON), 400, "validation_failed")
    no_traceback_logged(caplog)


@pytest.mark.parametrize("path", [*LOGINS, "/api/v1/applications", "/api/v1/appointments"])
@pytest.mark.parametrize("depth", [100, 3_000, 5_000])
async def test_json_nested_deep_is_400_without_a_traceback(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    logged_in: dict[str, dict[str, str]],
    path: str,
    depth: int,
) -> None:
    headers = {**JSON, **logged_in["citizen"]}
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        response = await client.post(path, content=body, headers=headers)
        if response.status_code == 413:  # a login body is at most 16 KiB
            problem(response, 413, "too_large")
            continue
        refused = problem(response, 400, "validation_failed")
        assert "嵌套" in refused["detail"] or depth < 1000, refused
    no_traceback_logged(caplog)


async def test_a_form_value_over_its_limit_is_400_with_the_field(
    client: httpx.AsyncClient,
    citizen: Headers,
    food_body: dict[str, Any],
) -> None:
    body = {**food_body, "form": {"shopName": "老王面馆", "note": "很长" * 60_000}}
    refused = problem(await submit(client, citizen, body), 400, "validation_failed")
    assert "form.note" in refused["errors"], refused


async def test_a_login_body_over_its_limit_is_413(
    client: httpx.AsyncClient,
) -> None:
    big = b'{"username": "' + b"a" * (64 * 1024) + b'", "password": "x"}'
    problem(await client.post(LOGINS[0], content=big, headers=JSON), 413, "too_large")


async def test_a_json_body_over_one_mebibyte_is_413(
    client: httpx.AsyncClient,
    logged_in: dict[str, dict[str, str]],
) -> None:
    big = b'{"serviceCode": "' + b"X" * (1024 * 1024 + 1) + b'"}'
    response = await client.post(
        "/api/v1/applications", content=big, headers={**JSON, **logged_in["citizen"]}
    )
    problem(response, 413, "too_large")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=0001-01-01&end=9999-12-31", "start"),
        ("start=2026-01-01&end=9999-12-31", "end"),
        ("start=2026-12-31&end=2026-01-01", "end"),
    ],
)
async def test_absurd_statistics_ranges_are_400_with_the_field(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    admin: dict[str, str],
    query: str,
    field: str,
) -> None:
    body = problem(
        await client.get(f"/api/v1/admin/stats?{query}", headers=admin), 400, "validation_failed"
    )
    assert field in body["errors"], body
    no_traceback_logged(caplog)


async def test_a_sensible_statistics_range_still_answers(
    client: httpx.AsyncClient,
    admin: dict[str, str],
) -> None:
    response = await client.get(
        "/api/v1/admin/stats?start=2026-01-01&end=2026-12-31", headers=admin
    )
    assert response.status_code == 200, response.text
    rows: list[Any] = response.json()
    assert isinstance(rows, list)
