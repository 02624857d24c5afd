"""Every console page in Chromium for the role it is for: it renders in Chinese, breaks no CSP
rule, and (``make screenshots``) is photographed for docs/console/."""

from __future__ import annotations

from datetime import date, datetime, time

from playwright.async_api import expect

from domain.calendar import CST
from tests.browser.conftest import Pages, Site, shot

FOOD = "XK-00101-000"
ID_CARD = "GG-00201-000"  # police, at the city-center hall


async def test_personal_data_is_shown_after_a_reason_and_the_view_is_listed_for_supervisors(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    app_id, _ = await site.submit(citizen, FOOD, courier=True)
    clerk = await pages.login("amr-clerk")
    await clerk.goto(f"/console/cases/{app_id}")
    await expect(clerk.locator("#personal")).not_to_contain_text("330106199001011234")
    await clerk.fill("#personal input[name=reason]", "核对申请人身份信息")
    await clerk.locator("#personal button").click()
    await expect(clerk.locator("#personal")).to_contain_text("330106199001011234")
    await expect(clerk.locator("#personal")).to_contain_text("13900139000")
    await shot(clerk, "case-personal-data")

    # a department sees the case once its step is reached; its clerks still not the data
    await site.act("amr-clerk", app_id, "accept")
    await site.act("amr-reviewer", app_id, "review", {"decision": "approve"})
    await site.settle()
    fire = await pages.login("fire-clerk")  # a step in the case, but not its lead window
    await fire.goto(f"/console/cases/{app_id}")
    await expect(fire.locator("#personal")).to_have_count(0)
    await expect(fire.locator("main")).to_contain_text("无权查看本件申请人的个人信息")

    supervisor = await pages.login("supervisor")
    await supervisor.goto(f"/console/cases/{app_id}")
    await expect(supervisor.locator("main")).to_contain_text(
        "amr-clerk（窗口受理·市市场监督管理局）"
    )
    await expect(supervisor.locator("main")).to_contain_text("核对申请人身份信息")
    await shot(supervisor, "case-supervisor")


async def test_the_appointment_desk_checks_a_booked_citizen_in_with_a_queue_number(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    today = site.clock().astimezone(CST).date()
    day = site.services.calendar.add_working_days(today, 1)
    slots = (await site.client.get(f"/api/v1/halls/city-center/slots?date={day}")).json()
    booked = await site.client.post(
        "/api/v1/appointments",
        json={"slotId": slots[0]["slotId"], "serviceCode": ID_CARD},
        headers=citizen,
    )
    assert booked.status_code == 201, booked.text
    site.clock.now = datetime.combine(day, time(9, 5), CST)  # the morning of the visit
    try:
        await site.settle()
        clerk = await pages.login("police-clerk")
        await clerk.goto("/console/desk?hall=city-center")
        row = clerk.locator(f"tr[data-appointment='{booked.json()['id']}']")
        await expect(row).to_contain_text("待签到")
        await row.locator("button").click()
        await expect(clerk.locator("#desk .flash")).to_contain_text("排队号 A")
        await expect(
            clerk.locator(f"tr[data-appointment='{booked.json()['id']}']")
        ).to_contain_text("已签到")
        await shot(clerk, "appointment-desk")
    finally:
        site.clock.now = None


async def test_each_page_renders_for_its_role_and_other_roles_are_refused(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    await site.submit(citizen, FOOD)
    await site.settle()

    supervisor = await pages.login("supervisor")
    await expect(supervisor.locator("a[data-box=all]")).to_be_visible()
    await shot(supervisor, "worklist-supervisor")
    await supervisor.goto(f"/console/dashboard?start={date(2020, 1, 1)}")
    await expect(supervisor.locator("figure.chart svg")).to_have_count(4)
    await expect(supervisor.locator("table.stats")).to_contain_text("食品经营许可")
    await shot(supervisor, "dashboard")

    admin = await pages.login("admin")
    for path, heading, name in (
        ("/console/admin/calendar", "工作日历", "admin-calendar"),
        ("/console/admin/catalog?code=XK-00101-000", "事项目录", "admin-catalog"),
        ("/console/admin/halls", "大厅与时段", "admin-halls"),
        ("/console/admin/templates", "通知模板", "admin-templates"),
    ):
        await admin.goto(path)
        await expect(admin.locator(".subnav a.on")).to_have_text(heading)
        if name == "admin-catalog":
            await expect(admin.locator("main")).to_contain_text("第1版")
        await shot(admin, name)

    reviewer = await pages.login("health-reviewer")
    for path in ("/console/admin/staff", "/console/courier/", "/console/desk"):
        response = await reviewer.goto(path)
        assert response is not None
        assert response.status == 403, path
        await expect(reviewer.locator(".problem")).to_contain_text("无权操作")

    courier = await pages.login("courier-sf", width=375, height=760)
    response = await courier.goto("/console/worklist")
    assert response is not None
    assert response.status == 403

    login = await pages.open()
    await login.goto("/console/login")
    await login.fill("input[name=username]", "amr-clerk")
    await login.fill("input[name=password]", "wrong-password")
    await login.click("button[type=submit]")
    await expect(login.locator("#login-error")).to_have_text("用户名或密码错误")
    await shot(login, "login")


async def test_a_clerk_answers_a_consultation_with_a_template_in_the_browser(
    site: Site, pages: Pages
) -> None:
    citizen = await site.citizen()
    asked = await site.client.post(
        "/api/v1/consultations",
        json={"serviceCode": FOOD, "question": "开面馆要办食品经营许可证吗？大概多久能办好？"},
        headers=citizen,
    )
    assert asked.status_code == 201, asked.text
    await site.settle()
    clerk = await pages.login("amr-clerk")
    await clerk.goto("/console/consultations")
    await expect(clerk.locator("table.consultations")).to_contain_text("开面馆要办食品经营许可证吗")
    await shot(clerk, "consultations")
    await clerk.locator(f'a[href="/console/consultations/{asked.json()["id"]}"]').first.click()
    await clerk.locator("a[data-template]").first.click()  # an FAQ of the item as the draft
    await expect(clerk.locator("textarea[name=text]")).not_to_have_value("")
    await clerk.fill("input[name=basis_name]", "食品经营许可和备案管理办法")
    await clerk.get_by_role("button", name="发送答复").click()
    await expect(clerk.locator(".flash")).to_contain_text("答复已发送给群众")
    await expect(clerk.locator(".message.staff")).to_contain_text(
        "依据：食品经营许可和备案管理办法"
    )
    await shot(clerk, "consultation")
