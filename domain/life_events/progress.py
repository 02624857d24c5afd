"""How a bundle stands: each item's status as the citizen reads it, and the bundle's.

An item is its application's status once submitted. Before that it waits for the items it
depends on; when one of those ends without a result (denied, not accepted, withdrawn) or is
itself blocked, it is blocked: it cannot go on, and the citizen is told so and which items go on
regardless. A denial never silently stops the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from domain.application.status import CLOSED, STATUS_NAMES
from domain.life_events.aggregate import BundleItem

__all__ = ["DONE", "BundleState", "ItemState", "bundle_state"]

# the item's result is issued: it counts as done for the bundle, and for items waiting on it
DONE: frozenset[str] = frozenset({"result_issued", "delivering", "ready_for_pickup", "completed"})
# the item ended without a result
ENDED: frozenset[str] = CLOSED - {"completed"}


class ItemState(msgspec.Struct, frozen=True):
    """One item as the bundle view shows it (``goesOn``: it is still being handled)."""

    service_code: str
    service_name: str
    department: str
    application_id: str
    number: str
    status: str
    status_text: str
    goes_on: bool


class BundleState(msgspec.Struct, frozen=True):
    """``status``: in_progress, completed (every item has its result) or ended (nothing more
    goes on, some item has no result); ``notice``: what the citizen is told when an item
    stopped."""

    status: str
    status_text: str
    items: tuple[ItemState, ...]
    notice: str | None


def _names(items: Sequence[BundleItem], codes: Sequence[str]) -> str:
    by_code = {i.service_code: i.service_name for i in items}
    return "、".join(f"“{by_code[c]}”" for c in codes)


def bundle_state(
    items: Sequence[BundleItem], statuses: Mapping[str, str], failed: Mapping[str, str]
) -> BundleState:
    """The state of a bundle's ``items`` given their applications' statuses (application id
    -> status; absent: not submitted yet) and the waiting items that could not be submitted
    (service code -> why)."""
    states: dict[str, str] = {}
    texts: dict[str, str] = {}
    for item in items:  # dependencies come first
        status = statuses.get(item.application_id)
        if status is not None:
            states[item.service_code] = status
            texts[item.service_code] = STATUS_NAMES.get(status, status)
            continue
        stopped = [
            d for d in item.depends_on if states.get(d) in ENDED or states.get(d) == "blocked"
        ]
        if stopped:
            states[item.service_code] = "blocked"
            texts[item.service_code] = f"因{_names(items, stopped)}未能办理，本事项无法继续办理"
        elif item.service_code in failed:
            states[item.service_code] = "blocked"
            texts[item.service_code] = f"自动提交未成功：{failed[item.service_code]}"
        else:
            waiting = [d for d in item.depends_on if states.get(d) not in DONE]
            states[item.service_code] = "waiting"
            texts[item.service_code] = (
                f"等待{_names(items, waiting)}办结后自动提交" if waiting else "正在自动提交"
            )
    views = tuple(
        ItemState(
            service_code=i.service_code,
            service_name=i.service_name,
            department=i.department,
            application_id=i.application_id,
            number=i.number,
            status=states[i.service_code],
            status_text=texts[i.service_code],
            goes_on=states[i.service_code] not in DONE | ENDED | {"blocked"},
        )
        for i in items
    )
    stopped = [v.service_code for v in views if v.status in ENDED | {"blocked"}]
    going = [v.service_code for v in views if v.goes_on]
    if all(v.status in DONE for v in views):
        return BundleState("completed", "全部事项已办结", views, None)
    notice = None
    if stopped:
        notice = f"{_names(items, stopped)}未能办理"
        notice += f"；{_names(items, going)}继续办理" if going else "；其他事项均已办结"
    if going:
        return BundleState("in_progress", "办理中", views, notice)
    return BundleState("ended", "已办结，部分事项未能办理", views, notice)
