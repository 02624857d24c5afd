"""Life events and bundles as the API reads and returns them (camelCase JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from backend.http.dto import Body, Dto
from domain.application import Delivery, MaterialRef
from domain.catalog import ServiceDefinition
from domain.life_events import LifeEventDefinition

__all__ = [
    "BundleApplication",
    "BundleEntry",
    "BundleItemView",
    "BundleView",
    "LifeEventField",
    "LifeEventGuide",
    "LifeEventItem",
    "LifeEventMaterial",
    "LifeEventQuestion",
    "LifeEventSummary",
    "SubmitBundle",
    "SubmittedBundle",
]


class LifeEventSummary(Dto, frozen=True):
    code: str
    name: str
    items: tuple[str, ...]  # service codes


class LifeEventQuestion(Dto, frozen=True):
    id: str
    text: str
    options: tuple[str, ...]


class LifeEventItem(Dto, frozen=True, omit_defaults=True):
    """``when``: question id -> the answers under which the item applies (absent: always)."""

    service_code: str
    service_name: str
    department: str
    depends_on: tuple[str, ...]
    when: dict[str, tuple[str, ...]] | None = None


class LifeEventField(Dto, frozen=True):
    """A merged form field; ``forItems``: the items whose form it fills."""

    field: str
    label: str
    required: bool
    type: str
    options: tuple[str, ...]
    for_items: tuple[str, ...]


class LifeEventMaterial(Dto, frozen=True):
    """A material given once for every item in ``forItems``."""

    id: str
    name: str
    required: bool
    deferrable: bool
    certificate_types: tuple[str, ...]
    for_items: tuple[str, ...]


class LifeEventGuide(Dto, frozen=True):
    code: str
    name: str
    description: str
    questions: tuple[LifeEventQuestion, ...]
    items: tuple[LifeEventItem, ...]
    form: tuple[LifeEventField, ...]
    materials: tuple[LifeEventMaterial, ...]
    delivery_options: tuple[str, ...]
    fee: int  # fen, every item together

    @classmethod
    def of(
        cls, event: LifeEventDefinition, services: Mapping[str, ServiceDefinition]
    ) -> LifeEventGuide:
        """The guide of a life event with the definitions of its items."""
        return cls(
            code=event.code,
            name=event.name,
            description=event.description,
            questions=tuple(LifeEventQuestion(q.id, q.text, q.options) for q in event.questions),
            items=tuple(
                LifeEventItem(
                    service_code=i.service_code,
                    service_name=services[i.service_code].name,
                    department=services[i.service_code].department,
                    depends_on=i.depends_on,
                    when=i.when,
                )
                for i in event.items
            ),
            form=tuple(
                LifeEventField(
                    field=f.field,
                    label=f.label,
                    required=f.required,
                    type=f.type,
                    options=f.options,
                    for_items=tuple(event.targets(f, services)),
                )
                for f in event.form
            ),
            materials=tuple(
                LifeEventMaterial(
                    id=m.id,
                    name=m.name,
                    required=m.required,
                    deferrable=m.deferrable,
                    certificate_types=m.certificate_types,
                    for_items=m.for_items,
                )
                for m in event.materials(services)
            ),
            delivery_options=event.delivery_options(services),
            fee=sum(services[c].fee for c in event.service_codes),
        )


class SubmitBundle(Body, frozen=True):
    """One submission for a life event: the answers to its questions, the merged form, each
    material once, one delivery choice for every item."""

    life_event_code: str
    delivery: Delivery
    answers: dict[str, str] = msgspec.field(default_factory=dict)
    form: dict[str, Any] = msgspec.field(default_factory=dict)
    materials: tuple[MaterialRef, ...] = ()


class BundleApplication(Dto, frozen=True):
    """An item's application (an item that waits is submitted later under this id)."""

    service_code: str
    id: str
    number: str


class SubmittedBundle(Dto, frozen=True):
    id: str
    number: str
    applications: tuple[BundleApplication, ...]
    position: int


class BundleItemView(Dto, frozen=True):
    """``goesOn``: the item is still being handled (not done, not stopped)."""

    service_code: str
    service_name: str
    application_id: str
    number: str
    status: str
    status_text: str
    department: str
    goes_on: bool


class BundleEntry(Dto, frozen=True):
    """A timeline entry: the bundle's own, or one of an item's (``serviceCode``)."""

    at: datetime
    type: str
    text: str
    service_code: str | None = None


class BundleView(Dto, frozen=True):
    """``status``: in_progress, completed or ended (nothing more goes on, some item has no
    result); ``notice``: which items stopped and which go on."""

    id: str
    number: str
    life_event_code: str
    life_event_name: str
    status: str
    status_text: str
    submitted_at: datetime
    items: tuple[BundleItemView, ...]
    timeline: tuple[BundleEntry, ...]
    fee: int
    notice: str | None = None
