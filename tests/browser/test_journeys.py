"""Journeys through the operator console in Chromium, each from the login form."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.async_api import expect

from domain.calendar import CST
from tests.browser.conftest import Pages, Site, eventually, shot

FOOD = "XK-00101-000"  # AMR -> (health || fire) -> AMR
CLINIC = "QT-00801-000"  # health, one stage, promised 1 working day
BUILDING = "XK-00401-000"  # housing, one stage, pickup or courier
APPROVE = {"decision": "approve", "opinion": "同意"}


async def test_a_clerk_accepts_two_parallel_reviewers_approve_and_the_clerk_issues_the_result(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    app_id, number = await site.submit(citizen, FOOD)
    await site.settle()

    clerk = await pages.login("amr-clerk")
    await expect(clerk).to_have_url(re.compile(r"/console/worklist$"))
    await clerk.click("a[data-box=acceptance]")
    row = clerk.locator(f"tr[data-number='{number}']")
    await expect(row).to_contain_text("已提交，待受理")
    await shot(clerk, "worklist")
    await row.locator("a").first.click()
    await expect(clerk.locator("h1")).to_contain_text(number)

    preview = clerk.locator("details.preview").first
    await preview.locator("summary").click()
    image = preview.locator("img")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth === 160")

    await clerk.locator("form[data-action=accept] button").click()
    await expect(clerk.locator("#case-status")).to_have_text("已受理")
    await expect(clerk.locator(".flash")).to_have_text("已受理")
    await shot(clerk, "case")

    await site.act("amr-reviewer", app_id, "review", APPROVE)  # the first stage: AMR alone
    await site.settle()
    for reviewer, department in (
        ("health-reviewer", "市卫生健康委员会"),
        ("fire-reviewer", "市消防救援支队"),
    ):
        tab = await pages.login(reviewer)
        await tab.click("a[data-box=review]")
        await tab.locator(f"tr[data-number='{number}'] a").first.click()
        form = tab.locator("form[data-action=review]")
        await form.locator("textarea[name=opinion]").fill(f"{department}：符合要求，同意")
        await form.locator("button").click()
        decision = tab.locator(f"#review-panel .decision[data-department='{department}']")
        await expect(decision).to_contain_text("同意")
        await expect(decision).to_contain_text("符合要求")
    await shot(tab, "review-panel")

    await site.act("amr-reviewer", app_id, "review", APPROVE)  # the last stage: AMR again
    await clerk.reload()
    await expect(clerk.locator("#case-status")).to_have_text("审批通过")
    issue = clerk.locator("form[data-action=issue_result]")
    await issue.locator("input[name=document_no]").fill("食经许〔2026〕0101号")
    await issue.locator("button").click()
    await expect(clerk.locator("#case-status")).to_have_text("待领取")
    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "ready_for_pickup"
    assert "食经许〔2026〕0101号" in progress["timeline"][-1]["text"]


async def test_a_supervisor_reassigns_a_red_card_case_from_the_stuck_desk_and_others_get_404(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    await site.staff("health-clerk")  # tokens at the real time, then the clock goes back
    site.clock.set(site.clock().astimezone(CST).date() - timedelta(days=14))
    try:
        app_id, number = await site.submit(citizen, CLINIC)
        await site.act("health-clerk", app_id, "accept")
    finally:
        site.clock.now = None
    await site.watch()  # the deadline watcher hands out the red card

    supervisor = await pages.login("supervisor")
    await supervisor.click("a[data-box=red]")
    await expect(supervisor.locator(f"tr[data-number='{number}']")).to_be_visible()
    await supervisor.goto("/console/stuck")
    row = supervisor.locator(f"tr[data-number='{number}']")
    await expect(row).to_contain_text("已超期")
    await expect(row).to_contain_text("市卫生健康委员会")
    await shot(supervisor, "stuck-desk")
    await row.locator("form.reassign select").select_option("市民政局")
    await row.locator("form.reassign button").click()
    await expect(supervisor.locator("#stuck .flash")).to_have_text("已改派")
    await expect(supervisor.locator(f"tr[data-number='{number}']")).to_contain_text("市民政局")

    for outsider in ("police-clerk", "health-clerk"):  # never in it / moved off it
        tab = await pages.login(outsider)
        response = await tab.goto(f"/console/cases/{app_id}")
        assert response is not None
        assert response.status == 404
        await expect(tab.locator(".problem")).to_contain_text("未找到")
    civil = await pages.login("civil-clerk")
    await civil.goto(f"/console/cases/{app_id}")
    await expect(civil.locator("h1")).to_contain_text(number)


async def test_a_form_posted_without_the_csrf_token_is_refused(site: Site, pages: Pages) -> None:
    citizen = await site.citizen()
    app_id, _ = await site.submit(citizen, FOOD)
    clerk = await pages.login("amr-clerk")
    await clerk.goto(f"/console/cases/{app_id}")
    note = clerk.locator("form[data-action=note]")
    await note.locator("textarea").fill("没有令牌的备注")
    # what a forged cross-site form lacks: the token in the form and in htmx's header
    await clerk.evaluate(
        "() => { document.querySelectorAll('input[name=_csrf_token]').forEach(e => e.remove());"
        " document.body.removeAttribute('hx-headers'); }"
    )
    await note.locator("button").click()
    await expect(clerk.locator("#problem")).to_contain_text("CSRF")
    history = await site.client.get(
        f"/api/v1/admin/applications/{app_id}/history", headers=await site.staff("supervisor")
    )
    assert "NoteAdded" not in [entry["type"] for entry in history.json()]


async def test_a_courier_on_a_phone_marks_a_delivery_delivered_and_the_citizen_sees_it(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    app_id, _ = await site.submit(citizen, BUILDING, courier=True)
    await site.act("housing-clerk", app_id, "accept")
    await site.act("housing-reviewer", app_id, "review", APPROVE)
    await site.act("housing-clerk", app_id, "issue-result", {"documentNo": "建施〔2026〕7号"})

    async def booked() -> dict[str, str] | None:
        await site.settle()
        response = await site.client.get(
            "/api/v1/courier/deliveries", headers=await site.staff("courier-sf")
        )
        return next(
            (d for d in response.json() if d["applicationId"] == app_id and d["waybillNo"]), None
        )

    delivery = await eventually(booked, "the courier booking")
    courier = await pages.login("courier-sf", width=375, height=760)
    await expect(courier).to_have_url(re.compile(r"/console/courier/$"))
    await shot(courier, "courier-list")
    link = courier.locator(f"a[data-delivery='{delivery['id']}']")
    await link.click()
    await expect(courier.locator("section.card")).to_contain_text("13900139000")
    await expect(courier.locator("section.card")).to_contain_text("文三路100号")
    assert await courier.evaluate("document.documentElement.scrollWidth <= 375")
    await shot(courier, "courier-delivery")
    for step, shown in (("已揽收", "已揽收"), ("派送中", "派送中")):
        await courier.locator("button", has_text=step).click()
        await expect(courier.locator(".flash")).to_contain_text(shown)
        await link.click()
    await courier.fill("input[name=signed_by]", "李四")
    await courier.locator("button", has_text="已签收").click()
    await expect(courier.locator(".flash")).to_contain_text("已签收")
    await expect(link).to_have_count(0)  # delivered: no longer open

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "completed"
    assert progress["timeline"][-1]["text"] == "已签收（签收人：李四），办件已办结"


async def test_an_admin_deactivates_an_account_and_its_open_session_ends_on_the_next_click(
    site: Site, pages: Pages
) -> None:
    username = f"temp-clerk-{uuid.uuid4().hex[:6]}"
    admin = await pages.login("admin")
    await admin.goto("/console/admin/staff")
    create = admin.locator("form[action='/console/admin/staff']")
    await create.locator("input[name=username]").fill(username)
    await create.locator("input[name=password]").fill("temp-password-1")
    await create.locator("select[name=role]").select_option("clerk")
    await create.locator("input[name=department]").fill("市生态环境局")
    await create.locator("button").click()
    await expect(admin.locator("#staff .flash")).to_contain_text(username)

    page = await pages.open()
    await page.goto("/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", "temp-password-1")
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/console/worklist$"))

    await admin.reload()
    row = admin.locator(f"tr[data-username='{username}']")
    await expect(row.locator("td").nth(3)).to_have_text("1")  # one open session
    await shot(admin, "admin-staff")
    await row.locator("form[action$='/deactivate'] button").click()
    await expect(admin.locator(f"tr[data-username='{username}']")).to_contain_text("已停用")

    await page.click("a[data-box=all]")
    await expect(page).to_have_url(re.compile(r"/console/login$"))
    await expect(page.locator("h1")).to_have_text("工作人员登录")
