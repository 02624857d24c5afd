"""Which parts of an application are personal data, and how they are kept in its events.

The form (it may hold 身份证号, names, phone numbers) and the courier address are personal: events
carry them as ``Personal`` values owned by the applicant, so the store keeps them encrypted under
the applicant's key. The delivery method stays in clear: rules and read models depend on it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from domain.application.values import Address, Delivery
from domain.personal import Personal

__all__ = ["delivery_of", "delivery_record", "protect_plain_state"]


def delivery_record(owner: UUID, delivery: Delivery) -> dict[str, Any]:
    """The delivery as an event keeps it: the method in clear, the address as personal data."""
    address = delivery.address
    return {
        "method": delivery.method,
        "address": None if address is None else Personal(owner, msgspec.to_builtins(address)),
    }


def delivery_of(record: dict[str, Any]) -> Delivery:
    """The delivery choice; its address is None once the applicant's data has been erased."""
    address = record.get("address")
    if isinstance(address, Personal):
        address = address.value
    return Delivery(
        method=record["method"],
        address=None if address is None else msgspec.convert(address, Address),
    )


def protect_plain_state(state: dict[str, Any], delivery_key: str) -> None:
    """Upcast what was stored before personal data was wrapped: the form and the courier
    address of ``state`` (an event's or a snapshot's) become ``Personal`` of the applicant."""
    owner = state["citizen_id"]
    form = state.get("form")
    if not isinstance(form, Personal):
        state["form"] = Personal(owner, form if form is not None else {})
    delivery = dict(state[delivery_key])
    address = delivery.get("address")
    if address is not None and not isinstance(address, Personal):
        delivery["address"] = Personal(owner, address)
    state[delivery_key] = delivery
