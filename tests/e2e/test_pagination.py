"""Lists page with ``?limit=&cursor=`` (keyset: nothing repeats, nothing is skipped) and filter;
the body stays an array, the next page is named in ``Onewindow-Next-Cursor`` and ``Link``."""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.e2e.conftest import citizen_headers, required_materials, upload

FOOD = "XK-00101-000"


async def _all_pages(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> list[list[dict[str, Any]]]:
    """Every page of ``url``, following the cursor until a page names none."""
    found: list[list[dict[str, Any]]] = []
    while True:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        found.append(response.json())
        cursor = response.headers.get("onewindow-next-cursor")
        if cursor is None:
            assert "link" not in response.headers
            return found
        assert response.headers["link"].endswith('; rel="next"')
        url = response.headers["link"][1:].split(">;")[0]  # the Link says the whole next url
        assert f"cursor={cursor}" in url


async def _submit(client: httpx.AsyncClient, citizen: dict[str, str], shop: str) -> dict[str, Any]:
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": shop},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    submitted: dict[str, Any] = response.json()
    return submitted


async def test_the_catalogue_pages_by_code_and_filters_by_kind_and_online(
    client: AsyncTestClient[Any],
) -> None:
    everything = (await client.get("/api/v1/services")).json()
    assert "onewindow-next-cursor" not in (await client.get("/api/v1/services")).headers

    pages = await _all_pages(client, "/api/v1/services?limit=2", {})
    assert all(len(page) == 2 for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= 2
    assert [s["code"] for page in pages for s in page] == [s["code"] for s in everything]

    permits = (await client.get("/api/v1/services?kind=许可")).json()
    assert permits
    assert {s["kind"] for s in permits} == {"许可"}
    assert len(permits) == sum(s["kind"] == "许可" for s in everything)
    online = (await client.get("/api/v1/services?online=true")).json()
    assert [s["code"] for s in online] == [s["code"] for s in everything if s["online"]]


async def test_my_applications_page_newest_first_and_filter_by_status_and_service(
    client: AsyncTestClient[Any],
) -> None:
    citizen = await citizen_headers(client)
    submitted = [await _submit(client, citizen, f"面馆{i}") for i in range(3)]
    withdrawn = await client.post(
        f"/api/v1/applications/{submitted[0]['id']}/withdraw", json={"reason": "不办了"},
        headers=citizen,
    )  # fmt: skip
    assert withdrawn.status_code == 200, withdrawn.text
    after = withdrawn.json()["position"]

    pages = await _all_pages(client, f"/api/v1/applications?limit=2&after={after}", citizen)
    assert [len(page) for page in pages] == [2, 1]
    newest_first = [a["id"] for a in reversed(submitted)]
    assert [a["id"] for page in pages for a in page] == newest_first

    only = (await client.get("/api/v1/applications?status=withdrawn", headers=citizen)).json()
    assert [a["id"] for a in only] == [submitted[0]["id"]]
    food = (await client.get(f"/api/v1/applications?serviceCode={FOOD}", headers=citizen)).json()
    assert len(food) == 3
    other = await client.get("/api/v1/applications?serviceCode=GG-00901-000", headers=citizen)
    assert other.json() == []


async def test_a_cursor_that_is_not_ours_is_a_clear_400(client: AsyncTestClient[Any]) -> None:
    citizen = await citizen_headers(client)
    for url in (
        "/api/v1/services?cursor=bm90LWpzb24",
        "/api/v1/applications?cursor=%%%",
        "/api/v1/appointments?cursor=WyJub3QgYSBkYXRlIiwgMV0",
    ):
        response = await client.get(url, headers=citizen)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["code"] == "invalid_cursor"
        assert response.json()["errors"] == {"cursor": "不是本接口返回的 cursor"}
    unknown = await client.get("/api/v1/applications?status=lost", headers=citizen)
    assert (unknown.status_code, unknown.json()["code"]) == (400, "validation_failed")
    too_many = await client.get("/api/v1/services?limit=201")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "validation_failed")
