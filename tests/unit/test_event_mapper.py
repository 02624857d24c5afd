"""Mapping stored events back to domain events: the keys their personal data needs, and how a
projection runner's decoding shares the event loop."""

from __future__ import annotations

import asyncio
import gc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import StoredEvent

from backend.demo_data import demo_catalog
from backend.eventstore import KeyRing, build_mapper, decoder
from backend.eventstore.keyring import KeyNeeded
from domain.catalog import parse_definition
from tests.unit.test_application import CITIZEN_ID, FOOD, LEAD, at, staff, submit

SECRET = "event-mapper-test-secret"


def _ring_with_the_citizens_key() -> KeyRing:
    ring = KeyRing(SECRET)
    ring._remember(CITIZEN_ID, 1, AESGCM(AESGCM.generate_key(bit_length=256)))
    return ring


def _stored(notes: int = 0) -> tuple[KeyRing, list[StoredEvent]]:
    """A submitted application (its form is personal data) and ``notes`` notes on it."""
    food = next(parse_definition(e) for e in demo_catalog() if e["code"] == FOOD)
    app = submit(food)
    for i in range(notes):
        app.add_note(actor=staff(LEAD, "clerk"), text="办理中", at=at(i + 1))
    ring = _ring_with_the_citizens_key()
    mapper = build_mapper(ring)
    return ring, [mapper.to_stored_event(e) for e in app.collect_events()]


def test_a_key_not_loaded_is_asked_for_and_leaves_no_garbage_cycles() -> None:
    _, (stored,) = _stored()
    reading = build_mapper(KeyRing(SECRET))  # nothing loaded yet
    gc.collect()
    gc.disable()
    try:
        with pytest.raises(KeyNeeded) as caught:
            reading.to_domain_event(stored)
        assert (caught.value.owner, caught.value.version) == (CITIZEN_ID, 1)
        del caught
        # a rebuild meets thousands of these a batch: each error and its frames (which hold
        # the batch being decoded) must be freed when dropped, not left for the collector
        assert gc.collect() == 0
    finally:
        gc.enable()


async def test_a_runners_decoding_lets_other_tasks_run_while_it_goes_on() -> None:
    # the runner decodes the next batch while the current one is written: the writer's work
    # must not wait until the whole next batch is decoded
    ring, stored = _stored(notes=2_000)
    decoding = asyncio.create_task(decoder(build_mapper(ring))(stored, None))
    turns = 0
    while not decoding.done():
        await asyncio.sleep(0)
        turns += 1
    assert len(await decoding) == 2_001
    assert turns > 1
