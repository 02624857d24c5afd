"""Forgetting a citizen (个人信息删除): crypto-shredding of their personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.accounts.dto import PersonalDataErased

if TYPE_CHECKING:
    from uuid import UUID

    from backend.services import Services

__all__ = ["forget_citizen"]


async def forget_citizen(services: Services, citizen_id: UUID, *, by: str) -> PersonalDataErased:
    """Delete the citizen's data key: every ``Personal`` value they own (application forms,
    courier addresses, in events and snapshots alike) reads as erased from now on, while the
    cases themselves stay whole for history and statistics.

    Read models hold no copy of the form or the address, so there is nothing else to purge
    (``delivery_view.signed_by`` and the progress timeline's signer name are the exceptions
    left to the courier read model). Other processes drop the key from their cache within
    ``citizen_key_cache_seconds``.
    """
    erased = await services.repository.keys.forget(services.pool, citizen_id, by=by)
    return PersonalDataErased(citizen_id=citizen_id, erased=erased)
