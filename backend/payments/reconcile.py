"""The payment reconciler, a periodic job of the worker: closes expired orders at WeChat and asks
WeChat about orders and refunds whose notification has not come (a lost one is recovered)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from backend.payments.orders import close_order, query_order
from backend.payments.refunds import settle_refund
from integrations.wechat.errors import WeChatError, WeChatUnavailable

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["reconcile_payments"]

_log = logging.getLogger(__name__)
_BATCH = 500  # orders per run; the oldest first, the rest next run


async def reconcile_payments(services: Services) -> int:
    """One pass; how many orders changed. An order WeChat cannot answer for now is left for
    the next pass."""
    payments = services.payments
    if payments is None:
        return 0
    now = services.clock()
    quiet = timedelta(seconds=payments.settings.reconcile_after_seconds)
    rows = await services.pool.fetch(
        "SELECT out_trade_no, state, created_at, expires_at, updated_at FROM payment_orders"
        " WHERE state IN ('created', 'refunding') ORDER BY created_at LIMIT $1",
        _BATCH,
    )
    changed = 0
    for row in rows:
        number: str = row["out_trade_no"]
        try:
            if row["state"] == "created" and now >= row["expires_at"]:
                changed += await close_order(services, number, "订单超时未支付，已关闭")
            elif row["state"] == "created" and now - row["created_at"] >= quiet:
                changed += await query_order(services, number)
            elif row["state"] == "refunding" and now - row["updated_at"] >= quiet:
                changed += await settle_refund(services, number)
        except (WeChatError, WeChatUnavailable) as exc:
            _log.warning("payment order %s left for the next pass: %s", number, exc)
    return changed
