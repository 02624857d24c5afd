"""The cyclic collector pauses for a batch and runs again when the last overlapping batch ends,
as it was before (a process that had it off keeps it off)."""

from __future__ import annotations

import gc

from projections.collection import collection_paused


def test_overlapping_pauses_end_with_the_last_one() -> None:
    assert gc.isenabled()
    outer = collection_paused()
    outer.__enter__()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the outer batch still runs
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failing_batch_gives_the_collector_back() -> None:
    try:
        with collection_paused():
            raise ValueError("the batch failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
