"""The API as a client drives it, over real HTTP: citizens log in, upload and apply, staff act,
fees are paid through the fake WeChat Pay, appointments booked, couriers report. Used by the
soak and by the tests that build data through the API (backup and restore).

Every call is timed per kind (``on_call``) and checked: an unexpected status raises
``Unexpected`` with the kind, the status and the body, so a driver counts it instead of hiding it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

__all__ = [
    "ADDRESS",
    "DEMO_PASSWORD",
    "FOOD",
    "ID_CARD",
    "PNG",
    "UNEMPLOYMENT",
    "Api",
    "Unexpected",
    "png",
]

DEMO_PASSWORD = "onewindow-demo"  # noqa: S105 - the demo staff's published password
FOOD = "XK-00101-000"  # 食品经营许可: AMR -> (health || fire) -> AMR; pickup or courier
ID_CARD = "GG-00201-000"  # 居民身份证换领: police, one stage; fee 2000 fen; halls
UNEMPLOYMENT = "GF-00301-000"  # 失业保险金申领: hrss, one stage, pickup
ADDRESS = {
    "name": "张三",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路100号",
}
Headers = dict[str, str]
_names = itertools.count(1)


def png(number: int = 0) -> bytes:
    """A small, valid PNG (uploads are decoded before they are stored), a different one for
    each ``number`` below 2**24 (the store keeps one copy of identical content)."""
    out = io.BytesIO()
    colour = ((number >> 16) & 255, (number >> 8) & 255, number & 255)
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


PNG = png()
_scans = itertools.count(1)


class Unexpected(Exception):
    """An answer the journey did not expect."""

    def __init__(self, kind: str, status: int, body: str) -> None:
        super().__init__(f"{kind}: HTTP {status} {body[:300]}")
        self.kind, self.status, self.body = kind, status, body


class Api:
    """One client of the API. ``on_call(kind, seconds, response)`` sees every request."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        on_call: Callable[[str, float, httpx.Response], None] | None = None,
        prefix: str = "j",
    ) -> None:
        self.http = http
        self.on_call = on_call
        self.prefix = prefix
        self._staff: dict[str, Headers] = {}

    async def call(
        self, kind: str, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kw: Any
    ) -> Any:
        """One request; its JSON body (or None), ``Unexpected`` for another status."""
        started = time.perf_counter()
        response = await self.http.request(method, path, **kw)
        if self.on_call is not None:
            self.on_call(kind, time.perf_counter() - started, response)
        if response.status_code not in ok:
            raise Unexpected(kind, response.status_code, response.text)
        return response.json() if response.content else None

    # --- who --------------------------------------------------------------------------------

    async def citizen(self, name: str | None = None) -> Headers:
        code = f"sandbox-{name or f'{self.prefix}{next(_names)}'}"
        body = await self.call("login", "POST", "/api/v1/auth/wechat-login", json={"code": code})
        return {"Authorization": f"Bearer {body['token']}"}

    async def staff(self, username: str, *, fresh: bool = False) -> Headers:
        if fresh or username not in self._staff:
            login = {"username": username, "password": DEMO_PASSWORD}
            body = await self.call("staff-login", "POST", "/api/v1/auth/staff-login", json=login)
            self._staff[username] = {"Authorization": f"Bearer {body['token']}"}
        return self._staff[username]

    # --- citizens ---------------------------------------------------------------------------

    async def upload(self, headers: Headers, data: bytes | None = None) -> str:
        """Upload ``data``, or a scan of its own."""
        scan = data if data is not None else png(next(_scans) % (1 << 24))
        files = {"file": ("scan.png", scan, "image/png")}
        body = await self.call(
            "upload", "POST", "/api/v1/files", ok=(201,), files=files, headers=headers
        )
        file_id: str = body["fileId"]
        return file_id

    async def submit(self, citizen: Headers, application: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = await self.call(
            "submit", "POST", "/api/v1/applications", ok=(201,), json=application, headers=citizen
        )
        return body

    async def submit_unemployment(self, citizen: Headers, form: dict[str, str]) -> dict[str, Any]:
        """失业保险金申领 with a scan of each material (pickup)."""
        proof = await self.upload(citizen)
        id_card, ss_card = await self.upload(citizen), await self.upload(citizen)
        return await self.submit(
            citizen,
            {
                "serviceCode": UNEMPLOYMENT,
                "situationId": "self",
                "form": form,
                "materials": [
                    {"materialId": "id-card", "fileId": id_card},
                    {"materialId": "social-security-card", "fileId": ss_card},
                    {"materialId": "termination-proof", "fileId": proof},
                ],
                "delivery": {"method": "pickup"},
            },
        )

    async def submit_food(self, citizen: Headers, *, courier: bool) -> dict[str, Any]:
        """食品经营许可 with a file for each required material, by courier or for pickup."""
        guide = await self.call("guide", "GET", f"/api/v1/services/{FOOD}")
        situation = next(s for s in guide["situations"] if s["id"] == "new")
        required = [
            m["id"] for m in situation["materials"] if m["required"] and not m["deferrable"]
        ]
        materials = [{"materialId": m, "fileId": await self.upload(citizen)} for m in required]
        delivery: dict[str, Any] = (
            {"method": "courier", "address": ADDRESS} if courier else {"method": "pickup"}
        )
        return await self.submit(
            citizen,
            {
                "serviceCode": FOOD,
                "situationId": "new",
                "form": {"shopName": "老王面馆", "phone": "13800138000"},
                "materials": materials,
                "delivery": delivery,
            },
        )

    async def submit_id_card(self, citizen: Headers) -> dict[str, Any]:
        """居民身份证换领 with two scans (a fee of 20 yuan once approved)."""
        materials = [
            {"materialId": m, "fileId": await self.upload(citizen)}
            for m in ("id-card", "household-register")
        ]
        return await self.submit(
            citizen,
            {
                "serviceCode": ID_CARD,
                "situationId": "expired",
                "form": {},
                "materials": materials,
                "delivery": {"method": "pickup"},
            },
        )

    async def progress(self, citizen: Headers, app_id: str, after: int = 0) -> dict[str, Any]:
        path = f"/api/v1/applications/{app_id}" + (f"?after={after}" if after else "")
        body: dict[str, Any] = await self.call("progress", "GET", path, headers=citizen)
        return body

    async def pay(self, citizen: Headers, app_id: str) -> dict[str, Any]:
        """Order the fee and pay it at the fake WeChat Pay, which notifies the app."""
        order = await self.call(
            "pay", "POST", f"/api/v1/applications/{app_id}/payment", ok=(201,), headers=citizen
        )
        paid: dict[str, Any] = await self.call(
            "pay", "POST", f"/api/v1/sandbox/pay/{order['outTradeNo']}", headers=citizen
        )
        return paid

    async def book(self, citizen: Headers, hall: str, today: date) -> dict[str, Any] | None:
        """The first free place at ``hall`` in the coming days (None: all full)."""
        for ahead in range(1, 15):
            day = today + timedelta(days=ahead)
            slots = await self.call("book", "GET", f"/api/v1/halls/{hall}/slots?date={day}")
            free = [s for s in slots if s["remaining"] > 0]
            if not free:
                continue
            body = {"slotId": free[0]["slotId"], "serviceCode": ID_CARD}
            booked: dict[str, Any] = await self.call(
                "book", "POST", "/api/v1/appointments", ok=(201,), json=body, headers=citizen
            )
            return booked
        return None

    # --- staff ------------------------------------------------------------------------------

    async def act(
        self, username: str, app_id: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "staff",
            "POST",
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers=await self.staff(username),
        )
        return result

    async def approve_food(self, app_id: str) -> dict[str, Any]:
        """Accept, review in every department and issue the result of a 食品经营许可."""
        await self.act("amr-clerk", app_id, "accept")
        approve = {"decision": "approve", "opinion": "同意"}
        await self.act("amr-reviewer", app_id, "review", approve)
        await asyncio.gather(
            self.act("health-reviewer", app_id, "review", approve),
            self.act("fire-reviewer", app_id, "review", approve),
        )
        await self.act("amr-reviewer", app_id, "review", approve)
        return await self.act("amr-clerk", app_id, "issue-result", {"documentNo": "JY1"})

    async def courier_tasks(self) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = await self.call(
            "courier", "GET", "/api/v1/courier/deliveries", headers=await self.staff("courier-sf")
        )
        return tasks

    async def courier_report(self, delivery_id: str, kind: str, **fields: Any) -> dict[str, Any]:
        body = {"type": kind, "at": datetime.now(UTC).isoformat(), **fields}
        result: dict[str, Any] = await self.call(
            "courier",
            "POST",
            f"/api/v1/courier/deliveries/{delivery_id}/events",
            json=body,
            headers=await self.staff("courier-sf"),
        )
        return result
