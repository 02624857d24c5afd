"""The server keeps what it built at start-up out of the garbage collector's later walks."""

from __future__ import annotations

import gc

from backend import heap


def test_after_settling_the_start_up_objects_are_frozen_out_of_collections() -> None:
    survivor = [object() for _ in range(100)]
    try:
        heap.settle()
        assert gc.get_freeze_count() >= len(survivor)
        assert gc.is_tracked(survivor)  # still reference-counted and freed as usual
    finally:
        gc.unfreeze()  # this test process is not a server
