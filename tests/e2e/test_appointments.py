"""Appointments over HTTP: book, cancel, rebook, check in with a queue number; places go down
and up; nobody cancels someone else's booking; a slot is never overbooked by 200 requests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.auth.tokens import Principal
from backend.clock import system_clock
from backend.db.url import with_database
from backend.services import Services
from backend.settings import Settings
from domain.calendar import CST
from tests.conftest import TEMPLATE
from tests.e2e.conftest import citizen_headers, staff_headers, upload

ID_CARD = "GG-00201-000"  # 居民身份证换领 (市公安局), needsAppointment
HALL = "city-center"


class Clock:
    """Real time until a test moves it (tokens are checked against real time: log in first)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return system_clock() + self.offset

    def move_to(self, moment: datetime) -> None:
        self.offset = moment - system_clock()


@pytest.fixture(scope="module")
def module_clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def clock(module_clock: Clock) -> Iterator[Clock]:
    """The app's clock, back to real time after each test."""
    yield module_clock
    module_clock.offset = timedelta()


@pytest.fixture(scope="module")
async def app_client(
    server_url: str,
    template_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    module_clock: Clock,
) -> AsyncIterator[AsyncTestClient[Any]]:
    """One app for the module (starting one costs seconds); each test books its own slot with
    its own citizens, so they do not interfere."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("appointments")),
        database_url=with_database(server_url, name),
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
    )
    app = create_app(settings, demo=True, clock=module_clock)
    async with AsyncTestClient(app=app) as client:
        yield client
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def services_of(client: AsyncTestClient[Any]) -> Services:
    services: Services = client.app.state.services
    return services


def next_working_day(client: AsyncTestClient[Any]) -> date:
    today = system_clock().astimezone(CST).date()
    return services_of(client).calendar.add_working_days(today, 1)


async def get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def slot_remaining(client: httpx.AsyncClient, day: date, slot_id: str, after: int) -> int:
    slots = await get_json(client, f"/api/v1/halls/{HALL}/slots?date={day}&after={after}", {})
    remaining: int = next(s["remaining"] for s in slots if s["slotId"] == slot_id)
    return remaining


async def test_a_citizen_books_cancels_rebooks_and_is_checked_in_with_a_queue_number(
    app_client: AsyncTestClient[Any], clock: Clock
) -> None:
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "li")
    other = await citizen_headers(client, "zhao")
    clerk = await staff_headers(client, "police-clerk")
    outsider = await staff_headers(client, "eco-clerk")  # 生态环境局: no window in the hall
    day = next_working_day(app_client)

    halls = await get_json(client, f"/api/v1/halls?serviceCode={ID_CARD}", {})
    assert {h["id"] for h in halls} == {"city-center", "east-district"}
    food = await get_json(client, "/api/v1/halls?serviceCode=XK-00101-000", {})
    assert [h["id"] for h in food] == ["city-center"]

    slots = await get_json(client, f"/api/v1/halls/{HALL}/slots?date={day}", {})
    assert [s["start"][11:16] for s in slots] == [
        "09:00", "10:00", "11:00", "13:30", "14:30", "15:30", "16:30"
    ]  # fmt: skip
    assert {(s["capacity"], s["remaining"]) for s in slots} == {(10, 10)}
    slot_id = slots[0]["slotId"]
    assert slot_id == f"{HALL}:{day}:0900"

    body = {"slotId": slot_id, "serviceCode": ID_CARD}
    booked = await client.post(
        "/api/v1/appointments", json=body, headers={**citizen, "Idempotency-Key": "b-1"}
    )
    assert booked.status_code == 201, booked.text
    first = booked.json()
    assert first["status"] == "booked"
    assert first["slotId"] == slot_id
    assert datetime.fromisoformat(first["start"]) == datetime.fromisoformat(slots[0]["start"])
    replay = await client.post(
        "/api/v1/appointments", json=body, headers={**citizen, "Idempotency-Key": "b-1"}
    )
    assert (replay.status_code, replay.json()) == (201, first)
    assert await slot_remaining(client, day, slot_id, first["position"]) == 9

    # a second booking the same day, even in another slot, is refused
    afternoon = {"slotId": slots[3]["slotId"], "serviceCode": ID_CARD}
    twice = await client.post("/api/v1/appointments", json=afternoon, headers=citizen)
    assert (twice.status_code, twice.json()["code"]) == (409, "appointment_exists_that_day")

    # nobody else can cancel it, or even see it
    cancel_url = f"/api/v1/appointments/{first['id']}/cancel"
    assert (await client.post(cancel_url, headers=other)).status_code == 404
    assert await get_json(client, "/api/v1/appointments", other) == []

    cancelled = await client.post(cancel_url, headers=citizen)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert await slot_remaining(client, day, slot_id, cancelled.json()["position"]) == 10
    again = await client.post(cancel_url, headers=citizen)
    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")

    rebooked = await client.post("/api/v1/appointments", json=body, headers=citizen)
    assert rebooked.status_code == 201, rebooked.text
    second = rebooked.json()
    assert second["id"] != first["id"]
    assert await slot_remaining(client, day, slot_id, second["position"]) == 9

    mine = await get_json(client, f"/api/v1/appointments?after={second['position']}", citizen)
    assert {(a["id"], a["status"]) for a in mine} == {
        (first["id"], "cancelled"),
        (second["id"], "booked"),
    }
    assert mine[0]["hallName"] == "市政务服务中心"
    assert mine[0]["serviceName"] == "居民身份证换领"

    day_list = f"/api/v1/admin/halls/{HALL}/appointments?date={day}"
    listed = await get_json(client, day_list, clerk)
    ours = {first["id"], second["id"]}
    assert [(a["id"], a["status"]) for a in listed if a["id"] in ours] == [
        (first["id"], "cancelled"),
        (second["id"], "booked"),
    ]
    assert (await client.get(day_list, headers=outsider)).status_code == 404

    check_in = f"/api/v1/admin/appointments/{second['id']}/check-in"
    early = await client.post(check_in, headers=clerk)
    assert (early.status_code, early.json()["code"]) == (409, "not_today")  # not the day yet
    assert (await client.post(check_in, headers=outsider)).status_code == 404

    clock.move_to(datetime.combine(day, datetime.min.time(), CST) + timedelta(hours=8.9))
    checked = await client.post(check_in, headers=clerk)
    assert checked.status_code == 200, checked.text
    assert checked.json()["queueNumber"] == "A001"
    twice_in = await client.post(check_in, headers=clerk)
    assert twice_in.status_code == 409
    # on the day, it is too late to cancel
    late = await client.post(f"/api/v1/appointments/{second['id']}/cancel", headers=citizen)
    assert late.status_code == 409

    mine = await get_json(
        client, f"/api/v1/appointments?after={checked.json()['position']}", citizen
    )
    assert [(a["status"], a["queueNumber"]) for a in mine if a["id"] == second["id"]] == [
        ("checked_in", "A001")
    ]


async def test_a_booking_for_an_application_is_listed_with_it(
    app_client: AsyncTestClient[Any],
) -> None:
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "sun")
    other = await citizen_headers(client, "qian")
    submitted = await client.post(
        "/api/v1/applications",
        json={
            "serviceCode": ID_CARD,
            "situationId": "expired",
            "materials": [
                {"materialId": "id-card", "fileId": await upload(client, citizen)},
                {"materialId": "household-register", "fileId": await upload(client, citizen)},
            ],
            "delivery": {"method": "pickup"},
        },
        headers=citizen,
    )
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["id"]
    day = next_working_day(app_client)
    body = {"slotId": f"{HALL}:{day}:1000", "serviceCode": ID_CARD, "applicationId": application_id}

    # someone else's application cannot be linked
    foreign = await client.post("/api/v1/appointments", json=body, headers=other)
    assert (foreign.status_code, foreign.json()["code"]) == (400, "validation_failed")

    booked = await client.post("/api/v1/appointments", json=body, headers=citizen)
    assert booked.status_code == 201, booked.text
    position = booked.json()["position"]
    linked = await get_json(
        client, f"/api/v1/appointments?applicationId={application_id}&after={position}", citizen
    )
    assert [(a["id"], a["applicationId"]) for a in linked] == [
        (booked.json()["id"], application_id)
    ]
    unrelated = await get_json(
        client, f"/api/v1/appointments?applicationId={uuid.uuid4()}", citizen
    )
    assert unrelated == []


async def test_200_citizens_booking_one_slot_over_http_get_exactly_its_capacity(
    app_client: AsyncTestClient[Any],
) -> None:
    client: httpx.AsyncClient = app_client
    services = services_of(app_client)
    now = system_clock()
    tokens = [
        services.tokens.issue(Principal(id=str(uuid.uuid4()), role="citizen"), now)[0]
        for _ in range(200)
    ]
    day = next_working_day(app_client)
    body = {"slotId": f"{HALL}:{day}:1100", "serviceCode": ID_CARD}

    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/appointments", json=body, headers={"Authorization": f"Bearer {t}"})
            for t in tokens
        )
    )
    elapsed = time.perf_counter() - started
    print(f"\n200 concurrent HTTP bookings of one slot: {elapsed:.2f}s, {200 / elapsed:.0f}/s")
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 10, [r.text for r in responses if r.status_code not in (201, 409)]
    assert codes.count(409) == 190
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_full"}
    position = max(r.json()["position"] for r in responses if r.status_code == 201)
    assert await slot_remaining(client, day, body["slotId"], position) == 0


async def test_a_booking_for_an_application_shows_in_its_progress(
    app_client: AsyncTestClient[Any], clock: Clock
) -> None:
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "zhou-linked")
    clerk = await staff_headers(client, "police-clerk")
    submitted = await client.post(
        "/api/v1/applications",
        json={
            "serviceCode": ID_CARD,
            "situationId": "expired",
            "materials": [
                {"materialId": "id-card", "fileId": await upload(client, citizen)},
                {"materialId": "household-register", "fileId": await upload(client, citizen)},
            ],
            "delivery": {"method": "pickup"},
        },
        headers=citizen,
    )
    assert submitted.status_code == 201, submitted.text
    application = submitted.json()
    day = next_working_day(app_client)
    slots = await get_json(client, f"/api/v1/halls/{HALL}/slots?date={day}", {})
    slot = slots[-1]
    booked = await client.post(
        "/api/v1/appointments",
        json={"slotId": slot["slotId"], "serviceCode": ID_CARD, "applicationId": application["id"]},
        headers=citizen,
    )
    assert booked.status_code == 201, booked.text
    progress = await get_json(
        client,
        f"/api/v1/applications/{application['id']}?after={booked.json()['position']}",
        citizen,
    )
    assert progress["appointment"]["status"] == "booked"
    assert progress["appointment"]["hallName"] == "市政务服务中心"
    start = datetime.fromisoformat(slot["start"])
    # the day as people write it (no zero padding), the time, then the place
    assert progress["timeline"][-1]["text"] == (
        f"已预约{start.month}月{start.day}日 {start:%H:%M}在市政务服务中心办理"
    )

    clock.move_to(datetime.fromisoformat(slot["start"]) - timedelta(minutes=10))
    checked = await client.post(
        f"/api/v1/admin/appointments/{booked.json()['id']}/check-in", headers=clerk
    )
    assert checked.status_code == 200, checked.text
    clock.offset = timedelta()
    mine = await get_json(client, "/api/v1/appointments", citizen)
    position = max(a.get("position", 0) for a in mine) if mine else 0
    progress = await get_json(
        client, f"/api/v1/applications/{application['id']}?after={position}", citizen
    )
    for _ in range(50):  # the check-in reaches the read model through the worker
        if progress["appointment"]["status"] == "checked_in":
            break
        await asyncio.sleep(0.05)
        progress = await get_json(client, f"/api/v1/applications/{application['id']}", citizen)
    assert progress["appointment"]["queueNumber"] == checked.json()["queueNumber"]


async def test_slots_say_whether_this_citizen_may_book_them_and_why_not(
    app_client: AsyncTestClient[Any],
) -> None:
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "bookable-slots")
    calendar = services_of(app_client).calendar
    today = system_clock().astimezone(CST).date()
    day = calendar.add_working_days(today, 2)

    def url(on: date) -> str:
        return f"/api/v1/halls/{HALL}/slots?date={on}"

    anyone = await get_json(client, url(day), {})
    assert all(s["bookable"] and s["reason"] is None for s in anyone)
    assert all(s["id"] == s["slotId"] for s in anyone)
    too_far = await get_json(client, url(calendar.add_working_days(today, 6)), {})
    assert {(s["bookable"], s["reason"]) for s in too_far} == {(False, "outside_booking_window")}
    assert too_far[0]["reasonText"] == "请预约1至5个工作日后的时段"

    body = {"slotId": anyone[0]["slotId"], "serviceCode": ID_CARD}
    booked = await client.post("/api/v1/appointments", json=body, headers=citizen)
    assert booked.status_code == 201, booked.text
    after = booked.json()["position"]
    mine = await get_json(client, f"{url(day)}&after={after}", citizen)
    assert {(s["bookable"], s["reason"]) for s in mine} == {
        (False, "appointment_exists_that_day")
    }  # one a day: every slot of that day, the booked one too
    assert all(s["bookable"] for s in await get_json(client, f"{url(day)}&after={after}", {}))
    refused = await client.post(
        "/api/v1/appointments", json={**body, "slotId": mine[1]["slotId"]}, headers=citizen
    )
    assert refused.json()["code"] == mine[1]["reason"]  # the same rule, said before and after

    bad_token = await client.get(url(day), headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


async def test_open_dates_list_the_booking_window_with_the_places_the_slots_show(
    app_client: AsyncTestClient[Any],
) -> None:
    """A hall's open dates are the working days a booking may fall on now, each with the
    slots and places the day's slot list shows; a booking takes one place off its day."""
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "open-dates")
    calendar = services_of(app_client).calendar
    today = system_clock().astimezone(CST).date()

    dates = await get_json(client, f"/api/v1/halls/{HALL}/open-dates", {})
    expected = [calendar.add_working_days(today, n).isoformat() for n in range(1, 6)]
    assert [d["date"] for d in dates] == expected  # the window: 1 to 5 working days ahead
    for d in dates:
        slots = await get_json(client, f"/api/v1/halls/{HALL}/slots?date={d['date']}", {})
        assert d["slots"] == len(slots) > 0
        assert d["remaining"] == sum(s["remaining"] for s in slots)
        assert d["openSlots"] == sum(1 for s in slots if s["remaining"])
        assert d["bookable"]

    first = dates[0]
    slot = (await get_json(client, f"/api/v1/halls/{HALL}/slots?date={first['date']}", {}))[0]
    booked = await client.post(
        "/api/v1/appointments",
        json={"slotId": slot["slotId"], "serviceCode": ID_CARD},
        headers=citizen,
    )
    assert booked.status_code == 201, booked.text
    after = booked.json()["position"]
    again = await get_json(client, f"/api/v1/halls/{HALL}/open-dates?after={after}", {})
    assert again[0]["remaining"] == first["remaining"] - 1
    assert [d["remaining"] for d in again[1:]] == [d["remaining"] for d in dates[1:]]

    missing = await client.get("/api/v1/halls/no-such-hall/open-dates")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_my_appointments_page_latest_first_and_filter_by_status(
    app_client: AsyncTestClient[Any],
) -> None:
    client: httpx.AsyncClient = app_client
    citizen = await citizen_headers(client, "paged")
    day = next_working_day(app_client)
    morning = {"slotId": f"{HALL}:{day}:0900", "serviceCode": ID_CARD}
    first = (await client.post("/api/v1/appointments", json=morning, headers=citizen)).json()
    cancelled = await client.post(f"/api/v1/appointments/{first['id']}/cancel", headers=citizen)
    assert cancelled.status_code == 200, cancelled.text
    afternoon = {"slotId": f"{HALL}:{day}:1430", "serviceCode": ID_CARD}
    booked = await client.post("/api/v1/appointments", json=afternoon, headers=citizen)
    assert booked.status_code == 201, booked.text
    after = booked.json()["position"]

    page = await client.get(f"/api/v1/appointments?limit=1&after={after}", headers=citizen)
    assert [a["id"] for a in page.json()] == [booked.json()["id"]]  # the later start first
    cursor = page.headers["onewindow-next-cursor"]
    rest = await client.get(f"/api/v1/appointments?limit=1&cursor={cursor}", headers=citizen)
    assert [a["id"] for a in rest.json()] == [first["id"]]
    assert "onewindow-next-cursor" not in rest.headers

    only = await get_json(client, "/api/v1/appointments?status=cancelled", citizen)
    assert [(a["id"], a["status"]) for a in only] == [(first["id"], "cancelled")]
