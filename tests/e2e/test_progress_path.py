"""The progress route's short way through (``backend.applications.progress_path``) answers
exactly what the handler answers: the same body and headers for the citizen, the same
problem+json for everyone refused; a query it does not read goes to the handler."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.applications.progress_path import _after
from tests.e2e.conftest import citizen_headers, staff_headers
from tests.e2e.test_progress_detail import submit


@pytest.mark.parametrize(
    ("query", "read"),
    [
        (b"", (True, None)),
        (b"after=0", (True, 0)),
        (b"after=42", (True, 42)),
        (b"after=", (False, None)),
        (b"after=042", (False, None)),  # the handler reads it (as 42)
        (b"after=-1", (False, None)),  # the handler refuses it
        (b"after=1&x=2", (False, None)),
        (b"after=1%00", (False, None)),
        (b"x=1", (False, None)),
    ],
)
def test_only_an_empty_query_or_one_plain_after_is_read_on_the_short_way(
    query: bytes, read: tuple[bool, int | None]
) -> None:
    assert _after(query) == read


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code
    assert a.content == b.content
    assert dict(a.headers) == dict(b.headers)


async def test_the_short_way_answers_byte_for_byte_what_the_handler_answers(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    app, _paged = await submit(client, citizen)
    url = f"/api/v1/applications/{app['id']}"
    position = app["position"]

    short = await client.get(f"{url}?after={position}", headers=citizen)
    handler = await client.get(f"{url}?after={position}&via=handler", headers=citizen)
    assert short.status_code == 200, short.text
    assert short.json()["id"] == app["id"]
    assert short.headers["onewindow-read-after"] == "reached"
    _same(short, handler)
    _same(await client.get(url, headers=citizen), await client.get(f"{url}?x", headers=citizen))


async def test_the_short_way_refuses_whom_the_handler_refuses_with_the_same_problem(
    client: httpx.AsyncClient,
) -> None:
    citizen = await citizen_headers(client)
    app, _paged = await submit(client, citizen)
    url = f"/api/v1/applications/{app['id']}"
    callers: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer not-a-token"}, 401, "unauthenticated"),
        (await staff_headers(client, "amr-clerk"), 403, "forbidden"),
        (await citizen_headers(client, "someone-else"), 404, "not_found"),
    ]
    for headers, status, code in callers:
        short = await client.get(url, headers=headers)
        handler = await client.get(f"{url}?via=handler", headers=headers)
        assert short.status_code == status, short.text
        assert short.headers["content-type"].startswith("application/problem+json")
        assert short.json()["code"] == code
        _same(short, handler)

    beyond: dict[str, Any] = (
        await client.get(f"{url}?after={app['position'] + 1000}", headers=citizen)
    ).json()
    assert beyond["code"] == "after_beyond_head"
