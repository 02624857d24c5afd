"""The shape every command handler shares: load, act, save, and a typed answer.

``act_on`` is the common case (one application, one domain method), ``act_on_one`` the same
for any aggregate with a status (a consultation, a pre-review); handlers that touch several
aggregates use ``services.repository.session()`` and answer with ``accepted`` themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar
from uuid import UUID

from backend.eventstore.retry import retry_on_conflict
from backend.http.dto import Dto
from domain.application import Application

if TYPE_CHECKING:
    from backend.eventstore import AfterInsert, Saved
    from backend.services import Services

__all__ = ["CommandAccepted", "accepted", "act_on", "act_on_one"]


class CommandAccepted(Dto, frozen=True):
    """A command's outcome; pass ``position`` as ``?after=`` to read your own write."""

    id: str
    status: str
    position: int


def accepted(aggregate_id: UUID, status: str, saved: Saved) -> CommandAccepted:
    """The answer to a command that changed ``aggregate_id`` (now in ``status``)."""
    return CommandAccepted(id=str(aggregate_id), status=status, position=saved.position)


class _WithStatus(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=_WithStatus)


async def act_on_one(
    services: Services,
    load: Callable[[], Awaitable[S]],
    act: Callable[[S], object],
    after_insert: AfterInsert | None = None,
) -> CommandAccepted:
    """``load`` the aggregate, let ``act`` call the domain, save (with ``after_insert``'s rows
    in the same transaction); a lost race tries again from the load."""

    async def attempt() -> CommandAccepted:
        aggregate = await load()
        act(aggregate)
        saved = await services.repository.save(aggregate, after_insert=after_insert)  # type: ignore[arg-type]
        return accepted(aggregate.id, aggregate.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def act_on(
    services: Services,
    application_id: UUID,
    act: Callable[[Application], object],
    after_insert: AfterInsert | None = None,
) -> CommandAccepted:
    """Load the application, let ``act`` call the domain, save (with ``after_insert``'s rows
    in the same transaction); a lost race tries again."""
    return await act_on_one(
        services, lambda: services.repository.get(Application, application_id), act, after_insert
    )
