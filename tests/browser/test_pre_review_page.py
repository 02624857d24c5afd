"""The pre-review page (预审) in Chromium: a clerk finds the draft in the department's queue and
answers it once with htmx, without breaking the CSP."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import Pages, Site, png, shot

FOOD = "XK-00101-000"


async def test_a_clerk_answers_a_draft_once_from_the_queue(site: Site, pages: Pages) -> None:
    citizen = await site.citizen()
    materials = []
    for material_id in ("application-form", "business-licence", "id-card"):
        uploaded = await site.client.post(
            "/api/v1/files", files={"file": ("scan.png", png(), "image/png")}, headers=citizen
        )
        materials.append({"materialId": material_id, "fileId": uploaded.json()["fileId"]})
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"申请人": "李四"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    created = await site.client.post("/api/v1/pre-reviews", json=body, headers=citizen)
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    await site.settle()

    clerk = await pages.login("amr-clerk")
    await clerk.goto("/console/pre-reviews")
    await clerk.locator(f"tr[data-number='{number}'] a").click()
    form = clerk.locator("form[data-action=answer]")
    await form.locator("input[name=missing][value=floor-plan]").check()
    await form.locator("textarea[name=note]").fill("请补充经营场所平面布局图")
    await shot(clerk, "pre-review")
    await form.locator("button[type=submit]").click()
    await expect(clerk.locator("#pre-review .flash")).to_contain_text("一次性告知")
    await expect(clerk.locator("li[data-round='1']")).to_contain_text("经营场所平面布局图")
    await expect(clerk.locator("form[data-action=answer]")).to_have_count(0)
