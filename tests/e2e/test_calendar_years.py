"""A year without an official holiday schedule over HTTP: degraded (never unready) in ``/ready``, a
gauge in ``/metrics``, a Chinese warning for admins; loading the year's schedule (admins only, its
rules checked) clears all three and reaches another API process without a restart.

Today is 2026-12-01 (the apps' clock): deadlines may reach 2027, which chinese-calendar 1.11.0
lacks. The 2027 file has invented dates (tests/fixtures/README.md).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from domain.calendar import CST
from tests.e2e.conftest import SECRET, staff_headers

TEST_ONLY_2027 = Path(__file__).parents[1] / "fixtures" / "calendar-2027-TEST-ONLY-invented.json"
YEARS = "/api/v1/admin/calendar/years"
STATUS = "/api/v1/admin/calendar/status"
SLOTS = "/api/v1/halls/city-center/slots"


def today() -> datetime:
    return datetime(2026, 12, 1, 10, tzinfo=CST)


def schedule_2027() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEST_ONLY_2027.read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API (with its workers) on 2026-12-01."""
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    async with AsyncTestClient(app=create_app(settings, demo=True, clock=today)) as client:
        yield client


async def missing_gauge(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    line = next(x for x in text.splitlines() if x.startswith("onewindow_calendar_missing_years "))
    return float(line.split()[1])


async def test_ready_stays_200_and_reports_the_calendar_degraded_while_2027_has_no_schedule(
    api: httpx.AsyncClient,
) -> None:
    ready = await api.get("/ready")

    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    calendar = body["calendar"]
    assert calendar["status"] == "degraded"
    assert calendar["missingYears"] == [2027]
    assert "2027" in calendar["detail"]
    assert "Monday to Friday" in calendar["detail"]


async def test_metrics_count_the_years_deadlines_may_reach_without_a_schedule(
    api: httpx.AsyncClient,
) -> None:
    assert await missing_gauge(api) == 1

    admin = await staff_headers(api, "admin")
    assert (await api.post(YEARS, json=schedule_2027(), headers=admin)).status_code == 200

    assert await missing_gauge(api) == 0


async def test_loading_2027_makes_it_official_clears_the_warning_and_moves_its_working_days(
    api: httpx.AsyncClient,
) -> None:
    clerk = await staff_headers(api, "amr-clerk")
    admin = await staff_headers(api, "admin")
    before = (await api.get(STATUS, headers=clerk)).json()
    assert before["status"] == "degraded"
    assert before["missingYears"] == [2027]
    assert "2027年的国务院节假日安排尚未录入" in before["warning"]
    assert before["package"] == "chinese-calendar 1.11.0"
    assert 2027 not in before["years"]
    # Monday 2027-01-04 has no data: the hall opens as on any Monday
    assert await slots_on(api, "2027-01-04")

    refused = await api.post(YEARS, json=schedule_2027(), headers=clerk)
    assert refused.status_code == 403
    loaded = await api.post(YEARS, json=schedule_2027(), headers=admin)

    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["year"] == 2027
    assert loaded.json()["days"] == 7
    after = (await api.get(STATUS, headers=clerk)).json()
    assert after["status"] == "ok"
    assert after["missingYears"] == []
    assert after["warning"] is None
    assert 2027 in after["years"]
    assert [(y["year"], y["loadedBy"]) for y in after["loadedYears"]] == [(2027, "admin")]
    assert after["loadedYears"][0]["source"].startswith("TEST ONLY")
    ready = (await api.get("/ready")).json()
    assert ready["calendar"] == {"status": "ok", "missingYears": [], "detail": None}
    assert await slots_on(api, "2027-01-04") == []  # a holiday of the (test) schedule
    assert await slots_on(api, "2027-01-09")  # its make-up Saturday


async def test_a_schedule_breaking_a_rule_is_a_400_validation_failed_and_loads_nothing(
    api: httpx.AsyncClient,
) -> None:
    admin = await staff_headers(api, "admin")
    broken = schedule_2027()
    broken["workdays"][0]["day"] = "2027-01-08"  # a Friday
    broken["holidays"][1]["days"].append("2028-03-17")

    refused = await api.post(YEARS, json=broken, headers=admin)

    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "validation_failed"
    assert "Friday" in problem["errors"]["workdays[0].day"]
    assert "2028-03-17 is not in 2027" in problem["errors"]["holidays[1].days[4]"]

    malformed = schedule_2027()
    malformed["holidays"][0]["days"][0] = "4 Jan 2027"
    refused = await api.post(YEARS, json=malformed, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_failed"
    unsourced = {k: v for k, v in schedule_2027().items() if k != "source"}
    refused = await api.post(YEARS, json=unsourced, headers=admin)
    assert refused.status_code == 400
    assert "source" in refused.text

    status = (await api.get(STATUS, headers=admin)).json()
    assert status["missingYears"] == [2027]
    assert await slots_on(api, "2027-01-04")


async def test_a_year_loaded_through_one_api_process_is_used_by_another_without_restart(
    api: httpx.AsyncClient, db_url: str, tmp_path: Path
) -> None:
    # a second API-only process (no watcher to refresh it) on the same database
    settings = Settings(
        data_dir=tmp_path / "b", database_url=db_url, secret_key=SECRET, run_workers=False
    )
    async with AsyncTestClient(app=create_app(settings, clock=today)) as other:
        assert await slots_on(api, "2027-01-04")  # the first process's workers built the view
        assert await slots_on(other, "2027-01-04")
        assert (await other.get("/ready")).json()["calendar"]["missingYears"] == [2027]

        admin = await staff_headers(api, "admin")
        assert (await api.post(YEARS, json=schedule_2027(), headers=admin)).status_code == 200

        started = time.monotonic()
        while await slots_on(other, "2027-01-04"):
            assert time.monotonic() - started < 3, "the other process kept the old calendar"
            await asyncio.sleep(0.1)
        assert (await other.get("/ready")).json()["calendar"]["status"] == "ok"


async def slots_on(client: httpx.AsyncClient, day: str) -> list[Any]:
    """The hall's slots of ``day``, once the hall view has the demo halls."""
    for _ in range(100):
        response = await client.get(SLOTS, params={"date": day})
        if response.status_code != 404:
            assert response.status_code == 200, response.text
            slots: list[Any] = response.json()
            return slots
        await asyncio.sleep(0.05)
    raise AssertionError("the hall view never got the demo halls")
