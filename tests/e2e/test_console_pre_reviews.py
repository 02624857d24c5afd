"""The console's pre-reviews (预审): the lead department's queue from the worklist, the page
where a clerk answers once (CSRF-protected), and the case page of an application submitted
from a ready pre-review."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from tests.e2e.conftest import citizen_headers, upload
from tests.e2e.test_console import FOOD, console, projected, sign_in

__all__ = ["console"]  # the fixture, shared with test_console.py


async def draft(client: httpx.AsyncClient, citizen: dict[str, str], ids: list[str]) -> Any:
    return {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": "张记小吃"},
        "materials": [{"materialId": m, "fileId": await upload(client, citizen)} for m in ids],
        "delivery": {"method": "pickup"},
    }


async def projected_pre_review(pool: asyncpg.Pool, pid: str, round_: int, status: str) -> None:
    """Wait until the pre-review read model shows that round in that status."""
    for _ in range(100):
        row = await pool.fetchrow(
            "SELECT round, status FROM pre_review_view WHERE id = $1", UUID(pid)
        )
        if row is not None and (row["round"], row["status"]) == (round_, status):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read model never got the pre-review")


REQUIRED = ["application-form", "business-licence", "id-card", "floor-plan"]


async def test_a_clerk_answers_a_pre_review_from_the_console_and_the_case_shows_it(
    console: AsyncTestClient[Any], pool: asyncpg.Pool
) -> None:
    citizen = await citizen_headers(console)
    first = await draft(console, citizen, REQUIRED[:3])
    created = await console.post("/api/v1/pre-reviews", json=first, headers=citizen)
    assert created.status_code == 201, created.text
    pid, number = created.json()["id"], created.json()["number"]
    await projected_pre_review(pool, pid, 1, "pending")

    token = await sign_in(console, "amr-clerk")
    worklist = await console.get("/console/worklist")
    assert 'href="/console/pre-reviews"' in worklist.text
    queue = await console.get("/console/pre-reviews")
    assert queue.status_code == 200
    assert number in queue.text
    page = await console.get(f"/console/pre-reviews/{pid}")
    assert page.status_code == 200
    assert 'data-action="answer"' in page.text
    assert "情形：新办" in page.text  # the situation by its name, not its id ("new")

    # the form needs its CSRF token
    answer = {"decision": "needs_changes", "missing": "floor-plan", "note": "缺平面布局图"}
    forged = await console.post(f"/console/pre-reviews/{pid}/answer", data=answer)
    assert forged.status_code == 403
    told = await console.post(
        f"/console/pre-reviews/{pid}/answer", data={**answer, "_csrf_token": token}
    )
    assert told.status_code == 303, told.text
    after = told.headers["location"].split("?after=")[1]  # read the answer just written
    seen = await console.get(f"/api/v1/pre-reviews/{pid}?after={after}", headers=citizen)
    assert seen.json()["status"] == "needs_changes"
    assert seen.json()["findings"]["missing"] == ["floor-plan"]
    answered_page = await console.get(told.headers["location"])
    assert 'data-action="answer"' not in answered_page.text  # once per round

    second = await draft(console, citizen, REQUIRED)
    revised = await console.post(f"/api/v1/pre-reviews/{pid}/revise", json=second, headers=citizen)
    assert revised.status_code == 200, revised.text
    await projected_pre_review(pool, pid, 2, "pending")
    ready = await console.post(
        f"/console/pre-reviews/{pid}/answer",
        data={"decision": "ready", "note": "", "_csrf_token": token},
    )
    assert ready.status_code == 303, ready.text
    await projected_pre_review(pool, pid, 2, "ready")

    submitted = await console.post(
        "/api/v1/applications", json={**second, "preReviewId": pid}, headers=citizen
    )
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["id"]
    await projected(pool, app_id)
    case = await console.get(f"/console/cases/{app_id}")
    assert case.status_code == 200
    assert "来自预审（第2轮，已通过）" in case.text
    assert "可直接受理" in case.text


async def test_another_department_does_not_see_the_pre_review_page(
    console: AsyncTestClient[Any], pool: asyncpg.Pool
) -> None:
    citizen = await citizen_headers(console)
    created = await console.post(
        "/api/v1/pre-reviews", json=await draft(console, citizen, REQUIRED), headers=citizen
    )
    pid = created.json()["id"]
    await projected_pre_review(pool, pid, 1, "pending")
    token = await sign_in(console, "health-clerk")
    assert (await console.get(f"/console/pre-reviews/{pid}")).status_code == 404
    refused = await console.post(
        f"/console/pre-reviews/{pid}/answer", data={"decision": "ready", "_csrf_token": token}
    )
    assert refused.status_code == 404
    assert pid not in (await console.get("/console/pre-reviews")).text
