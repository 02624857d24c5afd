"""Mapping a stored event whose personal data needs a citizen's key that is not in memory."""

from __future__ import annotations

import gc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.demo_data import demo_catalog
from backend.eventstore import KeyRing, build_mapper
from backend.eventstore.keyring import KeyNeeded
from domain.catalog import parse_definition
from tests.unit.test_application import CITIZEN_ID, FOOD, submit

SECRET = "event-mapper-test-secret"


def test_a_key_not_loaded_is_asked_for_and_leaves_no_garbage_cycles() -> None:
    food = next(parse_definition(e) for e in demo_catalog() if e["code"] == FOOD)
    (submitted,) = submit(food).collect_events()
    sealing = KeyRing(SECRET)
    sealing._remember(CITIZEN_ID, 1, AESGCM(AESGCM.generate_key(bit_length=256)))
    stored = build_mapper(sealing).to_stored_event(submitted)
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
