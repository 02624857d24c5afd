"""The aggregates of life events: the catalogue's ``LifeEvent`` (versioned like a service
item) and a citizen's ``Bundle`` (一件事: one submission, one application per item)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from eventsourcing.domain import Aggregate

from domain.application.values import MaterialRef
from domain.errors import InvalidState, ValidationFailed
from domain.life_events.definition import LifeEventDefinition
from domain.life_events.plan import ItemPlan
from domain.personal import Personal

__all__ = ["Bundle", "BundleItem", "LifeEvent", "ReadyItem", "life_event_id", "refusal_text"]


def refusal_text(refusal: ValidationFailed) -> str:
    """Why an item could not be submitted, as the citizen reads it (the first few faults)."""
    return refusal.detail + "".join(f"；{v}" for v in list(refusal.errors.values())[:3])


_NAMESPACE = uuid.UUID("6f1f6c1e-3c55-4f43-9a4c-6f6e6577696e")


def life_event_id(code: str) -> uuid.UUID:
    """The aggregate id of a life event: derived from its code."""
    return uuid.uuid5(_NAMESPACE, f"life-event:{code}")


def _plain(definition: LifeEventDefinition) -> dict[str, Any]:
    plain: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(definition))
    return plain


class LifeEvent(Aggregate):
    """A published life event; each changed revision of the catalogue file is one event."""

    class Published(Aggregate.Created):
        definition: dict[str, Any]

    class Revised(Aggregate.Event):
        definition: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.definition_raw = self.definition

    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition_raw = definition

    @classmethod
    def publish(cls, definition: LifeEventDefinition, *, at: datetime) -> LifeEvent:
        """Publish a new life event."""
        return cls._create(
            cls.Published,
            id=life_event_id(definition.code),
            timestamp=at,
            definition=_plain(definition),
        )

    def revise(self, definition: LifeEventDefinition, *, at: datetime) -> bool:
        """Record a new version if the definition changed; returns whether it did."""
        raw = _plain(definition)
        if raw == self.definition_raw:
            return False
        self.trigger_event(self.Revised, timestamp=at, definition=raw)
        return True

    @property
    def definition(self) -> LifeEventDefinition:
        """The current definition."""
        return msgspec.convert(self.definition_raw, LifeEventDefinition)


class BundleItem(msgspec.Struct, rename="camel", frozen=True):
    """An item of a bundle as its events keep it: the application it is (the id and number
    are drawn at once, even for an item that waits), its department and what it waits for."""

    service_code: str
    service_name: str
    department: str
    application_id: str
    number: str
    situation_id: str
    fee: int = 0
    depends_on: tuple[str, ...] = ()
    supplied: dict[str, str] = {}  # material id -> the earlier item whose certificate it is


class ReadyItem(msgspec.Struct, frozen=True):
    """A waiting item whose dependencies all have their results: what to submit it with (the
    citizen's materials and the earlier items' certificates)."""

    item: BundleItem
    form: dict[str, Any]
    materials: tuple[MaterialRef, ...]


class Bundle(Aggregate):
    """一件事一次办: a citizen's one submission for a life event.

    Items without dependencies are submitted with the bundle; an item that depends on others
    waits, its form and materials kept (sealed: they are the citizen's) until every item it
    depends on has its result issued; then it is submitted with their certificates.
    """

    class Submitted(Aggregate.Created):
        number: str
        citizen_id: uuid.UUID
        life_event_code: str
        life_event_name: str
        answers: dict[str, str]
        items: list[dict[str, Any]]
        waiting: Personal[dict[str, Any]]  # service code -> {form, materials}
        delivery: dict[str, Any]

    class ResultRecorded(Aggregate.Event):
        """An item's result was issued (``certificateId``: the e-certificate it became)."""

        service_code: str
        certificate_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.results[self.service_code] = self.certificate_id

    class ItemReleased(Aggregate.Event):
        """A waiting item was submitted."""

        service_code: str

        def apply(self, aggregate: Any) -> None:
            aggregate.released.append(self.service_code)

    class ItemReleaseFailed(Aggregate.Event):
        """A waiting item could not be submitted (the reason as the citizen reads it)."""

        service_code: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.failed[self.service_code] = self.reason

    def __init__(
        self,
        *,
        number: str,
        citizen_id: uuid.UUID,
        life_event_code: str,
        life_event_name: str,
        answers: dict[str, str],
        items: list[dict[str, Any]],
        waiting: Personal[dict[str, Any]],
        delivery: dict[str, Any],
    ) -> None:
        self.number = number
        self.citizen_id = citizen_id
        self.life_event_code = life_event_code
        self.life_event_name = life_event_name
        self.answers = answers
        self.items_raw = items
        self.waiting = waiting
        self.delivery = delivery
        self.results: dict[str, str | None] = {}
        self.released: list[str] = []
        self.failed: dict[str, str] = {}

    @classmethod
    def submit(
        cls,
        *,
        id: uuid.UUID,
        number: str,
        citizen_id: uuid.UUID,
        event: LifeEventDefinition,
        answers: dict[str, str],
        plans: tuple[ItemPlan, ...],
        items: list[BundleItem],
        delivery: dict[str, Any],
        at: datetime,
    ) -> Bundle:
        """The bundle of ``plans`` (checked by ``plan_bundle``), its items' applications
        already numbered (``items``, in the plans' order)."""
        waiting = {
            p.service_code: {
                "form": p.form,
                "materials": [msgspec.to_builtins(m) for m in p.materials],
            }
            for p in plans
            if p.waits
        }
        return cls._create(
            cls.Submitted,
            id=id,
            timestamp=at,
            number=number,
            citizen_id=citizen_id,
            life_event_code=event.code,
            life_event_name=event.name,
            answers=dict(answers),
            items=[msgspec.to_builtins(i) for i in items],
            waiting=Personal(citizen_id, waiting),
            delivery=delivery,
        )

    @property
    def items(self) -> tuple[BundleItem, ...]:
        """The bundle's items, in the life event's order."""
        return tuple(msgspec.convert(i, BundleItem) for i in self.items_raw)

    def item(self, service_code: str) -> BundleItem | None:
        """The item of this service, if the bundle has it."""
        return next((i for i in self.items if i.service_code == service_code), None)

    def item_of(self, application_id: uuid.UUID) -> BundleItem | None:
        """The item that is this application, if any."""
        return next((i for i in self.items if i.application_id == str(application_id)), None)

    def record_result(self, service_code: str, certificate_id: str | None, *, at: datetime) -> None:
        """An item's result is issued (once: issuing again changes nothing)."""
        if self.item(service_code) is None:
            raise InvalidState(f"一件事没有事项{service_code}")
        if service_code in self.results:
            return
        self.trigger_event(
            self.ResultRecorded,
            timestamp=at,
            service_code=service_code,
            certificate_id=certificate_id,
        )

    def ready_items(self) -> list[ReadyItem]:
        """Waiting items whose every dependency has its result, with the materials to submit
        them with: the citizen's own and, for each supplied one, the earlier item's
        certificate (none when the earlier result became no certificate: then it is missing
        and the department asks for it as for any missing material)."""
        waiting: dict[str, Any] = self.waiting.reveal({})
        ready = []
        for item in self.items:
            if (
                not item.depends_on
                or item.service_code in self.released
                or item.service_code in self.failed
                or not all(d in self.results for d in item.depends_on)
            ):
                continue
            kept = waiting.get(item.service_code, {"form": {}, "materials": []})
            materials = tuple(msgspec.convert(m, MaterialRef) for m in kept["materials"])
            flowed = tuple(
                MaterialRef(material_id=material_id, certificate_id=certificate)
                for material_id, code in item.supplied.items()
                if (certificate := self.results.get(code)) is not None
            )
            ready.append(
                ReadyItem(item=item, form=dict(kept["form"]), materials=materials + flowed)
            )
        return ready

    def release(self, service_code: str, *, at: datetime) -> None:
        """The waiting item was submitted."""
        if service_code not in self.released:
            self.trigger_event(self.ItemReleased, timestamp=at, service_code=service_code)

    def release_failed(self, service_code: str, reason: str, *, at: datetime) -> None:
        """The waiting item could not be submitted: the citizen is told why."""
        self.trigger_event(
            self.ItemReleaseFailed, timestamp=at, service_code=service_code, reason=reason[:500]
        )
