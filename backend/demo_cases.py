"""A few applications for ``serve --demo`` (sandbox only), so that a newcomer who signs in to
the console finds work waiting: two fresh submissions for the window and one case accepted two
weeks ago and never touched since, for the supervisors' stuck-case desk.

They are made by the real commands (WeChat login of a sandbox citizen, uploads, submission,
acceptance), the old one with the clock set back; created once per database.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.accounts.commands import login_citizen
from backend.applications.commands import submit
from backend.applications.dto import SubmitApplication
from backend.auth.tokens import Principal
from backend.back_office.commands import accept
from backend.catalog.queries import get_service
from backend.files.commands import upload

if TYPE_CHECKING:
    from backend.clock import Clock
    from backend.services import Services

__all__ = ["load_demo_cases"]

_CITIZEN = "sandbox-demo-zhang"
_LOCK = 7_305_2026  # advisory lock: several ``serve --workers N --demo`` processes start at once
_ADDRESS = {"name": "张三", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
            "district": "西湖区", "detail": "文三路100号"}  # fmt: skip
# (service, delivery, accepted how many days ago, or None: just submitted)
_CASES = (("XK-00101-000", "pickup", None), ("XK-00401-000", "courier", None),
          ("QT-00801-000", "pickup", 14))  # fmt: skip


def _scan() -> bytes:
    """A small grey PNG standing in for a scanned document."""
    width, height = 120, 80
    rows = b"".join(b"\x00" + bytes((220, 224, 230)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


async def _case(services: Services, citizen: Principal, code: str, method: str) -> UUID:
    guide = await get_service(services.pool, code)
    situation = guide.situations[0]
    materials: list[dict[str, Any]] = []
    for material in situation.materials:
        if material.required:
            stored = await upload(services, UUID(citizen.id), _scan())
            materials.append({"materialId": material.id, "fileId": stored.file_id})
    body: dict[str, Any] = {
        "serviceCode": code,
        "situationId": situation.id,
        "form": {},
        "materials": materials,
        "delivery": {"method": method, **({"address": _ADDRESS} if method == "courier" else {})},
    }
    answer = await submit(services, citizen, msgspec.convert(body, SubmitApplication))
    return UUID(msgspec.to_builtins(answer.body)["id"])


def _fixed(moment: datetime) -> Clock:
    def clock() -> datetime:
        return moment

    return clock


async def load_demo_cases(services: Services) -> int:
    """Create the demo applications unless this database has them; how many were made."""
    async with services.pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK)
        try:
            if await conn.fetchval("SELECT true FROM citizens WHERE openid = $1", _CITIZEN):
                return 0
            citizen = await login_citizen(services, _CITIZEN)
            person = Principal(id=citizen.citizen_id, role="citizen")
            clerk = Principal(id="demo", role="clerk", name="demo")
            for code, method, days_ago in _CASES:
                at = services.clock() - timedelta(days=days_ago or 0)
                then = dataclasses.replace(services, clock=_fixed(at))
                application_id = await _case(then, person, code, method)
                if days_ago is not None:
                    lead = (await get_service(services.pool, code)).department
                    staff = msgspec.structs.replace(clerk, department=lead)
                    await accept(then, staff, application_id)
            return len(_CASES)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)
