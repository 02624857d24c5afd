"""An item's result is issued: the bundle it belongs to records it, and every item that
waited for it (and for nothing else now) is submitted with the e-certificate it became.

The public face of bundles for the back office: ``issue_result`` calls ``after_result_issued``
once the result is saved; the watcher's ``release_waiting`` catches up what a crash in between
left undone.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING
from uuid import UUID

from backend.applications.dto import SubmitApplication
from backend.applications.submission import submit
from backend.auth.tokens import Principal
from backend.eventstore.retry import retry_on_conflict
from domain import policies
from domain.application import Application
from domain.application.personal_data import delivery_of
from domain.errors import ConflictError, NotFound, ValidationFailed
from domain.life_events import Bundle, refusal_text

if TYPE_CHECKING:
    from backend.services import Services
    from domain.life_events import ReadyItem

__all__ = ["after_result_issued", "release_waiting"]

_log = logging.getLogger(__name__)


async def after_result_issued(services: Services, application_id: UUID) -> int:
    """If the application is an item of a bundle: record its result there and submit the
    items now ready; returns the position of the last write (0: nothing was written), so the
    caller's ``?after=`` reads the items submitted too."""
    bundle_id = await services.pool.fetchval(
        "SELECT bundle_id FROM bundle_members WHERE application_id = $1", application_id
    )
    if bundle_id is None:
        return 0
    application = await services.repository.get(Application, application_id)
    now = services.clock()

    async def record() -> tuple[list[ReadyItem], int]:
        bundle = await services.repository.get(Bundle, bundle_id)
        ready = policies.bundle_result_issued(bundle, application, at=now)
        if not bundle.pending_events:
            return ready, 0
        return ready, (await services.repository.save(bundle)).position

    ready, position = await retry_on_conflict(record, services.settings.command_retries)
    for item in ready:
        position = max(position, await _release(services, bundle_id, item))
    return position


async def _release(services: Services, bundle_id: UUID, ready: ReadyItem) -> int:
    """Submit one ready item under its reserved id, as its applicant (an item already there,
    from an earlier try, is only marked released)."""
    bundle = await services.repository.get(Bundle, bundle_id)
    item = ready.item
    application_id = UUID(item.application_id)
    now = services.clock()
    reason = None
    try:
        await services.repository.get(Application, application_id)
    except NotFound:
        body = SubmitApplication(
            service_code=item.service_code,
            situation_id=item.situation_id,
            materials=ready.materials,
            delivery=delivery_of(bundle.delivery),
            form=ready.form,
        )
        applicant = Principal(id=str(bundle.citizen_id), role="citizen")
        try:
            await submit(services, applicant, body, reserved=(application_id, item.number))
        except ValidationFailed as exc:
            reason = refusal_text(exc)
    if reason is None:
        bundle.release(item.service_code, at=now)
    else:
        _log.warning("bundle %s: item %s not submitted: %s", bundle_id, item.service_code, reason)
        bundle.release_failed(item.service_code, reason, at=now)
    with contextlib.suppress(ConflictError):  # a concurrent release recorded it first
        return (await services.repository.save(bundle)).position
    return 0


async def release_waiting(services: Services) -> int:
    """Submit the waiting items whose dependencies have their results but were not released
    (the process stopped between the result and the release)."""
    rows = await services.pool.fetch(
        "SELECT m.application_id FROM bundle_members m"
        " JOIN application_view a ON a.id = m.application_id"
        " WHERE a.status = ANY($1::text[]) AND EXISTS ("
        "   SELECT 1 FROM bundle_members w WHERE w.bundle_id = m.bundle_id"
        "   AND NOT EXISTS (SELECT 1 FROM application_view x WHERE x.id = w.application_id))",
        ["result_issued", "delivering", "ready_for_pickup", "completed"],
    )
    released = 0
    for row in rows:
        released += await after_result_issued(services, row["application_id"]) > 0
    return released
