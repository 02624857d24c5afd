"""Life events as published, and citizens' bundles (一件事) with their own timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.life_events import Bundle, LifeEvent

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["BundleProjection"]


def _entry(event: Any, kind: str, text: str) -> list[dict[str, str]]:
    return [{"at": event.timestamp.isoformat(), "type": kind, "text": text}]


class BundleProjection:
    """Keeps ``life_event_view`` and ``bundle_view``."""

    name: str = "bundles"
    tables: tuple[str, ...] = ("life_event_view", "bundle_view")

    async def process(
        self, conn: asyncpg.Connection | PoolConnectionProxy, event: Event, position: int
    ) -> None:
        if isinstance(event, LifeEvent.Published | LifeEvent.Revised):
            definition: dict[str, Any] = event.definition
            await conn.execute(
                "INSERT INTO life_event_view (code, version, name, definition, updated_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET"
                " version = excluded.version, name = excluded.name,"
                " definition = excluded.definition, updated_at = excluded.updated_at",
                definition["code"],
                event.originator_version,
                definition["name"],
                definition,
                event.timestamp,
            )
        elif isinstance(event, Bundle.Submitted):
            names = "、".join(i["serviceName"] for i in event.items)
            await conn.execute(
                "INSERT INTO bundle_view (id, number, citizen_id, life_event_code,"
                " life_event_name, submitted_at, updated_at, items, timeline, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                event.originator_id,
                event.number,
                event.citizen_id,
                event.life_event_code,
                event.life_event_name,
                event.timestamp,
                event.items,
                _entry(event, "BundleSubmitted", f"已提交“{event.life_event_name}”：{names}"),
                event.originator_version,
            )
        elif isinstance(event, Bundle.ItemReleased):
            await self._update(
                conn,
                event,
                "timeline = timeline || $4",
                _entry(
                    event,
                    "BundleItemReleased",
                    f"前序事项已办结，已自动提交“{await self._name(conn, event)}”",
                ),
            )
        elif isinstance(event, Bundle.ItemReleaseFailed):
            await self._update(
                conn,
                event,
                "failed = failed || jsonb_build_object($5::text, $6::text),"
                " timeline = timeline || $4",
                _entry(
                    event,
                    "BundleItemReleaseFailed",
                    f"“{await self._name(conn, event)}”自动提交未成功：{event.reason}",
                ),
                event.service_code,
                event.reason,
            )

    async def _name(self, conn: asyncpg.Connection | PoolConnectionProxy, event: Any) -> str:
        items = await conn.fetchval(
            "SELECT items FROM bundle_view WHERE id = $1", event.originator_id
        )
        found = [i["serviceName"] for i in items or () if i["serviceCode"] == event.service_code]
        return found[0] if found else str(event.service_code)

    async def _update(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Any,
        assignments: str,
        *args: Any,
    ) -> None:
        await conn.execute(
            f"UPDATE bundle_view SET {assignments}, updated_at = $2, version = $3"  # noqa: S608 - constants
            " WHERE id = $1",
            event.originator_id,
            event.timestamp,
            event.originator_version,
            *args,
        )
