"""What a citizen accepted in ``wx.requestSubscribeMessage``: one message per accept of a
one-time template; long-term (政务民生) templates need no quota."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.notifications.dto import SubscriptionQuota
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    import asyncpg

    from projections.notification_templates import Templates

__all__ = ["MAX_ACCEPTED", "quotas", "record_accepted"]

MAX_ACCEPTED = 20  # wx.requestSubscribeMessage asks for at most 3 at a time


async def record_accepted(
    pool: asyncpg.Pool, templates: Templates, citizen_id: UUID, accepted: list[str]
) -> list[SubscriptionQuota]:
    """Add one unit of quota per accepted one-time template; unknown ids are a 400."""
    if len(accepted) > MAX_ACCEPTED:
        raise ValidationFailed("模板过多", {"accepted": f"最多{MAX_ACCEPTED}个"})
    errors = {
        f"accepted[{i}]": "未知的模板编号"
        for i, template_id in enumerate(accepted)
        if templates.template(template_id) is None
    }
    if errors:
        raise ValidationFailed("有未知的消息模板", errors)
    # one wx.requestSubscribeMessage call grants at most one message per template
    one_time = sorted({t for t in accepted if not _long_term(templates, t)})
    if one_time:
        await pool.execute(
            "INSERT INTO notification_quota (citizen_id, template_id, remaining)"
            " SELECT $1, t, 1 FROM unnest($2::text[]) AS t"
            " ON CONFLICT (citizen_id, template_id) DO UPDATE"
            " SET remaining = notification_quota.remaining + 1, updated_at = now()",
            citizen_id,
            one_time,
        )
    return await quotas(pool, templates, citizen_id)


async def quotas(
    pool: asyncpg.Pool, templates: Templates, citizen_id: UUID
) -> list[SubscriptionQuota]:
    """Each template with what is left (``None``: long-term, no quota needed)."""
    rows = await pool.fetch(
        "SELECT template_id, remaining FROM notification_quota WHERE citizen_id = $1", citizen_id
    )
    remaining = {r["template_id"]: r["remaining"] for r in rows}
    answer = []
    for template_id in templates.template_ids:
        spec = templates.template(template_id)
        assert spec is not None
        answer.append(
            SubscriptionQuota(
                template_id=template_id,
                title=spec.title,
                long_term=spec.long_term,
                remaining=None if spec.long_term else remaining.get(template_id, 0),
            )
        )
    return answer


def _long_term(templates: Templates, template_id: str) -> bool:
    spec = templates.template(template_id)
    return spec is not None and spec.long_term
