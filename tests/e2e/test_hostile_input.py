"""Hostile input from the red-team pass never makes a 500 (nor a traceback in the log): broken
UTF-8, JSON nested thousands deep, oversized bodies and absurd date ranges are 400 or 413
problems with a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import staff_headers
from tests.e2e.test_errors import client, citizen, clerk, logged_in, problem  # noqa: F401

LOGINS = ("/api/v1/auth/staff-login", "/api/v1/auth/wechat-login")
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
async def admin(client: httpx.AsyncClient) -> dict[str, str]:  # noqa: F811
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
    client: httpx.AsyncClient,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
) -> None:
    problem(await client.post(path, content=body, headers=JSON), 400, "validation_failed")
    no_traceback_logged(caplog)


@pytest.mark.parametrize("path", [*LOGINS, "/api/v1/applications", "/api/v1/appointments"])
@pytest.mark.parametrize("depth", [100, 3_000, 5_000])
async def test_json_nested_deep_is_400_without_a_traceback(
    client: httpx.AsyncClient,  # noqa: F811
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
        assert "nested" in refused["detail"] or depth < 1000, refused
    no_traceback_logged(caplog)


async def test_a_login_body_over_its_limit_is_413(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    big = b'{"username": "' + b"a" * (64 * 1024) + b'", "password": "x"}'
    problem(await client.post(LOGINS[0], content=big, headers=JSON), 413, "too_large")


async def test_a_json_body_over_one_mebibyte_is_413(
    client: httpx.AsyncClient,  # noqa: F811
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
    client: httpx.AsyncClient,  # noqa: F811
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
    client: httpx.AsyncClient,  # noqa: F811
    admin: dict[str, str],
) -> None:
    response = await client.get(
        "/api/v1/admin/stats?start=2026-01-01&end=2026-12-31", headers=admin
    )
    assert response.status_code == 200, response.text
    rows: list[Any] = response.json()
    assert isinstance(rows, list)
